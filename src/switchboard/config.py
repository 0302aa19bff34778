"""One Settings object, from flags and SWITCHBOARD_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///./switchboard.db"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = DEFAULT_DATABASE_URL
    workers: int = 1
    access_log: bool = False
    max_body_bytes: int = 1_048_576
    webhook_timeout: float = 15.0  # seconds Twilio waits for a webhook's answer
    request_log_limit: int = 10_000  # traces and webhook requests kept per account
    allow_reset: bool = False  # POST /switchboard/v1/reset empties the store (test suites)
    # Abuse limits, all off (0) by default for local use.
    rate_limit: float = 0.0  # requests per second per account
    concurrency_limit: int = 0  # requests in flight per account
    auth_failure_limit: int = 0  # failed authentications per client address per minute
    # Webhook targets: allow/deny lists (CIDRs, hosts, .domain suffixes), private ranges.
    webhook_allow: tuple[str, ...] = ()
    webhook_deny: tuple[str, ...] = ()
    webhook_deny_private: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Flags (overrides that are not None) win over SWITCHBOARD_* variables over defaults."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if "SWITCHBOARD_HOST" in env:
            values["host"] = env["SWITCHBOARD_HOST"]
        if "SWITCHBOARD_PORT" in env:
            values["port"] = int(env["SWITCHBOARD_PORT"])
        if "SWITCHBOARD_DATABASE_URL" in env:
            values["database_url"] = env["SWITCHBOARD_DATABASE_URL"]
        if "SWITCHBOARD_WORKERS" in env:
            values["workers"] = int(env["SWITCHBOARD_WORKERS"])
        if "SWITCHBOARD_ACCESS_LOG" in env:
            values["access_log"] = env["SWITCHBOARD_ACCESS_LOG"].lower() in ("1", "true", "yes")
        if "SWITCHBOARD_WEBHOOK_TIMEOUT" in env:
            values["webhook_timeout"] = float(env["SWITCHBOARD_WEBHOOK_TIMEOUT"])
        if "SWITCHBOARD_REQUEST_LOG_LIMIT" in env:
            values["request_log_limit"] = int(env["SWITCHBOARD_REQUEST_LOG_LIMIT"])
        for name, key, cast in _EXTRA_ENV:
            if name in env:
                values[key] = cast(env[name])  # type: ignore[operator]
        if "SWITCHBOARD_ALLOW_RESET" in env:
            values["allow_reset"] = env["SWITCHBOARD_ALLOW_RESET"].lower() in ("1", "true", "yes")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The same settings as environment variables (handed to worker processes)."""
        return {
            "SWITCHBOARD_HOST": self.host,
            "SWITCHBOARD_PORT": str(self.port),
            "SWITCHBOARD_DATABASE_URL": self.database_url,
            "SWITCHBOARD_WORKERS": str(self.workers),
            "SWITCHBOARD_ACCESS_LOG": "1" if self.access_log else "0",
            "SWITCHBOARD_WEBHOOK_TIMEOUT": str(self.webhook_timeout),
            "SWITCHBOARD_REQUEST_LOG_LIMIT": str(self.request_log_limit),
            "SWITCHBOARD_ALLOW_RESET": "1" if self.allow_reset else "0",
            "SWITCHBOARD_RATE_LIMIT": str(self.rate_limit),
            "SWITCHBOARD_CONCURRENCY_LIMIT": str(self.concurrency_limit),
            "SWITCHBOARD_AUTH_FAILURE_LIMIT": str(self.auth_failure_limit),
            "SWITCHBOARD_WEBHOOK_ALLOW": ",".join(self.webhook_allow),
            "SWITCHBOARD_WEBHOOK_DENY": ",".join(self.webhook_deny),
            "SWITCHBOARD_WEBHOOK_DENY_PRIVATE": "1" if self.webhook_deny_private else "0",
        }


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _flag(raw: str) -> bool:
    return raw.lower() in ("1", "true", "yes")


_EXTRA_ENV: tuple[tuple[str, str, object], ...] = (
    ("SWITCHBOARD_RATE_LIMIT", "rate_limit", float),
    ("SWITCHBOARD_CONCURRENCY_LIMIT", "concurrency_limit", int),
    ("SWITCHBOARD_AUTH_FAILURE_LIMIT", "auth_failure_limit", int),
    ("SWITCHBOARD_WEBHOOK_ALLOW", "webhook_allow", _list),
    ("SWITCHBOARD_WEBHOOK_DENY", "webhook_deny", _list),
    ("SWITCHBOARD_WEBHOOK_DENY_PRIVATE", "webhook_deny_private", _flag),
)
