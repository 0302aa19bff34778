"""The outbox worker: every server process runs one, and it runs every due job of the database
(DESIGN.md, "Asynchronous traffic").

A job (store/base.py `Job`) is a pending step of asynchronous traffic: a message's next status
and its callback, a call's next leg. It is written in the transaction that makes it necessary
(a 2xx means it is stored), so it survives the process. The worker:

- claims ready jobs with a lease (`Store.claim_jobs`; PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
  several processes never claim one job twice; SQLite: one writer). A process that dies holding
  a claim loses it when the lease runs out, and any process takes the job over. A job may run
  longer than its lease (a message's webhooks one after another, each within the webhook
  timeout): while it runs, the worker renews its claim every third of the lease
  (`Store.renew_jobs`), so it is never claimed again, by this process or another, halfway;
- runs each with the handler registered for its `kind` (`message.*` here, `call.*`...); the
  handler does its outside effect (a webhook) and returns what to write: follow-up jobs, record
  changes and the requests made (`Done`);
- finishes the job (`Store.finish_job`): deletes it and writes all that in ONE transaction, only
  while its claim holds, so each successful run is recorded exactly once. What a crash can
  duplicate: an effect made after the claim and before that commit (a callback sent, then the
  process killed) is made again by the process that takes the job over; the request log then
  shows it once (the first run's record never committed), the receiver sees it twice;
- on a handler's exception, releases the job for a retry after a backoff (`BACKOFF` doubling,
  at most `MAX_BACKOFF`), and gives it up (logged) after `max_attempts` claims.

API requests come first: while this process answers any (`busy()`), the worker runs at most
`busy_concurrency` jobs at once instead of `concurrency`; while they pile up (`crowded()`: so
many in flight that they queue for its CPU), it only trickles: one job at a time, started
`CROWDED_GAP` apart at the soonest, and a finishing job claims no successor. A create answers
at once and its steps wait during the burst (they are durable meanwhile) and catch up when it
eases; the trickle keeps them moving under a load that never eases (clients polling for a
callback that only a job can send would otherwise wait for ever). Measured (bench `message`):
with the jobs competing freely, message creates ran at a third of the application creates'
rate, the callbacks' HTTP work taking the cores the requests needed; with `busy_concurrency`
alone at 0.55-0.66 of it in quick runs, with the trickle at 0.76-0.79 (docs/performance.md).
Busy but not crowded (requests steadily arriving, answered as they come) the jobs are not the
requests' competition but their own: each waits for its answer and its commit, so the number
running at once bounds their rate. At 4, callbacks due at 1,200 a second (half what the
worker delivers with the server to itself) waited for a place: lag p50 80-112 ms, p99 over
200; at 16, p50 3-8 ms, p99 12-46 (alternate quick runs), message creates under saturation
no slower.

It polls the store every `poll` seconds (a cheap read, `next_job_at`), sleeps until the next job
is ready when that is sooner, and wakes at once when this process stores a job
(`Store.on_new_jobs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from switchboard.store.base import Claim, Job, NewJob, RowUpdate, Store, TraceWrite
from switchboard.twilio.resources import Record

log = logging.getLogger("switchboard.outbox")

POLL = 0.1  # seconds between two looks at the store when nothing is known to be due sooner
BACKOFF = 0.5  # seconds before the first retry of a failed job; doubles with each attempt
MAX_BACKOFF = 60.0
MAX_ATTEMPTS = 8
CONCURRENCY = 64  # jobs running at once in one process
BUSY_CONCURRENCY = 16  # ... while the process answers API requests (not crowded)
CLAIM_GAP = 0.005  # seconds: after a claim found nothing (another process was quicker)
CROWDED_GAP = 0.1  # seconds between two job starts while requests queue (`crowded`)


@dataclass(frozen=True)
class Done:
    """What a job's successful run writes, in the transaction that finishes it."""

    follow_ups: Sequence[NewJob] = ()
    updates: Sequence[RowUpdate] = ()
    inserts: Sequence[tuple[str, Record]] = ()  # (table, record): messages, media, ...
    traces: Sequence[TraceWrite] = ()


Handler = Callable[[Job], Awaitable["Sequence[NewJob] | Done"]]
"""Runs one job: a plain list is its follow-ups alone; a `Done` carries its records too."""


def owner_name() -> str:
    """This worker's name in claims: host, process, and a random part (a restarted process may
    reuse the pid)."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_for(webhook_timeout: float) -> int:
    """How long (µs) a claim holds a job without being renewed: longer than most runs take (a
    callback and its fallback, each bounded by the webhook timeout), short enough that a dead
    process's jobs move on soon. A longer run renews it (`Worker._renew`)."""
    return int((2 * webhook_timeout + 5) * 1_000_000)


class Worker:
    def __init__(
        self,
        store: Store,
        handlers: Mapping[str, Handler],
        *,
        lease: int,
        keep: int,
        poll: float = POLL,
        concurrency: int = CONCURRENCY,
        busy_concurrency: int = BUSY_CONCURRENCY,
        busy: Callable[[], bool] = lambda: False,
        crowded: Callable[[], bool] = lambda: False,
        max_attempts: int = MAX_ATTEMPTS,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.handlers = dict(handlers)
        self.lease = lease
        self.keep = keep  # the request log's bound, for the requests a job records
        self.poll = poll
        self.concurrency = concurrency
        self.busy_concurrency = busy_concurrency
        self.busy = busy
        self.crowded = crowded
        self.max_attempts = max_attempts
        self.owner = owner or owner_name()
        self._wake = asyncio.Event()
        self._running: dict[asyncio.Task[None], Job] = {}  # each running job, by its task
        self._loop_task: asyncio.Task[None] | None = None
        self._renew_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._more = False  # the last claim got all it asked for: more may be ready
        self._reserved = 0  # places asked for by claims in flight
        self._started = -CROWDED_GAP  # time.monotonic() when a job last started
        self.finished = 0  # jobs this worker finished (tests, the status page)

    # Lifecycle

    def start(self) -> None:
        self._stopping = False
        self.store.on_new_jobs = self._jobs_added
        self._loop_task = asyncio.create_task(self._loop(), name="outbox")
        self._renew_task = asyncio.create_task(self._renew(), name="outbox renewals")

    async def stop(self) -> None:
        """Stop claiming; let running jobs end (each of their requests is bounded by the
        webhook timeout), or cancel them after 5 s: a cancelled job's claim runs out and
        another process (or this one, restarted) takes it over."""
        self._stopping = True  # a finishing job claims no more
        if self.store.on_new_jobs == self._jobs_added:
            self.store.on_new_jobs = None
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._running:
            _, pending = await asyncio.wait(self._running, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._renew_task is not None:  # last: the jobs ending meanwhile kept their claims
            self._renew_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renew_task
            self._renew_task = None

    def wake(self) -> None:
        self._wake.set()

    def _jobs_added(self, due: int) -> None:
        if due <= self.store.clock() + int(self.poll * 1_000_000):
            self._wake.set()

    # The loop

    async def _loop(self) -> None:
        # Until `stop`: its cancel alone is not enough, Python 3.11's `wait_for` can swallow a
        # cancellation that arrives as the wake-up it waits for does (the loop then ran on,
        # and `stop` waited for it forever).
        while not self._stopping:
            delay = self.poll
            try:
                delay = await self._round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again later, never stop
                log.warning("outbox: claiming jobs failed: %s", exc)
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    def _free(self) -> int:
        """How many more jobs may run now (less the places claims in flight asked for)."""
        if self.crowded():
            limit = int(time.monotonic() - self._started >= CROWDED_GAP)
        elif self.busy():
            limit = self.busy_concurrency
        else:
            limit = self.concurrency
        return limit - len(self._running) - self._reserved

    async def _round(self) -> float:
        """Claim and start what is ready; the seconds to wait before the next round."""
        free = self._free()
        if free <= 0:
            return self.poll  # a finishing job wakes the loop
        now = self.store.clock()
        if not self._more:  # else claim at once: the read would only say "ready"
            ready_at = await self.store.next_job_at()
            if ready_at is None:
                return self.poll
            if ready_at > now:
                return min(self.poll, (ready_at - now) / 1_000_000)
        self._reserved += free
        try:
            jobs = await self.store.claim_jobs(now, free, self.lease, self.owner)
        finally:
            self._reserved -= free
        self._start(jobs, free)
        if self._more:
            return 0
        return 0 if jobs else CLAIM_GAP

    def _start(self, jobs: Sequence[Job], asked: int) -> None:
        for job in jobs:
            task = asyncio.create_task(self._run(job), name=f"job {job.kind} {job.id}")
            self._running[task] = job
            task.add_done_callback(self._ended)
        if jobs:
            self._started = time.monotonic()
        self._more = len(jobs) == asked

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._wake.set()

    async def _renew(self) -> None:
        """Every third of the lease, extend the claims of the jobs running by a whole lease:
        one that outlives its first lease is still this run's (a claim taken over meanwhile,
        or finished, is left alone: `Store.renew_jobs` matches each claim as it was made)."""
        period = self.lease / 3 / 1_000_000
        while True:
            await asyncio.sleep(period)
            jobs = list(self._running.values())
            if not jobs:
                continue
            try:
                await self.store.renew_jobs(jobs, self.store.clock() + self.lease)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: the next round tries again
                log.warning("outbox: renewing %d claims failed: %s", len(jobs), exc)

    async def _run(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            outcome = await handler(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._failed(job, exc)
            return
        done = outcome if isinstance(outcome, Done) else Done(follow_ups=tuple(outcome))
        # The transaction that finishes this job claims the next ones, as many as may run
        # once it ends (its own place, if the limit still has it, and the free ones): a busy
        # worker's loop would otherwise claim them in a transaction of its own, one at a time.
        # Over the limit (it fell when requests came), nothing: the running jobs drain to it.
        # Crowded, nothing either: the loop alone trickles them, one per `CROWDED_GAP`.
        ask = 0 if self._stopping or self.crowded() else max(0, self._free() + 1)
        extra = max(0, ask - 1)  # places beyond its own, reserved while the claim is in flight
        self._reserved += extra
        try:
            claimed = await self.store.finish_and_claim(
                job,
                done.follow_ups,
                updates=done.updates,
                inserts=done.inserts,
                traces=done.traces,
                keep=self.keep,
                claim=Claim(self.store.clock(), ask, self.lease, self.owner),
            )
        except Exception as exc:
            await self._failed(job, exc)
            return
        finally:
            self._reserved -= extra
        if claimed is None:
            log.warning("outbox: job %s (%s) was taken over before it finished", job.id, job.kind)
            return
        self.finished += 1
        if ask and not self._stopping:  # (stopping meanwhile: their claims run out)
            self._start(claimed, ask)

    async def _failed(self, job: Job, exc: Exception) -> None:
        try:
            if job.attempts >= self.max_attempts:
                log.error(
                    "outbox: giving up job %s (%s %s) after %d attempts: %s",
                    job.id,
                    job.kind,
                    job.subject,
                    job.attempts,
                    exc,
                )
                await self.store.finish_job(job)
                return
            backoff = min(MAX_BACKOFF, BACKOFF * 2 ** (job.attempts - 1))
            log.warning(
                "outbox: job %s (%s %s) failed (attempt %d), retrying in %gs: %s",
                job.id,
                job.kind,
                job.subject,
                job.attempts,
                backoff,
                exc,
            )
            await self.store.retry_job(job, self.store.clock() + int(backoff * 1_000_000))
        except Exception as again:  # the store is away: the claim runs out, the job comes back
            log.warning("outbox: could not reschedule job %s: %s", job.id, again)


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
