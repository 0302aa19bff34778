"""The one place the traffic simulation is built from Settings, for `serve` and
`switchboard simulate` alike.

Both get the same webhook timeout and target policy (allow/deny lists, private ranges): a policy
that one entry point forgot would be a way around it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import httpx

from switchboard.config import Settings
from switchboard.store.base import Store
from switchboard.traffic.expiry import expiring_paused_calls
from switchboard.traffic.outbound_calls import Outbound
from switchboard.traffic.outbox import Handler, Worker, lease_for, running
from switchboard.traffic.simulate import Simulator
from switchboard.traffic.targets import TargetPolicy
from switchboard.traffic.transport import Http1Transport
from switchboard.traffic.webhooks import Webhooks


def media_base(settings: Settings) -> str:
    """This server's address as webhooks are told it (`RecordingUrl`): its host and port, a
    wildcard listen address named as 127.0.0.1."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


@contextlib.asynccontextmanager
async def open_simulator(
    store: Store,
    settings: Settings,
    *,
    expire: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Simulator]:
    """A Simulator over one shared webhook transport, closed on exit; `expire`: a server
    process, which also completes the paused interactive calls nobody continued.

    The transport is `Http1Transport` (traffic/transport.py: httpx's interface over a lean
    HTTP/1.1 connection); `transport` replaces it, for a test process that answers some webhooks
    itself (`switchboard.testing.route`); the target policy still judges every URL first. Neither
    reads the environment's proxies or `.netrc`: the target policy judges the URL's own host,
    and no credential of the machine goes to a webhook.
    """
    targets = TargetPolicy(
        settings.webhook_allow, settings.webhook_deny, settings.webhook_deny_private
    )
    async with transport or Http1Transport() as opened:
        webhooks = Webhooks(opened, timeout=settings.webhook_timeout, targets=targets)
        simulator = Simulator(
            store,
            webhooks,
            keep=settings.request_log_limit,
            media_base=media_base(settings),
            delivery_delay=settings.delivery_delay,
        )
        if not expire:
            yield simulator
            return
        async with expiring_paused_calls(simulator):
            yield simulator


def job_handlers(simulator: Simulator, settings: Settings) -> dict[str, Handler]:
    """Every kind of job a server runs, by kind (`message.*`; the calls add `call.*`)."""
    handlers: dict[str, Handler] = {}
    handlers.update(simulator.messages.handlers())  # message.*
    handlers.update(Outbound(simulator).handlers())  # call.*
    return handlers


@contextlib.asynccontextmanager
async def open_outbox(
    simulator: Simulator,
    settings: Settings,
    *,
    busy: Callable[[], bool] = lambda: False,
    crowded: Callable[[], bool] = lambda: False,
) -> AsyncIterator[Worker]:
    """This process's outbox worker, running every due job until the block ends; `busy`: whether
    the process is answering API requests (the worker then steps back), `crowded`: whether they
    queue for its CPU (the worker then only trickles)."""
    worker = Worker(
        simulator.store,
        job_handlers(simulator, settings),
        lease=lease_for(settings.webhook_timeout),
        keep=settings.request_log_limit,
        busy=busy,
        crowded=crowded,
    )
    async with running(worker):
        yield worker
