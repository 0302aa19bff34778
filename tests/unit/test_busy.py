"""The outbox steps back while the server answers API requests (`SwitchboardApp.busy`): while
one is in flight, and for `BUSY_AFTER` seconds after one started or ended, so that requests still
waiting on their sockets (not yet read while jobs held the event loop) count too. `Settle`, which
waits on the outbox, does not count."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from switchboard.api.app import BUSY_AFTER, CROWDED, SwitchboardApp


class Api:
    def __init__(self) -> None:
        self.seen: list[bool] = []
        self.app: SwitchboardApp | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None
        self.seen.append(self.app.busy())


def test_busy_while_answering_and_shortly_after_not_for_settle() -> None:
    api = Api()
    app = SwitchboardApp(starlette=None, api=api, services=None)  # type: ignore[arg-type]
    api.app = app
    assert not app.busy()  # nothing answered yet

    async def request(path: str) -> None:
        await app({"type": "http", "path": path}, None, None)  # type: ignore[arg-type]

    settle = "/switchboard/v1/Accounts/AC" + "0" * 32 + "/Settle"
    asyncio.run(request(settle))
    assert api.seen == [False] and not app.busy()  # Settle neither makes nor sees itself busy
    asyncio.run(request("/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages.json"))
    assert api.seen[-1] is True  # in flight
    assert app.busy()  # just ended
    time.sleep(BUSY_AFTER * 1.5)
    assert not app.busy()


def test_crowded_with_that_many_requests_in_flight() -> None:
    """`crowded`: `CROWDED` or more API requests in flight at once (Settle not counted)."""
    app = SwitchboardApp(starlette=None, api=None, services=None)  # type: ignore[arg-type]
    path = "/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages.json"
    settle = "/switchboard/v1/Accounts/AC" + "0" * 32 + "/Settle"
    seen: list[tuple[int, bool]] = []

    async def main() -> None:
        gate = asyncio.Event()

        async def held(scope: Any, receive: Any, send: Any) -> None:
            seen.append((app.in_flight, app.crowded()))
            await gate.wait()

        app.api = held  # type: ignore[assignment]
        tasks = [
            asyncio.create_task(app({"type": "http", "path": p}, None, None))  # type: ignore[arg-type]
            for p in [settle] * 5 + [path] * CROWDED
        ]
        await asyncio.sleep(0.01)
        gate.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert [n for n, _ in seen] == [0] * 5 + list(range(1, CROWDED + 1))
    assert [c for _, c in seen] == [False] * (5 + CROWDED - 1) + [True]
    assert not app.crowded()  # all answered
