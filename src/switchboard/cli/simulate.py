"""`switchboard simulate call|sms|client-call`: an inbound call or SMS through a number's
webhooks, or a Voice SDK device's call through its token's application, now."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from switchboard.api.wire import Params
from switchboard.cli import database, output
from switchboard.cli.options import database_option
from switchboard.cli.output import Failure
from switchboard.config import Settings
from switchboard.store import Store

if TYPE_CHECKING:
    from switchboard.traffic.clients import Accounts
    from switchboard.twilio.resources import Account

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def simulate() -> None:
    """Simulate an inbound call or SMS to one of your numbers, or a Voice SDK device's call,
    and show what happened."""


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

    try:
        settings = Settings.from_env(database_url=database_url, webhook_timeout=webhook_timeout)
    except ValueError as exc:
        raise Failure(f"bad setting: {exc}") from None

    async def run(store: Store) -> dict[str, Any]:
        if account_sid is None:
            account, _ = await store.ensure_main_account(None, None)
        else:
            found = await store.get_account(account_sid)
            if found is None:
                raise Failure(f"no account {account_sid}")
            account = found
        async with open_simulator(store, settings) as simulator:
            try:
                if kind == "call":
                    view = await simulator.call(account, form)
                elif kind == "client-call":
                    view = await simulator.client_call(_acting_for(store, account), form)
                else:
                    view = await simulator.message(account, form)
            except TwilioError as exc:
                if exc.code == 20404:  # the number is not the account's: say what to do
                    raise Failure(f"{exc.message}. {_NUMBER_HINT}", exc.code) from None
                raise
        return trace_json(view.body, view.requests)

    trace = database.run(settings.database_url, run)
    if as_json:
        click.echo(json.dumps(trace))
    else:
        _print_trace(trace)
    if trace["status"] != "completed":
        sys.exit(1)


def _acting_for(store: Store, account: Account) -> Accounts:
    """The accounts a token may belong to: the command's account and its subaccounts."""
    from switchboard.api.auth import Principal
    from switchboard.api.clients import accounts_for

    return accounts_for(store, Principal(account), account)


_NUMBER_HINT = (
    "Make it one of your numbers first, with your webhook: "
    "`switchboard numbers create --phone-number <the --to number> --voice-url <your URL>` "
    "(or `--voice-application AP…`; `--sms-url` for SMS)"
)


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
    if trace.get("duration") is not None:
        console.print(f"call time: {trace['duration']} s")
    for m in trace.get("messages", []):
        console.print(f"reply {m['sid']} to {m['to']}: {m['body']!r}")


_CALLER_OPTIONS = (
    click.option(
        "--input",
        "inputs",
        multiple=True,
        help="What the caller does at each <Gather>/<Record> (repeatable): digits such as 1 or "
        "1234#, speech:<text>, record:<seconds>, timeout",
    ),
    click.option("--dial-status", multiple=True, help="Outcome of each <Dial> (repeatable)"),
    click.option("--dial-duration", multiple=True, help="Seconds of each completed <Dial>"),
    click.option(
        "--hangup-after", default=None, help="Seconds of call time, then the caller hangs up"
    ),
)


def _caller_options(command: F) -> F:
    """The caller script's options (`Input`, `DialStatus`, `DialDuration`, `HangupAfter`), which
    the command takes as `**script` and hands to `_script`."""
    for option in reversed(_CALLER_OPTIONS):
        command = option(command)
    return command


def _script(
    inputs: tuple[str, ...] = (),
    dial_status: tuple[str, ...] = (),
    dial_duration: tuple[str, ...] = (),
    hangup_after: str | None = None,
) -> list[tuple[str, str]]:
    pairs = [("Input", v) for v in inputs]
    pairs += [("DialStatus", v) for v in dial_status]
    pairs += [("DialDuration", v) for v in dial_duration]
    if hangup_after is not None:
        pairs.append(("HangupAfter", hangup_after))
    return pairs


@simulate.command("call")
@click.option("--to", "to", required=True, help="Your number (E.164) that receives the call")
@click.option("--from", "from_", required=True, help="The caller")
@click.option("--account", "account_sid", default=None, help="Account (default: the main one)")
@click.option("--caller-name", default=None, help="CallerName, sent when caller-ID lookup is on")
@_caller_options
@database_option
@click.option("--webhook-timeout", type=float, default=None, help="Seconds (default 15)")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON")
def simulate_call_cmd(
    to: str,
    from_: str,
    account_sid: str | None,
    caller_name: str | None,
    database_url: str | None,
    webhook_timeout: float | None,
    as_json: bool,
    **script: Any,
) -> None:
    """A call to --to, run verb by verb with a scripted caller. Exits 1 unless it completed."""
    pairs = [("To", to), ("From", from_)]
    if caller_name is not None:
        pairs.append(("CallerName", caller_name))
    pairs += _script(**script)
    _simulate("call", Params(pairs), account_sid, database_url, webhook_timeout, as_json)


@simulate.command("client-call")
@click.option(
    "--token",
    required=True,
    help="The device's Access Token (a VoiceGrant whose outgoing application serves the call)",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    help="name=value, as device.connect({params}) sends it (repeatable): --param To=+1…",
)
@click.option("--account", "account_sid", default=None, help="Account (default: the main one)")
@_caller_options
@database_option
@click.option("--webhook-timeout", type=float, default=None, help="Seconds (default 15)")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON")
def simulate_client_call_cmd(
    token: str,
    params: tuple[str, ...],
    account_sid: str | None,
    database_url: str | None,
    webhook_timeout: float | None,
    as_json: bool,
    **script: Any,
) -> None:
    """A Voice SDK device's call: its token's application is requested as from
    client:<identity>, then the call runs verb by verb. The token may be the account's or a
    subaccount's. Exits 1 unless it completed."""
    pairs = [("Token", token), *(("Param", p) for p in params)]
    pairs += _script(**script)
    _simulate("client-call", Params(pairs), account_sid, database_url, webhook_timeout, as_json)


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
    pairs = [("To", to), ("From", from_), ("Body", body)]
    pairs += [(f"MediaUrl{i}", url) for i, url in enumerate(media_url[:10])]
    _simulate("message", Params(pairs), account_sid, database_url, webhook_timeout, as_json)
