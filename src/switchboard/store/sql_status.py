"""What the status page shows about the database: an account's counts, the schema revision."""

from __future__ import annotations

from switchboard.store.schema import ACCOUNTS, APPLICATIONS, KEYS, PHONE_NUMBERS
from switchboard.store.sql_base import SqlBase

# Name in the answer -> the count's SQL (one `?`: the account's SID). Traces and the request log
# are bounded per account (`--request-log-limit`), so counting them is cheap.
_COUNTS = {
    "applications": f"SELECT COUNT(*) FROM {APPLICATIONS.name} WHERE account_sid = ?",
    "incoming_phone_numbers": f"SELECT COUNT(*) FROM {PHONE_NUMBERS.name} WHERE account_sid = ?",
    "keys": f"SELECT COUNT(*) FROM {KEYS.name} WHERE account_sid = ?",
    # A top-level account is its own owner: its subaccounts are the other accounts it owns.
    "subaccounts": f"SELECT COUNT(*) FROM {ACCOUNTS.name} "
    "WHERE owner_account_sid = ? AND sid <> owner_account_sid",
    "calls": "SELECT COUNT(*) FROM traces WHERE account_sid = ? AND kind = 'call'",
    "messages": "SELECT COUNT(*) FROM traces WHERE account_sid = ? AND kind = 'message'",
    "requests": "SELECT COUNT(*) FROM webhook_requests WHERE account_sid = ?",
}


class StatusSql(SqlBase):
    async def account_counts(self, account_sid: str) -> dict[str, int]:
        sql = "SELECT " + ", ".join(f"({query})" for query in _COUNTS.values())
        async with self.reading() as tx:
            row = await tx.one(sql, [account_sid] * len(_COUNTS))
        values = row or [0] * len(_COUNTS)  # an aggregate always has its row
        return {name: int(value) for name, value in zip(_COUNTS, values, strict=True)}

    async def schema_revision(self) -> str | None:
        async with self.reading() as tx:
            row = await tx.one("SELECT version_num FROM alembic_version")
        return str(row[0]) if row else None
