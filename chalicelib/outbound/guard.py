"""The rules every outbound request passes, at registration and again at delivery.

At registration a URL is checked as written (scheme, userinfo, host syntax, and the address
when the host is an IP literal); host names are not resolved then, since what a name points
to can change. At delivery the name is resolved, every address it resolves to is checked,
and the request is pinned to the checked address: the transport connects to that address
and never resolves the name again, so DNS rebinding cannot swap it between check and use.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any

from chalicelib import settings as deployment
from chalicelib.outbound.addresses import Address, refusal
from chalicelib.outbound.errors import Refused, Unreachable
from chalicelib.outbound.targets import Target, parse

if TYPE_CHECKING:
    import ssl

# socket.getaddrinfo's signature: (host, port, family=0, type=0, ...) -> [(family, type,
# proto, canonname, sockaddr), ...]
Resolver = Callable[..., Sequence[tuple[Any, ...]]]


@dataclass(frozen=True)
class Policy:
    """What one outbound request may do. ``allowed_hosts`` is the tenant's
    ``outbound_allowed_hosts``; ``dev_mode`` the deployment's (local development only)."""

    allowed_hosts: frozenset[str] = frozenset()
    dev_mode: bool = False
    resolver: Resolver = socket.getaddrinfo
    ssl_context: ssl.SSLContext | None = None  # None: the system's trust store
    # Short: a delivery holds a Lambda (or the local consumer) while it waits.
    connect_timeout: float = 2.0
    read_timeout: float = 3.0
    # The whole exchange (connect, TLS, request, status line, headers, body), whatever each
    # step took: a peer that answers a byte just before each read times out is cut here. The
    # delivery function's Lambda timeout (.chalice/config.json, infra/resources.json) is just
    # above it.
    exchange_timeout: float = 5.0
    # At most this much of a response body is read; the rest is never received.
    max_body: int = 4096

    def names(self, target: Target) -> bool:
        return target.host in self.allowed_hosts


def policy_for(allowed_hosts: Iterable[str]) -> Policy:
    """The deployment's policy for a tenant that names ``allowed_hosts``."""
    hosts = frozenset(host.lower().rstrip(".") for host in allowed_hosts)
    return Policy(allowed_hosts=hosts, dev_mode=deployment.settings.dev_mode)


def check_registrable(url: str, policy: Policy) -> Target:
    """The checks a URL passes before it is stored (Refused says which failed): https (http
    only for a named host in local development), no userinfo, RFC 3986 host syntax, and an
    IP literal must be an address the provider may reach."""
    target = parse(url)
    if target.scheme != "https" and not (policy.dev_mode and policy.names(target)):
        raise Refused("the URL must be https")
    if target.literal is not None:
        _check_address(target, target.literal, policy)
    return target


def pin(url: str, policy: Policy) -> tuple[Target, Address]:
    """The target and the one address to connect to, after every address the host resolves
    to passed: a name with one public and one private address is refused, since the
    resolver's order (or the next resolution) decides which one a client would use."""
    target = check_registrable(url, policy)
    addresses = [target.literal] if target.literal is not None else resolve(target, policy.resolver)
    for address in addresses:
        _check_address(target, address, policy)
    return target, addresses[0]


def resolve(target: Target, resolver: Resolver) -> list[Address]:
    try:
        found = resolver(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Unreachable(f"{target.host} did not resolve") from error
    addresses = list(dict.fromkeys(ip_address(info[4][0].split("%", 1)[0]) for info in found))
    if not addresses:
        raise Unreachable(f"{target.host} did not resolve")
    return addresses


def _check_address(target: Target, address: Address, policy: Policy) -> None:
    reason = refusal(address, policy.names(target), policy.dev_mode)
    if reason is not None:
        raise Refused(f"the URL's host is a {reason} address")
