"""Simulated inbound traffic through our extension (`/switchboard/v1/Accounts/{AC}/...`), for the
tests of tests/traffic: the request, the check that it was taken (201), and its trace."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from conftest import Server

CALLER = "+14155550123"  # the From of a simulated call
SENDER = "+14155550199"  # the From of a simulated SMS
_numbers = itertools.count(1000)


def new_number() -> str:
    """A number no other test of the session has had (module servers are shared by tests)."""
    return f"+1500555{next(_numbers):04d}"


def calls_path(server: Server, account_sid: str | None = None) -> str:
    return f"/switchboard/v1/Accounts/{account_sid or server.account_sid}/InboundCalls"


def messages_path(server: Server, account_sid: str | None = None) -> str:
    return f"/switchboard/v1/Accounts/{account_sid or server.account_sid}/InboundMessages"


def place_call(http: httpx.Client, server: Server, to: str, **extra: str) -> dict[str, Any]:
    """A call to `to` from CALLER (`extra`: more form parameters); its trace."""
    resp = http.post(calls_path(server), data={"To": to, "From": CALLER, **extra})
    assert resp.status_code == 201, resp.text
    trace: dict[str, Any] = resp.json()
    return trace


def send_sms(
    http: httpx.Client, server: Server, to: str, body: str = "Hello", **extra: str
) -> dict[str, Any]:
    """An SMS to `to` from SENDER (`extra`: more form parameters); its trace."""
    form = {"To": to, "From": SENDER, "Body": body, **extra}
    resp = http.post(messages_path(server), data=form)
    assert resp.status_code == 201, resp.text
    trace: dict[str, Any] = resp.json()
    return trace
