"""The tables at run time, derived from the resource declarations: `Table` specs
(`APPLICATIONS`, `ACCOUNTS`, ...), the SQL text and row <-> record conversion the store's
queries use. Their SQLAlchemy form, what the migrations build, is `store/metadata.py`, derived
from the same declarations; this module imports no SQLAlchemy (a serving process never loads it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from switchboard.twilio.fields import Kind
from switchboard.twilio.resources import (
    ACCOUNT,
    APPLICATION,
    CALL,
    INCOMING_PHONE_NUMBER,
    KEY,
    MEDIA,
    MESSAGE,
    RECORDING,
    Record,
    Resource,
)

# Children before parents (numbers link to applications), accounts last: the order `reset`
# empties them in. tests/unit/test_schema_order.py holds it to `metadata.sorted_tables`, so a
# table added later is emptied too.
TABLES_CHILDREN_FIRST: tuple[str, ...] = (
    "messages",
    "incoming_phone_numbers",
    "webhook_requests",
    "traces",
    "recordings",
    "opt_outs",
    "media",
    "log_sizes",
    "live_calls",
    "jobs",
    "handsets",
    "client_devices",
    "client_calls",
    "calls",
    "applications",
    "api_keys",
    "accounts",
)


@dataclass(frozen=True)
class Table:
    """A resource's table at run time: its SQL text, prepared once, and row <-> record."""

    resource: Resource
    name: str = field(init=False)
    columns: tuple[str, ...] = field(init=False)
    keys: tuple[str, ...] = field(init=False)  # the record key of each column
    select: str = field(init=False)
    select_one: str = field(init=False)  # one record by (account_sid, sid)
    insert: str = field(init=False)
    bools: tuple[str, ...] = field(init=False)
    objects: tuple[str, ...] = field(init=False)
    column_of: dict[str, str] = field(init=False)  # record key -> column

    def __post_init__(self) -> None:
        stored = self.resource.stored
        cols = tuple(f.column for f in stored)
        name = self.resource.table
        select = f"SELECT {', '.join(cols)} FROM {name}"
        placeholders = ", ".join("?" for _ in cols)
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "columns", cols)
        set_(self, "keys", tuple(f.key for f in stored))
        set_(self, "select", select)
        set_(self, "select_one", f"{select} WHERE account_sid = ? AND sid = ?")
        set_(self, "insert", f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({placeholders})")
        set_(self, "bools", tuple(f.key for f in stored if f.kind is Kind.BOOL))
        set_(self, "objects", tuple(f.key for f in stored if f.kind is Kind.OBJECT))
        set_(self, "column_of", {f.key: f.column for f in stored})

    def record(self, row: Sequence[Any]) -> Record:
        record = dict(zip(self.keys, row, strict=True))
        for key in self.bools:
            record[key] = bool(record[key])
        for key in self.objects:
            if isinstance(record[key], str | bytes):
                record[key] = orjson.loads(record[key])
        return record

    def row(self, record: Record) -> list[Any]:
        return [self.value(k, record[k]) for k in self.keys]

    def value(self, key: str, value: Any) -> Any:
        if key in self.objects:
            return orjson.dumps(value).decode()
        return value


ACCOUNTS = Table(ACCOUNT)
APPLICATIONS = Table(APPLICATION)
PHONE_NUMBERS = Table(INCOMING_PHONE_NUMBER)
KEYS = Table(KEY)
RECORDINGS = Table(RECORDING)
CALLS = Table(CALL)
MESSAGES = Table(MESSAGE)
MEDIA_TABLE = Table(MEDIA)
