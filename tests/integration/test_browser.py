"""The pages in a real browser: headless Chromium (Debian's package) driven by Playwright.

Logs in, consents, declines, receives a form_post response (also of the hybrid flow), runs
single-page apps doing PKCE and the implicit flow from the browser against the token and
UserInfo endpoints (CORS), logs out (RP-initiated, with front-channel logout frames), asks
the session-management iframe, checks the pages work with JavaScript off, and writes
screenshots of every page at desktop and phone sizes."""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlencode

import jwt
import pytest
import requests

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration.conftest import ARTIFACTS, PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ARTIFACTS / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Flags for a machine with no outside network: no background connections Chromium would retry.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def browser_rp_client(tenant, rp, **fields):
    """A confidential client of the test's RP server, whose pages the browser loads."""
    return client_admin.create_client(
        tenant.id, name="Browser RP", client_type="confidential", redirect_uris=[f"{rp.origin}/callback"], **fields
    )


@pytest.fixture
def rp_client(tenant, rp):
    return browser_rp_client(tenant, rp, logo_uri="https://rp.example.com/logo.png")


@pytest.fixture
def rp_logout_client(tenant, rp):
    """An RP that signs its users out at the OP and takes them back to its own page."""
    return browser_rp_client(tenant, rp, post_logout_redirect_uris=[f"{rp.origin}/logged-out"])


@pytest.fixture
def frontchannel_client(tenant, rp):
    """The same, and it clears its own session in a front-channel logout frame."""
    return browser_rp_client(
        tenant,
        rp,
        post_logout_redirect_uris=[f"{rp.origin}/logged-out"],
        frontchannel_logout_uri=f"{rp.origin}/frontchannel",
    )


# The key backend does not change what a page does in a browser: tests of pages alone run on one.
one_backend = pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)


def authorize_url(issuer: str, client_id: str, redirect_uri: str, **extra: str) -> str:
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid profile email",
    }
    return f"{issuer}/authorize?{urlencode({**query, 'state': 'st', **extra})}"


def sign_in(page, username: str = "alice", password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()  # not "Sign in with a passkey"


def sign_in_to_rp(page, issuer: str, rp, client) -> dict:
    """Alice signs in to the RP in ``page`` (login, consent); the RP redeems the code it
    received and gets her tokens."""
    registered, secret = client
    page.goto(authorize_url(issuer, registered.client_id, f"{rp.origin}/callback", nonce="n"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    grant = {
        "grant_type": "authorization_code",
        "code": rp.received[-1]["code"],
        "redirect_uri": f"{rp.origin}/callback",
    }
    response = requests.post(f"{issuer}/token", data=grant, auth=(registered.client_id, secret), timeout=30)
    assert response.status_code == 200
    return response.json()


def console_of(page) -> list[str]:
    """What the browser reports on the console for the page and its frames (CSP violations,
    failed loads, script errors), but for the favicon it asks the OP for on its own."""
    messages: list[str] = []

    def keep(message) -> None:
        if not message.location.get("url", "").endswith("/favicon.ico"):
            messages.append(f"{message.type}: {message.text}")

    page.on("console", keep)
    page.on("pageerror", lambda error: messages.append(f"uncaught: {error}"))
    return messages


def end_session_url(issuer: str, **params: str) -> str:
    return f"{issuer}/end-session?{urlencode(params)}"


def test_login_and_consent_then_second_authorization_without_login(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    page = chromium.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    assert page.title().startswith("Sign in")
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["state"] == "st" and rp.received[-1]["iss"] == issuer and rp.received[-1]["code"]

    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", state="again"))
    page.wait_for_selector("#done")  # no login, no consent: straight back
    assert rp.received[-1]["state"] == "again" and rp.received[-1]["code"]
    page.close()


def test_wrong_password_then_enter_key_then_decline(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    page = chromium.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    sign_in(page, password="not the password")
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    assert page.get_by_label("Username").input_value() == "alice"
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # the default button signs in
    page.get_by_role("button", name="Decline").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["error"] == "access_denied" and rp.received[-1]["state"] == "st"
    page.close()


def test_form_post_response_submits_itself(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    page = chromium.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", response_mode="form_post"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert page.inner_text("#done") == "received by post"
    assert rp.received[-1]["code"] and rp.received[-1]["state"] == "st" and rp.received[-1]["iss"] == issuer
    page.close()


@one_backend
def test_hybrid_flow_posts_code_and_id_token(chromium, provider, issuer, tenant, rp, user):
    """``code id_token`` answered by form_post: the browser carries an ID token bound to the
    code (c_hash), and the code then redeems at the token endpoint."""
    import base64
    import hashlib

    client, secret = client_admin.create_client(
        tenant.id, name="Hybrid RP", client_type="confidential", redirect_uris=[f"{rp.origin}/callback"],
        response_types=["code id_token"],
    )  # fmt: skip
    page = chromium.new_page()
    extra = {"response_type": "code id_token", "response_mode": "form_post", "nonce": "hybrid-nonce"}
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", **extra))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert page.inner_text("#done") == "received by post"
    posted = rp.received[-1]
    assert posted["state"] == "st" and posted["iss"] == issuer and "access_token" not in posted
    keys = requests.get(f"{issuer}/jwks.json", timeout=10).json()["keys"]
    key = next(k for k in keys if k["kid"] == jwt.get_unverified_header(posted["id_token"])["kid"])
    claims = jwt.decode(posted["id_token"], jwt.PyJWK(key).key, algorithms=["RS256"], audience=client.client_id)
    digest = hashlib.sha256(posted["code"].encode()).digest()[:16]
    assert claims["c_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert claims["nonce"] == "hybrid-nonce" and claims["sub"] == user.sub
    grant = {"grant_type": "authorization_code", "code": posted["code"], "redirect_uri": f"{rp.origin}/callback"}
    tokens = requests.post(f"{issuer}/token", data=grant, auth=(client.client_id, secret), timeout=30).json()
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"] == user.sub
    page.close()


def test_single_page_app_with_pkce_and_cors(chromium, provider, issuer, tenant, rp, user):
    spa = client_admin.create_client(
        tenant.id, name="SPA", client_type="public", redirect_uris=[f"{rp.origin}/spa.html"]
    )[0]
    rp.spa_settings.update(issuer=issuer, client_id=spa.client_id)
    page = chromium.new_page()
    page.goto(f"{rp.origin}/spa.html")
    page.get_by_role("button", name="Sign in").click()
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_function("document.getElementById('out').textContent.length > 0")
    result = page.inner_text("#out")
    assert '"id_token":true' in result and '"name":"Alice Example"' in result
    page.close()


def test_pages_work_without_javascript(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["code"]
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots_of_every_page(chromium, issuer, rp, rp_client, user, size):
    client, _ = rp_client
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    page.screenshot(path=SCREENSHOTS / f"login-{size}.png", full_page=True)
    sign_in(page, password="not the password")
    page.screenshot(path=SCREENSHOTS / f"login-error-{size}.png", full_page=True)
    sign_in(page)
    page.get_by_role("button", name="Allow").wait_for()
    page.screenshot(path=SCREENSHOTS / f"consent-{size}.png", full_page=True)
    page.goto(f"{issuer}/authorize?client_id=unknown")
    assert "Something went wrong" in page.title()
    page.screenshot(path=SCREENSHOTS / f"error-{size}.png", full_page=True)
    context.close()
    for name in ("login", "login-error", "consent", "error"):
        assert (SCREENSHOTS / f"{name}-{size}.png").stat().st_size > 1000


def test_rp_initiated_logout_asks_then_stays_or_signs_out(chromium, issuer, rp, rp_logout_client, user):
    client, _ = rp_logout_client
    landing = f"{rp.origin}/logged-out?state=bye"
    context = chromium.new_context()
    page = context.new_page()
    tokens = sign_in_to_rp(page, issuer, rp, rp_logout_client)
    logout = end_session_url(
        issuer, id_token_hint=tokens["id_token"], post_logout_redirect_uri=f"{rp.origin}/logged-out", state="bye"
    )

    page.goto(logout)
    assert page.title() == "Sign out? · Interop"
    assert page.locator("p.lead").inner_text() == "Browser RP asks to sign you out of Interop."
    page.get_by_role("button", name="Stay signed in").click()
    page.wait_for_url(landing)
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", state="still"))
    page.wait_for_selector("#done")  # still signed in: no login page
    assert rp.received[-1]["state"] == "still" and rp.received[-1]["code"]

    page.goto(logout)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(landing)
    # The session cookie is gone; the device cookie stays: it signs nobody in, it only spares
    # this browser when strangers fill the account's limit of failed attempts.
    assert sorted(cookie["name"] for cookie in context.cookies()) == ["op_csrf", "op_device"]
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", state="after"))
    assert page.title() == "Sign in · Interop"
    assert [visit for visit in rp.visits if visit[0] == "/logged-out"] == [
        ("/logged-out", {"state": "bye"}, "document"),
        ("/logged-out", {"state": "bye"}, "document"),
    ]
    context.close()


@one_backend
def test_staying_signed_in_without_a_redirect_uri_does_not_say_signed_out(chromium, issuer, rp, rp_logout_client, user):
    client, _ = rp_logout_client
    page = chromium.new_page()
    sign_in_to_rp(page, issuer, rp, rp_logout_client)
    page.goto(end_session_url(issuer, client_id=client.client_id))
    page.get_by_role("button", name="Stay signed in").click()
    page.wait_for_url(f"{issuer}/end-session/confirm")
    shown = (page.title(), page.get_by_role("heading").inner_text())
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", state="still"))
    page.wait_for_selector("#done")  # the session was kept
    assert rp.received[-1]["state"] == "still" and rp.received[-1]["code"]
    page.close()
    assert shown == ("Still signed in · Interop", "You are still signed in")


@one_backend
def test_front_channel_logout_frame_then_back_to_the_rp(chromium, issuer, rp, frontchannel_client, user):
    context = chromium.new_context()
    page = context.new_page()
    console = console_of(page)
    tokens = sign_in_to_rp(page, issuer, rp, frontchannel_client)
    sid = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]
    page.goto(
        end_session_url(
            issuer, id_token_hint=tokens["id_token"], post_logout_redirect_uri=f"{rp.origin}/logged-out", state="bye"
        )
    )
    frames = []
    page.on("framenavigated", lambda frame: frames.append((frame.parent_frame and frame.parent_frame.url, frame.url)))
    already = len(rp.visits)
    with page.expect_response(f"{issuer}/end-session/confirm") as confirmed:
        page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{rp.origin}/logged-out?state=bye")

    assert confirmed.value.status == 200
    assert f"frame-src {rp.origin};" in confirmed.value.headers["content-security-policy"] + ";"
    # The signed-out page framed the RP's front-channel URI with the OP's issuer and the ID
    # token's sid, and only then sent the browser back to the RP.
    frontchannel = f"{rp.origin}/frontchannel?{urlencode({'iss': issuer, 'sid': sid})}"
    assert frames == [
        (None, f"{issuer}/end-session/confirm"),
        (f"{issuer}/end-session/confirm", frontchannel),
        (None, f"{rp.origin}/logged-out?state=bye"),
    ]
    assert rp.visits[already:] == [
        ("/frontchannel", {"iss": issuer, "sid": sid}, "iframe"),
        ("/logged-out", {"state": "bye"}, "document"),
    ]
    assert console == []
    context.close()


@one_backend
def test_session_management_iframe_answers_unchanged_then_changed(chromium, issuer, tenant, rp, rp_logout_client, user):
    tenant_admin.update_settings(tenant.id, {"session_management_enable": True})
    client, _ = rp_logout_client
    context = chromium.new_context()
    page = context.new_page()
    console = console_of(page)
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    session_state = rp.received[-1]["session_state"]

    rp.spa_settings.update(issuer=issuer)
    page.goto(f"{rp.origin}/session.html")
    ask = lambda message: page.evaluate("(message) => check(message)", message)  # noqa: E731
    assert ask(f"{client.client_id} {session_state}") == "unchanged"
    assert ask(f"another-client {session_state}") == "changed"
    assert ask("not a session check") == "error"

    other = context.new_page()  # the user signs out at the OP in another tab
    console_of_other = console_of(other)
    other.goto(end_session_url(issuer, client_id=client.client_id))
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_url(f"{issuer}/end-session/confirm")
    assert other.title() == "Signed out · Interop"
    assert ask(f"{client.client_id} {session_state}") == "changed"
    assert console == [] and console_of_other == []
    context.close()


@one_backend
def test_implicit_flow_single_page_app_reads_the_fragment(chromium, issuer, tenant, rp, user):
    spa = client_admin.create_client(
        tenant.id,
        name="Implicit SPA",
        client_type="public",
        redirect_uris=[f"{rp.origin}/implicit.html"],
        response_types=["id_token token"],
    )[0]
    rp.spa_settings.update(issuer=issuer, client_id=spa.client_id)
    page = chromium.new_page()
    page.goto(f"{rp.origin}/implicit.html")
    page.get_by_role("button", name="Sign in").click()
    sign_in(page)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_function("document.getElementById('out').textContent.length > 0")
    result = json.loads(page.inner_text("#out"))

    id_token = result.pop("id_token")
    assert result == {
        "query": "",  # the response came in the fragment, never to the RP's server
        "token_type": "Bearer",
        "iss": issuer,
        "state_matches": True,
        "nonce_matches": True,
        "at_hash_matches": True,
        "userinfo": {"sub": user.sub, "name": "Alice Example", "given_name": "Alice", "updated_at": user.updated_at},
    }
    assert page.url == f"{rp.origin}/implicit.html"
    key = jwt.PyJWKClient(f"{issuer}/jwks.json").get_signing_key_from_jwt(id_token).key
    claims = jwt.decode(id_token, key, algorithms=["RS256"], audience=spa.client_id, issuer=issuer)
    assert claims["sub"] == user.sub
    # The app's page, then the same page with the response in the fragment, which the
    # browser never sends to the RP's server.
    assert rp.visits == [("/implicit.html", {}, "document"), ("/implicit.html", {}, "document")]
    page.close()


@one_backend
def test_logout_works_without_javascript(chromium, issuer, rp, frontchannel_client, user):
    client, _ = frontchannel_client
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    tokens = sign_in_to_rp(page, issuer, rp, frontchannel_client)
    sid = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]
    page.goto(
        end_session_url(
            issuer, id_token_hint=tokens["id_token"], post_logout_redirect_uri=f"{rp.origin}/logged-out", state="bye"
        )
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{issuer}/end-session/confirm")  # loaded, with its frames

    assert page.title() == "Signed out · Interop"
    assert page.get_by_role("heading").inner_text() == "You are signed out"
    back = page.get_by_role("link")
    assert back.inner_text() == "Return to Browser RP"
    assert back.get_attribute("href") == f"{rp.origin}/logged-out?state=bye"
    assert rp.visits[-1] == ("/frontchannel", {"iss": issuer, "sid": sid}, "iframe")  # frames need no script
    back.click()
    page.wait_for_url(f"{rp.origin}/logged-out?state=bye")
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    assert page.title() == "Sign in · Interop"
    context.close()


@one_backend
def test_screenshots_of_the_logout_pages(chromium, issuer, tenant, rp, rp_logout_client, user):
    branding = {"display_name": "Acme", "logo_uri": f"{rp.origin}/logo.svg", "primary_color": "#0b7a53"}
    tenant_admin.update_settings(tenant.id, {"branding": branding})
    client, _ = rp_logout_client
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page()

    def shoot(name: str) -> None:
        # Both sizes from one sign-in: the viewport changes, the session stays.
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.screenshot(path=SCREENSHOTS / f"{name}-{size}.png", full_page=True)
            assert (SCREENSHOTS / f"{name}-{size}.png").stat().st_size > 1000

    sign_in_to_rp(page, issuer, rp, rp_logout_client)
    page.goto(end_session_url(issuer, client_id=client.client_id))
    assert page.title() == "Sign out? · Acme"
    # The tenant's logo beside its name (the logo is decorative there: alt="", not read twice).
    assert page.locator("#tenant-brand").inner_text().strip() == "Acme"
    assert page.locator("#tenant-brand img").evaluate("img => img.alt === '' && img.naturalWidth > 0")
    shoot("logout")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{issuer}/end-session/confirm")
    assert page.title() == "Signed out · Acme"  # no post_logout_redirect_uri: the OP's own page stays
    shoot("logged-out")
    page.close()
