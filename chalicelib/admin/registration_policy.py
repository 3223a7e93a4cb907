"""What a client that registers itself (RFC 7591, open or with an initial access token) may
be: the tenant's registration policy, checked at registration and at every RFC 7592 update.

RFC 7591 §5 lets the server restrict what anonymous registrants get, and they are strangers:
- no grant that gets tokens without the user's consent on this provider's page (``password``,
  ``client_credentials``) unless the tenant opens it (``registration_grant_types``);
- redirect, post-logout, front- and back-channel logout URIs only to the hosts the tenant
  lists, if it lists any (``registration_redirect_hosts``: names, or ``*.example.com`` for any
  name under it);
- a name that cannot pass for one the user already trusts here: not the tenant's own, nor
  another client's, compared by a skeleton that ignores case, width, accents, spacing,
  punctuation and common look-alike letters; printable, and at most 64 characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from chalicelib import uris
from chalicelib.admin import client_fields
from chalicelib.admin import clients as client_admin
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidClientMetadata, InvalidRegistrationRedirectUri
from chalicelib.store.clients import Client
from chalicelib.tenancy.settings import TenantSettings

MAX_NAME = 64
# Letters that pass for Latin ones (Cyrillic, Greek, Latin variants NFKD leaves alone), then
# the digits and letters that pass for each other in most typefaces (UTS #39's idea of a
# skeleton, for the cases that matter in an application's name).
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("авгеіјкмнопрстухѕԁԛԝӏһь", "abreijkmhonpctyxsdqwlhb", strict=True)),  # Cyrillic
        **dict(zip("αβγεηικνορτυχωϲ", "abyenikvoptuxwc", strict=True)),  # Greek
        **dict(zip("ıłøđħ", "ilodh", strict=True)),  # Latin letters with strokes, which NFKD keeps
    }
)
_FOLDS = (("rn", "m"), ("vv", "w"))
_LAST = str.maketrans("01i", "oll")


def grant_types(fields: Mapping[str, Any], settings: TenantSettings) -> list[str]:
    """The grant types to register: those asked for; without any, the defaults among those
    the tenant opens to self-registered clients (RFC 7591 §2: the server chooses). What is
    not open is refused by ``check``."""
    if "grant_types" in fields:
        return list(fields["grant_types"])
    response_types = fields.get("response_types", client_fields.FIELDS["response_types"])
    needed = client_fields.needed_grant_types(response_types)
    allowed = settings.registration_grant_types
    return [grant for grant in client_fields.default_grant_types(response_types) if grant in allowed or grant in needed]


def check(ctx: Context, client: Client) -> None:
    """Refuse a self-registered client (validated, about to be written) that breaks the
    tenant's policy: invalid_client_metadata, or invalid_redirect_uri for a host."""
    settings = ctx.settings
    refused = [grant for grant in client.grant_types if grant not in settings.registration_grant_types]
    if refused:
        raise InvalidClientMetadata(f"grant type {refused[0]} is not open to clients that register themselves")
    _check_hosts(client, settings.registration_redirect_hosts)
    _check_name(ctx, client)


def skeleton(name: str) -> str:
    """What a name looks like to a hurried reader: NFKC (width, ligatures, math letters),
    case folded, accents, spaces, punctuation, symbols and invisible characters dropped,
    look-alike letters and digits made one."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    text = "".join(char for char in text if unicodedata.category(char)[0] in "LN").translate(_LOOKALIKES)
    for pair, letter in _FOLDS:
        text = text.replace(pair, letter)
    return text.translate(_LAST)


def _check_name(ctx: Context, client: Client) -> None:
    name = client.name
    if len(name) > MAX_NAME or not name.isprintable():
        raise InvalidClientMetadata(f"client_name has at most {MAX_NAME} printable characters")
    key = skeleton(name)
    if not key:
        raise InvalidClientMetadata("client_name needs a letter or a digit")
    tenant = ctx.tenant
    own = {skeleton(text) for text in (tenant.id, tenant.name, tenant.settings.branding.display_name) if text}
    if key in own:
        raise InvalidClientMetadata("client_name is too close to this provider's own name")
    for other in client_admin.list_clients(tenant.id):
        if other.client_id != client.client_id and skeleton(other.name) == key:
            raise InvalidClientMetadata("client_name is too close to the name of another application here")


def _check_hosts(client: Client, patterns: tuple[str, ...]) -> None:
    if not patterns:
        return
    for uri in (*client.redirect_uris, *client.post_logout_redirect_uris):
        where = _unlisted(uri, patterns)
        if where is not None:
            raise InvalidRegistrationRedirectUri(f"redirect URIs to {where} are not accepted from self-registration")
    # The OP frames a front-channel URI on its signed-out page and posts logout tokens to a
    # back-channel one: the same hosts the tenant opened to redirects, or none.
    for name in ("frontchannel_logout_uri", "backchannel_logout_uri"):
        uri = getattr(client, name)
        where = _unlisted(uri, patterns) if uri else None
        if where is not None:
            raise InvalidClientMetadata(f"{name}: {where} is not accepted from self-registration")
    # The OP fetches a request_uri, and a jwks_uri to check a request object, on anyone's
    # browser request (RFC 9101): only from those hosts too.
    for uri in (*client.request_uris, *([client.jwks_uri] if client.jwks_uri else [])):
        where = _unlisted(uri, patterns)
        if where is not None:
            raise InvalidClientMetadata(f"request_uris and jwks_uri: {where} is not accepted from self-registration")


def _unlisted(uri: str, patterns: tuple[str, ...]) -> str | None:
    """The host of ``uri`` (validated already) if no pattern lists it, else None."""
    host = uris.parse(uri).host
    if host is not None and any(_matches(host.strip("[]"), pattern) for pattern in patterns):
        return None
    return host or uri.split(":", 1)[0] + ":"


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern
