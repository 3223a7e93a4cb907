"""A tenant's own login page in Chromium: its admin uploads the template over HTTP through
the admin API; a person signs in through it to a relying party, which redeems the code; the
page keeps the provider's Content-Security-Policy, passes axe-core, and is saved as screenshots
under ``test-artifacts/templates/``. A template that would run script, written to the table
behind the validation's back, is not shown: the built-in page is."""

from __future__ import annotations

import re
import time

import pytest
import requests

from chalicelib.admin import tenants as tenant_admin
from chalicelib.store import templates as template_store
from chalicelib.store import tenants as tenant_store
from tests.integration.a11y import assert_accessible
from tests.integration.conftest import ARTIFACTS, PASSWORD
from tests.integration.test_browser import ARGS, CHROMIUM, SIZES, authorize_url, console_of

playwright_api = pytest.importorskip("playwright.sync_api")
SCREENSHOTS = ARTIFACTS / "templates"
one_backend = pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)

LOGIN = """<h1>{{ _("Sign in") }}</h1>
<p class="lead" id="tenant-greeting">Welcome back to {{ brand_name }}: sign in to use {{ client.name }}.</p>
{% if error %}<p class="error" role="alert" id="login-error">{{ error }}</p>{% endif %}
<form method="post" action="{{ urls.login }}">{{ form_fields }}
  <label for="username">{{ _("Username") }}</label>
  <input type="text" id="username" name="username" value="{{ username }}" autocomplete="username" required>
  <label for="password">{{ _("Password") }}</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <div class="actions">
    <button type="submit" name="action" value="login" class="primary">{{ _("Sign in") }}</button>
  </div>
</form>
<small class="links"><a href="{{ forgot_password_url }}">{{ _("Forgot your password?") }}</a></small>"""


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def rp_client(tenant, rp):
    from chalicelib.admin import clients as client_admin

    return client_admin.create_client(
        tenant.id, name="Templated RP", client_type="confidential", redirect_uris=[f"{rp.origin}/callback"]
    )


def admin_api(provider: str, tenant_id: str, method: str, page: str, **kwargs):
    key = tenant_admin.issue_admin_key(tenant_id, "template test")[0]
    url = f"{provider}/admin/tenants/{tenant_id}/templates/{page}"
    return requests.request(method, url, headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs)


def policy_shape(response) -> str:
    return re.sub(r"nonce-[A-Za-z0-9_-]+", "nonce-N", response.headers["content-security-policy"])


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 1000


@one_backend
def test_a_tenant_uploads_its_login_page_and_a_person_signs_in_through_it(
    chromium, provider, issuer, tenant, rp, rp_client, user
):
    client, secret = rp_client
    context = chromium.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    messages = console_of(page)
    url = authorize_url(issuer, client.client_id, f"{rp.origin}/callback", nonce="n")
    built_in = page.goto(url)
    assert page.locator("#tenant-greeting").count() == 0

    misspelt = LOGIN.replace("{{ error }}", "{{ eror }}")
    refused = admin_api(provider, tenant.id, "PUT", "login", json={"source": misspelt})
    assert refused.status_code == 400 and "line 3: unknown variable 'eror'" in refused.json()["error_description"]
    uploaded = admin_api(provider, tenant.id, "PUT", "login", json={"source": LOGIN})
    assert uploaded.status_code == 200 and uploaded.headers["ETag"] == f'"{uploaded.json()["version"]}"'

    shown = page.goto(url)
    assert page.locator("#tenant-greeting").inner_text() == "Welcome back to Interop: sign in to use Templated RP."
    assert policy_shape(shown) == policy_shape(built_in)  # the CSP is the provider's, unchanged
    assert page.title() == "Sign in · Interop"  # the head is ours
    shot(page, "login-desktop")
    assert_accessible(page, "template-login", sizes=SIZES)
    page.set_viewport_size(SIZES["phone"])
    shot(page, "login-phone")

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("#login-error").inner_text() == "Wrong username or password."
    assert page.locator("#tenant-greeting").is_visible()
    shot(page, "login-error-phone")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()  # consent: the built-in page
    page.wait_for_selector("#done")
    code, callback = rp.received[-1]["code"], f"{rp.origin}/callback"
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback}
    tokens = requests.post(f"{issuer}/token", data=grant, auth=(client.client_id, secret), timeout=30)
    assert tokens.status_code == 200 and "id_token" in tokens.json()
    # No CSP violation, no script error: only the wrong password's 401, as on the built-in page.
    assert [message for message in messages if "status of 401" not in message] == []
    context.close()


@one_backend
def test_a_template_with_script_that_skipped_validation_is_not_shown(chromium, issuer, tenant, rp, rp_client):
    """Written to the table directly (as if validation had a hole): the render's own check
    refuses the script, and the person gets the built-in page; no dialog opens."""
    hostile = LOGIN.replace("<h1>", '<h1 id="hostile">Hostile</h1><scr{{ "" }}ipt>alert(document.cookie)</script><h1>')
    stored = tenant_store.get_tenant(tenant.id, consistent=True)
    assert template_store.save_template(stored, "login", hostile, int(time.time()), None) is not None
    context = chromium.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    client, _ = rp_client
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    assert page.locator("#hostile").count() == 0 and page.locator("#tenant-greeting").count() == 0
    assert page.get_by_label("Username").is_visible() and dialogs == []
    context.close()


CONSENT = """<h1 id="tenant-consent">{{ client.name }} would like to know who you are</h1>
<ul class="scopes">{% for scope in scopes %}
  <li><strong>{{ scope.title }}</strong> <span>{{ scope.description }}</span></li>
{% endfor %}</ul>
<form method="post" action="{{ urls.consent }}">{{ form_fields }}
  <div class="actions">
    <button type="submit" name="decision" value="allow" class="primary">{{ _("Allow") }}</button>
    <button type="submit" name="decision" value="decline" class="secondary">{{ _("Decline") }}</button>
  </div>
</form>"""


@one_backend
def test_an_administrator_edits_the_consent_page_in_the_console(chromium, issuer, tenant, rp, rp_client, user):
    from chalicelib.admin import users as user_admin
    from tests.integration.test_browser import sign_in

    user_admin.create_user(tenant.id, "root", PASSWORD, {"name": "Root Admin"})
    user_admin.update_user(tenant.id, "root", admin=True)
    # (axe-core needs script; the console's pages need none, and do the same with it)
    context = chromium.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    messages = console_of(page)
    page.goto(f"{issuer}/console/templates?name=consent")
    sign_in(page, "root")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Templates").click()
    page.get_by_role("navigation", name="Templates").get_by_role("link", name="consent").click()
    page.get_by_role("textbox", name="Template").fill(CONSENT.replace("{{ client.name }}", "{{ client.nam }}"))
    page.get_by_role("button", name="Save template").click()
    assert "line 1: unknown attribute client.nam" in page.locator("#form-error").inner_text()
    shot(page, "console-refused-desktop")
    page.get_by_role("textbox", name="Template").fill(CONSENT)
    page.get_by_role("button", name="Save template").click()
    assert page.get_by_role("status").inner_text().startswith("The template was saved")
    assert page.get_by_role("link", name="consent (own)").is_visible()
    shot(page, "console-desktop")
    assert_accessible(page, "template-console", sizes=SIZES)
    context.close()

    context = chromium.new_context(viewport=SIZES["phone"])
    person = context.new_page()
    client, _ = rp_client
    person.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    sign_in(person)
    assert person.locator("#tenant-consent").inner_text() == "Templated RP would like to know who you are"
    shot(person, "consent-phone")
    assert_accessible(person, "template-consent", sizes=SIZES)
    person.get_by_role("button", name="Allow").click()
    person.wait_for_selector("#done")
    assert rp.received[-1]["code"]
    # No CSP violation, no script error: only the refused save's 400.
    assert [message for message in messages if "status of 400" not in message] == []
    context.close()
