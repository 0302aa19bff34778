"""The `switchboard` command: serve | accounts | db."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
@click.option(
    "--webhook-timeout",
    type=click.FloatRange(0.1, 60),
    default=None,
    help="Seconds to wait for a webhook's answer (env SWITCHBOARD_WEBHOOK_TIMEOUT; 15)",
)
@click.option(
    "--request-log-limit",
    type=click.IntRange(1),
    default=None,
    help="Simulated traces and webhook requests kept per account "
    "(env SWITCHBOARD_REQUEST_LOG_LIMIT; 10000)",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    default=None,
    help="Requests per second per account, 0 = off (env SWITCHBOARD_RATE_LIMIT; off)",
)
@click.option(
    "--concurrency-limit",
    type=click.IntRange(0),
    default=None,
    help="Requests in flight per account, 0 = off (env SWITCHBOARD_CONCURRENCY_LIMIT; off)",
)
@click.option(
    "--auth-failure-limit",
    type=click.IntRange(0),
    default=None,
    help="Failed logins per client address per minute, 0 = off (SWITCHBOARD_AUTH_FAILURE_LIMIT)",
)
@click.option(
    "--webhook-allow",
    multiple=True,
    help="Only these webhook targets: CIDR, host or .domain (repeatable)",
)
@click.option(
    "--webhook-deny", multiple=True, help="Never these webhook targets: CIDR, host or .domain"
)
@click.option(
    "--webhook-deny-private/--webhook-allow-private",
    default=None,
    help="Refuse webhook targets on private, loopback and link-local addresses",
)
def serve(
    host: str | None,
    port: int | None,
    database_url: str | None,
    workers: int | None,
    access_log: bool | None,
    webhook_timeout: float | None,
    request_log_limit: int | None,
    rate_limit: float | None,
    concurrency_limit: int | None,
    auth_failure_limit: int | None,
    webhook_allow: tuple[str, ...],
    webhook_deny: tuple[str, ...],
    webhook_deny_private: bool | None,
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
            webhook_timeout=webhook_timeout,
            request_log_limit=request_log_limit,
            rate_limit=rate_limit,
            concurrency_limit=concurrency_limit,
            auth_failure_limit=auth_failure_limit,
            webhook_allow=webhook_allow or None,
            webhook_deny=webhook_deny or None,
            webhook_deny_private=webhook_deny_private,
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
    _console().print(table)


@accounts.command("rotate-token")
@click.argument("account_sid")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object")
def accounts_rotate_token(account_sid: str, database_url: str | None, as_json: bool) -> None:
    """Give an account a new auth token (the old one stops working at once)."""
    from switchboard.twilio.sids import new_auth_token

    token = new_auth_token()
    found = _with_store(
        _database_url(database_url), lambda store: store.set_auth_token(account_sid, token)
    )
    if not found:
        raise click.ClickException(f"no account {account_sid}")
    if as_json:
        click.echo(json.dumps({"sid": account_sid, "auth_token": token}))
    else:
        click.echo(f"New auth token for {account_sid}: {token}")


@main.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--account", "account_sid", required=True, help="The account (AC…) the key acts as")
@click.option("--friendly-name", default=None, help="Up to 64 characters")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object")
def keys_create(
    account_sid: str, friendly_name: str | None, database_url: str | None, as_json: bool
) -> None:
    """Make a standard API key; its secret is printed this once and stored only as a hash."""
    from switchboard.twilio import rules

    if friendly_name is not None and not 1 <= len(friendly_name) <= 64:
        raise click.BadParameter("must be 1 to 64 characters", param_hint="--friendly-name")
    secret = rules.new_key_secret()

    async def create(store: Store) -> dict[str, object]:
        if await store.get_account(account_sid) is None:
            raise click.ClickException(f"no account {account_sid}")
        return await store.create_key(account_sid, friendly_name, rules.hash_secret(secret))

    record = _with_store(_database_url(database_url), create)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sid": record["sid"],
                    "secret": secret,
                    "account_sid": account_sid,
                    "friendly_name": record["friendly_name"],
                    "date_created": rfc2822(int(record["date_created"])),  # type: ignore[call-overload]
                }
            )
        )
    else:
        click.echo(f"Created API key {record['sid']} for {account_sid}")
        click.echo(f"  secret (shown once): {secret}")


@main.group()
def simulate() -> None:
    """Simulate an inbound call or SMS to one of your numbers and show what happened."""


def _simulate(
    kind: str,
    form: dict[str, str],
    account_sid: str | None,
    database_url: str | None,
    webhook_timeout: float | None,
    as_json: bool,
) -> None:
    import httpx

    from switchboard.routing.router import Router
    from switchboard.routing.simulate import simulate_call, simulate_message
    from switchboard.routing.webhooks import Webhooks
    from switchboard.twilio.errors import TwilioError

    settings = Settings.from_env(database_url=database_url, webhook_timeout=webhook_timeout)

    async def run(store: Store) -> dict[str, object]:
        if account_sid is None:
            account, _ = await store.ensure_main_account(None, None)
        else:
            found = await store.get_account(account_sid)
            if found is None:
                raise click.ClickException(f"no account {account_sid}")
            account = found
        async with httpx.AsyncClient() as client:
            router = Router(store, Webhooks(client, timeout=settings.webhook_timeout))
            flow = simulate_call if kind == "call" else simulate_message
            try:
                return await flow(router, account, form, keep=settings.request_log_limit)
            except TwilioError as exc:
                raise click.ClickException(f"{exc.code}: {exc.message}") from None

    trace = _with_store(settings.database_url, run)
    if as_json:
        click.echo(json.dumps(trace))
    else:
        _print_trace(trace)
    if trace["status"] != "completed":
        sys.exit(1)


def _print_trace(trace: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    sid = trace.get("call_sid") or trace.get("message_sid")
    console.print(
        f"[bold]{sid}[/bold] {trace['from']} -> {trace['to']}  status: "
        f"[{'green' if trace['status'] == 'completed' else 'red'}]{trace['status']}[/]"
        f"  application: {trace['application_sid'] or '(the number itself)'}"
    )
    if trace.get("error_code"):
        console.print(f"error {trace['error_code']}: {trace['error_message']}")
    table = Table("#", "purpose", "method", "url", "status", "ms", "error")
    for i, r in enumerate(trace["requests"], 1):
        table.add_row(
            str(i),
            r["purpose"],
            r["method"],
            r["url"],
            str(r["status_code"] or "-"),
            f"{r['duration_ms']:.1f}",
            f"{r['error_code']} {r['error_message']}" if r["error_code"] else "",
        )
    console.print(table)
    if trace["verbs"]:
        console.print("verbs: " + ", ".join(v["verb"] for v in trace["verbs"]))
    for m in trace.get("messages", []):
        console.print(f"reply {m['sid']} to {m['to']}: {m['body']!r}")


@simulate.command("call")
@click.option("--to", "to", required=True, help="Your number (E.164) that receives the call")
@click.option("--from", "from_", required=True, help="The caller")
@click.option("--account", "account_sid", default=None, help="Account (default: the main one)")
@click.option("--caller-name", default=None, help="CallerName, sent when caller-ID lookup is on")
@click.option("--call-duration", default="0", help="CallDuration for the status callback")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--webhook-timeout", type=float, default=None, help="Seconds (default 15)")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON")
def simulate_call_cmd(
    to: str,
    from_: str,
    account_sid: str | None,
    caller_name: str | None,
    call_duration: str,
    database_url: str | None,
    webhook_timeout: float | None,
    as_json: bool,
) -> None:
    """A call to --to: its voice webhooks are requested now. Exits 1 when the flow failed."""
    form = {"To": to, "From": from_, "CallDuration": call_duration}
    if caller_name is not None:
        form["CallerName"] = caller_name
    _simulate("call", form, account_sid, database_url, webhook_timeout, as_json)


@simulate.command("sms")
@click.option("--to", "to", required=True, help="Your number (E.164) that receives the SMS")
@click.option("--from", "from_", required=True, help="The sender")
@click.option("--body", default="", help="The message text")
@click.option("--media-url", multiple=True, help="MediaUrl0..9 (repeatable)")
@click.option("--account", "account_sid", default=None, help="Account (default: the main one)")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--webhook-timeout", type=float, default=None, help="Seconds (default 15)")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON")
def simulate_sms_cmd(
    to: str,
    from_: str,
    body: str,
    media_url: tuple[str, ...],
    account_sid: str | None,
    database_url: str | None,
    webhook_timeout: float | None,
    as_json: bool,
) -> None:
    """An SMS to --to: its messaging webhooks are requested now. Exits 1 when the flow failed."""
    form = {"To": to, "From": from_, "Body": body}
    for i, url in enumerate(media_url[:10]):
        form[f"MediaUrl{i}"] = url
    _simulate("message", form, account_sid, database_url, webhook_timeout, as_json)


def _console() -> Any:
    """Rich output; when piped, wide enough that SIDs and URLs are never wrapped."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 240)


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


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def db_backup(destination: str, database_url: str | None) -> None:
    """Copy a SQLite database to DESTINATION, consistently, while the server runs.

    For PostgreSQL use pg_dump (see docs/deploy.md).
    """
    import sqlite3

    from switchboard.store import is_postgres

    url = _database_url(database_url)
    if is_postgres(url):
        raise click.ClickException("for PostgreSQL use pg_dump: see docs/deploy.md")
    source = sqlite3.connect(migrate.sqlite_path(url))
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    click.echo(f"backed up {redact_url(url)} to {destination}")


if __name__ == "__main__":
    main()
