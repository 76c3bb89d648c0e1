"""Which addresses a fetch may connect to: public ones only, unless a policy says otherwise.

An IPv6 address can carry an IPv4 one inside it (IPv4-mapped, IPv4-compatible, 6to4, NAT64,
Teredo), and a router may well deliver it there, so the IPv4 address inside is checked too.
"""

from __future__ import annotations

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# prefixes whose last 32 bits are an IPv4 address: NAT64 (RFC 6052, RFC 8215) and the
# deprecated IPv4-compatible form
_IPV4_IN_LAST_32_BITS = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses, as the system resolves them."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def check_public(address: Address) -> str | None:
    """None for a public address; otherwise a short reason, '' or ', which is X'."""
    if not (address.is_global and not address.is_multicast):
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:  # fec0::/10, deprecated but still routed inside some sites
            return ""
        for inner in embedded_ipv4(address):
            if not (inner.is_global and not inner.is_multicast):
                return f", which is {inner}"
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address may lead to."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found += list(address.teredo)
    if any(address in network for network in _IPV4_IN_LAST_32_BITS):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found
