"""Server control for test suites: `POST /switchboard/v1/reset` empties the store, and
`GET /switchboard/v1/Export` writes it in the fixture format `switchboard export` writes.

Both are refused (403, 20403) unless the server runs with `--allow-reset`
(`SWITCHBOARD_ALLOW_RESET=1`), and unless the caller is a main account authenticated with its own
auth token: not a subaccount, not another top-level account, not an API key. The main accounts
survive a reset, so the credentials a test suite holds stay valid. An export holds every
account's auth token, which is why it sits behind the same door as the reset.
"""

from __future__ import annotations

import logging

from switchboard import fixtures
from switchboard.api import render
from switchboard.api.auth import Principal
from switchboard.api.context import ApiRequest
from switchboard.api.render import Reply
from switchboard.config import Settings
from switchboard.twilio import errors

log = logging.getLogger("switchboard.api")

EXPORT_FORMATS = ("yaml", "json")


def refusal(settings: Settings, principal: Principal, action: str) -> str | None:
    """Why `principal` may not `action` ("Reset", "Export") the store, or None when it may."""
    if not settings.allow_reset:
        return f"{action} is disabled: start the server with --allow-reset"
    if principal.key_sid is not None:
        return f"{action} needs a main account's auth token, not an API key"
    if not principal.account.is_main:
        return f"Only a main account can {action.lower()} the server"
    return None


def _require(req: ApiRequest, action: str) -> None:
    why = refusal(req.services.settings, req.principal, action)
    if why is not None:
        raise errors.forbidden(why)


async def reset(req: ApiRequest) -> Reply:
    _require(req, "Reset")
    await req.store.reset()
    req.services.credentials.clear()
    log.warning("store reset by %s", req.principal.account_sid)
    return render.no_content()


async def export(req: ApiRequest) -> Reply:
    """The whole store as a fixture: YAML (as `switchboard export` writes it) or, with
    `Format=json`, the same data as JSON. Never cached: it holds auth tokens."""
    _require(req, "Export")
    form = req.params.get("Format") or "yaml"
    if form not in EXPORT_FORMATS:
        raise errors.invalid_parameter(f"Format must be yaml or json, not {form!r}")
    data = await fixtures.export_fixture(req.store)
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="switchboard-export.{form}"',
    }
    log.warning("store exported by %s", req.principal.account_sid)
    media = render.JSON if form == "json" else "application/yaml; charset=utf-8"
    return Reply(fixtures.dump(data, as_json=form == "json"), 200, media, headers)
