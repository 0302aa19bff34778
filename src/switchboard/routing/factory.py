"""The one place a Router is built from Settings, for `serve` and `switchboard simulate` alike.

Both get the same webhook timeout and target policy (allow/deny lists, private ranges): a policy
that one entry point forgot would be a way around it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from switchboard.config import Settings
from switchboard.routing.router import Router
from switchboard.routing.targets import TargetPolicy
from switchboard.routing.webhooks import Webhooks
from switchboard.store.base import Store


@contextlib.asynccontextmanager
async def open_router(
    store: Store,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Router]:
    """A Router over one shared HTTP client, closed on exit.

    The client ignores the environment's proxies and `.netrc` (`trust_env=False`): the target
    policy judges the URL's own host, and no credential of the machine goes to a webhook.
    `transport` replaces httpx's own, for a test process that answers some webhooks itself
    (`switchboard.testing.route`); the target policy still judges every URL first.
    """
    targets = TargetPolicy(
        settings.webhook_allow, settings.webhook_deny, settings.webhook_deny_private
    )
    async with httpx.AsyncClient(trust_env=False, transport=transport) as client:
        yield Router(store, Webhooks(client, timeout=settings.webhook_timeout, targets=targets))
