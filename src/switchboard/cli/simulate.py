"""`switchboard simulate call|sms`: an inbound call or SMS through a number's webhooks, now."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from switchboard.cli import database, output
from switchboard.cli.options import database_option
from switchboard.cli.output import Failure
from switchboard.config import Settings
from switchboard.store import Store


@click.group()
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
    from switchboard.routing.factory import open_router
    from switchboard.routing.simulate import simulate_call, simulate_message
    from switchboard.twilio.errors import TwilioError

    try:
        settings = Settings.from_env(database_url=database_url, webhook_timeout=webhook_timeout)
    except ValueError as exc:
        raise Failure(f"bad setting: {exc}") from None

    async def run(store: Store) -> dict[str, object]:
        if account_sid is None:
            account, _ = await store.ensure_main_account(None, None)
        else:
            found = await store.get_account(account_sid)
            if found is None:
                raise click.ClickException(f"no account {account_sid}")
            account = found
        async with open_router(store, settings) as router:
            flow = simulate_call if kind == "call" else simulate_message
            try:
                return await flow(router, account, form, keep=settings.request_log_limit)
            except TwilioError as exc:
                raise click.ClickException(f"{exc.code}: {exc.message}") from None

    trace = database.run(settings.database_url, run)
    if as_json:
        click.echo(json.dumps(trace))
    else:
        _print_trace(trace)
    if trace["status"] != "completed":
        sys.exit(1)


def _print_trace(trace: dict[str, Any]) -> None:
    from rich.table import Table

    console = output.console()
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
@database_option
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
@database_option
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
