"""encounter content stored compressed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00.000000

Encounter content is written as compressed JSON (clinic_app/storage/compact_json.py). The
column becomes bytes (BYTEA on PostgreSQL, BLOB on SQLite), each existing row keeping its JSON
text, read as before. The values read back are the same dicts, so no hash changes.

Going down writes every compressed row back as JSON text, then the column is JSON (JSONB on
PostgreSQL) again.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from clinic_app.storage import compact_json

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _declare_sqlite(old: str, new: str) -> None:
    """Change the encounters table's declared content type on SQLite, in place.

    Rebuilding the table (Alembic's batch copy) needs foreign keys off, which SQLite allows
    only outside a transaction. The declared type changes no stored byte (a column declared
    JSON already holds bytes as they are), so the table's SQL is edited as SQLite's ALTER TABLE
    page describes for such changes: within the transaction, schema version bumped.
    """
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    try:
        changed = bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'encounters' AND instr(sql, ?) > 0",
            (f"content {old} NOT NULL", f"content {new} NOT NULL", f"content {old} NOT NULL"),
        ).rowcount
        if changed != 1:
            raise RuntimeError(f"encounters.content is not declared {old} NOT NULL")
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE encounters ALTER COLUMN content TYPE BYTEA "
            "USING convert_to(content::text, 'UTF8')"
        )
    else:
        _declare_sqlite("JSON", "BLOB")


def downgrade() -> None:
    bind = op.get_bind()
    encounters = sa.table("encounters", sa.column("id", sa.Integer), sa.column("content"))
    rows = bind.execute(sa.select(encounters.c.id, encounters.c.content)).all()
    for row_id, stored in rows:
        if isinstance(stored, str):
            continue  # already JSON text
        text = stored.decode() if stored[:1] == b"{" else json.dumps(compact_json.unpack(stored))
        value: object = text if bind.dialect.name == "sqlite" else text.encode()
        bind.execute(sa.update(encounters).where(encounters.c.id == row_id).values(content=value))
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE encounters ALTER COLUMN content TYPE JSONB "
            "USING convert_from(content, 'UTF8')::jsonb"
        )
    else:
        _declare_sqlite("BLOB", "JSON")
