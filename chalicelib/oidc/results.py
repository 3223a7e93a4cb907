"""What endpoint functions return: plain values that the web layer turns into responses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cookie:
    """A cookie on the tenant's path. ``value=None`` deletes it."""

    name: str
    value: str | None
    max_age: int | None = None
    # Whether script is kept away from it (every cookie but the session-management one).
    http_only: bool = True
    # Sent in third-party contexts too (SameSite=None; on https only, as browsers require).
    cross_site: bool = False
    # A path under the tenant's (say "/console"): the cookie goes only to those pages.
    path: str = ""


@dataclass(frozen=True)
class Redirect:
    location: str
    cookies: tuple[Cookie, ...] = ()


@dataclass(frozen=True)
class Page:
    """An HTML page of the tenant's: a template name and what it shows."""

    template: str
    context: Mapping[str, Any]
    status: int = 200
    cookies: tuple[Cookie, ...] = ()
    # Origin that the page's form may post to besides the OP itself (CSP form-action).
    form_target: str | None = None
    # Origins the page may frame (CSP frame-src): front-channel logout URIs.
    frame_targets: tuple[str, ...] = ()
    # Whether other sites may frame this page (only the session-management iframe).
    frameable: bool = False
    # The end user's preferred languages, from the authorization or logout request that
    # led here (OIDC Core §3.1.2.1 ui_locales): they come before the browser's.
    ui_locales: tuple[str, ...] = ()


@dataclass(frozen=True)
class Json:
    body: Mapping[str, Any]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    # Token-bearing responses must never be cached (RFC 6749 §5.1).
    no_store: bool = False


@dataclass(frozen=True)
class Jwt:
    """A signed JWT as the whole answer (``application/jwt``): a signed UserInfo response.
    It carries the user's claims, so it is never cached either."""

    token: str
    headers: Mapping[str, str] = field(default_factory=dict)


Result = Redirect | Page | Json | Jwt
