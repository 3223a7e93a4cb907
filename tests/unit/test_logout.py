"""RP-Initiated Logout 1.0 with Front- and Back-Channel Logout 1.0, and Session Management
1.0's session_state and check-session iframe."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.support.browser import BASE
from tests.unit.conftest import REDIRECT_URI
from tests.unit.flows import ISSUER, authorize, body, callback_params, log_in, redeem

LOGGED_OUT = "https://rp.example.com/logged-out"


class Receiver:
    """An RP's back-channel logout endpoint on a real socket: keeps what was posted, and
    answers with ``status``."""

    def __init__(self) -> None:
        received = self.received = []
        self.status = 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(parse_qs(self.rfile.read(length).decode()))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/backchannel"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def rp(tenant, receiver, dev_mode):
    """A client whose back-channel endpoint is on this machine, which its tenant allows (in
    local development only)."""
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": ["127.0.0.1"]})
    return client_admin.create_client(
        tenant.id,
        name="Acme Web",
        client_type="confidential",
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[LOGGED_OUT],
        frontchannel_logout_uri="https://rp.example.com/frontchannel",
        backchannel_logout_uri=receiver.url,
    )


def sign_in(http, browser, rp) -> dict:
    consent = log_in(browser, browser.follow(authorize(browser, rp[0].client_id, nonce="n")))
    return body(redeem(http, rp, callback_params(browser.submit(consent, "allow"))["code"]))


def end_session(browser, **params: str):
    return browser.get(f"{BASE}/acme/end-session", params)


def sessions(table_items) -> list[dict]:
    return [item for item in table_items() if item["sk"]["S"].startswith("session#")]


def test_logout_with_confirmation_notifies_every_channel(http, browser, rp, user, receiver, table_items, consumer):
    tokens = sign_in(http, browser, rp)
    sid = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]
    assert len(sessions(table_items)) == 1
    page = end_session(browser, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT, state="bye")
    assert page.status_code == 200 and b"Sign out?" in page.body and b"Acme Web" in page.body
    assert len(sessions(table_items)) == 1  # a GET alone logs nobody out

    done = browser.submit(page, "logout")
    assert done.status_code == 200 and b"You are signed out" in done.body
    assert sessions(table_items) == [] and "op_session" not in browser.cookies
    frame = f"https://rp.example.com/frontchannel?{urlencode({'iss': ISSUER, 'sid': sid})}"
    assert frame.replace("&", "&amp;").encode() in done.body
    assert "frame-src https://rp.example.com" in done.headers["Content-Security-Policy"]
    assert f"{LOGGED_OUT}?state=bye".encode() in done.body

    assert receiver.received == []  # queued: the logout did not wait for the RP
    assert consumer.drain() == 1 and consumer.outcomes == {"handled": 1}
    (posted,) = receiver.received
    token = posted["logout_token"][0]
    assert jwt.get_unverified_header(token)["typ"] == "logout+jwt"
    jwks = json.loads(http.get("/acme/jwks.json", headers={"host": "op.example.test"}).body)
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=rp[0].client_id, issuer=ISSUER)
    assert claims["sub"] == user.sub and claims["sid"] == sid and "nonce" not in claims
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}

    again = browser.follow(authorize(browser, rp[0].client_id))
    assert b"Sign in" in again.body  # the session is gone


def test_front_channel_frames_are_sandboxed_and_send_no_referrer(http, browser, rp, user):
    """The RP's page runs its script in its own origin (to clear its cookies and storage,
    Front-Channel Logout §2) and nothing more: no top navigation, forms or popups; and it does
    not learn the OP's URL beyond the iss and sid it is given."""
    sign_in(http, browser, rp)
    done = browser.submit(end_session(browser), "logout")
    (frame,) = re.findall(r"<iframe [^>]*>", done.body.decode())
    assert 'sandbox="allow-scripts allow-same-origin"' in frame and 'referrerpolicy="no-referrer"' in frame
    assert 'src="https://rp.example.com/frontchannel?' in frame


def test_staying_signed_in_keeps_the_session(http, browser, rp, user, table_items):
    sign_in(http, browser, rp)
    page = end_session(browser, client_id=rp[0].client_id, post_logout_redirect_uri=LOGGED_OUT)
    back = browser.submit(page, "stay")
    assert back.status_code == 302 and back.headers["Location"] == LOGGED_OUT
    assert len(sessions(table_items)) == 1 and "op_session" in browser.cookies
    stay = browser.submit(end_session(browser), "stay")  # with nowhere to go back to
    assert stay.status_code == 200 and b"You are still signed in" in stay.body


def test_without_a_session_the_browser_goes_straight_back(browser, rp):
    response = end_session(browser, client_id=rp[0].client_id, post_logout_redirect_uri=LOGGED_OUT, state="s")
    assert response.status_code == 302 and response.headers["Location"] == f"{LOGGED_OUT}?state=s"
    plain = end_session(browser)
    assert plain.status_code == 200 and b"You are signed out" in plain.body


def test_logout_page_form_is_csrf_protected(http, browser, rp, user, table_items):
    sign_in(http, browser, rp)
    page = end_session(browser)
    browser.cookies["op_csrf"] = "a" * 43
    assert browser.submit(page, "logout").status_code == 403
    assert len(sessions(table_items)) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": LOGGED_OUT},  # no client to check it against
        {"client_id": "nobody", "post_logout_redirect_uri": LOGGED_OUT},
        {"client_id": "{rp}", "post_logout_redirect_uri": "https://attacker.example/"},
        {"client_id": "{rp}", "post_logout_redirect_uri": LOGGED_OUT + "/"},
        {"id_token_hint": "not.a.token"},
    ],
)
def test_bad_logout_requests_are_shown_never_redirected(browser, rp, table_items, params):
    params = {name: value.replace("{rp}", rp[0].client_id) for name, value in params.items()}
    before = table_items()
    response = end_session(browser, **params)
    assert response.status_code == 400 and "Location" not in response.headers
    assert b"invalid_request" in response.body
    assert table_items() == before


def test_forged_or_foreign_id_token_hints_are_refused(http, browser, rp, tenant, user):
    tokens = sign_in(http, browser, rp)
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    from cryptography.hazmat.primitives.asymmetric import rsa

    forged = jwt.encode(claims, rsa.generate_private_key(65537, 2048), algorithm="RS256", headers={"kid": "x"})
    assert end_session(browser, id_token_hint=forged).status_code == 400
    other = client_admin.create_client(tenant.id, name="Other", client_type="public", redirect_uris=[REDIRECT_URI])
    mismatch = end_session(browser, id_token_hint=tokens["id_token"], client_id=other[0].client_id)
    assert mismatch.status_code == 400 and b"does not match" in mismatch.body


def test_an_expired_id_token_is_still_a_good_hint(http, browser, rp, user, monkeypatch):
    from chalicelib.web import routes

    tokens = sign_in(http, browser, rp)
    now = routes.clock()
    monkeypatch.setattr(routes, "clock", lambda: now + 3600)
    page = end_session(browser, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT)
    assert page.status_code == 200 and b"Sign out?" in page.body


def test_session_management_state_and_iframe(http, browser, rp, user, tenant):
    tenant_admin.update_settings(tenant.id, {"session_management_enable": True})
    consent = log_in(browser, browser.follow(authorize(browser, rp[0].client_id)))
    params = callback_params(browser.submit(consent, "allow"))
    state = browser.cookies["op_browser_state"]
    digest, salt = params["session_state"].split(".")
    origin = "https://rp.example.com"
    assert hashlib.sha256(f"{rp[0].client_id} {origin} {state} {salt}".encode()).hexdigest() == digest

    frame = browser.get(f"{BASE}/acme/check-session")
    assert frame.status_code == 200 and b"crypto.subtle.digest" in frame.body
    assert "frame-ancestors *" in frame.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in frame.headers

    done = browser.submit(end_session(browser), "logout")
    assert done.status_code == 200 and "op_browser_state" not in browser.cookies


def test_check_session_iframe_is_off_by_default(browser, tenant):
    assert browser.get(f"{BASE}/acme/check-session").status_code == 400


def test_cookies_are_scoped_and_flagged(http, browser, rp, user, tenant):
    tenant_admin.update_settings(tenant.id, {"session_management_enable": True})
    page = browser.follow(authorize(browser, rp[0].client_id))
    form = browser.submit(page, "login", username="alice", password="correct horse battery staple")
    cookies = form.headers["Set-Cookie"]
    session = next(c for c in cookies if c.startswith("op_session="))
    browser_state = next(c for c in cookies if c.startswith("op_browser_state="))
    assert "HttpOnly" in session and "Path=/acme" in session and "SameSite=Lax" in session
    assert "HttpOnly" not in browser_state  # the iframe's script reads it
    assert urlsplit(form.headers["Location"]).path == "/acme/consent"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://RP.example:443/cb", "https://rp.example"),
        ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"),
        ("http://[::1]:80/cb", "http://[::1]"),
        ("https://rp.example:8443/cb", "https://rp.example:8443"),
        ("com.example.app:/cb", "com.example.app:"),
        # Not valid URIs today (chalicelib.uris): no origin, so nothing reaches a CSP.
        ("https://user@rp.example:8443/cb", None),
        ("https://rp.example;frame-ancestors *;/cb", None),
    ],
)
def test_origins_are_serialized_as_browsers_do(uri, expected):
    from chalicelib.oidc.response_modes import origin

    assert origin(uri) == expected


def log_out(http, browser, rp) -> None:
    sign_in(http, browser, rp)
    done = browser.submit(end_session(browser), "logout")
    assert done.status_code == 200 and b"You are signed out" in done.body


def delivery_events(caplog) -> list[dict]:
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "oidc.events"]
    return [line for line in lines if line["event"] == "backchannel_logout"]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "delivered"), (204, "delivered"), (302, "rejected"), (400, "rejected"), (404, "rejected")],
)
def test_an_answer_below_500_is_final(http, browser, rp, user, receiver, consumer, caplog, status, outcome):
    receiver.status = status
    log_out(http, browser, rp)
    assert consumer.drain() == 1 and consumer.outcomes == {"handled": 1}  # deleted from the queue
    assert len(receiver.received) == 1 and consumer.in_flight() == 0
    (event,) = delivery_events(caplog)
    assert event == {"event": "backchannel_logout", "tenant": "acme", "client_id": rp[0].client_id,
                     "outcome": outcome, "status": status}  # fmt: skip


def test_a_server_error_is_retried_then_dead_lettered(http, browser, rp, user, receiver, consumer, caplog, aws):
    """5xx: the handler raises, the message comes back (here at once: no visibility timeout),
    a fresh token each time, and after 5 receives it moves to the dead-letter queue."""
    receiver.status = 503
    consumer.sqs.set_queue_attributes(QueueUrl=consumer.url, Attributes={"VisibilityTimeout": "0"})
    log_out(http, browser, rp)
    assert consumer.drain() == 5 and consumer.outcomes == {"raised": 5}
    tokens = [posted["logout_token"][0] for posted in receiver.received]
    assert len(tokens) == 5 and len(set(tokens)) == 5
    assert [event["outcome"] for event in delivery_events(caplog)] == ["retry"] * 5
    dead_letters = consumer.sqs.get_queue_url(QueueName=f"{consumer.queue_name}-dlq")["QueueUrl"]
    (dead,) = consumer.sqs.receive_message(QueueUrl=dead_letters)["Messages"]
    assert json.loads(dead["Body"])["client_id"] == rp[0].client_id and consumer.in_flight() == 0


def test_a_target_no_longer_allowed_is_refused_and_never_contacted(
    http, browser, rp, tenant, user, receiver, consumer, caplog
):
    log_out(http, browser, rp)
    tenant_admin.update_settings(tenant.id, {"outbound_allowed_hosts": []})  # the operator changed their mind
    assert consumer.drain() == 1 and consumer.outcomes == {"handled": 1}
    assert receiver.received == []
    (event,) = delivery_events(caplog)
    assert event["outcome"] == "refused" and event["reason"] == "the URL must be https"


def test_a_client_deleted_before_delivery_is_not_notified(http, browser, rp, tenant, user, receiver, consumer, caplog):
    log_out(http, browser, rp)
    client_admin.delete_client(tenant.id, rp[0].client_id)
    assert consumer.drain() == 1 and receiver.received == []
    assert [event["outcome"] for event in delivery_events(caplog)] == ["dropped"]


def test_queued_notices_carry_no_credential(http, browser, rp, tenant, user, receiver, consumer):
    """One message per client to notify, naming what the token needs: never the session's
    credential (the cookie), only the sid RPs see."""
    other = client_admin.create_client(
        tenant.id, name="Other", client_type="confidential", redirect_uris=[REDIRECT_URI],
        backchannel_logout_uri=receiver.url.replace("/backchannel", "/other"),
    )  # fmt: skip
    tokens = sign_in(http, browser, rp)
    callback_params(browser.submit(browser.follow(authorize(browser, other[0].client_id)), "allow"))
    credential = browser.cookies["op_session"].split(".")[0]  # the session id, before the sub
    browser.submit(end_session(browser), "logout")
    messages = consumer.sqs.receive_message(QueueUrl=consumer.url, MaxNumberOfMessages=10)["Messages"]
    notices = sorted((json.loads(message["Body"]) for message in messages), key=lambda n: n["client_id"])
    sid = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]
    assert [n["client_id"] for n in notices] == sorted([rp[0].client_id, other[0].client_id])
    for notice in notices:
        assert set(notice) == {"tenant", "issuer", "client_id", "sub", "sid", "logged_out_at"}
        assert (notice["tenant"], notice["issuer"], notice["sub"], notice["sid"]) == ("acme", ISSUER, user.sub, sid)
    assert len(credential) >= 22 and not any(credential in message["Body"] for message in messages)


# Issue 7 review, A: a self-registered (unverified) client's post-logout redirect is an open
# redirector's raw material, like its error responses (RFC 9700 §4.11.2): never automatic.
EVIL_BYE = "https://evil.example/bye"


def register_stranger(http, tenant, **metadata) -> dict:
    """A client registered anonymously (open registration), with a post-logout URI."""
    from tests.unit.test_registration import send

    tenant_admin.update_settings(tenant.id, {"client_registration": "open"})
    metadata = {"redirect_uris": [REDIRECT_URI], "client_name": "Stranger", "post_logout_redirect_uris": [EVIL_BYE],
                **metadata}  # fmt: skip
    response = send(http, "POST", "/acme/register", metadata)
    assert response.status_code == 201, response.body
    return json.loads(response.body)


@pytest.fixture
def stranger(http, tenant) -> dict:
    return register_stranger(http, tenant)


def assert_waits_for_the_user(page, heading: bytes, link: str) -> None:
    """The OP's signed-out page, not a redirect: no Location, no script to navigate, a
    "Continue to <host>" link carrying the very URL the redirect would have had."""
    text = page.body.decode()
    assert page.status_code == 200 and "Location" not in page.headers and heading in page.body
    assert "<script" not in text and "http-equiv" not in text.lower()
    assert "Unverified application" in text and "Continue only if you expected to go to" in text
    expected = f'<a class="button" href="{link}" rel="noreferrer">Continue to evil.example</a>'
    assert expected.replace("&", "&amp;") in text


def test_an_unverified_client_gets_no_redirect_from_a_browser_without_a_session(browser, stranger):
    """The reviewer's reproduction: register openly, send a victim to end-session."""
    response = end_session(browser, client_id=stranger["client_id"], post_logout_redirect_uri=EVIL_BYE, state="s")
    assert_waits_for_the_user(response, b"You are signed out", f"{EVIL_BYE}?state=s")


@pytest.mark.parametrize(
    ("decision", "heading"), [("logout", b"You are signed out"), ("stay", b"You are still signed in")]
)
def test_an_unverified_client_gets_no_redirect_after_the_confirmation(
    browser, stranger, user, table_items, decision, heading
):
    consent = log_in(browser, browser.follow(authorize(browser, stranger["client_id"])))
    callback_params(browser.submit(consent, "allow"))
    page = end_session(browser, client_id=stranger["client_id"], post_logout_redirect_uri=EVIL_BYE, state="s")
    assert page.status_code == 200 and b"Sign out?" in page.body
    # Nothing leaves the OP after the POST: the form may post to the OP alone.
    assert "form-action 'self';" in page.headers["Content-Security-Policy"]
    done = browser.submit(page, decision)
    assert_waits_for_the_user(done, heading, f"{EVIL_BYE}?state=s")
    assert len(sessions(table_items)) == (0 if decision == "logout" else 1)


def test_an_unverified_client_with_front_channel_frames_is_not_followed_either(http, browser, tenant, user):
    """With frames to load, a verified client's page goes on by script once they have
    loaded; an unverified client's page waits for the user all the same."""
    stranger = register_stranger(http, tenant, frontchannel_logout_uri="https://evil.example/fc")
    consent = log_in(browser, browser.follow(authorize(browser, stranger["client_id"])))
    callback_params(browser.submit(consent, "allow"))
    page = end_session(browser, client_id=stranger["client_id"], post_logout_redirect_uri=EVIL_BYE)
    done = browser.submit(page, "logout")
    assert_waits_for_the_user(done, b"You are signed out", EVIL_BYE)
    assert b'<iframe src="https://evil.example/fc?' in done.body


def test_once_verified_the_client_is_redirected_again(browser, tenant, stranger):
    client_admin.update_client(tenant.id, stranger["client_id"], verified=True)
    response = end_session(browser, client_id=stranger["client_id"], post_logout_redirect_uri=EVIL_BYE, state="s")
    assert response.status_code == 302 and response.headers["Location"] == f"{EVIL_BYE}?state=s"
