"""patient allergies and medications

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00.000000

Allergies as an explicit answer (unknown / no known allergies / listed, with the list) and
current medications, on the patient's record. Patients registered before this read as
allergies "unknown" and no medications recorded: nobody has been asked yet, which is never
the same as "no known allergies".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN with server defaults on both databases: existing rows get "unknown"
    # and empty lists without a table rebuild.
    op.add_column(
        "patients",
        sa.Column(
            "allergy_status", sa.String(12), nullable=False, server_default=sa.text("'unknown'")
        ),
    )
    op.add_column(
        "patients",
        sa.Column("allergies", sa.String(500), nullable=False, server_default=sa.text("''")),
    )
    op.add_column(
        "patients",
        sa.Column("medications", sa.String(1000), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("medications")
        batch.drop_column("allergies")
        batch.drop_column("allergy_status")
