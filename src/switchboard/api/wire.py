"""The HTTP wire: headers, query strings and form bodies read straight from the ASGI scope.

Strict where Twilio's clients never send anything else: parameters are UTF-8, bounded in number
and size, free of NUL characters; the first value of a repeated name wins.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import Receive, Scope

from switchboard.twilio import errors

MAX_PARAMS = 1000


class ClientGone(Exception):
    """The client disconnected before its request body arrived: nobody to answer."""


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (ASGI servers give names in lower case), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Params(dict[str, str]):
    """A request's parameters by name, the first value of a repeated name winning (as Twilio
    reads a single-valued parameter); `getall` gives every value of a repeatable one
    (`MediaUrl`, `Input`, `Param`), in the order sent."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.pairs = pairs or []
        for name, value in self.pairs:
            self.setdefault(name, value)

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


def parse_query(raw: bytes) -> Params:
    """Strict form/query parsing: UTF-8 only, bounded, no NUL anywhere."""
    if not raw:
        return Params()
    try:
        pairs = _pairs(raw)
    except UnicodeDecodeError as exc:
        raise errors.invalid_parameter("Parameters must be valid UTF-8") from exc
    except ValueError as exc:
        raise errors.invalid_parameter(f"Too many parameters (at most {MAX_PARAMS})") from exc
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            # No store can keep a NUL (PostgreSQL text cannot), and no Twilio value has one.
            raise errors.invalid_parameter(f"Parameter {name!r} must not contain NUL characters")
    return Params(pairs)


def _decoded(piece: bytes) -> str:
    if b"+" in piece:
        piece = piece.replace(b"+", b" ")
    if b"%" in piece:
        piece = unquote_to_bytes(piece)
    return piece.decode("utf-8")


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    """What `parse_qsl(raw.decode(), keep_blank_values=True, errors="strict",
    max_num_fields=MAX_PARAMS)` gives, and the same errors, decoded piece by piece from the
    bytes (a piece with no `+` or `%`, such as a form's names, costs one `decode`): parse_qsl
    was 12 % of a message create's serving-thread time, this takes half as long.
    `tests/unit/test_wire.py` compares the two."""
    if 1 + raw.count(b"&") > MAX_PARAMS:
        raise ValueError("Max number of fields exceeded")
    pairs = []
    for piece in raw.split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            pairs.append((_decoded(name), _decoded(value)))
    return pairs


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise errors.body_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.body_too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_form(scope: Scope, receive: Receive, limit: int) -> Params:
    """A POST's form body (application/x-www-form-urlencoded; 415 for anything else)."""
    body = await read_body(scope, receive, limit)
    if not body:
        return Params()
    content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", ""):
        raise errors.unsupported_media_type(content_type)
    return parse_query(body)
