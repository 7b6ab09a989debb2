"""drafts offered newest first straight off an index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 09:00:00.000000

The drafts offer after log-in reads one clinician's unsigned drafts, most recently saved first,
50 of them. The index on (clinician, status) found them all and sorted them: 0.26 s for a
clinician with 69,000 drafts. With updated_at in the index the newest 50 are read in order. It
replaces the shorter index, whose lookups it serves too.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_encounters_clinician_status_updated",
        "encounters",
        ["clinician_id", "status", "updated_at"],
    )
    op.drop_index("ix_encounters_clinician_status", table_name="encounters")


def downgrade() -> None:
    op.create_index("ix_encounters_clinician_status", "encounters", ["clinician_id", "status"])
    op.drop_index("ix_encounters_clinician_status_updated", table_name="encounters")
