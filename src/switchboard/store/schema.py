"""The tables, in SQLAlchemy Core, derived from the field declarations.

Migrations (`store/migrations/`) are what create the tables; a test checks that the migrated
database matches this metadata, so the two never drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
)

from switchboard.twilio.fields import (
    APPLICATION_FIELDS,
    PHONE_NUMBER_FIELDS,
    Field,
    Kind,
    stored_fields,
)

metadata = MetaData()

# SIDs sort by creation (see twilio/sids.py); byte order keeps that on any PostgreSQL locale.
SID = String(34).with_variant(String(34, collation="C"), "postgresql")


def _column(field: Field) -> Column:  # type: ignore[type-arg]
    if field.key == "sid":
        return Column("sid", SID, primary_key=True)
    if field.kind is Kind.SID:
        return Column(field.key, SID, nullable=False)
    if field.kind is Kind.DATE:
        # Microseconds since the epoch, UTC.
        return Column(field.key, BigInteger, nullable=False)
    if field.kind is Kind.BOOL:
        return Column(field.key, Boolean, nullable=False)
    if field.kind is Kind.METHOD:
        return Column(field.key, String(4), nullable=False)
    if field.kind is Kind.REF and field.prefix == "AP":
        # Deleting an application clears every link to it, in the delete's own transaction.
        return Column(
            field.key, SID, ForeignKey("applications.sid", ondelete="SET NULL"), nullable=True
        )
    if field.kind is Kind.REF:
        return Column(field.key, SID, nullable=True)
    if field.kind is Kind.PHONE:
        return Column(field.key, String(16), nullable=False, unique=True)
    if field.kind in (Kind.ENUM, Kind.OBJECT):
        return Column(field.key, Text, nullable=False)
    return Column(field.key, Text, nullable=True)


accounts = Table(
    "accounts",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("owner_account_sid", SID, nullable=False),
    Column("friendly_name", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("type", String(8), nullable=False),
    Column("auth_token", Text, nullable=False),
    Column("is_main", Boolean, nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
    Index("ix_accounts_owner", "owner_account_sid", "sid"),
)

applications = Table(
    "applications",
    metadata,
    *(_column(f) for f in stored_fields(APPLICATION_FIELDS)),
    # Keyset paging: ORDER BY sid within an account, optionally filtered by friendly_name.
    Index("ix_applications_account", "account_sid", "sid"),
    Index("ix_applications_account_name", "account_sid", "friendly_name", "sid"),
)

incoming_phone_numbers = Table(
    "incoming_phone_numbers",
    metadata,
    *(_column(f) for f in stored_fields(PHONE_NUMBER_FIELDS)),
    Index("ix_numbers_account", "account_sid", "sid"),
    Index("ix_numbers_voice_app", "voice_application_sid"),
    Index("ix_numbers_sms_app", "sms_application_sid"),
)

keys = Table(
    "api_keys",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("friendly_name", Text, nullable=True),
    Column("secret_hash", Text, nullable=False),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
    Index("ix_keys_account", "account_sid", "sid"),
)

traces = Table(
    "traces",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("kind", String(8), nullable=False),  # call | message
    Column("status", String(16), nullable=False),
    Column("body", Text, nullable=False),  # the trace, as JSON
    Column("date_created", BigInteger, nullable=False),
    Index("ix_traces_account", "account_sid", "sid"),
)

webhook_requests = Table(
    "webhook_requests",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("trace_sid", SID, nullable=False),
    Column("body", Text, nullable=False),  # the request and its outcome, as JSON
    Column("date_created", BigInteger, nullable=False),
    Index("ix_webhook_requests_account", "account_sid", "sid"),
)

# How many rows each account has in `traces` and in `webhook_requests`, kept in the same
# transaction as every insert and trim: trimming a log to its newest N then costs an index
# lookup, not a walk over N entries.
log_sizes = Table(
    "log_sizes",
    metadata,
    Column("account_sid", SID, primary_key=True),
    Column("log", String(16), primary_key=True),  # traces | webhook_requests
    Column("size", BigInteger, nullable=False),
)
