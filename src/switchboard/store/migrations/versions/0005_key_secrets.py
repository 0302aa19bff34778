"""API keys keep their secret, so the server can verify the HMAC of an Access Token signed with
one (a salted hash cannot). Keys made before keep their hash and work for Basic auth as before;
new keys store the secret and no hash.

Revision ID: 0005
Revises: 0004
"""

import hashlib
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("secret", sa.Text, nullable=True))
        batch.alter_column("secret_hash", existing_type=sa.Text, nullable=True)


def _hash(secret: str) -> str:
    """The salted hash 0004's code checks (`rules.hash_secret` then), written out here so this
    revision keeps producing it whatever the code becomes."""
    salt = secrets.token_hex(16)
    return f"sha256${salt}${hashlib.sha256(f'{salt}:{secret}'.encode()).hexdigest()}"


def downgrade() -> None:
    # Keys made since 0005 have only their secret: give each the hash 0004 requires.
    conn = op.get_bind()
    keys = sa.table("api_keys", sa.column("sid"), sa.column("secret"), sa.column("secret_hash"))
    rows = conn.execute(sa.select(keys.c.sid, keys.c.secret).where(keys.c.secret_hash.is_(None)))
    for sid, secret in rows.all():
        conn.execute(keys.update().where(keys.c.sid == sid).values(secret_hash=_hash(secret)))
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("secret_hash", existing_type=sa.Text, nullable=False)
        batch.drop_column("secret")
