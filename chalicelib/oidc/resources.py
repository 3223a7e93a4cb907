"""Resource indicators (RFC 8707): which APIs an access token may be used at.

A tenant registers its APIs (resource servers) by their identifiers in its
``resource_servers`` setting, as Auth0 and Okta register an API's audience: a client may ask
for a token for any of them, or for the issuer itself (the provider's own UserInfo, what a
token is for when no resource is named, as before). Anything else is ``invalid_target``
(§2), before anything is written.

The authorization request's resources are the grant's; they travel in the code and the
refresh token. A token request may name a subset of them (§2.2: downscoping), and the access
token's ``aud`` is what it names, or all of the grant's. A grant that named none stands for
the issuer.

A repeated ``resource`` parameter arrives as its values joined by spaces
(``chalicelib.oidc.params.single_values``; a URI holds none).
"""

from __future__ import annotations

from chalicelib import uris
from chalicelib.context import Context
from chalicelib.oidc.errors import InvalidTarget


def parse_resources(value: str | None) -> tuple[str, ...]:
    """RFC 8707 §2: each resource an absolute URI, without a fragment; in order, once each."""
    if not value:
        return ()
    resources = tuple(dict.fromkeys(value.split(" ")))
    for resource in resources:
        try:
            parsed = uris.parse(resource)
        except ValueError:
            raise InvalidTarget("a resource is an absolute URI") from None
        if ":" not in resource:  # uris.parse reads a bare word as a scheme
            raise InvalidTarget("a resource is an absolute URI")
        if parsed.fragment is not None:
            raise InvalidTarget("a resource has no fragment (RFC 8707 section 2)")
    return resources


def known(ctx: Context) -> frozenset[str]:
    """The resources this tenant issues tokens for: its APIs and itself."""
    return frozenset((ctx.issuer, *ctx.settings.resource_servers))


def requested_resources(ctx: Context, value: str | None) -> tuple[str, ...]:
    """The resources an authorization request (or a grant that starts at the token endpoint:
    client_credentials, password) asks for, each one the tenant knows."""
    resources = parse_resources(value)
    if not set(resources) <= known(ctx):
        raise InvalidTarget("the resource is not one this provider issues tokens for")
    return resources


def narrowed(ctx: Context, value: str | None, granted: tuple[str, ...]) -> tuple[str, ...]:
    """The resources a token request for an existing grant (a code's, a refresh token's) asks
    for: a subset of the grant's (§2.2), or () for all of them."""
    resources = parse_resources(value)
    if not set(resources) <= set(granted or (ctx.issuer,)):
        raise InvalidTarget("the resource was not part of the authorization")
    return resources


def still_known(ctx: Context, resources: tuple[str, ...]) -> tuple[str, ...]:
    """The grant's resources the tenant still lists: an API taken off ``resource_servers`` (retired,
    or compromised) gets no new token from a code or refresh token issued before; a grant left
    with none of its APIs is ``invalid_target``."""
    kept = tuple(resource for resource in resources if resource in known(ctx))
    if resources and not kept:
        raise InvalidTarget("the resource is no longer one this provider issues tokens for")
    return kept


def audience(ctx: Context, resources: tuple[str, ...]) -> str | list[str]:
    """The access token's ``aud`` (RFC 9068 §3): its one resource, a list of several, or the
    issuer when none was named."""
    if not resources:
        return ctx.issuer
    return resources[0] if len(resources) == 1 else list(resources)
