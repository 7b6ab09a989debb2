"""The start-up shortcut's SCHEMA_HEAD must name Alembic's newest migration."""

from __future__ import annotations

from pathlib import Path

from clinic_app.storage.db import SCHEMA_HEAD, head_revision, make_engine, sqlite_url


def test_schema_head_constant_matches_alembic_head(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "x.sqlite3"))
    try:
        assert head_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()
