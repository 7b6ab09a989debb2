"""drafts index and addendum findings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 12:00:00.000000

At login the app offers each clinician's unsigned drafts (crash recovery), so encounters get
an index on (clinician, status). Addenda may now carry exam findings that add to or correct
a signed exam without changing it: a nullable JSON column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_encounters_clinician_status", "encounters", ["clinician_id", "status"], unique=False
    )
    with op.batch_alter_table("addenda") as batch:
        batch.add_column(
            sa.Column("findings", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("addenda") as batch:
        batch.drop_column("findings")
    op.drop_index("ix_encounters_clinician_status", table_name="encounters")
