"""Webhook receivers for tests: threaded HTTP servers on 127.0.0.1 (or another loopback address).

- `Listener`: the server itself, answering every request with a function of the test's; every
  receiver of the suite is one (`Receiver` here, `Hostile` in tests/traffic/hostile.py, and the
  load and policy receivers of test_soak and test_abuse);
- `reply`: a whole answer, sent as it is;
- `Receiver`: scripted per path: a fixed document (`script`) or one computed from the request
  (`respond`: an IVR that reads `Digits`); every request is recorded (method, path with query,
  headers, form params with blank values kept) and its `X-Twilio-Signature` checked with
  twilio's own `RequestValidator`.
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


class Listener:
    """A threaded HTTP server on `host` (a loopback address), on a port the system picks: every
    GET, POST, PUT and DELETE is answered by `respond(handler, body)`, the request's body read
    first, each in a thread of its own, until `close()`.

    `keep_alive`: HTTP/1.1 and persistent connections (else HTTP/1.0, a connection a request);
    `backlog`: the accept queue (the standard library's 5 refuses connections under a burst).
    """

    def __init__(
        self,
        respond: Callable[[BaseHTTPRequestHandler, bytes], None],
        host: str = "127.0.0.1",
        *,
        keep_alive: bool = False,
        backlog: int = 5,
    ) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                respond(self, self.rfile.read(length) if length else b"")

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            request_queue_size = backlog
            daemon_threads = True

        self.httpd = Server((host, 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.base_url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def reply(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Send a whole answer, Content-Length added; a client that has gone away is no error (a
    timeout test wants exactly that)."""
    try:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:
        pass


class Receiver:
    """`Receiver(auth_token)`: listening at once; `close()` in teardown."""

    def __init__(self, auth_token: str, *, backlog: int = 5) -> None:
        """`backlog`: the accept queue; a burst of outbox callbacks needs more than 5."""
        self.validator = RequestValidator(auth_token)
        self._scripts: dict[str, Script] = {}
        self._requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._listener = Listener(self._record, backlog=backlog)
        self.port = self._listener.port
        self.base_url = self._listener.base_url

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
        self._listener.close()

    # Internals

    def _record(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
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
        reply(handler, script.status, {"Content-Type": script.content_type}, body.encode())
