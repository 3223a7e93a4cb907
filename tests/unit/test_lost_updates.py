"""Every read-modify-write of the admin services under a deterministic race: another writer
writes between the action's read and its write (tests/unit/races.py). A merge is re-read
and re-applied, so both changes land; a writer that keeps losing gives up with Conflict,
having written nothing; a deleted item stays deleted; no lost race creates a second AWS key."""

from __future__ import annotations

import os

import boto3
import pytest

from chalicelib.admin import Conflict, Missing, PreconditionFailed
from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.admin.optimistic import ATTEMPTS
from chalicelib.keys.keyring import ACTIVE
from chalicelib.opaque import digest
from chalicelib.store import admin_keys, clients, tenants, users
from chalicelib.ttlcache import TTLCache
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.races import always, intruding

LOGO = "https://rp.example.com/logo.png"


@pytest.fixture
def tenant(aws):
    """On Secrets Manager: a key rotation that lost its race must not create a second secret."""
    return tenant_admin.create_tenant("acme", "Acme", key_backend="secretsmanager")


@pytest.fixture
def world(tenant):
    """acme with an inactive and an active RS256 key, the client "web" and the user alice."""
    key_admin.rotate_key(tenant.id, immediately=True)
    client_admin.create_client(
        tenant.id, name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI], client_id="web"
    )
    user_admin.create_user(tenant.id, "alice", PASSWORD, {"email": "alice@example.com"})


def tenant_now():
    return tenants.get_tenant("acme")


def client_now():
    return clients.get_client("acme", "web")


def user_now():
    return user_admin.get_user_by_username("acme", "alice")


def key_secrets() -> list[str]:
    listed = boto3.client("secretsmanager").list_secrets()["SecretList"]
    return sorted(secret["Name"] for secret in listed if secret["Name"].startswith(os.environ["KEY_SECRET_PREFIX"]))


def inactive_kid() -> str:
    return next(key["kid"] for key in tenant_now().keys if key["status"] != ACTIVE)


def active_algs() -> set[str]:
    return {key["alg"] for key in tenant_now().keys if key["status"] == ACTIVE}


# (action, another writer's change, what to observe afterwards, what both changes make it)
MERGES = {
    "settings, settings": (
        lambda: tenant_admin.update_settings("acme", {"code_expire": 300}),
        lambda: tenant_admin.update_settings("acme", {"token_expire": 900}),
        lambda _: (tenant_now().settings["code_expire"], tenant_now().settings["token_expire"]),
        (300, 900),
    ),
    "settings, key rotation": (
        lambda: tenant_admin.update_settings("acme", {"code_expire": 300}),
        lambda: key_admin.rotate_key("acme", "ES256", immediately=True),
        lambda _: (tenant_now().settings["code_expire"], active_algs()),
        (300, {"RS256", "ES256"}),
    ),
    "key rotation, settings": (
        lambda: key_admin.rotate_key("acme", "ES256", immediately=True),
        lambda: tenant_admin.update_settings("acme", {"token_expire": 900}),
        lambda key: (tenant_now().settings["token_expire"], key["kid"] in {k["kid"] for k in tenant_now().keys}),
        (900, True),
    ),
    "key retirement, settings": (
        lambda: key_admin.retire_key("acme", inactive_kid()),
        lambda: tenant_admin.update_settings("acme", {"token_expire": 900}),
        lambda _: (tenant_now().settings["token_expire"], sorted(key["status"] for key in tenant_now().keys)),
        (900, [ACTIVE, "retired"]),
    ),
    "client fields, client fields": (
        lambda: client_admin.update_client("acme", "web", name="Web 2"),
        lambda: client_admin.update_client("acme", "web", logo_uri=LOGO),
        lambda _: (client_now().name, client_now().logo_uri),
        ("Web 2", LOGO),
    ),
    "client secret, client fields": (
        lambda: client_admin.rotate_secret("acme", "web"),
        lambda: client_admin.update_client("acme", "web", logo_uri=LOGO),
        lambda rotated: (client_now().secret_hash == digest(rotated[1]), client_now().logo_uri),
        (True, LOGO),
    ),
    "claims, claims": (
        lambda: user_admin.update_claims("acme", "alice", {"name": "Alice"}),
        lambda: user_admin.update_claims("acme", "alice", {"email": None, "nickname": "al"}),
        lambda _: user_now().claims,
        {"name": "Alice", "nickname": "al"},
    ),
    "disable, claims": (
        lambda: user_admin.set_active("acme", "alice", False),
        lambda: user_admin.update_claims("acme", "alice", {"name": "Alice"}),
        lambda _: (user_now().active, users.get_login("acme", "alice").disabled, user_now().claims["name"]),
        (False, True, "Alice"),
    ),
    "claims, disable": (
        lambda: user_admin.update_claims("acme", "alice", {"name": "Alice"}),
        lambda: user_admin.set_active("acme", "alice", False),
        lambda _: (user_now().active, users.get_login("acme", "alice").disabled, user_now().claims["name"]),
        (False, True, "Alice"),
    ),
}
# Which item each race is about, to count its versions.
ITEM = {
    "settings": tenant_now,
    "key rotation": tenant_now,
    "key retirement": tenant_now,
    "client fields": client_now,
    "client secret": client_now,
    "claims": user_now,
    "disable": user_now,
}


@pytest.mark.parametrize("case", MERGES)
def test_a_change_that_lost_its_race_is_applied_again(world, case):
    action, intruder, observe, both = MERGES[case]
    item = ITEM[case.split(",")[0]]
    version = item().version
    with intruding(intruder) as intruded:
        result = action()
    assert len(intruded) == 1  # the other writer did write between the action's read and write
    assert observe(result) == both
    assert item().version == version + 2
    assert len(key_secrets()) == 2 + ("rotation" in case)  # one AWS key per rotation, not per attempt


@pytest.mark.parametrize("case", MERGES)
def test_a_change_that_keeps_losing_is_refused_and_writes_nothing(world, case):
    action, intruder, _, _ = MERGES[case]
    item = ITEM[case.split(",")[0]]
    version = item().version
    with always(intruder) as intruded, pytest.raises(Conflict, match="kept changing"):
        action()
    # Every write bumps the version: the other writer's changes all landed, none of the action's.
    assert len(intruded) == ATTEMPTS and item().version == version + ATTEMPTS


def test_a_rotation_that_never_publishes_names_its_one_new_key(world):
    before = key_secrets()
    with always(lambda: tenant_admin.update_settings("acme", {"token_expire": 900})), pytest.raises(Conflict) as error:
        key_admin.rotate_key("acme", "ES256")
    (created,) = set(key_secrets()) - set(before)
    kid = created.rsplit("/", 1)[1]
    assert kid in str(error.value) and created in str(error.value) and "delete it" in str(error.value)
    assert kid not in {key["kid"] for key in tenant_now().keys} and active_algs() == {"RS256"}


def test_a_rotation_that_fails_on_aws_names_its_new_key(world):
    from botocore.exceptions import ClientError

    from chalicelib.store import StoreError

    def throttled() -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")

    before = key_secrets()
    with intruding(throttled), pytest.raises(StoreError) as error:
        key_admin.rotate_key("acme", "ES256")
    (created,) = set(key_secrets()) - set(before)
    assert any(created in note for note in error.value.__notes__)


def test_a_rotation_on_kms_creates_one_key_however_many_attempts(world):
    kms = boto3.client("kms")
    before = len(kms.list_keys()["Keys"])
    with intruding(lambda: tenant_admin.update_settings("acme", {"token_expire": 900}), times=2):
        key = key_admin.rotate_key("acme", "ES256", backend="kms")
    assert len(kms.list_keys()["Keys"]) == before + 1 and key["backend"] == "kms"
    assert key["kid"] in {k["kid"] for k in tenant_now().keys}


def delete_client():
    client_admin.delete_client("acme", "web")


def delete_user():
    user_admin.delete_user("acme", "alice")


# (action, the deletion that wins the race, the key prefixes that must stay absent)
DELETED = {
    "client update": (lambda: client_admin.update_client("acme", "web", name="Back"), delete_client, ("client#",)),
    "client secret": (lambda: client_admin.rotate_secret("acme", "web"), delete_client, ("client#",)),
    "client delete": (delete_client, delete_client, ("client#",)),
    "claims": (lambda: user_admin.update_claims("acme", "alice", {"name": "A"}), delete_user, ("user#", "login#")),
    "disable": (lambda: user_admin.set_active("acme", "alice", False), delete_user, ("user#", "login#")),
    "enable": (lambda: user_admin.set_active("acme", "alice", True), delete_user, ("user#", "login#")),
    "password": (lambda: user_admin.set_password("acme", "alice", PASSWORD + "!"), delete_user, ("user#", "login#")),
    "user delete": (delete_user, delete_user, ("user#", "login#")),
}


@pytest.mark.parametrize("case", DELETED)
def test_a_deleted_item_stays_deleted(world, table_items, case):
    action, deletion, prefixes = DELETED[case]
    with intruding(deletion), pytest.raises(Missing):
        action()
    assert not [item for item in table_items() if item["sk"]["S"].startswith(prefixes)]


def test_a_revoked_admin_key_is_revoked_once(world):
    tenant_admin.issue_admin_key("acme")
    (key,) = admin_keys.list_admin_keys("acme")
    with intruding(lambda: tenant_admin.revoke_admin_key("acme", key.key_id)), pytest.raises(Missing):
        tenant_admin.revoke_admin_key("acme", key.key_id)
    assert admin_keys.list_admin_keys("acme") == []
    assert admin_keys.revoke_admin_key("acme", "") is False  # a prefix that names any key names none


@pytest.mark.parametrize(
    ("delete", "change", "gone"),
    [
        (delete_client, lambda: client_admin.update_client("acme", "web", logo_uri=LOGO), client_now),
        (
            delete_user,
            lambda: user_admin.update_claims("acme", "alice", {"name": "A"}),
            lambda: users.get_login("acme", "alice"),
        ),
    ],
)
def test_a_delete_whose_read_went_stale_reads_again(world, delete, change, gone):
    with intruding(change) as intruded:
        delete()
    assert len(intruded) == 1 and gone() is None


@pytest.mark.parametrize(
    ("action", "item"),
    [
        (lambda v: tenant_admin.update_settings("acme", {"code_expire": 300}, expected=v), tenant_now),
        (lambda v: client_admin.update_client("acme", "web", name="Web 2", expected=v), client_now),
        (lambda v: client_admin.delete_client("acme", "web", expected=v), client_now),
        (lambda v: user_admin.update_user("acme", "alice", claims={"name": "A"}, expected=v), user_now),
        (lambda v: user_admin.delete_user("acme", "alice", expected=v), user_now),
    ],
)
def test_a_change_based_on_a_named_version_is_refused_once_it_changed(world, table_items, action, item):
    version = item().version
    with pytest.raises(PreconditionFailed):
        action(version - 1)
    before = table_items()
    bump = {tenant_now: lambda: tenant_admin.update_settings("acme", {"token_expire": 900}),
            client_now: lambda: client_admin.update_client("acme", "web", logo_uri=LOGO),
            user_now: lambda: user_admin.update_claims("acme", "alice", {"nickname": "al"})}[item]  # fmt: skip
    with intruding(bump), pytest.raises(PreconditionFailed):
        action(version)  # read at the named version, but changed before the write
    assert item().version == version + 1 and len(table_items()) == len(before)


def test_items_written_before_versions_existed_are_written_conditionally(world, aws):
    table = os.environ["TABLE_NAME"]
    stored = aws.get_item(TableName=table, Key={"pk": {"S": "acme"}, "sk": {"S": "tenant"}})["Item"]
    del stored["version"]
    aws.put_item(TableName=table, Item=stored)
    assert tenant_now().version == 0
    with intruding(lambda: tenant_admin.update_settings("acme", {"token_expire": 900})):
        tenant_admin.update_settings("acme", {"code_expire": 300})
    assert tenant_now().version == 2 and {"code_expire", "token_expire"} <= set(tenant_now().settings)


def test_a_cache_load_that_raced_an_invalidation_is_not_kept():
    cache: TTLCache[str, str] = TTLCache(30)

    def stale() -> str:
        cache.invalidate("web")  # the admin deleted the client while this read was in flight
        return "deleted client"

    assert cache.get_or_load("web", stale) == "deleted client"
    assert cache.get_or_load("web", lambda: "fresh") == "fresh"


@pytest.mark.parametrize("raced", [False, True])
def test_a_rehash_at_login_never_overwrites_a_password_changed_meanwhile(world, aws, raced):
    from argon2 import PasswordHasher

    from chalicelib.accounts.authenticate import attempt, authenticate
    from chalicelib.accounts.passwords import needs_rehash
    from chalicelib.tenancy.settings import TenantSettings

    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    aws.update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": "acme"}, "sk": {"S": "login#alice"}},
        UpdateExpression="SET password_hash = :hash",
        ExpressionAttributeValues={":hash": {"S": weaker}},
    )
    now, changed = 1_800_000_000, "a password the admin just set"
    # skip=1: the login's first write counts the attempt (abuse limits); the race is on the rehash.
    with intruding(lambda: user_admin.set_password("acme", "alice", changed), times=int(raced), skip=1):
        assert (
            authenticate(attempt("acme", "alice", "192.0.2.1"), PASSWORD, TenantSettings(), now) is not None
        )  # right when it was read
    assert not needs_rehash(users.get_login("acme", "alice").password_hash)
    current, stale = (changed, PASSWORD) if raced else (PASSWORD, changed)
    assert authenticate(attempt("acme", "alice", "192.0.2.1"), current, TenantSettings(), now) is not None
    assert authenticate(attempt("acme", "alice", "192.0.2.1"), stale, TenantSettings(), now) is None
