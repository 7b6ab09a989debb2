"""Start-up shows the log-in page before the data layer is loaded (DESIGN.md's start-up budget)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from clinic_app.domain.account import Role
from clinic_app.services.accounts import AccountService
from clinic_app.services.common import SystemClock
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url

FIRST_PAGE_MODULES = """
import sys
import clinic_app.cli, clinic_app.app, clinic_app.settings, clinic_app.storage.peek
import clinic_app.ui.application, clinic_app.ui.start_page
from clinic_app.settings import load_settings
load_settings()
heavy = sorted(
    m for m in sys.modules
    if m.split(".")[0] in {"sqlalchemy", "pydantic", "pydantic_settings", "reportlab", "alembic"}
    or m.startswith(("clinic_app.storage.rows", "clinic_app.services.container"))
)
print(" ".join(heavy))
"""


def start_app(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """The app started on a data folder as the start-up benchmark starts it: offscreen, no
    CLINIC_* overrides, quitting once its first page is shown."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")},
        "QT_QPA_PLATFORM": "offscreen",
        "CLINIC_APP_EXIT_AFTER_SHOW": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_first_page_needs_no_data_layer_and_no_pydantic(tmp_path: Path) -> None:
    env = {**os.environ, "CLINIC_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_PAGE_MODULES], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_a_database_with_accounts_starts_on_the_log_in_page(tmp_path: Path) -> None:
    engine, uow_factory = open_database(sqlite_url(tmp_path / "clinic.sqlite3"))
    AccountService(uow_factory, SystemClock()).create_first_admin(
        {
            "username": "admin",
            "display_name": "Admin",
            "password": "a long pass phrase 9",
            "roles": {Role.ADMIN},
        }
    )
    engine.dispose()
    out = start_app(tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "window-shown"
    # A clean exit leaves no marker of an unclean shutdown behind.
    assert not (tmp_path / ".clinic_app.running").exists()


SET_UP_PAGE_MODULES = """
import sys
import clinic_app.app, clinic_app.ui.application
from clinic_app.settings import load_settings
from clinic_app.ui.views.session_pages import SetupPage
clinic_app.app.database_setup(load_settings())
heavy = sorted(
    m for m in sys.modules
    if m.split(".")[0] in {"sqlalchemy", "pydantic", "reportlab", "alembic"}
    or m.startswith(("clinic_app.storage.rows", "clinic_app.services.container"))
)
print(" ".join(heavy))
"""


def test_the_set_up_page_needs_no_data_layer_and_no_pydantic(tmp_path: Path) -> None:
    env = {**os.environ, "CLINIC_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", SET_UP_PAGE_MODULES], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_a_new_data_folder_starts_on_the_set_up_page_and_opens_the_records(
    tmp_path: Path,
) -> None:
    out = start_app(tmp_path / "new")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "window-shown"
    assert (tmp_path / "new" / "clinic.sqlite3").exists()  # created while the page was up


def test_an_encrypted_practice_starts_on_the_log_in_page_before_any_key_is_opened(
    tmp_path: Path,
) -> None:
    from clinic_app.services.key_slots import KeySlots, key_from_recovery, new_recovery_key

    key = key_from_recovery(new_recovery_key())
    engine, _uow = open_database(sqlite_url(tmp_path / "clinic.sqlite3"), key=key)
    engine.dispose()
    KeySlots(tmp_path).set_slot("admin", "a long pass phrase 9", key)
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from clinic_app.app import choose_database_key\n"
        "from clinic_app.services.key_slots import DatabaseKey\n"
        "from clinic_app.settings import load_settings\n"
        f"s = load_settings(Path({str(tmp_path)!r}))\n"
        "k = DatabaseKey()\n"
        "print(choose_database_key(s, s.data_dir / 'clinic.sqlite3', k), k.secret)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'pydantic', 'argon2', 'sqlcipher3'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # The log-in page unlocks it; nothing heavy was loaded to decide so.
    assert out.stdout.splitlines() == ["True None", "[]"]
    shown = start_app(tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "window-shown"


def test_an_unfinished_first_run_is_seen_as_such_through_its_kept_key(tmp_path: Path) -> None:
    """The database made at the first start is encrypted and has no accounts yet: the next
    start reads that with the key kept for the first admin, and shows the set-up page first."""
    from clinic_app.app import choose_database_key
    from clinic_app.services.key_slots import DatabaseKey
    from clinic_app.settings import load_settings
    from clinic_app.storage.peek import has_accounts

    folder = tmp_path / "new"
    first = start_app(folder)
    assert first.returncode == 0, first.stderr
    path = folder / "clinic.sqlite3"
    db_key = DatabaseKey()

    locked = choose_database_key(load_settings(folder), path, db_key)

    assert locked is False
    assert has_accounts(path) is None  # sealed to a plain reader
    assert has_accounts(path, db_key.secret) is False
