"""Voice SDK devices registered to receive calls, and the calls each was rung with.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "client_devices",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("identity", sa.String(256), nullable=False),
        sa.Column("key_sid", SID, nullable=False),
        sa.Column("answer", sa.String(8), nullable=False),
        sa.Column("script", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_client_devices_account", "client_devices", ["account_sid", "sid"])
    op.create_index(
        "ix_client_devices_identity", "client_devices", ["account_sid", "identity", "sid"]
    )
    op.create_table(
        "client_calls",
        sa.Column("device_sid", SID, primary_key=True),
        sa.Column("call_sid", SID, primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("client_calls")
    op.drop_table("client_devices")
