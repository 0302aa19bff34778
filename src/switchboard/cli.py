"""The `switchboard` command: serve | accounts | db."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from switchboard import __version__
from switchboard.config import DEFAULT_DATABASE_URL, Settings
from switchboard.store import Store, migrate, open_store, redact_url
from switchboard.twilio.dates import rfc2822
from switchboard.twilio.resources import Account
from switchboard.twilio.sids import is_sid

T = TypeVar("T")

DATABASE_URL_HELP = f"Database URL (env SWITCHBOARD_DATABASE_URL; default {DEFAULT_DATABASE_URL})"


def _database_url(flag: str | None) -> str:
    return flag or os.environ.get("SWITCHBOARD_DATABASE_URL") or DEFAULT_DATABASE_URL


def _migrate(database_url: str) -> None:
    try:
        migrate.upgrade(database_url)
    except Exception as exc:  # a clear message, never a traceback with the URL's password
        raise click.ClickException(
            f"cannot prepare the database {redact_url(database_url)}: {type(exc).__name__}: {exc}"
        ) from None


def _with_store(database_url: str, fn: Callable[[Store], Awaitable[T]]) -> T:
    """Migrate, open the store, run `fn`, close."""
    _migrate(database_url)

    async def run() -> T:
        try:
            store = open_store(database_url)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        await store.open()
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(run())


@click.group()
@click.version_option(__version__, prog_name="switchboard")
def main() -> None:
    """Switchboard: a self-hostable, Twilio-compatible server for voice and SMS applications."""


def _snippet(account: Account, base_url: str) -> str:
    return f"""\
Point twilio-python at this server (TWILIO_EDGE and TWILIO_REGION must be unset):

    from twilio.rest import Client

    client = Client("{account.sid}", "{account.auth_token}")
    client.api.base_url = "{base_url}"
    app = client.applications.create(friendly_name="My app", voice_url="https://example.com/voice")
    print(app.sid)
"""


@main.command()
@click.option("--host", default=None, help="Interface to bind (env SWITCHBOARD_HOST; 127.0.0.1)")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port (env SWITCHBOARD_PORT; 8080)",
)
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Server processes")
@click.option("--access-log/--no-access-log", default=None, help="Log every request (off)")
def serve(
    host: str | None,
    port: int | None,
    database_url: str | None,
    workers: int | None,
    access_log: bool | None,
) -> None:
    """Run the server. The schema is created or migrated on start."""
    import uvicorn

    try:
        settings = Settings.from_env(
            host=host,
            port=port,
            database_url=database_url,
            workers=workers,
            access_log=access_log,
        )
    except ValueError as exc:
        raise click.ClickException(f"bad setting: {exc}") from None
    env_sid = os.environ.get("TWILIO_ACCOUNT_SID") or None
    env_token = os.environ.get("TWILIO_AUTH_TOKEN") or None
    if (env_sid is None) != (env_token is None):
        raise click.ClickException("set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither")
    if env_sid is not None and not is_sid(env_sid, "AC"):
        raise click.ClickException("TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits")

    account, created = _with_store(
        settings.database_url, lambda store: store.ensure_main_account(env_sid, env_token)
    )
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    base_url = f"http://{shown_host}:{settings.port}"
    click.echo(f"Switchboard {__version__} on {base_url} ({redact_url(settings.database_url)})")
    if env_sid is not None:
        click.echo(f"Main account {account.sid} (from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)")
    elif created:
        click.echo(
            f"\nA main account was created. Its credentials are shown this once:\n\n"
            f"    TWILIO_ACCOUNT_SID={account.sid}\n"
            f"    TWILIO_AUTH_TOKEN={account.auth_token}\n"
        )
        click.echo(_snippet(account, base_url))
    else:
        click.echo(f"Main account {account.sid}")
    sys.stdout.flush()

    os.environ.update(settings.to_env())
    uvicorn.run(
        "switchboard.api.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        access_log=settings.access_log,
        log_level="info",
        server_header=False,
    )


@main.group()
def accounts() -> None:
    """Top-level accounts."""


@accounts.command("create")
@click.option("--friendly-name", required=True, help="Up to 64 characters")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object")
def accounts_create(friendly_name: str, database_url: str | None, as_json: bool) -> None:
    """Make another top-level account and print its SID and auth token."""
    if not 1 <= len(friendly_name) <= 64:
        raise click.BadParameter("must be 1 to 64 characters", param_hint="--friendly-name")
    account = _with_store(
        _database_url(database_url), lambda store: store.create_account(friendly_name)
    )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sid": account.sid,
                    "auth_token": account.auth_token,
                    "friendly_name": account.friendly_name,
                    "owner_account_sid": account.owner_account_sid,
                    "status": account.status,
                    "date_created": rfc2822(account.date_created),
                }
            )
        )
    else:
        click.echo(f"Created account {account.sid} ({account.friendly_name})")
        click.echo(f"  TWILIO_ACCOUNT_SID={account.sid}")
        click.echo(f"  TWILIO_AUTH_TOKEN={account.auth_token}")


@accounts.command("list")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array")
def accounts_list(database_url: str | None, as_json: bool) -> None:
    """Show accounts (never their tokens)."""
    rows = _with_store(_database_url(database_url), lambda store: store.list_accounts())
    if as_json:
        click.echo(
            json.dumps(
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
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("SID", "Friendly name", "Status", "Owner", "Main", "Created")
    for a in rows:
        owner = "" if a.owner_account_sid == a.sid else a.owner_account_sid
        table.add_row(
            a.sid,
            a.friendly_name,
            a.status,
            owner,
            "yes" if a.is_main else "",
            rfc2822(a.date_created),
        )
    Console().print(table)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def db_upgrade(database_url: str | None) -> None:
    """Apply every pending migration."""
    url = _database_url(database_url)
    _migrate(url)
    click.echo(f"{redact_url(url)} is at revision {migrate.current_revision(url)}")


if __name__ == "__main__":
    main()
