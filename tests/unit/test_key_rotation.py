"""Key rotation that no RP notices: the scheduled job, driven by a controllable clock, with
an RP that caches the JWKS as long as Cache-Control allows and never refetches it for an
unknown kid. Tokens are issued every 10 minutes (the schedule's interval) over several
rotations and a migration between backends, and every token the RP holds is verified again
at every step until it expires: not one fails. ``-s`` prints the timeline."""

from __future__ import annotations

import jwt
import pytest

from chalicelib.admin import AdminError, rotation
from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.keys import aws
from chalicelib.keys.rotation import CLOCK_SKEW, JWKS_MAX_AGE, RETIRED_KEPT
from tests.support.browser import HOST
from tests.support.jwks_rp import CachingRelyingParty
from tests.unit.flows import basic, body, post_token

STEP = 600  # the schedule's interval
HOUR, DAY = 3600, 86400
SETTINGS = {"key_rotation_days": 1, "key_prepublish_seconds": HOUR, "token_expire": HOUR, "idtoken_expire": 600}


@pytest.fixture
def relying_party(http, clock):
    def fetch(path: str) -> tuple[dict[str, str], bytes]:
        response = http.get(path, headers={"host": HOST})
        assert response.status_code == 200
        return response.headers, response.body

    return CachingRelyingParty(fetch, "/acme/jwks.json", f"http://{HOST}/acme", lambda: clock[0])


def service(tenant_id: str = "acme"):
    return client_admin.create_client(
        tenant_id, name="Service", client_type="confidential", response_types=[], grant_types=["client_credentials"]
    )


class Drive:
    """Steps the clock, runs the schedule, gets a token, and has the RP verify every token it
    still holds; records the timeline and every failure."""

    def __init__(self, http, clock, rp, credentials) -> None:
        self.http, self.clock, self.rp, self.credentials = http, clock, rp, credentials
        self.start = clock[0]
        self.held: list[str] = []
        self.timeline: list[tuple[int, str, str]] = []
        self.failures: list[str] = []
        self.verified = 0

    def until(self, end: int) -> None:
        while self.clock[0] < end:
            self.clock[0] += STEP
            for event, _, kid in rotation.run(now=self.clock[0]).steps:
                self.timeline.append((self.clock[0], event, kid))
            registered, secret = self.credentials
            response = post_token(self.http, {"grant_type": "client_credentials"}, basic(registered.client_id, secret))
            self.held.append(body(response)["access_token"])
            self.verify_held()

    def verify_held(self) -> None:
        self.held = [
            token
            for token in self.held
            if jwt.decode(token, options={"verify_signature": False})["exp"] > self.clock[0]
        ]
        for token in self.held:
            try:
                self.rp.verify(token)
                self.verified += 1
            except (jwt.PyJWTError, KeyError) as error:
                kid = jwt.get_unverified_header(token)["kid"]
                self.failures.append(f"t+{self.clock[0] - self.start}s kid {kid}: {error!r}")

    def log(self, event: str, kid: str) -> None:
        self.timeline.append((self.clock[0], event, kid))

    def print(self, title: str) -> None:
        print(f"\n{title} (t = seconds since the start; JWKS max-age {JWKS_MAX_AGE} s)")
        for when, event, kid in self.timeline:
            print(f"  t+{when - self.start:>7}  {event:<15} {kid[:12]}")
        refreshes = sum(1 for when, _ in self.rp.refreshes if when >= self.start)
        print(
            f"  {self.verified} verifications by a caching RP ({refreshes} JWKS fetches), {len(self.failures)} failed"
        )


def when(drive: Drive, event: str, kid: str) -> int:
    return next(moment for moment, happened, which in drive.timeline if happened == event and which == kid)


def test_scheduled_rotations_go_unnoticed_by_an_rp_that_caches_the_jwks(http, clock, relying_party):
    tenant_admin.create_tenant("acme", "Acme", settings=SETTINGS)
    drive = Drive(http, clock, relying_party, service())
    drive.until(clock[0] + 3 * DAY + 4 * HOUR)
    drive.print("Scheduled rotation, every day, published an hour ahead")
    assert drive.failures == []
    activated = [kid for _, event, kid in drive.timeline if event == "key_activated"]
    retired = [kid for _, event, kid in drive.timeline if event == "key_retired"]
    assert len(activated) == 3 and len(retired) == 3
    for kid in activated:
        published = when(drive, "key_published", kid)
        assert when(drive, "key_activated", kid) - published >= HOUR
        # Every RP that fetched the JWKS after the key's publication saw it before it signed.
        assert any(
            published <= moment < when(drive, "key_activated", kid) and kid in kids
            for moment, kids in relying_party.refreshes
        )
    for old, new in zip(retired, activated, strict=True):
        assert when(drive, "key_retired", old) - when(drive, "key_activated", new) >= HOUR + CLOCK_SKEW
    # At most: the active key, the one it replaced (until retired) and the next one.
    assert len(relying_party.keys()) <= 3
    assert [key["status"] for key in key_admin.list_keys("acme")] == ["retired"] * 3 + ["active"]


def test_a_migration_between_backends_goes_unnoticed_and_decrypts_once(http, clock, relying_party):
    tenant_admin.create_tenant("acme", "Acme", key_backend="secretsmanager", settings=SETTINGS)
    drive = Drive(http, clock, relying_party, service())
    drive.until(clock[0] + HOUR)
    calls: list[str] = []
    aws.client("kms").meta.events.register("before-call.kms", lambda model, **_: calls.append(model.name))
    (new,) = key_admin.migrate_keys("acme", "envelope", now=clock[0])
    old = next(key["kid"] for key in key_admin.list_keys("acme") if key["backend"] == "secretsmanager")
    drive.log("key_published", new["kid"])
    drive.until(clock[0] + 3 * HOUR + CLOCK_SKEW)
    drive.print("Migration from Secrets Manager to envelope keys")
    assert drive.failures == []
    assert new["status"] == "next" and new["backend"] == "envelope"
    assert [(key["kid"], key["status"]) for key in key_admin.list_keys("acme")] == [
        (old, "retired"),
        (new["kid"], "active"),
    ]
    assert list(relying_party.keys()) == [new["kid"]]
    assert tenant_admin.get_tenant("acme").settings["key_backend"] == "envelope"
    # The migration wraps the new key (the operator's call); this container then decrypts
    # it once, for every token it has signed since.
    assert calls == ["GenerateDataKey", "Decrypt"]


def test_a_migration_reversed_before_it_completes_ends_on_the_backend_asked_last(http, clock, relying_party):
    tenant_admin.create_tenant("acme", "Acme", settings=SETTINGS)
    drive = Drive(http, clock, relying_party, service())
    drive.until(clock[0] + STEP)
    (away,) = key_admin.migrate_keys("acme", "secretsmanager", now=clock[0])
    drive.until(clock[0] + STEP)
    (back,) = key_admin.migrate_keys("acme", "envelope", now=clock[0])  # the pending key never signed
    assert key_admin.migrate_keys("acme", "envelope", now=clock[0]) == []  # nothing left to move
    drive.until(clock[0] + 2 * HOUR + CLOCK_SKEW + STEP)
    assert drive.failures == []
    statuses = [(key["kid"], key["backend"], key["status"]) for key in key_admin.list_keys("acme")]
    assert statuses[1:] == [(away["kid"], "secretsmanager", "retired"), (back["kid"], "envelope", "active")]
    assert statuses[0][1:] == ("envelope", "retired")


def test_a_forced_rotation_is_published_first_and_the_schedule_activates_it(http, clock, relying_party):
    tenant_admin.create_tenant("acme", "Acme", settings=SETTINGS)
    drive = Drive(http, clock, relying_party, service())
    drive.until(clock[0] + STEP)
    first = key_admin.rotate_key("acme", now=clock[0])
    assert first["status"] == "next" and first["activates_at"] == clock[0] + HOUR
    drive.until(clock[0] + STEP)
    # Forced again before it signed: the pending key (it never signed) makes way for a fresh
    # one, which is published for the whole pre-publication time from now.
    second = key_admin.rotate_key("acme", now=clock[0])
    assert second["activates_at"] == clock[0] + HOUR
    drive.until(clock[0] + 2 * HOUR + CLOCK_SKEW + STEP)
    assert drive.failures == []
    listed = {key["kid"]: key["status"] for key in key_admin.list_keys("acme")}
    assert list(listed.values()) == ["retired", "retired", "active"] and listed[second["kid"]] == "active"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"key_rotation_days": -1}, "key_rotation_days must be a whole number from 0 to 3650"),
        ({"key_rotation_days": 3651}, "key_rotation_days must be a whole number from 0 to 3650"),
        ({"key_prepublish_seconds": JWKS_MAX_AGE}, "key_prepublish_seconds must be a whole number from 1800"),
        ({"key_prepublish_seconds": 31 * DAY}, "key_prepublish_seconds must be a whole number from 1800"),
        ({"key_rotation_days": 1, "key_prepublish_seconds": DAY}, "longer than key_prepublish_seconds"),
        ({"key_algorithm": "HS256"}, "key_algorithm must be one of"),
        ({"key_algorithm": "none"}, "key_algorithm must be one of"),
    ],
)
def test_rotation_settings_are_bounded(tenant, table_items, changes, error):
    before = table_items()
    with pytest.raises(AdminError, match=error):
        tenant_admin.update_settings("acme", changes)
    assert table_items() == before


def test_the_schedule_reads_only_what_is_due(aws, clock):
    """Hints under one partition, sorted by due time: a run reads the due ones (one Query),
    not every tenant; a stale hint costs one read and is replaced by the real due time."""
    for index in range(5):
        tenant_admin.create_tenant(
            f"t{index}", "T", settings={"key_rotation_days": index + 1, "key_prepublish_seconds": HOUR}
        )
    tenant_admin.create_tenant("off", "Off", settings={"key_rotation_days": 0})
    calls: list[str] = []
    aws.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    created = min(key["created_at"] for key in key_admin.list_keys("t0"))
    assert rotation.run(now=created).tenants == 0
    done = rotation.run(now=created + 2 * DAY)  # t0 and t1 are due to publish their next key
    assert sorted({tenant for _, tenant, _ in done.steps}) == ["t0", "t1"]
    assert [event for event, _, _ in done.steps] == ["key_published"] * 2
    assert not any(status == "next" for status in (k["status"] for k in key_admin.list_keys("t2")))
    assert "Scan" not in calls
    # Page after page within one run, two at a time: t0's and t1's next keys sign, t2, t3 and
    # t4 publish theirs.
    done = rotation.run(now=created + 5 * DAY, limit=2)
    assert sorted((tenant, event) for event, tenant, _ in done.steps) == [
        ("t0", "key_activated"), ("t1", "key_activated"),
        ("t2", "key_published"), ("t3", "key_published"), ("t4", "key_published"),
    ]  # fmt: skip
    assert done.tenants == 5


def test_the_scheduled_function_runs_the_rotation_as_lambda_invokes_it(tenant):
    """The schedule's own Lambda function, invoked with a CloudWatch scheduled event."""
    import time

    from chalice.test import Client

    from app import app

    pending = key_admin.rotate_key("acme", now=int(time.time()) - 2 * DAY)  # due a day ago
    with Client(app) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        answer = client.lambda_.invoke("rotate_signing_keys", event)
    assert answer.payload == {"tenants": 1, "steps": 1, "failed": 0}
    assert {key["kid"]: key["status"] for key in key_admin.list_keys("acme")}[pending["kid"]] == "active"


def test_a_tenant_being_deleted_gets_no_new_key(aws, clock):
    """A deletion marks the tenant first: a rotation due meanwhile makes no key (on the
    secretsmanager and kms backends, an AWS resource the deletion would then miss) and
    writes nothing to the tenant; its hint goes."""
    from chalicelib.store import lifecycle as lifecycle_store
    from chalicelib.store import tenants as tenant_store
    from chalicelib.store.tenants import DELETING

    tenant_admin.create_tenant("gone", "Gone", settings={"key_rotation_days": 1, "key_prepublish_seconds": HOUR})
    created = min(key["created_at"] for key in key_admin.list_keys("gone"))
    marked = lifecycle_store.set_status(tenant_store.get_tenant("gone", consistent=True), DELETING, created)
    assert marked is not None
    done = rotation.run(now=created + 2 * DAY)
    assert done.tenants == 1 and done.steps == [] and done.failed == []
    assert tenant_store.get_tenant("gone", consistent=True) == marked
    assert rotation.run(now=created + 3 * DAY).tenants == 0  # the hint is gone


def test_the_tenant_record_stays_small_however_often_keys_rotate(aws, tenant):
    """Retired envelope keys hold nothing: only the newest few stay listed, so forced
    rotations (console, admin API) cannot grow the record towards DynamoDB's 400 KB."""
    import time

    for _ in range(3 * RETIRED_KEPT):
        key_admin.rotate_key("acme", "ES256", immediately=True)
    rotation.run(now=int(time.time()) + DAY)  # the rotated-out keys' tokens have expired
    statuses = [key["status"] for key in key_admin.list_keys("acme")]
    assert statuses.count("retired") == RETIRED_KEPT
    assert sorted(set(statuses)) == ["active", "retired"] and len(statuses) == RETIRED_KEPT + 2


def test_a_tenant_holds_at_most_max_keys_and_no_aws_key_is_made_beyond(aws, tenant, monkeypatch):
    """On the kms backend a retired key keeps its reference (its AWS key is the operator's to
    delete): the record's bound is enforced before a new AWS key is made."""
    import chalicelib.keys.rotation as rotation_rules

    monkeypatch.setattr(rotation_rules, "MAX_KEYS", 4)
    for _ in range(3):
        key_admin.rotate_key("acme", "ES256", "kms", immediately=True)
    made = len(aws_kms_keys())
    with pytest.raises(AdminError, match="holds 4 keys, at most 4"):
        key_admin.rotate_key("acme", "ES256", "kms", immediately=True)
    assert len(aws_kms_keys()) == made


def test_no_key_is_added_to_a_tenant_being_deleted(aws, tenant):
    """Its keys were disposed of when the deletion began: a rotation from a warm container
    (console, admin API) is refused before any AWS key is made."""
    from chalicelib.admin import Missing
    from chalicelib.store import lifecycle as lifecycle_store
    from chalicelib.store import tenants as tenant_store
    from chalicelib.store.tenants import DELETING

    lifecycle_store.set_status(tenant_store.get_tenant("acme", consistent=True), DELETING, 1)
    made = len(aws_kms_keys())
    for attempt in (
        lambda: key_admin.rotate_key("acme", "ES256", "kms"),
        lambda: key_admin.migrate_keys("acme", "kms"),
        lambda: key_admin.retire_key("acme", "no-such-kid"),
    ):
        with pytest.raises(Missing):
            attempt()
    assert len(aws_kms_keys()) == made


def aws_kms_keys() -> list:
    import boto3

    return boto3.client("kms").list_keys()["Keys"]


def test_a_key_the_schedule_made_in_vain_is_named_for_the_operator(tenant, monkeypatch, caplog):
    """The schedule makes its new key before its conditional write; when an admin's rotation
    wins the race, the schedule's (a KMS key here, a monthly cost) is not published, and the
    log line names it for the operator to delete."""
    import logging
    import time

    tenant_admin.update_settings("acme", {"key_backend": "kms"})
    now = int(time.time()) + 90 * DAY  # a rotation is due
    made = []
    real = key_admin.new_key

    def new_key(tenant_id, alg, backend, when=None):
        key = real(tenant_id, alg, backend, when)
        if not made:  # meanwhile an admin presses "Rotate key" in the console
            made.append(key)
            key_admin.rotate_key(tenant_id, alg, now=now, actor="console:x")
        return key

    monkeypatch.setattr(key_admin, "new_key", new_key)
    caplog.set_level(logging.WARNING, logger="oidc")
    rotation.advance("acme", now)
    [orphan] = made
    assert orphan["kid"] not in {key["kid"] for key in key_admin.list_keys("acme")}
    assert any(
        orphan["ref"] in record.getMessage() and "not published" in record.getMessage() for record in caplog.records
    )
