"""Server control for test suites: `POST /switchboard/v1/reset` empties the store.

Refused (403, 20403) unless the server runs with `--allow-reset` (`SWITCHBOARD_ALLOW_RESET=1`),
and unless the caller is a main account authenticated with its own auth token: not a subaccount,
not another top-level account, not an API key. The main accounts survive a reset, so the
credentials a test suite holds stay valid.
"""

from __future__ import annotations

import logging

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.render import Reply
from switchboard.twilio import errors

log = logging.getLogger("switchboard.api")


async def reset(req: ApiRequest) -> Reply:
    if not req.services.settings.allow_reset:
        raise errors.forbidden("Reset is disabled: start the server with --allow-reset")
    principal = req.principal
    if principal.key_sid is not None:
        raise errors.forbidden("Reset needs a main account's auth token, not an API key")
    if not principal.account.is_main:
        raise errors.forbidden("Only a main account can reset the server")
    await req.store.reset()
    req.services.credentials.clear()
    log.warning("store reset by %s", principal.account_sid)
    return render.no_content()
