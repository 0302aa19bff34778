"""Accounts (top-level and subaccounts) and their API keys."""

from __future__ import annotations

from typing import Any

from switchboard.store.schema import ACCOUNTS, KEYS
from switchboard.store.sql_base import SqlBase
from switchboard.store.tx import Keyset, Row, Tx, in_list_order, keyset
from switchboard.twilio import rules
from switchboard.twilio.resources import Account, ApiKey, Record
from switchboard.twilio.sids import new_auth_token

_BY_SID = f"{ACCOUNTS.select} WHERE sid = ?"


def _account(row: Row) -> Account:
    return Account(**ACCOUNTS.record(row))


def _public(record: Record) -> Record:
    """A key's record without its secret or hash: what handlers get to render."""
    return ApiKey(**record).record()


class AccountsSql(SqlBase):
    # Accounts

    async def get_account(self, sid: str) -> Account | None:
        async with self.reading() as tx:
            row = await tx.one(_BY_SID, (sid,))
        return _account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        async with self.reading() as tx:
            rows = await tx.all(f"{ACCOUNTS.select} ORDER BY sid")
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
        tail = keyset(where, args, page)
        async with self.reading() as tx:
            rows = await tx.all(f"{ACCOUNTS.select} WHERE {' AND '.join(where)} {tail}", args)
        return [_account(r) for r in in_list_order(rows, page)]

    async def _insert_account(
        self,
        tx: Tx,
        friendly_name: str,
        *,
        owner_sid: str | None = None,
        sid: str | None = None,
        auth_token: str | None = None,
        is_main: bool = False,
        status: str = "active",
    ) -> Account:
        record = self._new_record(ACCOUNTS, {}, sid)
        record.update(
            owner_account_sid=owner_sid or record["sid"],
            friendly_name=friendly_name,
            status=status,
            auth_token=auth_token or new_auth_token(),
            is_main=is_main,
        )
        await tx.run(ACCOUNTS.insert, ACCOUNTS.row(record))
        return Account(**record)

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
            lambda tx: self._insert_account(
                tx,
                friendly_name,
                owner_sid=owner_sid,
                sid=sid,
                auth_token=auth_token,
                is_main=is_main,
            )
        )

    async def _set_account(self, tx: Tx, account: Account, **changes: Any) -> Account:
        """Write `changes` to the account's row; date_updated moves, even within the same
        microsecond."""
        record = account.record()
        record.update(changes, date_updated=max(self.clock(), account.date_updated + 1))
        keys = [*changes, "date_updated"]
        await tx.run(
            f"UPDATE accounts SET {', '.join(f'{k} = ?' for k in keys)} WHERE sid = ?",
            [record[k] for k in keys] + [account.sid],
        )
        return Account(**record)

    async def update_account(
        self, sid: str, *, friendly_name: str | None = None, status: str | None = None
    ) -> Account | None:
        async def run(tx: Tx) -> Account | None:
            row = await tx.one(_BY_SID, (sid,))
            if row is None:
                return None
            account = _account(row)
            if status is not None:
                rules.check_status_change(account.status, status)
            changes = {"friendly_name": friendly_name, "status": status}
            return await self._set_account(
                tx, account, **{k: v for k, v in changes.items() if v is not None}
            )

        return await self._write(run)

    async def set_auth_token(self, sid: str, auth_token: str) -> bool:
        async def run(tx: Tx) -> bool:
            row = await tx.one(_BY_SID, (sid,))
            if row is None:
                return False
            await self._set_account(tx, _account(row), auth_token=auth_token)
            return True

        return await self._write(run)

    async def ensure_main_account(
        self, sid: str | None, auth_token: str | None
    ) -> tuple[Account, bool]:
        async def run(tx: Tx) -> tuple[Account, bool]:
            # Servers started at the same moment on one database must agree on one main
            # account: without the lock each would find none and insert its own.
            await tx.lock_name("switchboard.main_account")
            if sid is not None and auth_token is not None:
                row = await tx.one(_BY_SID, (sid,))
                if row is None:
                    account = await self._insert_account(
                        tx, "Main account", sid=sid, auth_token=auth_token, is_main=True
                    )
                    return account, True
                account = _account(row)
                wanted = {"auth_token": auth_token, "is_main": True, "status": "active"}
                changes = {k: v for k, v in wanted.items() if getattr(account, k) != v}
                if changes:
                    account = await self._set_account(tx, account, **changes)
                return account, False
            row = await tx.one(f"{ACCOUNTS.select} WHERE is_main = ? ORDER BY sid LIMIT 1", (True,))
            if row is not None:
                return _account(row), False
            return await self._insert_account(tx, "Main account", is_main=True), True

        return await self._write(run)

    # API keys

    async def create_key(
        self, account_sid: str, friendly_name: str | None, secret: str, *, sid: str | None = None
    ) -> Record:
        async def run(tx: Tx) -> Record:
            values = {"account_sid": account_sid, "friendly_name": friendly_name, "secret": secret}
            record = self._new_record(KEYS, values, sid)
            await tx.run(KEYS.insert, KEYS.row(record))
            return _public(record)

        return await self._write(run)

    async def get_key(self, sid: str) -> ApiKey | None:
        async with self.reading() as tx:
            row = await tx.one(f"{KEYS.select} WHERE sid = ?", (sid,))
        return ApiKey(**KEYS.record(row)) if row else None

    async def list_keys(self, account_sid: str, page: Keyset) -> list[Record]:
        records = await self._list(KEYS, ["account_sid = ?"], [account_sid], page)
        return [_public(r) for r in records]

    async def update_key(self, account_sid: str, sid: str, friendly_name: str) -> Record | None:
        async def run(tx: Tx) -> Record | None:
            record = await self._get(tx, KEYS, account_sid, sid)
            if record is None:
                return None
            changes = {"friendly_name": friendly_name}
            return _public(await self._update(tx, KEYS, record, changes, account_sid))

        return await self._write(run)

    async def delete_key(self, account_sid: str, sid: str) -> bool:
        return await self._delete(KEYS, account_sid, sid)
