"""A client's subject type and sector (OIDC Core §8.1; OIDC Registration §2, §5).

A pairwise client's sector is the host its subject identifiers are computed for
(``chalicelib.oidc.subjects``). With a ``sector_identifier_uri`` it is that URI's host, and
the document there is fetched (through the outbound guard: https, no private addresses) and
must be a JSON array that lists every redirect URI of the client: so a host can only claim
redirect URIs that agreed to share its sector. Without one, the redirect URIs must share a
single host. A document that cannot be fetched or does not list them refuses the client;
nothing is stored (the admin API's invalid_request, registration's invalid_client_metadata).

The document is fetched when the URI or the redirect URIs change, not at every update.
"""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import urlsplit

from chalicelib import outbound, uris
from chalicelib.admin import AdminError
from chalicelib.oidc.subjects import PAIRWISE, SUBJECT_TYPES
from chalicelib.store.clients import Client
from chalicelib.store.tenants import Tenant
from chalicelib.tenancy.settings import TenantSettings

FIELD = "sector_identifier_uri"
# A sector document lists redirect URIs (at most 32 of 2 KB per client) of its clients.
MAX_DOCUMENT = 64 * 1024


def checked(tenant: Tenant, before: Client, client: Client, subject_type: str, uri: str | None) -> Client:
    """``client`` (its redirect URIs validated) with its subject type and sector URI checked."""
    if subject_type not in SUBJECT_TYPES:
        raise AdminError(f"subject_type is {' or '.join(SUBJECT_TYPES)}")
    uri = _registrable(tenant, uri) if uri else None
    unchanged = uri == before.sector_identifier_uri and client.redirect_uris == before.redirect_uris
    if uri is not None and not unchanged:
        _check_document(tenant, uri, client.redirect_uris)
    hosts = {urlsplit(redirect).hostname for redirect in client.redirect_uris}
    if subject_type == PAIRWISE and uri is None and len(hosts) != 1:
        raise AdminError(f"a pairwise client needs {FIELD} unless its redirect URIs share one host")
    return dataclasses.replace(client, subject_type=subject_type, sector_identifier_uri=uri)


def _registrable(tenant: Tenant, uri: str) -> str:
    try:
        parsed = uris.parse(uri)
        if parsed.fragment is not None or parsed.host is None:
            raise ValueError("it must be an absolute URL without a fragment")
        outbound.check_registrable(parsed.text, _policy(tenant))
    except ValueError as error:  # outbound.Refused is one
        raise AdminError(f"{FIELD}: {error}") from None
    return parsed.text


def _check_document(tenant: Tenant, uri: str, redirect_uris: tuple[str, ...]) -> None:
    """OIDC Registration §5: the document is a JSON array of URIs holding every redirect URI."""
    try:
        response = outbound.get(uri, _policy(tenant))
    except (outbound.Refused, outbound.Unreachable) as error:
        raise AdminError(f"{FIELD}: the document could not be fetched ({_reason(error)})") from None
    if response.status != 200:
        raise AdminError(f"{FIELD}: the document could not be fetched (HTTP {response.status})")
    try:
        listed = json.loads(response.body.decode("utf-8")) if len(response.body) < MAX_DOCUMENT else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        listed = None
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise AdminError(f"{FIELD}: the document is not a JSON array of URIs")
    missing = [redirect for redirect in redirect_uris if redirect not in listed]
    if missing:
        raise AdminError(f"{FIELD}: the document does not list the redirect URI {missing[0]}")


def _policy(tenant: Tenant) -> outbound.Policy:
    allowed = TenantSettings.from_mapping(tenant.settings).outbound_allowed_hosts
    return dataclasses.replace(outbound.policy_for(allowed), max_body=MAX_DOCUMENT)


def _reason(error: Exception) -> str:
    return error.reason if isinstance(error, outbound.Refused) else "no answer"
