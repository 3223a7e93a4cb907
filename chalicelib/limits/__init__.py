"""Abuse limits: one mechanism for every place that takes guesses or creates things for
strangers (the login page, the password grant, dynamic registration; later sign-up, password
reset, second factors).

Counting is ``chalicelib.store.limits``: atomic counters per subject and window. This package
decides whom to count (the request's source address, the account, the browser) and names them
one-way: a subject is an HMAC under a key of the tenant's, so the table holds neither the
addresses nor the usernames (existing or not) that were counted.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from chalicelib.keys.master import tenant_key
from chalicelib.opaque import b64url


def subject(tenant_id: str, kind: str, value: str) -> str:
    """A one-way, tenant-scoped name for ``value`` (an address, an account, a device)."""
    mac = hmac.new(tenant_key(tenant_id, "limits"), f"{kind}\x00{value}".encode(), hashlib.sha256)
    return b64url(mac.digest()[:18])


def source_of(address: str) -> str:
    """The source a request is counted against: its IPv4 address, or its IPv6 /64 (one
    subscriber usually holds a whole /64, so counting single IPv6 addresses limits nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
