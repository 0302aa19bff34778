"""What every command prints: tables for people, `--json` for scripts, one line per error."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, TypeVar

import click

from switchboard.twilio.errors import TwilioError

F = TypeVar("F", bound=Callable[..., Any])


class Failure(click.ClickException):
    """A user mistake or an unusable database: one line on stderr, exit status 1.

    With a Twilio error code it reads as the API would say it: `error 21402: VoiceUrl is not a
    valid URL: …`; otherwise `error: …`.
    """

    exit_code = 1

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the cause wrote
        self.code = code

    @classmethod
    def from_twilio(cls, exc: TwilioError) -> Failure:
        return cls(exc.message, exc.code)

    def show(self, file: IO[Any] | None = None) -> None:
        label = "error" if self.code is None else f"error {self.code}"
        click.echo(f"{label}: {self.format_message()}", err=True)


@contextlib.contextmanager
def twilio_errors() -> Iterator[None]:
    """Validation with the API's own rules, failing as the API would: `error 21402: …`."""
    try:
        yield
    except TwilioError as exc:
        raise Failure.from_twilio(exc) from None


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text")(fn)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))


def console() -> Any:
    """Rich output; when piped, wide enough that SIDs and URLs are never wrapped."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 240)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    out = Table(*headers)
    for row in rows:
        out.add_row(*(Text(_cell(v)) for v in row))  # Text: a `[red]` in a name stays text
    console().print(out)


def record(values: Mapping[str, Any]) -> None:
    """One record, a field a line (the API's JSON keys)."""
    table(("field", "value"), values.items())
