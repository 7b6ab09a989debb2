"""print queue and print log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 18:00:00.000000

The clinician queues handouts during a visit; the front desk prints them. Every print is
logged with the handout's id, version and language, who printed it and when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handout_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("encounter_id", sa.Integer(), sa.ForeignKey("encounters.id"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("handout_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("requested_by_name", sa.String(100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_name", sa.String(100), nullable=True),
    )
    op.create_index("ix_handout_requests_encounter_id", "handout_requests", ["encounter_id"])
    op.create_index("ix_handout_requests_done_at", "handout_requests", ["done_at"])
    op.create_table(
        "print_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("handout_requests.id"), nullable=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=True),
        sa.Column("handout_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("by_name", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_print_log_request_id", "print_log", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_print_log_request_id", table_name="print_log")
    op.drop_table("print_log")
    op.drop_index("ix_handout_requests_done_at", table_name="handout_requests")
    op.drop_index("ix_handout_requests_encounter_id", table_name="handout_requests")
    op.drop_table("handout_requests")
