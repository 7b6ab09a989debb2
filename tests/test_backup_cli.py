"""`clinic-app backup` and `clinic-app restore`, run as the real command line (SQLite)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from clinic_app.app import practice_key
from clinic_app.domain.audit import AuditAction
from clinic_app.services.accounts import AccountService
from clinic_app.services.common import SystemClock
from clinic_app.services.patients import PatientService
from clinic_app.settings import DB_FILE, load_settings
from clinic_app.storage.backup import MANIFEST_TABLE
from clinic_app.storage.bootstrap import open_database

EXIT_BAD_INPUT = 2
OWNER_PASSWORD = "correct horse"
CLERK_PASSWORD = "staple battery"
AS_OWNER = ("--user", "owner")


def run_cli(
    tmp_path: Path, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m clinic_app --data-dir tmp_path/data ARGS...` in a clean environment."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("CLINIC_")}
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "data")
    if password is not None:
        env["CLINIC_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def refusal(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, one line on stderr naming the problem, no traceback."""
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == EXIT_BAD_INPUT, output
    assert "Traceback" not in output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, output
    for word in words:
        assert word in lines[0], output
    return lines[0]


def add_patient(data_dir: Path, family: str) -> None:
    """Register a patient as the owner (admin and clinician), straight through the services."""
    settings = load_settings(data_dir)
    engine, uow = open_database(settings.database_url)
    try:
        practice_key(settings, uow)  # the app's keys: the trail was keyed by the command line
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        owner = AccountService(uow, SystemClock(), hasher).login("owner", OWNER_PASSWORD)
        PatientService(uow, SystemClock()).register(
            owner,
            {"family_name": family, "given_name": "Ana", "date_of_birth": date(1970, 1, 2)},
        )
    finally:
        engine.dispose()


def table(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on the live database file."""
    conn = sqlite3.connect(data_dir / DB_FILE)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with an admin who also charts, a front-desk clerk and one patient."""
    data_dir = tmp_path_factory.mktemp("backup-cli") / "data"
    engine, uow = open_database(load_settings(data_dir).database_url)
    try:
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        accounts = AccountService(uow, SystemClock(), hasher)
        accounts.create_first_admin(
            {
                "username": "owner",
                "display_name": "Dr Owner",
                "password": OWNER_PASSWORD,
                "roles": ["clinician"],
            }
        )
        owner = accounts.login("owner", OWNER_PASSWORD)
        accounts.create_account(
            owner,
            {
                "username": "clerk",
                "display_name": "Front Clerk",
                "password": CLERK_PASSWORD,
                "roles": ["front_desk"],
            },
        )
    finally:
        engine.dispose()
    add_patient(data_dir, "Before")
    # As the app leaves them (0700/0600), so start-up has nothing to repair and report.
    data_dir.chmod(0o700)
    for path in data_dir.iterdir():
        path.chmod(0o600)
    return data_dir


@pytest.fixture
def data_dir(template: Path, tmp_path: Path) -> Path:
    """A private copy of the template data dir."""
    return Path(shutil.copytree(template, tmp_path / "data"))


@pytest.fixture
def backup_file(data_dir: Path, tmp_path: Path) -> Path:
    """A backup made by the command line."""
    out = tmp_path / "monday.sqlite3"
    result = run_cli(tmp_path, "backup", "--out", str(out), *AS_OWNER, password=OWNER_PASSWORD)
    assert result.returncode == 0, result.stderr
    return out


def test_backup_then_restore_puts_the_data_back(
    data_dir: Path, tmp_path: Path, backup_file: Path
) -> None:
    patients_then = table(data_dir, "SELECT * FROM patients ORDER BY id")
    add_patient(data_dir, "After")
    assert len(table(data_dir, "SELECT id FROM patients")) == 2

    result = run_cli(
        tmp_path, "restore", str(backup_file), "--user", "owner", password=OWNER_PASSWORD
    )

    assert result.returncode == 0, result.stderr
    assert f"Restored {backup_file}" in result.stdout
    assert table(data_dir, "SELECT * FROM patients ORDER BY id") == patients_then
    assert not table(data_dir, f"SELECT name FROM sqlite_master WHERE name = '{MANIFEST_TABLE}'")
    # What was replaced is kept, itself a verified backup holding both patients.
    kept = list((data_dir / "replaced").iterdir())
    assert len(kept) == 1
    assert f"kept at {kept[0]}" in result.stdout
    conn = sqlite3.connect(kept[0])
    try:
        assert conn.execute("SELECT count(*) FROM patients").fetchone() == (2,)
    finally:
        conn.close()
    # The restore is audited in the restored database, and the chain holds.
    last = table(data_dir, "SELECT action, username, detail FROM audit_log ORDER BY seq")[-1]
    assert last[0] == AuditAction.RESTORE_BACKUP.value
    assert last[1] == "owner"
    assert str(backup_file) in str(last[2])
    verify = run_cli(tmp_path, "audit", "verify")
    assert verify.returncode == 0, verify.stderr


def test_backup_output_and_audit(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.sqlite3"
    result = run_cli(tmp_path, "backup", "--out", str(out), *AS_OWNER, password=OWNER_PASSWORD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Backup written and verified: {out}")
    last = table(data_dir, "SELECT action, username FROM audit_log ORDER BY seq")[-1]
    assert last == (AuditAction.BACKUP.value, "owner")


@pytest.mark.parametrize(
    ("make_args", "words"),
    [
        (lambda t: ["backup", *AS_OWNER], ["--out FILE is required"]),
        (lambda t: ["backup", "--out", str(t / "b.sqlite3")], ["--user NAME", "required"]),
        (
            lambda t: ["backup", "--out", str(t / "nowhere" / "b.sqlite3"), *AS_OWNER],
            ["does not exist"],
        ),
        (lambda t: ["backup", "--out", str(t), *AS_OWNER], ["is a folder"]),
    ],
)
def test_backup_refusals(
    data_dir: Path, tmp_path: Path, make_args: object, words: list[str]
) -> None:
    result = run_cli(tmp_path, *make_args(tmp_path))  # type: ignore[operator]
    refusal(result, *words)


def test_backup_never_overwrites(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "precious.txt"
    out.write_text("keep me")
    refusal(
        run_cli(tmp_path, "backup", "--out", str(out), *AS_OWNER, password=OWNER_PASSWORD),
        "already exists",
    )
    assert out.read_text() == "keep me"


def restore_refused(
    data_dir: Path, tmp_path: Path, *args: str, password: str | None, words: list[str]
) -> None:
    """A refused restore: one line, exit 2, the database and its folder untouched."""
    before = table(data_dir, "SELECT * FROM patients ORDER BY id")
    refusal(run_cli(tmp_path, "restore", *args, password=password), *words)
    assert table(data_dir, "SELECT * FROM patients ORDER BY id") == before
    assert not (data_dir / "replaced").exists()


def test_restore_refuses_a_file_that_is_not_a_backup(data_dir: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("just text")
    restore_refused(
        data_dir,
        tmp_path,
        str(junk),
        "--user",
        "owner",
        password=OWNER_PASSWORD,
        words=["not a clinic_app backup"],
    )
    restore_refused(
        data_dir,
        tmp_path,
        str(data_dir / DB_FILE),
        "--user",
        "owner",
        password=OWNER_PASSWORD,
        words=["not a backup made by `clinic-app backup`"],
    )
    restore_refused(
        data_dir,
        tmp_path,
        str(tmp_path / "missing.sqlite3"),
        "--user",
        "owner",
        password=OWNER_PASSWORD,
        words=["is not a file"],
    )


def test_restore_refuses_a_damaged_backup(
    data_dir: Path, tmp_path: Path, backup_file: Path
) -> None:
    data = backup_file.read_bytes()
    backup_file.write_bytes(data[: len(data) // 2])
    restore_refused(
        data_dir,
        tmp_path,
        str(backup_file),
        "--user",
        "owner",
        password=OWNER_PASSWORD,
        words=["damaged"],
    )


def test_restore_refuses_a_backup_from_a_newer_app(
    data_dir: Path, tmp_path: Path, backup_file: Path
) -> None:
    conn = sqlite3.connect(backup_file)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.execute(f"UPDATE {MANIFEST_TABLE} SET value = '9999' WHERE key = 'schema_revision'")
    conn.commit()
    conn.close()
    restore_refused(
        data_dir,
        tmp_path,
        str(backup_file),
        "--user",
        "owner",
        password=OWNER_PASSWORD,
        words=["newer clinic_app", "9999", "update this app"],
    )


def test_restore_is_for_admins_only(data_dir: Path, tmp_path: Path, backup_file: Path) -> None:
    restore_refused(
        data_dir,
        tmp_path,
        str(backup_file),
        "--user",
        "clerk",
        password=CLERK_PASSWORD,
        words=["Only a practice admin may restore a backup"],
    )
    restore_refused(
        data_dir,
        tmp_path,
        str(backup_file),
        "--user",
        "owner",
        password="wrong horse",
        words=["Wrong user name or password"],
    )
    restore_refused(
        data_dir, tmp_path, str(backup_file), password=OWNER_PASSWORD, words=["--user NAME"]
    )
    # No password and no terminal to type one.
    restore_refused(
        data_dir, tmp_path, str(backup_file), "--user", "owner", password=None, words=["password"]
    )


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ('{"backup_keep": 0}', ["backup_keep", "greater than or equal to 1"]),
        ('{"backup_keep": 366}', ["backup_keep", "less than or equal to 365"]),
        ('{"backup_every_hours": 169}', ["backup_every_hours", "168"]),
    ],
)
def test_backup_settings_are_checked(
    data_dir: Path, tmp_path: Path, values: str, words: list[str]
) -> None:
    (data_dir / "settings.json").write_text(values, encoding="utf-8")
    out = tmp_path / "never.sqlite3"
    refusal(run_cli(tmp_path, "backup", "--out", str(out)), "Setting", *words)
    assert not out.exists()
