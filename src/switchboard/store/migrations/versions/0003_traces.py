"""Simulated inbound calls and messages (traces) and the webhook request log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "traces",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_traces_account", "traces", ["account_sid", "sid"])
    op.create_table(
        "webhook_requests",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("trace_sid", SID, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_webhook_requests_account", "webhook_requests", ["account_sid", "sid"])


def downgrade() -> None:
    op.drop_table("webhook_requests")
    op.drop_table("traces")
