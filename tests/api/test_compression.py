"""Compressed lists: gzip when the client accepts it and the page is big enough to gain.

- A list answer of at least `GZIP_MIN_BYTES` is gzip-compressed (`Content-Encoding: gzip`) when
  `Accept-Encoding` gives gzip a non-zero q-value, and carries `Vary: Accept-Encoding` either
  way; decompressed, it is byte for byte the uncompressed answer. JSON and XML alike.
- A smaller page, a single record and an error are never compressed and carry no `Vary`.
- The official SDK (which sends `Accept-Encoding: gzip, deflate` through requests) lists
  hundreds of applications through compressed pages.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import orjson
import pytest
from conftest import Server

from switchboard.api.render import GZIP_MIN_BYTES

APPS = 300  # ~235 KB as one JSON page


@dataclass
class Answer:
    """A response exactly as sent: `raw` is the body before any decoding."""

    status: int
    headers: httpx.Headers
    raw: bytes

    @property
    def body(self) -> bytes:
        """The body, decompressed when it says it is gzip."""
        return gzip.decompress(self.raw) if self.gzipped else self.raw

    @property
    def gzipped(self) -> bool:
        return self.headers.get("content-encoding") == "gzip"


@dataclass
class Live:
    """The module's server, and a subaccount holding APPS applications."""

    server: Server
    account: str  # a subaccount holding APPS applications
    token: str

    def get(self, path: str, encoding: str | None, **params: str) -> Answer:
        """GET with this Accept-Encoding (None: no such header at all)."""
        with httpx.Client(base_url=self.server.url, auth=(self.account, self.token)) as http:
            request = http.build_request("GET", path, params=params)
            del request.headers["Accept-Encoding"]
            if encoding is not None:
                request.headers["Accept-Encoding"] = encoding
            resp = http.send(request, stream=True)
            try:
                raw = b"".join(resp.iter_raw())
            finally:
                resp.close()
        return Answer(resp.status_code, resp.headers, raw)

    def apps(self, suffix: str = ".json") -> str:
        return self.server.apps_path(self.account, suffix)


@pytest.fixture(scope="module")
def live(module_server: Server) -> Iterator[Live]:
    http = module_server.http()
    sub = http.post("/2010-04-01/Accounts.json", data={"FriendlyName": "lists"}).json()
    path = module_server.apps_path(sub["sid"])
    with httpx.Client(base_url=module_server.url, auth=(sub["sid"], sub["auth_token"])) as owner:

        def create(i: int) -> int:
            data = {
                "FriendlyName": f"app {i}",
                "VoiceUrl": f"https://example.com/voice/{i}",
                "SmsUrl": f"https://example.com/sms/{i}",
            }
            return owner.post(path, data=data).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(create, range(APPS))) == {201}
    yield Live(module_server, sub["sid"], sub["auth_token"])


@pytest.mark.parametrize("suffix", [".json", ""], ids=["json", "xml"])
def test_a_large_list_is_gzipped_only_when_accepted(live: Live, suffix: str) -> None:
    plain = live.get(live.apps(suffix), None, PageSize="1000")
    gzipped = live.get(live.apps(suffix), "gzip", PageSize="1000")
    assert plain.status == gzipped.status == 200
    assert not plain.gzipped
    assert gzipped.gzipped
    assert plain.headers["vary"] == gzipped.headers["vary"] == "Accept-Encoding"
    assert int(gzipped.headers["content-length"]) == len(gzipped.raw)
    assert len(gzipped.raw) * 10 < len(plain.raw)
    assert gzipped.body == plain.raw
    assert plain.headers["content-type"] == gzipped.headers["content-type"]


def test_compression_starts_at_the_threshold(live: Live) -> None:
    """Page by page size: compressed exactly when the uncompressed page is big enough."""
    seen = set()
    for size in range(1, 12):
        plain = live.get(live.apps(), None, PageSize=str(size))
        offered = live.get(live.apps(), "gzip, deflate", PageSize=str(size))
        big = len(plain.raw) >= GZIP_MIN_BYTES
        seen.add(big)
        assert offered.body == plain.raw
        assert offered.gzipped is big, (size, len(plain.raw))
        assert ("vary" in offered.headers) is big
        assert ("vary" in plain.headers) is big
    assert seen == {True, False}, "the page sizes tried must straddle the threshold"


@pytest.mark.parametrize(
    ("accept", "compressed"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("deflate, gzip;q=1.0, br", True),
        ("x-gzip", True),
        ("*", True),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=1, gzip;q=0", False),
        ("gzip;q=nonsense", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(
    live: Live, accept: str, compressed: bool
) -> None:
    resp = live.get(live.apps(), accept, PageSize="100")
    assert resp.status == 200
    assert resp.gzipped is compressed
    assert len(resp.body) >= GZIP_MIN_BYTES


def test_single_records_and_errors_are_never_compressed(live: Live) -> None:
    page = orjson.loads(live.get(live.apps(), None, PageSize="1").raw)
    sid = page["applications"][0]["sid"]
    path = f"/2010-04-01/Accounts/{live.account}/Applications/{sid}"
    for resp in (
        live.get(f"{path}.json", "gzip"),
        live.get(path, "gzip"),
        live.get(f"/2010-04-01/Accounts/{live.account}.json", "gzip"),
        live.get(f"{path[:-1]}0.json", "gzip"),  # 404
        live.get(live.apps(), "gzip", PageSize="0"),  # 400
    ):
        assert not resp.gzipped, resp.raw[:200]
        assert "vary" not in resp.headers


def test_the_sdk_lists_through_compressed_pages(live: Live) -> None:
    client = live.server.client(live.account, live.token)
    apps = client.applications.list(page_size=1000)
    assert len(apps) == APPS
    assert {a.friendly_name for a in apps} == {f"app {i}" for i in range(APPS)}
    last = client.http_client._test_only_last_response  # what requests got, decoded for the SDK
    assert last is not None
    assert last.headers.get("content-encoding") == "gzip"
