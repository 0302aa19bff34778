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
from switchboard.api.wire import Params
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
    """How to point the SDKs here. Clearing `edge`/`region` after construction is the one way
    that works in both: they read TWILIO_EDGE/TWILIO_REGION even when given an empty
    `environment`/`env`, and would turn 127.0.0.1 into 127.<edge>.<region>.0.1."""
    return f"""\
Point twilio-python at this server:

    from twilio.rest import Client

    client = Client("{account.sid}", "{account.auth_token}")
    client.api.base_url = "{base_url}"
    client.edge = client.region = None  # ignore TWILIO_EDGE and TWILIO_REGION
    app = client.applications.create(friendly_name="My app", voice_url="https://example.com/voice")
    print(app.sid)

twilio-node: client.api.baseUrl = "{base_url}"; client.edge = client.region = undefined;
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
@click.option(
    "--allow-reset/--no-allow-reset",
    default=None,
    help="Let a main account empty the store with POST /switchboard/v1/reset, for test suites "
    "(env SWITCHBOARD_ALLOW_RESET; off)",
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
    allow_reset: bool | None,
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
            allow_reset=allow_reset,
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
    click.echo(f"Web console: {base_url}/console/")
    if settings.allow_reset:
        click.echo("POST /switchboard/v1/reset is enabled (--allow-reset)")
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
        # The client address (for --auth-failure-limit) is the peer's own unless a proxy is
        # named with FORWARDED_ALLOW_IPS: nobody may spoof it with X-Forwarded-For.
        proxy_headers=bool(os.environ.get("FORWARDED_ALLOW_IPS")),
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS") or None,
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
    form: Params,
    account_sid: str | None,
    database_url: str | None,
    webhook_timeout: float | None,
    as_json: bool,
) -> None:
    from switchboard.api.traces import trace_json
    from switchboard.traffic.factory import open_simulator
    from switchboard.twilio.errors import TwilioError

    settings = Settings.from_env(database_url=database_url, webhook_timeout=webhook_timeout)

    async def run(store: Store) -> dict[str, Any]:
        if account_sid is None:
            account, _ = await store.ensure_main_account(None, None)
        else:
            found = await store.get_account(account_sid)
            if found is None:
                raise click.ClickException(f"no account {account_sid}")
            account = found
        async with open_simulator(store, settings) as simulator:
            try:
                if kind == "call":
                    view = await simulator.call(account, form)
                else:
                    view = await simulator.message(account, form)
            except TwilioError as exc:
                raise click.ClickException(f"{exc.code}: {exc.message}") from None
        return trace_json(view.body, view.requests)

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
    if trace.get("duration") is not None:
        console.print(f"call time: {trace['duration']} s")
    for m in trace.get("messages", []):
        console.print(f"reply {m['sid']} to {m['to']}: {m['body']!r}")


@simulate.command("call")
@click.option("--to", "to", required=True, help="Your number (E.164) that receives the call")
@click.option("--from", "from_", required=True, help="The caller")
@click.option("--account", "account_sid", default=None, help="Account (default: the main one)")
@click.option("--caller-name", default=None, help="CallerName, sent when caller-ID lookup is on")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    help="What the caller does at each <Gather>/<Record> (repeatable): digits such as 1 or "
    "1234#, speech:<text>, record:<seconds>, timeout",
)
@click.option("--dial-status", multiple=True, help="Outcome of each <Dial> (repeatable)")
@click.option("--dial-duration", multiple=True, help="Seconds of each completed <Dial>")
@click.option("--hangup-after", default=None, help="Seconds of call time, then the caller hangs up")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option("--webhook-timeout", type=float, default=None, help="Seconds (default 15)")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON")
def simulate_call_cmd(
    to: str,
    from_: str,
    account_sid: str | None,
    caller_name: str | None,
    inputs: tuple[str, ...],
    dial_status: tuple[str, ...],
    dial_duration: tuple[str, ...],
    hangup_after: str | None,
    database_url: str | None,
    webhook_timeout: float | None,
    as_json: bool,
) -> None:
    """A call to --to, run verb by verb with a scripted caller. Exits 1 unless it completed."""
    pairs = [("To", to), ("From", from_)]
    if caller_name is not None:
        pairs.append(("CallerName", caller_name))
    pairs += [("Input", v) for v in inputs]
    pairs += [("DialStatus", v) for v in dial_status]
    pairs += [("DialDuration", v) for v in dial_duration]
    if hangup_after is not None:
        pairs.append(("HangupAfter", hangup_after))
    _simulate("call", Params(pairs), account_sid, database_url, webhook_timeout, as_json)


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
    pairs = [("To", to), ("From", from_), ("Body", body)]
    pairs += [(f"MediaUrl{i}", url) for i, url in enumerate(media_url[:10])]
    _simulate("message", Params(pairs), account_sid, database_url, webhook_timeout, as_json)


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


# Fixtures: `switchboard seed FILE.yaml` and `switchboard export` (format: docs/fixtures.md)


class FixtureError(click.ClickException):
    """Bad fixture input: the message says where (`accounts[0].applications[2].voice_url`)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bad fixture: {message}")


_FIXTURE_TYPES = ("local", "tollfree", "mobile")


def _fixture_sid(value: Any, prefix: str, where: str) -> str:
    import re

    if not isinstance(value, str) or not re.fullmatch(rf"{prefix}[0-9a-f]{{32}}", value):
        raise FixtureError(
            f"{where}: must be {prefix} followed by 32 lower-case hex digits, not {value!r}"
        )
    return value


def _unseen_fixture_sid(value: Any, prefix: str, where: str, seen: set[str]) -> str:
    """`_fixture_sid`, refusing a SID the fixture gave already (`seen` collects them)."""
    sid = _fixture_sid(value, prefix, where)
    if sid in seen:
        raise FixtureError(f"{where}: {sid} appears twice")
    seen.add(sid)
    return sid


def _fixture_text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FixtureError(f"{where}: must be a string, not {value!r}")
    return str(value)


def _fixture_values(
    fields: tuple[Any, ...], raw: dict[str, Any], where: str, own_keys: frozenset[str]
) -> dict[str, Any]:
    """Validate a record's writable fields (JSON keys) with the API's own rules.

    Absent or null keys get the field's default, as on create. Read-only fields (`uri`,
    `date_created`, ...) are ignored, so API output can be pasted in; unknown keys are errors.
    """
    from switchboard.twilio.errors import TwilioError
    from switchboard.twilio.fields import Kind
    from switchboard.twilio.params import parse_value

    writable = {f.key: f for f in fields if f.writable}
    read_only = {f.key for f in fields if not f.writable}
    values = {key: f.default for key, f in writable.items()}
    for key, value in raw.items():
        if key in own_keys:
            continue
        field = writable.get(key)
        if field is None:
            if key in read_only:
                continue
            allowed = ", ".join(sorted(own_keys | set(writable)))
            raise FixtureError(f"{where}: unknown key {key!r} (known keys: {allowed})")
        if value is None:
            continue
        if field.kind is Kind.BOOL and isinstance(value, bool):
            wire = "true" if value else "false"
        else:
            wire = _fixture_text(value, f"{where}.{key}")
        try:
            values[key] = parse_value(field, wire)
        except TwilioError as exc:
            raise FixtureError(f"{where}.{key}: {exc.message}") from None
    return values


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FixtureError(f"{where}: must be a mapping, not {type(value).__name__}")
    return value


def _sequence(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FixtureError(f"{where}: must be a list, not {type(value).__name__}")
    return value


_ACCOUNT_KEYS = frozenset(
    {
        "sid",
        "auth_token",
        "friendly_name",
        "owner_account_sid",
        "status",
        "main",
        "applications",
        "incoming_phone_numbers",
    }
)
# What the API shows of an account but a fixture does not set: ignored, so API output can be used.
_ACCOUNT_READ_ONLY = frozenset({"type", "date_created", "date_updated", "subresource_uris", "uri"})
_APP_KEYS = frozenset({"sid"})
_NUMBER_KEYS = frozenset({"sid", "phone_number", "type"})


def parse_fixture(data: Any) -> list[Any]:
    """A loaded YAML document -> the store's `SeedAccount`s, or a FixtureError."""
    from collections import Counter

    from switchboard.store.base import SeedAccount, SeedApplication, SeedNumber
    from switchboard.twilio import rules
    from switchboard.twilio.errors import TwilioError
    from switchboard.twilio.resources import ACCOUNT_STATUSES, APPLICATION, INCOMING_PHONE_NUMBER

    APPLICATION_FIELDS, PHONE_NUMBER_FIELDS = APPLICATION.fields, INCOMING_PHONE_NUMBER.fields

    top = _mapping(data, "the document")
    unknown = set(top) - {"accounts"}
    if unknown:
        raise FixtureError(f"unknown top-level key(s) {sorted(unknown)}: expected `accounts`")
    seen_accounts: set[str] = set()
    seen_apps: set[str] = set()
    seen_number_sids: set[str] = set()
    seen_numbers: set[str] = set()
    out: list[SeedAccount] = []
    for i, item in enumerate(_sequence(top.get("accounts"), "accounts")):
        where = f"accounts[{i}]"
        raw = _mapping(item, where)
        unknown = set(raw) - _ACCOUNT_KEYS - _ACCOUNT_READ_ONLY
        if unknown:
            raise FixtureError(
                f"{where}: unknown key(s) {sorted(unknown)} (known keys: "
                f"{', '.join(sorted(_ACCOUNT_KEYS))})"
            )
        for required in ("sid", "auth_token", "friendly_name"):
            if raw.get(required) is None:
                raise FixtureError(f"{where}: `{required}` is required")
        sid = _unseen_fixture_sid(raw["sid"], "AC", f"{where}.sid", seen_accounts)
        token = raw["auth_token"]
        if not isinstance(token, str) or not token or len(token) > 128 or any(
            c.isspace() or not c.isprintable() for c in token
        ):
            raise FixtureError(
                f"{where}.auth_token: must be a string of 1 to 128 printable characters without "
                "spaces (quote a token made only of digits)"
            )
        try:
            name = rules.parse_friendly_name(_fixture_text(raw["friendly_name"], where))
        except TwilioError as exc:
            raise FixtureError(f"{where}.friendly_name: {exc.message}") from None
        owner = raw.get("owner_account_sid")
        if owner is not None:
            owner = _fixture_sid(owner, "AC", f"{where}.owner_account_sid")
        status = raw.get("status", "active")
        if status not in ACCOUNT_STATUSES:
            raise FixtureError(
                f"{where}.status: must be one of {', '.join(ACCOUNT_STATUSES)}, not {status!r}"
            )
        is_main = raw.get("main", False)
        if not isinstance(is_main, bool):
            raise FixtureError(f"{where}.main: must be true or false, not {is_main!r}")

        apps: list[SeedApplication] = []
        for j, app_item in enumerate(_sequence(raw.get("applications"), f"{where}.applications")):
            app_where = f"{where}.applications[{j}]"
            app_raw = _mapping(app_item, app_where)
            app_sid = app_raw.get("sid")
            if app_sid is not None:
                app_sid = _unseen_fixture_sid(app_sid, "AP", f"{app_where}.sid", seen_apps)
            values = _fixture_values(APPLICATION_FIELDS, app_raw, app_where, _APP_KEYS)
            if app_sid is None and values["friendly_name"] is None:
                raise FixtureError(
                    f"{app_where}: give a `sid` or a `friendly_name`, so that seeding again "
                    "finds this application instead of making another"
                )
            apps.append(SeedApplication(app_where, app_sid, values))
        # An application without a SID is found again by its name: the name must be unique.
        names = Counter(a.values["friendly_name"] for a in apps)
        for app in apps:
            if app.sid is None and names[app.values["friendly_name"]] > 1:
                raise FixtureError(
                    f"{app.where}.friendly_name: {app.values['friendly_name']!r} names another "
                    "application of this account too; give this one a `sid`"
                )

        numbers: list[SeedNumber] = []
        for j, number_item in enumerate(
            _sequence(raw.get("incoming_phone_numbers"), f"{where}.incoming_phone_numbers")
        ):
            n_where = f"{where}.incoming_phone_numbers[{j}]"
            n_raw = _mapping(number_item, n_where)
            n_sid = n_raw.get("sid")
            if n_sid is not None:
                n_sid = _unseen_fixture_sid(n_sid, "PN", f"{n_where}.sid", seen_number_sids)
            if n_raw.get("phone_number") is None:
                raise FixtureError(f"{n_where}: `phone_number` is required")
            try:
                phone = rules.parse_phone_number(
                    _fixture_text(n_raw["phone_number"], f"{n_where}.phone_number")
                )
            except TwilioError as exc:
                raise FixtureError(f"{n_where}.phone_number: {exc.message}") from None
            if phone in seen_numbers:
                raise FixtureError(f"{n_where}.phone_number: {phone} appears twice")
            seen_numbers.add(phone)
            n_type = n_raw.get("type")
            if n_type is not None and n_type not in _FIXTURE_TYPES:
                raise FixtureError(
                    f"{n_where}.type: must be one of {', '.join(_FIXTURE_TYPES)}, not {n_type!r}"
                )
            n_values = _fixture_values(PHONE_NUMBER_FIELDS, n_raw, n_where, _NUMBER_KEYS)
            try:
                rules.apply_link_rules(n_values)
            except TwilioError as exc:
                raise FixtureError(f"{n_where}: {exc.message}") from None
            numbers.append(SeedNumber(n_where, n_sid, phone, n_type, n_values))

        out.append(
            SeedAccount(
                where=where,
                sid=sid,
                friendly_name=name,
                auth_token=token,
                owner_sid=None if owner in (None, sid) else owner,
                status=status,
                is_main=is_main,
                applications=tuple(apps),
                numbers=tuple(numbers),
            )
        )
    return out


@main.command()
@click.argument("fixture", type=click.File("r", encoding="utf-8"))
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def seed(fixture: Any, database_url: str | None) -> None:
    """Load accounts, applications and numbers from FIXTURE (YAML or JSON; - for stdin).

    Idempotent: seeding the same file twice leaves the same state. All or nothing: on any
    error nothing is written. The format is in docs/fixtures.md; `switchboard export` writes it.
    """
    import yaml

    from switchboard.twilio.errors import TwilioError

    try:
        data = yaml.safe_load(fixture)
    except yaml.YAMLError as exc:
        raise FixtureError(f"{fixture.name} is not valid YAML: {exc}") from None
    accounts_ = parse_fixture(data)

    async def run(store: Store) -> Any:
        try:
            return await store.seed(accounts_)
        except TwilioError as exc:
            raise click.ClickException(
                f"seed failed, nothing was written: {exc.message} (code {exc.code})"
            ) from None

    url = _database_url(database_url)
    result = _with_store(url, run)
    parts = []
    for kind in ("accounts", "applications", "numbers"):
        created = result.created.get(kind, 0)
        updated = result.updated.get(kind, 0)
        unchanged = result.unchanged.get(kind, 0)
        parts.append(f"{kind}: {created} created, {updated} updated, {unchanged} unchanged")
    click.echo(f"Seeded {fixture.name} into {redact_url(url)}")
    for part in parts:
        click.echo(f"  {part}")


async def export_fixture(store: Store) -> dict[str, Any]:
    """Everything `seed` loads, from the store: accounts (with tokens), applications, numbers."""
    from switchboard.store.base import Keyset, NumberFilter
    from switchboard.twilio.resources import APPLICATION, INCOMING_PHONE_NUMBER

    APPLICATION_FIELDS, PHONE_NUMBER_FIELDS = APPLICATION.fields, INCOMING_PHONE_NUMBER.fields

    # The name first, for a readable file; then the fields in the API's order.
    app_keys = ["friendly_name"] + [
        f.key for f in APPLICATION_FIELDS if f.writable and f.key != "friendly_name"
    ]
    number_keys = ["friendly_name"] + [
        f.key for f in PHONE_NUMBER_FIELDS if f.writable and f.key != "friendly_name"
    ]

    async def every(fetch: Callable[[Keyset], Awaitable[list[Any]]]) -> list[Any]:
        rows: list[Any] = []
        after = None
        while True:
            page = await fetch(Keyset(after, None, 1000))
            rows.extend(page)
            if len(page) < 1000:
                return rows
            after = page[-1]["sid"]

    out: list[dict[str, Any]] = []
    for account in sorted(await store.list_accounts(), key=lambda a: (a.is_subaccount, a.sid)):
        sid = account.sid

        def app_page(page: Keyset, sid: str = sid) -> Awaitable[list[Any]]:
            return store.list_applications(sid, friendly_name=None, page=page)

        def number_page(page: Keyset, sid: str = sid) -> Awaitable[list[Any]]:
            return store.list_numbers(sid, filters=NumberFilter(), page=page)

        apps = await every(app_page)
        numbers = await every(number_page)
        record: dict[str, Any] = {
            "sid": sid,
            "auth_token": account.auth_token,
            "friendly_name": account.friendly_name,
        }
        if account.is_subaccount:
            record["owner_account_sid"] = account.owner_account_sid
        record["status"] = account.status
        if account.is_main:
            record["main"] = True
        record["applications"] = [
            {"sid": a["sid"], **{k: a[k] for k in app_keys}} for a in apps
        ]
        record["incoming_phone_numbers"] = [
            {
                "sid": n["sid"],
                "phone_number": n["phone_number"],
                **{k: n[k] for k in number_keys[:1]},
                "type": n["type"],
                **{k: n[k] for k in number_keys[1:]},
            }
            for n in numbers
        ]
        out.append(record)
    return {"accounts": out}


@main.command()
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file (created readable by its owner only); default: stdout",
)
def export(database_url: str | None, output: str | None) -> None:
    """Write every account (with its auth token), application and number as a seed fixture.

    API keys are not exported: only their hashes are stored.
    """
    import yaml

    data = _with_store(_database_url(database_url), export_fixture)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    header = "# Switchboard fixture (switchboard export). It holds auth tokens: keep it private.\n"
    if output is None:
        click.echo(header + text, nl=False)
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(header + text)
    counts = (len(data["accounts"]), sum(len(a["applications"]) for a in data["accounts"]))
    click.echo(f"Exported {counts[0]} accounts and {counts[1]} applications to {output}")


if __name__ == "__main__":
    main()
