"""Wrong passwords at the unlock step count towards the growing wait, like any failed log-in.

An encrypted database opens only after the log-in page has unwrapped the database key with
the typed password, before the database (which keeps the failed-login count) can be read.
Guessing there must cost exactly what guessing at the password check costs: after 5 wrong
passwords in a row under one name each try waits (30 s, doubling), a try during the wait is
refused without trying the password, a restart does not reset it, and the next log-in puts
the tries into the database's count and audit trail for the admin to see.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clinic_app.app import build_services, choose_database_key, database_unlocker
from clinic_app.services.accounts import BAD_LOGIN
from clinic_app.services.key_slots import FAILURES_FILE, DatabaseKey, KeySlots, UnlockRefused
from clinic_app.settings import DB_FILE, AppSettings
from clinic_app.storage.peek import connect, sqlite_path
from security.helpers import (
    ADMIN_PASSWORD,
    CLERK_PASSWORD,
    new_encrypted_practice,
    refused,
    run_cli,
)

WRONG = "not-the-right-password"


def encrypted_practice(data_dir: Path) -> AppSettings:
    """A new practice as the window's first run makes it: encrypted, an admin and a clerk."""
    settings, services, _db_key = new_encrypted_practice(data_dir)
    admin = services.accounts.login("admin", ADMIN_PASSWORD)
    services.accounts.create_account(
        admin,
        {
            "username": "clerk",
            "display_name": "Front Clerk",
            "password": CLERK_PASSWORD,
            "roles": ["front_desk"],
        },
    )
    services.accounts._uow.engine.dispose()  # type: ignore[attr-defined]
    return settings


def locked_start(settings: AppSettings) -> tuple[DatabaseKey, Any]:
    """A new start of the window: the database is sealed; the log-in page's unlock."""
    db_key = DatabaseKey()
    path = sqlite_path(settings.database_url)
    assert path is not None
    assert choose_database_key(settings, path, db_key) is True
    return db_key, database_unlocker(settings, db_key)


def age_failures(data_dir: Path, by: timedelta) -> None:
    """Let time pass for the recorded failures (as if the wait had been sat out)."""
    path = data_dir / FAILURES_FILE
    content = json.loads(path.read_text())
    for record in content.values():
        last = datetime.fromisoformat(record["last_failed_at"]) - by
        record["last_failed_at"] = last.isoformat()
        record["unrecorded"] = [
            (datetime.fromisoformat(t) - by).isoformat() for t in record["unrecorded"]
        ]
    path.write_text(json.dumps(content))


@pytest.fixture
def practice(tmp_path: Path, fast_password_hashing: None) -> AppSettings:
    return encrypted_practice(tmp_path / "data")


def test_wrong_passwords_at_unlock_start_the_wait_which_a_restart_keeps(
    practice: AppSettings,
) -> None:
    db_key, unlock = locked_start(practice)
    answers = [unlock("admin", WRONG) for _ in range(5)]

    assert answers[:4] == [BAD_LOGIN] * 4
    assert answers[4] is not None
    assert answers[4].startswith(BAD_LOGIN)
    assert "5 in a row" in answers[4]
    assert "wait 30 seconds" in answers[4]
    # During the wait even the right password is refused, without being tried.
    during = unlock("admin", ADMIN_PASSWORD)
    assert during is not None
    assert "wait" in during
    assert db_key.secret is None
    # A restart of the app does not reset the count.
    db_key, unlock = locked_start(practice)
    assert "wait" in (unlock("admin", ADMIN_PASSWORD) or "")
    assert db_key.secret is None
    # Another name is not held up.
    assert unlock("clerk", CLERK_PASSWORD) is None
    assert db_key.secret is not None


def test_after_the_wait_the_right_password_unlocks_and_the_tries_reach_the_audit_trail(
    practice: AppSettings,
) -> None:
    db_key, unlock = locked_start(practice)
    for _ in range(6):
        unlock("admin", WRONG)  # the 6th is refused during the wait: not counted
    age_failures(practice.data_dir, timedelta(seconds=31))
    assert unlock("admin", WRONG) is not None  # a 6th wrong one: the wait doubles
    age_failures(practice.data_dir, timedelta(seconds=61))

    assert unlock("admin", ADMIN_PASSWORD) is None
    assert db_key.secret is not None
    services = build_services(practice, db_key=db_key)
    services.accounts.login("admin", ADMIN_PASSWORD)

    conn = connect(practice.data_dir / DB_FILE, db_key.secret)
    try:
        failed = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'login_failed' AND username = 'admin'"
        ).fetchall()
        delayed = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'login_delayed' AND username = 'admin'"
        ).fetchone()[0]
        left = conn.execute("SELECT count(*) FROM login_failures").fetchone()[0]
    finally:
        conn.close()
    assert len(failed) == 6
    assert all("at the unlock step" in row[0] for row in failed)
    assert delayed == 2
    assert left == 0  # the good log-in ended the failures in a row
    assert not (practice.data_dir / FAILURES_FILE).exists()
    services.accounts._uow.engine.dispose()  # type: ignore[attr-defined]


def test_the_admin_sees_the_unlock_failures_of_another_name_and_can_lift_the_wait(
    practice: AppSettings,
) -> None:
    db_key, unlock = locked_start(practice)
    for _ in range(5):
        unlock("clerk", WRONG)
    assert unlock("admin", ADMIN_PASSWORD) is None
    services = build_services(practice, db_key=db_key)
    admin = services.accounts.login("admin", ADMIN_PASSWORD)

    shown = {f.username: f.failures for f in services.accounts.login_failures(admin)}
    assert shown == {"clerk": 5}
    services.accounts.clear_login_failures(admin, "clerk")

    assert services.accounts.login_failures(admin) == []
    _db_key, unlock = locked_start(practice)
    assert unlock("clerk", CLERK_PASSWORD) is None
    services.accounts._uow.engine.dispose()  # type: ignore[attr-defined]


def test_an_unknown_name_counts_too_so_the_wait_tells_nothing(practice: AppSettings) -> None:
    slots = KeySlots(practice.data_dir)
    for _ in range(4):
        assert slots.unlock("nobody", WRONG) is None
    with pytest.raises(UnlockRefused, match="5 in a row"):
        slots.unlock("nobody", WRONG)
    with pytest.raises(UnlockRefused, match="wait"):
        slots.unlock("nobody", WRONG)
    counted = json.loads((practice.data_dir / FAILURES_FILE).read_text())
    assert counted["nobody"]["failures"] == 5
    assert (practice.data_dir / FAILURES_FILE).stat().st_mode & 0o777 == 0o600
    assert datetime.fromisoformat(counted["nobody"]["last_failed_at"]) <= datetime.now(UTC)


def test_wrong_passwords_on_the_command_line_count_too(
    tmp_path: Path, practice: AppSettings
) -> None:
    data_dir = practice.data_dir
    for _ in range(5):
        result = run_cli(tmp_path, data_dir, "audit", "verify", "--user", "admin", password=WRONG)
        assert result.returncode == 2
    line = refused(
        run_cli(tmp_path, data_dir, "audit", "verify", "--user", "admin", password=ADMIN_PASSWORD),
        "Too many failed logins",
    )
    assert "wait" in line
