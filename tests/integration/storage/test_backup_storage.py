"""Backups on real databases: SQLite (backup API) and PostgreSQL (pg_dump), verified, restored."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, MetaData, select, text

from clinic_app.domain.account import Principal
from clinic_app.domain.encounter import Encounter
from clinic_app.services.backup import BackupFailed, BackupInvalid
from clinic_app.services.container import Services
from clinic_app.storage import backup as storage_backup
from clinic_app.storage.backup import (
    MANIFEST_TABLE,
    ZIP_DUMP,
    ZIP_MANIFEST,
    PostgresBackup,
    SqliteBackup,
    find_pg_tool,
    open_backup_adapter,
)
from clinic_app.storage.db import SCHEMA_HEAD, make_engine, schema_revision, sqlite_url

if TYPE_CHECKING:
    from conftest import FakeClock, Workstations


def all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order, for comparing two databases."""
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture
def adapter(db_url: str, services: Services) -> Iterator[SqliteBackup | PostgresBackup]:
    """A backup adapter over its own engine (after the services migrated the database)."""
    engine = make_engine(db_url)
    found = open_backup_adapter(engine)
    if isinstance(found, PostgresBackup):
        try:
            for tool in ("pg_dump", "pg_restore", "psql"):
                find_pg_tool(tool)
        except BackupFailed as exc:
            pytest.skip(f"PostgreSQL client tools missing: {exc}")
    try:
        yield found
    finally:
        engine.dispose()


def test_backup_writes_a_self_describing_verified_file(
    adapter: SqliteBackup | PostgresBackup, signed: Encounter, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / f"copy{adapter.suffix}"
    manifest = adapter.backup_to(out, clock.now())
    assert out.is_file()
    assert manifest.backend == adapter.backend
    assert manifest.schema_revision == SCHEMA_HEAD
    assert manifest.created_at == clock.now()
    assert manifest.row_counts == adapter.row_counts()
    assert manifest.row_counts["encounters"] == 1
    assert manifest.row_counts["addenda"] == 1
    assert adapter.verify(out) == manifest
    # Nothing else is left beside it (no temporary file, no -wal).
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(("copy", ".copy"))] == [
        out.name
    ]


def test_round_trip_gives_identical_data(
    db_url: str,
    workstations: Workstations,
    services: Services,
    adapter: SqliteBackup | PostgresBackup,
    signed: Encounter,
    clinician: Principal,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    probe = make_engine(db_url)
    try:
        before = all_rows(probe)
    finally:
        probe.dispose()
    out = tmp_path / f"round{adapter.suffix}"
    adapter.backup_to(out, clock.now())

    clock.advance(hours=1)
    services.patients.register(
        clinician,
        {"family_name": "Later", "given_name": "Lena", "date_of_birth": "1980-01-01"},
    )
    services.encounters.add_addendum(clinician, signed.id, "A second addendum.")
    workstations.close(services)  # the app is stopped for a restore

    adapter.restore_from(out)

    probe = make_engine(db_url)
    try:
        after = all_rows(probe)
        assert schema_revision(probe) == SCHEMA_HEAD
    finally:
        probe.dispose()
    assert MANIFEST_TABLE not in after
    assert after == before
    reopened = workstations.open()
    assert reopened.audit.verify().intact


def test_verify_refuses_files_that_are_not_clinic_backups(
    adapter: SqliteBackup | PostgresBackup, tmp_path: Path
) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup at all")
    with pytest.raises(BackupInvalid, match="not a clinic_app backup"):
        adapter.verify(text_file)
    with pytest.raises(BackupInvalid, match="does not exist"):
        adapter.verify(tmp_path / "missing.sqlite3")
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupInvalid, match=r"SQLite|not a clinic_app backup"):
        adapter.verify(other)
    stray_zip = tmp_path / "stray.zip"
    with zipfile.ZipFile(stray_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(BackupInvalid, match=r"PostgreSQL|not a clinic_app backup"):
        adapter.verify(stray_zip)


def test_verify_refuses_a_damaged_backup(
    adapter: SqliteBackup | PostgresBackup, patient: Any, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / f"torn{adapter.suffix}"
    adapter.backup_to(out, clock.now())
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupInvalid, match="damaged"):
        adapter.verify(out)


def _rewrite_manifest(path: Path, backend: str, **changes: Any) -> None:
    """Change manifest values inside a backup (as a hand edit or a newer app would)."""
    if backend == "sqlite":
        conn = sqlite3.connect(path)
        for key, value in changes.items():
            conn.execute(f"UPDATE {MANIFEST_TABLE} SET value = ? WHERE key = ?", (value, key))
        if "schema_revision" in changes:
            conn.execute(
                "UPDATE alembic_version SET version_num = ?", (changes["schema_revision"],)
            )
        conn.commit()
        conn.close()
        return
    with zipfile.ZipFile(path) as archive:
        values = json.loads(archive.read(ZIP_MANIFEST))
        dump = archive.read(ZIP_DUMP)
    values.update(changes)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(ZIP_MANIFEST, json.dumps(values))
        archive.writestr(ZIP_DUMP, dump)


def test_verify_refuses_row_counts_that_do_not_match(
    adapter: SqliteBackup | PostgresBackup, patient: Any, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / f"counts{adapter.suffix}"
    manifest = adapter.backup_to(out, clock.now())
    counts = dict(manifest.row_counts, patients=manifest.row_counts["patients"] + 1)
    _rewrite_manifest(out, adapter.backend, row_counts=json.dumps(counts))
    with pytest.raises(BackupInvalid, match="row counts do not match"):
        adapter.verify(out)


def test_verify_refuses_a_backup_from_a_newer_app(
    adapter: SqliteBackup | PostgresBackup, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / f"newer{adapter.suffix}"
    adapter.backup_to(out, clock.now())
    _rewrite_manifest(out, adapter.backend, schema_revision="9999", app_version="9.0.0")
    if adapter.backend == "sqlite":
        with pytest.raises(BackupInvalid, match=r"newer clinic_app \(9\.0\.0, schema 9999\)"):
            adapter.verify(out)
    else:
        # The dump itself still says SCHEMA_HEAD: the mismatch is caught first.
        with pytest.raises(BackupInvalid, match=r"newer clinic_app|does not match"):
            adapter.verify(out)


def test_a_copy_that_fails_its_check_is_deleted(
    adapter: SqliteBackup | PostgresBackup,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_verify(path: Path) -> Any:
        raise BackupInvalid(f"{path} is damaged: simulated")

    monkeypatch.setattr(adapter, "verify", broken_verify)
    out = tmp_path / f"bad{adapter.suffix}"
    with pytest.raises(BackupFailed, match="failed its check and was deleted"):
        adapter.backup_to(out, clock.now())
    assert not any(p.name.startswith((".bad", "bad")) for p in tmp_path.iterdir())


# --------------------------------------------------------------------------- SQLite only


@pytest.fixture
def sqlite_only(db_url: str) -> None:
    """Skip on PostgreSQL."""
    if not db_url.startswith("sqlite"):
        pytest.skip("a SQLite file behaviour")


def test_sqlite_restore_refused_while_the_database_is_open(
    sqlite_only: None,
    adapter: SqliteBackup | PostgresBackup,
    services: Services,
    patient: Any,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    out = tmp_path / "open.sqlite3"
    adapter.backup_to(out, clock.now())
    assert isinstance(adapter, SqliteBackup)
    before = adapter.database_path.read_bytes()
    holder = sqlite3.connect(adapter.database_path)
    holder.execute("SELECT count(*) FROM patients").fetchall()
    try:
        with pytest.raises(BackupFailed, match="open in another program"):
            adapter.restore_from(out)
    finally:
        holder.close()
    assert adapter.database_path.read_bytes() == before
    assert not [p for p in adapter.database_path.parent.iterdir() if p.suffix == ".tmp"]


def test_sqlite_restore_of_an_older_schema_migrates_to_head(
    sqlite_only: None,
    adapter: SqliteBackup | PostgresBackup,
    workstations: Workstations,
    services: Services,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    from alembic import command

    from clinic_app.storage.db import alembic_config

    old_file = tmp_path / "old" / "clinic.sqlite3"
    old_engine = make_engine(sqlite_url(old_file))
    try:
        cfg = alembic_config(old_engine)
        with old_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        with old_engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (username, display_name, password_hash, roles, active,"
                    " created_at) VALUES ('old.admin', 'Old Admin', 'x', 'admin', 1, '2020-01-01')"
                )
            )
        old_backup = tmp_path / "old-backup.sqlite3"
        manifest = SqliteBackup(old_engine).backup_to(old_backup, clock.now())
    finally:
        old_engine.dispose()
    assert manifest.schema_revision == "0001"
    assert adapter.verify(old_backup).schema_revision == "0001"
    workstations.close(services)

    adapter.restore_from(old_backup)

    assert isinstance(adapter, SqliteBackup)
    probe = make_engine(sqlite_url(adapter.database_path))
    try:
        assert schema_revision(probe) == SCHEMA_HEAD
        with probe.connect() as conn:
            names = conn.execute(text("SELECT username FROM accounts")).scalars().all()
    finally:
        probe.dispose()
    assert names == ["old.admin"]
    for side in ("-wal", "-shm"):
        assert not adapter.database_path.with_name(adapter.database_path.name + side).exists()


def test_sqlite_set_aside_moves_the_damaged_file(
    sqlite_only: None,
    adapter: SqliteBackup | PostgresBackup,
    workstations: Workstations,
    services: Services,
    tmp_path: Path,
) -> None:
    assert isinstance(adapter, SqliteBackup)
    workstations.close(services)
    live = adapter.database_path
    content = live.read_bytes()
    aside = tmp_path / "aside.sqlite3"
    assert adapter.set_aside(aside) == aside
    assert not live.exists()
    assert aside.read_bytes() == content
    # A recovery that fails puts it back: the practice never starts on an empty database.
    adapter.put_back(aside)
    assert live.read_bytes() == content
    assert not aside.exists()


def test_postgres_backup_without_pg_dump_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(storage_backup.shutil, "which", lambda _name: None)
    monkeypatch.setattr(storage_backup, "Path", _NoDebianPath)
    with pytest.raises(BackupFailed, match="postgresql-client"):
        find_pg_tool("pg_dump")


class _NoDebianPath(type(Path())):  # type: ignore[misc]
    """A Path whose glob finds nothing (no /usr/lib/postgresql/*/bin)."""

    def glob(self, pattern: str) -> Iterator[Path]:  # type: ignore[override]
        return iter(())
