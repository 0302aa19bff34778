"""TwiML: parse a webhook's answer and validate it against Twilio's vocabulary.

A document becomes a list of plain verbs (`{"verb", "attributes", "text"?, "children"?}`), ready
for the engine and storable as JSON. What Twilio would flag but still run gets a 12200 warning
(an element that is not a verb here, a child a verb cannot hold, an attribute a verb does not
take): the element is dropped, the attribute kept. What cannot be read at all is a 12100 error
(not XML, a root other than `<Response>`, a DTD), and a content type that is not TwiML 12300.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

Verb = dict[str, Any]

_STATUS_CALLBACK = ("statusCallback", "statusCallbackMethod", "statusCallbackEvent")
_RECORDING_CALLBACK = (
    "recordingStatusCallback",
    "recordingStatusCallbackMethod",
    "recordingStatusCallbackEvent",
)
_AMD = (
    "machineDetection",
    "machineDetectionTimeout",
    "machineDetectionSpeechThreshold",
    "machineDetectionSpeechEndThreshold",
    "machineDetectionSilenceTimeout",
    "amdStatusCallback",
    "amdStatusCallbackMethod",
)

# The attributes each verb and noun takes (Twilio's TwiML reference). None: not checked (the
# verbs the simulation records without executing, whose vocabulary keeps growing).
ATTRIBUTES: dict[str, frozenset[str] | None] = {
    "Say": frozenset({"voice", "language", "loop"}),
    "Play": frozenset({"loop", "digits"}),
    "Pause": frozenset({"length"}),
    "Hangup": frozenset(),
    "Reject": frozenset({"reason"}),
    "Redirect": frozenset({"method"}),
    "Gather": frozenset(
        {
            "action",
            "actionOnEmptyResult",
            "bargeIn",
            "debug",
            "dtmfDetection",
            "enhanced",
            "finishOnKey",
            "hints",
            "input",
            "language",
            "method",
            "numDigits",
            "partialResultCallback",
            "partialResultCallbackMethod",
            "profanityFilter",
            "speechModel",
            "speechTimeout",
            "timeout",
        }
    ),
    "Record": frozenset(
        {
            "action",
            "method",
            "timeout",
            "finishOnKey",
            "maxLength",
            "playBeep",
            "trim",
            "transcribe",
            "transcribeCallback",
            "storageUrl",
            "storageUrlMethod",
            *_RECORDING_CALLBACK,
        }
    ),
    "Dial": frozenset(
        {
            "action",
            "answerOnBridge",
            "callerId",
            "callReason",
            "events",
            "hangupOnStar",
            "method",
            "record",
            "recordingTrack",
            "referMethod",
            "referUrl",
            "ringTone",
            "sequential",
            "timeLimit",
            "timeout",
            "trim",
            *_RECORDING_CALLBACK,
        }
    ),
    "Number": frozenset({"sendDigits", "url", "method", "byoc", *_STATUS_CALLBACK, *_AMD}),
    "Client": frozenset({"url", "method", *_STATUS_CALLBACK}),
    "Sip": frozenset({"username", "password", "url", "method", *_STATUS_CALLBACK, *_AMD}),
    "Conference": frozenset(
        {
            "muted",
            "beep",
            "startConferenceOnEnter",
            "endConferenceOnExit",
            "waitUrl",
            "waitMethod",
            "maxParticipants",
            "record",
            "region",
            "coach",
            "trim",
            "jitterBufferSize",
            "participantLabel",
            "eventCallbackUrl",
            *_STATUS_CALLBACK,
            *_RECORDING_CALLBACK,
        }
    ),
    "Queue": frozenset({"url", "method", "reservationSid", "postWorkActivitySid"}),
    "Identity": frozenset(),
    "Parameter": frozenset({"name", "value"}),
    "Message": frozenset({"to", "from", "action", "method", "statusCallback"}),
    "Body": frozenset(),
    "Media": frozenset(),
}

# Voice verbs the simulation executes, and the ones it records without executing.
EXECUTED_VOICE = frozenset(
    {"Say", "Play", "Pause", "Gather", "Record", "Dial", "Hangup", "Reject", "Redirect"}
)
RECORDED_ONLY = frozenset(
    {"Enqueue", "Leave", "Connect", "Start", "Stop", "Pay", "Refer", "Echo", "Sms", "Message"}
)
VOICE_VERBS = EXECUTED_VOICE | RECORDED_ONLY
MESSAGING_VERBS = frozenset({"Message", "Redirect"})
DIAL_NOUNS = frozenset({"Number", "Client", "Sip", "Conference", "Queue"})
SSML = frozenset(
    {
        "break",
        "emphasis",
        "lang",
        "p",
        "phoneme",
        "prosody",
        "s",
        "say-as",
        "sub",
        "w",
        "amazon:domain",
        "amazon:effect",
    }
)

# Which children each element may hold; a verb missing here holds none. None: not checked.
CHILDREN: dict[str, frozenset[str] | None] = {
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Dial": DIAL_NOUNS,
    "Client": frozenset({"Identity", "Parameter"}),
    "Say": SSML,
    "Message": frozenset({"Body", "Media"}),
    **{verb: None for verb in RECORDED_ONLY - {"Message"}},
}
TWIML_TYPES = frozenset({"text/xml", "application/xml", "text/html"})
WARNING = "12200 Schema validation warning"


class TwimlError(Exception):
    """The document is not TwiML: error 12100 (or 12300 for the content type)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Document:
    verbs: list[Verb] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _element(el: ET.Element, warnings: list[str], where: str) -> Verb:
    """One element as a plain verb, its attributes and children checked."""
    tag = el.tag
    verb: Verb = {"verb": tag, "attributes": dict(el.attrib)}
    allowed = ATTRIBUTES.get(tag)
    if allowed is not None:
        for name in el.attrib:
            if name not in allowed:
                warnings.append(f"{WARNING}: <{tag}> has no attribute {name!r} ({where})")
    text = "".join(el.itertext()).strip() if tag == "Say" else (el.text or "").strip()
    if text:
        verb["text"] = text
    children_allowed = CHILDREN.get(tag, frozenset())
    children: list[Verb] = []
    for child in el:
        if tag == "Say":
            if child.tag not in SSML:
                warnings.append(f"{WARNING}: <{child.tag}> is not SSML inside <Say> ({where})")
            continue  # SSML shapes speech; its text is already in the <Say>'s text
        if children_allowed is not None and child.tag not in children_allowed:
            warnings.append(f"{WARNING}: <{tag}> cannot contain <{child.tag}> ({where})")
            continue
        children.append(_element(child, warnings, where))
    if children:
        verb["children"] = children
    return verb


def parse(body: str, content_type: str, *, messaging: bool) -> Document:
    """A webhook answer -> the verbs to run. Raises TwimlError."""
    media = content_type.split(";")[0].strip().lower()
    if media == "text/plain":  # voice: read aloud; messaging: the reply itself
        text = body.strip()
        if not text:
            return Document()
        return Document(
            [{"verb": "Message" if messaging else "Say", "text": text, "attributes": {}}]
        )
    if media.startswith("audio/") and not messaging:
        return Document([{"verb": "Play", "text": "(the response body)", "attributes": {}}])
    if media not in TWIML_TYPES:
        raise TwimlError(12300, f"Invalid Content-Type: {content_type or '(none)'}")
    if messaging and not body.strip():
        return Document()  # an empty answer to an SMS means: no reply
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        raise TwimlError(12100, "Document parse failure: DTDs are not allowed in TwiML")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise TwimlError(12100, f"Document parse failure: {exc}") from None
    if root.tag != "Response":
        raise TwimlError(12100, f"Document parse failure: the root element is <{root.tag}>")
    allowed = MESSAGING_VERBS if messaging else VOICE_VERBS
    doc = Document()
    for position, el in enumerate(root, 1):
        if el.tag not in allowed:
            doc.warnings.append(f"{WARNING}: <{el.tag}> is not a verb here")
            continue
        doc.verbs.append(_element(el, doc.warnings, f"verb {position}"))
    return doc
