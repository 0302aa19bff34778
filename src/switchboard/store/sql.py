"""The store's logic, written once against a small async transaction interface (`Tx`).

`SqliteStore` and `PostgresStore` only supply connections: how to read, how to run one write
transaction, and how to lock an account row. SQL here uses `?` placeholders; a driver with
another paramstyle rewrites them once per statement.
"""

from __future__ import annotations

import contextlib
import secrets
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

import orjson

from switchboard.store.base import (
    Keyset,
    NumberFilter,
    SeedAccount,
    SeedApplication,
    SeedNumber,
    SeedResult,
    Store,
)
from switchboard.store.tables import (
    ACCOUNT_COLUMNS,
    APPLICATIONS,
    KEY_COLUMNS,
    PHONE_NUMBERS,
    TableSpec,
)
from switchboard.twilio import errors, rules
from switchboard.twilio.dates import Clock
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.fields import APPLICATION_LIMIT, format_phone_number
from switchboard.twilio.resources import Account, Record
from switchboard.twilio.sids import SidSource, new_auth_token

T = TypeVar("T")
Row = Sequence[Any]
APP_LINKS = ("voice_application_sid", "sms_application_sid")
KEY_KEYS = tuple(c.strip() for c in KEY_COLUMNS.split(","))
_SELECT_ACCOUNT = f"SELECT {ACCOUNT_COLUMNS} FROM accounts"


class IntegrityError(Exception):
    """A constraint stopped a write: `unique` or `foreign_key`."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Tx(Protocol):
    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None: ...

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...

    async def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Execute; the number of rows changed."""

    async def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def lock_account(self, sid: str) -> None:
        """Serialise writers per account until the transaction ends (a no-op where every
        write transaction is serialised anyway, as in SQLite)."""

    async def lock_name(self, name: str) -> None:
        """Serialise the transactions that take the lock `name` until each ends: for writes
        that decide on a row that may not exist yet (a no-op where every write transaction is
        serialised anyway, as in SQLite)."""


def _account(row: Row) -> Account:
    sid, owner, name, status, type_, token, is_main, created, updated = row
    return Account(sid, owner, name, status, type_, token, bool(is_main), created, updated)


def _keyset(where: list[str], args: list[Any], page: Keyset, *, descending: bool = False) -> str:
    """Adds the keyset condition for a list in SID order; returns the ORDER BY ... LIMIT tail.

    `descending`: the list runs newest first, so `after` means smaller SIDs.
    """
    forward, backward = ("<", ">") if descending else (">", "<")
    order = "DESC" if descending else "ASC"
    if page.after is not None:
        where.append(f"sid {forward} ?")
        args.append(page.after)
    elif page.before is not None:
        where.append(f"sid {backward} ?")
        args.append(page.before)
        order = "ASC" if descending else "DESC"
    args.append(page.limit)
    return f"ORDER BY sid {order} LIMIT ?"


def _in_list_order(rows: list[Any], page: Keyset) -> list[Any]:
    """Rows fetched towards a `before` token come closest-first: put them back in list order."""
    if page.before is not None:
        rows.reverse()
    return rows


class SqlStore(Store):
    def __init__(self, *, clock: Clock, sids: SidSource) -> None:
        self.clock = clock
        self.sids = sids

    # What an implementation supplies

    @abstractmethod
    def reading(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        """A connection for reads (autocommit: each statement sees committed data)."""

    @abstractmethod
    async def _write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run `fn` in one transaction; commit (durably) before returning; roll back on error."""

    # Generic record helpers

    @staticmethod
    async def _get(tx: Tx, spec: TableSpec, account_sid: str, sid: str) -> Record | None:
        row = await tx.one(spec.select_one, (account_sid, sid))
        return spec.record(row) if row else None

    async def _owner(self, spec: TableSpec, sid: str) -> str | None:
        async with self.reading() as tx:
            row = await tx.one(f"SELECT account_sid FROM {spec.name} WHERE sid = ?", (sid,))
        return row[0] if row else None

    async def _list(
        self, spec: TableSpec, where: list[str], args: list[Any], page: Keyset
    ) -> list[Record]:
        tail = _keyset(where, args, page)
        async with self.reading() as tx:
            rows = await tx.all(f"{spec.select} WHERE {' AND '.join(where)} {tail}", args)
        return [spec.record(r) for r in _in_list_order(rows, page)]

    async def _update(
        self, tx: Tx, spec: TableSpec, record: Record, changes: dict[str, Any], account_sid: str
    ) -> Record:
        # date_updated moves on every update, even within the same microsecond.
        record.update(changes, date_updated=max(self.clock(), record["date_updated"] + 1))
        keys = [*changes, "date_updated"]
        await tx.run(
            f"UPDATE {spec.name} SET {', '.join(f'{k} = ?' for k in keys)} "
            "WHERE account_sid = ? AND sid = ?",
            [spec.value(k, record[k]) for k in keys] + [account_sid, record["sid"]],
        )
        return record

    async def _delete(self, spec: TableSpec, account_sid: str, sid: str) -> bool:
        async def run(tx: Tx) -> bool:
            changed = await tx.run(
                f"DELETE FROM {spec.name} WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            return changed > 0

        return await self._write(run)

    # Accounts

    async def get_account(self, sid: str) -> Account | None:
        async with self.reading() as tx:
            row = await tx.one(f"{_SELECT_ACCOUNT} WHERE sid = ?", (sid,))
        return _account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        async with self.reading() as tx:
            rows = await tx.all(f"{_SELECT_ACCOUNT} ORDER BY sid")
        return [_account(r) for r in rows]

    async def list_account_family(
        self, root_sid: str, *, friendly_name: str | None, status: str | None, page: Keyset
    ) -> list[Account]:
        where = ["(sid = ? OR owner_account_sid = ?)"]
        args: list[Any] = [root_sid, root_sid]
        if friendly_name is not None:
            where.append("friendly_name = ?")
            args.append(friendly_name)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        tail = _keyset(where, args, page)
        async with self.reading() as tx:
            rows = await tx.all(f"{_SELECT_ACCOUNT} WHERE {' AND '.join(where)} {tail}", args)
        return [_account(r) for r in _in_list_order(rows, page)]

    async def _insert_account(
        self,
        tx: Tx,
        friendly_name: str,
        owner_sid: str | None,
        sid: str | None,
        auth_token: str | None,
        is_main: bool,
    ) -> Account:
        now = self.clock()
        sid = sid or self.sids.new("AC")
        account = Account(
            sid=sid,
            owner_account_sid=owner_sid or sid,
            friendly_name=friendly_name,
            status="active",
            type="Full",
            auth_token=auth_token or new_auth_token(),
            is_main=is_main,
            date_created=now,
            date_updated=now,
        )
        await tx.run(
            f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.sid,
                account.owner_account_sid,
                account.friendly_name,
                account.status,
                account.type,
                account.auth_token,
                account.is_main,
                account.date_created,
                account.date_updated,
            ),
        )
        return account

    async def create_account(
        self,
        friendly_name: str,
        *,
        owner_sid: str | None = None,
        sid: str | None = None,
        auth_token: str | None = None,
        is_main: bool = False,
    ) -> Account:
        return await self._write(
            lambda tx: self._insert_account(tx, friendly_name, owner_sid, sid, auth_token, is_main)
        )

    async def update_account(
        self, sid: str, *, friendly_name: str | None = None, status: str | None = None
    ) -> Account | None:
        async def run(tx: Tx) -> Account | None:
            row = await tx.one(f"{_SELECT_ACCOUNT} WHERE sid = ?", (sid,))
            if row is None:
                return None
            account = _account(row)
            if status is not None:
                rules.check_status_change(account.status, status)
            await tx.run(
                "UPDATE accounts SET friendly_name = ?, status = ?, date_updated = ? WHERE sid = ?",
                (
                    account.friendly_name if friendly_name is None else friendly_name,
                    account.status if status is None else status,
                    max(self.clock(), account.date_updated + 1),
                    sid,
                ),
            )
            row = await tx.one(f"{_SELECT_ACCOUNT} WHERE sid = ?", (sid,))
            return _account(row) if row else None

        return await self._write(run)

    async def set_auth_token(self, sid: str, auth_token: str) -> bool:
        async def run(tx: Tx) -> bool:
            changed = await tx.run(
                "UPDATE accounts SET auth_token = ?, date_updated = ? WHERE sid = ?",
                (auth_token, self.clock(), sid),
            )
            return changed > 0

        return await self._write(run)

    async def ensure_main_account(
        self, sid: str | None, auth_token: str | None
    ) -> tuple[Account, bool]:
        async def run(tx: Tx) -> tuple[Account, bool]:
            # Servers started at the same moment on one database must agree on one main
            # account: without the lock each would find none and insert its own.
            await tx.lock_name("switchboard.main_account")
            if sid is not None and auth_token is not None:
                row = await tx.one(f"{_SELECT_ACCOUNT} WHERE sid = ?", (sid,))
                if row is None:
                    account = await self._insert_account(
                        tx, "Main account", None, sid, auth_token, True
                    )
                    return account, True
                await tx.run(
                    "UPDATE accounts SET auth_token = ?, is_main = ?, status = 'active', "
                    "date_updated = ? WHERE sid = ? AND (auth_token != ? OR is_main = ? "
                    "OR status != 'active')",
                    (auth_token, True, self.clock(), sid, auth_token, False),
                )
                row = await tx.one(f"{_SELECT_ACCOUNT} WHERE sid = ?", (sid,))
                assert row is not None
                return _account(row), False
            row = await tx.one(f"{_SELECT_ACCOUNT} WHERE is_main = ? ORDER BY sid LIMIT 1", (True,))
            if row is not None:
                return _account(row), False
            account = await self._insert_account(tx, "Main account", None, None, None, True)
            return account, True

        return await self._write(run)

    # API keys

    async def create_key(
        self, account_sid: str, friendly_name: str | None, secret_hash: str
    ) -> Record:
        async def run(tx: Tx) -> Record:
            now = self.clock()
            values = (self.sids.new("SK"), account_sid, friendly_name, secret_hash, now, now)
            await tx.run(f"INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", values)
            return dict(zip(KEY_KEYS, values, strict=True))

        return await self._write(run)

    async def get_key(self, sid: str) -> Record | None:
        async with self.reading() as tx:
            row = await tx.one(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE sid = ?", (sid,))
        return dict(zip(KEY_KEYS, row, strict=True)) if row else None

    async def list_keys(self, account_sid: str, page: Keyset) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        tail = _keyset(where, args, page)
        async with self.reading() as tx:
            rows = await tx.all(
                f"SELECT {KEY_COLUMNS} FROM api_keys WHERE {' AND '.join(where)} {tail}", args
            )
        return [dict(zip(KEY_KEYS, r, strict=True)) for r in _in_list_order(rows, page)]

    async def update_key(self, account_sid: str, sid: str, friendly_name: str) -> Record | None:
        async def run(tx: Tx) -> Record | None:
            row = await tx.one(
                f"SELECT {KEY_COLUMNS} FROM api_keys WHERE account_sid = ? AND sid = ?",
                (account_sid, sid),
            )
            if row is None:
                return None
            record = dict(zip(KEY_KEYS, row, strict=True))
            record["friendly_name"] = friendly_name
            record["date_updated"] = max(self.clock(), record["date_updated"] + 1)
            await tx.run(
                "UPDATE api_keys SET friendly_name = ?, date_updated = ? WHERE sid = ?",
                (friendly_name, record["date_updated"], sid),
            )
            return record

        return await self._write(run)

    async def delete_key(self, account_sid: str, sid: str) -> bool:
        async def run(tx: Tx) -> bool:
            changed = await tx.run(
                "DELETE FROM api_keys WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            return changed > 0

        return await self._write(run)

    # Applications

    async def get_application(self, account_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            return await self._get(tx, APPLICATIONS, account_sid, sid)

    async def application_account(self, sid: str) -> str | None:
        return await self._owner(APPLICATIONS, sid)

    async def list_applications(
        self, account_sid: str, *, friendly_name: str | None, page: Keyset
    ) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        if friendly_name is not None:
            where.append("friendly_name = ?")
            args.append(friendly_name)
        return await self._list(APPLICATIONS, where, args, page)

    def _new_record(
        self, prefix: str, account_sid: str, values: dict[str, Any], sid: str | None = None
    ) -> Record:
        """A new row's record: the values, its account, a fresh SID (unless given), the dates."""
        now = self.clock()
        return {
            **values,
            "account_sid": account_sid,
            "sid": sid or self.sids.new(prefix),
            "date_created": now,
            "date_updated": now,
        }

    async def _insert_applications(
        self, tx: Tx, account_sid: str, values: Sequence[dict[str, Any]]
    ) -> list[Record]:
        # Concurrent creates for one account queue here, so count + insert is exact.
        await tx.lock_account(account_sid)
        row = await tx.one(
            "SELECT count(*) FROM applications WHERE account_sid = ?", (account_sid,)
        )
        if (row[0] if row else 0) + len(values) > APPLICATION_LIMIT:
            raise errors.application_limit()
        records = [self._new_record("AP", account_sid, v) for v in values]
        await tx.many(APPLICATIONS.insert, [APPLICATIONS.row(r) for r in records])
        return records

    async def create_application(self, account_sid: str, values: dict[str, Any]) -> Record:
        records = await self._write(lambda tx: self._insert_applications(tx, account_sid, [values]))
        return records[0]

    async def create_applications(
        self, account_sid: str, values: Sequence[dict[str, Any]]
    ) -> list[Record]:
        return await self._write(lambda tx: self._insert_applications(tx, account_sid, values))

    async def update_application(
        self, account_sid: str, sid: str, changes: dict[str, Any]
    ) -> Record | None:
        async def run(tx: Tx) -> Record | None:
            record = await self._get(tx, APPLICATIONS, account_sid, sid)
            if record is None:
                return None
            return await self._update(tx, APPLICATIONS, record, changes, account_sid)

        return await self._write(run)

    async def delete_application(self, account_sid: str, sid: str) -> bool:
        # The foreign keys (ON DELETE SET NULL) clear the numbers' links in this transaction.
        return await self._delete(APPLICATIONS, account_sid, sid)

    # IncomingPhoneNumbers

    @staticmethod
    async def _check_links(tx: Tx, account_sid: str, values: dict[str, Any]) -> None:
        for key in APP_LINKS:
            app_sid = values.get(key)
            if app_sid is None:
                continue
            found = await tx.one(
                "SELECT 1 FROM applications WHERE sid = ? AND account_sid = ?",
                (app_sid, account_sid),
            )
            if found is None:
                raise errors.application_not_accessible(_link_param(key), app_sid)

    async def get_number(self, account_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            return await self._get(tx, PHONE_NUMBERS, account_sid, sid)

    async def number_account(self, sid: str) -> str | None:
        return await self._owner(PHONE_NUMBERS, sid)

    async def find_number(self, account_sid: str, phone_number: str) -> Record | None:
        async with self.reading() as tx:
            row = await tx.one(
                f"{PHONE_NUMBERS.select} WHERE account_sid = ? AND phone_number = ?",
                (account_sid, phone_number),
            )
        return PHONE_NUMBERS.record(row) if row else None

    async def list_numbers(
        self, account_sid: str, *, filters: NumberFilter, page: Keyset
    ) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        for column, value in (
            ("friendly_name", filters.friendly_name),
            ("origin", filters.origin),
            ("type", filters.type),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if filters.phone_number is not None:
            where.append("phone_number LIKE ? ESCAPE '\\'")
            args.append(rules.phone_like_pattern(filters.phone_number))
        return await self._list(PHONE_NUMBERS, where, args, page)

    async def create_number(
        self,
        account_sid: str,
        values: dict[str, Any],
        *,
        phone_number: str | None,
        area_code: str | None,
        number_type: str | None,
    ) -> Record:
        async def run(tx: Tx) -> Record:
            await self._check_links(tx, account_sid, values)
            if phone_number is not None:
                if await tx.one(
                    "SELECT 1 FROM incoming_phone_numbers WHERE phone_number = ?", (phone_number,)
                ):
                    raise errors.phone_number_unavailable(phone_number)
                number = phone_number
            else:
                number = await self._free_number(tx, area_code or "")
            record = self._new_number(account_sid, values, number, number_type)
            await tx.run(PHONE_NUMBERS.insert, PHONE_NUMBERS.row(record))
            return record

        try:
            return await self._write(run)
        except IntegrityError as exc:
            # Lost a race: the number was taken, or a linked application deleted, meanwhile.
            if exc.kind == "unique":
                raise errors.phone_number_unavailable(phone_number or area_code or "") from None
            raise errors.application_not_accessible("ApplicationSid", "") from None

    def _new_number(
        self,
        account_sid: str,
        values: dict[str, Any],
        phone_number: str,
        number_type: str | None,
        sid: str | None = None,
    ) -> Record:
        """A new number's record: every field's default, then the values given."""
        defaults = {f.key: f.default for f in PHONE_NUMBERS.fields if f.stored}
        record = self._new_record(
            "PN",
            account_sid,
            {
                **defaults,
                **values,
                "phone_number": phone_number,
                "type": rules.number_type(phone_number, number_type),
            },
            sid,
        )
        if record["friendly_name"] is None:
            record["friendly_name"] = format_phone_number(phone_number)
        return record

    @staticmethod
    async def _free_number(tx: Tx, area_code: str) -> str:
        """A random free +1 number in the area code (exchange 200-999, as NANP allows)."""
        for _ in range(200):
            exchange = 200 + secrets.randbelow(800)
            candidate = f"+1{area_code}{exchange}{secrets.randbelow(10_000):04d}"
            taken = await tx.one(
                "SELECT 1 FROM incoming_phone_numbers WHERE phone_number = ?", (candidate,)
            )
            if not taken:
                return candidate
        raise errors.no_numbers_in_area_code(area_code)

    async def update_number(
        self, account_sid: str, sid: str, changes: dict[str, Any], *, move_to: str | None = None
    ) -> Record | None:
        async def run(tx: Tx) -> Record | None:
            record = await self._get(tx, PHONE_NUMBERS, account_sid, sid)
            if record is None:
                return None
            target = move_to or account_sid
            await self._check_links(tx, target, changes)
            all_changes = dict(changes)
            if target != account_sid:
                all_changes["account_sid"] = target
                for key in APP_LINKS:
                    # A link kept from the old account would point across accounts: clear it.
                    if key not in changes and record[key] is not None:
                        all_changes[key] = None
            return await self._update(tx, PHONE_NUMBERS, record, all_changes, account_sid)

        try:
            return await self._write(run)
        except IntegrityError:
            # A linked application was deleted while this update ran.
            raise errors.application_not_accessible("ApplicationSid", "") from None

    async def delete_number(self, account_sid: str, sid: str) -> bool:
        return await self._delete(PHONE_NUMBERS, account_sid, sid)

    # Simulated traffic

    async def save_trace(
        self,
        account_sid: str,
        sid: str,
        kind: str,
        status: str,
        body: dict[str, Any],
        requests: list[dict[str, Any]],
        *,
        keep: int,
    ) -> None:
        async def run(tx: Tx) -> None:
            now = self.clock()
            await tx.run(
                "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sid, account_sid, kind, status, orjson.dumps(body).decode(), now),
            )
            await tx.many(
                "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, date_created) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (self.sids.new("RQ"), account_sid, sid, orjson.dumps(r).decode(), now)
                    for r in requests
                ],
            )
            for table, added in (("traces", 1), ("webhook_requests", len(requests))):
                await self._trim_log(tx, table, account_sid, added, keep)

        await self._write(run)

    @staticmethod
    async def _trim_log(tx: Tx, table: str, account_sid: str, added: int, keep: int) -> None:
        """Count `added` new rows of the account's log `table`, then delete its oldest rows
        beyond the newest `keep`. The size row is locked until the transaction ends, so
        concurrent writers of one account's log count (and trim) one after the other."""
        await tx.run(
            "INSERT INTO log_sizes (account_sid, log, size) VALUES (?, ?, ?) "
            "ON CONFLICT (account_sid, log) DO UPDATE SET size = log_sizes.size + excluded.size",
            (account_sid, table, added),
        )
        row = await tx.one(
            "SELECT size FROM log_sizes WHERE account_sid = ? AND log = ?", (account_sid, table)
        )
        excess = (row[0] if row else 0) - keep
        if excess <= 0:
            return
        # "Newest" is by SID (time-ordered), as the log is listed: the `excess` smallest go,
        # which leaves exactly the newest `keep` while the count matches the rows.
        deleted = await tx.run(
            f"DELETE FROM {table} WHERE sid IN (SELECT sid FROM {table} "
            "WHERE account_sid = ? ORDER BY sid LIMIT ?)",
            (account_sid, excess),
        )
        await tx.run(
            "UPDATE log_sizes SET size = size - ? WHERE account_sid = ? AND log = ?",
            (deleted, account_sid, table),
        )

    async def get_trace(self, account_sid: str, sid: str, kind: str) -> dict[str, Any] | None:
        async with self.reading() as tx:
            row = await tx.one(
                "SELECT body FROM traces WHERE account_sid = ? AND sid = ? AND kind = ?",
                (account_sid, sid, kind),
            )
        return orjson.loads(row[0]) if row else None

    async def list_requests(self, account_sid: str, page: Keyset) -> list[Record]:
        where, args = ["account_sid = ?"], [account_sid]
        tail = _keyset(where, args, page, descending=True)
        async with self.reading() as tx:
            rows = await tx.all(
                "SELECT sid, trace_sid, body, date_created FROM webhook_requests "
                f"WHERE {' AND '.join(where)} {tail}",
                args,
            )
        return [
            {"sid": sid, "trace_sid": trace_sid, "date_created": created, **orjson.loads(body)}
            for sid, trace_sid, body, created in _in_list_order(rows, page)
        ]

    # Fixtures and test support

    async def seed(self, accounts: Sequence[SeedAccount]) -> SeedResult:
        # Top-level accounts first, so that subaccounts find their owners.
        ordered = sorted(accounts, key=lambda a: a.owner_sid not in (None, a.sid))

        async def run(tx: Tx) -> SeedResult:
            result = SeedResult()
            for account in ordered:
                await _where(account.where, self._seed_account(tx, account, result))
            for account in ordered:
                await tx.lock_account(account.sid)
                row = await tx.one(
                    "SELECT count(*) FROM applications WHERE account_sid = ?", (account.sid,)
                )
                count = row[0] if row else 0
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
        row = await tx.one(f"{_SELECT_ACCOUNT} WHERE sid = ?", (seed.sid,))
        if owner != seed.sid:
            owner_row = await tx.one(f"{_SELECT_ACCOUNT} WHERE sid = ?", (owner,))
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
            now = self.clock()
            await tx.run(
                f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seed.sid,
                    owner,
                    seed.friendly_name,
                    seed.status,
                    "Full",
                    seed.auth_token,
                    seed.is_main,
                    now,
                    now,
                ),
            )
            result.count("created", "accounts")
            return
        current = _account(row)
        is_main = current.is_main or seed.is_main  # a fixture never demotes a main account
        wanted = (seed.friendly_name, seed.auth_token, owner, seed.status, is_main)
        have = (
            current.friendly_name,
            current.auth_token,
            current.owner_account_sid,
            current.status,
            current.is_main,
        )
        if wanted == have:
            result.count("unchanged", "accounts")
            return
        await tx.run(
            "UPDATE accounts SET friendly_name = ?, auth_token = ?, owner_account_sid = ?, "
            "status = ?, is_main = ?, date_updated = ? WHERE sid = ?",
            (*wanted, max(self.clock(), current.date_updated + 1), seed.sid),
        )
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
            if count >= APPLICATION_LIMIT:
                raise errors.application_limit()
            record = self._new_record("AP", account_sid, seed.values, seed.sid)
            await tx.run(APPLICATIONS.insert, APPLICATIONS.row(record))
            result.count("created", "applications")
            return 1
        changes = {k: v for k, v in seed.values.items() if existing[k] != v}
        if changes:
            await self._update(tx, APPLICATIONS, existing, changes, account_sid)
            result.count("updated", "applications")
        else:
            result.count("unchanged", "applications")
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
        taken = await tx.one(
            "SELECT sid FROM incoming_phone_numbers WHERE phone_number = ?", (seed.phone_number,)
        )
        if taken is not None and (existing is None or taken[0] != existing["sid"]):
            raise errors.phone_number_unavailable(seed.phone_number)
        values = {
            **seed.values,
            "phone_number": seed.phone_number,
            "type": rules.number_type(seed.phone_number, seed.type),
        }
        if values.get("friendly_name") is None:
            values["friendly_name"] = format_phone_number(seed.phone_number)
        if existing is None:
            record = self._new_number(
                account_sid, seed.values, seed.phone_number, seed.type, seed.sid
            )
            await tx.run(PHONE_NUMBERS.insert, PHONE_NUMBERS.row(record))
            result.count("created", "numbers")
            return
        changes = {k: v for k, v in values.items() if existing[k] != v}
        if changes:
            await self._update(tx, PHONE_NUMBERS, existing, changes, account_sid)
            result.count("updated", "numbers")
        else:
            result.count("unchanged", "numbers")

    async def reset(self) -> None:
        async def run(tx: Tx) -> None:
            # Children before parents: numbers link to applications.
            for table in (
                "log_sizes",
                "webhook_requests",
                "traces",
                "incoming_phone_numbers",
                "api_keys",
                "applications",
            ):
                await tx.run(f"DELETE FROM {table}")
            await tx.run("DELETE FROM accounts WHERE is_main = ?", (False,))

        await self._write(run)


async def _where(where: str, step: Awaitable[T]) -> T:
    """Run one fixture item's step; a TwilioError's message gets the item's place in front."""
    try:
        return await step
    except TwilioError as exc:
        raise TwilioError(exc.code, exc.status, f"{where}: {exc.message}") from None


def _link_param(key: str) -> str:
    return "VoiceApplicationSid" if key.startswith("voice") else "SmsApplicationSid"


class just(contextlib.AbstractAsyncContextManager[Tx]):
    """`reading()` for a store whose read connection is always the same one.

    A class, not `@asynccontextmanager`: it runs on every read, and a generator-based context
    manager costs several times more.
    """

    __slots__ = ("tx",)

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def __aenter__(self) -> Tx:
        return self.tx

    async def __aexit__(self, *exc: object) -> None:
        return None
