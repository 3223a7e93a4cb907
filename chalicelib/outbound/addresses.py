"""Which IP addresses the provider may connect to: globally routable unicast only.

``ipaddress``'s ``is_global`` does most of the work, but not all of it on the Python we run
(3.11): it calls multicast "global", misses 192.0.0.0/24 and the IPv6 documentation prefix
3fff::/20, and judges an IPv6 address that carries an IPv4 one (``::ffff:127.0.0.1``,
6to4 ``2002:7f00:1::``, NAT64 ``64:ff9b::7f00:1``) by its IPv6 form, which it calls global.
So the IPv4 address inside is what gets judged, and the gaps are listed here.

Two classes of refusal: ``private`` networks (an RP on a company network) may be exempted by
naming the host in the tenant's ``outbound_allowed_hosts``; every other non-global address
(loopback, link-local and cloud metadata, unspecified, multicast, reserved, documentation,
benchmark) is refused unless the deployment is in local development AND the host is named.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def _networks(*cidrs: str) -> tuple[Network, ...]:
    return tuple(ip_network(cidr) for cidr in cidrs)


# Refused whatever the tenant says (outside local development), most specific reason first.
NEVER: tuple[tuple[str, tuple[Network, ...]], ...] = (
    # AWS's IPv6 instance metadata (in fc00::/7) and Alibaba's (in 100.64/10): inside ranges a
    # tenant may exempt, so named first. 169.254.169.254 is link-local anyway.
    ("metadata", _networks("169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32")),
    ("loopback", _networks("127.0.0.0/8", "::1/128")),
    ("link-local", _networks("169.254.0.0/16", "fe80::/10")),
    # 0.0.0.0/8 ("this network"): a connection to 0.0.0.0 reaches this machine on Linux.
    ("unspecified", _networks("0.0.0.0/8", "::/128")),
    ("multicast", _networks("224.0.0.0/4", "ff00::/8")),
)
# Networks of an RP on a private network, which outbound_allowed_hosts may exempt.
PRIVATE = _networks("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
# Not global, though is_global says so on this Python: IETF protocol assignments (Oracle's
# metadata is 192.0.0.192), the deprecated 6to4 relay anycast and site-local prefixes, and
# IPv6 documentation (RFC 9637).
NOT_GLOBAL = _networks("192.0.0.0/24", "192.88.99.0/24", "fec0::/10", "3fff::/20")
GLOBAL_UNICAST_V6 = ip_network("2000::/3")
NAT64 = ip_network("64:ff9b::/96")


def embedded_ipv4(address: Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: IPv4-mapped (``::ffff:a.b.c.d``), 6to4
    (``2002:AABB:CCDD::/48``) or NAT64's well-known prefix (``64:ff9b::a.b.c.d``, RFC 6052)."""
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: Address, named: bool, dev_mode: bool) -> str | None:
    """Why the provider must not connect to ``address`` (a short reason), or None.

    ``named``: the host is in the tenant's ``outbound_allowed_hosts``; ``dev_mode``: the
    deployment is local development, where a named host may be anything, loopback included."""
    judged = embedded_ipv4(address) or address
    reason = classify(judged)
    if reason is None:
        return None
    if named and (dev_mode or reason == "private"):
        return None
    return reason


def classify(address: Address) -> str | None:
    """``None`` for a globally routable unicast address, else what it is."""
    for reason, networks in NEVER:
        if any(address in network for network in networks if network.version == address.version):
            return reason
    if any(address in network for network in PRIVATE if network.version == address.version):
        return "private"
    if isinstance(address, IPv6Address) and address not in GLOBAL_UNICAST_V6:
        return "reserved"  # ::/8 (IPv4-compatible, translated), 64:ff9b:1::/48, 5f00::/16 ...
    if not address.is_global or any(address in net for net in NOT_GLOBAL if net.version == address.version):
        return "reserved"  # documentation, benchmark (198.18/15), 240/4, Teredo, ...
    return None
