"""Applications and IncomingPhoneNumbers, with the rules that must hold across processes: the
per-account application limit, unique numbers, links only to the account's own applications."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from switchboard.store.base import NumberFilter
from switchboard.store.schema import APPLICATIONS, PHONE_NUMBERS
from switchboard.store.sql_base import SqlBase
from switchboard.store.tx import IntegrityError, Keyset, Tx, like_pattern
from switchboard.twilio import errors, rules
from switchboard.twilio.resources import Record

APP_LINKS = ("voice_application_sid", "sms_application_sid")


def _number_and_application(link: str) -> str:
    """A number (by account and E.164) and, LEFT JOINed, the account's application `link` names."""
    number = ", ".join(f"n.{c}" for c in PHONE_NUMBERS.columns)
    app = ", ".join(f"a.{c}" for c in APPLICATIONS.columns)
    return (
        f"SELECT {number}, {app} FROM {PHONE_NUMBERS.name} n LEFT JOIN {APPLICATIONS.name} a "
        f"ON a.sid = n.{PHONE_NUMBERS.column_of[link]} AND a.account_sid = n.account_sid "
        "WHERE n.account_sid = ? AND n.phone_number = ?"
    )


_NUMBER_AND_APPLICATION = {link: _number_and_application(link) for link in APP_LINKS}
_APP_SID = APPLICATIONS.keys.index("sid")


def link_param(key: str) -> str:
    return "VoiceApplicationSid" if key.startswith("voice") else "SmsApplicationSid"


class ResourcesSql(SqlBase):
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

    @staticmethod
    async def _count_applications(tx: Tx, account_sid: str) -> int:
        row = await tx.one(
            "SELECT count(*) FROM applications WHERE account_sid = ?", (account_sid,)
        )
        return int(row[0]) if row else 0

    def _new_application(
        self, account_sid: str, values: dict[str, Any], sid: str | None = None
    ) -> Record:
        return self._new_record(APPLICATIONS, {**values, "account_sid": account_sid}, sid)

    async def _insert_applications(
        self, tx: Tx, account_sid: str, values: Sequence[dict[str, Any]]
    ) -> list[Record]:
        # Concurrent creates for one account queue here, so count + insert is exact.
        await tx.lock_account(account_sid)
        if await self._count_applications(tx, account_sid) + len(values) > rules.APPLICATION_LIMIT:
            raise errors.application_limit()
        records = [self._new_application(account_sid, v) for v in values]
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
                raise errors.application_not_accessible(link_param(key), app_sid)

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

    async def find_number_and_application(
        self, account_sid: str, phone_number: str, link: str
    ) -> tuple[Record, Record | None] | None:
        """One read, the application LEFT JOINed (a simulated call read the number, then its
        application: two round trips on the serving thread)."""
        async with self.reading() as tx:
            row = await tx.one(_NUMBER_AND_APPLICATION[link], (account_sid, phone_number))
        if row is None:
            return None
        split = len(PHONE_NUMBERS.columns)
        number = PHONE_NUMBERS.record(row[:split])
        joined = row[split + _APP_SID] is not None
        return number, APPLICATIONS.record(row[split:]) if joined else None

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
            # Partial match; `*` matches any one character (Twilio's wildcard).
            where.append("phone_number LIKE ? ESCAPE '\\'")
            args.append(like_pattern(filters.phone_number, any_one="*"))
        return await self._list(PHONE_NUMBERS, where, args, page)

    @staticmethod
    async def _number_taken(tx: Tx, phone_number: str) -> str | None:
        """The SID of the number record holding `phone_number`, whatever its account."""
        row = await tx.one(
            "SELECT sid FROM incoming_phone_numbers WHERE phone_number = ?", (phone_number,)
        )
        return row[0] if row else None

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
                if await self._number_taken(tx, phone_number):
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
        """A new number's record: every field's default, then the values given; its friendly
        name defaults to the number's friendly form."""
        values = {**values, **self._number_values(account_sid, phone_number, number_type)}
        record = self._new_record(PHONE_NUMBERS, values, sid)
        if record["friendly_name"] is None:
            record["friendly_name"] = rules.format_phone_number(phone_number)
        return record

    @staticmethod
    def _number_values(
        account_sid: str, phone_number: str, number_type: str | None
    ) -> dict[str, Any]:
        """What a number's record holds beside its writable values."""
        return {
            "account_sid": account_sid,
            "phone_number": phone_number,
            "type": rules.number_type(phone_number, number_type),
        }

    @staticmethod
    async def _free_number(tx: Tx, area_code: str) -> str:
        """A random free +1 number in the area code (exchange 200-999, as NANP allows)."""
        for _ in range(200):
            exchange = 200 + secrets.randbelow(800)
            candidate = f"+1{area_code}{exchange}{secrets.randbelow(10_000):04d}"
            if not await ResourcesSql._number_taken(tx, candidate):
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
