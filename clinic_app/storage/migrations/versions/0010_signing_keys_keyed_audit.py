"""signing keys, signatures, the keyed audit chain

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00.000000

Each clinician's Ed25519 signing keys (the public half, and the private half wrapped under
their password), the signature and key number on encounters and addenda, each admin's wrapped
copy of the practice key (a restore onto a new computer opens it with the admin's password),
and where the audit chain's keyed part starts. Encounters signed before this keep verifying by
their hash and carry no signature; existing chain entries keep their plain hashes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("wrapped_private", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("accounts", sa.Column("practice_key_slot", sa.Text, nullable=True))
    for table in ("encounters", "addenda"):
        op.add_column(table, sa.Column("signature", sa.String(128), nullable=True))
        op.add_column(table, sa.Column("signing_key_id", sa.Integer, nullable=True))
    op.add_column("audit_head", sa.Column("keyed_from", sa.Integer, nullable=True))
    op.add_column("audit_head", sa.Column("key_check", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("key_check")
        batch.drop_column("keyed_from")
    for table in ("addenda", "encounters"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("signing_key_id")
            batch.drop_column("signature")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("practice_key_slot")
    op.drop_table("signing_keys")
