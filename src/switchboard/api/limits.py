"""Abuse limits: per-account request rate and concurrency, failed-auth throttling per client.

All off by default (a local server has one user). The counters live in each process: with
several processes the limits hold per process (document a per-process share when sizing).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from switchboard.twilio.errors import too_many

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class Limits:
    rate: float = 0.0  # requests per second per account; 0 = off
    burst: int = 0  # bucket size (default: one second's worth)
    concurrency: int = 0  # requests in flight per account; 0 = off
    auth_failures: int = 0  # failed authentications per client address per window; 0 = off
    auth_window: float = 60.0
    clock: Clock = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _in_flight: dict[str, int] = field(default_factory=dict)
    _failures: dict[str, list[float]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.rate or self.concurrency or self.auth_failures)

    # Failed authentication, per client address

    def check_client(self, address: str) -> None:
        if not self.auth_failures:
            return
        recent = self._recent_failures(address)
        if len(recent) >= self.auth_failures:
            raise too_many(
                "Too many failed authentication attempts from this address",
                recent[0] + self.auth_window - self.clock(),
            )

    def auth_failed(self, address: str) -> None:
        if self.auth_failures:
            self._recent_failures(address).append(self.clock())
            if len(self._failures) > 10_000:  # bounded memory under a spray of addresses
                self._failures.pop(next(iter(self._failures)))

    def _recent_failures(self, address: str) -> list[float]:
        cutoff = self.clock() - self.auth_window
        recent = [t for t in self._failures.get(address, ()) if t > cutoff]
        self._failures[address] = recent
        return recent

    # Rate and concurrency, per account

    def acquire(self, account_sid: str) -> None:
        """Admit one request of the account, or raise 20429."""
        if self.rate:
            size = self.burst or max(1, math.ceil(self.rate))
            now = self.clock()
            bucket = self._buckets.get(account_sid)
            if bucket is None:
                bucket = self._buckets[account_sid] = _Bucket(float(size), now)
            bucket.tokens = min(size, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens < 1:
                raise too_many(
                    "Too many requests: the account's request rate limit was exceeded",
                    (1 - bucket.tokens) / self.rate,
                )
            bucket.tokens -= 1
        if self.concurrency:
            if self._in_flight.get(account_sid, 0) >= self.concurrency:
                raise too_many("Too many concurrent requests for this account", 1)
            self._in_flight[account_sid] = self._in_flight.get(account_sid, 0) + 1

    def release(self, account_sid: str) -> None:
        if self.concurrency:
            left = self._in_flight.get(account_sid, 1) - 1
            if left > 0:
                self._in_flight[account_sid] = left
            else:
                self._in_flight.pop(account_sid, None)
