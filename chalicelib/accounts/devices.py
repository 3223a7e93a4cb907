"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a
browser that signed in to an account gets a signed cookie naming that account and a random
device id. Later attempts on that account from that browser are counted against the device
alone, so strangers filling the account's counter do not lock its owner out.

The cookie proves only "this browser once knew this account's password"; it signs no one in.
It names the account by a MAC, not in clear, and is bound to the tenant by its key.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from chalicelib.keys.master import tenant_key
from chalicelib.opaque import b64url, new_id

COOKIE = "op_device"
_VALUE = re.compile(r"([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


def issue(tenant_id: str, username: str, now: int) -> str:
    """A new device cookie value for ``username`` (normalized)."""
    device = new_id()
    return f"{device}.{now}.{_mac(tenant_id, username, device, now)}"


def recognize(tenant_id: str, username: str, value: str | None, now: int, lifetime: int) -> str | None:
    """The device id, if ``value`` is this tenant's unexpired device cookie for ``username``."""
    match = _VALUE.fullmatch(value or "")
    if match is None:
        return None
    device, issued, mac = match.group(1), int(match.group(2)), match.group(3)
    if not 0 <= now - issued <= lifetime:
        return None
    if not hmac.compare_digest(mac, _mac(tenant_id, username, device, issued)):
        return None
    return device


def _mac(tenant_id: str, username: str, device: str, issued: int) -> str:
    message = f"{username}\x00{device}\x00{issued}".encode()
    return b64url(hmac.new(tenant_key(tenant_id, "device"), message, hashlib.sha256).digest())
