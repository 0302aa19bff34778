"""The conversation engine: each webhook request stored once, recordings, paused calls.

A trace's body no longer carries its requests: it names them (`request_sids`, in order) and the
request log holds them. Existing traces are rewritten: `request_sids` from the log's rows of the
trace (in SID order, the order they were made), `requests_pruned` for those the log had already
trimmed, and `date_created` as the row's integer. Request rows are unchanged.

Revision ID: 0006
Revises: 0005
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SID = sa.String(34).with_variant(sa.String(34, collation="C"), "postgresql")
BATCH = 500


def upgrade() -> None:
    op.create_index("ix_webhook_requests_trace", "webhook_requests", ["trace_sid", "sid"])
    conn = op.get_bind()
    after = ""
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT sid, body, date_created FROM traces WHERE sid > :after "
                "ORDER BY sid LIMIT :n"
            ),
            {"after": after, "n": BATCH},
        ).fetchall()
        if not rows:
            break
        for sid, raw, created in rows:
            body = json.loads(raw)
            if "request_sids" not in body:
                kept = [
                    r[0]
                    for r in conn.execute(
                        sa.text(
                            "SELECT sid FROM webhook_requests WHERE trace_sid = :sid ORDER BY sid"
                        ),
                        {"sid": sid},
                    )
                ]
                old = body.pop("requests", []) or []
                body["request_sids"] = kept
                if len(old) > len(kept):
                    body["requests_pruned"] = len(old) - len(kept)
                kind = body.pop("kind", None) or ("call" if sid.startswith("CA") else "message")
                body["kind"] = kind
                body["sid"] = body.pop("call_sid", None) or body.pop("message_sid", None) or sid
                body["date_created"] = created
                conn.execute(
                    sa.text("UPDATE traces SET body = :body WHERE sid = :sid"),
                    {"body": json.dumps(body), "sid": sid},
                )
            after = sid
    op.create_table(
        "recordings",
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("api_version", sa.Text, nullable=True),
        sa.Column("call_sid", SID, nullable=True),
        sa.Column("conference_sid", SID, nullable=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("duration", sa.Text, nullable=False),
        sa.Column("sid", SID, primary_key=True),
        sa.Column("price", sa.Text, nullable=True),
        sa.Column("price_unit", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channels", sa.Integer, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("error_code", sa.Integer, nullable=True),
    )
    op.create_index("ix_recordings_account", "recordings", ["account_sid", "sid"])
    op.create_index("ix_recordings_call", "recordings", ["account_sid", "call_sid", "sid"])
    op.create_table(
        "live_calls",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("claimed_until", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_live_calls_expiry", "live_calls", ["expires_at"])


def downgrade() -> None:
    op.drop_table("live_calls")
    op.drop_table("recordings")
    op.drop_index("ix_webhook_requests_trace", "webhook_requests")
