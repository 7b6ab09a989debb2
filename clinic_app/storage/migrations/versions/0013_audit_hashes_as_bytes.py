"""audit entries keep one hash, as bytes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00.000000

Each audit entry stored its predecessor's hash beside its own, both as 64 characters of hex:
128 of the about 230 bytes an entry takes, and a busy practice writes several entries a visit.
The predecessor's hash is that entry's own hash, so it is read from there (the hash of each
entry still covers it, and `audit verify` checks the same links). The entry's hash is stored
as its 32 bytes. The app reads and compares the same hex strings as before.

Going down puts the predecessor's hash back beside each entry and both as hex text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
"""The hash before the first entry (clinic_app.domain.audit.GENESIS_HASH, frozen here)."""


def _declare_sqlite(old: str, new: str) -> None:
    """Change audit_log.entry_hash's declared type on SQLite, in place (as 0011 does).

    A declared type changes no stored value: the values are rewritten by the UPDATE that
    goes with each change.
    """
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    try:
        changed = bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'audit_log' AND instr(sql, ?) > 0",
            (f"entry_hash {old} NOT NULL", f"entry_hash {new} NOT NULL", f"entry_hash {old}"),
        ).rowcount
        if changed != 1:
            raise RuntimeError(f"audit_log.entry_hash is not declared {old} NOT NULL")
        bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _sqlite_function(name: str, call: object) -> None:
    """A function SQLite calls per row, on this migration's connection."""
    op.get_bind().connection.driver_connection.create_function(  # type: ignore[union-attr]
        name, 1, call, deterministic=True
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DROP COLUMN prev_hash")
        op.execute(
            "ALTER TABLE audit_log ALTER COLUMN entry_hash TYPE BYTEA "
            "USING decode(entry_hash, 'hex')"
        )
        return
    # SQLite 3.35 and later drop a column in place; unhex() came only in 3.41.
    op.execute("ALTER TABLE audit_log DROP COLUMN prev_hash")
    _sqlite_function("clinic_unhex", lambda text: bytes.fromhex(text) if text else text)
    op.execute("UPDATE audit_log SET entry_hash = clinic_unhex(entry_hash)")
    _declare_sqlite("VARCHAR(64)", "BLOB")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE audit_log ALTER COLUMN entry_hash TYPE VARCHAR(64) "
            "USING encode(entry_hash, 'hex')"
        )
    else:
        op.execute("UPDATE audit_log SET entry_hash = lower(hex(entry_hash))")
        _declare_sqlite("BLOB", "VARCHAR(64)")
    op.add_column(
        "audit_log",
        sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""),
    )
    op.execute(
        "UPDATE audit_log SET prev_hash = coalesce("
        "(SELECT b.entry_hash FROM audit_log AS b WHERE b.seq = audit_log.seq - 1), "
        f"'{GENESIS_HASH}')"
    )
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log ALTER COLUMN prev_hash DROP DEFAULT")
