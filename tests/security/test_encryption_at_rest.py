"""Attack tests: a stolen data folder or backup yields no clinical text without the key.

The practice is set up the way the window's first run sets it up (a new database encrypted
under a random key, the first admin's key slot, the recovery key handed over once); the
attacker then holds copies of the files and tries the standard tools on them.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clinic_app.domain.errors import ClinicError
from clinic_app.services.key_slots import (
    SLOTS_FILE,
    DatabaseKey,
    KeySlots,
    key_from_recovery,
    recovery_secret,
)
from clinic_app.settings import DB_FILE
from clinic_app.storage.backup import encrypt_copy
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url
from security.helpers import (
    ADMIN_PASSWORD,
    CLERK_PASSWORD,
    SECRET_NOTE,
    new_encrypted_practice,
    run_cli,
)

PATIENT_NAME = "Quixote-Okonkwo"
# printable runs of 4 or more bytes, as `strings` finds them
PRINTABLE = re.compile(rb"[\x20-\x7e]{4,}")


def readable_text(path: Path) -> bytes:
    """What `strings` finds in a file (the tool when it is installed, else the same rule)."""
    tool = shutil.which("strings")
    if tool is not None:
        return subprocess.run([tool, "-a", str(path)], capture_output=True, check=True).stdout
    return b"\n".join(PRINTABLE.findall(path.read_bytes()))


def first_run(data_dir: Path) -> tuple[Any, DatabaseKey, str]:
    """The window's first run: a new encrypted database, the first admin, a chart."""
    _settings, services, db_key = new_encrypted_practice(data_dir)
    recovery = services.accounts.take_recovery_key()
    assert recovery is not None
    assert services.accounts.take_recovery_key() is None  # shown once
    admin = services.accounts.login("admin", ADMIN_PASSWORD)
    patient = services.patients.register(
        admin,
        {
            "family_name": PATIENT_NAME,
            "given_name": "Alonso",
            "date_of_birth": date(1950, 3, 4),
            "sex": "male",
            "preferred_language": "en",
            "diabetes": "yes",
        },
    )
    services.encounters.create(
        admin,
        {"patient_id": patient.id, "encounter_date": date.today(), "reason": SECRET_NOTE},
    )
    return services, db_key, recovery


@pytest.fixture
def practice(tmp_path: Path, fast_password_hashing: None) -> dict[str, Any]:
    data_dir = tmp_path / "data"
    services, db_key, recovery = first_run(data_dir)
    backup = tmp_path / "backup.sqlite3"
    admin = services.accounts.login("admin", ADMIN_PASSWORD)
    assert services.backup is not None
    services.backup.back_up(admin, backup)
    return {
        "data_dir": data_dir,
        "services": services,
        "key": db_key.secret,
        "recovery": recovery,
        "backup": backup,
    }


def test_a_stolen_data_folder_and_backup_show_no_clinical_text(
    tmp_path: Path, practice: dict[str, Any]
) -> None:
    stolen = tmp_path / "stolen"
    shutil.copytree(practice["data_dir"], stolen)  # the live files, -wal included
    shutil.copy(practice["backup"], stolen / "backup.sqlite3")
    files = [p for p in stolen.rglob("*") if p.is_file()]
    assert stolen / DB_FILE in files
    assert stolen / SLOTS_FILE in files
    key_hex = practice["key"].hex().encode()
    for path in files:
        text = readable_text(path)
        assert SECRET_NOTE.encode() not in text, path
        assert PATIENT_NAME.encode() not in text, path
        assert key_hex not in text.lower(), path  # the key is never stored in the clear
        assert practice["recovery"].encode() not in text, path
    # The check can fail: the same records decrypted with the key show both at once.
    control = tmp_path / "decrypted.sqlite3"
    encrypt_copy(stolen / "backup.sqlite3", control, None, practice["key"])
    assert SECRET_NOTE.encode() in readable_text(control)
    assert PATIENT_NAME.encode() in readable_text(control)
    for path in (stolen / DB_FILE, stolen / "backup.sqlite3"):
        assert not path.read_bytes().startswith(b"SQLite format 3")
        conn = sqlite3.connect(path)
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
        conn.close()


def test_a_wrong_key_or_password_opens_nothing(tmp_path: Path, practice: dict[str, Any]) -> None:
    data_dir = practice["data_dir"]
    slots = KeySlots(data_dir)
    assert slots.unlock("admin", ADMIN_PASSWORD) == practice["key"]
    assert slots.unlock("admin", ADMIN_PASSWORD + "x") is None
    assert slots.unlock("nobody", ADMIN_PASSWORD) is None
    other = key_from_recovery("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
    assert not slots.check(other)
    with pytest.raises(ClinicError, match=r"cannot be opened|damaged"):
        open_database(sqlite_url(data_dir / DB_FILE), key=other)
    # The practice's own recovery key opens it (typed with spaces, lower case).
    typed = practice["recovery"].lower().replace("-", " ")
    assert key_from_recovery(typed) == practice["key"]
    engine, _uow = open_database(sqlite_url(data_dir / DB_FILE), key=key_from_recovery(typed))
    engine.dispose()
    with pytest.raises(ClinicError, match="not a recovery key"):
        recovery_secret("not-a-key")
    # Without any key the app refuses in one line; it does not take the file for damaged.
    result = run_cli(tmp_path, data_dir, "audit", "verify")
    assert result.returncode == 2
    assert "encrypted" in result.stderr
    assert "Traceback" not in result.stderr


def test_each_account_has_a_slot_and_a_disabled_one_is_removed(
    practice: dict[str, Any],
) -> None:
    services = practice["services"]
    slots = KeySlots(practice["data_dir"])
    admin = services.accounts.login("admin", ADMIN_PASSWORD)
    clerk = services.accounts.create_account(
        admin,
        {
            "username": "desk",
            "display_name": "Front Desk",
            "password": CLERK_PASSWORD,
            "roles": ["front_desk"],
        },
    )
    assert slots.unlock("desk", CLERK_PASSWORD) == practice["key"]
    services.accounts.reset_password(admin, clerk.id, CLERK_PASSWORD + "-new")
    assert slots.unlock("desk", CLERK_PASSWORD) is None
    assert slots.unlock("desk", CLERK_PASSWORD + "-new") == practice["key"]
    services.accounts.set_active(admin, clerk.id, False)
    assert not slots.has_slot("desk")
    assert slots.unlock("desk", CLERK_PASSWORD + "-new") is None
    assert slots.unlock("admin", ADMIN_PASSWORD) == practice["key"]


def test_the_command_line_unlocks_with_an_accounts_password(
    tmp_path: Path, practice: dict[str, Any]
) -> None:
    data_dir = practice["data_dir"]
    ok = run_cli(tmp_path, data_dir, "audit", "verify", "--user", "admin", password=ADMIN_PASSWORD)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    bad = run_cli(tmp_path, data_dir, "audit", "verify", "--user", "admin", password="wrong-one")
    assert bad.returncode == 2
    assert "Wrong user name or password" in bad.stderr


def test_a_backup_restores_on_a_new_computer_only_with_the_recovery_key(
    tmp_path: Path, practice: dict[str, Any]
) -> None:
    new_dir = tmp_path / "new-computer"
    args = ("restore", str(practice["backup"]), "--user", "admin")
    refused = run_cli(tmp_path, new_dir, *args, password=ADMIN_PASSWORD)
    assert refused.returncode == 2
    assert "recovery key" in refused.stderr
    assert "Traceback" not in refused.stderr

    wrong = run_cli(
        tmp_path,
        tmp_path / "new-2",
        *args,
        password=ADMIN_PASSWORD,
        extra_env={"CLINIC_RECOVERY_KEY": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"},
    )
    assert wrong.returncode == 2
    assert "Traceback" not in wrong.stderr

    done = run_cli(
        tmp_path,
        new_dir,
        *args,
        password=ADMIN_PASSWORD,
        extra_env={"CLINIC_RECOVERY_KEY": practice["recovery"]},
    )
    assert done.returncode == 0, done.stderr
    assert "Restored" in done.stdout
    assert "recovery key" in done.stdout
    restored = new_dir / DB_FILE
    assert SECRET_NOTE.encode() not in readable_text(restored)
    assert not restored.read_bytes().startswith(b"SQLite format 3")
    verify = run_cli(
        tmp_path, new_dir, "audit", "verify", "--user", "admin", password=ADMIN_PASSWORD
    )
    assert verify.returncode == 0, verify.stderr
