"""Voice SDK devices registered to receive calls, and the calls each was rung with.

A device is live while its token has not expired and the key that signed the token still
exists; only live devices are listed or rung. The others are forgotten (with their calls) when
their account registers a device, so an account's rows stay bounded by its live devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from switchboard.store.sql_base import SqlBase
from switchboard.store.tx import Keyset, Tx, in_list_order, keyset
from switchboard.twilio import errors
from switchboard.twilio.resources import Record

_COLUMNS = ("sid", "account_sid", "identity", "key_sid", "answer", "script", "expires_at",
            "date_created")  # fmt: skip
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM client_devices"
_LIVE = "expires_at > ? AND key_sid IN (SELECT sid FROM api_keys)"
_DEAD = "(expires_at <= ? OR key_sid NOT IN (SELECT sid FROM api_keys))"


def _device(row: Sequence[Any]) -> Record:
    record = dict(zip(_COLUMNS, row, strict=True))
    record["script"] = orjson.loads(record["script"])
    return record


class ClientsSql(SqlBase):
    async def register_device(self, values: dict[str, Any], *, limit: int) -> Record:
        account_sid = values["account_sid"]
        record = {**values, "sid": self.sids.new("DV"), "date_created": self.clock()}
        columns = [record[c] for c in _COLUMNS]
        columns[_COLUMNS.index("script")] = orjson.dumps(record["script"]).decode()

        async def run(tx: Tx) -> Record:
            await tx.lock_account(account_sid)  # the limit holds across processes
            now = self.clock()
            await tx.run(
                "DELETE FROM client_calls WHERE device_sid IN "
                f"(SELECT sid FROM client_devices WHERE account_sid = ? AND {_DEAD})",
                (account_sid, now),
            )
            await tx.run(
                f"DELETE FROM client_devices WHERE account_sid = ? AND {_DEAD}", (account_sid, now)
            )
            live = await tx.one(
                "SELECT count(*) FROM client_devices WHERE account_sid = ?", (account_sid,)
            )
            if live is not None and live[0] >= limit:
                raise errors.device_limit(limit)
            await tx.run(
                f"INSERT INTO client_devices ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                columns,
            )
            return {**record, "calls": []}

        return await self._write(run)

    async def list_devices(self, account_sid: str, page: Keyset) -> list[Record]:
        where, args = ["account_sid = ?", _LIVE], [account_sid, self.clock()]
        tail = keyset(where, args, page)
        async with self.reading() as tx:
            rows = await tx.all(f"{_SELECT} WHERE {' AND '.join(where)} {tail}", args)
            devices = [_device(r) for r in in_list_order(rows, page)]
            await self._with_calls(tx, devices)
        return devices

    async def get_device(self, account_sid: str, sid: str) -> Record | None:
        async with self.reading() as tx:
            row = await tx.one(
                f"{_SELECT} WHERE account_sid = ? AND sid = ? AND {_LIVE}",
                (account_sid, sid, self.clock()),
            )
            if row is None:
                return None
            device = _device(row)
            await self._with_calls(tx, [device])
        return device

    @staticmethod
    async def _with_calls(tx: Tx, devices: list[Record]) -> None:
        """Each device's calls, newest first."""
        by_sid = {d["sid"]: d for d in devices}
        for device in devices:
            device["calls"] = []
        if not devices:
            return
        rows = await tx.all(
            "SELECT device_sid, call_sid, body FROM client_calls WHERE device_sid IN "
            f"({', '.join('?' for _ in devices)}) ORDER BY call_sid DESC",
            list(by_sid),
        )
        for device_sid, call_sid, body in rows:
            by_sid[device_sid]["calls"].append({"call_sid": call_sid, **orjson.loads(body)})

    async def delete_device(self, account_sid: str, sid: str) -> bool:
        async def run(tx: Tx) -> bool:
            gone = await tx.run(
                "DELETE FROM client_devices WHERE account_sid = ? AND sid = ?", (account_sid, sid)
            )
            if gone:
                await tx.run("DELETE FROM client_calls WHERE device_sid = ?", (sid,))
            return gone > 0

        return await self._write(run)

    async def ringing_devices(self, account_sid: str, identity: str) -> list[Record]:
        async with self.reading() as tx:
            rows = await tx.all(
                f"{_SELECT} WHERE account_sid = ? AND identity = ? AND {_LIVE} ORDER BY sid",
                (account_sid, identity, self.clock()),
            )
        return [_device(r) for r in rows]

    async def record_device_calls(
        self, calls: Sequence[tuple[str, str, dict[str, Any]]], *, keep: int
    ) -> None:
        async def run(tx: Tx) -> None:
            now = self.clock()
            for device_sid, call_sid, body in calls:
                await tx.run(
                    "INSERT INTO client_calls (device_sid, call_sid, body, date_created) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (device_sid, call_sid) "
                    "DO UPDATE SET body = excluded.body",
                    (device_sid, call_sid, orjson.dumps(body).decode(), now),
                )
                await tx.run(
                    "DELETE FROM client_calls WHERE device_sid = ? AND call_sid NOT IN "
                    "(SELECT call_sid FROM client_calls WHERE device_sid = ? "
                    "ORDER BY call_sid DESC LIMIT ?)",
                    (device_sid, device_sid, keep),
                )

        if calls:
            await self._write(run)
