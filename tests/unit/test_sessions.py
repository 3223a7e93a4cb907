"""Session credentials stay in the cookie: not in URLs, not in the table; a new one at every
login. Clients that cannot prove who they are get no silent consent. Tokens die with their
client."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from chalicelib.admin import clients as client_admin
from chalicelib.opaque import b64url_decode, digest
from tests.support.browser import Browser
from tests.unit.flows import authorize, callback_params, log_in, obtain_code, redeem


def credential(browser: Browser) -> str:
    return browser.cookies["op_session"].split(".")[0]


def test_no_session_credential_in_urls_or_in_the_table(browser, client, user, table_items):
    login_page = browser.follow(authorize(browser, client[0].client_id))
    submitted = browser.submit(login_page, "login", username="alice", password="correct horse battery staple")
    consent_url = submitted.headers["Location"]
    secret = credential(browser)
    assert secret not in consent_url and digest(secret) not in consent_url
    ticket = parse_qs(urlsplit(consent_url).query)["ticket"][0]
    payload = json.loads(b64url_decode(ticket.split(".")[0]))
    # A reference, no credential, no key (and the account's name, which the page shows).
    assert set(payload) == {"p", "ref", "sub", "at", "ep", "amr", "un", "use", "iat"}

    callback_params(browser.submit(browser.follow(submitted), "allow"))
    dump = json.dumps(table_items())
    assert secret not in dump  # the session is stored under its digest...
    sessions = [item for item in table_items() if item["sk"]["S"].startswith("session#")]
    assert [item["sk"]["S"] for item in sessions] == ["session#" + digest(secret)]
    codes = [item for item in table_items() if item["sk"]["S"].startswith("code#")]
    assert set(codes[0]) == {"pk", "sk", "kind", "ttl"}  # a code's item holds only its expiry


def test_a_cookie_rebuilt_from_the_table_or_a_ticket_gets_nothing(browser, client, user, table_items):
    obtain_code(browser, client[0].client_id)
    stored = next(item for item in table_items() if item["sk"]["S"].startswith("session#"))
    key, sub = stored["sk"]["S"].removeprefix("session#"), browser.cookies["op_session"].split(".")[1]
    thief = Browser(browser.http)
    thief.cookies["op_session"] = f"{key}.{sub}"
    assert callback_params(authorize(thief, client[0].client_id, prompt="none"))["error"] == "login_required"


def test_every_login_gets_a_new_credential_and_ends_the_previous_session(browser, client, user):
    obtain_code(browser, client[0].client_id)
    first = browser.cookies["op_session"]
    log_in(browser, browser.follow(authorize(browser, client[0].client_id, prompt="login")))
    assert browser.cookies["op_session"] != first
    replay = Browser(browser.http)
    replay.cookies["op_session"] = first
    assert callback_params(authorize(replay, client[0].client_id, prompt="none"))["error"] == "login_required"


def test_a_planted_session_cookie_is_replaced_at_login(browser, client, user):
    browser.cookies["op_session"] = "A" * 43 + ".YWxpY2U"  # fixation: a value the attacker chose
    obtain_code(browser, client[0].client_id)
    assert not browser.cookies["op_session"].startswith("A" * 43)


def test_a_public_client_is_asked_for_consent_every_time(browser, public_client, user):
    """RFC 8252 §8.6: whoever answers on a loopback port could be the app. With a remembered
    consent, prompt=none got a code for any port; now it gets consent_required."""
    challenge = {"code_challenge": "c" * 43, "code_challenge_method": "plain"}
    first = authorize(browser, public_client.client_id, redirect_uri="http://127.0.0.1:5000/callback", **challenge)
    consent = log_in(browser, browser.follow(first))
    callback_params(browser.submit(consent, "allow"), "http://127.0.0.1:5000/callback")
    other_port = "http://127.0.0.1:6666/callback"
    again = browser.follow(authorize(browser, public_client.client_id, redirect_uri=other_port, **challenge))
    assert again.status_code == 200 and b"Allow" in again.body
    silent = authorize(browser, public_client.client_id, redirect_uri=other_port, prompt="none", **challenge)
    assert callback_params(silent, other_port)["error"] == "consent_required"


def test_a_confidential_client_still_reuses_consent(browser, client, user):
    obtain_code(browser, client[0].client_id)
    assert "code" in callback_params(authorize(browser, client[0].client_id, prompt="none"))


def test_a_deleted_clients_tokens_die_at_userinfo_and_introspection(http, browser, client, tenant, user):
    from tests.unit.test_grants_and_tokens import introspect, userinfo

    tokens = json.loads(redeem(http, client, obtain_code(browser, client[0].client_id)).body)
    api = client_admin.create_client(
        tenant.id,
        name="API",
        client_type="confidential",
        response_types=[],
        grant_types=["client_credentials"],
        scopes=["token_introspection", client[0].client_id],
    )
    assert userinfo(http, tokens["access_token"]).status_code == 200
    assert introspect(http, tokens["refresh_token"], api)["active"] is True
    client_admin.delete_client(tenant.id, client[0].client_id)
    assert userinfo(http, tokens["access_token"]).status_code == 401
    assert introspect(http, tokens["access_token"], api) == {"active": False}
    assert introspect(http, tokens["refresh_token"], api) == {"active": False}


def test_a_public_implicit_client_on_loopback_gets_no_tokens_on_another_port_nor_silently(browser, tenant, user):
    """Tokens in a fragment go to whatever program listens on the port: the port may vary
    only for the code flow (whose code needs the app's PKCE verifier), and a native app's
    consent is asked for every time, in every flow."""
    app, _ = client_admin.create_client(
        tenant.id,
        name="Desktop",
        client_type="public",
        response_types=["id_token token"],
        redirect_uris=["http://127.0.0.1/callback"],
    )
    params = {"response_type": "id_token token", "nonce": "n"}
    other_port = browser.follow(
        authorize(browser, app.client_id, redirect_uri="http://127.0.0.1:4444/callback", **params)
    )
    assert other_port.status_code == 400 and b"redirect_uri" in other_port.body  # shown at the OP, never sent there
    consent = log_in(
        browser, browser.follow(authorize(browser, app.client_id, redirect_uri="http://127.0.0.1/callback", **params))
    )
    callback_params(browser.submit(consent, "allow"), "http://127.0.0.1/callback")
    again = authorize(browser, app.client_id, redirect_uri="http://127.0.0.1/callback", prompt="none", **params)
    assert callback_params(again, "http://127.0.0.1/callback")["error"] == "consent_required"


def test_a_public_implicit_client_on_localhost_is_asked_every_time(browser, tenant, user):
    """An http redirect URI may only name this machine (localhost as much as 127.0.0.1): any
    local program can answer there, so consent is never taken silently."""
    spa, _ = client_admin.create_client(
        tenant.id,
        name="Local SPA",
        client_type="public",
        redirect_uris=["http://localhost:3000/cb"],
        response_types=["id_token"],
    )
    params = {"response_type": "id_token", "nonce": "n", "redirect_uri": "http://localhost:3000/cb"}
    consent = log_in(browser, browser.follow(authorize(browser, spa.client_id, **params)))
    callback_params(browser.submit(consent, "allow"), "http://localhost:3000/cb")
    again = browser.follow(authorize(browser, spa.client_id, **params))
    assert again.status_code == 200 and b"Allow" in again.body
