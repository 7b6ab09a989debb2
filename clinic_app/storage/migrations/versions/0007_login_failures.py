"""login failures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:00:00.000000

Failed logins in a row per typed user name, so that after five of them each further try
waits longer (30 s, doubling, at most an hour). Unknown names are counted the same way, so
the wait does not reveal which names exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_login_failures")),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
