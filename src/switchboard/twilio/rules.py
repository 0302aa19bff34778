"""Domain rules that need no storage: defaults and transitions Twilio documents."""

from __future__ import annotations

import hashlib
import hmac
import math
import mimetypes
import re
import secrets
import time
from typing import Any

from switchboard.twilio import errors
from switchboard.twilio.params import parse_friendly_name as parse_friendly_name
from switchboard.twilio.resources import ACCOUNT_STATUSES, ApiKey

# Accounts


def subaccount_default_name(micros: int) -> str:
    """`SubAccount Created at 2026-11-26 06:05 pm`, as Twilio names an unnamed subaccount."""
    t = time.gmtime(micros // 1_000_000)
    hour = t.tm_hour % 12 or 12
    meridian = "am" if t.tm_hour < 12 else "pm"
    return (
        f"SubAccount Created at {t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} "
        f"{hour:02d}:{t.tm_min:02d} {meridian}"
    )


_NUMERIC_STATUS = {"1": "active", "2": "suspended", "3": "closed"}


def parse_account_status(raw: str) -> str:
    """`active`, `suspended`, `closed`; the spec's example also sends a numeric Status."""
    status = _NUMERIC_STATUS.get(raw, raw)
    if status not in ACCOUNT_STATUSES:
        raise errors.invalid_parameter(
            f"Status must be one of {', '.join(ACCOUNT_STATUSES)}, not {raw!r}"
        )
    return status


def check_status_change(current: str, new: str) -> None:
    """A closed account stays closed (21479)."""
    if current == "closed" and new != "closed":
        raise errors.account_closed()


# API keys: the secret is shown once, and stored (Access Token signatures are checked with it).
# Keys made before migration 0005 have only a salted hash of theirs. Secrets are 32 random
# characters (~190 bits), so a fast hash is enough: nothing to brute-force.

_NO_SECRET = "0" * 32  # compared against when there is no key, so that costs a compare too


def new_key_secret() -> str:
    return secrets.token_urlsafe(24)[:32]


def hash_secret(secret: str) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    candidate = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


def key_secret_matches(given: str, key: ApiKey | None) -> bool:
    """Whether `given` is the key's secret, compared in constant time: against the stored
    secret, or the salted hash of a key made before 0005. No key compares against a dummy."""
    if key is not None and key.secret is None:
        return key.secret_hash is not None and verify_secret(given, key.secret_hash)
    expected = key.secret if key is not None and key.secret is not None else _NO_SECRET
    return hmac.compare_digest(given.encode(), expected.encode()) and key is not None


# Applications

APPLICATION_LIMIT = 1000
"""At most this many applications per account (Twilio's documented limit; error 21301)."""

# Phone numbers

E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}\Z")


def format_phone_number(e164: str) -> str:
    """The friendly form Twilio gives a number by default: `+18089255327` -> `(808) 925-5327`."""
    if e164.startswith("+1") and len(e164) == 12:
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})
NUMBER_TYPES = {"Local": "local", "TollFree": "tollfree", "Mobile": "mobile"}
_AREA_CODE = re.compile(r"^[2-9][0-9]{2}\Z")


def parse_phone_number(raw: str) -> str:
    if not E164_RE.match(raw):
        raise errors.invalid_phone_number(raw)
    return raw


def parse_area_code(raw: str) -> str:
    if not _AREA_CODE.match(raw):
        raise errors.invalid_area_code(raw)
    return raw


def number_type(e164: str, path_type: str | None) -> str:
    """`local`, `tollfree` or `mobile`: from the path, else from the number itself."""
    if path_type is not None:
        return path_type
    if e164.startswith("+1") and e164[2:5] in TOLL_FREE_AREA_CODES:
        return "tollfree"
    return "local"


def apply_link_rules(changes: dict[str, Any]) -> dict[str, Any]:
    """Setting `voice_application_sid` clears `trunk_sid`, and the reverse (Twilio's rule)."""
    voice_app, trunk = changes.get("voice_application_sid"), changes.get("trunk_sid")
    if voice_app and trunk:
        raise errors.invalid_parameter("VoiceApplicationSid and TrunkSid cannot both be set")
    if voice_app:
        changes["trunk_sid"] = None
    elif trunk:
        changes["voice_application_sid"] = None
    return changes


# Messages

MAX_BODY = 1600  # characters (21617 beyond)
MAX_MEDIA = 10  # MediaUrl values (21623 beyond)

# GSM 03.38: the basic set (one septet each) and its extension table (an escape + one septet).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """How many SMS segments carry `body`, as Twilio counts them: GSM-7 when every character
    is in the GSM 03.38 alphabet (160 septets in one segment, 153 per segment when split; an
    extension character takes two), else UCS-2 (70 UTF-16 code units, 67 per segment when
    split). An empty body (media only) is one segment."""
    if not body:
        return 1
    septets = 0
    for ch in body:
        if ch in GSM7_BASIC:
            septets += 1
        elif ch in GSM7_EXTENDED:
            septets += 2
        else:
            units = len(body.encode("utf-16-le")) // 2
            return 1 if units <= 70 else math.ceil(units / 67)
    return 1 if septets <= 160 else math.ceil(septets / 153)


# Twilio's default opt-out handling (Advanced Opt-Out off): a whole body equal to one of these
# words, ignoring case and surrounding space.
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
OPT_OUT_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe."
)
OPT_IN_REPLY = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."


def keyword(body: str) -> str | None:
    """`opt-out`, `opt-in` or `help` when the body is one of Twilio's keywords, else None."""
    word = body.strip().upper()
    if word in OPT_OUT_WORDS:
        return "opt-out"
    if word in OPT_IN_WORDS:
        return "opt-in"
    if word in HELP_WORDS:
        return "help"
    return None


# Twilio's magic test numbers (documented for test credentials; here for every account, so CI
# can provoke each failure): `From` and `To` values with a fixed outcome.
TEST_FROM_OK = "+15005550006"  # a valid number of any account
TEST_FROM_ERRORS = {
    "+15005550001": 21212,  # invalid From
    "+15005550007": 21606,  # not owned by the account / not SMS-capable
    "+15005550008": 21611,  # the From number's queue is full
}
TEST_TO_ERRORS = {
    "+15005550001": 21211,  # invalid To
    "+15005550002": 21612,  # cannot be routed
    "+15005550003": 21408,  # no international permission
    "+15005550004": 21610,  # opted out (blocked)
    "+15005550009": 21614,  # not a mobile number
}


def media_content_type(url: str) -> str:
    """A media URL's content type, from its name (Twilio reads the answer's header; the
    simulation fetches nothing)."""
    guessed, _ = mimetypes.guess_type(url.split("?")[0])
    return guessed or "application/octet-stream"
