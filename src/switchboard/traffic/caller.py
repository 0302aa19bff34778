"""The caller's script: what the person on the line does, in order.

`Input` values are consumed one by one by each `<Gather>` and `<Record>` reached (digits such as
`1` or `1234#`, `speech:<text>`, `record:<seconds>` optionally followed by the key that ends the
recording, or `timeout` for silence); once they run out the caller stays silent. `DialStatus`
and `DialDuration` are consumed one per `<Dial>` reached (default `completed`, 0 s).
`HangupAfter` is the call time, in seconds, at which the caller hangs up wherever the call is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchboard.twilio import errors

MAX_ENTRIES = 100  # values of one repeatable parameter
MAX_SECONDS = 14_400  # Twilio's longest call (4 hours)
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
DTMF_KEYS = frozenset("0123456789*#")
_DIGITS = re.compile(r"^[0-9*#]{1,64}\Z")
_RECORD = re.compile(r"^record:([0-9]{1,5})([0-9*#]?)\Z")
_SECONDS = re.compile(r"^[0-9]{1,5}\Z")


class Form(Protocol):
    """Request parameters by name, with every value of a repeated one (`api.wire.Params`)."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def getall(self, name: str) -> list[str]: ...


@dataclass(frozen=True)
class Input:
    """One thing the caller does when a `<Gather>` or `<Record>` listens."""

    kind: str  # digits | speech | record | timeout
    value: str = ""  # the keys (digits), the words (speech), the ending key (record)
    seconds: int = 0  # record: how long the caller speaks

    @classmethod
    def parse(cls, raw: str) -> Input:
        if raw == "timeout":
            return cls("timeout")
        if raw.startswith("speech:"):
            text = raw.removeprefix("speech:").strip()
            if not text:
                raise errors.invalid_parameter("Input speech:<text> needs some words")
            return cls("speech", text)
        found = _RECORD.match(raw)
        if found is not None:
            seconds = int(found.group(1))
            if seconds > MAX_SECONDS:
                raise errors.invalid_parameter(f"Input {raw!r}: at most {MAX_SECONDS} seconds")
            return cls("record", found.group(2), seconds)
        if _DIGITS.match(raw):
            return cls("digits", raw)
        raise errors.invalid_parameter(
            "Input must be DTMF digits (0-9, *, #), speech:<text>, record:<seconds>[key] "
            f"or timeout, not {raw[:80]!r}"
        )

    def __str__(self) -> str:
        if self.kind == "speech":
            return f"speech:{self.value}"
        if self.kind == "record":
            return f"record:{self.seconds}{self.value}"
        return self.value if self.kind == "digits" else "timeout"


def _seconds(name: str, raw: str) -> int:
    if not _SECONDS.match(raw) or int(raw) > MAX_SECONDS:
        raise errors.invalid_parameter(
            f"{name} must be a whole number of seconds from 0 to {MAX_SECONDS}, not {raw[:40]!r}"
        )
    return int(raw)


def _repeated(form: Form, name: str) -> list[str]:
    values = form.getall(name)
    if len(values) > MAX_ENTRIES:
        raise errors.invalid_parameter(f"At most {MAX_ENTRIES} {name} values")
    return values


@dataclass
class Script:
    """What is left of the caller's script; serialisable (`as_dict`) with a paused call."""

    inputs: list[Input] = field(default_factory=list)
    dial_statuses: list[str] = field(default_factory=list)
    dial_durations: list[int] = field(default_factory=list)
    hangup_at: int | None = None  # call time (ms) at which the caller hangs up

    @classmethod
    def from_form(cls, form: Form) -> Script:
        inputs = [Input.parse(raw) for raw in _repeated(form, "Input")]
        statuses = _repeated(form, "DialStatus")
        for status in statuses:
            if status not in DIAL_STATUSES:
                raise errors.invalid_parameter(
                    f"DialStatus must be one of {', '.join(DIAL_STATUSES)}, not {status[:40]!r}"
                )
        durations = [_seconds("DialDuration", raw) for raw in _repeated(form, "DialDuration")]
        hangup = form.get("HangupAfter")
        hangup_at = _seconds("HangupAfter", hangup) * 1000 if hangup is not None else None
        return cls(inputs, list(statuses), durations, hangup_at)

    def next_input(self) -> Input | None:
        return self.inputs.pop(0) if self.inputs else None

    def next_dial(self) -> tuple[str, int]:
        status = self.dial_statuses.pop(0) if self.dial_statuses else "completed"
        seconds = self.dial_durations.pop(0) if self.dial_durations else 0
        return status, seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": [str(i) for i in self.inputs],
            "dial_statuses": self.dial_statuses,
            "dial_durations": self.dial_durations,
            "hangup_at": self.hangup_at,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Script:
        return cls(
            [Input.parse(raw) for raw in values["inputs"]],
            list(values["dial_statuses"]),
            list(values["dial_durations"]),
            values["hangup_at"],
        )
