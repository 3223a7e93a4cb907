"""The tenant admin console through the app's routes: signing in through the tenant's own
OpenID flow, who may enter, CSRF and stale forms, and each page's actions (their effect in
the table and their audit events).

The deployment is https here (``https_issuer``): the console client's redirect URI is the
provider's own, which must be https outside this machine, and the console cookie's
attributes (Secure) are checked as a deployment sets them."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.admin import clients as client_admin
from chalicelib.admin import keys as key_admin
from chalicelib.admin import users as user_admin
from chalicelib.console import signin
from chalicelib.opaque import digest
from chalicelib.settings import settings
from tests.support.browser import Browser
from tests.support.forms import Form, parse_forms
from tests.unit import flows
from tests.unit.conftest import PASSWORD

ISSUER = "https://op.example.test/acme"
CONSOLE = f"{ISSUER}/console"


@pytest.fixture(autouse=True)
def https_issuer(monkeypatch):
    from chalicelib.web import routes

    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url="https://op.example.test"))


@pytest.fixture
def admin_user(tenant):
    user_admin.create_user(tenant.id, "root", PASSWORD, {"name": "Root Admin"})
    return user_admin.update_user(tenant.id, "root", admin=True)


@pytest.fixture
def console(http, admin_user):
    """A browser signed in to the console as the tenant's administrator."""
    browser = Browser(http)
    page = sign_in(browser, "root")
    assert page.status_code == 200 and b"<h1>Clients</h1>" in page.body, page.body[:500]
    return browser


def sign_in(browser: Browser, username: str):
    """Open the console, sign in on the tenant's login page, and land where it sends us."""
    page = browser.follow(browser.get(f"{CONSOLE}/clients"))
    return flows.log_in(browser, page, username=username)


def form_of(page, action: str, button: str | None = None) -> Form:
    """The page's form that posts to ``action`` (and has ``button``)."""
    found = [
        form
        for form in parse_forms(page.body.decode())
        if form.action == f"{CONSOLE}{action}" and (button is None or button in {value for _, value in form.buttons})
    ]
    assert found, f"no form for {action} {button}"
    return found[0]


def submit(browser: Browser, page, action: str, button: str | None = None, **values: str):
    form = form_of(page, action, button)
    return browser.post(form.action, form.submission(button, **values))


def audit(table_items) -> list[dict]:
    return [item for item in table_items() if item["sk"]["S"].startswith("audit#")]


def console_sessions(table_items) -> list[dict]:
    return [item for item in table_items() if item["sk"]["S"].startswith("console-session#")]


def test_without_a_session_every_page_sends_the_browser_to_sign_in(http, tenant, table_items):
    browser = Browser(http)
    for path in ("/clients", "/users", "/settings", "/keys", "/events"):
        response = browser.get(f"{CONSOLE}{path}")
        assert response.status_code == 302 and response.headers["Location"] == f"{CONSOLE}/signin?back={path[1:]}"
    for path in ("/user?username=x", "/client?client_id=x", "/new-user"):
        assert browser.get(f"{CONSOLE}{path}").headers["Location"] == f"{CONSOLE}/signin"
    start = browser.get(f"{CONSOLE}/signin")
    location = urlsplit(start.headers["Location"])
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert f"https://{location.netloc}{location.path}" == f"{ISSUER}/authorize"
    assert query["client_id"] == "console" and query["redirect_uri"] == f"{CONSOLE}/callback"
    assert query["code_challenge_method"] == "S256" and query["state"] and query["nonce"]
    # A challenge, never the verifier.
    assert query["code_challenge"] != signin.CONSOLE.verifier(tenant.id, query["state"])
    flow = browser.cookies[signin.FLOW_COOKIE]
    assert flow == f"{query['state']}.{query['nonce']}."
    cookie = next(c for c in start.headers["Set-Cookie"] if c.startswith(signin.FLOW_COOKIE))
    assert "Path=/acme/console" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    # Only the console client was written: no session of any kind before a sign-in.
    assert [item["sk"]["S"] for item in table_items() if item["pk"]["S"] == "acme"] == ["client#console", "tenant"]


def test_an_administrator_signs_in_through_the_tenant_login(http, admin_user, table_items):
    browser = Browser(http)
    page = sign_in(browser, "root")
    assert page.status_code == 200 and b"<h1>Clients</h1>" in page.body
    assert b"Admin console" in page.body and b"built-in" in page.body  # the console's own client, listed
    credential = browser.cookies["op_console"]
    [stored] = console_sessions(table_items)
    assert stored["sk"]["S"] == f"console-session#{digest(credential)}"  # a digest, never the credential
    assert credential not in json.dumps(table_items())
    assert stored["sub"]["S"] == admin_user.sub and int(stored["ttl"]["N"]) > 0
    console_client = client_admin.get_client("acme", "console")
    assert console_client.secret_hash == digest(signin.CONSOLE.client_secret("acme"))
    assert console_client.redirect_uris == (f"{CONSOLE}/callback",) and not console_client.require_consent
    assert signin.FLOW_COOKIE not in browser.cookies  # spent


def test_the_console_cookie_is_http_only_secure_lax_and_scoped_to_the_console(http, admin_user):
    browser = Browser(http)
    page = browser.follow(browser.get(f"{CONSOLE}/signin"))
    callback = browser.submit(page, "login", username="root", password=PASSWORD)
    response = browser.get(callback.headers["Location"])
    [cookie] = [c for c in response.headers["Set-Cookie"] if c.startswith("op_console=")]
    attributes = {part.strip() for part in cookie.split(";")[1:]}
    assert attributes == {"Path=/acme/console", "HttpOnly", "SameSite=Lax", "Secure", "Max-Age=1800"}
    assert response.headers["Location"] == f"{CONSOLE}/clients"


def test_a_tenant_client_of_its_own_named_console_is_never_taken_over(http, admin_user, table_items):
    client_admin.create_client(
        "acme", name="Our console", client_type="confidential", client_id="console",
        redirect_uris=["https://ours.example/cb"],
    )  # fmt: skip
    before = table_items()
    response = Browser(http).get(f"{CONSOLE}/signin")
    assert response.status_code == 400 and b"has a client &#39;console&#39; of its own" in response.body
    assert table_items() == before


def test_the_console_client_follows_the_issuer(http, admin_user, monkeypatch):
    """A deployment that answers on a new name (PUBLIC_BASE_URL, or API Gateway's domain
    name) finds its console client's redirect URI added at the next sign-in, by a versioned
    update, and the old name's kept: sign-ins on the two names never undo each other (a
    stranger's request on one name cannot break an admin's sign-in on the other)."""
    Browser(http).get(f"{CONSOLE}/signin")
    old = "https://op.example.test/acme/console/callback"
    assert client_admin.get_client("acme", "console").redirect_uris == (old,)
    from chalicelib.web import routes

    first = routes.settings
    monkeypatch.setattr(routes, "settings", dataclasses.replace(settings, public_base_url="https://id.example.test"))
    moved = Browser(http, host="id.example.test").get("https://id.example.test/acme/console/signin")
    assert moved.status_code == 302
    both = (old, "https://id.example.test/acme/console/callback")
    assert client_admin.get_client("acme", "console").redirect_uris == both
    version = client_admin.get_client("acme", "console").version
    monkeypatch.setattr(routes, "settings", first)
    assert Browser(http).get(f"{CONSOLE}/signin").status_code == 302  # back on the first name
    assert client_admin.get_client("acme", "console").redirect_uris == both
    assert client_admin.get_client("acme", "console").version == version  # nothing written


@pytest.mark.parametrize(
    "back, lands",
    [("users", "/users"), ("events", "/events"), ("https://evil.example/", "/clients"), ("user", "/clients")],
)
def test_a_sign_in_returns_to_the_section_it_was_asked_for_and_nowhere_else(http, admin_user, back, lands):
    browser = Browser(http)
    page = browser.follow(browser.get(f"{CONSOLE}/signin", {"back": back}))
    callback = browser.submit(page, "login", username="root", password=PASSWORD)
    assert browser.get(callback.headers["Location"]).headers["Location"] == f"{CONSOLE}{lands}"


def test_a_user_who_is_not_an_administrator_gets_403(http, user, table_items):
    browser = Browser(http)
    page = sign_in(browser, "alice")
    assert page.status_code == 403
    assert b"only the tenant&#39;s administrators may use its console" in page.body
    assert "op_console" not in browser.cookies and console_sessions(table_items) == []


def test_a_demoted_administrator_is_out_at_the_next_click(console, admin_user):
    user_admin.update_user("acme", "root", admin=False)
    assert console.get(f"{CONSOLE}/users").status_code == 403
    user_admin.update_user("acme", "root", admin=True)
    user_admin.set_password("acme", "root", PASSWORD + "!")  # a new epoch ends the session
    assert console.get(f"{CONSOLE}/users").headers["Location"] == f"{CONSOLE}/signin?back=users"


@pytest.mark.parametrize(
    "cookie, state",
    [
        (None, "x" * 43),  # no sign-in was started in this browser
        ("a" * 43 + "." + "b" * 43 + ".", "c" * 43),  # another browser's state
        ("a" * 43 + "." + "b" * 43 + ".", "a" * 42 + "é"),  # not even ASCII
    ],
)
def test_a_callback_that_is_not_this_browsers_is_refused(http, admin_user, table_items, cookie, state):
    browser = Browser(http)
    if cookie:
        browser.cookies[signin.FLOW_COOKIE] = cookie
    response = browser.get(f"{CONSOLE}/callback", {"code": "whatever", "state": state, "iss": ISSUER})
    assert response.status_code == 400 and b"this sign-in has expired" in response.body
    assert console_sessions(table_items) == []


def test_a_code_for_another_client_does_not_open_the_console(http, admin_user, user, client, table_items):
    """The callback redeems the code as the console client: a code issued to another client
    (pasted in by an attacker who started the console's flow) is refused at the token step."""
    browser = Browser(http)
    start = browser.get(f"{CONSOLE}/signin")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    code = flows.obtain_code(Browser(http), client[0].client_id)
    response = browser.get(f"{CONSOLE}/callback", {"code": code, "state": state, "iss": ISSUER})
    assert response.status_code == 400 and console_sessions(table_items) == []


def test_forms_without_this_browsers_csrf_token_are_refused(console, table_items):
    before = table_items()
    response = console.post(f"{CONSOLE}/new-client", {"name": "Evil", "client_type": "public"})
    assert response.status_code == 403 and b"this form has expired" in response.body
    page = console.get(f"{CONSOLE}/new-client")
    form = form_of(page, "/new-client")
    forged = {**form.submission("save", name="Evil", redirect_uris="https://evil.example/cb"), "csrf_token": "x" * 43}
    assert console.post(form.action, forged).status_code == 403
    assert table_items() == before


def test_a_post_without_a_session_goes_to_sign_in_and_writes_nothing(console, table_items):
    page = console.get(f"{CONSOLE}/new-client")
    del console.cookies["op_console"]
    before = table_items()
    response = submit(console, page, "/new-client", "save", name="Web", redirect_uris="https://rp.example/cb")
    assert response.status_code == 302 and response.headers["Location"] == f"{CONSOLE}/signin"
    assert table_items() == before


def test_clients_are_created_edited_given_a_new_secret_and_deleted(console, table_items):
    page = console.get(f"{CONSOLE}/new-client")
    created = submit(console, page, "/new-client", "save", name="Shop", redirect_uris="https://shop.example/cb\n")
    assert created.status_code == 200 and b"shown only this once" in created.body
    client_id = _between(created.body, b'<code id="client-id">', b"</code>")
    secret = _between(created.body, b'<p class="secret" id="client-secret">', b"</p>")
    client = client_admin.get_client("acme", client_id)
    assert client.name == "Shop" and client.redirect_uris == ("https://shop.example/cb",)
    assert client.secret_hash == digest(secret) and secret not in json.dumps(table_items())

    edit = console.get(f"{CONSOLE}/client?client_id={client_id}")
    saved = submit(console, edit, "/client", "save", name="Shop 2", scopes="openid email")
    assert saved.headers["Location"] == f"{CONSOLE}/client?client_id={client_id}&done=client-saved"
    assert b"The client was saved." in console.get(saved.headers["Location"]).body
    assert client_admin.get_client("acme", client_id).scopes == ("openid", "email")

    rotated = submit(console, console.get(f"{CONSOLE}/client?client_id={client_id}"), "/client", "rotate")
    new_secret = _between(rotated.body, b'<p class="secret" id="client-secret">', b"</p>")
    assert new_secret != secret and client_admin.get_client("acme", client_id).secret_hash == digest(new_secret)

    confirm = submit(console, console.get(f"{CONSOLE}/client?client_id={client_id}"), "/client", "delete")
    assert confirm.status_code == 200 and b"This cannot be undone." in confirm.body
    assert client_admin.get_client("acme", client_id).name == "Shop 2"  # not yet
    deleted = submit(console, confirm, "/client", "delete")
    assert deleted.headers["Location"] == f"{CONSOLE}/clients?done=client-deleted"
    assert not any(item["sk"]["S"] == f"client#{client_id}" for item in table_items())
    events = [
        (item["event"]["S"], json.loads(item["fields"]["S"]).get("client_id"))
        for item in audit(table_items)
        if item["event"]["S"] != "console_signed_in"
    ]
    assert sorted(events) == sorted(
        [(name, client_id) for name in ("admin_client_created", "admin_client_updated",
                                        "admin_client_secret_rotated", "admin_client_deleted")]
    )  # fmt: skip
    assert {item["actor"]["S"] for item in audit(table_items)} == {f"console:{_sub('root')}"}


def test_a_clients_authentication_keys_subjects_and_par_are_set_from_the_console(console, table_items):
    """The fields RFC 7523 (JWT client authentication), OIDC Core §8.1 (pairwise) and RFC 9126
    (PAR) added: saved through the admin module's checks, shown again as saved."""
    from tests.support.client_keys import public_jwk

    page = console.get(f"{CONSOLE}/new-client")
    created = submit(console, page, "/new-client", "save", name="Bank", redirect_uris="https://bank.example/cb\n")
    client_id = _between(created.body, b'<code id="client-id">', b"</code>")
    jwks = {"keys": [public_jwk("EC", "k1")]}
    edit = console.get(f"{CONSOLE}/client?client_id={client_id}")
    values = {
        "token_endpoint_auth_method": "private_key_jwt", "jwks": json.dumps(jwks), "subject_type": "pairwise",
        "require_pushed_authorization_requests": "on", "dpop_bound_access_tokens": "on",
        "request_object_signing_alg": "ES256", "require_signed_request_object": "on",
        "request_uris": "https://bank.example/requests/\n",
    }  # fmt: skip
    saved = submit(console, edit, "/client", "save", **values)
    assert saved.status_code == 302, saved.body[-600:]
    client = client_admin.get_client("acme", client_id)
    assert client.token_endpoint_auth_method == "private_key_jwt" and client.jwks == jwks
    assert client.subject_type == "pairwise" and client.require_pushed_authorization_requests is True
    assert client.dpop_bound_access_tokens is True and client.require_signed_request_object is True
    assert client.request_object_signing_alg == "ES256" and client.request_uris == ("https://bank.example/requests/",)
    shown = form_of(console.get(f"{CONSOLE}/client?client_id={client_id}"), "/client", "save").fields
    assert shown["token_endpoint_auth_method"] == "private_key_jwt" and json.loads(shown["jwks"]) == jwks
    assert shown["subject_type"] == "pairwise" and shown["require_pushed_authorization_requests"] == "on"
    assert shown["dpop_bound_access_tokens"] == shown["require_signed_request_object"] == "on"
    assert shown["request_object_signing_alg"] == "ES256" and shown["request_uris"] == "https://bank.example/requests/"

    before = table_items()
    for wrong, words in [
        ({"jwks": '{"a":' * 40 + "1" + "}" * 40}, b"jwks must be a JSON object"),  # nested past the bound
        ({"jwks": "not json"}, b"jwks must be a JSON object"),
        ({"jwks": '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}'}, b"jwks"),
        ({"token_endpoint_auth_method": "none"}, b"token_endpoint_auth_method"),
        ({"subject_type": "secret"}, b"subject_type"),
        ({"request_uris": "http://bank.example/r"}, b"request_uris"),
        ({"request_object_signing_alg": "HS256"}, b"request_object_signing_alg"),
    ]:
        page = console.get(f"{CONSOLE}/client?client_id={client_id}")
        response = submit(console, page, "/client", "save", **wrong)
        assert response.status_code == 400 and words in response.body, (wrong, response.body[-600:])
    assert table_items() == before


def test_an_invalid_client_gets_its_form_back_with_the_reason(console, table_items):
    before = table_items()
    page = console.get(f"{CONSOLE}/new-client")
    response = submit(console, page, "/new-client", "save", name="Bad", redirect_uris="http://evil.example/cb")
    assert response.status_code == 400 and b"http redirect URIs must point to this machine" in response.body
    assert b"http://evil.example/cb" in response.body  # what was typed is kept
    assert table_items() == before


def test_a_stale_form_is_refused_with_changed_meanwhile(console, client, table_items):
    registered, _ = client
    page = console.get(f"{CONSOLE}/client?client_id={registered.client_id}")
    client_admin.update_client("acme", registered.client_id, name="Changed by the API")
    before = table_items()
    for button in ("save", "rotate", "delete"):
        response = submit(console, page, "/client", button, name="Mine")
        assert response.status_code == 409 and b"Changed meanwhile" in response.body, button
        assert f"{CONSOLE}/client?client_id={registered.client_id}".encode() in response.body
    assert table_items() == before


def test_stale_user_settings_and_key_forms_are_refused(console, user, table_items):
    user_page = console.get(f"{CONSOLE}/user?username=alice")
    confirm = submit(console, user_page, "/user", "delete")
    settings_page = console.get(f"{CONSOLE}/settings")
    keys_page = console.get(f"{CONSOLE}/keys")
    user_admin.update_user("acme", "alice", claims={"nickname": "Al"})
    from chalicelib.admin.tenants import update_settings

    update_settings("acme", {"token_expire": 900})
    before = table_items()
    for page, action, button, what in [
        (user_page, "/user", "save", b"this user"),
        (user_page, "/user", "disable", b"this user"),
        (user_page, "/user", "password", b"this user"),
        (confirm, "/user", "delete", b"this user"),
        (settings_page, "/settings", None, b"this setting"),
        (keys_page, "/keys", "rotate", b"this setting"),
    ]:
        response = submit(console, page, action, button, password=PASSWORD + "2")
        assert response.status_code == 409 and b"Changed meanwhile" in response.body and what in response.body
    assert table_items() == before
    # What does not write the user is not refused for a change of its claims.
    assert submit(console, user_page, "/user", "unlock").status_code == 302


def test_the_console_client_cannot_be_edited_from_the_console(console, table_items):
    response = console.get(f"{CONSOLE}/client?client_id=console")
    assert response.status_code == 400 and b"managed by the console itself" in response.body


def test_users_are_created_edited_and_deleted(console, table_items):
    page = console.get(f"{CONSOLE}/new-user")
    created = submit(console, page, "/new-user", None, username="bob", password=PASSWORD, name="Bob", admin="on")
    assert created.headers["Location"] == f"{CONSOLE}/user?username=bob&done=user-created"
    bob = user_admin.get_user_by_username("acme", "bob")
    assert bob.claims == {"name": "Bob"} and bob.admin

    page = console.get(f"{CONSOLE}/user?username=bob")
    form = form_of(page, "/user", "save")
    data = {**form.submission("save"), "email": "bob@example.com", "email_verified": "on", "name": ""}
    data.pop("admin")  # unticked
    assert console.post(form.action, data).status_code == 302
    bob = user_admin.get_user_by_username("acme", "bob")
    assert bob.claims == {"email": "bob@example.com", "email_verified": True} and not bob.admin

    listing = console.get(f"{CONSOLE}/users")
    assert b"bob@example.com" in listing.body and b"root" in listing.body

    page = console.get(f"{CONSOLE}/user?username=bob")
    confirm = submit(console, page, "/user", "delete")
    assert b"Delete user bob?" in confirm.body and user_admin.get_user_by_username("acme", "bob")
    assert submit(console, confirm, "/user", "delete").headers["Location"] == f"{CONSOLE}/users?done=user-deleted"
    assert not any(item["sk"]["S"] == f"user#{bob.sub}" for item in table_items())
    events = [item["event"]["S"] for item in audit(table_items)]
    assert sorted(events) == ["admin_user_created", "admin_user_deleted", "admin_user_updated", "console_signed_in"]


@pytest.mark.parametrize("button, untick", [("disable", False), ("delete", False), ("save", True)])
def test_an_administrator_cannot_shut_themselves_out(console, admin_user, table_items, button, untick):
    page = console.get(f"{CONSOLE}/user?username=root")
    form = form_of(page, "/user", "save")
    data = form.submission(button)
    if untick:
        data.pop("admin")
    before = table_items()
    response = console.post(form.action, data)
    assert response.status_code == 400 and b"cannot disable, delete or demote yourself" in response.body
    assert table_items() == before


def test_password_unlock_disable_and_enable(console, user, client, http):
    alice = Browser(http)
    flows.obtain_code(alice, client[0].client_id)
    page = console.get(f"{CONSOLE}/user?username=alice")
    new_password = "another long passphrase"
    assert submit(console, page, "/user", "password", password=new_password).status_code == 302
    # Her session from before is over: she signs in again, with the new password.
    login = alice.follow(flows.authorize(alice, client[0].client_id, prompt="none"))
    assert flows.callback_params(login)["error"] == "login_required"
    signed_in = flows.log_in(alice, alice.follow(flows.authorize(alice, client[0].client_id)), password=new_password)
    assert "code" in flows.callback_params(signed_in)

    page = console.get(f"{CONSOLE}/user?username=alice")
    response = submit(console, page, "/user", "disable")
    assert response.headers["Location"].endswith("done=user-disabled")
    assert not user_admin.get_user_by_username("acme", "alice").active
    page = console.get(f"{CONSOLE}/user?username=alice")
    assert b"disabled" in page.body
    submit(console, page, "/user", "enable")
    assert user_admin.get_user_by_username("acme", "alice").active

    page = console.get(f"{CONSOLE}/user?username=alice")
    assert submit(console, page, "/user", "unlock").headers["Location"].endswith("done=user-unlocked")


def test_a_short_password_is_refused_on_the_user_page(console, user, table_items):
    before = table_items()
    page = console.get(f"{CONSOLE}/user?username=alice")
    response = submit(console, page, "/user", "password", password="short")
    assert response.status_code == 400 and b"a password has at least 8 characters" in response.body
    assert table_items() == before


def test_sessions_and_consents_are_listed_and_revoked(console, http, user, client, table_items):
    alice = Browser(http)
    flows.obtain_code(alice, client[0].client_id)  # a session, and a remembered consent
    page = console.get(f"{CONSOLE}/user?username=alice")
    assert client[0].client_id.encode() in page.body and b"No sessions." not in page.body
    assert b"session#" not in page.body  # sessions are named by their public sid only

    response = submit(console, page, "/user", "revoke-session")
    assert response.headers["Location"].endswith("done=session-revoked")
    assert not [
        item for item in table_items() if item["sk"]["S"].startswith("session#") and item["sub"]["S"] == user.sub
    ]

    page = console.get(f"{CONSOLE}/user?username=alice")
    assert submit(console, page, "/user", "revoke-consent").headers["Location"].endswith("done=consent-revoked")
    assert not [item for item in table_items() if item["sk"]["S"].startswith("consent#")]
    page = console.get(f"{CONSOLE}/user?username=alice")
    assert b"No sessions." in page.body and b"No remembered consents." in page.body


def test_settings_and_branding_are_saved(console, tenant):
    page = console.get(f"{CONSOLE}/settings")
    response = submit(console, page, "/settings", None, display_name="Acme Corp", primary_color="#aa3300",
                      token_expire="1800", client_registration="token")  # fmt: skip
    assert response.headers["Location"] == f"{CONSOLE}/settings?done=settings-saved"
    from chalicelib.admin.tenants import get_tenant

    stored = get_tenant("acme").settings
    assert stored["branding"] == {"display_name": "Acme Corp", "primary_color": "#aa3300"}
    assert stored["token_expire"] == 1800 and stored["client_registration"] == "token"
    assert b"Acme Corp" in console.get(f"{CONSOLE}/settings").body
    body = console.get(f"{CONSOLE}/events").body.decode()
    assert "settings=<code>branding.display_name,branding.primary_color,client_registration,token_expire</code>" in body


def test_wrong_settings_get_a_message_each_and_save_nothing(console, tenant, table_items):
    before = table_items()
    page = console.get(f"{CONSOLE}/settings")
    response = submit(console, page, "/settings", None, primary_color="red", token_expire="10", code_expire="ten")
    assert response.status_code == 400
    body = response.body.decode()
    assert "primary_color must look like #1f5fbf" in body
    assert "token_expire must be a whole number from 60 to 86400" in body
    assert "Authorization code lifetime (seconds) is a whole number" in body
    assert 'value="ten"' in body  # what was typed is kept
    assert table_items() == before


def test_keys_are_rotated_and_retired(console, tenant):
    """A first key for a new algorithm signs at once; a new key for one the tenant signs
    with is published first (next) and the old one keeps signing; retiring the next key
    cancels the rotation, and an inactive key leaves the JWKS."""
    page = console.get(f"{CONSOLE}/keys")
    [old] = tenant.keys
    assert old["kid"].encode() in page.body
    assert submit(console, page, "/keys", "rotate", alg="ES256").headers["Location"].endswith("done=key-rotated")
    from chalicelib.admin.tenants import get_tenant

    keys = {key["alg"]: key["status"] for key in get_tenant("acme").keys}
    assert keys == {"RS256": "active", "ES256": "active"}
    page = console.get(f"{CONSOLE}/keys")
    submit(console, page, "/keys", "rotate", alg="RS256")
    [pending] = [key for key in get_tenant("acme").keys if key["status"] == "next"]
    assert (
        pending["alg"] == "RS256" and {k["kid"]: k["status"] for k in get_tenant("acme").keys}[old["kid"]] == "active"
    )
    page = console.get(f"{CONSOLE}/keys")
    assert b"Signs from" in page.body
    assert submit(console, page, "/keys", "retire").headers["Location"].endswith("done=key-retired")
    statuses = {key["kid"]: key["status"] for key in get_tenant("acme").keys}
    assert statuses[pending["kid"]] == "retired" and statuses[old["kid"]] == "active"
    key_admin.rotate_key("acme", "RS256", immediately=True)  # the old RS256 key is now inactive
    page = console.get(f"{CONSOLE}/keys")
    assert submit(console, page, "/keys", "retire").headers["Location"].endswith("done=key-retired")
    assert {key["kid"]: key["status"] for key in get_tenant("acme").keys}[old["kid"]] == "retired"


def test_the_events_page_lists_console_changes_newest_first(console, table_items):
    for name in ("One", "Two"):
        page = console.get(f"{CONSOLE}/new-client")
        submit(console, page, "/new-client", "save", name=name, redirect_uris="https://rp.example/cb")
    body = console.get(f"{CONSOLE}/events").body.decode()
    assert body.index("name=<code>Two</code>") < body.index("name=<code>One</code>")
    assert all(int(item["ttl"]["N"]) - int(item["at"]["N"]) == 30 * 86400 for item in audit(table_items))


def test_signing_out_ends_the_console_session_then_the_tenant_session(console, table_items):
    page = console.get(f"{CONSOLE}/users")
    response = submit(console, page, "/logout")
    assert "op_console" not in console.cookies and console_sessions(table_items) == []
    assert [item["event"]["S"] for item in audit(table_items)] == ["console_signed_out", "console_signed_in"]
    location = urlsplit(response.headers["Location"])
    assert location.path == "/acme/end-session"
    assert parse_qs(location.query) == {"client_id": ["console"], "post_logout_redirect_uri": [f"{CONSOLE}/signed-out"]}
    confirm = console.get(response.headers["Location"])
    assert confirm.status_code == 200
    done = console.follow(console.submit(confirm, "logout"))
    assert done.status_code == 200 and b"Signed out of the console" in done.body
    assert console.get(f"{CONSOLE}/users").headers["Location"] == f"{CONSOLE}/signin?back=users"


def test_console_pages_have_the_sign_in_pages_csp(console):
    response = console.get(f"{CONSOLE}/users")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; style-src 'nonce-") and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "<script" not in response.body.decode()
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path, status, words",
    [
        ("/user?username=" + "x" * 600, 404, b"no user"),
        ("/user?username=%00", 404, b"no user"),
        ("/client?client_id=" + "\u00e9" * 300, 404, b"no client"),
        ("/users?after=" + "x" * 2000, 404, b"no such page of users"),
        ("/users?after=%0a", 404, b"no such page of users"),
        ("/users?after=" + "%F0%9F%98%80" * 200, 404, b"no such page of users"),  # 800 bytes: over DynamoDB's
    ],
)
def test_hostile_page_requests_get_a_4xx_page(console, path, status, words):
    response = console.get(f"{CONSOLE}{path}")
    assert response.status_code == status and words in response.body


@pytest.mark.parametrize(
    "action, button, values, status, words",
    [
        ("/user", "save", {"version": "abc"}, 400, b"this form is incomplete"),
        ("/user", "save", {"version": "9" * 40}, 400, b"this form is incomplete"),
        ("/user", "fly", {}, 400, b"unknown action"),
        ("/settings", None, {"version": ""}, 400, b"this form is incomplete"),
        ("/keys", "rotate", {"alg": "none"}, 400, b"choose one of the algorithms offered"),
        ("/keys", "retire", {"kid": "not-a-key"}, 404, b"has no such key"),
    ],
)
def test_hostile_forms_get_a_4xx_page_and_write_nothing(
    console, user, table_items, action, button, values, status, words
):
    page = console.get(f"{CONSOLE}{action}?username=alice" if action == "/user" else f"{CONSOLE}{action}")
    form = form_of(page, action, "save" if action == "/user" else None)
    before = table_items()
    response = console.post(
        form.action, {**form.submission(button), **values, **({"action": button} if button else {})}
    )
    assert response.status_code == status and words in response.body, response.body[-800:]
    assert table_items() == before


def _between(body: bytes, start: bytes, end: bytes) -> str:
    return body.split(start, 1)[1].split(end, 1)[0].decode()


def _sub(username: str) -> str:
    return user_admin.get_user_by_username("acme", username).sub
