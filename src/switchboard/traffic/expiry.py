"""Paused interactive calls that nobody continues still end: every server process sweeps now
and then, and each expired call is claimed (a conditional UPDATE) by exactly one of them.

Small on purpose: a durable job outbox (DESIGN.md) is meant to absorb it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from switchboard.traffic.simulate import Simulator

SWEEP_EVERY = 2.0  # seconds between sweeps in each process
log = logging.getLogger("switchboard.traffic")


async def sweep_forever(simulator: Simulator, every: float = SWEEP_EVERY) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await simulator.expire_paused_calls()
        except Exception as exc:  # a database hiccup must not end the sweeping
            log.warning("expiring paused calls failed: %s", exc)


@contextlib.asynccontextmanager
async def expiring_paused_calls(simulator: Simulator) -> AsyncIterator[None]:
    """Sweep in the background while the block runs."""
    task = asyncio.create_task(sweep_forever(simulator))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
