"""Mail in a real browser: headless Chromium (Debian's package) driven by Playwright, against
the provider that ``chalice local`` serves, its mail sent through moto's SES (the emulator)
by the queue's consumer, and read back the way a developer reads it in ``make run``: on the
local mail page, whose data comes from moto's ``/moto-api/data.json`` over HTTP.

Forgot password → the mailed link → a new password → sign in, the old session and tokens
ended; the link refused when replayed or expired; sign-up with verification → sign in; email
verification → ``email_verified`` at UserInfo; the abuse limits on each new form; a forgot
password in German, its mail German too. Screenshots
of every new page (and the mail page) go to ``test-artifacts/mail/``."""

from __future__ import annotations

import time

import boto3
import pytest
import requests

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.settings import settings
from infra import mailpage
from tests.integration.conftest import ARTIFACTS, EMULATOR, PASSWORD, server_log, wait_until
from tests.integration.test_browser import ARGS, CHROMIUM, authorize_url, browser_rp_client, sign_in, sign_in_to_rp

playwright_api = pytest.importorskip("playwright.sync_api")
SCREENSHOTS = ARTIFACTS / "mail"
NEW_PASSWORD = "a brand new passphrase"
one_backend = pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def mail_tenant(tenant):
    """The tenant sends from a verified domain and offers sign-up (set before the server first
    reads the tenant: it caches tenants)."""
    sesv2 = boto3.client("sesv2")
    if "example.com" not in [i["IdentityName"] for i in sesv2.list_email_identities()["EmailIdentities"]]:
        sesv2.create_email_identity(EmailIdentity="example.com")
    tenant_admin.update_settings(
        tenant.id, {"mail_sender": "no-reply@example.com", "signup_enable": True, "signup_claims": ["name"]}
    )
    return tenant


@pytest.fixture
def rp_client(mail_tenant, rp):
    return browser_rp_client(mail_tenant, rp)


def inbox(to: str) -> list[mailpage.SentMessage]:
    """What moto's SES sent to ``to``, read over HTTP from moto's data endpoint."""
    data = requests.get(f"{EMULATOR.url}/moto-api/data.json", timeout=10).json()
    return [message for message in mailpage.sent_messages(data) if to in message.to]


def next_mail(to: str, seen: int) -> mailpage.SentMessage:
    """The message the consumer sends ``to`` after the ``seen`` it had (it sends in its own time)."""
    return wait_until(lambda: inbox(to)[seen:])[0]


def open_link_from_mail_page(page, to: str, seen: int, name: str) -> None:
    """Open the local mail page and click the link in the newest message to ``to``."""
    message = next_mail(to, seen)
    page.goto(f"{EMULATOR.url}{mailpage.PATH}")
    shot(page, "local-mail-page")
    article = page.locator("article", has_text=message.subject).filter(has_text=to).first
    link = article.get_by_role("link").first
    assert link.get_attribute("href") in message.body
    link.click()
    page.wait_for_load_state()
    assert "token=" not in page.url  # the landing page moved the token out of the address bar
    shot(page, name)


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def userinfo(issuer: str, access_token: str) -> requests.Response:
    return requests.get(f"{issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=10)


# The forgot-password pages' words, in the languages the tests read them in.
FORGOT_WORDS = {
    "en": ("Forgot your password?", "Username or email address", "Send me a link", "Check your email"),
    "de": ("Passwort vergessen?", "Benutzername oder E-Mail-Adresse", "Link senden", "Prüfen Sie Ihre E-Mails"),
}


def ask_for_a_reset_link(page, issuer: str, client, rp, typed: str, language: str) -> None:
    """From the login page of an authorization to the forgot form, ``typed`` in it, sent:
    screenshots of the form and of its answer, named by ``language`` (English unsuffixed)."""
    link, label, button, heading = FORGOT_WORDS[language]
    suffix = "" if language == "en" else f"-{language}"
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    page.get_by_role("link", name=link).click()
    shot(page, f"forgot-password{suffix}")
    page.get_by_label(label).fill(typed)
    page.get_by_role("button", name=button).click()
    assert page.get_by_role("heading").inner_text() == heading
    shot(page, f"forgot-password-sent{suffix}")


@one_backend
def test_forgot_password_then_new_password_ends_the_old_sessions(chromium, issuer, rp, rp_client, user):
    client, _ = rp_client
    before = chromium.new_context()
    signed_in = before.new_page()
    old_tokens = sign_in_to_rp(signed_in, issuer, rp, rp_client)
    assert userinfo(issuer, old_tokens["access_token"]).status_code == 200
    seen = len(inbox("alice@example.com"))

    context = chromium.new_context()
    page = context.new_page()
    ask_for_a_reset_link(page, issuer, client, rp, "alice", "en")

    open_link_from_mail_page(page, "alice@example.com", seen, "reset-password")
    reset_url = next_mail("alice@example.com", seen).body.split("\n\n")[2].strip()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password, again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    assert page.get_by_role("heading").inner_text() == "Password changed"
    shot(page, "password-changed")

    # The old browser's session and the RP's tokens from before the reset have ended.
    assert userinfo(issuer, old_tokens["access_token"]).status_code == 401
    signed_in.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", state="after"))
    assert signed_in.title().startswith("Sign in")
    sign_in(signed_in, password=PASSWORD)
    assert signed_in.get_by_role("alert").inner_text() == "Wrong username or password."
    sign_in(signed_in, password=NEW_PASSWORD)
    signed_in.wait_for_selector("#done")  # her consent to the RP is hers still: no consent page
    assert rp.received[-1]["state"] == "after" and rp.received[-1]["code"]

    # The link again (replayed): refused, and it changes nothing.
    replay = chromium.new_context().new_page()
    answer = replay.goto(reset_url)
    assert (
        answer.status == 400
        and replay.get_by_role("heading").inner_text() == "This link has expired or has been used already."
    )
    shot(replay, "reset-link-used")
    # No line the provider logged holds the link's token.
    assert reset_url.rsplit("=", 1)[1] not in server_log().read_text()
    before.close()
    context.close()


@one_backend
def test_forgot_password_in_german_sends_a_german_mail(chromium, issuer, rp, rp_client, mail_tenant, user):
    """A browser that prefers German gets the German pages and a German mail (the job carries
    the page's language), read on the local mail page; its link leads on in German. The
    person types the account's email address, not its username."""
    client, _ = rp_client
    seen = len(inbox("alice@example.com"))
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    ask_for_a_reset_link(page, issuer, client, rp, "Alice@Example.com", "de")
    message = next_mail("alice@example.com", seen)
    assert message.subject == f"Setzen Sie Ihr {mail_tenant.name}-Passwort zurück"
    assert "Jemand (hoffentlich Sie) möchte das Passwort Ihres" in message.body
    assert "innerhalb von 15 Minuten" in message.body and "within" not in message.body
    assert "Kontos alice zurücksetzen" in message.body.replace("\n", " ")  # the account it found

    open_link_from_mail_page(page, "alice@example.com", seen, "reset-password-de")
    assert page.get_by_role("heading").inner_text() == "Wählen Sie ein neues Passwort"
    page.get_by_label("Neues Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Neues Passwort wiederholen").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Neues Passwort speichern").click()
    assert page.get_by_role("heading").inner_text() == "Passwort geändert"
    shot(page, "password-changed-de")
    context.close()


@one_backend
def test_an_expired_reset_link_is_refused(chromium, issuer, mail_tenant, user):
    seen = len(inbox("alice@example.com"))
    page = chromium.new_context().new_page()
    page.goto(f"{issuer}/password/forgot")
    page.get_by_label("Username or email address").fill("alice")
    page.get_by_role("button", name="Send me a link").click()
    link = next_mail("alice@example.com", seen).body.split("\n\n")[2].strip()
    # Time passes: the token's expiry (as DynamoDB holds it) moves into the past.
    dynamodb = boto3.client("dynamodb")
    table = settings.table_name
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :t AND begins_with(sk, :p)",
        ExpressionAttributeValues={":t": {"S": mail_tenant.id}, ":p": {"S": "mailtoken#"}},
    )["Items"]
    past = int(time.time()) - 1
    for item in items:
        dynamodb.update_item(
            TableName=table, Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="SET #t = :past",
            ExpressionAttributeNames={"#t": "ttl"}, ExpressionAttributeValues={":past": {"N": str(past)}},
        )  # fmt: skip
    answer = page.goto(link)
    assert answer.status == 400 and "expired" in page.get_by_role("heading").inner_text()
    page.get_by_role("link", name="Ask for a new link").click()
    assert page.get_by_role("heading").inner_text() == "Forgot your password?"


@one_backend
def test_sign_up_with_email_verification_then_sign_in(chromium, issuer, rp, rp_client):
    client, _ = rp_client
    context = chromium.new_context()
    page = context.new_page()
    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback"))
    page.get_by_role("link", name="Create an account").click()
    shot(page, "sign-up")
    page.get_by_label("Email address").fill("newcomer@example.com")
    page.get_by_label("Full name").fill("New Comer")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password, again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    assert page.get_by_role("heading").inner_text() == "Check your email"
    shot(page, "sign-up-sent")
    page.get_by_role("link", name="Back to sign in").click()  # not usable before the link is opened
    sign_in(page, "newcomer@example.com", NEW_PASSWORD)
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."

    open_link_from_mail_page(page, "newcomer@example.com", 0, "sign-up-confirm")
    page.get_by_role("button", name="Create my account").click()
    assert page.get_by_role("heading").inner_text() == "Your account is ready"
    shot(page, "sign-up-done")

    page.goto(authorize_url(issuer, client.client_id, f"{rp.origin}/callback", state="new"))
    sign_in(page, "newcomer@example.com", NEW_PASSWORD)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_selector("#done")
    assert rp.received[-1]["state"] == "new" and rp.received[-1]["code"]
    context.close()


@one_backend
def test_email_verification_sets_email_verified_at_userinfo(chromium, issuer, rp, rp_client):
    user_admin.create_user(rp_client[0].tenant_id, "alice", PASSWORD, {"email": "unverified@example.com"})
    context = chromium.new_context()
    page = context.new_page()
    tokens = sign_in_to_rp(page, issuer, rp, rp_client)
    assert "email_verified" not in userinfo(issuer, tokens["access_token"]).json()  # not claimed yet
    page.goto(f"{issuer}/email")
    shot(page, "email")
    page.get_by_role("button", name="Email me a confirmation link").click()
    assert page.get_by_role("heading").inner_text() == "Check your email"
    open_link_from_mail_page(page, "unverified@example.com", 0, "verify-email")
    page.get_by_role("button", name="Confirm my email address").click()
    assert page.get_by_role("heading").inner_text() == "Email address confirmed"
    shot(page, "email-verified")
    claims = userinfo(issuer, tokens["access_token"]).json()
    assert claims["email"] == "unverified@example.com" and claims["email_verified"] is True
    context.close()


@one_backend
@pytest.mark.parametrize(
    ("form", "fill", "button"),
    [
        ("password/forgot", {"Username or email address": "alice"}, "Send me a link"),
        ("signup", {"Email address": "flood@example.com", "Password": NEW_PASSWORD, "Password, again": NEW_PASSWORD},
         "Create the account"),
    ],
)  # fmt: skip
def test_the_mail_forms_are_limited_per_account(chromium, issuer, mail_tenant, user, form, fill, button):
    tenant_admin.update_settings(mail_tenant.id, {"mail_requests_per_account": 2})
    page = chromium.new_context().new_page()
    statuses = []
    for _ in range(3):
        page.goto(f"{issuer}/{form}")
        for label, value in fill.items():
            page.get_by_label(label, exact=True).fill(value)
        with page.expect_response(lambda response: response.request.method == "POST") as posted:
            page.get_by_role("button", name=button).click()
        statuses.append(posted.value.status)
    assert statuses == [200, 200, 429]
    assert page.get_by_role("alert").inner_text().startswith("Too many requests. Try again in")
    shot(page, f"limited-{form.replace('/', '-')}")


@one_backend
def test_the_link_forms_are_limited_per_source(chromium, issuer, mail_tenant, user):
    """A flood of guessed tokens at the reset form is cut at the source's limit."""
    tenant_admin.update_settings(mail_tenant.id, {"mail_requests_per_source": 3})
    session = requests.Session()
    page = chromium.new_context().new_page()
    page.goto(f"{issuer}/password/forgot")  # a CSRF cookie and token, as any visitor gets
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = page.locator("input[name=csrf_token]").get_attribute("value")
    form = {"csrf_token": token, "token": "A" * 43, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    statuses = [session.post(f"{issuer}/password/reset", data=form, cookies=cookies, timeout=10).status_code
                for _ in range(5)]  # fmt: skip
    assert statuses == [400, 400, 400, 429, 429]


@one_backend
def test_the_forgot_form_takes_as_long_for_unknown_accounts_as_for_known_ones(issuer, mail_tenant, user):
    """The request does the same work whatever is typed (count, queue): its time says nothing.
    Measured over HTTP, alternating, 15 each; the medians must be within 25 ms (the lookup,
    the token's write and SES's call happen in the consumer, not here)."""
    tenant_admin.update_settings(mail_tenant.id, {"mail_requests_per_account": 100, "mail_requests_per_source": 100})
    session = requests.Session()
    page = session.get(f"{issuer}/password/forgot", timeout=10).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    times: dict[str, list[float]] = {"alice": [], "nobody": []}
    for _ in range(15):
        for name in times:
            started = time.perf_counter()
            answer = session.post(f"{issuer}/password/forgot", data={"csrf_token": token, "username": name}, timeout=10)
            times[name].append(time.perf_counter() - started)
            assert answer.status_code == 200
    known, unknown = (sorted(values)[len(values) // 2] for values in times.values())
    print(f"forgot password, median: known account {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert abs(known - unknown) < 0.025
