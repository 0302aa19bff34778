"""The `switchboard` command: the click group, and where each command lives.

serve.py (the server), admin.py (accounts, keys create, db, seed, export), resources.py
(applications, numbers, keys list|delete), simulate.py; output.py and database.py are what they
share (tables, `--json`, one-line errors; which database and account, and running against them).
"""

from __future__ import annotations

import click

from switchboard import __version__
from switchboard.cli.admin import accounts, db, export, seed
from switchboard.cli.resources import applications, keys, numbers
from switchboard.cli.serve import serve
from switchboard.cli.simulate import simulate

COMMANDS: tuple[click.Command, ...] = (
    serve,
    applications,
    numbers,
    simulate,
    accounts,
    keys,
    seed,
    export,
    db,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="switchboard")
def main() -> None:
    """Switchboard: a self-hostable, Twilio-compatible server for voice and SMS applications."""


for _command in COMMANDS:
    main.add_command(_command)

__all__ = ["main"]
