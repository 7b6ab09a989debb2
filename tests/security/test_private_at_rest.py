"""Private at rest (the part without encryption): modes, leftovers, passwords, odd paths.

Each test is an attack by someone with an account on the same computer, or by a crash at a
bad moment; each asserts that nothing is readable, left behind or leaked.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from clinic_app.services import private_files
from clinic_app.services.files import temp_beside
from clinic_app.services.private_files import FolderLock, prepare_data_folder
from clinic_app.settings import DB_FILE, SETTINGS_FILE, AppSettings, load_settings
from security.helpers import (
    ADMIN_PASSWORD,
    cli_env,
    make_practice,
    refused,
    rows,
    run_cli,
)


def mode(path: Path) -> int:
    """Permission bits of a path."""
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def _no_folder_lock() -> Iterator[None]:
    """No data folder lock held by this process, and its umask as it was, around each test."""
    FolderLock.release()
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    FolderLock.release()
    os.umask(umask)


def test_every_file_the_app_writes_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    demo = run_cli(tmp_path, data, "demo", "--patients", "30")
    assert demo.returncode == 0, demo.stderr
    password = demo.stdout.rsplit("password ", 1)[1].strip()
    out = tmp_path / "copy.sqlite3"
    made = run_cli(
        tmp_path, data, "backup", "--out", str(out), "--user", "demo.admin", password=password
    )
    assert made.returncode == 0, made.stderr

    assert mode(data) == 0o700
    for path in [*data.rglob("*"), out]:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


@pytest.mark.skipif(
    getattr(os, "geteuid", lambda: -1)() != 0, reason="needs root to act as another local account"
)
def test_another_local_account_cannot_read_a_note(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    tmp_path.chmod(0o755)
    # Someone else's account on the same computer, trying the database file directly.
    probe = (
        "import sqlite3, sys\n"
        "try:\n"
        f"    c = sqlite3.connect('file:{data / DB_FILE}?immutable=1', uri=True)\n"
        "    print(c.execute('SELECT family_name FROM patients').fetchall())\n"
        "except Exception as exc:\n"
        "    print('refused:', type(exc).__name__)\n"
    )
    # The plain sqlite3 module of the system's Python, as any local account has it.
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    result = subprocess.run(
        [python, "-c", probe],
        capture_output=True,
        text=True,
        user=65534,  # nobody
        group=65534,
        timeout=60,
        check=False,
    )
    assert "Realperson" not in result.stdout + result.stderr
    assert "refused" in result.stdout


def test_looser_modes_are_repaired_at_start_and_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    data.chmod(0o755)
    (data / DB_FILE).chmod(0o644)
    (data / "backups").mkdir(mode=0o755)
    old_backup = data / "backups" / "clinic-backup-20250101-000000Z.sqlite3"
    old_backup.write_bytes(b"SQLite format 3\x00")
    old_backup.chmod(0o644)

    result = run_cli(tmp_path, data, "audit", "verify")

    assert result.returncode == 0, result.stderr
    assert "Made 4 files or folders private" in result.stderr
    assert (mode(data), mode(data / DB_FILE)) == (0o700, 0o600)
    assert (mode(data / "backups"), mode(old_backup)) == (0o700, 0o600)
    again = run_cli(tmp_path, data, "audit", "verify")
    assert again.stderr == ""


def test_a_link_planted_in_the_data_folder_is_not_followed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    outside = tmp_path / "outside.txt"
    outside.write_text("not the app's")
    outside.chmod(0o644)
    (data / "link.txt").symlink_to(outside)

    report = prepare_data_folder(data)

    assert mode(outside) == 0o644
    assert outside.read_text() == "not the app's"
    assert report.repaired == []


def test_a_killed_backup_leaves_no_copy_behind_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    (data / "backups").mkdir(mode=0o700)
    out = data / "backups" / "clinic-backup-20250101-000000Z.sqlite3"
    # A backup killed with SIGKILL after the full copy is written, before its check.
    killer = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from clinic_app.storage import backup\n"
        "from clinic_app.storage.db import make_engine, sqlite_url\n"
        "backup._Checked._keep_if_sound = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"engine = make_engine(sqlite_url(Path({str(data / DB_FILE)!r})))\n"
        "from datetime import datetime, UTC\n"
        f"backup.SqliteBackup(engine).backup_to(Path({str(out)!r}), datetime.now(UTC))\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", killer],
        env=cli_env(tmp_path),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9
    leftovers = [p for p in (data / "backups").iterdir() if p.name.endswith(".tmp")]
    assert leftovers, "the simulated kill left no temporary copy to clean up"
    assert b"Realperson" in leftovers[0].read_bytes()
    beside_db = temp_beside(data / DB_FILE)  # a killed restore's copy
    beside_db.write_bytes(b"half a restore")

    result = run_cli(tmp_path, data, "audit", "verify")

    assert result.returncode == 0, result.stderr
    assert "Removed 2 leftover temporary copies" in result.stderr
    assert not any(p.name.endswith(".tmp") for p in data.rglob("*"))
    assert rows(data, "SELECT family_name FROM patients") == [("Realperson",)]


def test_a_running_backups_copy_is_not_swept_by_a_second_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    in_flight = temp_beside(data / DB_FILE)
    in_flight.write_bytes(b"a backup still being written")
    # Another clinic_app process has the folder open (its shared lock).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from clinic_app.services.private_files import FolderLock\n"
            f"FolderLock.take(Path({str(data)!r}))\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(tmp_path),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        report = prepare_data_folder(data)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert report.shared
    assert in_flight.read_bytes() == b"a backup still being written"


def test_viewer_copies_carry_no_name_and_go_away(
    tmp_path: Path, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic_app.ui import printing

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)

    path = printing.PdfOutput().open_pdf(b"%PDF-1.4 note of Ana Realperson", "Realperson-Ana.pdf")

    assert "Realperson" not in str(path)
    assert path.name == printing.VIEWER_FILE_NAME
    assert opened == [str(path)]
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    assert printing.remove_viewer_copies() == 1  # what the app does when it quits
    assert not path.parent.exists()

    # A copy left by a crash is removed at the next start.
    crashed = printing.PdfOutput().open_pdf(b"%PDF-1.4 again", "Realperson-Ana.pdf")
    printing._viewer_folders.clear()  # the crashed process forgot it
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    report = prepare_data_folder(data)
    assert not crashed.parent.exists()
    assert crashed.parent in report.removed


def test_a_percent_sign_in_the_data_folder_path_works(tmp_path: Path) -> None:
    data = tmp_path / "100%-clinic %(here)s" / "data"
    demo = run_cli(tmp_path, data, "demo", "--patients", "5")
    assert demo.returncode == 0, demo.stderr
    password = demo.stdout.rsplit("password ", 1)[1].strip()
    out = tmp_path / "b%d.sqlite3"

    made = run_cli(
        tmp_path, data, "backup", "--out", str(out), "--user", "demo.admin", password=password
    )
    verify = run_cli(tmp_path, data, "audit", "verify")

    assert made.returncode == 0, made.stderr
    assert verify.returncode == 0, verify.stderr
    assert "Traceback" not in made.stderr + verify.stderr


# --------------------------------------------------------------------------- PostgreSQL


PG_PASSWORD = "p%(x)s:w\\d%25-secret"


def with_password(url: str) -> str:
    """The URL with PG_PASSWORD (the test cluster trusts local connections)."""
    return make_url(url).set(password=PG_PASSWORD).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_a_percent_sign_in_the_server_password_works_and_never_prints(
    tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a server password")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    url = with_password(db_url)

    result = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--data-dir", str(data), "--db-url", url, "demo"],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert PG_PASSWORD not in result.stdout + result.stderr


@pytest.mark.postgres
def test_the_server_password_never_lands_in_settings(tmp_path: Path, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a server password")
    from clinic_app.app import database_setup
    from clinic_app.storage.bootstrap import open_database
    from clinic_app.storage.pgpass import use_password_file

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    settings = load_settings(data)
    setup = database_setup(settings)

    setup.remember(with_password(db_url))

    text = (data / SETTINGS_FILE).read_text(encoding="utf-8")
    assert PG_PASSWORD not in text
    assert "secret" not in text
    pgpass = data / "pgpass"
    assert mode(pgpass) == 0o600
    assert (
        pgpass.read_text(encoding="utf-8")
        .rstrip()
        .endswith(PG_PASSWORD.replace("\\", "\\\\").replace(":", "\\:"))
    )
    # The next start reads the URL without a password and finds the password file.
    again = load_settings(data)
    assert again.db_url is not None
    assert make_url(again.db_url).password is None
    try:
        use_password_file(data, again.db_url)
        assert os.environ["PGPASSFILE"] == str(pgpass)
        engine, _uow = open_database(again.database_url)
        engine.dispose()
    finally:
        os.environ.pop("PGPASSFILE", None)


def test_an_old_settings_file_holding_a_password_is_rewritten(tmp_path: Path) -> None:
    from clinic_app.app import open_data_folder

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    url = "postgresql://clinic:" + "s3cret%25pw" + "@db.example/clinic"
    (data / SETTINGS_FILE).write_text(json.dumps({"db_url": url}), encoding="utf-8")
    (data / SETTINGS_FILE).chmod(0o644)

    notes = open_data_folder(load_settings(data), create=False)

    assert any("password" in n for n in notes)
    stored = json.loads((data / SETTINGS_FILE).read_text(encoding="utf-8"))["db_url"]
    assert "s3cret" not in stored
    assert make_url(stored).username == "clinic"
    assert mode(data / SETTINGS_FILE) == 0o600
    assert "s3cret%pw" in (data / "pgpass").read_text(encoding="utf-8")
    assert isinstance(load_settings(data), AppSettings)


def test_commands_without_a_data_folder_name_it_and_write_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "never-made"
    result = run_cli(tmp_path, missing, "backup", "--out", str(tmp_path / "x.sqlite3"))
    refused(result)
    result = run_cli(
        tmp_path,
        missing,
        "backup",
        "--out",
        str(tmp_path / "x.sqlite3"),
        "--user",
        "owner",
        password=ADMIN_PASSWORD,
    )
    refused(result, "does not exist")
    assert not missing.exists()
    assert private_files.LOCK_FILE not in [p.name for p in tmp_path.rglob("*")]


def test_pg_tools_never_get_the_password_on_their_command_line() -> None:
    from clinic_app.storage.backup import PostgresBackup
    from clinic_app.storage.db import make_engine

    engine = make_engine(with_password("postgresql://clinic@db.example:5432/clinic"))
    try:
        uri, env = PostgresBackup(engine)._conninfo()
    finally:
        engine.dispose()
    # Any local account can list the arguments of a running pg_dump; the environment is private.
    assert "secret" not in uri
    assert make_url(uri).password is None
    assert env["PGPASSWORD"] == PG_PASSWORD
