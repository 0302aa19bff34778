"""In-process checks of the request log's tools: the filters (parsed from a query, matched on a
stored request, and the SQL patterns that narrow rows first, which must never drop a match), the
URL a replay sends again, and the URL forms a signature is checked against."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.api.request_log import request_filter
from switchboard.api.signatures import url_forms
from switchboard.store.base import RequestFilter
from switchboard.store.sql_traffic import _narrowing
from switchboard.traffic.simulate import _as_requested
from switchboard.traffic.webhooks import request_url
from switchboard.twilio.errors import TwilioError

REQUEST = {
    "purpose": "voice_url",
    "method": "POST",
    "url": "https://example.com/voice?x=1",
    "params": {"CallSid": "CA1"},
    "error_code": None,
}


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        (RequestFilter(), True),
        (RequestFilter(purpose="voice_url"), True),
        (RequestFilter(purpose="voice"), False),
        (RequestFilter(url="example.com/voice"), True),
        (RequestFilter(url="EXAMPLE"), False),
        (RequestFilter(failed=False), True),
        (RequestFilter(failed=True), False),
        (RequestFilter(error_code=11200), False),
        (RequestFilter(purpose="voice_url", url="x=1", failed=False), True),
        (RequestFilter(purpose="voice_url", url="x=2"), False),
    ],
)
def test_matches(filters: RequestFilter, matches: bool) -> None:
    assert filters.matches(REQUEST) is matches
    failed = {**REQUEST, "error_code": 11200}
    assert RequestFilter(failed=True, error_code=11200).matches(failed)
    assert not RequestFilter(error_code=11205).matches(failed)


def test_on_body_is_false_for_column_filters_only() -> None:
    assert not RequestFilter().on_body
    assert not RequestFilter(trace_sid="CA" + "0" * 32).on_body
    assert RequestFilter(failed=False).on_body and RequestFilter(url="x").on_body


def like(body: str, patterns: list[str]) -> bool:
    """Every pattern matches `body`, case-sensitively (as PostgreSQL's LIKE; SQLite's default,
    case-insensitive, can only match more)."""
    with sqlite3.connect(":memory:") as db:
        db.execute("PRAGMA case_sensitive_like = ON")
        return all(
            db.execute("SELECT ? LIKE ? ESCAPE '\\'", (body, p)).fetchone()[0] for p in patterns
        )


text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    purpose=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
    url=text,
    params=st.dictionaries(text, text, max_size=4),
    error_code=st.none() | st.integers(0, 99999),
    cut=st.tuples(st.integers(0, 30), st.integers(0, 30)),
)
def test_narrowing_never_drops_a_match(
    purpose: str, url: str, params: dict[str, str], error_code: int | None, cut: tuple[int, int]
) -> None:
    """For any stored request and any filter it matches, the SQL patterns match its row."""
    record = {
        "purpose": purpose,
        "method": "POST",
        "url": url,
        "params": params,
        "headers": {"X-Twilio-Signature": "abc"},
        "error_code": error_code,
        "error_message": None if error_code is None else "failed",
    }
    body = orjson.dumps(record).decode()
    part = url[min(cut) : max(cut)]
    for filters in (
        RequestFilter(purpose=purpose),
        RequestFilter(url=part),
        RequestFilter(failed=error_code is not None),
        RequestFilter(error_code=error_code),
        RequestFilter(purpose=purpose, url=part, error_code=error_code),
    ):
        assert filters.matches(record)
        assert like(body, _narrowing(filters)), (filters, body)


def test_narrowing_narrows() -> None:
    body = orjson.dumps(REQUEST).decode()
    assert not like(body, _narrowing(RequestFilter(purpose="sms_url")))
    assert not like(body, _narrowing(RequestFilter(url="100%_sure")))
    assert not like(body, _narrowing(RequestFilter(error_code=11200)))
    assert _narrowing(RequestFilter(failed=True)) == []  # checked on the rows alone


def test_request_filter_from_a_query() -> None:
    call = "CA" + "a" * 32
    filters, given = request_filter(
        {"Url": "/v", "CallSid": call, "Outcome": "failed", "Purpose": "", "PageSize": "2"}
    )
    assert filters == RequestFilter(trace_sid=call, url="/v", failed=True)
    assert given == [("CallSid", call), ("Url", "/v"), ("Outcome", "failed")]
    assert request_filter({"Outcome": "ok", "ErrorCode": "0042"})[0] == RequestFilter(
        failed=False, error_code=42
    )
    message = "SM" + "b" * 32
    assert request_filter({"MessageSid": message})[0].trace_sid == message
    for bad in (
        {"CallSid": "CA1"},
        {"CallSid": call, "MessageSid": message},
        {"Purpose": "Voice"},
        {"Outcome": "yes"},
        {"ErrorCode": "1e3"},
    ):
        with pytest.raises(TwilioError) as caught:
            request_filter(bad)
        assert (caught.value.code, caught.value.status) == (20001, 400)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("https://example.com/voice", {"CallSid": "CA1", "From": "+1 415"}),
        ("https://example.com/voice?x=1", {"A": "&=?"}),
        ("https://example.com/voice?x=1", {}),
    ],
)
def test_a_get_replay_takes_off_the_parameters_it_appended(
    url: str, params: dict[str, str]
) -> None:
    logged = request_url(url, "GET", params)
    assert _as_requested(logged, "GET", params) == (url, params)
    assert _as_requested(url, "POST", params) == (url, params)


def test_a_get_replay_whose_query_is_not_found_sends_the_url_as_logged() -> None:
    params: dict[str, Any] = {"CallSid": "CA1"}
    assert _as_requested("https://e.com/v?other=1", "GET", params) == (
        "https://e.com/v?other=1",
        {},
    )


@pytest.mark.parametrize(
    ("url", "forms"),
    [
        (
            "https://example.com/a?b=1",
            ["https://example.com/a?b=1", "https://example.com:443/a?b=1"],
        ),
        ("http://example.com:8080/a", ["http://example.com:8080/a", "http://example.com/a"]),
        (
            "http://u:p@example.com:80/",
            ["http://u:p@example.com:80/", "http://u:p@example.com/"],
        ),
        ("http://[::1]:9/x", ["http://[::1]:9/x", "http://[::1]/x"]),
        ("http://[::1]/x", ["http://[::1]/x", "http://[::1]:80/x"]),
    ],
)
def test_url_forms(url: str, forms: list[str]) -> None:
    assert url_forms(url) == forms
