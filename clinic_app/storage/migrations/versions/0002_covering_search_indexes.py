"""covering indexes for patient search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 20:10:00.000000

The single-column name indexes made search as you type read the table for every match of a
short prefix. Two composite indexes (family, given, MRN) and (given, family, MRN) answer a
search from the index alone; the old indexes are their leading columns and go.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_patients_family_given", "patients", ["family_key", "given_key", "mrn"], unique=False
    )
    op.create_index(
        "ix_patients_given_family", "patients", ["given_key", "family_key", "mrn"], unique=False
    )
    op.drop_index("ix_patients_family_key", table_name="patients")
    op.drop_index("ix_patients_given_key", table_name="patients")


def downgrade() -> None:
    op.create_index("ix_patients_given_key", "patients", ["given_key"], unique=False)
    op.create_index("ix_patients_family_key", "patients", ["family_key"], unique=False)
    op.drop_index("ix_patients_given_family", table_name="patients")
    op.drop_index("ix_patients_family_given", table_name="patients")
