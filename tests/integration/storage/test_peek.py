"""The standard-library looks at a SQLite file that start-up takes before loading SQLAlchemy."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_app.domain.account import Role
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url
from clinic_app.storage.peek import has_accounts, quick_check, sqlite_path

PAGE = 4096


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.sqlite3"


def test_sqlite_path_of_urls(db_path: Path) -> None:
    assert sqlite_path(sqlite_url(db_path)) == db_path
    assert sqlite_path(f"sqlite:///{db_path}") == db_path
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql://u@h/db") is None


def test_accounts_missing_empty_and_present(db_path: Path) -> None:
    assert has_accounts(db_path) is False
    engine, uow_factory = open_database(sqlite_url(db_path))
    assert has_accounts(db_path) is False
    from clinic_app.services.accounts import AccountService
    from clinic_app.services.common import SystemClock

    AccountService(uow_factory, SystemClock()).create_first_admin(
        {
            "username": "admin",
            "display_name": "Admin",
            "password": "a long pass phrase 9",
            "roles": {Role.ADMIN},
        }
    )
    assert has_accounts(db_path) is True
    engine.dispose()


def test_a_file_that_is_not_a_database_needs_the_full_start(db_path: Path) -> None:
    db_path.write_bytes(b"not a database at all" * 300)
    assert has_accounts(db_path) is None
    assert db_path.read_bytes() == b"not a database at all" * 300  # nothing written


def test_quick_check_finds_damaged_pages_read_only(db_path: Path) -> None:
    engine, _ = open_database(sqlite_url(db_path))
    engine.dispose()
    assert quick_check(db_path) == []
    data = bytearray(db_path.read_bytes())
    for offset in range(PAGE, len(data), PAGE):
        data[offset : offset + 64] = b"\xa5" * 64
    db_path.write_bytes(bytes(data))
    assert quick_check(db_path)
    assert db_path.read_bytes() == bytes(data)


def test_open_without_the_full_check_still_refuses_a_garbage_header(db_path: Path) -> None:
    from clinic_app.domain.errors import DatabaseCorrupt

    db_path.write_bytes(b"garbage" * 1000)
    with pytest.raises(DatabaseCorrupt):
        open_database(sqlite_url(db_path), full_check=False)
