"""The documented context of each page a tenant may override: the only names its template
may use (``check`` refuses any other), with a sample of each used to try an upload before it
is stored. ``docs/templates.md`` lists the same names (tests/unit/test_templating.py checks).

A variable is a plain value (string, number, boolean or None), an object whose attributes
are listed (``fields``), or a list of such objects (``items``). The values handed to a
template are built from these lists (``context_for``): nothing else of ours is reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Variable:
    doc: str
    fields: tuple[str, ...] = ()  # an object: its attributes
    items: tuple[str, ...] = ()  # a list of objects: each one's attributes


CLIENT = ("name", "logo_uri", "verified", "website_url", "terms_url")
URLS = ("login", "consent", "end_session_confirm", "forgot_password", "signup")

COMMON: dict[str, Variable] = {
    "brand_name": Variable("The tenant's display name (its name if it has none)."),
    "tenant_name": Variable("The tenant's name."),
    "logo_uri": Variable("The tenant's logo URL, or none."),
    "language": Variable("The page's language: en, de or fr."),
    "urls": Variable("The tenant's page URLs.", fields=URLS),
}
FORM = {"form_fields": Variable("The form's hidden fields (CSRF token, ticket): render it inside the form.")}
CLIENT_VARIABLE = {"client": Variable("The application asking: its name, logo, verified flag, links.", fields=CLIENT)}

PAGES: dict[str, dict[str, Variable]] = {
    "login": {
        **COMMON, **FORM, **CLIENT_VARIABLE,
        "username": Variable("The username to prefill (the last one typed, or the login_hint)."),
        "error": Variable("Why the last attempt failed, translated; none on the first showing."),
        "forgot_password_url": Variable("The forgot-password page for this sign-in."),
        "signup_url": Variable("The sign-up page for this sign-in; none unless the tenant allows sign-up."),
        "passkey_offered": Variable("Whether a passkey sign-in is offered (below your content, by the page)."),
    },
    "consent": {
        **COMMON, **FORM, **CLIENT_VARIABLE,
        "account": Variable("The username of the account signed in."),
        "scopes": Variable("What the application asks for, translated.", items=("title", "description")),
        "destination": Variable("Where the answer sends the browser (the application's host)."),
    },
    "logout": {
        **COMMON, **FORM,
        "client": Variable("The application asking to sign out, or none.", fields=CLIENT),
    },
    "error": {
        **COMMON,
        "error": Variable("The protocol's error code (not translated)."),
        "description": Variable("What went wrong, translated where the catalogs have it; or none."),
    },
}  # fmt: skip

# Mail (text/plain: nothing is escaped, and no markup means anything). The first line a
# template renders is "Subject: ...", the rest is the body, which must carry the link.
MAIL_COMMON = {
    "tenant": Variable("The tenant's display name (its name if it has none): who writes."),
    "link": Variable("The link the message is for (single use; render it in the body)."),
}
PAGES.update({
    "mail_reset": {**MAIL_COMMON, "username": Variable("The account's username."),
                   "minutes": Variable("How many minutes the link works.")},
    "mail_verify": {**MAIL_COMMON, "email": Variable("The address to confirm.")},
    "mail_signup": {**MAIL_COMMON, "email": Variable("The address the account is for.")},
    "mail_signup_exists": {**MAIL_COMMON,
                           "email": Variable("The address that has an account already (link: forgot password).")},
})  # fmt: skip

# What each page's form must post (name -> the value one of its controls must carry, or
# None for any value): without them the page cannot do its work.
REQUIRED_CONTROLS: dict[str, dict[str, str | None]] = {
    "login": {"username": None, "password": None},
    "consent": {"decision": "allow"},
    "logout": {"decision": "logout"},
    "error": {},
}
# Where the page's form must post, as a name of ``urls``.
FORM_ACTION = {"login": "login", "consent": "consent", "logout": "end_session_confirm"}
LOOP_FIELDS = ("index", "index0", "first", "last", "length", "revindex")


def is_mail(name: str) -> bool:
    return name.startswith("mail_")


def context_for(page: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The template's context: only the documented names and attributes of ``values``,
    copied as plain values (an object becomes a dict of its listed attributes)."""
    context: dict[str, Any] = {}
    for name, variable in PAGES[page].items():
        value = values.get(name)
        if variable.fields:
            context[name] = None if value is None else _pick(value, variable.fields)
        elif variable.items:
            context[name] = [_pick(item, variable.items) for item in value or ()]
        else:
            context[name] = value
    return context


def _pick(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {name: value.get(name) for name in names}
    return {name: getattr(value, name, None) for name in names}


SAMPLE_LINK = "https://op.example/acme/password/reset?token=sample-token"
_URLS = {name: f"https://op.example/acme/{name.replace('_', '-')}" for name in URLS}
_CLIENT = {"name": "Example App", "logo_uri": "https://app.example/logo.png", "verified": True,
           "website_url": "https://app.example/", "terms_url": "https://app.example/terms"}  # fmt: skip
_COMMON = {"brand_name": "Acme", "tenant_name": "acme", "logo_uri": None, "language": "en", "urls": _URLS}


def samples(page: str, form_fields: Any) -> list[dict[str, Any]]:
    """Two samples per page: every optional value present, then every one absent."""
    if is_mail(page):
        mail = {"tenant": "Acme", "link": SAMPLE_LINK, "username": "alice", "minutes": 30, "email": "alice@example.com"}
        return [context_for(page, mail)]
    full: dict[str, Any] = {
        **_COMMON, "form_fields": form_fields, "client": _CLIENT, "username": "alice", "error": "Wrong password.",
        "forgot_password_url": _URLS["forgot_password"], "signup_url": _URLS["signup"], "passkey_offered": True,
        "account": "alice", "scopes": [{"title": "Profile", "description": "Your name"}],
        "destination": "app.example", "description": "The request is missing a parameter.",
    }  # fmt: skip
    sparse = {**full, "logo_uri": None, "error": None, "signup_url": None, "passkey_offered": False,
              "description": None, "client": {**_CLIENT, "logo_uri": None, "verified": False,
                                              "website_url": None, "terms_url": None}}  # fmt: skip
    if page == "logout":
        sparse["client"] = None
    if page == "error":
        full["error"] = sparse["error"] = "invalid_request"
    return [context_for(page, full), context_for(page, sparse)]
