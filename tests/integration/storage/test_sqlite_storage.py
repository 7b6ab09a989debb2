"""SQLite specifics: durable pragmas, damaged files and a database locked by another program."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from clinic_app.domain.errors import DatabaseCorrupt, DatabaseUnavailable
from clinic_app.storage import db as storage_db
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import make_engine, sqlite_url
from clinic_app.storage.rows import EncounterRow

PAGE = 4096


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "clinic.sqlite3"


@pytest.fixture
def db_url(db_path):
    """Only SQLite in this module (overrides the two-database fixture)."""
    return sqlite_url(db_path)


@pytest.fixture
def migrated(db_url) -> Iterator[Engine]:
    """A migrated database file and the engine that made it."""
    engine, _uow = open_database(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_connections_are_durable_and_strict(migrated):
    with migrated.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }

    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,  # FULL
        "busy_timeout": storage_db.SQLITE_BUSY_TIMEOUT_MS,
    }


def test_every_pooled_connection_gets_the_pragmas(db_url):
    engine = make_engine(db_url)
    raw = [engine.raw_connection() for _ in range(2)]  # two at once: two real connections
    try:
        values = [
            tuple(
                c.driver_connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "foreign_keys", "synchronous")
            )
            for c in raw
        ]
    finally:
        for c in raw:
            c.close()
        engine.dispose()

    assert values == [("wal", 1, 2), ("wal", 1, 2)]


def test_foreign_keys_are_enforced(migrated):
    now = datetime.now(UTC)
    row = {
        "patient_id": 12345,
        "encounter_date": date(2025, 1, 1),
        "clinician_id": 12345,
        "clinician_name": "Nobody",
        "reason": "orphan",
        "status": "draft",
        "content": {},
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }

    with pytest.raises(IntegrityError, match="FOREIGN KEY"), migrated.begin() as conn:
        conn.execute(insert(EncounterRow), row)


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"this is not a database, just some text\n" * 200, id="text"),
        pytest.param(bytes(range(256)) * 64, id="binary"),
    ],
)
def test_garbage_file_is_reported_as_damaged(db_path, db_url, garbage):
    db_path.write_bytes(garbage)

    with pytest.raises(DatabaseCorrupt, match="damaged") as err:
        open_database(db_url)

    assert "not a database" in str(err.value)
    # A message for a dialog, not a chained traceback.
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__
    assert db_path.read_bytes() == garbage


def test_damaged_pages_are_reported(db_path, db_url, migrated):
    migrated.dispose()  # closing the last connection folds the WAL back into the file
    data = bytearray(db_path.read_bytes())
    for offset in range(PAGE, len(data), PAGE):
        data[offset : offset + 64] = b"\xa5" * 64
    db_path.write_bytes(bytes(data))

    with pytest.raises(DatabaseCorrupt, match="damaged"):
        open_database(db_url)


def test_data_folder_that_is_a_file_is_reported(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(DatabaseUnavailable, match="cannot be created"):
        open_database(sqlite_url(blocker / "clinic.sqlite3"))


@pytest.fixture
def locked_by_another_program(db_path, migrated) -> Iterator[sqlite3.Connection]:
    """Another program holding an exclusive transaction on the database file."""
    other = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr(storage_db, "SQLITE_BUSY_TIMEOUT_MS", 150)


def test_locked_database_makes_a_save_unavailable_then_recovers(
    db_path, workstations, services, clinician, draft, short_busy_timeout, request
):
    desk = workstations.open()  # opened after the timeout was shortened
    other = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    request.addfinalizer(other.close)
    other.execute("BEGIN EXCLUSIVE")

    with pytest.raises(DatabaseUnavailable, match="in use by another program"):
        desk.encounters.save_draft(clinician, draft.id, {"notes": "while locked"}, draft.version)
    with pytest.raises(DatabaseUnavailable):  # reading a note writes its audit entry
        desk.encounters.get(clinician, draft.id)

    other.execute("ROLLBACK")
    saved = desk.encounters.save_draft(
        clinician, draft.id, {"notes": "after the lock"}, draft.version
    )
    assert saved.version == draft.version + 1
    assert services.encounters.get(clinician, draft.id).encounter.content.notes == "after the lock"


def test_locked_database_at_start_is_unavailable(
    db_url, locked_by_another_program, short_busy_timeout
):
    with pytest.raises(DatabaseUnavailable, match="locked") as err:
        open_database(db_url)

    assert err.value.__cause__ is None
