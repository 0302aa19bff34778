"""The `switchboard` command: the click group, and where each command lives.

serve.py (the server), admin.py (accounts, keys create, db, seed, export), resources.py
(applications, numbers, keys list|delete), simulate.py; output.py and database.py are what they
share (tables, `--json`, one-line errors; which database and account, and running against them).

A command's module is imported when the command is used, not before: `serve` loads serve.py
and what it needs, not the fixtures' YAML, the resource tables or the simulator's options (a
fifth of the command line's imports; `serve`'s start is what a user waits for most).
"""

from __future__ import annotations

import importlib

import click

from switchboard import __version__

# name -> "module:attribute" in switchboard.cli. `keys` is resources.py's group, with admin.py's
# `keys create` added to it when admin.py is imported: hence admin's name for it.
COMMANDS: dict[str, str] = {
    "serve": "serve:serve",
    "applications": "resources:applications",
    "numbers": "resources:numbers",
    "simulate": "simulate:simulate",
    "accounts": "admin:accounts",
    "keys": "admin:keys",
    "seed": "admin:seed",
    "export": "admin:export",
    "db": "admin:db",
}


class LazyGroup(click.Group):
    """A group whose commands are imported by name, when asked for (click's lazy-group pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        module, attribute = where.split(":")
        command: click.Command = getattr(
            importlib.import_module(f"switchboard.cli.{module}"), attribute
        )
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="switchboard")
def main() -> None:
    """Switchboard: a self-hostable, Twilio-compatible server for voice and SMS applications."""


__all__ = ["main"]
