"""Row <-> record conversion for each resource table, derived from the field declarations.

Shared by every store implementation; the SQL here uses `?` placeholders, which a store for a
driver with another paramstyle rewrites once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from switchboard.twilio.fields import (
    APPLICATION_FIELDS,
    PHONE_NUMBER_FIELDS,
    Field,
    Kind,
    stored_fields,
)
from switchboard.twilio.resources import Record


@dataclass(frozen=True)
class TableSpec:
    name: str
    fields: tuple[Field, ...]
    columns: tuple[str, ...] = field(init=False)
    select: str = field(init=False)
    select_one: str = field(init=False)  # one record by (account_sid, sid)
    insert: str = field(init=False)
    bools: tuple[str, ...] = field(init=False)
    objects: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        cols = tuple(f.key for f in stored_fields(self.fields))
        object.__setattr__(self, "columns", cols)
        object.__setattr__(self, "select", f"SELECT {', '.join(cols)} FROM {self.name}")
        object.__setattr__(self, "select_one", f"{self.select} WHERE account_sid = ? AND sid = ?")
        object.__setattr__(
            self,
            "insert",
            f"INSERT INTO {self.name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        )
        object.__setattr__(
            self,
            "bools",
            tuple(f.key for f in stored_fields(self.fields) if f.kind is Kind.BOOL),
        )
        object.__setattr__(
            self,
            "objects",
            tuple(f.key for f in stored_fields(self.fields) if f.kind is Kind.OBJECT),
        )

    def record(self, row: Sequence[Any]) -> Record:
        record = dict(zip(self.columns, row, strict=True))
        for key in self.bools:
            record[key] = bool(record[key])
        for key in self.objects:
            if isinstance(record[key], str | bytes):
                record[key] = orjson.loads(record[key])
        return record

    def row(self, record: Record) -> list[Any]:
        return [self.value(k, record[k]) for k in self.columns]

    def value(self, key: str, value: Any) -> Any:
        if key in self.objects:
            return orjson.dumps(value).decode()
        return value


APPLICATIONS = TableSpec("applications", APPLICATION_FIELDS)
PHONE_NUMBERS = TableSpec("incoming_phone_numbers", PHONE_NUMBER_FIELDS)

ACCOUNT_COLUMNS = (
    "sid, owner_account_sid, friendly_name, status, type, auth_token, is_main, "
    "date_created, date_updated"
)
KEY_COLUMNS = "sid, account_sid, friendly_name, secret_hash, date_created, date_updated"
