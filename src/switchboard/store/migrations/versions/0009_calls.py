"""Calls made through the API (`Calls.json`): the Call resource's table.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("answered_by", sa.Text, nullable=True),
        sa.Column("api_version", sa.Text, nullable=True),
        sa.Column("caller_name", sa.Text, nullable=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("direction", sa.Text, nullable=True),
        sa.Column("duration", sa.Text, nullable=True),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("forwarded_from", sa.Text, nullable=True),
        sa.Column("from_", sa.Text, nullable=True),
        sa.Column("from_formatted", sa.Text, nullable=True),
        sa.Column("group_sid", SID, nullable=True),
        sa.Column("parent_call_sid", SID, nullable=True),
        sa.Column("phone_number_sid", SID, nullable=True),
        sa.Column("price", sa.Text, nullable=True),
        sa.Column("price_unit", sa.Text, nullable=True),
        sa.Column("sid", SID, primary_key=True),
        sa.Column("start_time", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("to_", sa.Text, nullable=True),
        sa.Column("to_formatted", sa.Text, nullable=True),
        sa.Column("trunk_sid", SID, nullable=True),
        sa.Column("queue_time", sa.Text, nullable=True),
        sa.Column("options", sa.Text, nullable=False),
    )
    op.create_index("ix_calls_account", "calls", ["account_sid", "sid"])
    op.create_index("ix_calls_parent", "calls", ["account_sid", "parent_call_sid", "sid"])


def downgrade() -> None:
    op.drop_table("calls")
