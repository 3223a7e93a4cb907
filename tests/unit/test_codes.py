"""Sealed authorization codes: unreadable, unalterable, bound to their tenant; redeemed once,
in one write that also stores the grant."""

from __future__ import annotations

import json

import pytest

from chalicelib.oidc.codes import AuthorizationCode, mint_code, open_code, redeemable
from chalicelib.oidc.pkce import s256
from chalicelib.opaque import b64url_decode
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import obtain_code, redeem

NOW = 1_800_000_000
VERIFIER = "v" * 43
RECORD = AuthorizationCode(
    "gid-1", "web", REDIRECT_URI, "sub-1", "openid", "sid-1", NOW, NOW, NOW + 600, "the-nonce", s256(VERIFIER), "S256"
)


def test_a_code_reveals_nothing_and_opens_only_for_its_tenant(tenant):
    code = mint_code("acme", RECORD)
    raw = b64url_decode(code)
    assert all(secret.encode() not in raw for secret in ("sub-1", "the-nonce", "gid-1", REDIRECT_URI))
    assert open_code("acme", code) == RECORD
    assert open_code("other", code) is None
    flipped = code[:20] + ("A" if code[20] != "A" else "B") + code[21:]
    assert open_code("acme", flipped) is None
    assert mint_code("acme", RECORD) != code  # a fresh nonce each time


@pytest.mark.parametrize(
    ("client_id", "redirect_uri", "verifier", "now", "ok"),
    [
        ("web", REDIRECT_URI, VERIFIER, NOW, True),
        ("other", REDIRECT_URI, VERIFIER, NOW, False),
        ("web", REDIRECT_URI + "x", VERIFIER, NOW, False),
        ("web", REDIRECT_URI, "w" * 43, NOW, False),
        ("web", REDIRECT_URI, None, NOW, False),  # a challenge needs its verifier
        ("web", REDIRECT_URI, VERIFIER, NOW + 600, False),  # expired
    ],
)
def test_a_token_request_is_checked_against_the_code(client_id, redirect_uri, verifier, now, ok):
    assert redeemable(RECORD, client_id, redirect_uri, verifier, now) is ok


def test_a_verifier_for_a_code_without_challenge_is_refused():
    plain = AuthorizationCode("g", "web", REDIRECT_URI, "s", "openid", "sid", NOW, NOW, NOW + 600)
    assert redeemable(plain, "web", REDIRECT_URI, None, NOW)
    assert not redeemable(plain, "web", REDIRECT_URI, VERIFIER, NOW)


def test_an_altered_code_is_refused_and_writes_nothing(http, browser, client, user, table_items):
    code = obtain_code(browser, client[0].client_id)
    before = table_items()
    altered = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")
    response = redeem(http, client, altered)
    assert response.status_code == 400 and json.loads(response.body)["error"] == "invalid_grant"
    assert table_items() == before
    assert redeem(http, client, code).status_code == 200
