"""Where a URL points, read strictly: scheme, host and port, or a refusal.

The host follows RFC 3986 §3.2.2, narrowed to what DNS and IP can mean: a dotted-decimal
IPv4 address, a bracketed IPv6 address (no zone, no IPvFuture), or a host name of
letter-digit-hyphen labels. Spellings that some resolvers read as IPv4 but that are not
dotted-decimal (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``) are refused: the WHATWG
URL standard treats a host whose last label is a number as IPv4, and ``getaddrinfo`` parses
them with ``inet_aton``, so they would reach 127.0.0.1 while looking like names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit

from chalicelib.outbound.addresses import Address
from chalicelib.outbound.errors import Refused

DEFAULT_PORTS = {"https": 443, "http": 80}
_AUTHORITY = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, without brackets or a trailing dot
    port: int
    path: str  # path and query, as sent in the request line
    literal: Address | None  # the address, when the host is an IP literal

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.literal, IPv6Address) else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse(url: str) -> Target:
    """The target of an absolute http(s) URL without userinfo or fragment; Refused otherwise."""
    if not isinstance(url, str) or not url.isascii() or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise Refused("the URL must be ASCII, without spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is not IPv6, say
        raise Refused("the URL is malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused("the URL must be https")
    if "@" in parts.netloc:
        raise Refused("the URL must not carry userinfo")
    if parts.fragment or "#" in url:
        raise Refused("the URL must not have a fragment")
    authority = _AUTHORITY.fullmatch(parts.netloc)
    if authority is None:
        raise Refused("the URL's host is not a DNS name or an IP address")
    port = int(authority["port"]) if authority["port"] else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise Refused("the URL's port is out of range")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host, literal = _ipv6(authority["ipv6"]) if authority["ipv6"] is not None else _name(authority["name"])
    return Target(scheme, host, port, path, literal)


def _ipv6(text: str) -> tuple[str, Address]:
    try:
        address = IPv6Address(text)
    except ValueError:
        raise Refused("the URL's IPv6 address is malformed") from None
    return str(address), address


def _name(text: str) -> tuple[str, Address | None]:
    host = text.lower()
    host = host[:-1] if host.endswith(".") else host
    try:
        address = ip_address(host)  # dotted-decimal only: no leading zeros, no short forms
    except ValueError:
        address = None
    if isinstance(address, IPv4Address):
        return str(address), address
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise Refused("the URL's host is not a DNS name or an IP address")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise Refused("the URL's host looks like an IPv4 address but is not dotted-decimal")
    return host, None
