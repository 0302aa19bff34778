"""One Settings object, from flags and SWITCHBOARD_* environment variables.

Each server setting is declared once, as a field of `Settings` carrying a `Setting` (help,
bounds): its flag (`--name-with-dashes`), its variable (`SWITCHBOARD_NAME`), its type and default
come from the field itself. `serve`'s options, `from_env` and `to_env` all derive from `SETTINGS`,
so a new setting is one line here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///./switchboard.db"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class Setting:
    """How one setting is given on the command line and in the environment."""

    help: str
    low: float | None = None  # bounds for numbers, inclusive
    high: float | None = None
    off_flag: str | None = None  # a switch's "off" flag, when not `--no-NAME`
    choices: tuple[str, ...] = ()  # for a str setting: the values allowed, when not any text
    # Filled in from the field that declares the setting:
    name: str = ""
    default: Any = None

    @property
    def env(self) -> str:
        return "SWITCHBOARD_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def switch(self) -> str:
        """`--on/--off`, for a boolean setting."""
        return f"{self.flag}/{self.off_flag or '--no-' + self.name.replace('_', '-')}"

    @property
    def kind(self) -> type:
        """str, int, float, bool, or tuple (a list of strings: repeatable, comma-separated)."""
        return type(self.default)

    def parse(self, raw: str) -> Any:
        """An environment value -> the setting's value, or ValueError naming the variable."""
        kind = self.kind
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError(f"{self.env} must be 1 or 0 (true/false, yes/no), not {raw!r}")
            return lowered in _TRUE
        if kind is tuple:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind is str:
            if self.choices and raw not in self.choices:
                allowed = ", ".join(self.choices)
                raise ValueError(f"{self.env} must be one of {allowed}, not {raw!r}")
            return raw
        try:
            value = kind(raw)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise ValueError(f"{self.env} must be {noun}, not {raw!r}") from None
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ValueError(f"{self.env} must be {self.bounds}, not {raw!r}")
        return value

    @property
    def bounds(self) -> str:
        if self.high is None:
            return f"at least {self.low:g}"
        return f"between {self.low:g} and {self.high:g}"

    def render(self, value: Any) -> str:
        """The value as `parse` reads it back (for worker processes' environment)."""
        if self.kind is bool:
            return "1" if value else "0"
        if self.kind is tuple:
            return ",".join(value)
        return str(value)

    @property
    def described(self) -> str:
        """The help text with where else the value comes from: `… (env X; default Y)`."""
        if self.kind is tuple:
            return f"{self.help} (repeatable; env {self.env}, comma-separated; default none)"
        return f"{self.help} (env {self.env}; default {self.shown_default()})"

    def shown_default(self) -> str:
        if self.kind is bool:
            return "on" if self.default else "off"
        if self.kind is float:
            return f"{self.default:g}"
        return str(self.default)

    def resolve(self, flag: Any, env: Mapping[str, str] | None = None) -> Any:
        """This one setting: the flag when given, else the variable, else the default."""
        if flag is not None and flag != ():
            return flag
        env = os.environ if env is None else env
        return self.parse(env[self.env]) if self.env in env else self.default


def _setting(default: Any, help: str, **extra: Any) -> Any:
    return field(default=default, metadata={"setting": Setting(help, **extra)})


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "Interface to bind")
    port: int = _setting(8080, "Port", low=0, high=65535)
    database_url: str = _setting(DEFAULT_DATABASE_URL, "Database URL")
    workers: int = _setting(1, "Server processes", low=1, high=64)
    # The HTTP server under the app (docs/performance.md compares them; both bound request
    # heads and bodies the same way, api/servers.py).
    server: str = _setting("uvicorn", "HTTP server", choices=("uvicorn", "granian"))
    access_log: bool = _setting(False, "Log every request")
    webhook_timeout: float = _setting(
        15.0, "Seconds to wait for a webhook's answer", low=0.1, high=60
    )
    delivery_delay: float = _setting(
        0.2, "Seconds between the lifecycle steps of a sent message or call", low=0, high=60
    )
    request_log_limit: int = _setting(
        10_000, "Simulated traces and webhook requests kept per account", low=1
    )
    # Abuse limits, all off (0) by default for local use.
    rate_limit: float = _setting(0.0, "Requests per second per account, 0 = off", low=0)
    concurrency_limit: int = _setting(0, "Requests in flight per account, 0 = off", low=0)
    auth_failure_limit: int = _setting(
        0, "Failed logins per client address per minute, 0 = off", low=0
    )
    # Webhook targets: allow/deny lists (CIDRs, hosts, .domain suffixes), private ranges.
    webhook_allow: tuple[str, ...] = _setting(
        (), "Only these webhook targets: CIDR, host or .domain"
    )
    webhook_deny: tuple[str, ...] = _setting(
        (), "Never these webhook targets: CIDR, host or .domain"
    )
    webhook_deny_private: bool = _setting(
        False,
        "Refuse webhook targets on private, loopback and link-local addresses",
        off_flag="--webhook-allow-private",
    )
    allow_reset: bool = _setting(
        False, "Let a main account empty the store with POST /switchboard/v1/reset, for test suites"
    )
    max_body_bytes: int = 1_048_576  # not a setting: Twilio's own limit

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Flags (overrides that are not None, nor an empty tuple: a repeatable flag not given)
        win over SWITCHBOARD_* variables, which win over defaults. A bad variable raises
        ValueError naming it."""
        env = os.environ if env is None else env
        values: dict[str, object] = {s.name: s.parse(env[s.env]) for s in SETTINGS if s.env in env}
        values.update({k: v for k, v in overrides.items() if v is not None and v != ()})
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The same settings as environment variables (handed to worker processes)."""
        return {s.env: s.render(getattr(self, s.name)) for s in SETTINGS}


SETTINGS: tuple[Setting, ...] = tuple(
    dataclasses.replace(f.metadata["setting"], name=f.name, default=f.default)
    for f in dataclasses.fields(Settings)
    if "setting" in f.metadata
)
SETTING: dict[str, Setting] = {s.name: s for s in SETTINGS}
