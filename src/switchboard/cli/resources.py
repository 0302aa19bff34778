"""`switchboard applications|numbers create|list|get|update|delete`, `keys list|delete`.

What a Twilio CLI user expects, on the database directly (`--database-url`) for one account
(`--account`, default the main one). The options are the API's parameters in kebab-case, derived
from the field declarations (`VoiceUrl` -> `--voice-url`; a link to an application also takes
the short `--voice-application`), and every value goes through the API's own parsing
(`parse_params`), rules and store methods: the CLI stores nothing the API would refuse, and says
no as the API does (`error 21402: VoiceUrl is not a valid URL: …`). `--json` prints the API's
own JSON for each record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from switchboard.api.render import record_json
from switchboard.cli import database, output
from switchboard.cli.options import account_option, database_option
from switchboard.cli.output import json_option, twilio_errors
from switchboard.store import Store
from switchboard.store.base import NumberFilter
from switchboard.store.tx import Keyset, every_page
from switchboard.twilio import errors, rules
from switchboard.twilio.fields import Field, Kind
from switchboard.twilio.params import parse_params
from switchboard.twilio.resources import (
    APPLICATION,
    INCOMING_PHONE_NUMBER,
    KEY,
    Account,
    Record,
    Resource,
)
from switchboard.twilio.sids import is_sid

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Managed:
    """One kind of record the CLI manages (its declaration), and the store methods that hold it."""

    noun: str  # "application"
    resource: Resource
    columns: tuple[tuple[str, str], ...]  # (JSON key, heading) of the list table
    filters: tuple[str, ...]  # the list's filters, as API parameters ("FriendlyName")
    fetch: Callable[[Store, str, str], Awaitable[Record | None]]  # (store, account, sid)
    page: Callable[[Store, str, Keyset, dict[str, str]], Awaitable[list[Record]]]
    remove: Callable[[Store, str, str], Awaitable[bool]]
    change: Callable[[Store, str, str, dict[str, Any]], Awaitable[Record | None]] | None = None
    apply_rules: Callable[[dict[str, Any]], dict[str, Any]] = dict  # the API's rules on new values

    @property
    def prefix(self) -> str:
        return self.resource.prefix

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.resource.fields

    def uri(self, account_sid: str, sid: str) -> str:
        return self.resource.uri({"account_sid": account_sid, "sid": sid}, ".json")

    def as_json(self, record: Record) -> dict[str, Any]:
        """The record exactly as the API's JSON shows it."""
        return record_json(self.resource, record, ".json")


def kebab(name: str) -> str:
    """`voice_url` or `VoiceUrl` -> `voice-url`."""
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return out.replace("_", "-")


_KIND_HELP = {
    Kind.URL: ("URL", 'an http(s) URL; "" clears it'),
    Kind.METHOD: ("METHOD", "GET or POST"),
    Kind.BOOL: ("BOOL", "true or false"),
    Kind.FRIENDLY_NAME: ("TEXT", "1 to 64 characters"),
    Kind.API_VERSION: ("VERSION", "2010-04-01 or 2008-08-01"),
}


def _field_option(field: Field, create: bool) -> Callable[[F], F]:
    names = [f"--{kebab(field.key)}"]
    if field.kind is Kind.REF and field.prefix == "AP":
        names.append(f"--{kebab(field.key.removesuffix('_sid'))}")  # --voice-application
    if field.kind is Kind.REF:
        metavar, text = f"{field.prefix}…", f'a {field.prefix}… SID; "" clears it'
    elif field.kind is Kind.ENUM:
        metavar, text = "CHOICE", "one of " + ", ".join(field.choices)
    else:
        metavar, text = _KIND_HELP.get(field.kind, ("TEXT", "text"))
    if create and field.default not in (None, ""):
        default = str(field.default).lower() if field.kind is Kind.BOOL else field.default
        text += f"; default {default}"
    help_ = f"{field.param}: {text}"
    return click.option(*names, field.key, metavar=metavar, default=None, help=help_)


def field_options(fields: tuple[Field, ...], *, create: bool) -> Callable[[F], F]:
    """An option for each writable field, in the declarations' order."""

    def add(fn: F) -> F:
        for field in reversed([f for f in fields if f.writable]):
            fn = _field_option(field, create)(fn)
        return fn

    return add


def wire_params(fields: tuple[Field, ...], given: dict[str, Any]) -> dict[str, str]:
    """The options given, as the API's form parameters (`voice_url` -> `VoiceUrl`)."""
    return {f.param: given[f.key] for f in fields if f.writable and given.get(f.key) is not None}


def common_options(fn: F) -> F:
    return account_option(database_option(json_option(fn)))


def _show(resource: Managed, record: Record, as_json: bool, heading: str | None = None) -> None:
    values = resource.as_json(record)
    if as_json:
        output.echo_json(values)
        return
    if heading:
        click.echo(heading)
    output.record(values)


def _on_one(
    resource: Managed,
    sid: str,
    url_flag: str | None,
    account_sid: str | None,
    op: Callable[[Store, str, str], Awaitable[Any]],
) -> Any:
    """`op(store, account, sid)` on one record; nothing found (None, False), or a SID of the
    wrong shape, is the API's 20404."""

    async def run(store: Store, account: Account) -> Any:
        found = await op(store, account.sid, sid) if is_sid(sid, resource.prefix) else None
        if not found:
            raise errors.not_found(resource.uri(account.sid, sid))
        return found

    return database.run_for_account(url_flag, account_sid, run)


def _sid_command(resource: Managed, name: str, help: str) -> Callable[[F], click.Command]:
    """A command on one record: `NAME SID` with --account, --database-url, --json."""

    def make(fn: F) -> click.Command:
        argument = click.argument("sid", metavar=f"{resource.prefix}…")
        return click.command(name, help=help)(argument(common_options(fn)))

    return make


def _get_command(resource: Managed) -> click.Command:
    @_sid_command(resource, "get", f"Show one {resource.noun}.")
    def get(sid: str, account_sid: str | None, database_url: str | None, as_json: bool) -> None:
        _show(resource, _on_one(resource, sid, database_url, account_sid, resource.fetch), as_json)

    return get


def _list_command(resource: Managed) -> click.Command:
    @click.command("list", help=f"Show every {resource.noun} of the account.")
    @common_options
    def list_(
        account_sid: str | None, database_url: str | None, as_json: bool, **given: Any
    ) -> None:
        filters = {param: given[kebab(param).replace("-", "_")] for param in resource.filters}
        filters = {k: v for k, v in filters.items() if v is not None}

        async def rows(store: Store, account: Account) -> list[Record]:
            return await every_page(lambda page: resource.page(store, account.sid, page, filters))

        records = database.run_for_account(database_url, account_sid, rows)
        if as_json:
            output.echo_json([resource.as_json(r) for r in records])
            return
        output.table(
            [heading for _, heading in resource.columns],
            ([resource.as_json(r)[key] for key, _ in resource.columns] for r in records),
        )

    for param in reversed(resource.filters):
        only = f"Only those whose {param} matches, as the API's filter does"
        list_ = click.option(f"--{kebab(param)}", default=None, help=only)(list_)
    return list_


def _update_command(resource: Managed) -> click.Command:
    change = resource.change
    assert change is not None

    @_sid_command(
        resource, "update", f'Change one {resource.noun}: only the options given ("" clears a URL).'
    )
    @field_options(resource.fields, create=False)
    def update(
        sid: str, account_sid: str | None, database_url: str | None, as_json: bool, **given: Any
    ) -> None:
        wire = wire_params(resource.fields, given)
        if not wire:
            raise click.UsageError("nothing to change: give at least one option (see -h)")
        with twilio_errors():
            changes = resource.apply_rules(parse_params(resource.fields, wire, create=False))
        record = _on_one(
            resource,
            sid,
            database_url,
            account_sid,
            lambda store, account, checked: change(store, account, checked, changes),
        )
        _show(resource, record, as_json, f"Updated {resource.noun} {record['sid']}")

    return update


def _delete_command(resource: Managed) -> click.Command:
    @_sid_command(resource, "delete", f"Delete one {resource.noun}.")
    def delete(sid: str, account_sid: str | None, database_url: str | None, as_json: bool) -> None:
        _on_one(resource, sid, database_url, account_sid, resource.remove)
        if as_json:
            output.echo_json({"sid": sid, "deleted": True})
        else:
            click.echo(f"Deleted {resource.noun} {sid}")

    return delete


def resource_group(name: str, resource: Managed, help: str) -> click.Group:
    """A group with the resource's `list`, `get` and `delete` (and `update`, if it has one)."""
    group = click.Group(name, help=help)
    group.add_command(_list_command(resource))
    group.add_command(_get_command(resource))
    if resource.change is not None:
        group.add_command(_update_command(resource))
    group.add_command(_delete_command(resource))
    return group


APPLICATIONS = Managed(
    noun="application",
    resource=APPLICATION,
    columns=(
        ("sid", "SID"),
        ("friendly_name", "Friendly name"),
        ("voice_url", "Voice URL"),
        ("sms_url", "SMS URL"),
        ("date_created", "Created"),
    ),
    filters=("FriendlyName",),
    fetch=lambda store, account, sid: store.get_application(account, sid),
    page=lambda store, account, page, filters: store.list_applications(
        account, friendly_name=filters.get("FriendlyName"), page=page
    ),
    remove=lambda store, account, sid: store.delete_application(account, sid),
    change=lambda store, account, sid, changes: store.update_application(account, sid, changes),
)

NUMBERS = Managed(
    noun="number",
    resource=INCOMING_PHONE_NUMBER,
    columns=(
        ("sid", "SID"),
        ("phone_number", "Phone number"),
        ("friendly_name", "Friendly name"),
        ("voice_application_sid", "Voice application"),
        ("sms_application_sid", "SMS application"),
        ("voice_url", "Voice URL"),
        ("sms_url", "SMS URL"),
    ),
    filters=("FriendlyName", "PhoneNumber"),
    fetch=lambda store, account, sid: store.get_number(account, sid),
    page=lambda store, account, page, filters: store.list_numbers(
        account,
        filters=NumberFilter(
            friendly_name=filters.get("FriendlyName"), phone_number=filters.get("PhoneNumber")
        ),
        page=page,
    ),
    remove=lambda store, account, sid: store.delete_number(account, sid),
    change=lambda store, account, sid, changes: store.update_number(account, sid, changes),
    apply_rules=rules.apply_link_rules,
)


async def _fetch_key(store: Store, account: str, sid: str) -> Record | None:
    key = await store.get_key(sid)
    return key.record() if key is not None and key.account_sid == account else None


KEYS = Managed(
    noun="API key",
    resource=KEY,  # never the secret: only the rendered fields are shown
    columns=(("sid", "SID"), ("friendly_name", "Friendly name"), ("date_created", "Created")),
    filters=(),
    fetch=_fetch_key,
    page=lambda store, account, page, filters: store.list_keys(account, page),
    remove=lambda store, account, sid: store.delete_key(account, sid),
)


applications = resource_group(
    "applications", APPLICATIONS, "Applications: the webhooks your numbers' calls and SMS use."
)
numbers = resource_group(
    "numbers", NUMBERS, "Incoming phone numbers: an application's, or with URLs of their own."
)
keys = resource_group("keys", KEYS, "API keys (SK…): credentials that act as an account.")


@applications.command("create")
@field_options(APPLICATION.fields, create=True)
@common_options
def applications_create(
    account_sid: str | None, database_url: str | None, as_json: bool, **given: Any
) -> None:
    """Make an application (at most 1000 an account, as on Twilio)."""
    with twilio_errors():
        values = parse_params(
            APPLICATION.fields, wire_params(APPLICATION.fields, given), create=True
        )

    async def create(store: Store, account: Account) -> Record:
        return await store.create_application(account.sid, values)

    record = database.run_for_account(database_url, account_sid, create)
    name = f" ({record['friendly_name']})" if record["friendly_name"] else ""
    _show(APPLICATIONS, record, as_json, f"Created application {record['sid']}{name}")


@numbers.command("create")
@click.option("--phone-number", metavar="+1…", default=None, help="PhoneNumber: this E.164 number")
@click.option("--area-code", metavar="NNN", default=None, help="AreaCode: any free number in it")
@field_options(INCOMING_PHONE_NUMBER.fields, create=True)
@common_options
def numbers_create(
    phone_number: str | None,
    area_code: str | None,
    account_sid: str | None,
    database_url: str | None,
    as_json: bool,
    **given: Any,
) -> None:
    """Provision a number: --phone-number +1…, or --area-code NNN for any free one in it."""
    if (phone_number is None) == (area_code is None):
        raise click.UsageError("give either --phone-number +1… or --area-code NNN")
    with twilio_errors():
        number = None if phone_number is None else rules.parse_phone_number(phone_number)
        area = None if area_code is None else rules.parse_area_code(area_code)
        wire = wire_params(INCOMING_PHONE_NUMBER.fields, given)
        values = NUMBERS.apply_rules(parse_params(INCOMING_PHONE_NUMBER.fields, wire, create=True))

    async def create(store: Store, account: Account) -> Record:
        return await store.create_number(
            account.sid, values, phone_number=number, area_code=area, number_type=None
        )

    record = database.run_for_account(database_url, account_sid, create)
    _show(NUMBERS, record, as_json, f"Created number {record['sid']} ({record['phone_number']})")
