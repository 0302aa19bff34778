"""Asynchronous traffic: the job outbox, messages and their media, handsets, opt-outs.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("api_version", sa.Text, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_sent", sa.BigInteger, nullable=True),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer, nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("from_", sa.String(64), nullable=False),
        sa.Column("messaging_service_sid", SID, nullable=True),
        sa.Column("num_media", sa.String(4), nullable=False),
        sa.Column("num_segments", sa.String(4), nullable=False),
        sa.Column("price", sa.Text, nullable=True),
        sa.Column("price_unit", sa.Text, nullable=True),
        sa.Column("sid", SID, primary_key=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("to_", sa.String(64), nullable=False),
        sa.Column("status_callback", sa.Text, nullable=True),
        sa.Column(
            "application_sid",
            SID,
            sa.ForeignKey("applications.sid", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("history", sa.Text, nullable=False),
        sa.Column("order_key", sa.String(32), nullable=False),
    )
    op.create_index("ix_messages_account", "messages", ["account_sid", "order_key"])
    op.create_index("ix_messages_to", "messages", ["account_sid", "to_", "order_key"])
    op.create_table(
        "media",
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("parent_sid", SID, nullable=False),
        sa.Column("sid", SID, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
    )
    op.create_index("ix_media_parent", "media", ["account_sid", "parent_sid", "sid"])
    op.create_table(
        "jobs",
        sa.Column("id", SID, primary_key=True),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("due", sa.BigInteger, nullable=False),
        sa.Column("ready_at", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
    )
    op.create_index("ix_jobs_ready", "jobs", ["ready_at"])
    op.create_index("ix_jobs_account", "jobs", ["account_sid"])
    op.create_table(
        "handsets",
        sa.Column("account_sid", SID, primary_key=True),
        sa.Column("phone_number", sa.String(16), primary_key=True),
        sa.Column("message_outcome", sa.String(16), nullable=False),
        sa.Column("message_error_code", sa.Integer, nullable=True),
        sa.Column("call_outcome", sa.String(16), nullable=False),
        sa.Column("answered_by", sa.String(32), nullable=False),
        sa.Column("call_duration", sa.Integer, nullable=False),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "opt_outs",
        sa.Column("account_sid", SID, primary_key=True),
        sa.Column("sender", sa.String(16), primary_key=True),
        sa.Column("recipient", sa.String(16), primary_key=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("opt_outs", "handsets", "jobs", "media", "messages"):
        op.drop_table(table)
