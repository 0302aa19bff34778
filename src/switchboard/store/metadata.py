"""The tables in SQLAlchemy Core (`metadata`): what the migrations (`store/migrations/`) must
build; a test checks that a migrated database matches it exactly. Derived from the resource
declarations, as the runtime SQL of `store/schema.py` is, so the two cannot drift apart.

Imported only where SQLAlchemy is anyway (migrations, the testing toolkit's schema, tests): a
serving process never loads SQLAlchemy (about 15 MB of its memory, docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from switchboard.twilio.fields import Field, Kind
from switchboard.twilio.resources import (
    ACCOUNT,
    APPLICATION,
    CALL,
    INCOMING_PHONE_NUMBER,
    KEY,
    MEDIA,
    MESSAGE,
    RECORDING,
    Resource,
)

metadata = sa.MetaData()

# SIDs sort by creation (see twilio/sids.py); byte order keeps that on any PostgreSQL locale.
SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def _column(field: Field) -> sa.Column:  # type: ignore[type-arg]
    name, nullable = field.column, field.nullable
    if field.key == "sid":
        return sa.Column(name, SID, primary_key=True)
    if field.kind in (Kind.SID, Kind.REF):
        if field.prefix == "AP":
            # Deleting an application clears every link to it, in the delete's own transaction.
            fk = sa.ForeignKey("applications.sid", ondelete="SET NULL")
            return sa.Column(name, SID, fk, nullable=nullable)
        return sa.Column(name, SID, nullable=nullable)
    if field.kind is Kind.DATE:
        # Microseconds since the epoch, UTC.
        return sa.Column(name, sa.BigInteger, nullable=nullable)
    if field.kind is Kind.BOOL:
        return sa.Column(name, sa.Boolean, nullable=nullable)
    if field.kind is Kind.INT:
        return sa.Column(name, sa.Integer, nullable=nullable)
    if field.kind is Kind.METHOD:
        return sa.Column(name, sa.String(4), nullable=nullable)
    if field.kind is Kind.PHONE:
        return sa.Column(name, sa.String(16), nullable=nullable, unique=True)
    kind = sa.String(field.length) if field.length else sa.Text
    return sa.Column(name, kind, nullable=nullable)


def _table(resource: Resource, *indexes: sa.Index) -> sa.Table:
    return sa.Table(resource.table, metadata, *(_column(f) for f in resource.stored), *indexes)


accounts = _table(ACCOUNT, sa.Index("ix_accounts_owner", "owner_account_sid", "sid"))
applications = _table(
    APPLICATION,
    # Keyset paging: ORDER BY sid within an account, optionally filtered by friendly_name.
    sa.Index("ix_applications_account", "account_sid", "sid"),
    sa.Index("ix_applications_account_name", "account_sid", "friendly_name", "sid"),
)
incoming_phone_numbers = _table(
    INCOMING_PHONE_NUMBER,
    sa.Index("ix_numbers_account", "account_sid", "sid"),
    sa.Index("ix_numbers_voice_app", "voice_application_sid"),
    sa.Index("ix_numbers_sms_app", "sms_application_sid"),
)
api_keys = _table(KEY, sa.Index("ix_keys_account", "account_sid", "sid"))
recordings = _table(
    RECORDING,
    sa.Index("ix_recordings_account", "account_sid", "sid"),
    sa.Index("ix_recordings_call", "account_sid", "call_sid", "sid"),
)

calls = _table(
    CALL,
    sa.Index("ix_calls_account", "account_sid", "sid"),
    sa.Index("ix_calls_parent", "account_sid", "parent_call_sid", "sid"),
)

messages = _table(
    MESSAGE,
    # Newest first across SM and MM SIDs: by `order_key` (the SID's time-ordered part).
    sa.Index("ix_messages_account", "account_sid", "order_key"),
    # A handset's inbox (`Handsets/{E164}/Messages`) and the `To` filter.
    sa.Index("ix_messages_to", "account_sid", "to_", "order_key"),
)
media = _table(MEDIA, sa.Index("ix_media_parent", "account_sid", "parent_sid", "sid"))

# The outbox (traffic/outbox.py): every pending step of asynchronous traffic (a message's next
# status, a callback, a call leg), written in the transaction that makes it necessary. A job is
# claimable once `ready_at` passes: at first its `due`; while claimed, the claim's lease end (a
# claim by a process that died runs out and the job is taken again); after a failure, its retry.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", SID, primary_key=True),  # JB…: time-ordered, like every SID
    sa.Column("account_sid", SID, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # message.step, call.*, ...
    sa.Column("subject", sa.String(64), nullable=False),  # the message's or call's SID
    sa.Column("due", sa.BigInteger, nullable=False),  # µs since the epoch
    sa.Column("ready_at", sa.BigInteger, nullable=False),  # µs: claimable from then
    sa.Column("payload", sa.Text, nullable=False),  # JSON
    sa.Column("attempts", sa.Integer, nullable=False),  # claims so far
    sa.Column("owner", sa.String(64), nullable=True),  # the process holding the claim
    sa.Index("ix_jobs_ready", "ready_at"),
    sa.Index("ix_jobs_account", "account_sid"),
)

# How a number outside Switchboard (a handset) behaves, per account; what it received is the
# account's messages to it (`messages`, by `to`).
handsets = sa.Table(
    "handsets",
    metadata,
    sa.Column("account_sid", SID, primary_key=True),
    sa.Column("phone_number", sa.String(16), primary_key=True),
    sa.Column("message_outcome", sa.String(16), nullable=False),
    sa.Column("message_error_code", sa.Integer, nullable=True),  # None: the outcome's own
    sa.Column("call_outcome", sa.String(16), nullable=False),
    sa.Column("answered_by", sa.String(32), nullable=False),
    sa.Column("call_duration", sa.Integer, nullable=False),  # seconds
    sa.Column("input", sa.Text, nullable=False),  # the Gathers' answers, JSON list
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Column("date_updated", sa.BigInteger, nullable=False),
)

# Recipients that opted out (STOP ... until START) of one sender number of an account, as
# Twilio's default opt-out handling keeps them.
opt_outs = sa.Table(
    "opt_outs",
    metadata,
    sa.Column("account_sid", SID, primary_key=True),
    sa.Column("sender", sa.String(16), primary_key=True),
    sa.Column("recipient", sa.String(16), primary_key=True),
    sa.Column("date_created", sa.BigInteger, nullable=False),
)

traces = sa.Table(
    "traces",
    metadata,
    sa.Column("sid", SID, primary_key=True),
    sa.Column("account_sid", SID, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # call | message
    sa.Column("status", sa.String(16), nullable=False),
    # The trace as JSON (traffic/trace.py `Trace.body`): its requests by SID, not their bodies.
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Index("ix_traces_account", "account_sid", "sid"),
)

webhook_requests = sa.Table(
    "webhook_requests",
    metadata,
    sa.Column("sid", SID, primary_key=True),
    sa.Column("account_sid", SID, nullable=False),
    sa.Column("trace_sid", SID, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the request and its outcome, as JSON
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Index("ix_webhook_requests_account", "account_sid", "sid"),
    sa.Index("ix_webhook_requests_trace", "trace_sid", "sid"),
)

# Interactive calls paused until the caller's next input: the engine's state, its expiry, and a
# claim (a lease: one process at a time continues a call, whichever process that is).
live_calls = sa.Table(
    "live_calls",
    metadata,
    sa.Column("sid", SID, primary_key=True),
    sa.Column("account_sid", SID, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # traffic/engine.py `CallRun.snapshot`, as JSON
    sa.Column("expires_at", sa.BigInteger, nullable=False),  # microseconds since the epoch
    sa.Column("claimed_until", sa.BigInteger, nullable=False),  # 0: free
    sa.Index("ix_live_calls_expiry", "expires_at"),
)

# How many rows each account has in `traces` and in `webhook_requests`, kept in the same
# transaction as every insert and trim: trimming a log to its newest N then costs an index
# lookup, not a walk over N entries.
log_sizes = sa.Table(
    "log_sizes",
    metadata,
    sa.Column("account_sid", SID, primary_key=True),
    sa.Column("log", sa.String(16), primary_key=True),  # traces | webhook_requests
    sa.Column("size", sa.BigInteger, nullable=False),
)


# Voice SDK devices registered to receive calls (traffic/clients.py): who they are, how they
# answer, until when (their Access Token's `exp`), and which key signed the token (a device whose
# key is deleted no longer rings). Never the token itself.
client_devices = sa.Table(
    "client_devices",
    metadata,
    sa.Column("sid", SID, primary_key=True),
    sa.Column("account_sid", SID, nullable=False),
    sa.Column("identity", sa.String(256), nullable=False),
    sa.Column("key_sid", SID, nullable=False),
    sa.Column("answer", sa.String(8), nullable=False),  # accept | reject | ignore
    sa.Column("script", sa.Text, nullable=False),  # its side of a call: `Script.as_dict`, JSON
    sa.Column("expires_at", sa.BigInteger, nullable=False),  # microseconds since the epoch
    sa.Column("date_created", sa.BigInteger, nullable=False),
    sa.Index("ix_client_devices_account", "account_sid", "sid"),
    sa.Index("ix_client_devices_identity", "account_sid", "identity", "sid"),
)

# The calls each device was rung with (its newest ones), deleted with the device.
client_calls = sa.Table(
    "client_calls",
    metadata,
    sa.Column("device_sid", SID, primary_key=True),
    sa.Column("call_sid", SID, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),  # from, to, parameters, status..., as JSON
    sa.Column("date_created", sa.BigInteger, nullable=False),
)


# The newest schema as SQL, per dialect (store/migrations/head.*.sql): what `migrate.upgrade`
# runs on an empty database, without SQLAlchemy or Alembic. Rendered here, ahead of time.


def head_schema_sql(dialect_name: str, revision: str) -> str:
    """The whole schema for `dialect_name` (sqlite, postgresql) as `create_all` emits it (each
    table, then its indexes, here by name: a table keeps them in a set), then Alembic's own
    `alembic_version` table, stamped with `revision`."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(dialect_name=dialect_name)
    dialect = context.dialect
    statements: list[str] = []
    for table in metadata.sorted_tables:
        statements.append(_sql(sa.schema.CreateTable(table), dialect))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            statements.append(_sql(sa.schema.CreateIndex(index), dialect))
    version = context.impl.version_table_impl(
        version_table="alembic_version", version_table_schema=None, version_table_pk=True
    )
    statements.append(_sql(sa.schema.CreateTable(version), dialect))
    statements.append(f"INSERT INTO alembic_version (version_num) VALUES ('{revision}')")
    head = (
        f"-- The newest schema for {dialect_name} (revision {revision}), rendered from\n"
        "-- src/switchboard/store/metadata.py by `python -m switchboard.store.metadata`: do not\n"
        "-- edit. `migrate.upgrade` runs it, in one transaction, on an empty database.\n"
        "-- tests/unit/test_schema_order.py holds it to the metadata; tests/ops/\n"
        "-- test_migrations.py, the database it makes to the one the migrations make.\n"
    )
    return head + "".join(f"\n{s};\n" for s in statements)


def _sql(ddl: sa.schema.ExecutableDDLElement, dialect: sa.Dialect) -> str:
    text = str(ddl.compile(dialect=dialect)).strip().replace("\t", "    ")
    return "\n".join(line.rstrip() for line in text.splitlines())


def write_head_schemas() -> list[Path]:
    """Render every dialect's head schema file (after a migration and its metadata change)."""
    from switchboard.store import migrate

    written = []
    for dialect in migrate.DIALECTS:
        path = migrate.head_schema_path(dialect)
        path.write_text(head_schema_sql(dialect, migrate.head_revision()))
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_head_schemas():
        print(f"wrote {written}")
