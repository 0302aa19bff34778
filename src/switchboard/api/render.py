"""JSON and XML from the field declarations: records, list envelopes and error bodies."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr as _quoteattr

import orjson
from starlette.types import Receive, Scope, Send

from switchboard.twilio.dates import rfc2822
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.fields import Kind, pascal
from switchboard.twilio.resources import Resource

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


AS_JSON = Representation(True)
AS_XML = Representation(False)
EXTENSION = Representation(True, suffix="")


def representation(path: str) -> Representation:
    """The representation a path asks for: `.json` -> JSON, no suffix -> XML, our extension
    (`/switchboard/...`) -> JSON. Also for refusals made before the app runs."""
    if path.startswith("/switchboard/"):
        return EXTENSION
    return AS_JSON if path.endswith(".json") else AS_XML


# Lists at least this long are gzip-compressed for clients that accept it. Measured (see
# docs/performance.md, "Compression"): gzip costs ~9 µs whatever the size, which below 4 KiB buys
# under 3.5 KB; above, it saves 85-96% of the body and its cost grows slowly.
GZIP_MIN_BYTES = 4096
GZIP_LEVEL = 1  # level 6 costs 2.5 times as much for 10% fewer bytes
_VARY = (b"vary", b"Accept-Encoding")
_GZIP = (b"content-encoding", b"gzip")


def accepts_gzip(scope: Scope) -> bool:
    """Whether `Accept-Encoding` gives gzip (or `*`) a non-zero q-value (RFC 9110 12.5.3).

    Without the header, no compression: RFC 9110 would allow any coding then, but every client
    that decodes gzip says so.
    """
    values = [v for k, v in scope["headers"] if k == b"accept-encoding"]
    if not values:
        return False
    explicit: float | None = None
    wildcard: float | None = None
    for item in b",".join(values).decode("latin-1").split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        q = _qvalue(params)
        if coding == "*":
            wildcard = q
        else:
            explicit = q if explicit is None else max(explicit, q)
    chosen = explicit if explicit is not None else wildcard
    return chosen is not None and chosen > 0


def _qvalue(params: str) -> float:
    """`q=0.5` -> 0.5; no q -> 1; a malformed one -> 0 (not acceptable: the strict reading)."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


class ListReply(Reply):
    """A list page: gzip-compressed when it is large and the client accepts gzip.

    Only lists get this class, so a single record's answer never even reads `Accept-Encoding`;
    a page under `GZIP_MIN_BYTES` does not either, and carries no `Vary` (it never varies).
    """

    __slots__ = ()

    def __init__(self, body: bytes | str, media_type: str) -> None:
        super().__init__(body, 200, media_type)
        if len(self.body) >= GZIP_MIN_BYTES:
            self.headers.append(_VARY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if len(self.body) < GZIP_MIN_BYTES or not accepts_gzip(scope):
            await Reply.__call__(self, scope, receive, send)
            return
        body = zlib.compress(self.body, GZIP_LEVEL, wbits=31)  # 31: the gzip container
        headers = [h for h in self.headers if h[0] != b"content-length"]
        headers += [(b"content-length", str(len(body)).encode()), _GZIP]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


Plan = tuple[tuple[str, ...], tuple[str, ...], str | None]
_plans: dict[int, tuple[Resource, Plan]] = {}


def _plan(resource: Resource) -> Plan:
    """For a resource: every rendered key in order, the date keys, the URI key.

    Cached by identity: resources are module constants, and hashing their fields on every record
    would cost more than the rendering itself.
    """
    cached = _plans.get(id(resource))
    if cached is not None and cached[0] is resource:
        return cached[1]
    fields = resource.rendered
    keys = tuple(f.key for f in fields)
    dates = tuple(f.key for f in fields if f.kind is Kind.DATE)
    uri = next((f.key for f in fields if f.kind is Kind.URI), None)
    _plans[id(resource)] = (resource, (keys, dates, uri))
    return keys, dates, uri


def record_json(resource: Resource, record: Mapping[str, Any], suffix: str) -> dict[str, Any]:
    """The record with the resource's keys, in their order; dates in RFC 2822; its URI (the
    resource's path filled from the record, plus the representation's suffix).

    Hot: every record of every response goes through here, so it does its work in C-level
    builtins (`dict(zip(...))`) and touches only the few keys that need converting.
    """
    keys, dates, uri_key = _plan(resource)
    out: dict[str, Any] = dict(zip(keys, map(record.get, keys), strict=True))
    for key in dates:
        if (value := out[key]) is not None:  # a message's `date_sent` before it is sent
            out[key] = rfc2822(value)
    if uri_key is not None:
        out[uri_key] = resource.path.format_map(record) + suffix
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


def record_xml(resource: Resource, record: Mapping[str, Any], suffix: str) -> str:
    values = record_json(resource, record, suffix)
    return "".join(
        f"<{f.xml}/>" if (v := values[f.key]) is None else f"<{f.xml}>{_xml_value(v)}</{f.xml}>"
        for f in resource.rendered
    )


def one(
    rep: Representation, resource: Resource, record: Mapping[str, Any], status: int = 200
) -> Reply:
    if rep.as_json:
        return Reply(orjson.dumps(record_json(resource, record, rep.suffix)), status, JSON)
    inner = record_xml(resource, record, rep.suffix)
    element = resource.name
    body = f"{XML_DECL}<TwilioResponse><{element}>{inner}</{element}></TwilioResponse>"
    return Reply(body, status, XML)


def page(
    rep: Representation,
    resource: Resource,
    records: Iterable[Mapping[str, Any]],
    meta: Mapping[str, Any],
) -> Reply:
    """A list page: exactly the nine keys of Twilio's envelope (the SDK refuses any extra key)."""
    suffix = rep.suffix
    if rep.as_json:
        body: dict[str, Any] = {
            resource.list_key: [record_json(resource, r, suffix) for r in records]
        }
        body.update(meta)
        return ListReply(orjson.dumps(body), JSON)
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
    item = resource.name
    items = "".join(f"<{item}>{record_xml(resource, r, suffix)}</{item}>" for r in records)
    element = resource.list_element
    return ListReply(
        f"{XML_DECL}<TwilioResponse><{element} {attrs}>{items}</{element}></TwilioResponse>", XML
    )


def plain_page(key: str, records: Iterable[Mapping[str, Any]], meta: Mapping[str, Any]) -> Reply:
    """A list page of our own extension: records already JSON-ready, in Twilio's envelope."""
    body: dict[str, Any] = {key: [dict(r) for r in records], **meta}
    return ListReply(orjson.dumps(body), JSON)


def json(body: Any, status: int = 200) -> Reply:
    """A JSON answer of our own extension."""
    return Reply(orjson.dumps(body), status, JSON)


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
