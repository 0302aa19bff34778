"""JSON and XML from the field declarations: records, list envelopes and error bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr as _quoteattr

import orjson
from starlette.responses import Response

from switchboard.twilio.dates import rfc2822
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.fields import Field, Kind, pascal

JSON = "application/json"
XML = "application/xml"
XML_DECL = "<?xml version='1.0' encoding='UTF-8'?>"

# Characters XML 1.0 cannot carry at all: written as visible `\uXXXX` text instead (they can only
# reach an answer by being echoed, e.g. in an error message about a bad value).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape(text: str) -> str:
    """XML text: entities for & < >, `&#13;` for CR (a parser would turn a raw one into LF)."""
    return _escape(_NOT_XML.sub(_visible, text), {"\r": "&#13;"})


def quoteattr(text: str) -> str:
    return _quoteattr(_NOT_XML.sub(_visible, text))


class Representation:
    """How one response is written: `.json` paths answer JSON, the same path without it XML.

    Our own extension (`/switchboard/v1/...`) answers JSON on paths without a suffix.
    """

    def __init__(self, as_json: bool, suffix: str | None = None) -> None:
        self.as_json = as_json
        self.suffix = (".json" if as_json else "") if suffix is None else suffix
        self.media_type = JSON if as_json else XML


Plan = tuple[tuple[str, ...], tuple[str, ...], str | None]
_plans: dict[int, tuple[tuple[Field, ...], Plan]] = {}


def _plan(fields: tuple[Field, ...]) -> Plan:
    """For a field list: every key in order, the date keys, the URI key.

    Cached by identity: field lists are module constants, and hashing 21 dataclasses on every
    record would cost more than the rendering itself.
    """
    cached = _plans.get(id(fields))
    if cached is not None and cached[0] is fields:
        return cached[1]
    keys = tuple(f.key for f in fields)
    dates = tuple(f.key for f in fields if f.kind is Kind.DATE)
    uri = next((f.key for f in fields if f.kind is Kind.URI), None)
    _plans[id(fields)] = (fields, (keys, dates, uri))
    return keys, dates, uri


def record_json(fields: tuple[Field, ...], record: Mapping[str, Any], uri: str) -> dict[str, Any]:
    """The record with the fields' keys, in their order; dates in RFC 2822; the URI filled in.

    Hot: every record of every response goes through here, so it does its work in C-level
    builtins (`dict(zip(...))`) and touches only the few keys that need converting.
    """
    keys, dates, uri_key = _plan(fields)
    out = dict(zip(keys, map(record.get, keys), strict=True))
    for key in dates:
        out[key] = rfc2822(out[key])
    if uri_key is not None:
        out[uri_key] = uri
    return out


_XML_CHILD = {"sms": "SMS", "mms": "MMS"}


def _xml_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "".join(
            f"<{name}/>" if v is None else f"<{name}>{_xml_value(v)}</{name}>"
            for k, v in value.items()
            for name in (_XML_CHILD.get(k) or pascal(k),)
        )
    return escape(str(value))


def record_xml(fields: tuple[Field, ...], record: Mapping[str, Any], uri: str) -> str:
    values = record_json(fields, record, uri)
    return "".join(
        f"<{f.xml}/>" if (v := values[f.key]) is None else f"<{f.xml}>{_xml_value(v)}</{f.xml}>"
        for f in fields
    )


def one(
    rep: Representation,
    element: str,
    fields: tuple[Field, ...],
    record: Mapping[str, Any],
    uri: str,
    status: int = 200,
) -> Response:
    if rep.as_json:
        return Response(orjson.dumps(record_json(fields, record, uri)), status, media_type=JSON)
    inner = record_xml(fields, record, uri)
    body = f"{XML_DECL}<TwilioResponse><{element}>{inner}</{element}></TwilioResponse>"
    return Response(body, status, media_type=XML)


def page(
    rep: Representation,
    key: str,
    element: str,
    item_element: str,
    fields: tuple[Field, ...] | None,
    records: Iterable[tuple[Mapping[str, Any], str]],
    meta: Mapping[str, Any],
) -> Response:
    """A list page: exactly the nine keys of Twilio's envelope (the SDK refuses any extra key).

    `fields` None: the records are JSON-ready already (our own extension's lists, JSON only).
    """
    if fields is None:
        body: dict[str, Any] = {key: [dict(r) for r, _ in records], **meta}
        return Response(orjson.dumps(body), 200, media_type=JSON)
    if rep.as_json:
        body = {key: [record_json(fields, r, uri) for r, uri in records]}
        body.update(meta)
        return Response(orjson.dumps(body), 200, media_type=JSON)
    attrs = " ".join(
        f"{name}={quoteattr('' if meta[k] is None else str(meta[k]))}"
        for name, k in (
            ("end", "end"),
            ("firstpageuri", "first_page_uri"),
            ("nextpageuri", "next_page_uri"),
            ("page", "page"),
            ("pagesize", "page_size"),
            ("previouspageuri", "previous_page_uri"),
            ("start", "start"),
            ("uri", "uri"),
        )
    )
    items = "".join(
        f"<{item_element}>{record_xml(fields, r, uri)}</{item_element}>" for r, uri in records
    )
    return Response(
        f"{XML_DECL}<TwilioResponse><{element} {attrs}>{items}</{element}></TwilioResponse>",
        200,
        media_type=XML,
    )


def error(rep: Representation, exc: TwilioError) -> Response:
    if rep.as_json:
        body = orjson.dumps(
            {
                "code": exc.code,
                "message": exc.message,
                "more_info": exc.more_info,
                "status": exc.status,
            }
        )
        return Response(body, exc.status, headers=exc.headers, media_type=JSON)
    xml = (
        f"{XML_DECL}<TwilioResponse><RestException><Code>{exc.code}</Code>"
        f"<Message>{escape(exc.message)}</Message><MoreInfo>{escape(exc.more_info)}</MoreInfo>"
        f"<Status>{exc.status}</Status></RestException></TwilioResponse>"
    )
    return Response(xml, exc.status, headers=exc.headers, media_type=XML)


def no_content() -> Response:
    return Response(b"", 204)
