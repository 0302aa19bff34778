"""Form and query parsing (api/wire.py): the same pairs, and the same refusals, as
`urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True, errors="strict")`, which it
replaced for speed; Twilio-style errors for what it refuses."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl

import pytest

from switchboard.api.wire import MAX_PARAMS, _pairs, parse_query
from switchboard.twilio.errors import TwilioError

PIECES = [
    "a", "B", "=", "&", "+", "%", "%2", "%20", "%2B", "%2b", "%C3%A9", "%C3", "%A9", "%E2%82",
    "€", "%FF", "é", " ", "%zz", "%%", "==", "&&", "x", "\udcff", "%00",
]  # fmt: skip


def reference(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_PARAMS)
    except UnicodeDecodeError:
        return UnicodeDecodeError
    except ValueError:
        return ValueError


def ours(raw: bytes) -> object:
    try:
        return _pairs(raw)
    except UnicodeDecodeError:
        return UnicodeDecodeError
    except ValueError:
        return ValueError


def test_the_same_pairs_and_failures_as_parse_qsl_on_random_forms() -> None:
    rng = random.Random(19)
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))
        raw = text.encode("utf-8", "surrogateescape")
        assert ours(raw) == reference(raw), raw


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"To=%2B14155550142&From=%2B14155550100&Body=Hello+there",
        b"a&b=&=c&&d==e",
        b"Body=caf%C3%A9+%E2%82%AC",
        b"x=%zz%2",
        b"&" * (MAX_PARAMS - 1),
        b"&" * MAX_PARAMS,
        b"a=%C3",
        b"a=\xff",
    ],
)
def test_the_same_on_chosen_forms(raw: bytes) -> None:
    assert ours(raw) == reference(raw)


def test_refusals_are_twilio_errors() -> None:
    with pytest.raises(TwilioError, match="UTF-8"):
        parse_query(b"Body=%C3")
    with pytest.raises(TwilioError, match="Too many"):
        parse_query(b"&" * MAX_PARAMS)
    with pytest.raises(TwilioError, match="NUL"):
        parse_query(b"Body=a%00b")
    assert parse_query(b"Input=1&Input=2").getall("Input") == ["1", "2"]
