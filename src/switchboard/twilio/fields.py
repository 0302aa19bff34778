"""A field of a resource: one declaration gives its JSON key, wire parameter, XML element and
database column.

The JSON key is the name; the wire parameter and the XML element are its PascalCase form, the
column is the key itself, unless a declaration says otherwise. Resources (`resources.py`) are
tuples of these; parsing (`params.py`), rendering (`api/render.py`) and the tables
(`store/schema.py`) all derive from them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(Enum):
    SID = "sid"
    TEXT = "text"  # stored and shown as given
    FRIENDLY_NAME = "friendly_name"
    URL = "url"
    METHOD = "method"
    BOOL = "bool"
    API_VERSION = "api_version"
    DATE = "date"
    URI = "uri"  # derived: the resource's own path
    REF = "ref"  # a SID of another resource (`prefix` says which)
    ENUM = "enum"  # one of `choices`
    OBJECT = "object"  # a nested object (capabilities, subresource URIs), stored as JSON
    PHONE = "phone"  # an E.164 number
    INT = "int"  # a whole number (a Recording's `channels`, `error_code`)


@functools.cache  # field names are a fixed few; every parse and render asks for them
def pascal(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


@dataclass(frozen=True)
class Field:
    key: str  # the JSON key
    kind: Kind
    default: Any = None
    writable: bool = False  # a create/update parameter
    stored: bool = True  # a column (False: derived when rendered, e.g. `uri`)
    rendered: bool = True  # shown in the resource's JSON and XML (False: e.g. `auth_token` hash)
    required: bool = False  # always has a value, whatever its kind (a NOT NULL column)
    prefix: str = ""  # for REF: the SID prefix
    choices: tuple[str, ...] = ()  # for ENUM; for OBJECT: the keys
    length: int | None = None  # a column of at most this many characters (else unbounded text)
    db: str | None = None  # the column's name, when not the key (`from` is an SQL keyword)
    null: bool = False  # may be null though its kind usually is not (a message's `date_sent`)

    @property
    def param(self) -> str:
        return pascal(self.key)

    @property
    def xml(self) -> str:
        return pascal(self.key)

    @property
    def column(self) -> str:
        return self.db or self.key

    @property
    def nullable(self) -> bool:
        """May be null: on the wire, and in its column."""
        if self.null:
            return True
        return not (self.required or self.kind in _NEVER_NULL)


# Kinds that always carry a value: a record without one would be malformed.
_NEVER_NULL = frozenset(
    {Kind.SID, Kind.DATE, Kind.BOOL, Kind.METHOD, Kind.PHONE, Kind.ENUM, Kind.OBJECT}
)


def writable(key: str, kind: Kind, default: Any = None, **extra: Any) -> Field:
    """A field that create and update take as a parameter."""
    return Field(key, kind, default, writable=True, **extra)
