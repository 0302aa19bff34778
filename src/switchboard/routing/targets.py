"""Which hosts webhooks may reach: an allow list, a deny list, and "no private addresses".

Off by default (a local server calls local receivers). When serving others, pass
`--webhook-deny-private` so nobody can make the server request its own network. Entries are
CIDRs (`10.0.0.0/8`, `::1/128`), IP addresses, host names (`hooks.example.com`) or domain
suffixes (`.example.com`). The host is resolved and every address it resolves to is checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def _private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


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
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        allow_nets, allow_names = _split(self.allow)
        deny_nets, deny_names = _split(self.deny)
        if _name_matches(host, deny_names):
            return f"webhook host {host} is denied"
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError:
            # What cannot be checked is not requested: the connection might resolve otherwise.
            return f"webhook host {host} could not be resolved"
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
        named_allowed = _name_matches(host, allow_names)
        for ip in addresses:
            allowed = named_allowed or any(ip in net for net in allow_nets)
            if any(ip in net for net in deny_nets) and not allowed:
                return f"webhook address {ip} is denied"
            if self.allow and not allowed:
                return f"webhook host {host} is not on the allow list"
            if self.deny_private and _private(ip) and not allowed:
                return f"webhook address {ip} is private"
        return None
