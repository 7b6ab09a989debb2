"""What the attack tests share: the real command line, a practice's data folder, checks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from clinic_app.services.accounts import AccountService
from clinic_app.services.common import SystemClock
from clinic_app.services.patients import PatientService
from clinic_app.settings import DB_FILE, load_settings
from clinic_app.storage.bootstrap import open_database

EXIT_BAD_INPUT = 2
ADMIN_PASSWORD = "heel-and-sole-admin"
CLERK_PASSWORD = "front-desk-stapler"
SECRET_NOTE = "Secret-note-4711"
FIXTURE_PASSWORD = "correct-horse-battery"
"""The password tests/conftest.py gives the accounts its fixtures make."""


def cheap_hasher() -> PasswordHasher:
    """The cheapest Argon2 cost: this builds test data, it does not test hashing."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def cli_env(tmp_path: Path, password: str | None = None) -> dict[str, str]:
    """A clean environment whose fallbacks land in tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith("CLINIC_") and k not in {"PGPASSFILE", "PGPASSWORD"}
    }
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "data")
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    if password is not None:
        env["CLINIC_PASSWORD"] = password
    return env


def run_cli(
    tmp_path: Path,
    data_dir: Path,
    *args: str,
    password: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m clinic_app --data-dir DATA ARGS...`, no terminal, clean environment."""
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env={**cli_env(tmp_path, password), **(extra_env or {})},
        cwd=tmp_path,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, exactly one line on stderr naming the problem, no traceback."""
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == EXIT_BAD_INPUT, output
    assert "Traceback" not in output, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, output
    for word in words:
        assert word in lines[0], output
    return lines[0]


def make_practice(data_dir: Path) -> None:
    """A practice's data folder: an admin who charts, a front-desk clerk, one real patient."""
    engine, uow = open_database(load_settings(data_dir).database_url)
    try:
        accounts = AccountService(uow, SystemClock(), cheap_hasher())
        accounts.create_first_admin(
            {
                "username": "owner",
                "display_name": "Dr Owner",
                "password": ADMIN_PASSWORD,
                "roles": ["clinician"],
            }
        )
        owner = accounts.login("owner", ADMIN_PASSWORD)
        accounts.create_account(
            owner,
            {
                "username": "clerk",
                "display_name": "Front Clerk",
                "password": CLERK_PASSWORD,
                "roles": ["front_desk"],
            },
        )
        PatientService(uow, SystemClock()).register(
            owner,
            {"family_name": "Realperson", "given_name": "Ana", "date_of_birth": date(1970, 1, 2)},
        )
    finally:
        engine.dispose()
    data_dir.chmod(0o700)
    for path in data_dir.iterdir():
        path.chmod(0o600)


def rows(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on the live database file."""
    conn = sqlite3.connect(data_dir / DB_FILE)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def files_under(folder: Path) -> list[str]:
    """Every path below folder, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def new_encrypted_practice(data_dir: Path) -> tuple[Any, Any, Any]:
    """The window's first run: a new encrypted database and its first admin.

    Returns (settings, services, the database key).
    """
    from clinic_app.app import build_services, choose_database_key
    from clinic_app.services.key_slots import DatabaseKey
    from clinic_app.storage.peek import sqlite_path

    data_dir.mkdir(mode=0o700)
    settings = load_settings(data_dir)
    db_key = DatabaseKey()
    path = sqlite_path(settings.database_url)
    assert path is not None
    assert choose_database_key(settings, path, db_key) is False
    assert db_key.secret is not None
    services = build_services(settings, db_key=db_key)
    services.accounts.create_first_admin(
        {
            "username": "admin",
            "display_name": "Dr Admin",
            "password": ADMIN_PASSWORD,
            "roles": ["admin", "clinician"],
        }
    )
    return settings, services, db_key
