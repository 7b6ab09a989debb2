"""practice driving and fever threshold

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:00:00.000000

The surgeon's words on driving again after surgery, per handout language and per foot, and
the practice's fever threshold printed in every handout's "when to get help" box. Both are
the practice's own choice (clinical-reference.md 10.1 and 10.2); a practice that has not set
them prints "ask your surgeon" and "a fever" without a number, as before there was none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json_doc = sa.JSON().with_variant(JSONB(), "postgresql")
    op.add_column("practice", sa.Column("driving", json_doc, nullable=True))
    op.add_column("practice", sa.Column("fever_threshold", json_doc, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("practice") as batch:
        batch.drop_column("fever_threshold")
        batch.drop_column("driving")
