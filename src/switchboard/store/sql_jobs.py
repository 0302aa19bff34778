"""The outbox: jobs claimed with a lease, finished (with their effects and follow-ups) in one
transaction, and released for a retry. See traffic/outbox.py for the worker that runs them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from switchboard.store.base import Claim, Job, NewJob, RowUpdate, TraceWrite
from switchboard.store.schema import MEDIA_TABLE, MESSAGES, Table
from switchboard.store.sql_traffic import TrafficSql
from switchboard.store.tx import Tx
from switchboard.twilio.resources import Record

# The tables a finishing job may insert into or update (`RowUpdate.table`).
UPDATABLE: dict[str, Table] = {t.name: t for t in (MESSAGES, MEDIA_TABLE)}

_JOB_COLUMNS = "id, account_sid, kind, subject, due, payload, attempts, owner"
# The row a claim still holds: (job.id, job.owner, job.attempts) as claimed. Every write that
# finishes or releases a job matches it, so a claim that outlived its lease changes nothing.
_HELD = "id = ? AND owner = ? AND attempts = ?"


class ClaimLost(Exception):
    """The job's claim no longer holds: roll the finishing transaction back."""


def _job(row: Sequence[Any]) -> Job:
    id_, account_sid, kind, subject, due, payload, attempts, owner = row
    return Job(id_, account_sid, kind, subject, due, orjson.loads(payload), attempts, owner or "")


class JobsSql(TrafficSql):
    def _job_rows(self, jobs: Sequence[NewJob]) -> list[tuple[Any, ...]]:
        return [
            (
                self.sids.new("JB"),
                j.account_sid,
                j.kind,
                j.subject,
                j.due,
                j.due,
                orjson.dumps(j.payload).decode(),
                0,
                None,
            )
            for j in jobs
        ]

    async def _insert_jobs(self, tx: Tx, jobs: Sequence[NewJob]) -> None:
        if jobs:
            await tx.many(
                "INSERT INTO jobs (id, account_sid, kind, subject, due, ready_at, payload, "
                "attempts, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._job_rows(jobs),
            )

    def _announce(self, jobs: Sequence[NewJob]) -> None:
        """Tell this process's worker (after the commit) that jobs are waiting."""
        if jobs and self.on_new_jobs is not None:
            self.on_new_jobs(min(j.due for j in jobs))

    async def add_jobs(self, jobs: Sequence[NewJob]) -> None:
        async def run(tx: Tx) -> None:
            await self._insert_jobs(tx, jobs)

        await self._write(run)
        self._announce(jobs)

    async def claim_jobs(self, now: int, limit: int, lease: int, owner: str) -> list[Job]:
        async def run(tx: Tx) -> list[Job]:
            return await self._claim(tx, Claim(now, limit, lease, owner))

        return await self._write(run)

    async def _claim(self, tx: Tx, claim: Claim) -> list[Job]:
        # The outer condition is checked again on each row as it is updated (PostgreSQL
        # re-reads a row another transaction changed meanwhile), so a job is claimed once.
        now = claim.now
        rows = await tx.all(
            "UPDATE jobs SET owner = ?, attempts = attempts + 1, ready_at = ? "
            "WHERE ready_at <= ? AND id IN (SELECT id FROM jobs WHERE ready_at <= ? "
            f"ORDER BY ready_at LIMIT ?{self.SKIP_LOCKED}) RETURNING {_JOB_COLUMNS}",
            (claim.owner, now + claim.lease, now, now, claim.limit),
        )
        return sorted((_job(r) for r in rows), key=lambda j: (j.due, j.id))

    async def finish_and_claim(
        self,
        job: Job,
        follow_ups: Sequence[NewJob] = (),
        *,
        updates: Sequence[RowUpdate] = (),
        inserts: Sequence[tuple[str, Record]] = (),
        traces: Sequence[TraceWrite] = (),
        keep: int = 0,
        claim: Claim | None = None,
    ) -> list[Job] | None:
        async def run(tx: Tx) -> list[Job]:
            held = (job.id, job.owner, job.attempts)
            first = follow_ups[0] if follow_ups else None
            if first is not None and first.account_sid == job.account_sid:
                # The first follow-up takes the finished job's row (a message's next step, a
                # call's next leg): one UPDATE instead of a DELETE and an INSERT, and the
                # account's index entry stays. It gets a new id, so a claim of the finished
                # job that outlived its lease still finds nothing to finish.
                new_id, _, kind, subject, due, ready_at, payload, _, _ = self._job_rows([first])[0]
                gone = await tx.run(
                    "UPDATE jobs SET id = ?, kind = ?, subject = ?, due = ?, ready_at = ?, "
                    f"payload = ?, attempts = 0, owner = NULL WHERE {_HELD}",
                    (new_id, kind, subject, due, ready_at, payload, *held),
                )
                rest = follow_ups[1:]
            else:
                gone = await tx.run(f"DELETE FROM jobs WHERE {_HELD}", held)
                rest = follow_ups
            if not gone:
                raise ClaimLost(job.id)
            await self._insert_jobs(tx, rest)
            for name, record in inserts:
                table = UPDATABLE[name]
                await tx.run(table.insert, table.row(record))
            for update in updates:
                await self._apply(tx, update)
            claimed = await self._claim(tx, claim) if claim is not None and claim.limit > 0 else []
            if traces:  # last: it locks the account's log counts (PostgreSQL) until the COMMIT
                await self._save_traces(tx, traces, keep)
            return claimed

        try:
            claimed = await self._write(run)
        except ClaimLost:
            return None
        self._announce(follow_ups)
        return claimed

    async def _apply(self, tx: Tx, update: RowUpdate) -> None:
        table = UPDATABLE[update.table]
        keys = [*update.changes, "date_updated"]
        values = {**update.changes, "date_updated": self.clock()}
        await tx.run(
            f"UPDATE {table.name} SET {', '.join(f'{table.column_of[k]} = ?' for k in keys)} "
            "WHERE account_sid = ? AND sid = ?",
            [table.value(k, values[k]) for k in keys] + [update.account_sid, update.sid],
        )

    async def retry_job(self, job: Job, ready_at: int) -> bool:
        async def run(tx: Tx) -> int:
            return await tx.run(
                f"UPDATE jobs SET owner = NULL, ready_at = ? WHERE {_HELD}",
                (ready_at, job.id, job.owner, job.attempts),
            )

        changed = await self._write(run)
        return changed > 0

    async def renew_jobs(self, jobs: Sequence[Job], ready_at: int) -> int:
        if not jobs:
            return 0

        async def run(tx: Tx) -> int:
            return await tx.run(
                "UPDATE jobs SET ready_at = ? WHERE " + " OR ".join(f"({_HELD})" for _ in jobs),
                [ready_at, *(v for j in jobs for v in (j.id, j.owner, j.attempts))],
            )

        return await self._write(run)

    async def next_job_at(self) -> int | None:
        async with self.reading() as tx:
            row = await tx.one("SELECT MIN(ready_at) FROM jobs")
        return int(row[0]) if row and row[0] is not None else None

    async def pending_jobs(self, account_sid: str) -> int:
        async with self.reading() as tx:
            row = await tx.one("SELECT COUNT(*) FROM jobs WHERE account_sid = ?", (account_sid,))
        return int(row[0]) if row else 0
