"""Paging parameters, in-process: `PageSize` above 1000 is served as 1000 (the official SDKs send
`list(limit=N)` as `PageSize=N` and rely on that cap); 0, negatives and non-integers are refused;
`Page` is bounded so the envelope's `start`/`end` stay exact integers.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from switchboard.api import paging
from switchboard.twilio.errors import TwilioError

SID = "AP" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("raw", "served"),
    [
        (None, 50),
        ("1", 1),
        ("999", 999),
        ("1000", 1000),
        ("1001", 1000),
        ("2500", 1000),
        ("001001", 1000),
        ("9" * 18, 1000),
    ],
)
def test_page_size_is_served_up_to_1000(raw: str | None, served: int) -> None:
    params = {} if raw is None else {"PageSize": raw}
    assert paging.parse(params, "AP").page_size == served


@pytest.mark.parametrize("raw", ["0", "-1", "-2500", "abc", "1.5", "", " 5", "1e3", "9" * 19])
def test_bad_page_size_is_refused_with_20001(raw: str) -> None:
    with pytest.raises(TwilioError) as info:
        paging.parse({"PageSize": raw}, "AP")
    assert (info.value.code, info.value.status) == (20001, 400)


def test_capped_page_uris_carry_the_served_size() -> None:
    req = paging.parse({"PageSize": "2500", "FriendlyName": "x"}, "AP")
    meta = paging.envelope("/L.json", [("FriendlyName", "x")], req, [SID], has_more=True)
    assert meta["page_size"] == 1000
    for key in ("uri", "first_page_uri", "next_page_uri"):
        query = parse_qs(urlsplit(meta[key]).query)
        assert query["PageSize"] == ["1000"], key
        assert query["FriendlyName"] == ["x"], key
    assert parse_qs(urlsplit(meta["next_page_uri"]).query)["PageToken"] == [f"PA{SID}"]


def test_deepest_page_keeps_start_and_end_exact() -> None:
    deepest = str(paging.MAX_PAGE)
    req = paging.parse({"PageSize": "5000", "Page": deepest, "PageToken": f"PA{SID}"}, "AP")
    meta = paging.envelope("/L.json", [], req, [SID] * 1000, has_more=False)
    assert meta["start"] == paging.MAX_PAGE * 1000
    assert meta["end"] < 2**53


@pytest.mark.parametrize("page", [str(10**12), "9" * 18])
def test_page_beyond_the_deepest_is_refused_with_20001(page: str) -> None:
    with pytest.raises(TwilioError) as info:
        paging.parse({"PageSize": "1000", "Page": page, "PageToken": f"PA{SID}"}, "AP")
    assert (info.value.code, info.value.status) == (20001, 400)
