"""Reading the console's forms: every field is a string the browser sent (already decoded
and bounded by the web layer); these turn them into the admin services' values or say, in a
person's words, what is wrong."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from chalicelib.admin import AdminError, Conflict, Missing, PreconditionFailed
from chalicelib.console import url
from chalicelib.console.session import Admin
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidPage
from chalicelib.oidc.results import Page, Redirect

_VERSION = re.compile(r"[0-9]{1,15}")
_WHOLE = re.compile(r"-?[0-9]{1,15}")
SECTIONS = ("clients", "users", "settings", "keys", "templates", "events")
# What a page says after a change (post/redirect/get): by a fixed code in the URL.
NOTICES = {
    "client-saved": "The client was saved.",
    "client-deleted": "The client was deleted.",
    "user-created": "The user was created.",
    "user-saved": "The user was saved.",
    "user-deleted": "The user was deleted.",
    "password-set": "The password was set; the user's sessions from before it have ended.",
    "user-unlocked": "The user's failed sign-in attempts were forgotten.",
    "user-disabled": "The user was disabled: they cannot sign in, and their tokens stopped working.",
    "user-enabled": "The user was enabled.",
    "session-revoked": "The session was ended.",
    "consent-revoked": "The consent was revoked: the application will ask again.",
    "settings-saved": "The settings were saved.",
    "key-rotated": "A new signing key is published; it signs from the time shown (at once for a new algorithm).",
    "key-retired": "The key is no longer published.",
}


def is_refusal(error: AdminError) -> bool:
    """Whether an admin service refused for the item's state (gone, or changed since the
    form was rendered), which gets a page of its own, rather than for what the form says,
    which gets the form back with the reason."""
    return isinstance(error, (Missing, PreconditionFailed, Conflict))


def version(form: Mapping[str, str]) -> int:
    """The version the form was rendered from (a hidden field)."""
    value = form.get("version", "")
    if _VERSION.fullmatch(value) is None:
        raise InvalidPage("this form is incomplete: reload the page and try again")
    return int(value)


def text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def lines(form: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A textarea with one value a line (blank lines ignored)."""
    return tuple(line.strip() for line in form.get(name, "").splitlines() if line.strip())


def words(form: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(form.get(name, "").split())


def checked(form: Mapping[str, str], name: str) -> bool:
    """A checkbox: sent (as "on") only when ticked."""
    return name in form


def whole(form: Mapping[str, str], name: str, label: str) -> int | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    if _WHOLE.fullmatch(value) is None:
        raise AdminError(f"{label} is a whole number")
    return int(value)


def page(
    ctx: Context,
    admin: Admin,
    template: str,
    section: str,
    status: int = 200,
    done: str | None = None,
    **context: Any,
) -> Page:
    """A console page: the template, what it shows, and what every console page needs
    (who is signed in, the navigation, the notice of the change just made)."""
    console = {
        "base": url(ctx.issuer),
        "notice": NOTICES.get(done or ""),
        "admin": admin.username,
        "section": section,
        "sections": [(name, url(ctx.issuer, f"/{name}")) for name in SECTIONS],
    }
    return Page(f"console/{template}", {"console": console, "error": None, **context}, status=status)


def done(ctx: Context, path: str, notice: str) -> Redirect:
    """After a change, the page to see it on (post/redirect/get), with a fixed notice code
    (never data the user typed: it travels in the URL)."""
    separator = "&" if "?" in path else "?"
    return Redirect(f"{url(ctx.issuer, path)}{separator}done={notice}")


def confirm_delete(
    ctx: Context, admin: Admin, section: str, what: str, name: str, fields: Mapping[str, str], consequence: str
) -> Page:
    """A delete button asks once more (no script needed): the form it shows posts the same
    item and version, confirmed."""
    back = url(ctx.issuer, f"/{what}?" + urlencode({next(iter(fields)): next(iter(fields.values()))}))
    return page(ctx, admin, "confirm.html", section, what=what, name=name, fields=fields, consequence=consequence,
                action=url(ctx.issuer, f"/{what}"), back=back)  # fmt: skip


def confirmed(form: Mapping[str, str]) -> bool:
    return form.get("confirm") == "yes"
