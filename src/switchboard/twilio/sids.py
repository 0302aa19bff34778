"""SIDs: `XX` + 32 lower-case hex digits.

Our SIDs are *time-ordered*: the first 12 hex digits are the creation time in milliseconds, the
next 4 a per-process counter, the last 16 random. Sorting SIDs therefore sorts by creation, which
lets list paging be keyset-based on the SID alone (`PageToken=PA<sid>`) and keeps working when the
row a token names has since been deleted (the common "stream and delete" loop).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable

SID_RE = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}\Z")


def sid_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{prefix}[0-9a-fA-F]{{32}}\Z")


def is_sid(value: str, prefix: str) -> bool:
    return len(value) == 34 and value.startswith(prefix) and SID_RE.match(value) is not None


RANDOM_BATCH = 4096  # bytes of the operating system's randomness read at once


class SidSource:
    """Makes new SIDs. Inject a different clock (milliseconds) to make tests deterministic.

    The random parts come from `os.urandom`, read `RANDOM_BATCH` bytes at a time and used up 8
    bytes per SID: the same randomness as a read per SID, without a system call each (the
    call releases the GIL, and under load getting it back from the SQLite writer's thread
    cost more than the call). A child process made by `fork` starts with an empty batch."""

    def __init__(self, clock_ms: Callable[[], int] | None = None) -> None:
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0
        self._random = b""
        self._used = 0
        _SOURCES.add(self)

    def _forget_random(self) -> None:
        self._random, self._used = b"", 0

    def _random_bytes(self, n: int) -> bytes:
        """`n` unused random bytes (the lock held)."""
        if self._used + n > len(self._random):
            self._random, self._used = os.urandom(RANDOM_BATCH), 0
        start = self._used
        self._used += n
        return self._random[start : self._used]

    def new(self, prefix: str) -> str:
        with self._lock:
            now = self._clock_ms()
            if now <= self._last_ms:
                # Same (or earlier) millisecond: keep the order by counting within the last one.
                now = self._last_ms
                self._counter += 1
                if self._counter > 0xFFFF:
                    now += 1
                    self._counter = 0
            else:
                self._counter = int.from_bytes(self._random_bytes(2)) & 0xFFF
            self._last_ms = now
            counter = self._counter
            tail = self._random_bytes(8)
        return f"{prefix}{now:012x}{counter:04x}{tail.hex()}"


_SOURCES: weakref.WeakSet[SidSource] = weakref.WeakSet()


def _after_fork() -> None:
    for source in list(_SOURCES):
        source._forget_random()


os.register_at_fork(after_in_child=_after_fork)


def new_auth_token() -> str:
    """An auth token in Twilio's shape: 32 hex digits."""
    return secrets.token_hex(16)
