"""What the pages reached from mail share: the notice page (a title, a sentence, a way on),
the refusal of a limited request, and the landing page of a mailed link.

A link's token is in its URL because email has no other way to carry it. Its landing page
(GET) never uses it up (mail scanners open links): it shows a form that posts the token
back, and replaces the page's URL with one without it at once (``history.replaceState``), so
it stays neither in the address bar nor in the history; pages send no Referer (policy
``no-referrer``), and no log line holds a query.

A mail is written in the language of the page that asked for it (``reader_language``): the
login ticket's ``ui_locales`` (the forms reached from the login page carry it), else the
browser's ``Accept-Language``, else the tenant's default; the page itself is shown in the
same one (``Page.ui_locales``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.context import Context
from chalicelib.i18n import N_
from chalicelib.i18n.negotiate import negotiate, parse_locales
from chalicelib.oidc import interaction
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Page

LIMITED = N_("Too many requests. Try again in %(minutes)s minutes.")
INVALID_LINK = N_("This link has expired or has been used already.")
INVALID_LINK_HINT = N_("Links from our emails work once, for a short time. Ask for a new one.")


def notice(
    title: str, message: str, *, link: str | None = None, link_text: str | None = None, status: int = 200, **values: Any
) -> Page:
    """A page that tells what happened (message ids, translated by the page; ``values``
    fill their placeholders)."""
    context = {"title": title, "message": message, "link": link, "link_text": link_text, "values": values}
    return Page("mail/notice.html", context, status=status)


def minutes(wait: int) -> int:
    return max(1, -(-wait // 60))


def invalid_link(link: str | None = None) -> Page:
    return notice(INVALID_LINK, INVALID_LINK_HINT, link=link, link_text=N_("Ask for a new link"), status=400)


def link_form(template: str, token: str, context: Mapping[str, Any], status: int = 200) -> Page:
    """A mailed link's landing page: a form that posts ``token`` back (see the module)."""
    return Page(template, {**context, "token": token, "strip_query": True}, status=status)


def single(form: Mapping[str, str], name: str, longest: int = 1024) -> str:
    """A form field as typed, or "" when missing or longer than any honest value."""
    value = form.get(name, "")
    return value if len(value) <= longest else ""


def ticket_locales(ctx: Context, ticket: str) -> tuple[str, ...]:
    """The ``ui_locales`` (OIDC Core §3.1.2.1) of the authorization request a login ticket
    carries; none without a ticket, or with one that is expired or not genuine (the page
    works without one)."""
    if not ticket:
        return ()
    try:
        params = interaction.unseal(ctx, "login", ticket).get("p")
    except (InvalidPage, ValueError):
        return ()
    return parse_locales(params.get("ui_locales")) if isinstance(params, Mapping) else ()


def reader_language(ctx: Context, ui_locales: tuple[str, ...], accept_language: str | None) -> str:
    """The language a mail is written in: the one its page is shown in
    (``chalicelib.web.responses.PageState.language`` negotiates the same way)."""
    return negotiate(ui_locales, accept_language, ctx.settings.default_language)
