"""Accounts and applications.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("owner_account_sid", SID, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("auth_token", sa.Text, nullable=False),
        sa.Column("is_main", sa.Boolean, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_accounts_owner", "accounts", ["owner_account_sid", "sid"])

    url, method = sa.Text, sa.String(4)
    op.create_table(
        "applications",
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("api_version", sa.Text, nullable=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("message_status_callback", url, nullable=True),
        sa.Column("sid", SID, primary_key=True),
        sa.Column("sms_fallback_method", method, nullable=False),
        sa.Column("sms_fallback_url", url, nullable=True),
        sa.Column("sms_method", method, nullable=False),
        sa.Column("sms_status_callback", url, nullable=True),
        sa.Column("sms_url", url, nullable=True),
        sa.Column("status_callback", url, nullable=True),
        sa.Column("status_callback_method", method, nullable=False),
        sa.Column("voice_caller_id_lookup", sa.Boolean, nullable=False),
        sa.Column("voice_fallback_method", method, nullable=False),
        sa.Column("voice_fallback_url", url, nullable=True),
        sa.Column("voice_method", method, nullable=False),
        sa.Column("voice_url", url, nullable=True),
        sa.Column("public_application_connect_enabled", sa.Boolean, nullable=False),
    )
    op.create_index("ix_applications_account", "applications", ["account_sid", "sid"])
    op.create_index(
        "ix_applications_account_name", "applications", ["account_sid", "friendly_name", "sid"]
    )


def downgrade() -> None:
    op.drop_table("applications")
    op.drop_table("accounts")
