"""The outbox's store contract, on SQLite and PostgreSQL (store/sql_jobs.py): jobs are claimed
earliest first, each by one claimant; a lease that runs out frees a job for another claimant;
finishing is atomic (the job goes, its follow-ups and records come, in one transaction) and only
for the claim that holds it; a retry releases the job until its new time; and the worker
(traffic/outbox.py) runs each job once, retries a failing one, and finishes it."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from switchboard.store import migrate, open_store
from switchboard.store.base import Claim, Job, NewJob, RowUpdate, Store, TraceWrite
from switchboard.traffic.outbox import CROWDED_GAP, Done, Worker
from switchboard.twilio.resources import MESSAGE

S = 1_000_000  # µs


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000 * S

    def __call__(self) -> int:
        return self.now


def run(database_url: str, scenario: Callable[[Store, Clock], Awaitable[None]]) -> None:
    migrate.upgrade(database_url)

    async def main() -> None:
        clock = Clock()
        store = open_store(database_url)
        store.clock = clock
        await store.open()
        try:
            await scenario(store, clock)
        finally:
            await store.close()

    asyncio.run(main())


async def account(store: Store) -> str:
    return (await store.create_account("outbox")).sid


def job(account_sid: str, due: int, n: int = 0, kind: str = "test.step") -> NewJob:
    return NewJob(account_sid, kind, f"SM{n:032d}", due, {"n": n})


def test_claims_due_jobs_earliest_first_once_each(database_url: str) -> None:
    async def scenario(store: Store, clock: Clock) -> None:
        ac = await account(store)
        await store.add_jobs([job(ac, clock.now + 3, 3), job(ac, clock.now + 1, 1)])
        await store.add_jobs([job(ac, clock.now + 2, 2), job(ac, clock.now + 10 * S, 9)])
        assert await store.pending_jobs(ac) == 4
        assert await store.next_job_at() == clock.now + 1
        assert await store.claim_jobs(clock.now, 10, 30 * S, "a") == []  # none due yet
        clock.now += 5
        claimed = await store.claim_jobs(clock.now, 2, 30 * S, "a")
        assert [j.payload["n"] for j in claimed] == [1, 2]
        assert all(j.attempts == 1 and j.owner == "a" for j in claimed)
        rest = await store.claim_jobs(clock.now, 10, 30 * S, "b")
        assert [j.payload["n"] for j in rest] == [3]
        assert await store.claim_jobs(clock.now, 10, 30 * S, "c") == []
        assert await store.pending_jobs(ac) == 4  # claimed jobs are still pending
        assert await store.pending_jobs("AC" + "0" * 32) == 0

    run(database_url, scenario)


def test_expired_lease_lets_another_take_over_and_the_first_cannot_finish(
    database_url: str,
) -> None:
    async def scenario(store: Store, clock: Clock) -> None:
        ac = await account(store)
        await store.add_jobs([job(ac, clock.now, 1)])
        (first,) = await store.claim_jobs(clock.now, 5, 10 * S, "dead")
        clock.now += 9 * S
        assert await store.claim_jobs(clock.now, 5, 10 * S, "b") == []  # lease still holds
        assert await store.next_job_at() == clock.now + 1 * S
        clock.now += 1 * S
        (second,) = await store.claim_jobs(clock.now, 5, 10 * S, "b")
        assert (second.id, second.attempts, second.owner) == (first.id, 2, "b")
        follow = job(ac, clock.now, 2)
        assert not await store.finish_job(first, [follow])  # its claim is gone: no effect
        assert await store.pending_jobs(ac) == 1
        assert await store.finish_job(second, [follow])
        (nxt,) = await store.claim_jobs(clock.now, 5, 10 * S, "b")
        assert nxt.payload == {"n": 2} and nxt.attempts == 1
        # The same owner claiming the same job again is a new claim: the old one is stale.
        clock.now += 10 * S
        (again,) = await store.claim_jobs(clock.now, 5, 10 * S, "b")
        assert not await store.finish_job(nxt)
        assert await store.finish_job(again)
        assert await store.pending_jobs(ac) == 0
        assert await store.next_job_at() is None

    run(database_url, scenario)


def test_a_follow_up_in_the_finished_jobs_row_is_a_job_of_its_own(database_url: str) -> None:
    """The first follow-up of the same account takes the finished job's row, under a new id:
    a stale claim of the finished job, even one by the same owner with the same attempt count
    as the follow-up's claim, finishes nothing; other follow-ups (another account's too) are
    jobs of their own."""

    async def scenario(store: Store, clock: Clock) -> None:
        ac, other = await account(store), await account(store)
        await store.add_jobs([job(ac, clock.now, 1, kind="test.first")])
        (stale,) = await store.claim_jobs(clock.now, 5, 10 * S, "b")
        clock.now += 10 * S  # the lease runs out; the same owner claims it again
        (held,) = await store.claim_jobs(clock.now, 5, 10 * S, "b")
        follow_ups = [job(ac, clock.now, 2, kind="test.next"), job(other, clock.now, 3)]
        assert await store.finish_job(held, follow_ups)
        claimed = {j.payload["n"]: j for j in await store.claim_jobs(clock.now, 5, 10 * S, "b")}
        assert sorted(claimed) == [2, 3]
        nxt = claimed[2]
        assert (nxt.kind, nxt.account_sid, nxt.attempts, nxt.owner) == ("test.next", ac, 1, "b")
        assert nxt.id != held.id and (stale.owner, stale.attempts) == (nxt.owner, nxt.attempts)
        assert not await store.finish_job(stale)  # J's first claim: its row is another job now
        assert not await store.finish_job(held)  # finished already
        assert (await store.pending_jobs(ac), await store.pending_jobs(other)) == (1, 1)
        assert await store.finish_job(nxt) and await store.finish_job(claimed[3])
        assert await store.next_job_at() is None

    run(database_url, scenario)


def test_finish_and_claim_takes_the_next_jobs_in_the_same_transaction(database_url: str) -> None:
    """A busy worker finishes a job and claims the next ones in one transaction: what it asks
    for, earliest first, its own follow-up included when due; nothing when its claim was lost
    (the follow-up not stored, no job claimed); a claim of 0 claims nothing."""

    async def scenario(store: Store, clock: Clock) -> None:
        ac = await account(store)
        await store.add_jobs([job(ac, clock.now, n) for n in (1, 2, 3, 4)])
        (first,) = await store.claim_jobs(clock.now, 1, 10 * S, "a")
        claimed = await store.finish_and_claim(
            first, [job(ac, clock.now - 1, 5)], claim=Claim(clock.now, 2, 10 * S, "a")
        )
        assert claimed is not None
        assert [j.payload["n"] for j in claimed] == [5, 2]  # the follow-up was due first
        assert all(j.owner == "a" and j.attempts == 1 for j in claimed)
        # Lost: the lease ran out and "b" took the job over; nothing is written or claimed.
        clock.now += 10 * S
        taken = {j.payload["n"]: j for j in await store.claim_jobs(clock.now, 10, 10 * S, "b")}
        assert sorted(taken) == [2, 3, 4, 5]
        lost = await store.finish_and_claim(
            claimed[0], [job(ac, clock.now, 6)], claim=Claim(clock.now, 5, 10 * S, "a")
        )
        assert lost is None
        assert await store.pending_jobs(ac) == 4  # 2, 3, 4, 5 (b's); no 6
        none = await store.finish_and_claim(taken[5], claim=Claim(clock.now, 0, 10 * S, "b"))
        assert none == []
        assert await store.pending_jobs(ac) == 3

    run(database_url, scenario)


def test_finish_writes_follow_ups_updates_and_requests_in_one_transaction(
    database_url: str,
) -> None:
    async def scenario(store: Store, clock: Clock) -> None:
        ac = await account(store)
        sid = store.sids.new("SM")
        record = {
            "sid": sid,
            "account_sid": ac,
            "from": "+15005550006",
            "to": "+15551230000",
            "body": "hi",
            "date_created": clock.now,
            "date_updated": clock.now,
            "status": "queued",
            "history": [["queued", clock.now, None]],
            "order_key": sid[2:],
        }
        await store.create_message({**MESSAGE.defaults(), **record}, [], [job(ac, clock.now)])
        (claimed,) = await store.claim_jobs(clock.now, 1, 10 * S, "a")
        trace = TraceWrite(ac, sid, "message", "sent", {"sid": sid}, [("RQ" + "1" * 32, {})])
        update = RowUpdate("messages", ac, sid, {"status": "sent", "date_sent": clock.now})
        assert await store.finish_job(
            claimed, [job(ac, clock.now + S, 5)], updates=[update], traces=[trace], keep=100
        )
        message = await store.get_message(ac, sid)
        assert message is not None and message["status"] == "sent"
        assert message["date_sent"] == clock.now and message["from"] == "+15005550006"
        found = await store.get_trace(ac, sid, "message")
        assert found is not None and [r["sid"] for r in found[1]] == ["RQ" + "1" * 32]
        assert await store.pending_jobs(ac) == 1

    run(database_url, scenario)


def test_retry_releases_until_its_time_and_only_for_its_claim(database_url: str) -> None:
    async def scenario(store: Store, clock: Clock) -> None:
        ac = await account(store)
        await store.add_jobs([job(ac, clock.now)])
        (claimed,) = await store.claim_jobs(clock.now, 1, 10 * S, "a")
        assert await store.retry_job(claimed, clock.now + 2 * S)
        assert not await store.retry_job(claimed, clock.now)  # released: no longer its claim
        assert await store.claim_jobs(clock.now + S, 1, 10 * S, "b") == []
        (again,) = await store.claim_jobs(clock.now + 2 * S, 1, 10 * S, "b")
        assert again.attempts == 2 and again.due == claimed.due

    run(database_url, scenario)


def test_concurrent_claimants_never_share_a_job(database_url: str) -> None:
    async def scenario(store: Store, clock: Clock) -> None:
        ac = await account(store)
        await store.add_jobs([job(ac, clock.now, n) for n in range(200)])
        other = open_store(database_url)
        other.clock = clock
        await other.open()
        try:
            claims = await asyncio.gather(
                *(
                    (store if i % 2 else other).claim_jobs(clock.now, 7, 10 * S, f"w{i}")
                    for i in range(40)
                )
            )
        finally:
            await other.close()
        ids = [j.id for batch in claims for j in batch]
        assert len(ids) == len(set(ids)) == 200

    run(database_url, scenario)


def test_worker_runs_each_job_once_retries_failures_and_wakes_on_new_jobs(
    database_url: str,
) -> None:
    migrate.upgrade(database_url)

    async def main() -> None:
        store = open_store(database_url)
        await store.open()
        ran: list[tuple[int, int]] = []
        failures = {"left": 2}

        async def step(j: Job) -> Done:
            ran.append((j.payload["n"], j.attempts))
            if j.payload["n"] == 0 and failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("flaky")
            if j.payload["n"] < 3:
                nxt = j.payload["n"] + 1
                return Done(follow_ups=[job(j.account_sid, store.clock(), 10 + nxt)])
            return Done()

        async def tail(j: Job) -> list[NewJob]:
            ran.append((j.payload["n"], j.attempts))
            return []

        worker = Worker(
            store, {"test.step": step, "test.tail": tail}, lease=10 * S, keep=100, poll=5.0
        )
        import switchboard.traffic.outbox as outbox

        outbox_backoff, outbox.BACKOFF = outbox.BACKOFF, 0.05
        worker.start()
        try:
            ac = await account(store)
            # poll=5 s: only the wake-up on a new job can make this quick.
            await store.add_jobs([job(ac, store.clock(), 0)])
            await until(lambda: store.pending_jobs(ac), 0)
            await store.add_jobs([job(ac, store.clock(), 7, kind="test.tail")])
            await until(lambda: store.pending_jobs(ac), 0)
        finally:
            outbox.BACKOFF = outbox_backoff
            await worker.stop()
            await store.close()
        assert ran == [(0, 1), (0, 2), (0, 3), (11, 1), (7, 1)]
        assert worker.finished == 3

    asyncio.run(main())


async def until(probe: Callable[[], Awaitable[Any]], value: Any, timeout: float = 3.0) -> None:
    async def wait() -> None:
        while await probe() != value:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


def test_worker_keeps_to_its_limits_when_finishing_jobs_claim_the_next(
    database_url: str,
) -> None:
    """Finishing jobs claim their successors (`finish_and_claim`), the loop claims too: together
    they never run more than the limit at once, and when the server turns busy the jobs running
    drain to `busy_concurrency` instead of each replacing itself."""
    migrate.upgrade(database_url)

    async def main() -> None:
        store = open_store(database_url)
        await store.open()
        busy = {"now": False}
        running = {"now": 0, "most": 0, "most_busy": 0}

        async def step(j: Job) -> list[NewJob]:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
            await asyncio.sleep(0.01)
            if busy["now"]:
                running["most_busy"] = max(running["most_busy"], running["now"])
            running["now"] -= 1
            n = j.payload["n"]
            return [job(j.account_sid, store.clock(), n + 100)] if n < 100 else []

        worker = Worker(
            store,
            {"test.step": step},
            lease=10 * S,
            keep=100,
            poll=0.01,
            concurrency=4,
            busy_concurrency=1,
            busy=lambda: busy["now"],
        )
        worker.start()
        try:
            ac = await account(store)
            await store.add_jobs([job(ac, store.clock(), n) for n in range(24)])
            await asyncio.sleep(0.05)
            busy["now"] = True  # requests came: what runs drains to one at a time
            await asyncio.sleep(0.05)
            running["most_busy"] = 0  # from here on, the drained state
            await until(lambda: store.pending_jobs(ac), 0, timeout=20)
        finally:
            await worker.stop()
            await store.close()
        assert running["most"] <= 4
        assert running["most_busy"] == 1
        assert worker.finished == 48

    asyncio.run(asyncio.wait_for(main(), 60))  # a hang fails, with where it waited


def test_a_crowded_worker_trickles_one_job_at_a_time(database_url: str) -> None:
    """While requests queue for the CPU (`crowded`), the worker runs one job at a time, started
    `CROWDED_GAP` apart at the soonest (a finishing job claims no successor), and still runs
    every one of them."""
    migrate.upgrade(database_url)

    async def main() -> None:
        store = open_store(database_url)
        await store.open()
        starts: list[float] = []
        running = {"now": 0, "most": 0}

        async def step(j: Job) -> list[NewJob]:
            starts.append(time.monotonic())
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
            await asyncio.sleep(0.001)
            running["now"] -= 1
            return []

        worker = Worker(
            store,
            {"test.step": step},
            lease=10 * S,
            keep=100,
            poll=0.01,
            concurrency=8,
            busy_concurrency=4,
            busy=lambda: True,
            crowded=lambda: True,
        )
        worker.start()
        try:
            ac = await account(store)
            await store.add_jobs([job(ac, store.clock(), n) for n in range(5)])
            await until(lambda: store.pending_jobs(ac), 0, timeout=10)
        finally:
            await worker.stop()
            await store.close()
        assert running["most"] == 1
        assert len(starts) == 5 and worker.finished == 5
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert min(gaps) >= CROWDED_GAP * 0.9, gaps

    asyncio.run(asyncio.wait_for(main(), 60))


def test_worker_stops_when_a_wake_up_meets_the_cancel(database_url: str) -> None:
    """`stop` cancels the loop while it waits for a wake-up; when the wake-up comes in the
    same turn (a job ended, a job was stored), Python 3.11's `wait_for` swallows the
    cancellation. The loop stops all the same."""
    migrate.upgrade(database_url)

    async def main() -> None:
        store = open_store(database_url)
        await store.open()
        worker = Worker(store, {}, lease=10 * S, keep=100, poll=5.0)
        worker.start()
        try:
            await asyncio.sleep(0.05)  # the loop waits (5 s) for a wake-up
            worker.wake()
            started = time.monotonic()
            # (`stop` swallows a cancellation itself: a hang would end at the timeout, late.)
            await asyncio.wait_for(worker.stop(), 4)
            assert time.monotonic() - started < 2
        finally:
            await store.close()

    asyncio.run(main())


def test_a_job_that_runs_longer_than_its_lease_keeps_its_claim(database_url: str) -> None:
    """A job may run longer than its lease (a message's webhooks one after another, each within
    the webhook timeout): while it runs, its worker renews the claim, so neither it nor another
    process claims the job again, and it finishes once. (A dead process renews nothing: its
    claims still run out, test_outbox_crash.)"""
    migrate.upgrade(database_url)
    lease = 1.0  # seconds; the job runs 2.5 s, its claim renewed every third of a second

    async def main() -> None:
        store = open_store(database_url)
        await store.open()
        runs: list[int] = []

        async def slow(j: Job) -> list[NewJob]:
            runs.append(j.attempts)
            await asyncio.sleep(2.5)
            return []

        worker = Worker(store, {"test.step": slow}, lease=int(lease * S), keep=100, poll=0.01)
        worker.start()
        try:
            ac = await account(store)
            await store.add_jobs([job(ac, store.clock(), 1)])
            await asyncio.sleep(1.5)  # past the first lease, the job still running
            # Another process finds nothing to claim.
            assert await store.claim_jobs(store.clock(), 5, int(lease * S), "other") == []
            await until(lambda: store.pending_jobs(ac), 0, timeout=5)
        finally:
            await worker.stop()
            await store.close()
        assert runs == [1] and worker.finished == 1

    asyncio.run(asyncio.wait_for(main(), 60))


def test_renewing_extends_only_the_claims_still_held(database_url: str) -> None:
    async def scenario(store: Store, clock: Clock) -> None:
        ac = await account(store)
        await store.add_jobs([job(ac, clock.now, n) for n in range(2)])
        first, second = await store.claim_jobs(clock.now, 2, 10 * S, "a")
        clock.now += 8 * S
        assert await store.renew_jobs([first], clock.now + 10 * S) == 1
        clock.now += 2 * S  # the second lease runs out; the renewed one holds
        (taken,) = await store.claim_jobs(clock.now, 5, 10 * S, "b")
        assert taken.id == second.id
        assert await store.renew_jobs([first, second], clock.now + 10 * S) == 1  # not a lost one
        assert await store.finish_job(first)  # the renewed claim still finishes its job
        assert not await store.finish_job(second)
        assert await store.renew_jobs([], clock.now) == 0
        # The same owner's earlier claim of a job it claimed again is not renewed either.
        clock.now += 10 * S
        (again,) = await store.claim_jobs(clock.now, 5, 10 * S, "b")
        assert again.attempts == taken.attempts + 1
        assert await store.renew_jobs([taken], clock.now + 20 * S) == 0
        assert await store.next_job_at() == clock.now + 10 * S

    run(database_url, scenario)
