"""handout request options

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 23:00:00.000000

What the clinician picked with each queued handout: the side printed on it, large print, and
the next steps ticked for the patient. Requests queued before this keep no side, normal print
and no extra steps, which is how they were printed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: no table rebuild, so the print log's foreign keys
    # to the requests are never disturbed.
    op.add_column("handout_requests", sa.Column("side", sa.String(8), nullable=True))
    op.add_column(
        "handout_requests",
        sa.Column("large_print", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "handout_requests",
        sa.Column("next_steps", sa.String(400), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    with op.batch_alter_table("handout_requests") as batch:
        batch.drop_column("next_steps")
        batch.drop_column("large_print")
        batch.drop_column("side")
