"""The web console: a static single-page app served at `/console/`.

Everything it needs is in `static/` (no framework, no CDN, no build step). The page talks to the
server's own REST API with HTTP Basic, exactly as an SDK would; the server holds no console
state. `index.html` answers `/console/` and every sub-route (the app routes in the browser with
the History API); `/console/assets/...` are the files themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

STATIC = Path(__file__).resolve().parent / "static"

# Only our own origin: scripts, styles and API calls. Nothing external can load, but for audio the
# user asks to play: a recording (fetched with the session's credentials, played from a blob:
# URL) and what an application's <Play> names (any http(s) URL, as Twilio would fetch it; the
# phone's players load nothing until pressed: preload="none"). Audio runs no script.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob: http: https:; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _Assets(StaticFiles):
    """The static files, with the same security headers as the page."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_HEADERS)
        return response


def build_console() -> ASGIApp:
    """The console's ASGI app, to mount at `/console`."""
    index = (STATIC / "index.html").read_bytes()

    async def page(request: Request) -> Response:
        return Response(index, 200, headers=_HEADERS, media_type="text/html; charset=utf-8")

    return Router(
        routes=[
            Mount("/assets", app=_Assets(directory=STATIC)),
            Route("/{path:path}", page, methods=["GET"]),
        ]
    )
