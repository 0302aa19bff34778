"""Which hosts webhooks may reach: an allow list, a deny list, and "no private addresses".

Off by default (a local server calls local receivers). When serving others, pass
`--webhook-deny-private` so nobody can make the server request its own network. Entries are
CIDRs (`10.0.0.0/8`, `::1/128`), IP addresses, host names (`hooks.example.com`) or domain
suffixes (`.example.com`). The host is resolved and every address it resolves to is checked,
as every host it reaches: an IPv6 address that embeds an IPv4 one (mapped `::ffff:a.b.c.d`,
compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) is also that IPv4 address, and `0.0.0.0/8`
and `::` are this host, loopback (127.0.0.1 and ::1), since that is where a connection to them
lands.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

THIS_HOST = frozenset({ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")})
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def _split(entries: Iterable[str]) -> tuple[tuple[Network, ...], tuple[str, ...]]:
    networks: list[Network] = []
    names: list[str] = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.append(entry.lower())
    return tuple(networks), tuple(names)


def _name_matches(host: str, names: tuple[str, ...]) -> bool:
    return any(host == n or (n.startswith(".") and host.endswith(n)) for n in names)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):  # not :: nor ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def equivalents(ip: Address) -> set[Address]:
    """`ip` and every address a connection to it reaches."""
    forms: set[Address] = {ip}
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            forms.add(embedded)
    if any(f.is_unspecified or f in _THIS_NETWORK for f in tuple(forms)):
        forms |= THIS_HOST
    return forms


def _private(ip: Address) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _within(ip: Address, networks: tuple[Network, ...]) -> bool:
    return any(ip in net for net in networks)


@dataclass(frozen=True)
class TargetPolicy:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    deny_private: bool = False

    @property
    def active(self) -> bool:
        return bool(self.allow or self.deny or self.deny_private)

    async def refusal(self, url: str) -> str | None:
        """Why `url` may not be requested, or None when it may."""
        if not self.active:
            return None
        try:
            host = (urlsplit(url).hostname or "").lower().rstrip(".")
        except ValueError:  # a malformed bracketed host
            return "the webhook URL cannot be parsed"
        allow_nets, allow_names = _split(self.allow)
        deny_nets, deny_names = _split(self.deny)
        if _name_matches(host, deny_names):
            return f"webhook host {host} is denied"
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):  # (UnicodeError: a name IDNA cannot encode)
            # What cannot be checked is not requested: the connection might resolve otherwise.
            return f"webhook host {host} could not be resolved"
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
        named_allowed = _name_matches(host, allow_names)
        for ip in sorted(addresses, key=str):
            forms = equivalents(ip)
            reached = forms - {ip} or forms  # what the spelling stands for
            shown = f"{ip} ({', '.join(sorted(map(str, reached)))})" if reached != forms else ip
            # An entry may name the address as written or every address it reaches.
            allowed = named_allowed or _within(ip, allow_nets) or all(
                _within(other, allow_nets) for other in reached
            )
            if any(_within(f, deny_nets) for f in forms) and not allowed:
                return f"webhook address {shown} is denied"
            if self.allow and not allowed:
                return f"webhook host {host} is not on the allow list"
            if self.deny_private and not allowed and any(_private(f) for f in reached):
                return f"webhook address {shown} is private"
        return None
