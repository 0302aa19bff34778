"""Fixtures and test support: seed (idempotent, all or nothing) and reset.

Seeding makes records with the same helpers as the API's creates, so a seeded record is exactly
what the API would have made from the same values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from switchboard.store.base import SeedAccount, SeedApplication, SeedNumber, SeedResult
from switchboard.store.schema import (
    ACCOUNTS,
    APPLICATIONS,
    PHONE_NUMBERS,
    TABLES_CHILDREN_FIRST,
    Table,
)
from switchboard.store.sql_accounts import AccountsSql, _account
from switchboard.store.sql_resources import ResourcesSql
from switchboard.store.tx import IntegrityError, Tx
from switchboard.twilio import errors, rules
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.resources import Record

T = TypeVar("T")


class SeedSql(AccountsSql, ResourcesSql):
    async def seed(self, accounts: Sequence[SeedAccount]) -> SeedResult:
        # Top-level accounts first, so that subaccounts find their owners.
        ordered = sorted(accounts, key=lambda a: a.owner_sid not in (None, a.sid))

        async def run(tx: Tx) -> SeedResult:
            result = SeedResult()
            for account in ordered:
                await _where(account.where, self._seed_account(tx, account, result))
            for account in ordered:
                await tx.lock_account(account.sid)
                count = await self._count_applications(tx, account.sid)
                for app in account.applications:
                    created = await _where(
                        app.where, self._seed_application(tx, account.sid, app, count, result)
                    )
                    count += created
                for number in account.numbers:
                    await _where(number.where, self._seed_number(tx, account.sid, number, result))
            return result

        try:
            return await self._write(run)
        except IntegrityError as exc:
            # Lost a race with a concurrent writer (a number or SID taken meanwhile).
            raise errors.invalid_parameter(
                f"the fixture conflicts with a concurrent change ({exc.kind}); nothing was written"
            ) from None

    async def _seed_account(self, tx: Tx, seed: SeedAccount, result: SeedResult) -> None:
        owner = seed.owner_sid or seed.sid
        by_sid = f"{ACCOUNTS.select} WHERE sid = ?"
        row = await tx.one(by_sid, (seed.sid,))
        if owner != seed.sid:
            owner_row = await tx.one(by_sid, (owner,))
            if owner_row is None:
                raise errors.invalid_parameter(f"owner_account_sid {owner} is not an account")
            if _account(owner_row).is_subaccount:
                raise errors.invalid_parameter(
                    f"owner_account_sid {owner} is a subaccount: subaccounts cannot have "
                    "subaccounts"
                )
            children = await tx.one(
                "SELECT 1 FROM accounts WHERE owner_account_sid = ? AND sid != ?",
                (seed.sid, seed.sid),
            )
            if children is not None:
                raise errors.invalid_parameter(
                    f"{seed.sid} has subaccounts, so it cannot become a subaccount"
                )
        if row is None:
            await self._insert_account(
                tx,
                seed.friendly_name,
                owner_sid=owner,
                sid=seed.sid,
                auth_token=seed.auth_token,
                is_main=seed.is_main,
                status=seed.status,
            )
            result.count("created", "accounts")
            return
        current = _account(row)
        wanted = {
            "friendly_name": seed.friendly_name,
            "auth_token": seed.auth_token,
            "owner_account_sid": owner,
            "status": seed.status,
            "is_main": current.is_main or seed.is_main,  # a fixture never demotes a main account
        }
        changes = {k: v for k, v in wanted.items() if getattr(current, k) != v}
        if not changes:
            result.count("unchanged", "accounts")
            return
        await self._set_account(tx, current, **changes)
        result.count("updated", "accounts")

    async def _seed_application(
        self, tx: Tx, account_sid: str, seed: SeedApplication, count: int, result: SeedResult
    ) -> int:
        """Returns 1 when an application was created."""
        existing: Record | None = None
        if seed.sid is not None:
            owner = await tx.one("SELECT account_sid FROM applications WHERE sid = ?", (seed.sid,))
            if owner is not None and owner[0] != account_sid:
                raise errors.invalid_parameter(
                    f"application {seed.sid} belongs to another account ({owner[0]})"
                )
            if owner is not None:
                existing = await self._get(tx, APPLICATIONS, account_sid, seed.sid)
        else:
            row = await tx.one(
                f"{APPLICATIONS.select} WHERE account_sid = ? AND friendly_name = ? "
                "ORDER BY sid LIMIT 1",
                (account_sid, seed.values.get("friendly_name")),
            )
            existing = APPLICATIONS.record(row) if row else None
        if existing is None:
            if count >= rules.APPLICATION_LIMIT:
                raise errors.application_limit()
            record = self._new_application(account_sid, seed.values, seed.sid)
            await tx.run(APPLICATIONS.insert, APPLICATIONS.row(record))
            result.count("created", "applications")
            return 1
        await self._seed_changes(tx, APPLICATIONS, existing, seed.values, account_sid, result)
        return 0

    async def _seed_number(
        self, tx: Tx, account_sid: str, seed: SeedNumber, result: SeedResult
    ) -> None:
        await self._check_links(tx, account_sid, seed.values)
        by = ("sid", seed.sid) if seed.sid is not None else ("phone_number", seed.phone_number)
        row = await tx.one(
            f"SELECT account_sid FROM incoming_phone_numbers WHERE {by[0]} = ?", (by[1],)
        )
        if row is not None and row[0] != account_sid:
            if seed.sid is None:
                raise errors.phone_number_unavailable(seed.phone_number)
            raise errors.invalid_parameter(
                f"incoming phone number {seed.sid} belongs to another account ({row[0]})"
            )
        existing: Record | None = None
        if row is not None:
            found = await tx.one(
                f"{PHONE_NUMBERS.select} WHERE account_sid = ? AND {by[0]} = ?",
                (account_sid, by[1]),
            )
            existing = PHONE_NUMBERS.record(found) if found else None
        taken = await self._number_taken(tx, seed.phone_number)
        if taken is not None and (existing is None or taken != existing["sid"]):
            raise errors.phone_number_unavailable(seed.phone_number)
        record = self._new_number(account_sid, seed.values, seed.phone_number, seed.type, seed.sid)
        if existing is None:
            await tx.run(PHONE_NUMBERS.insert, PHONE_NUMBERS.row(record))
            result.count("created", "numbers")
            return
        wanted = {k: record[k] for k in (*seed.values, "phone_number", "type", "friendly_name")}
        await self._seed_changes(tx, PHONE_NUMBERS, existing, wanted, account_sid, result)

    async def _seed_changes(
        self,
        tx: Tx,
        table: Table,
        existing: Record,
        wanted: dict[str, Any],
        account_sid: str,
        result: SeedResult,
    ) -> None:
        """Bring an existing record to the fixture's values; count it updated or unchanged."""
        kind = "applications" if table is APPLICATIONS else "numbers"
        changes = {k: v for k, v in wanted.items() if existing[k] != v}
        if changes:
            await self._update(tx, table, existing, changes, account_sid)
            result.count("updated", kind)
        else:
            result.count("unchanged", kind)

    async def reset(self) -> None:
        await self._write(self._reset_rows)

    @staticmethod
    async def _reset_rows(tx: Tx) -> None:
        # Every table the schema declares, children before parents (numbers link to
        # applications); accounts last, keeping the main ones.
        for table in TABLES_CHILDREN_FIRST:
            if table != "accounts":
                await tx.run(f"DELETE FROM {table}")
        await tx.run("DELETE FROM accounts WHERE is_main = ?", (False,))


async def _where(where: str, step: Awaitable[T]) -> T:
    """Run one fixture item's step; a TwilioError's message gets the item's place in front."""
    try:
        return await step
    except TwilioError as exc:
        raise exc.prefixed(where) from None
