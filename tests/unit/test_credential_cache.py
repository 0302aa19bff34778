"""The credential cache's promise: what other processes change is honoured within its `ttl`.

A unit test with a hand-moved clock (the multi-process version, with real servers on one
PostgreSQL, is in test_multiprocess.py): a principal remembered per Authorization header is
trusted no longer than the oldest account read it rests on.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses

import pytest

from switchboard.api.auth import CredentialCache
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.resources import Account, Record

PARENT = "AC" + "1" * 32
CHILD = "AC" + "2" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Store:
    """Accounts as another process would change them, counting the reads."""

    def __init__(self) -> None:
        self.accounts = {
            sid: Account(sid, PARENT, name, "active", "Full", "t" * 32, sid == PARENT, 0, 0)
            for sid, name in ((PARENT, "parent"), (CHILD, "child"))
        }
        self.reads = 0

    async def get_account(self, sid: str) -> Account | None:
        self.reads += 1
        return self.accounts.get(sid)

    async def get_key(self, sid: str) -> Record | None:
        return None

    def change(self, sid: str, **fields: str) -> None:
        self.accounts[sid] = dataclasses.replace(self.accounts[sid], **fields)


def header(sid: str, token: str = "t" * 32) -> str:
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


def authenticate(cache: CredentialCache, value: str) -> str:
    return asyncio.run(cache.authenticate(value)).account_sid


def test_a_remembered_principal_expires_with_the_oldest_read_it_rests_on() -> None:
    store, clock = Store(), Clock()
    cache = CredentialCache(store, ttl=0.5, clock=clock)
    assert authenticate(cache, header(PARENT)) == PARENT  # reads the parent at 100.0
    clock.now = 100.4
    # The child's principal rests on the child (read now) and on its parent (read at 100.0).
    assert authenticate(cache, header(CHILD)) == CHILD
    store.change(PARENT, status="suspended")  # elsewhere
    clock.now = 100.45
    assert authenticate(cache, header(CHILD)) == CHILD  # within the parent read's 0.5 s
    clock.now = 100.51  # past it: the child's principal must not outlive its parent's read
    with pytest.raises(TwilioError) as refused:
        authenticate(cache, header(CHILD))
    assert refused.value.code == 20005
    with pytest.raises(TwilioError):
        authenticate(cache, header(PARENT))


def test_a_header_seen_again_is_not_checked_again_until_then() -> None:
    store, clock = Store(), Clock()
    cache = CredentialCache(store, ttl=0.5, clock=clock)
    authenticate(cache, header(PARENT))
    reads = store.reads
    for _ in range(5):
        assert authenticate(cache, header(PARENT)) == PARENT
    assert store.reads == reads
    store.change(PARENT, auth_token="u" * 32)  # rotated elsewhere
    clock.now += 0.6
    with pytest.raises(TwilioError) as refused:
        authenticate(cache, header(PARENT))
    assert refused.value.code == 20003
    assert authenticate(cache, header(PARENT, "u" * 32)) == PARENT


def test_wrong_secrets_are_never_remembered_and_forget_drops_every_principal() -> None:
    store, clock = Store(), Clock()
    cache = CredentialCache(store, ttl=0.5, clock=clock)
    for _ in range(2):
        with pytest.raises(TwilioError):
            authenticate(cache, header(PARENT, "wrong" * 6 + "xx"))
    authenticate(cache, header(CHILD))
    store.change(CHILD, status="closed")  # by this process, which then forgets
    cache.forget(CHILD)
    with pytest.raises(TwilioError) as refused:
        authenticate(cache, header(CHILD))
    assert refused.value.code == 20005
