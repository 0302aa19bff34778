"""Dates as Twilio writes them: RFC 2822 in GMT, `Mon, 22 Aug 2011 20:59:45 +0000`."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Clock = Callable[[], int]
"""Returns the current time in microseconds since the epoch (UTC)."""


def system_clock() -> int:
    return time.time_ns() // 1000


def rfc2822(micros: int) -> str:
    """Locale-independent, always `+0000` (never `-0000`)."""
    return _rfc2822_seconds(micros // 1_000_000)


@functools.lru_cache(maxsize=65_536)
def _rfc2822_seconds(seconds: int) -> str:
    # Cached: records made in the same second share one string (lists format many of them).
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )
