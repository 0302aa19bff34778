"""Each resource's fields, declared once.

A `Field` gives the JSON key (which is also the database column); the wire parameter and the XML
element are its PascalCase form. Parameter parsing, JSON, XML and the table columns all derive
from these declarations, so adding a field is one line here plus a migration.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from switchboard.twilio import errors


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
    OBJECT = "object"  # a nested object of booleans (capabilities), stored as JSON
    PHONE = "phone"  # an E.164 number


@functools.cache  # field names are a fixed few; every parse and render asks for them
def pascal(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    default: Any = None
    writable: bool = False
    stored: bool = True
    prefix: str = ""  # for REF: the SID prefix
    choices: tuple[str, ...] = ()  # for ENUM; for OBJECT: the keys

    @property
    def param(self) -> str:
        return pascal(self.key)

    @property
    def xml(self) -> str:
        return pascal(self.key)


def _w(key: str, kind: Kind, default: Any = None, **extra: Any) -> Field:
    return Field(key, kind, default, writable=True, **extra)


# Order = the JSON key order of the spec's example: alphabetical, with
# public_application_connect_enabled appended last.
APPLICATION_FIELDS: tuple[Field, ...] = (
    Field("account_sid", Kind.SID),
    _w("api_version", Kind.API_VERSION, "2010-04-01"),
    Field("date_created", Kind.DATE),
    Field("date_updated", Kind.DATE),
    _w("friendly_name", Kind.FRIENDLY_NAME),
    _w("message_status_callback", Kind.URL),
    Field("sid", Kind.SID),
    _w("sms_fallback_method", Kind.METHOD, "POST"),
    _w("sms_fallback_url", Kind.URL),
    _w("sms_method", Kind.METHOD, "POST"),
    _w("sms_status_callback", Kind.URL),
    _w("sms_url", Kind.URL),
    _w("status_callback", Kind.URL),
    _w("status_callback_method", Kind.METHOD, "POST"),
    Field("uri", Kind.URI, stored=False),
    _w("voice_caller_id_lookup", Kind.BOOL, False),
    _w("voice_fallback_method", Kind.METHOD, "POST"),
    _w("voice_fallback_url", Kind.URL),
    _w("voice_method", Kind.METHOD, "POST"),
    _w("voice_url", Kind.URL),
    _w("public_application_connect_enabled", Kind.BOOL, False),
)

# The spec's order (`api.v2010.account.incoming_phone_number`). Unset values follow the spec's
# example where its schema allows: `sms_url`, `sms_fallback_url`, `status_callback` are "" and
# `voice_url`, `voice_fallback_url`, `trunk_sid` null. The example's "" for unset application SIDs
# would break the schema (minLength 34, pattern ^AP…), so those are null.
CAPABILITIES = ("voice", "sms", "mms", "fax")
PHONE_NUMBER_FIELDS: tuple[Field, ...] = (
    Field("account_sid", Kind.SID),
    _w("address_sid", Kind.REF, prefix="AD"),
    Field("address_requirements", Kind.ENUM, "none", choices=("none", "any", "local", "foreign")),
    _w("api_version", Kind.API_VERSION, "2010-04-01"),
    Field("beta", Kind.BOOL, False),
    Field(
        "capabilities",
        Kind.OBJECT,
        {"voice": True, "sms": True, "mms": True, "fax": True},
        choices=CAPABILITIES,
    ),
    Field("date_created", Kind.DATE),
    Field("date_updated", Kind.DATE),
    _w("friendly_name", Kind.FRIENDLY_NAME),
    _w("identity_sid", Kind.REF, prefix="RI"),
    Field("phone_number", Kind.PHONE),
    Field("origin", Kind.TEXT, "twilio"),
    Field("sid", Kind.SID),
    _w("sms_application_sid", Kind.REF, prefix="AP"),
    _w("sms_fallback_method", Kind.METHOD, "POST"),
    _w("sms_fallback_url", Kind.URL, ""),
    _w("sms_method", Kind.METHOD, "POST"),
    _w("sms_url", Kind.URL, ""),
    _w("status_callback", Kind.URL, ""),
    _w("status_callback_method", Kind.METHOD, "POST"),
    _w("trunk_sid", Kind.REF, prefix="TK"),
    Field("uri", Kind.URI, stored=False),
    _w("voice_receive_mode", Kind.ENUM, "voice", choices=("voice", "fax")),
    _w("voice_application_sid", Kind.REF, prefix="AP"),
    _w("voice_caller_id_lookup", Kind.BOOL, False),
    _w("voice_fallback_method", Kind.METHOD, "POST"),
    _w("voice_fallback_url", Kind.URL),
    _w("voice_method", Kind.METHOD, "POST"),
    _w("voice_url", Kind.URL),
    _w("emergency_status", Kind.ENUM, "Inactive", choices=("Active", "Inactive")),
    _w("emergency_address_sid", Kind.REF, prefix="AD"),
    Field(
        "emergency_address_status",
        Kind.ENUM,
        "unregistered",
        choices=(
            "registered",
            "unregistered",
            "pending-registration",
            "registration-failure",
            "pending-unregistration",
            "unregistration-failure",
        ),
    ),
    _w("bundle_sid", Kind.REF, prefix="BU"),
    Field("status", Kind.TEXT, "in-use"),
    Field("type", Kind.TEXT),
)

ACCOUNT_STATUSES = ("active", "suspended", "closed")

# The spec's example order for `api.v2010.account`.
ACCOUNT_FIELDS: tuple[Field, ...] = (
    Field("auth_token", Kind.TEXT),
    Field("date_created", Kind.DATE),
    Field("date_updated", Kind.DATE),
    Field("friendly_name", Kind.TEXT),
    Field("owner_account_sid", Kind.SID),
    Field("sid", Kind.SID),
    Field("status", Kind.ENUM, "active", choices=ACCOUNT_STATUSES),
    Field("subresource_uris", Kind.OBJECT, stored=False),
    Field("type", Kind.ENUM, "Full", choices=("Trial", "Full")),
    Field("uri", Kind.URI, stored=False),
)
# The resources an account's `subresource_uris` lists: the ones Switchboard serves.
ACCOUNT_SUBRESOURCES = {
    "applications": "Applications",
    "incoming_phone_numbers": "IncomingPhoneNumbers",
    "keys": "Keys",
}

KEY_FIELDS: tuple[Field, ...] = (
    Field("sid", Kind.SID),
    Field("friendly_name", Kind.TEXT),
    Field("date_created", Kind.DATE),
    Field("date_updated", Kind.DATE),
)
NEW_KEY_FIELDS = (*KEY_FIELDS, Field("secret", Kind.TEXT, stored=False))

APPLICATION_LIMIT = 1000
"""At most this many applications per account (Twilio's documented limit; error 21301)."""

API_VERSIONS = frozenset({"2010-04-01", "2008-08-01"})
FRIENDLY_NAME_MAX = 64
METHODS = frozenset({"GET", "POST"})
URL_MAX = 4096

_HOST_RE = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?)\Z"
)
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}\Z")
# RFC 3986's characters, `%` only in an escape: the spec's `format: uri`, which the URL fields we
# answer with must pass. (Anything else, e.g. a non-ASCII character, must be sent escaped.)
_URI = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
# Characters XML 1.0 cannot carry (and PostgreSQL cannot store, for NUL): refused in text values.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def valid_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and a valid URI (RFC 3986): nothing a webhook
    client would choke on, and nothing the spec's `format: uri` refuses when we answer it."""
    if len(value) > URL_MAX or not _URI.match(value) or value.count("#") > 1:
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https"):
        return False
    if any(c in "[]" for c in parts.path + parts.query + parts.fragment):
        return False  # brackets only around an IPv6 host
    if parts.netloc.count("@") > 1:
        return False  # one `user:password@` at most, without an `@` of its own
    host = parts.hostname
    if not host:
        return False
    return _HOST_RE.match(host if ":" not in host else f"[{host}]") is not None


def parse_friendly_name(raw: str) -> str:
    """1 to 64 code points, none of them a control character XML cannot carry (20002)."""
    if not 1 <= len(raw) <= FRIENDLY_NAME_MAX or _UNSTORABLE.search(raw):
        raise errors.invalid_friendly_name(raw)
    return raw


def parse_bool(param: str, value: str) -> bool:
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise errors.invalid_parameter(f"{param} must be true or false, not {value!r}")


def parse_value(field: Field, raw: str) -> Any:
    """One wire value -> its stored value, or a TwilioError."""
    kind, param = field.kind, field.param
    if kind is Kind.URL:
        if raw == "":
            return field.default  # sending an empty value clears a URL
        if not valid_url(raw):
            raise errors.invalid_url(param, raw)
        return raw
    if kind is Kind.METHOD:
        upper = raw.upper()
        if upper not in METHODS:
            raise errors.invalid_method(param, raw)
        return upper
    if kind is Kind.BOOL:
        return parse_bool(param, raw)
    if kind is Kind.API_VERSION:
        if raw not in API_VERSIONS:
            raise errors.invalid_parameter(
                f"ApiVersion must be 2010-04-01 or 2008-08-01, not {raw!r}"
            )
        return raw
    if kind is Kind.REF:
        if raw == "":
            return None  # clears the reference
        if not (len(raw) == 34 and raw.startswith(field.prefix) and _HEX32.match(raw[2:])):
            if field.prefix == "AP":
                raise errors.application_not_accessible(param, raw)
            raise errors.invalid_parameter(f"{param} is not a valid {field.prefix} SID: {raw}")
        return raw
    if kind is Kind.ENUM:
        if raw not in field.choices:
            raise errors.invalid_parameter(
                f"{param} must be one of {', '.join(field.choices)}, not {raw!r}"
            )
        return raw
    if kind is Kind.FRIENDLY_NAME:
        return parse_friendly_name(raw)
    if _UNSTORABLE.search(raw):
        raise errors.invalid_parameter(f"{param} contains characters that are not allowed")
    return raw


def parse_params(
    fields: tuple[Field, ...], params: Mapping[str, str], *, create: bool
) -> dict[str, Any]:
    """Validate the writable fields present in `params` (unknown names are ignored).

    On create the result holds every writable field (defaults filled in); on update only the
    fields that were sent. Nothing is changed anywhere unless every value is valid.
    """
    values: dict[str, Any] = {}
    for field in fields:
        if not field.writable:
            continue
        raw = params.get(field.param)
        if raw is None:
            if create:
                values[field.key] = field.default
            continue
        values[field.key] = parse_value(field, raw)
    return values


E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}\Z")


def format_phone_number(e164: str) -> str:
    """The friendly form Twilio gives a number by default: `+18089255327` -> `(808) 925-5327`."""
    if e164.startswith("+1") and len(e164) == 12:
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


def stored_fields(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    return tuple(f for f in fields if f.stored)
