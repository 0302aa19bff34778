"""`GET /switchboard/v1/Accounts/{AccountSid}/Status`: what runs, and what the account holds.

The version, the kind of database (never its URL: that may carry a password), the schema's
migration revision, the account's counts of each resource, the limits that bound them, and
whether the caller may reset or export the store (so the console shows those controls only to
whom they work for).
"""

from __future__ import annotations

from switchboard import __version__
from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.control import refusal
from switchboard.api.render import Reply
from switchboard.store import is_postgres
from switchboard.twilio.resources import EXTENSION_ROOT
from switchboard.twilio.rules import APPLICATION_LIMIT


async def fetch(req: ApiRequest) -> Reply:
    settings, account = req.services.settings, req.account
    store = req.store
    controls = {
        name: refusal(settings, req.principal, action) is None
        for name, action in (("reset", "Reset"), ("export", "Export"))
    }
    return render.json(
        {
            "account_sid": account.sid,
            "version": __version__,
            "database": "postgresql" if is_postgres(settings.database_url) else "sqlite",
            "schema_revision": await store.schema_revision(),
            "counts": await store.account_counts(account.sid),
            "limits": {
                "applications": APPLICATION_LIMIT,
                "request_log": settings.request_log_limit,
            },
            "controls": controls,
            "uri": f"{EXTENSION_ROOT}/Accounts/{account.sid}/Status",
        }
    )
