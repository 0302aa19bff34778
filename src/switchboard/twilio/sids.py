"""SIDs: `XX` + 32 lower-case hex digits.

Our SIDs are *time-ordered*: the first 12 hex digits are the creation time in milliseconds, the
next 4 a per-process counter, the last 16 random. Sorting SIDs therefore sorts by creation, which
lets list paging be keyset-based on the SID alone (`PageToken=PA<sid>`) and keeps working when the
row a token names has since been deleted (the common "stream and delete" loop).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable

SID_RE = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}\Z")


def sid_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{prefix}[0-9a-fA-F]{{32}}\Z")


def is_sid(value: str, prefix: str) -> bool:
    return len(value) == 34 and value.startswith(prefix) and SID_RE.match(value) is not None


class SidSource:
    """Makes new SIDs. Inject a different clock (milliseconds) to make tests deterministic."""

    def __init__(self, clock_ms: Callable[[], int] | None = None) -> None:
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

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
                self._counter = secrets.randbelow(0x1000)
            self._last_ms = now
            counter = self._counter
        return f"{prefix}{now:012x}{counter:04x}{secrets.token_hex(8)}"


def new_auth_token() -> str:
    """An auth token in Twilio's shape: 32 hex digits."""
    return secrets.token_hex(16)
