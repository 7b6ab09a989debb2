"""practice details

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00.000000

The practice's letterhead (name, address, phone, logo) and the surgeon's own tarsal tunnel
release recovery timeline, in the database so every workstation on a shared server prints
the same. One row, id 1; its version guards against two admins saving over each other.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json_doc = sa.JSON().with_variant(JSONB(), "postgresql")
    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", json_doc, nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("release_timeline", json_doc, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
        sa.CheckConstraint("id = 1", name=op.f("ck_practice_single_row")),
    )


def downgrade() -> None:
    op.drop_table("practice")
