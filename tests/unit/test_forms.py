"""The form encoder (src/switchboard/twilio/forms.py) against `urllib.parse.urlencode`: the same
string for every kind of name and value a webhook's form can hold. No server."""

from __future__ import annotations

from urllib.parse import urlencode as reference

import pytest

from switchboard.twilio import forms
from switchboard.twilio.forms import urlencode

TRICKY = [
    "",
    " ",
    "a b",
    "+15551234567",
    "a+b c",
    "a&b=c",
    "==&&",
    "100%",
    "%2B%20",
    "~-_.",
    "!*'();:@$,/?#[]",
    'quote"s <tag> {json}',
    "tab\there\nnewline\r\x00\x7f",
    "Zoë",
    "日本語",
    "emoji 🎉",
    "café & crème",
    "\udcff",  # a lone surrogate: urlencode's own error, not a different string
    "".join(chr(c) for c in range(128)),
]


@pytest.mark.parametrize("text", [t for t in TRICKY if t != "\udcff"])
def test_a_name_or_a_value_is_quoted_as_urlencode_does(text: str) -> None:
    assert urlencode({text: text}) == reference({text: text})
    assert urlencode({"Name": text, text: "value"}) == reference({"Name": text, text: "value"})


def test_every_tricky_value_in_one_form() -> None:
    params = {f"K{i} {t}": t for i, t in enumerate(TRICKY) if t != "\udcff"}
    assert urlencode(params) == reference(params)


def test_an_empty_form_is_empty() -> None:
    assert urlencode({}) == reference({}) == ""


def test_values_that_are_not_text_are_written_as_urlencode_writes_them() -> None:
    params: dict[object, object] = {"n": 12, "f": 1.5, "b": b"a b&\xff", b"k y": "v", 3: None}
    assert urlencode(params) == reference(params)  # type: ignore[arg-type]


def test_a_lone_surrogate_fails_as_in_urlencode() -> None:
    with pytest.raises(UnicodeEncodeError):
        reference({"k": "\udcff"})
    with pytest.raises(UnicodeEncodeError):
        urlencode({"k": "\udcff"})


def test_names_past_the_cache_are_still_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forms, "_names", {})
    monkeypatch.setattr(forms, "MAX_NAMES", 2)
    params = {f"name {i}&": "v" for i in range(5)}
    assert urlencode(params) == reference(params)
    assert urlencode(params) == reference(params)
    assert len(forms._names) == 2


def test_random_text_is_quoted_as_urlencode_does() -> None:
    import random

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(128)] + ["é", "ß", "日", "🎉", "\u00a0", "\u2028"]
    for _ in range(500):
        params = {
            "".join(rng.choices(alphabet, k=rng.randrange(6))): "".join(
                rng.choices(alphabet, k=rng.randrange(20))
            )
            for _ in range(rng.randrange(1, 6))
        }
        assert urlencode(params) == reference(params)
