"""The webhook target policy, in-process: every spelling of an address is judged as the host it
reaches.

IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`)
IPv6 addresses are compared as their IPv4 address; `0.0.0.0` (all of 0.0.0.0/8) and `::` are this
host, i.e. loopback (127.0.0.1 and ::1). Only IP literals are used: nothing is resolved over the
network.
"""

from __future__ import annotations

import asyncio

import pytest

from switchboard.traffic.targets import TargetPolicy, equivalents

LOOPBACK_SPELLINGS = (
    "127.0.0.1",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::ffff:7f00:2]",
    "[::127.0.0.1]",
    "[64:ff9b::127.0.0.1]",
    "0.0.0.0",
    "0",
    "[::]",
    "[0:0:0:0:0:ffff:7f00:1]",
)


def refusal(policy: TargetPolicy, host: str) -> str | None:
    return asyncio.run(policy.refusal(f"http://{host}:8080/hook"))


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_deny_list_of_loopback_catches_every_spelling(host: str) -> None:
    policy = TargetPolicy(deny=("127.0.0.0/8",))
    why = refusal(policy, host)
    assert why is not None and "denied" in why, why


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_deny_private_catches_every_spelling(host: str) -> None:
    why = refusal(TargetPolicy(deny_private=True), host)
    assert why is not None and "private" in why, why


@pytest.mark.parametrize(
    "host", ["[::ffff:10.1.2.3]", "[::ffff:a01:203]", "[::10.1.2.3]", "[64:ff9b::10.1.2.3]"]
)
def test_embedded_ipv4_is_checked_against_ipv4_deny_entries(host: str) -> None:
    why = refusal(TargetPolicy(deny=("10.0.0.0/8",)), host)
    assert why is not None and "denied" in why, why


@pytest.mark.parametrize(
    "host", ["[::ffff:169.254.169.254]", "[64:ff9b::a9fe:a9fe]", "[::ffff:192.168.0.1]"]
)
def test_embedded_private_ipv4_is_private(host: str) -> None:
    why = refusal(TargetPolicy(deny_private=True), host)
    assert why is not None and "private" in why, why


def test_unspecified_ipv6_is_denied_by_an_ipv6_loopback_entry() -> None:
    for host in ("[::]", "0.0.0.0"):
        why = refusal(TargetPolicy(deny=("::1/128",)), host)
        assert why is not None and "denied" in why, (host, why)


def test_an_ipv4_allow_entry_allows_the_mapped_spelling() -> None:
    """Allow lists compare the same way: the mapped address is that IPv4 address."""
    policy = TargetPolicy(allow=("127.0.0.1/32",), deny_private=True)
    assert refusal(policy, "127.0.0.1") is None
    assert refusal(policy, "[::ffff:127.0.0.1]") is None


def test_this_host_is_allowed_only_when_all_of_loopback_is() -> None:
    """`0.0.0.0` reaches whatever listens on this host, over IPv4 or IPv6: allowing 127.0.0.1
    alone does not allow it (the strict choice)."""
    assert refusal(TargetPolicy(allow=("127.0.0.1/32",)), "0.0.0.0") is not None
    assert refusal(TargetPolicy(allow=("127.0.0.0/8", "::1/128")), "0.0.0.0") is None


def test_entries_may_name_the_spelling_itself() -> None:
    why = refusal(TargetPolicy(deny=("::ffff:0:0/96",)), "[::ffff:127.0.0.1]")
    assert why is not None and "denied" in why
    # An allow entry overrides deny entries and --webhook-deny-private, as documented.
    policy = TargetPolicy(allow=("::ffff:0:0/96",), deny=("127.0.0.0/8",), deny_private=True)
    assert refusal(policy, "[::ffff:127.0.0.1]") is None


@pytest.mark.parametrize(
    "host", ["93.184.215.14", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]", "[::ffff:93.184.215.14]"]
)
def test_public_addresses_pass(host: str) -> None:
    policy = TargetPolicy(deny=("127.0.0.0/8", "10.0.0.0/8"), deny_private=True)
    assert refusal(policy, host) is None


def test_equivalents() -> None:
    import ipaddress

    ip = ipaddress.ip_address
    assert equivalents(ip("::ffff:7f00:1")) == {ip("::ffff:7f00:1"), ip("127.0.0.1")}
    assert equivalents(ip("64:ff9b::a00:1")) == {ip("64:ff9b::a00:1"), ip("10.0.0.1")}
    assert equivalents(ip("0.0.0.0")) == {ip("0.0.0.0"), ip("127.0.0.1"), ip("::1")}
    assert equivalents(ip("0.1.2.3")) == {ip("0.1.2.3"), ip("127.0.0.1"), ip("::1")}
    assert equivalents(ip("::")) == {ip("::"), ip("127.0.0.1"), ip("::1")}
    assert equivalents(ip("::1")) == {ip("::1")}  # loopback, not IPv4-compatible 0.0.0.1
    assert equivalents(ip("8.8.8.8")) == {ip("8.8.8.8")}
    assert equivalents(ip("2001:db8::1")) == {ip("2001:db8::1")}


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("[1::2::3]", "cannot be parsed"),  # urlsplit refuses the bracketed host
        ("a" * 64 + ".example", "could not be resolved"),  # IDNA refuses it before any lookup
        ("a..b", "could not be resolved"),
    ],
)
def test_a_host_that_cannot_be_checked_is_refused_not_an_error(host: str, why: str) -> None:
    result = refusal(TargetPolicy(deny_private=True), host)
    assert result is not None and why in result, result
