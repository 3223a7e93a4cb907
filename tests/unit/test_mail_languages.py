"""Mail in the reader's language: a job carries the language of the page that queued it
(the login ticket's ui_locales, else Accept-Language, else the tenant's default), the
consumer checks it against the catalogs it has, and renders the message with that
language's catalog."""

from __future__ import annotations

import html
import json
import re

import pytest

from chalicelib.admin import tenants as tenant_admin
from chalicelib.admin import users as user_admin
from chalicelib.i18n import LANGUAGES
from chalicelib.mail import jobs, messages
from tests.support.browser import BASE, Browser
from tests.unit.conftest import PASSWORD
from tests.unit.flows import authorize
from tests.unit.test_mail import forgot, link_of, sent, sign_in
from tests.unit.test_mail import mail as mail  # a fixture: the tenant sends through (moto's) SES

pytestmark = pytest.mark.usefixtures("mail")
ISSUER = "http://op.example.test/acme"
GERMAN_RESET = "Setzen Sie Ihr Acme-Passwort zurück"
FRENCH_RESET = "Réinitialisez votre mot de passe Acme"


@pytest.mark.parametrize(
    ("accept_language", "subject", "body", "page"),
    [
        ("de", GERMAN_RESET, "innerhalb von 15 Minuten", "Prüfen Sie Ihre E-Mails"),
        ("fr-CH, en;q=0.5", FRENCH_RESET, "dans les 15 minutes", "Consultez vos e-mails"),
        ("es, de-AT;q=0.8", GERMAN_RESET, "Jemand (hoffentlich Sie)", "Prüfen Sie Ihre E-Mails"),
        (None, "Reset your Acme password", "within 15 minutes", "Check your email"),
        ("x" * 2000, "Reset your Acme password", "within 15 minutes", "Check your email"),
    ],
)
def test_a_reset_mail_is_in_the_language_of_the_page_that_asked(
    http, user, consumer, accept_language, subject, body, page
):
    browser = Browser(http, headers={"accept-language": accept_language} if accept_language else {})
    answer = forgot(browser, "alice")
    assert answer.status_code == 200 and page in html.unescape(answer.body.decode())
    assert consumer.drain() == 1
    [message] = sent()
    assert message.destinations["ToAddresses"] == ["alice@example.com"]
    assert (message.subject, body in message.body) == (subject, True)
    assert link_of(message)[0].startswith(f"{ISSUER}/password/reset?token=")
    assert message.body.endswith("Acme\n")


def test_the_login_tickets_ui_locales_come_before_the_browsers_language(http, user, client, consumer):
    """The forgot form reached from a login page whose request asked for French is French,
    and so is its mail, whatever the browser prefers."""
    browser = Browser(http, headers={"accept-language": "de"})
    login = browser.follow(authorize(browser, client[0].client_id, ui_locales="fr"))
    href = re.search(r'href="([^"]*/password/forgot\?ticket=[^"]+)"', login.body.decode())
    assert login.status_code == 200 and href, login.body[:300]
    page = browser.get(html.unescape(href.group(1)))
    assert page.status_code == 200 and "Mot de passe oublié" in html.unescape(page.body.decode())
    answer = browser.submit(page, username="alice")
    assert answer.status_code == 200 and "Consultez vos e-mails" in html.unescape(answer.body.decode())
    consumer.drain()
    assert [m.subject for m in sent()] == [FRENCH_RESET]


def test_without_a_preference_the_mail_is_in_the_tenants_default_language(http, user, consumer):
    tenant_admin.update_settings("acme", {"default_language": "de"})
    forgot(Browser(http), "alice")
    consumer.drain()
    assert [m.subject for m in sent()] == [GERMAN_RESET]


def test_a_verification_mail_is_in_the_readers_language(http, client, consumer):
    user_admin.create_user("acme", "alice", PASSWORD, {"email": "alice@example.com", "email_verified": False})
    browser = sign_in(http, client)
    browser.headers["accept-language"] = "fr"
    assert browser.submit(browser.get(f"{BASE}/acme/email")).status_code == 200
    consumer.drain()
    [message] = sent()
    assert message.subject == "Confirmez votre adresse e-mail pour Acme"
    assert "est l’adresse e-mail de votre compte Acme" in message.body


def test_a_sign_up_mail_is_in_the_readers_language(http, consumer):
    tenant_admin.update_settings("acme", {"signup_enable": True})
    browser = Browser(http, headers={"accept-language": "de"})
    page = browser.get(f"{BASE}/acme/signup")
    assert browser.submit(page, email="bob@example.com", password=PASSWORD, confirm=PASSWORD).status_code == 200
    consumer.drain()
    [message] = sent()
    assert message.subject == "Schließen Sie die Erstellung Ihres Acme-Kontos ab"
    assert "Konto zu erstellen:" in message.body


def test_a_job_queued_without_a_language_is_written_in_the_tenants_default(user, consumer):
    """Jobs queued by the code before jobs had a language still go out, in the default."""
    tenant_admin.update_settings("acme", {"default_language": "fr"})
    from chalicelib.outbound import queue

    old = {"mail": "reset", "tenant": "acme", "issuer": ISSUER, "to": "alice", "claims": {}, "password_hash": None}
    queue.enqueue("oidc-backchannel", [json.dumps(old)])
    assert consumer.drain() == 1
    assert [m.subject for m in sent()] == [FRENCH_RESET]


@pytest.mark.parametrize(
    "changes",
    [
        {"language": "xx"},  # no catalog
        {"language": "de-CH"},  # the page negotiated a language it has: a tag is not one
        {"language": ["de"]},
        {"language": 7},
        {"mail": "spam"},
        {"to": None},
        {"claims": {"name": 1}},
        {"password_hash": 5},
        {"unknown": "member"},
    ],
)
def test_a_job_that_is_not_well_formed_is_dropped_unread(user, consumer, changes):
    from chalicelib.outbound import queue

    job = json.loads(jobs.Job("reset", "acme", ISSUER, "alice", language="de").to_json())
    with pytest.raises(ValueError):
        jobs.Job.from_json(json.dumps({**job, **changes}))
    queue.enqueue("oidc-backchannel", [json.dumps({**job, **changes})])
    assert consumer.drain() == 1 and consumer.outcomes == {"handled": 1} and sent() == []


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
@pytest.mark.parametrize("template", ["reset.txt", "verify.txt", "signup.txt", "signup_exists.txt"])
def test_every_message_is_translated(template, language):
    context = {"tenant": "Acme & Co", "link": "https://x/l", "username": "u", "minutes": 15, "email": "e@x"}
    english = messages.render(template, "en", **context)
    subject, text = messages.render(template, language, **context)
    assert subject != english[0] and "Acme & Co" in subject
    english_lines = set(english[1].splitlines()) - {"", "https://x/l", "Acme & Co"}
    assert english_lines and not english_lines & set(text.splitlines())
    assert "https://x/l" in text and text.endswith("Acme & Co\n")
