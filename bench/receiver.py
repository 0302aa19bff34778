"""A minimal voice webhook for the simulated-call load: a bare ASGI app under uvicorn.

The `ivr` op's three documents answer at `/ivr` (a `<Gather>`), `/ivr/choice` (a `<Dial>` with
an action) and `/ivr/after`; every other request (any path, any method) gets
`<Response><Say>hi</Say></Response>`. All as text/xml.

The `message` op's status callbacks arrive at `/status`: each is noted (MessageSid,
MessageStatus, arrival in µs since the epoch), and `GET /status-log` hands the notes over (as
JSON) and forgets them, so the bench measures the callback lag. The `outbound_call` op's arrive
at `/call-status` (CallSid, CallStatus, arrival) and join the same notes.

    python -m bench.receiver --port 9001
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = b"<Response><Say>hi</Say></Response>"
IVR = {
    "/ivr": b'<Response><Gather numDigits="1" action="/ivr/choice"><Say>Press 1</Say></Gather>'
    b"</Response>",
    "/ivr/choice": b'<Response><Dial action="/ivr/after">+15005550199</Dial></Response>',
    "/ivr/after": b"<Response><Say>bye</Say></Response>",
}


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"text/xml"), (b"content-length", str(len(body)).encode())]


HEADERS = {path: _headers(body) for path, body in [*IVR.items(), ("", BODY)]}


STATUS_LOG: list[tuple[str, str, int]] = []


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    chunks = []
    while True:  # drain the request body
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    if scope["path"] == "/status":
        arrived = time.time_ns() // 1000
        form = parse_qs(b"".join(chunks).decode())
        STATUS_LOG.append((form["MessageSid"][0], form["MessageStatus"][0], arrived))
    elif scope["path"] == "/call-status":
        arrived = time.time_ns() // 1000
        form = parse_qs(b"".join(chunks).decode())
        STATUS_LOG.append((form["CallSid"][0], form["CallStatus"][0], arrived))
    elif scope["path"] == "/status-log":
        body = json.dumps(STATUS_LOG).encode()
        STATUS_LOG.clear()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    path = scope["path"] if scope["path"] in IVR else ""
    body = IVR.get(path, BODY)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS[path]})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        log_level="warning",
        server_header=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
