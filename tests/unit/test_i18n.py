"""Languages (issue 9): ui_locales, else Accept-Language, else the tenant's default; every
catalog complete and up to date with the code and templates."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.admin import tenants as tenant_admin
from chalicelib.i18n import LANGUAGES
from chalicelib.i18n.negotiate import negotiate, parse_accept_language, parse_locales
from chalicelib.tenancy.settings import TenantSettings
from infra import catalogs
from tests.support.browser import HOST, Browser
from tests.unit.conftest import PASSWORD
from tests.unit.flows import authorize


@pytest.mark.parametrize(
    "value, tags",
    [
        (None, ()),
        ("", ()),
        ("de", ("de",)),
        ("fr-CA fr en", ("fr-ca", "fr", "en")),
        ("de  de", ("de",)),  # doubled space, repeated tag
        ("xx_YY de", ("de",)),  # malformed tags are left out
        ("<script> fr", ("fr",)),
        ("a-" * 600, ()),  # absurdly long: ignored
    ],
)
def test_locale_lists(value, tags):
    assert parse_locales(value) == tags


@pytest.mark.parametrize(
    "header, ranges",
    [
        (None, ()),
        ("fr", ("fr",)),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ("fr-ch", "fr", "en", "de")),
        ("en;q=0.1, de", ("de", "en")),  # by weight, not by position
        ("de;q=0, fr", ("fr",)),  # q=0: not acceptable
        ("de;q=2, fr;q=abc, en;q=0.5", ("en",)),  # malformed weights: the range is ignored
        ("de;q=0.5;x=1, fr", ("fr",)),
        (";;;,,,", ()),
        ("é, fr", ("fr",)),
        ("x" * 2000, ()),
    ],
)
def test_accept_language(header, ranges):
    assert parse_accept_language(header) == ranges


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_negotiation_never_fails_whatever_the_client_sends(ui_locales, accept):
    """Both inputs are the client's: any string gives one of the provider's languages."""
    assert negotiate(parse_locales(ui_locales), accept, "fr") in LANGUAGES


@pytest.mark.parametrize(
    "ui_locales, accept, default, language",
    [
        ((), None, "en", "en"),
        ((), None, "de", "de"),
        (("de",), "fr", "en", "de"),  # ui_locales first
        (("ja", "fr-ca"), "de", "en", "fr"),  # its first tag with pages, by primary language
        (("ja",), "de-AT, fr;q=0.5", "en", "de"),  # none of ui_locales: Accept-Language
        (("ja",), "ja, zh", "fr", "fr"),  # neither: the tenant's default
        ((), "garbage;;q=x", "de", "de"),
    ],
)
def test_negotiation(ui_locales, accept, default, language):
    assert negotiate(ui_locales, accept, default) == language


def test_every_catalog_is_complete_compiled_and_up_to_date_with_the_code_and_templates():
    """No message id missing, obsolete, untranslated (empty msgstr) or fuzzy in any language,
    and every .mo compiled from its .po: `python -m infra.catalogs update` fixes all but
    the translating."""
    assert catalogs.problems() == []


@pytest.mark.parametrize("value", ["xx", "", None, 1, "DE"])
def test_the_default_language_is_one_the_provider_has(value):
    with pytest.raises(ValueError):
        TenantSettings.from_mapping({"default_language": value})
    assert TenantSettings.from_mapping({"default_language": "fr"}).default_language == "fr"


def page_language(page) -> str:
    return re.search(r'<html lang="([^"]+)">', page.body.decode()).group(1)


@pytest.mark.parametrize(
    "ui_locales, accept, default, language, words",
    [
        (None, None, None, "en", "Sign in"),
        ("de", None, None, "de", "Anmelden"),
        ("de", "fr", None, "de", "Anmelden"),
        (None, "fr-FR,fr;q=0.9", None, "fr", "Se connecter"),
        ("ja", "de;q=0.5, ja", None, "de", "Anmelden"),
        (None, "q=;;,,é", "fr", "fr", "Se connecter"),  # malformed header: the tenant's default
        (None, None, "de", "de", "Anmelden"),
    ],
)
def test_the_login_page_speaks_the_negotiated_language(
    http, client, user, ui_locales, accept, default, language, words
):
    if default:
        tenant_admin.update_settings("acme", {"default_language": default})
    browser = Browser(http, headers={"accept-language": accept} if accept else {})
    page = browser.follow(authorize(browser, client[0].client_id, ui_locales=ui_locales, claims_locales="de fr"))
    assert page.status_code == 200
    assert page_language(page) == language
    assert f"<h1>{words}</h1>" in page.body.decode()


def test_ui_locales_go_through_login_to_consent_and_a_wrong_password(http, client, user):
    browser = Browser(http, headers={"accept-language": "fr"})
    page = browser.follow(authorize(browser, client[0].client_id, ui_locales="de", prompt="consent"))
    wrong = browser.submit(page, "login", username="alice", password="not it")
    assert wrong.status_code == 401 and "Falscher Benutzername oder falsches Passwort." in wrong.body.decode()
    consent = browser.follow(browser.submit(wrong, "login", username="alice", password=PASSWORD))
    text = consent.body.decode()
    assert consent.status_code == 200 and page_language(consent) == "de"
    assert "Erlauben" in text and "Ihre Identität bei diesem Anbieter bestätigen." in text


def test_error_pages_are_translated_and_a_hostile_description_renders_as_text(http, tenant):
    browser = Browser(http, headers={"accept-language": "fr"})
    page = browser.get(f"http://{HOST}/acme/authorize", {"client_id": "nobody%(x)s%"})
    text = page.body.decode()
    assert page.status_code == 400 and page_language(page) == "fr"
    assert "Une erreur s’est produite" in text and "client_id inconnu" in text


def test_discovery_lists_the_page_languages(http, tenant):
    response = http.get("/acme/.well-known/openid-configuration", headers={"host": HOST})
    document = json.loads(response.body)
    assert document["ui_locales_supported"] == ["en", "de", "fr"]
    assert "claims_locales_supported" not in document


def test_the_logout_pages_take_ui_locales_from_the_logout_request(http, client, user):
    """RP-Initiated Logout 1.0 §2: ui_locales at the end-session endpoint."""
    browser = Browser(http, headers={"accept-language": "de"})
    login = browser.follow(authorize(browser, client[0].client_id))
    browser.follow(browser.submit(login, "login", username="alice", password=PASSWORD))
    page = browser.get(f"http://{HOST}/acme/end-session", {"client_id": client[0].client_id, "ui_locales": "fr"})
    assert page.status_code == 200 and page_language(page) == "fr" and "<h1>Se déconnecter ?</h1>" in page.body.decode()
    signed_out = browser.submit(page, "logout")
    assert page_language(signed_out) == "fr" and "Vous êtes déconnecté" in signed_out.body.decode()
    page = browser.get(f"http://{HOST}/acme/end-session", {"client_id": client[0].client_id})
    assert page_language(page) == "de"  # signed out: no confirmation, the browser's language
