"""Redirect URI rules: exact matching at authorization time, and what may be registered."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from chalicelib.i18n import N_
from chalicelib.oidc.errors import InvalidRedirectUri
from chalicelib.store.clients import Client

LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")
LOCAL_HOSTS = (*LOOPBACK_HOSTS, "localhost")


def match_redirect_uri(client: Client, requested: str | None, any_loopback_port: bool = False) -> str:
    """The redirect_uri to use: the requested one if it is registered, compared as exact
    strings (RFC 9700 §4.1.3). For a native app's loopback URI any port matches (RFC 8252
    §7.3), but only when ``any_loopback_port``: for the code flow, whose code is useless
    without the app's PKCE verifier; tokens in a fragment would go to whatever program
    listens on the port asked for. Without a redirect_uri, a client with a single registered URI gets that one
    (RFC 6749 §3.1.2.3). A registered URI that fails today's syntax (stored before it was
    checked) matches nothing: it would be pasted into a Location header. Raises
    InvalidRedirectUri, which is never redirected."""
    if requested is None:
        if len(client.redirect_uris) == 1 and _is_valid(client.redirect_uris[0]):
            return client.redirect_uris[0]
        raise InvalidRedirectUri(N_("redirect_uri is required"))
    if requested in client.redirect_uris and _is_valid(requested):
        return requested
    if (
        client.is_public
        and any_loopback_port
        and _is_valid(requested)
        and _without_loopback_port(requested)
        in {_without_loopback_port(uri) for uri in client.redirect_uris if _is_loopback(uri) and _is_valid(uri)}
    ):
        return requested
    raise InvalidRedirectUri(N_("redirect_uri is not registered for this client"))


def check_registrable(uri: object, client_type: str) -> str:
    """``uri`` if it may be registered, else ValueError saying why: strict RFC 3986 syntax
    (``chalicelib.uris``: no whitespace, control characters, quotes, backslashes, ; or ,
    and a valid host); absolute, no fragment (RFC 6749 §3.1.2); https, or http only to
    this machine (RFC 9700 §4.1.3); custom schemes only for public (native) clients, and
    then with a dot in the scheme (RFC 8252 §7.1)."""
    from chalicelib import uris  # on first use (see _is_valid)

    try:
        parsed = uris.parse(uri)
    except ValueError as error:
        raise ValueError(f"invalid redirect URI: {error}") from None
    if parsed.fragment is not None:
        raise ValueError(f"redirect URI must be absolute, without a fragment: {uri}")
    if parsed.scheme == "https":
        if parsed.host is None:
            raise ValueError(f"redirect URI has no host: {uri}")
        return parsed.text
    if parsed.scheme == "http":
        if parsed.host not in LOCAL_HOSTS:
            raise ValueError(f"http redirect URIs must point to this machine: {uri}")
        return parsed.text
    if client_type != "public" or "." not in parsed.scheme:
        raise ValueError(f"custom-scheme redirect URIs are for public native apps: {uri}")
    return parsed.text


def _is_valid(uri: str) -> bool:
    # Imported on first use: discovery, a cold start's usual first request, needs no URI parsing.
    from chalicelib import uris

    try:
        uris.parse(uri)
    except ValueError:
        return False
    return True


def _host(parts) -> str:
    host = parts.netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[: host.index("]") + 1]
    return host.split(":", 1)[0]


def is_native(uri: str) -> bool:
    """Whether a redirect URI reaches a native app: anything but https, since an http one
    may only point to this machine (``check_registrable``: loopback or localhost) and a
    custom scheme is any app's to claim. Any program on the device can answer there, so it
    proves nothing of who the client is."""
    return urlsplit(uri).scheme != "https"


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and _host(parts) in LOOPBACK_HOSTS


def _without_loopback_port(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme != "http" or _host(parts) not in LOOPBACK_HOSTS or "@" in parts.netloc:
        return None
    return urlunsplit(("http", _host(parts), parts.path, parts.query, parts.fragment))
