"""The store's logic, written once for every SQL database, by concern:

- `sql_base`: what an adapter supplies (a read connection, one write transaction) and the record
  helpers; `tx`: the driver interface and keyset paging;
- `sql_accounts`: accounts and API keys; `sql_resources`: applications and phone numbers;
- `sql_traffic`: traces and the webhook request log; `sql_clients`: Voice SDK devices;
- `sql_jobs`: the outbox; `sql_messages`: messages, media, handsets, opt-outs; `sql_calls`:
  calls made with `Calls.json`;
  `sql_status`: counts and the schema revision, for the status page; `sql_seed`: fixtures and
  reset.

`SqliteStore` and `PostgresStore` only supply connections.
"""

from __future__ import annotations

from switchboard.store.sql_calls import CallsSql
from switchboard.store.sql_clients import ClientsSql
from switchboard.store.sql_messages import MessagesSql
from switchboard.store.sql_seed import SeedSql
from switchboard.store.sql_status import StatusSql


class SqlStore(SeedSql, MessagesSql, CallsSql, ClientsSql, StatusSql):
    """Every concern of the store, over one adapter's connections."""
