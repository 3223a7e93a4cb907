"""Every storage call is scoped by tenant: a second tenant with the same ids cannot read or
redeem the first one's clients, users, sessions, codes, consents or tokens."""

from __future__ import annotations

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.oidc.codes import AuthorizationCode, mint_code, open_code
from chalicelib.store import authorizations, clients, codes, consents, grants, users
from chalicelib.store.codes import Redemption
from chalicelib.store.consents import Consent
from chalicelib.store.grants import RefreshGrant
from chalicelib.store.sessions import Session
from tests.unit.conftest import PASSWORD, REDIRECT_URI

NOW = 1_800_000_000


@pytest.fixture
def two_tenants():
    tenant_admin.create_tenant("first", "First")
    tenant_admin.create_tenant("second", "Second")
    for tenant_id in ("first", "second"):
        client_admin.create_client(
            tenant_id, name=tenant_id, client_type="confidential", redirect_uris=[REDIRECT_URI], client_id="shared-id"
        )
    return user_admin.create_user("first", "alice", PASSWORD), user_admin.create_user("second", "alice", PASSWORD)


def test_same_ids_in_two_tenants_are_different_records(two_tenants):
    first_alice, second_alice = two_tenants
    assert first_alice.sub != second_alice.sub
    assert clients.get_client("first", "shared-id").name == "first"
    assert clients.get_client("second", "shared-id").name == "second"
    assert users.get_login("first", "alice").sub == first_alice.sub
    assert users.get_user("second", first_alice.sub) is None
    assert [c.client_id for c in clients.list_clients("second")] == ["shared-id"]


def test_artifacts_do_not_cross_tenants(two_tenants):
    alice = two_tenants[0]
    session = Session("first", "sid-1", alice.sub, NOW, NOW, NOW + 600, epoch=alice.epoch)
    consent = Consent("first", "shared-id", alice.sub, ("openid",), NOW, NOW + 600)
    code = AuthorizationCode("g1", "shared-id", REDIRECT_URI, alice.sub, "openid", "sid-1", NOW, NOW, NOW + 600)
    sealed = mint_code("first", code)
    assert authorizations.commit("first", now=NOW, new_session=session, consent=consent, code=(sealed, NOW + 600))

    assert consents.get_consent("second", alice.sub, "shared-id", NOW) is None
    assert authorizations.load_session_and_consent("second", "sid-1", alice.sub, "shared-id", NOW) == (None, None)
    assert open_code("second", sealed) is None  # sealed under the first tenant's key
    assert codes.redeem_code("second", sealed, NOW, (alice.sub, alice.epoch)) is Redemption.REFUSED
    assert open_code("first", sealed) == code
    assert codes.redeem_code("first", sealed, NOW, (alice.sub, alice.epoch)) is Redemption.REDEEMED

    grant = RefreshGrant("g1", "shared-id", alice.sub, ("openid",), "sid-1", NOW, NOW, NOW + 600)
    grants.save_refresh_grant("first", grant, "secret")
    token = grants.refresh_token("g1", "secret")
    assert isinstance(
        grants.rotate_refresh_token("second", token, "s2", "shared-id", (), NOW, NOW + 600), grants.Refused
    )
    assert grants.get_refresh_grant("second", token, NOW) is None
    assert grants.rotate_refresh_token("first", token, "s2", "shared-id", (), NOW, NOW + 600).sub == alice.sub
    grants.revoke_grant("first", "g1", NOW, NOW + 600)
    assert grants.load_token_state("second", alice.sub, "g1", "shared-id") == grants.TokenState(
        None, False, True
    )  # its own shared-id
    first = grants.load_token_state("first", alice.sub, "g1", "shared-id")
    assert first.revoked and first.client_exists and first.user == alice


def test_session_and_consent_load_checks_owner_and_expiry(two_tenants):
    alice = two_tenants[0]
    session = Session("first", "sid-2", alice.sub, NOW, NOW, NOW + 600, epoch=alice.epoch)
    authorizations.commit("first", now=NOW, new_session=session)
    assert authorizations.load_session_and_consent("first", "sid-2", "someone-else", "shared-id", NOW) == (None, None)
    loaded, consent = authorizations.load_session_and_consent("first", "sid-2", alice.sub, "shared-id", NOW)
    assert loaded == session and consent is None
    assert authorizations.load_session_and_consent("first", "sid-2", alice.sub, "shared-id", NOW + 600) == (None, None)


def test_code_for_a_logged_out_session_is_not_written(two_tenants, table_items):
    alice = two_tenants[0]
    code = AuthorizationCode("g2", "shared-id", REDIRECT_URI, alice.sub, "openid", "gone", NOW, NOW, NOW + 600)
    before = table_items()
    sealed = mint_code("first", code)
    gone = Session("first", "gone", alice.sub, NOW, NOW, NOW + 600, epoch=alice.epoch)
    assert not authorizations.commit(
        "first", now=NOW, live_session=gone, client_id="shared-id", code=(sealed, NOW + 600)
    )
    assert not authorizations.commit("first", now=NOW, live_session=gone, client_id="shared-id")
    assert table_items() == before


@pytest.mark.parametrize("bad_id", ["", "x" * 2000, "line\nbreak"])
def test_absurd_ids_read_as_not_found(two_tenants, bad_id):
    assert clients.get_client("first", bad_id) is None
    assert users.get_login("first", bad_id) is None
    assert authorizations.load_session_and_consent("first", bad_id, "sub", "shared-id", NOW) == (None, None)
    assert codes.redeem_code("first", bad_id, NOW, ("sub", 0)) is Redemption.REFUSED
    assert open_code("first", bad_id) is None
