"""JSON and XML from the field declarations: records, list envelopes and error bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr as _quoteattr

import orjson
from starlette.types import Receive, Scope, Send

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


_MEDIA = {JSON: (b"content-type", JSON.encode()), XML: (b"content-type", XML.encode())}


class Reply:
    """One whole answer, sent as two raw ASGI messages.

    What Starlette's `Response` would send (content-type, content-length but not on a 204, extra
    headers), without building header objects per request: the hot path's cheapest answer.
    """

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        body: bytes | str,
        status: int = 200,
        media_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.body = body.encode() if isinstance(body, str) else body
        self.status = status
        raw: list[tuple[bytes, bytes]] = []
        if media_type is not None:
            raw.append(_MEDIA.get(media_type) or (b"content-type", media_type.encode("latin-1")))
        if status != 204:
            raw.append((b"content-length", str(len(self.body)).encode()))
        if headers:
            raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.headers = raw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


class Representation:
    """How one response is written: `.json` paths answer JSON, the same path without it XML.

    Our own extension (`/switchboard/v1/...`) answers JSON on paths without a suffix.
    """

    def __init__(self, as_json: bool, suffix: str | None = None) -> None:
        self.as_json = as_json
        self.suffix = (".json" if as_json else "") if suffix is None else suffix


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
    out: dict[str, Any] = dict(zip(keys, map(record.get, keys), strict=True))
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
) -> Reply:
    if rep.as_json:
        return Reply(orjson.dumps(record_json(fields, record, uri)), status, JSON)
    inner = record_xml(fields, record, uri)
    body = f"{XML_DECL}<TwilioResponse><{element}>{inner}</{element}></TwilioResponse>"
    return Reply(body, status, XML)


def page(
    rep: Representation,
    key: str,
    element: str,
    item_element: str,
    fields: tuple[Field, ...] | None,
    records: Iterable[tuple[Mapping[str, Any], str]],
    meta: Mapping[str, Any],
) -> Reply:
    """A list page: exactly the nine keys of Twilio's envelope (the SDK refuses any extra key).

    `fields` None: the records are JSON-ready already (our own extension's lists, JSON only).
    """
    if fields is None:
        body: dict[str, Any] = {key: [dict(r) for r, _ in records], **meta}
        return Reply(orjson.dumps(body), 200, JSON)
    if rep.as_json:
        body = {key: [record_json(fields, r, uri) for r, uri in records]}
        body.update(meta)
        return Reply(orjson.dumps(body), 200, JSON)
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
    return Reply(
        f"{XML_DECL}<TwilioResponse><{element} {attrs}>{items}</{element}></TwilioResponse>",
        200,
        media_type=XML,
    )


def error(rep: Representation, exc: TwilioError) -> Reply:
    if rep.as_json:
        body = orjson.dumps(
            {
                "code": exc.code,
                "message": exc.message,
                "more_info": exc.more_info,
                "status": exc.status,
            }
        )
        return Reply(body, exc.status, JSON, exc.headers)
    xml = (
        f"{XML_DECL}<TwilioResponse><RestException><Code>{exc.code}</Code>"
        f"<Message>{escape(exc.message)}</Message><MoreInfo>{escape(exc.more_info)}</MoreInfo>"
        f"<Status>{exc.status}</Status></RestException></TwilioResponse>"
    )
    return Reply(xml, exc.status, XML, exc.headers)


def no_content() -> Reply:
    return Reply(b"", 204)
