"""The authorization code flow through the routes, as a browser and an RP drive it."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from tests.support.forms import only_form
from tests.unit.conftest import PASSWORD, REDIRECT_URI
from tests.unit.flows import ISSUER, authorize, callback_params, log_in, redeem


def verify_id_token(http, token: str, audience: str) -> dict:
    jwks = json.loads(http.get("/acme/jwks.json", headers={"host": "op.example.test"}).body)
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=audience, issuer=ISSUER)


def test_login_consent_token_userinfo_refresh(http, browser, client, user):
    consent = log_in(
        browser,
        browser.follow(authorize(browser, client[0].client_id, scope="openid profile email", state="s1", nonce="n1")),
    )
    assert consent.status_code == 200
    page = consent.body.decode()
    assert "Acme Web" in page and "Basic profile" in page and "Your email address" in page
    params = callback_params(browser.submit(consent, "allow"))
    assert params["state"] == "s1" and params["iss"] == ISSUER

    response = redeem(http, client, params["code"])
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    tokens = json.loads(response.body)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    claims = verify_id_token(http, tokens["id_token"], client[0].client_id)
    assert claims["sub"] == user.sub != "alice"
    assert claims["nonce"] == "n1" and claims["auth_time"] <= claims["iat"]
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()

    info = http.get(
        "/acme/userinfo", headers={"host": "op.example.test", "authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200
    assert json.loads(info.body) == {
        "sub": user.sub,
        "name": "Alice Example",
        "email": "alice@example.com",
        "email_verified": True,
        "updated_at": user.updated_at,
    }
    assert info.headers["Access-Control-Allow-Origin"] == "*"

    refreshed = http.post(
        "/acme/token",
        headers={"host": "op.example.test", "content-type": "application/x-www-form-urlencoded"},
        body=f"grant_type=refresh_token&refresh_token={tokens['refresh_token']}&client_id={client[0].client_id}&client_secret={client[1]}",
    )
    assert refreshed.status_code == 200
    renewed = json.loads(refreshed.body)
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert verify_id_token(http, renewed["id_token"], client[0].client_id)["sub"] == user.sub


def test_userinfo_by_post_form_releases_only_granted_scopes(http, browser, client, user):
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id, scope="openid email")))
    tokens = json.loads(redeem(http, client, callback_params(browser.submit(consent, "allow"))["code"]).body)
    info = http.post(
        "/acme/userinfo",
        headers={"host": "op.example.test", "content-type": "application/x-www-form-urlencoded"},
        body=f"access_token={tokens['access_token']}",
    )
    assert json.loads(info.body) == {"sub": user.sub, "email": "alice@example.com", "email_verified": True}


def test_second_authorization_in_the_same_browser_needs_no_login_or_consent(browser, client, user):
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)))
    callback_params(browser.submit(consent, "allow"))
    again = callback_params(authorize(browser, client[0].client_id, prompt="none", state="s2"))
    assert again["state"] == "s2" and "code" in again


def test_prompt_none_without_session_is_login_required(browser, client, user):
    params = callback_params(authorize(browser, client[0].client_id, prompt="none", state="s3"))
    assert params == {
        "error": "login_required",
        "error_description": params["error_description"],
        "state": "s3",
        "iss": ISSUER,
    }


def test_prompt_none_without_consent_is_consent_required(browser, client, user):
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)))
    assert b"Allow" in consent.body  # logged in, consent not given
    params = callback_params(authorize(browser, client[0].client_id, prompt="none"))
    assert params["error"] == "consent_required"


def test_declining_consent_sends_access_denied(browser, client, user, table_items):
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id, state="s4")))
    before = table_items()
    params = callback_params(browser.submit(consent, "decline"))
    assert params["error"] == "access_denied" and params["state"] == "s4"
    assert table_items() == before


def test_cancelling_login_sends_access_denied(browser, client, user):
    page = browser.follow(authorize(browser, client[0].client_id))
    params = callback_params(browser.submit(page, "cancel"))
    assert params["error"] == "access_denied"


def test_wrong_password_shows_the_form_again_and_writes_only_the_limit_counters(browser, client, user, table_items):
    page = browser.follow(authorize(browser, client[0].client_id))
    before = table_items(limits=True)
    again = browser.submit(page, "login", username="alice", password="wrong password")
    assert again.status_code == 401 and b"Wrong username or password" in again.body
    assert only_form(again.body.decode()).fields["ticket"]
    unknown = browser.submit(page, "login", username="mallory", password="whatever it is")
    assert unknown.status_code == 401 and b"Wrong username or password" in unknown.body
    after = table_items(limits=True)
    changed = [item for item in after if item not in before]
    # The source's counter, and one per account, the unknown one exactly like alice's.
    assert len(changed) == 3 and all(item["sk"]["S"].startswith("limit#") for item in changed)
    assert [item for item in after if not item["sk"]["S"].startswith("limit#")] == before
    assert "alice" not in json.dumps(changed) and "mallory" not in json.dumps(changed)
    assert "op_session" not in browser.cookies


def test_login_without_csrf_token_is_refused(browser, client, user, table_items):
    page = browser.follow(authorize(browser, client[0].client_id))
    form = only_form(page.body.decode())
    before = table_items()
    forged = browser.post(
        form.action, {**form.submission("login", username="alice", password=PASSWORD), "csrf_token": "forged"}
    )
    assert forged.status_code == 403 and b"expired" in forged.body
    del browser.cookies["op_csrf"]
    cookieless = browser.post(form.action, form.submission("login", username="alice", password=PASSWORD))
    assert cookieless.status_code == 403
    assert table_items() == before


def test_consent_is_remembered_and_prompt_consent_asks_again(browser, client, user):
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id, scope="openid profile")))
    callback_params(browser.submit(consent, "allow"))
    # A new browser: logs in, but the consent is remembered.
    browser.cookies.clear()
    direct = log_in(browser, browser.follow(authorize(browser, client[0].client_id, scope="openid profile")))
    assert "code" in callback_params(direct)
    # A scope not consented to yet, or prompt=consent, shows the page again.
    assert browser.follow(authorize(browser, client[0].client_id, scope="openid email")).status_code == 200
    assert b"Allow" in browser.follow(authorize(browser, client[0].client_id, prompt="consent")).body


def test_prompt_login_and_max_age_ask_for_the_password_again(browser, client, user, monkeypatch):
    from chalicelib.web import routes

    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)))
    callback_params(browser.submit(consent, "allow"))
    first_session = browser.cookies["op_session"]
    page = browser.follow(authorize(browser, client[0].client_id, prompt="login"))
    assert b"Sign in" in page.body
    assert "code" in callback_params(log_in(browser, page))
    assert browser.cookies["op_session"] != first_session  # a new session id at every login

    now = routes.clock()
    monkeypatch.setattr(routes, "clock", lambda: now + 120)
    assert b"Sign in" in browser.follow(authorize(browser, client[0].client_id, max_age="60")).body
    assert "code" in callback_params(authorize(browser, client[0].client_id, max_age="600"))
    assert b"Sign in" in browser.follow(authorize(browser, client[0].client_id, max_age="0")).body


def test_public_client_with_pkce(http, browser, public_client, user):
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:51234/callback"  # RFC 8252: any loopback port
    page = browser.follow(
        browser.get(
            f"{ISSUER}/authorize",
            {
                "client_id": public_client.client_id,
                "redirect_uri": redirect,
                "response_type": "code",
                "scope": "openid",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
    )
    consent = log_in(browser, page)
    location = browser.submit(consent, "allow").headers["Location"]
    assert location.startswith(redirect)
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = http.post(
        "/acme/token",
        headers={"host": "op.example.test", "content-type": "application/x-www-form-urlencoded"},
        body=f"grant_type=authorization_code&code={code}&redirect_uri={redirect}&client_id={public_client.client_id}&code_verifier={verifier}",
    )
    assert response.status_code == 200, response.body
    assert "id_token" in json.loads(response.body)


@pytest.mark.parametrize("mode", ["fragment", "form_post"])
def test_response_modes(browser, client, user, mode):
    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id, response_mode=mode, state="s5")))
    response = browser.submit(consent, "allow")
    if mode == "fragment":
        location = response.headers["Location"]
        params = parse_qs(urlsplit(location).fragment)
        assert location.startswith(REDIRECT_URI + "#") and params["state"] == ["s5"] and params["code"]
    else:
        assert response.status_code == 200
        form = only_form(response.body.decode())
        assert form.action == REDIRECT_URI and form.method == "post"
        assert form.fields["state"] == "s5" and form.fields["iss"] == ISSUER and form.fields["code"]
        assert REDIRECT_URI.rsplit("/", 1)[0] in response.headers["Content-Security-Policy"]


def test_pages_carry_security_headers(browser, client, user):
    page = browser.follow(authorize(browser, client[0].client_id))
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_authorization_request_by_post(http, browser, client, user):
    form = {"client_id": client[0].client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    response = browser.post(f"{ISSUER}/authorize", form)
    assert response.status_code == 302 and "/acme/login?ticket=" in response.headers["Location"]
    consent = log_in(browser, browser.follow(response))
    assert "code" in callback_params(browser.submit(consent, "allow"))


def test_consent_page_shows_the_client_logo_and_links(browser, tenant, user):
    from chalicelib.admin.clients import create_client

    registered, _ = create_client(
        tenant.id,
        name="Logo <App>",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        logo_uri="https://rp.example.com/logo.png",
        website_url="https://rp.example.com/",
        terms_url="https://rp.example.com/privacy",
    )
    page = log_in(browser, browser.follow(authorize(browser, registered.client_id))).body.decode()
    assert '<img src="https://rp.example.com/logo.png"' in page
    assert "Logo &lt;App&gt;" in page and "<App>" not in page  # escaped
    assert 'href="https://rp.example.com/privacy"' in page


def test_confidential_client_without_require_consent_skips_the_page(http, browser, tenant, user):
    from chalicelib.admin.clients import create_client

    registered, _ = create_client(
        tenant.id, name="First party", client_type="confidential", redirect_uris=[REDIRECT_URI], require_consent=False
    )
    response = log_in(browser, browser.follow(authorize(browser, registered.client_id)))
    assert "code" in callback_params(response)  # straight back to the client


def test_public_client_asks_even_with_require_consent_off(browser, tenant, user):
    from chalicelib.admin.clients import create_client

    registered, _ = create_client(
        tenant.id, name="SPA", client_type="public", redirect_uris=[REDIRECT_URI], require_consent=False
    )
    page = log_in(
        browser,
        browser.follow(
            authorize(browser, registered.client_id, code_challenge="c" * 43, code_challenge_method="plain")
        ),
    )
    assert b"Allow" in page.body  # the seed: require_consent applies to confidential clients only


def test_reuse_consent_off_asks_every_time(browser, tenant, user):
    from chalicelib.admin.clients import create_client

    registered, _ = create_client(
        tenant.id, name="Careful", client_type="confidential", redirect_uris=[REDIRECT_URI], reuse_consent=False
    )
    consent = log_in(browser, browser.follow(authorize(browser, registered.client_id)))
    callback_params(browser.submit(consent, "allow"))
    assert b"Allow" in browser.follow(authorize(browser, registered.client_id)).body


def test_es256_client_and_claims_in_the_id_token(http, browser, tenant, user):
    from chalicelib.admin.clients import create_client
    from chalicelib.admin.keys import rotate_key
    from chalicelib.admin.tenants import update_settings

    rotate_key(tenant.id, "ES256")
    update_settings(tenant.id, {"idtoken_include_claims": True})
    registered, secret = create_client(
        tenant.id,
        name="EC",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        id_token_signed_response_alg="ES256",
    )
    consent = log_in(browser, browser.follow(authorize(browser, registered.client_id, scope="openid email")))
    code = callback_params(browser.submit(consent, "allow"))["code"]
    tokens = json.loads(redeem(http, (registered, secret), code).body)
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "ES256"
    jwks = json.loads(http.get("/acme/jwks.json", headers={"host": "op.example.test"}).body)
    key = next(k for k in jwks["keys"] if k["kid"] == jwt.get_unverified_header(tokens["id_token"])["kid"])
    claims = jwt.decode(tokens["id_token"], jwt.PyJWK(key).key, algorithms=["ES256"], audience=registered.client_id)
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is True
    assert "name" not in claims  # profile was not granted


def test_sessions_and_consents_expire_before_ttl_deletes_them(browser, client, user, monkeypatch):
    from chalicelib.web import routes

    consent = log_in(browser, browser.follow(authorize(browser, client[0].client_id)))
    callback_params(browser.submit(consent, "allow"))
    now = routes.clock()
    monkeypatch.setattr(routes, "clock", lambda: now + 14 * 86400 + 1)  # session_expire
    page = browser.follow(authorize(browser, client[0].client_id))
    assert b"Sign in" in page.body  # the session is over, though its item is still stored
    assert "code" in callback_params(log_in(browser, page))  # the consent is still remembered

    monkeypatch.setattr(routes, "clock", lambda: now + 90 * 86400 + 1)  # skip_consent_expire
    browser.cookies.clear()
    assert b"Allow" in log_in(browser, browser.follow(authorize(browser, client[0].client_id))).body
