"""TwiML: validate a webhook's answer and record the verbs it asks for.

Switchboard executes only what needs no caller: it records every verb, follows `<Redirect>`, and
for messaging records each `<Message>` as an outgoing message. Nested verbs (a `<Say>` inside a
`<Gather>`) are recorded under their parent.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

VOICE_VERBS = frozenset(
    {
        "Say",
        "Play",
        "Dial",
        "Gather",
        "Record",
        "Hangup",
        "Redirect",
        "Reject",
        "Pause",
        "Enqueue",
        "Leave",
        "Refer",
        "Connect",
        "Start",
        "Stop",
        "Pay",
        "Prompt",
        "Sms",
        "Message",
        "Echo",
        "Queue",
    }
)
MESSAGING_VERBS = frozenset({"Message", "Redirect"})
TWIML_TYPES = frozenset({"text/xml", "application/xml", "text/html"})


class TwimlError(Exception):
    """The document is not TwiML: error 12100 (or 12300 for the content type)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Document:
    verbs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _verb(el: ET.Element) -> dict[str, Any]:
    verb: dict[str, Any] = {"verb": el.tag, "attributes": dict(el.attrib)}
    text = (el.text or "").strip()
    if text:
        verb["text"] = text
    children = [_verb(child) for child in el]
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
    for el in root:
        if el.tag not in allowed:
            doc.warnings.append(f"12200 Schema validation warning: <{el.tag}> is not a verb here")
            continue
        doc.verbs.append(_verb(el))
    return doc
