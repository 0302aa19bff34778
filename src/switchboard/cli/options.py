"""Options several commands share, derived from their declarations in `config.py`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from switchboard.config import SETTING, Setting

F = TypeVar("F", bound=Callable[..., Any])


def setting_option(setting: Setting) -> Callable[[F], F]:
    """The flag of one server setting; None (or () for a list) when not given, so the
    environment and the default can be told apart from it."""
    help_ = setting.described
    if setting.kind is bool:
        return click.option(setting.switch, setting.name, default=None, help=help_)
    if setting.kind is tuple:
        return click.option(setting.flag, setting.name, multiple=True, help=help_)
    type_: Any = None
    if setting.kind is int:
        type_ = click.IntRange(_bound(setting.low), _bound(setting.high))
    elif setting.kind is float:
        type_ = click.FloatRange(setting.low, setting.high)
    elif setting.choices:
        type_ = click.Choice(setting.choices)
    return click.option(setting.flag, setting.name, type=type_, default=None, help=help_)


def _bound(value: float | None) -> int | None:
    return None if value is None else int(value)


database_option = setting_option(SETTING["database_url"])

account_option = click.option(
    "--account",
    "account_sid",
    default=None,
    metavar="AC…",
    help="The account (default: the main account, the one `serve` prints)",
)
