"""The fixture format: `switchboard seed` reads it, `switchboard export` writes it.

The format is in docs/fixtures.md. Every value goes through the API's own rules (`parse_value`,
`rules`), so a fixture can hold nothing the API would refuse. No click here: bad input raises
FixtureError, whose message says where (`accounts[0].applications[2].voice_url`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import yaml

from switchboard.store.base import (
    NumberFilter,
    SeedAccount,
    SeedApplication,
    SeedNumber,
    Store,
)
from switchboard.store.tx import Keyset, every_page
from switchboard.twilio import rules
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.fields import Field, Kind
from switchboard.twilio.params import parse_value
from switchboard.twilio.resources import ACCOUNT_STATUSES, APPLICATION, INCOMING_PHONE_NUMBER

HEADER = "# Switchboard fixture (switchboard export). It holds auth tokens: keep it private.\n"


class FixtureError(Exception):
    """Bad fixture input: the message says where (`accounts[0].applications[2].voice_url`)."""

    def __init__(self, message: str) -> None:
        self.message = f"bad fixture: {message}"
        super().__init__(self.message)


_FIXTURE_TYPES = ("local", "tollfree", "mobile")


def _fixture_sid(value: Any, prefix: str, where: str) -> str:
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
    fields: tuple[Field, ...], raw: dict[str, Any], where: str, own_keys: frozenset[str]
) -> dict[str, Any]:
    """Validate a record's writable fields (JSON keys) with the API's own rules.

    Absent or null keys get the field's default, as on create. Read-only fields (`uri`,
    `date_created`, ...) are ignored, so API output can be pasted in; unknown keys are errors.
    """
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


def parse_fixture(data: Any) -> list[SeedAccount]:
    """A loaded YAML document -> the store's `SeedAccount`s, or a FixtureError."""
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
        if (
            not isinstance(token, str)
            or not token
            or len(token) > 128
            or any(c.isspace() or not c.isprintable() for c in token)
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
            values = _fixture_values(APPLICATION.fields, app_raw, app_where, _APP_KEYS)
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
            n_values = _fixture_values(INCOMING_PHONE_NUMBER.fields, n_raw, n_where, _NUMBER_KEYS)
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


async def export_fixture(store: Store) -> dict[str, Any]:
    """Everything `seed` loads, from the store: accounts (with tokens), applications, numbers."""
    # The name first, for a readable file; then the fields in the API's order.
    app_keys = ["friendly_name"] + [
        f.key for f in APPLICATION.fields if f.writable and f.key != "friendly_name"
    ]
    number_keys = ["friendly_name"] + [
        f.key for f in INCOMING_PHONE_NUMBER.fields if f.writable and f.key != "friendly_name"
    ]

    out: list[dict[str, Any]] = []
    for account in sorted(await store.list_accounts(), key=lambda a: (a.is_subaccount, a.sid)):
        sid = account.sid

        def app_page(page: Keyset, sid: str = sid) -> Awaitable[list[Any]]:
            return store.list_applications(sid, friendly_name=None, page=page)

        def number_page(page: Keyset, sid: str = sid) -> Awaitable[list[Any]]:
            return store.list_numbers(sid, filters=NumberFilter(), page=page)

        apps = await every_page(app_page)
        numbers = await every_page(number_page)
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
        record["applications"] = [{"sid": a["sid"], **{k: a[k] for k in app_keys}} for a in apps]
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


def load(raw: bytes, name: str) -> list[SeedAccount]:
    """A fixture file's bytes (UTF-8 YAML, or JSON) -> `SeedAccount`s, or a FixtureError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FixtureError(
            f"{name} is not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FixtureError(f"{name} is not valid YAML: {_yaml_problem(exc)}") from None
    return parse_fixture(data)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: where and what (PyYAML's own text spans several, with a quoted excerpt)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return " ".join(str(exc).split())


def dump(data: dict[str, Any], *, as_json: bool = False) -> str:
    """An exported fixture as text: commented YAML, or JSON (which `seed` reads too)."""
    if as_json:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
