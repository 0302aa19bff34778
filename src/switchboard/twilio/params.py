"""Wire parameters -> stored values, from the field declarations.

Every create and update parameter of every resource goes through `parse_params`, so a value the
API refuses can never be stored by another door (the CLI, fixtures) either.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from switchboard.twilio import errors
from switchboard.twilio.fields import Field, Kind

API_VERSIONS = frozenset({"2010-04-01", "2008-08-01"})
FRIENDLY_NAME_MAX = 64
METHODS = frozenset({"GET", "POST"})
URL_MAX = 4096

_HOST_RE = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?)\Z"
)
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}\Z")
# A whole number as a parameter gives it: 1 to 9 ASCII digits (`str.isdigit` also takes "²" and
# "٣", which `int` refuses or reads, and `int` refuses more than 4,300 digits).
WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}\Z")
# RFC 3986's characters, `%` only in an escape: the spec's `format: uri`, which the URL fields we
# answer with must pass. (Anything else, e.g. a non-ASCII character, must be sent escaped.)
_URI = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
# Characters XML 1.0 cannot carry (and PostgreSQL cannot store, for NUL): refused in text values.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def valid_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and a valid URI (RFC 3986): nothing a webhook
    client would choke on, and nothing the spec's `format: uri` refuses when we answer it.

    The verdicts on short URLs are remembered (a client sends the same status callback URL
    with every message: 7 µs each time otherwise); at most `_REMEMBERED` of them, so a client
    sending new URLs cannot grow it."""
    if len(value) <= _REMEMBERED_LENGTH:
        return _valid_url_remembered(value)
    return _valid_url(value)


_REMEMBERED = 1024
_REMEMBERED_LENGTH = 256


@functools.lru_cache(maxsize=_REMEMBERED)
def _valid_url_remembered(value: str) -> bool:
    return _valid_url(value)


def _valid_url(value: str) -> bool:
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


def friendly_name_param(params: Mapping[str, str]) -> str | None:
    """The optional `FriendlyName` parameter of resources with no other writable field
    (accounts, keys), validated (20002); None when absent."""
    raw = params.get("FriendlyName")
    return None if raw is None else parse_friendly_name(raw)
