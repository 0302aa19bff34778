"""A real webhook receiver for tests: a threaded HTTP server on 127.0.0.1, scripted per path.

A path answers a fixed document (`script`) or one computed from the request (`respond`: an IVR
that reads `Digits`).

Every request is recorded (method, path with query, headers, form params with blank values
kept) and its `X-Twilio-Signature` is checked with twilio's own `RequestValidator`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from twilio.request_validator import RequestValidator

EMPTY_TWIML = "<Response/>"


@dataclass
class Script:
    """What one path answers."""

    status: int = 200
    content_type: str = "text/xml"
    body: str = EMPTY_TWIML
    delay: float = 0.0
    respond: Callable[[Recorded], str] | None = None  # the body, from the request


@dataclass
class Recorded:
    """One request the receiver got."""

    method: str
    path: str  # path and query, as requested
    headers: dict[str, str]
    body: str
    form: dict[str, str]  # the form body (POST), blank values kept
    query: dict[str, str]  # the query string, blank values kept
    url: str  # the full URL as requested
    signature_valid: bool
    received_at: float = field(default_factory=time.monotonic)

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def params(self) -> dict[str, str]:
        """The webhook parameters: the form for POST, the query string for GET."""
        return self.form if self.method == "POST" else self.query

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


class Receiver:
    """`Receiver(auth_token)`: listening at once; `close()` in teardown."""

    def __init__(self, auth_token: str) -> None:
        self.validator = RequestValidator(auth_token)
        self._scripts: dict[str, Script] = {}
        self._requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                receiver._record(self)

            do_GET = _handle
            do_POST = _handle
            do_PUT = _handle
            do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # Scripting

    def script(
        self,
        path: str,
        *,
        status: int = 200,
        content_type: str = "text/xml",
        body: str = EMPTY_TWIML,
        delay: float = 0.0,
    ) -> str:
        """Script the answer for `path`; returns its full URL."""
        with self._lock:
            self._scripts[path] = Script(status, content_type, body, delay)
        return self.url(path)

    def respond(self, path: str, respond: Callable[[Recorded], str]) -> str:
        """Answer `path` with the TwiML `respond` makes of each request; returns its URL."""
        with self._lock:
            self._scripts[path] = Script(respond=respond)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    # Recorded requests

    def requests(self, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self._requests if path is None or r.route == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [r for r in self._requests if r.route == path]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    return found
                self._cond.wait(left)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # Internals

    def _record(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = raw.decode("utf-8", errors="replace")
        method = handler.command
        path = handler.path
        parts = urlsplit(path)
        form = dict(parse_qsl(body, keep_blank_values=True)) if method == "POST" else {}
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        url = f"{self.base_url}{path}"
        signature = handler.headers.get("X-Twilio-Signature") or ""
        signed_params = form if method == "POST" else {}
        valid = bool(signature) and self.validator.validate(url, signed_params, signature)
        recorded = Recorded(
            method=method,
            path=path,
            headers={k: v for k, v in handler.headers.items()},
            body=body,
            form=form,
            query=query,
            url=url,
            signature_valid=valid,
        )
        with self._cond:
            script = self._scripts.get(parts.path)
            self._requests.append(recorded)
            self._cond.notify_all()
        if script is None:
            script = Script(status=404, content_type="text/plain", body="no such path")
        if script.delay:
            time.sleep(script.delay)
        body = script.respond(recorded) if script.respond is not None else script.body
        payload = body.encode()
        try:
            handler.send_response(script.status)
            handler.send_header("Content-Type", script.content_type)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the caller gave up (a timeout test)
