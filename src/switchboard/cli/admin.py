"""Administration: `accounts`, `keys create`, `db upgrade|backup`, `seed`, `export`."""

from __future__ import annotations

import os
import sqlite3
from typing import IO, Any

import click

from switchboard import fixtures
from switchboard.cli import database, output
from switchboard.cli.options import database_option
from switchboard.cli.output import Failure, json_option, twilio_errors
from switchboard.cli.resources import KEYS, common_options, keys
from switchboard.store import Store, is_postgres, migrate, redact_url
from switchboard.twilio import rules
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.resources import Account, Record
from switchboard.twilio.sids import new_auth_token

# Accounts


@click.group()
def accounts() -> None:
    """Top-level accounts."""


@accounts.command("create")
@click.option("--friendly-name", required=True, help="1 to 64 characters")
@database_option
@json_option
def accounts_create(friendly_name: str, database_url: str | None, as_json: bool) -> None:
    """Make another top-level account and print its SID and auth token."""
    with twilio_errors():
        name = rules.parse_friendly_name(friendly_name)
    account = database.run(
        database.database_url(database_url), lambda store: store.create_account(name)
    )
    if as_json:
        output.echo_json(
            {
                "sid": account.sid,
                "auth_token": account.auth_token,
                "friendly_name": account.friendly_name,
                "owner_account_sid": account.owner_account_sid,
                "status": account.status,
                "date_created": rfc2822(account.date_created),
            }
        )
    else:
        click.echo(f"Created account {account.sid} ({account.friendly_name})")
        click.echo(f"  TWILIO_ACCOUNT_SID={account.sid}")
        click.echo(f"  TWILIO_AUTH_TOKEN={account.auth_token}")


@accounts.command("list")
@database_option
@json_option
def accounts_list(database_url: str | None, as_json: bool) -> None:
    """Show accounts (never their tokens)."""
    rows = database.run(database.database_url(database_url), lambda store: store.list_accounts())
    if as_json:
        output.echo_json(
            [
                {
                    "sid": a.sid,
                    "friendly_name": a.friendly_name,
                    "owner_account_sid": a.owner_account_sid,
                    "status": a.status,
                    "type": a.type,
                    "main": a.is_main,
                    "date_created": rfc2822(a.date_created),
                }
                for a in rows
            ]
        )
        return
    output.table(
        ("SID", "Friendly name", "Status", "Owner", "Main", "Created"),
        (
            (
                a.sid,
                a.friendly_name,
                a.status,
                "" if a.owner_account_sid == a.sid else a.owner_account_sid,
                "yes" if a.is_main else "",
                rfc2822(a.date_created),
            )
            for a in rows
        ),
    )


@accounts.command("rotate-token")
@click.argument("account_sid", metavar="AC…")
@database_option
@json_option
def accounts_rotate_token(account_sid: str, database_url: str | None, as_json: bool) -> None:
    """Give an account a new auth token (the old one stops working at once)."""
    token = new_auth_token()
    found = database.run(
        database.database_url(database_url), lambda store: store.set_auth_token(account_sid, token)
    )
    if not found:
        raise Failure(f"no account {account_sid} in this database")
    if as_json:
        output.echo_json({"sid": account_sid, "auth_token": token})
    else:
        click.echo(f"New auth token for {account_sid}: {token}")


# API keys: `create` here; `list` and `delete` are the resource commands of the same group.


@keys.command("create")
@click.option("--friendly-name", default=None, help="1 to 64 characters")
@common_options
def keys_create(
    friendly_name: str | None, account_sid: str | None, database_url: str | None, as_json: bool
) -> None:
    """Make a standard API key; its secret is printed this once (the database keeps it)."""
    with twilio_errors():
        name = None if friendly_name is None else rules.parse_friendly_name(friendly_name)
    secret = rules.new_key_secret()

    async def create(store: Store, account: Account) -> Record:
        return await store.create_key(account.sid, name, secret)

    record = database.run_for_account(database_url, account_sid, create)
    if as_json:
        output.echo_json(
            {**KEYS.as_json(record), "secret": secret, "account_sid": record["account_sid"]}
        )
    else:
        click.echo(f"Created API key {record['sid']} for {record['account_sid']}")
        click.echo(f"  secret (shown once): {secret}")


# The database


@click.group()
def db() -> None:
    """The database schema, and backups."""


@db.command("upgrade")
@database_option
@json_option
def db_upgrade(database_url: str | None, as_json: bool) -> None:
    """Create the database, or apply every pending migration."""
    url = database.database_url(database_url)
    database.store_for(url)  # refuses a URL of no database Switchboard knows
    database.upgrade(url)
    revision = migrate.current_revision(url)
    if as_json:
        output.echo_json({"database_url": redact_url(url), "revision": revision})
    else:
        click.echo(f"{redact_url(url)} is at revision {revision}")


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@database_option
@json_option
def db_backup(destination: str, database_url: str | None, as_json: bool) -> None:
    """Copy a SQLite database to DESTINATION, consistently, while the server runs.

    For PostgreSQL use pg_dump (see docs/deploy.md).
    """
    url = database.database_url(database_url)
    database.store_for(url)
    if is_postgres(url):
        raise Failure("for PostgreSQL use pg_dump: see docs/deploy.md")
    folder = os.path.dirname(os.path.abspath(destination))
    if not os.path.isdir(folder):
        raise Failure(f"cannot write the backup {destination}: there is no folder {folder}")
    database.require_existing(url)
    try:
        source = sqlite3.connect(migrate.sqlite_path(url))
        try:
            target = sqlite3.connect(destination)
            try:
                with target:
                    source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise Failure(f"cannot back up {redact_url(url)} to {destination}: {exc}") from None
    if as_json:
        output.echo_json({"database_url": redact_url(url), "destination": destination})
    else:
        click.echo(f"backed up {redact_url(url)} to {destination}")


# Fixtures (the format: switchboard/fixtures.py, docs/fixtures.md)


@click.command()
@click.argument("fixture", type=click.File("rb"))
@database_option
@json_option
def seed(fixture: IO[bytes], database_url: str | None, as_json: bool) -> None:
    """Load accounts, applications and numbers from FIXTURE (YAML or JSON; - for stdin).

    Idempotent: seeding the same file twice leaves the same state. All or nothing: on any
    error nothing is written. The format is in docs/fixtures.md; `switchboard export` writes it.
    """
    try:
        accounts_ = fixtures.load(fixture.read(), fixture.name)
    except fixtures.FixtureError as exc:
        raise Failure(exc.message) from None

    async def run(store: Store) -> Any:
        try:
            return await store.seed(accounts_)
        except TwilioError as exc:
            raise Failure(
                f"seed failed, nothing was written: {exc.message} (code {exc.code})"
            ) from None

    url = database.database_url(database_url)
    result = database.run(url, run)
    counts = {
        kind: {
            "created": result.created.get(kind, 0),
            "updated": result.updated.get(kind, 0),
            "unchanged": result.unchanged.get(kind, 0),
        }
        for kind in ("accounts", "applications", "numbers")
    }
    if as_json:
        output.echo_json({"fixture": fixture.name, "database_url": redact_url(url), **counts})
        return
    click.echo(f"Seeded {fixture.name} into {redact_url(url)}")
    for kind, c in counts.items():
        click.echo(
            f"  {kind}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
        )


@click.command()
@database_option
@click.option(
    "--output",
    "-o",
    "output_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file (created readable by its owner only); default: stdout",
)
@click.option("--json", "as_json", is_flag=True, help="Write JSON (seed reads it too) for YAML")
def export(database_url: str | None, output_path: str | None, as_json: bool) -> None:
    """Write every account (with its auth token), application and number as a seed fixture.

    API keys are not exported: their secrets stay in the database.
    """
    data = database.run(database.database_url(database_url), fixtures.export_fixture)
    text = fixtures.dump(data, as_json=as_json)
    if output_path is None:
        click.echo(text, nl=False)
        return
    try:
        fd = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise Failure(f"cannot write {output_path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    counts = (len(data["accounts"]), sum(len(a["applications"]) for a in data["accounts"]))
    click.echo(f"Exported {counts[0]} accounts and {counts[1]} applications to {output_path}")
