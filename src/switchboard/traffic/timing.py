"""How long things take on a simulated call's clock (milliseconds). Nothing here waits.

The rates are ours (Twilio's depend on the voice and the audio): a documented, predictable
clock lets a test assert `CallDuration`. docs/simulate.md lists them.
"""

from __future__ import annotations

import re

WORDS_PER_MINUTE = 150  # <Say> and spoken input
MS_PER_WORD = 60_000 // WORDS_PER_MINUTE  # 400 ms
PLAY_MS = 5_000  # one play of an audio URL (the audio is not fetched)
KEY_MS = 500  # one DTMF key, pressed or played (`<Play digits>`; `w` waits as long)
SPEECH_END_MS = 1_000  # speechTimeout="auto": the pause that ends an utterance
MAX_CALL_MS = 14_400_000  # Twilio's longest call: 4 hours
_WORD = re.compile(r"\S+")


def speaking(text: str) -> int:
    """Reading `text` aloud (or saying it, for a caller)."""
    return len(_WORD.findall(text)) * MS_PER_WORD


def playing(digits: str | None) -> int:
    """One play: an audio URL, or `digits` as DTMF tones."""
    return len(digits) * KEY_MS if digits else PLAY_MS


def seconds(ms: int) -> int:
    """Whole seconds, a started second counting as one (`CallDuration`, `RecordingDuration`)."""
    return -(-ms // 1000)
