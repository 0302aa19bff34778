"""`/2010-04-01/Accounts/{AccountSid}/Recordings[/{Sid}]`: the recordings calls made.

Fetch, list (newest first, filters `CallSid`, `ConferenceSid`, `DateCreated`, `DateCreated<`,
`DateCreated>`) and delete, as Twilio's API. The metadata is JSON at `.json` and XML at `.xml`;
the media is a WAV at `{Sid}` (no suffix, as Twilio serves a `RecordingUrl`) and at `{Sid}.wav`,
8 kHz 16-bit PCM of the recorded duration (silence), generated here with the stdlib `wave`
module and streamed. MP3 is not served (404). Media needs the account's credentials, like every
other path.
"""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator
from typing import Any

from starlette.types import Receive, Scope, Send

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.listing import DAY, day_start, list_response
from switchboard.api.render import Reply
from switchboard.store.base import RecordingFilter
from switchboard.twilio import errors
from switchboard.twilio.resources import RECORDING, Record

RATE = 8000  # Hz, as Twilio's recordings
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
CHUNK = 64 * 1024


def wav_header(seconds: int, channels: int) -> bytes:
    """The 44-byte header of a PCM WAV of `seconds` (written by `wave` itself)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(RATE)
        writer.setnframes(seconds * RATE)
        writer.writeframesraw(b"")  # writes the header, sized for the frames announced
        header = buffer.getvalue()
    # (closing patched the buffer's copy down to the 0 frames written: not what is sent)
    return header


class WavReply(Reply):
    """A WAV streamed in chunks: a 4-hour recording never sits in memory whole."""

    def __init__(self, seconds: int, channels: int) -> None:
        self.header = wav_header(seconds, channels)
        self.data_size = seconds * RATE * channels * SAMPLE_WIDTH
        super().__init__(
            b"",
            200,
            "audio/x-wav",
            {"Content-Length": str(len(self.header) + self.data_size)},
        )
        # Reply counted the empty body: keep only the announced length.
        self.headers = [h for h in self.headers if h != (b"content-length", b"0")]

    async def _chunks(self) -> AsyncIterator[bytes]:
        yield self.header
        left = self.data_size
        silence = bytes(CHUNK)
        while left > 0:
            size = min(CHUNK, left)
            yield silence[:size]
            left -= size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        async for chunk in self._chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _full(req: ApiRequest, record: Record) -> Record:
    """The record with its derived fields: subresource URIs and the media's absolute URL."""
    path = RECORDING.path.format_map(record)
    return {
        **record,
        "subresource_uris": {
            "add_on_results": f"{path}/AddOnResults.json",
            "transcriptions": f"{path}/Transcriptions.json",
        },
        "media_url": f"{req.services.simulator.media_base}{path}",
    }


async def _get(req: ApiRequest) -> Record:
    record = await req.store.get_recording(req.account.sid, req.sid(RECORDING.prefix))
    if record is None:
        raise errors.not_found(req.path)
    return record


async def fetch(req: ApiRequest) -> Reply:
    """`{Sid}.json`: the metadata; `{Sid}`: the media, as Twilio answers a `RecordingUrl`."""
    record = await _get(req)
    if req.rep.as_json:
        return render.one(req.rep, RECORDING, _full(req, record))
    return WavReply(int(record["duration"]), int(record["channels"]))


async def fetch_xml(req: ApiRequest) -> Reply:
    record = await _get(req)
    return render.one(req.rep, RECORDING, _full(req, record))


async def fetch_wav(req: ApiRequest) -> Reply:
    record = await _get(req)
    return WavReply(int(record["duration"]), int(record["channels"]))


async def delete(req: ApiRequest) -> Reply:
    if not await req.store.delete_recording(req.account.sid, req.sid(RECORDING.prefix)):
        raise errors.not_found(req.path)
    return render.no_content()


def _filters(req: ApiRequest) -> tuple[RecordingFilter, list[tuple[str, str]]]:
    params = req.params
    echoed: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name, key in (("CallSid", "call_sid"), ("ConferenceSid", "conference_sid")):
        raw = params.get(name)
        if raw is not None:
            values[key] = raw
            echoed.append((name, raw))
    lows, highs = [], []
    for name in ("DateCreated", "DateCreated>", "DateCreated<"):
        raw = params.get(name)
        if raw is None:
            continue
        echoed.append((name, raw))
        start = day_start(name, raw)
        if name != "DateCreated<":
            lows.append(start)  # on or after that day
        if name != "DateCreated>":
            highs.append(start + DAY)  # on or before that day
    if lows:
        values["created_from"] = max(lows)
    if highs:
        values["created_before"] = min(highs)
    return RecordingFilter(**values), echoed


async def list_(req: ApiRequest) -> Reply:
    filters, echoed = _filters(req)
    store, account_sid = req.store, req.account.sid
    return await list_response(
        req,
        RECORDING,
        filters=echoed,
        fetch=lambda page: store.list_recordings(account_sid, filters, page),
        owner=store.recording_account,
    )

