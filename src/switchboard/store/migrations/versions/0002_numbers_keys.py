"""IncomingPhoneNumbers (linked to applications) and API keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")


def upgrade() -> None:
    url, method, text = sa.Text, sa.String(4), sa.Text

    def app_ref(name: str) -> sa.Column:  # type: ignore[type-arg]
        return sa.Column(
            name, SID, sa.ForeignKey("applications.sid", ondelete="SET NULL"), nullable=True
        )

    op.create_table(
        "incoming_phone_numbers",
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("address_sid", SID, nullable=True),
        sa.Column("address_requirements", text, nullable=False),
        sa.Column("api_version", text, nullable=True),
        sa.Column("beta", sa.Boolean, nullable=False),
        sa.Column("capabilities", text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("friendly_name", text, nullable=True),
        sa.Column("identity_sid", SID, nullable=True),
        sa.Column("phone_number", sa.String(16), nullable=False, unique=True),
        sa.Column("origin", text, nullable=True),
        sa.Column("sid", SID, primary_key=True),
        app_ref("sms_application_sid"),
        sa.Column("sms_fallback_method", method, nullable=False),
        sa.Column("sms_fallback_url", url, nullable=True),
        sa.Column("sms_method", method, nullable=False),
        sa.Column("sms_url", url, nullable=True),
        sa.Column("status_callback", url, nullable=True),
        sa.Column("status_callback_method", method, nullable=False),
        sa.Column("trunk_sid", SID, nullable=True),
        sa.Column("voice_receive_mode", text, nullable=False),
        app_ref("voice_application_sid"),
        sa.Column("voice_caller_id_lookup", sa.Boolean, nullable=False),
        sa.Column("voice_fallback_method", method, nullable=False),
        sa.Column("voice_fallback_url", url, nullable=True),
        sa.Column("voice_method", method, nullable=False),
        sa.Column("voice_url", url, nullable=True),
        sa.Column("emergency_status", text, nullable=False),
        sa.Column("emergency_address_sid", SID, nullable=True),
        sa.Column("emergency_address_status", text, nullable=False),
        sa.Column("bundle_sid", SID, nullable=True),
        sa.Column("status", text, nullable=True),
        sa.Column("type", text, nullable=True),
    )
    op.create_index("ix_numbers_account", "incoming_phone_numbers", ["account_sid", "sid"])
    op.create_index("ix_numbers_voice_app", "incoming_phone_numbers", ["voice_application_sid"])
    op.create_index("ix_numbers_sms_app", "incoming_phone_numbers", ["sms_application_sid"])

    op.create_table(
        "api_keys",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("friendly_name", sa.Text, nullable=True),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_keys_account", "api_keys", ["account_sid", "sid"])


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("incoming_phone_numbers")
