"""Each account's request log size, so trimming the log costs an index lookup.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "log_sizes",
        sa.Column("account_sid", SID, primary_key=True),
        sa.Column("log", sa.String(16), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    for table in ("traces", "webhook_requests"):
        op.execute(
            f"INSERT INTO log_sizes (account_sid, log, size) "
            f"SELECT account_sid, '{table}', count(*) FROM {table} GROUP BY account_sid"
        )


def downgrade() -> None:
    op.drop_table("log_sizes")
