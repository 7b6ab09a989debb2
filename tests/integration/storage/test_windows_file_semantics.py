"""Restore and start-up recovery under Windows file semantics, on any platform.

Windows refuses to replace, rename or delete a file that any program holds open (SQLite opens
its files without FILE_SHARE_DELETE). These tests track every SQLite connection this process
opens and make os.replace, os.rename and os.unlink refuse, as Windows does, while one is
open on the file concerned; the platform flag is set as on Windows. A restore or recovery
that replaces the database while one of its own connections still holds it fails here.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from clinic_app.app import build_recovery, build_services
from clinic_app.domain.account import Principal, Role
from clinic_app.domain.errors import AuthenticationFailed, DatabaseCorrupt
from clinic_app.services.backup import BackupFailed
from clinic_app.services.container import Services
from clinic_app.settings import DB_FILE, AppSettings, load_settings
from clinic_app.storage import backup as storage_backup

PASSWORD = "correct-horse-battery"
SIDE_FILES = ("-wal", "-shm", "-journal")


class OpenFiles:
    """The SQLite connections this process has open, and Windows' refusal to move their files."""

    def __init__(self) -> None:
        self._open: weakref.WeakKeyDictionary[sqlite3.Connection, Path] = (
            weakref.WeakKeyDictionary()
        )
        self.refused: list[str] = []

    def track(self, conn: sqlite3.Connection, database: Any, uri: bool) -> None:
        text = os.fsdecode(database)
        if text == ":memory:" or not text:
            return
        if uri or text.startswith("file:"):
            text = unquote(urlsplit(text).path)
        self._open[conn] = Path(text).absolute()

    def holders(self, path: Any) -> list[Path]:
        """The open connections' files that are path, or path's -wal, -shm or -journal."""
        target = Path(os.fsdecode(path)).absolute()
        out = []
        for file in self.still_open:
            same = target == file or target.name.removeprefix(file.name) in SIDE_FILES
            if same and target.parent == file.parent:
                out.append(file)
        return out

    def refuse_if_open(self, operation: str, *paths: Any) -> None:
        for path in paths:
            if self.holders(path):
                self.refused.append(f"{operation} {path}")
                raise PermissionError(
                    errno.EACCES,
                    "The process cannot access the file because it is being used by "
                    "another process",
                    os.fsdecode(path),
                )

    @property
    def still_open(self) -> list[Path]:
        return [file for conn, file in list(self._open.items()) if _is_open(conn)]


def _is_open(conn: sqlite3.Connection) -> bool:
    try:
        conn.total_changes  # noqa: B018 - raises once the connection is closed
    except sqlite3.ProgrammingError:
        return False
    return True


class TrackedConnection(sqlite3.Connection):
    """A sqlite3 connection that can be tracked by weak reference (the base type cannot)."""


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> OpenFiles:
    """Windows file semantics for SQLite files, for the rest of the test."""
    files = OpenFiles()
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", TrackedConnection)
        conn = real_connect(database, *args, **kwargs)
        files.track(conn, database, bool(kwargs.get("uri")))
        return conn

    def guarded(operation: str, real: Callable[..., Any], count: int) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            files.refuse_if_open(operation, *args[:count])
            return real(*args, **kwargs)

        return call

    # SQLAlchemy's pysqlite dialect connects through sqlite3.dbapi2.
    monkeypatch.setattr(sqlite3, "connect", connect)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect)
    monkeypatch.setattr(os, "replace", guarded("replace", os.replace, 2))
    monkeypatch.setattr(os, "rename", guarded("rename", os.rename, 2))
    monkeypatch.setattr(os, "unlink", guarded("unlink", os.unlink, 1))
    monkeypatch.setattr(os, "remove", guarded("remove", os.remove, 1))
    monkeypatch.setattr(storage_backup, "OPEN_FILES_BLOCK_REPLACE", True)
    return files


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    """A data folder of its own (SQLite), as the app uses it."""
    return load_settings(tmp_path / "data")


@pytest.fixture
def opened(settings: AppSettings, fast_password_hashing: None) -> Iterator[list[Services]]:
    """Services opened the way the app opens them; every engine is disposed afterwards."""
    made: list[Services] = []
    yield made
    for services in made:
        if services.backup is not None:
            services.backup._adapter._engine.dispose()  # type: ignore[attr-defined]


def open_app(settings: AppSettings, opened: list[Services]) -> Services:
    services = build_services(settings)
    opened.append(services)
    return services


def owner(services: Services) -> Principal:
    if services.accounts.needs_first_admin():
        services.accounts.create_first_admin(
            {"username": "owner", "display_name": "Dr Owner", "password": PASSWORD}
        )
    return services.accounts.login("owner", PASSWORD)


def add_account_after_the_backup(services: Services, admin: Principal) -> None:
    services.accounts.create_account(
        admin,
        {
            "username": "later",
            "display_name": "Added After The Backup",
            "password": PASSWORD,
            "roles": frozenset({Role.FRONT_DESK}),
        },
    )


def test_the_simulation_refuses_to_replace_an_open_file(windows: OpenFiles, tmp_path: Path) -> None:
    # The guard itself: without it the tests below would prove nothing.
    held = tmp_path / "held.sqlite3"
    conn = sqlite3.connect(held)
    conn.execute("CREATE TABLE t (x)")
    other = tmp_path / "other.sqlite3"
    other.write_bytes(b"")
    with pytest.raises(PermissionError):
        os.replace(other, held)
    with pytest.raises(PermissionError):
        held.unlink()
    conn.close()
    os.replace(other, held)
    assert windows.refused == [f"replace {held}", f"unlink {held}"]


def test_restore_closes_every_connection_before_replacing_the_file(
    windows: OpenFiles, settings: AppSettings, opened: list[Services], tmp_path: Path
) -> None:
    services = open_app(settings, opened)
    admin = owner(services)
    assert services.backup is not None
    backup_file = tmp_path / "before.sqlite3"
    services.backup.back_up(admin, backup_file)
    add_account_after_the_backup(services, admin)

    result = services.backup.restore(services.accounts.login("owner", PASSWORD), backup_file)

    assert result.kept is not None
    assert result.kept.is_file()
    reopened = open_app(settings, opened)
    with pytest.raises(AuthenticationFailed):
        reopened.accounts.login("later", PASSWORD)
    assert reopened.accounts.login("owner", PASSWORD).username == "owner"
    assert not [p for p in settings.data_dir.iterdir() if p.suffix == ".tmp"]


def test_restore_refused_while_another_program_holds_the_file(
    windows: OpenFiles, settings: AppSettings, opened: list[Services], tmp_path: Path
) -> None:
    services = open_app(settings, opened)
    admin = owner(services)
    assert services.backup is not None
    backup_file = tmp_path / "before.sqlite3"
    services.backup.back_up(admin, backup_file)
    add_account_after_the_backup(services, admin)
    database = settings.data_dir / DB_FILE
    holder = sqlite3.connect(database)
    holder.execute("SELECT count(*) FROM accounts").fetchall()
    try:
        with pytest.raises(BackupFailed, match="open in another program"):
            services.backup.restore(admin, backup_file)
    finally:
        holder.close()
    # Nothing was replaced: what was added after the backup is still there.
    assert services.accounts.login("later", PASSWORD).username == "later"
    assert not [p for p in settings.data_dir.iterdir() if p.suffix == ".tmp"]


def test_a_program_that_opens_the_file_during_the_swap_makes_it_fail_cleanly(
    windows: OpenFiles,
    settings: AppSettings,
    opened: list[Services],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = open_app(settings, opened)
    admin = owner(services)
    assert services.backup is not None
    backup_file = tmp_path / "before.sqlite3"
    services.backup.back_up(admin, backup_file)
    database = settings.data_dir / DB_FILE
    late: list[sqlite3.Connection] = []
    guarded_replace = os.replace

    def someone_opens_it_first(source: Any, target: Any) -> None:
        if Path(target) == database and not late:
            late.append(sqlite3.connect(database))
        guarded_replace(source, target)

    monkeypatch.setattr(os, "replace", someone_opens_it_first)
    try:
        with pytest.raises(BackupFailed, match="open in another program"):
            services.backup.restore(admin, backup_file)
    finally:
        for conn in late:
            conn.close()
    assert late
    assert services.accounts.login("owner", PASSWORD).username == "owner"
    assert not [p for p in settings.data_dir.iterdir() if p.suffix == ".tmp"]


def test_start_up_recovery_closes_every_connection_before_replacing_the_file(
    windows: OpenFiles, settings: AppSettings, opened: list[Services]
) -> None:
    services = open_app(settings, opened)
    owner(services)
    assert services.backup is not None
    assert services.backup.run_scheduled() is not None
    for made in opened:
        made.backup._adapter._engine.dispose()  # type: ignore[union-attr]
    database = settings.data_dir / DB_FILE
    database.write_bytes(b"this is not a database " * 400)
    for side in ("-wal", "-shm"):
        database.with_name(database.name + side).unlink(missing_ok=True)
    with pytest.raises(DatabaseCorrupt):
        build_services(settings)

    recovery = build_recovery(settings)
    good = recovery.latest_good_backup()
    assert good is not None
    result = recovery.recover_damaged(good)

    assert result.kept is not None
    assert result.kept.read_bytes().startswith(b"this is not a database")
    assert windows.refused == []
    # Nothing of the recovery stays open on the restored file: a restore from the menu
    # later in the session must not find it held.
    assert database not in windows.still_open
    assert open_app(settings, opened).accounts.login("owner", PASSWORD).username == "owner"
