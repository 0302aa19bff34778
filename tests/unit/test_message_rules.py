"""Twilio's message rules (twilio/rules.py): segments as Twilio counts them, opt-out keywords,
test numbers."""

from __future__ import annotations

import pytest

from switchboard.twilio import rules


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character takes two septets: 160
        ("€" * 81, 2),
        ("é" * 160, 1),  # é is in the GSM basic set
        ("ê" * 70, 1),  # ê is not: UCS-2
        ("ê" * 71, 2),
        ("ê" * 134, 2),
        ("ê" * 135, 3),
        ("😀" * 35, 1),  # two UTF-16 code units each: 70
        ("😀" * 36, 2),
    ],
)
def test_num_segments(body: str, segments: int) -> None:
    assert rules.num_segments(body) == segments


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("STOP", "opt-out"),
        (" stop ", "opt-out"),
        ("Unsubscribe", "opt-out"),
        ("stop please", None),
        ("START", "opt-in"),
        ("unstop", "opt-in"),
        ("help", "help"),
        ("INFO", "help"),
        ("hello", None),
    ],
)
def test_keywords(body: str, word: str | None) -> None:
    assert rules.keyword(body) == word


def test_test_numbers_are_twilios() -> None:
    assert rules.TEST_TO_ERRORS == {
        "+15005550001": 21211,
        "+15005550002": 21612,
        "+15005550003": 21408,
        "+15005550004": 21610,
        "+15005550009": 21614,
    }
    assert rules.TEST_FROM_ERRORS == {
        "+15005550001": 21212,
        "+15005550007": 21606,
        "+15005550008": 21611,
    }
    assert rules.TEST_FROM_OK == "+15005550006"


def test_media_content_type_from_the_name() -> None:
    assert rules.media_content_type("https://x.test/a.PNG?size=2") == "image/png"
    assert rules.media_content_type("https://x.test/file") == "application/octet-stream"
