"""One HTTP request as a client library would send it, turned into an ASGI call, and its answer.

The SDK hands its HTTP client a method, a URL, query and form dictionaries, headers and a
`(user, password)` pair; `encode` turns them into the bytes `requests` would put on the wire
(values of None left out, lists repeated, `Authorization: Basic`), so the app sees in-process
exactly what it would see over HTTP.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import orjson

# What `requests` leaves unquoted when it re-quotes a URL (`requests.utils.requote_uri`).
_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True)
class Call:
    """A request ready for the app: method, URL (query included), headers, body."""

    method: str
    url: str
    headers: tuple[tuple[bytes, bytes], ...] = field(repr=False)  # Authorization among them
    body: bytes = field(default=b"", repr=False)

    def scope(self) -> dict[str, Any]:
        parts = urlsplit(self.url)
        raw_path = quote(parts.path or "/", safe=_SAFE)
        scheme = parts.scheme or "https"
        port = parts.port or (443 if scheme == "https" else 80)
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": scheme,
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("ascii"),
            "query_string": quote(parts.query, safe=_SAFE).encode("ascii"),
            "root_path": "",
            "headers": list(self.headers),
            "client": None,
            "server": (parts.hostname or "localhost", port),
            "state": {},
        }


@dataclass
class Answer:
    """The app's answer: status, headers (names in lower case), body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return orjson.loads(self.body)


def _pairs(values: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Form or query pairs as `requests` makes them: None dropped, a list one pair per item."""
    pairs: list[tuple[str, str]] = []
    for name, value in (values or {}).items():
        items = value if isinstance(value, list | tuple) else [value]
        pairs += [(name, _text(item)) for item in items if item is not None]
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def encode(
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> Call:
    method = method.upper()
    query = urlencode(_pairs(params))
    if query:
        url = f"{url}{'&' if urlsplit(url).query else '?'}{query}"
    sent = {name.lower(): value for name, value in (headers or {}).items()}
    body = b""
    if sent.get("content-type", "").startswith(("application/json", "application/scim+json")):
        body = orjson.dumps(data) if data is not None else b""
    elif data:
        body = urlencode(_pairs(data)).encode()
        sent.setdefault("content-type", "application/x-www-form-urlencoded")
    if auth is not None and auth[0] is not None and auth[1] is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        sent["authorization"] = f"Basic {token}"
    sent["host"] = urlsplit(url).netloc
    if body or method in ("POST", "PUT", "PATCH"):
        sent["content-length"] = str(len(body))
    raw = tuple((k.encode("latin-1"), str(v).encode("latin-1")) for k, v in sent.items())
    return Call(method, url, raw, body)
