"""Doors closed: demo logins, anonymous backups, weak passwords, guessing, wrong folders.

Each test is an attack; each asserts that it fails and that nothing is lost or leaked.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import AuthenticationFailed, DatabaseCorrupt, FieldErrors
from clinic_app.services.container import Services
from clinic_app.services.demo import NotDemoDatabase, fill_demo
from clinic_app.settings import DB_FILE
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url
from security.helpers import (
    ADMIN_PASSWORD,
    CLERK_PASSWORD,
    make_practice,
    refused,
    rows,
    run_cli,
)
from security.helpers import (
    FIXTURE_PASSWORD as PASSWORD,
)

# --------------------------------------------------------------------------- demo


def test_demo_refuses_a_practice_database_with_real_patients(
    services: Services, clinician: Principal
) -> None:
    services.patients.register(
        clinician,
        {"family_name": "Realperson", "given_name": "Ana", "date_of_birth": date(1970, 1, 2)},
    )
    with services.accounts._uow() as uow:
        accounts_before = [a.username for a in uow.accounts.list()]

    with pytest.raises(NotDemoDatabase, match="practice's own patients"):
        fill_demo(services, patients=5, seed=1)

    with services.accounts._uow() as uow:
        assert uow.patients.count() == 1
        assert [a.username for a in uow.accounts.list()] == accounts_before
    assert "demo.clinician" not in accounts_before


def test_demo_command_on_a_practice_prints_no_login_and_adds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    before = rows(data, "SELECT username FROM accounts ORDER BY id")

    result = run_cli(tmp_path, data, "demo", "--patients", "5")

    line = refused(result, "practice's own patients")
    assert "password" not in line
    assert rows(data, "SELECT username FROM accounts ORDER BY id") == before
    assert rows(data, "SELECT count(*) FROM patients") == [(1,)]


# --------------------------------------------------------------------------- backups


def test_backup_without_a_login_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    out = tmp_path / "stolen.sqlite3"

    refused(run_cli(tmp_path, data, "backup", "--out", str(out)), "--user NAME")
    assert not out.exists()


def test_backup_by_the_front_desk_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    out = tmp_path / "stolen.sqlite3"

    result = run_cli(
        tmp_path, data, "backup", "--out", str(out), "--user", "clerk", password=CLERK_PASSWORD
    )

    refused(result, "practice admin")
    assert not out.exists()
    assert list(tmp_path.glob(".stolen*")) == []


def test_restore_into_an_empty_folder_checks_the_backups_own_admin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    backup = tmp_path / "practice.sqlite3"
    made = run_cli(
        tmp_path, data, "backup", "--out", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )
    assert made.returncode == 0, made.stderr
    new_computer = tmp_path / "new-computer"

    wrong = run_cli(
        tmp_path, new_computer, "restore", str(backup), "--user", "owner", password="not-the-pw"
    )
    refused(wrong, "Wrong user name or password", "backup's accounts")
    clerk = run_cli(
        tmp_path, new_computer, "restore", str(backup), "--user", "clerk", password=CLERK_PASSWORD
    )
    refused(clerk, "Only a practice admin")

    good = run_cli(
        tmp_path, new_computer, "restore", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )
    assert good.returncode == 0, good.stderr
    assert rows(new_computer, "SELECT family_name FROM patients") == [("Realperson",)]
    last = rows(new_computer, "SELECT action, username FROM audit_log ORDER BY seq")[-1]
    assert last == (AuditAction.RESTORE_BACKUP.value, "owner")
    verify = run_cli(tmp_path, new_computer, "audit", "verify")
    assert verify.returncode == 0, verify.stderr


# --------------------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("12345678", "at least 12"),
        ("short-pw-11", "at least 12"),
        ("123456789012", "digits only"),
        ("password1234", "common"),
        ("Password2026!", "common"),
        ("iloveyou1234", "common"),
        ("qwertyuiop123", "common"),
        ("aaaaaaaaaaaa", "repeats"),
        ("abababababab", "repeats"),
    ],
)
def test_weak_passwords_are_refused_at_the_field(
    services: Services, admin: Principal, password: str, words: str
) -> None:
    with pytest.raises(FieldErrors) as err:
        services.accounts.create_account(
            admin,
            {
                "username": "weak",
                "display_name": "Weak",
                "password": password,
                "roles": {Role.CLINICIAN},
            },
        )
    assert words in err.value.errors["password"]
    with pytest.raises(FieldErrors):
        services.accounts.reset_password(admin, admin.user_id, password)
    assert services.accounts.login("admin", PASSWORD).user_id == admin.user_id


def test_first_admin_with_a_common_password_is_refused(workstations: object) -> None:
    services = workstations.open()  # type: ignore[attr-defined]
    with pytest.raises(FieldErrors) as err:
        services.accounts.create_first_admin(
            {"username": "boss", "display_name": "Boss", "password": "letmein12345"}
        )
    assert "common" in err.value.errors["password"]
    assert services.accounts.needs_first_admin()


# --------------------------------------------------------------------------- guessing


def guess(services: Services, username: str, times: int) -> list[str]:
    """Wrong passwords in a row; the messages."""
    said: list[str] = []
    for n in range(times):
        with pytest.raises(AuthenticationFailed) as err:
            services.accounts.login(username, f"guess-number-{n:04d}")
        said.append(str(err.value))
    return said


def test_guessing_gets_a_growing_wait_and_the_right_password_waits_too(
    services: Services, admin: Principal, clock: Any, make_user: Callable[..., Principal]
) -> None:
    make_user("cruz", {Role.CLINICIAN})
    said = guess(services, "cruz", 5)
    assert all("wait" not in s for s in said[:4])
    assert "wait 30 seconds" in said[4]
    # During the wait even the right password is refused, without being checked.
    with pytest.raises(AuthenticationFailed, match="wait"):
        services.accounts.login("cruz", PASSWORD)
    clock.advance(seconds=31)
    assert "wait 60 seconds" in guess(services, "cruz", 1)[0]
    clock.advance(seconds=61)
    assert "wait 2 minutes" in guess(services, "cruz", 1)[0]
    clock.advance(seconds=121)
    # After the wait the right password works, and the count starts again.
    assert services.accounts.login("cruz", PASSWORD).username == "cruz"
    assert services.accounts.login_failures(admin) == []
    # Audited: each failure, and each wait when it began.
    entries = services.audit.recent(admin, 100)
    delayed = [e for e in entries if e.action == AuditAction.LOGIN_DELAYED]
    assert len(delayed) == 3
    assert all(e.username == "cruz" for e in delayed)
    assert "7 failed logins in a row" in delayed[0].detail
    assert services.audit.verify().intact


def test_an_unknown_name_waits_the_same_as_a_real_one(services: Services, admin: Principal) -> None:
    real = guess(services, "admin", 6)
    made_up = guess(services, "nobody.here", 6)
    assert real == made_up
    assert "wait" in real[-1]


def test_the_admin_sees_and_clears_the_wait(
    services: Services, admin: Principal, make_user: Callable[..., Principal]
) -> None:
    make_user("cruz", {Role.CLINICIAN})
    guess(services, "cruz", 6)  # the sixth comes during the wait: refused, not counted
    seen = services.accounts.login_failures(admin)
    assert [(f.username, f.failures) for f in seen] == [("cruz", 5)]

    services.accounts.clear_login_failures(admin, "cruz")

    assert services.accounts.login("cruz", PASSWORD).username == "cruz"
    change = services.audit.recent(admin, 5)
    assert any("cleared 5 failed logins" in e.detail for e in change)


def test_the_failure_count_is_for_the_admin_only(services: Services, clinician: Principal) -> None:
    from clinic_app.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.accounts.login_failures(clinician)
    with pytest.raises(PermissionDenied):
        services.accounts.clear_login_failures(clinician, "admin")


# --------------------------------------------------------------------------- data folder


@pytest.mark.parametrize("command", [["audit", "verify"], ["backup", "--out", "OUT"]])
def test_a_mistyped_data_folder_is_never_created(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "clinic-dta"
    args = [str(tmp_path / "b.sqlite3") if a == "OUT" else a for a in command]
    if command[0] == "backup":
        args += ["--user", "owner"]

    result = run_cli(tmp_path, typo, *args, password=ADMIN_PASSWORD)

    refused(result, str(typo), "does not exist")
    assert not typo.exists()
    assert not (tmp_path / "b.sqlite3").exists()


@pytest.mark.parametrize("content", [b"", b"this is not a database at all, just text\n" * 40])
def test_an_empty_or_foreign_database_file_is_damaged_not_a_new_practice(
    tmp_path: Path, content: bytes
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / DB_FILE).write_bytes(content)
    (data / DB_FILE).chmod(0o600)

    with pytest.raises(DatabaseCorrupt):
        open_database(sqlite_url(data / DB_FILE))
    assert (data / DB_FILE).read_bytes() == content

    result = run_cli(tmp_path, data, "audit", "verify")
    refused(result, "damaged", "empty" if not content else "not a database")
    assert (data / DB_FILE).read_bytes() == content


def test_an_empty_database_file_at_start_offers_the_backups(tmp_path: Path) -> None:
    from clinic_app.app import build_recovery, build_services
    from clinic_app.settings import load_settings
    from clinic_app.ui.application import open_services

    data = tmp_path / "data"
    make_practice(data)
    settings = load_settings(data)
    services = build_services(settings)
    owner = services.accounts.login("owner", ADMIN_PASSWORD)
    assert services.backup is not None
    (data / "backups").mkdir()
    services.backup.back_up(owner, data / "backups" / services.backup.suggested_name())
    shutil.copyfile(data / DB_FILE, tmp_path / "kept-for-comparison.sqlite3")
    (data / DB_FILE).write_bytes(b"")
    for side in ("-wal", "-shm"):
        (data / (DB_FILE + side)).unlink(missing_ok=True)

    class Choose:
        asked: list[str] = []  # noqa: RUF012 - one test's record

        def choose(self, _parent: object, title: str, text: str, buttons: list[str]) -> int:
            self.asked.append(f"{title}: {text} {buttons}")
            return 0  # "Restore the last good backup"

        def info(self, _parent: object, _title: str, _text: str) -> None:
            pass

        def error(self, _parent: object, title: str, text: str) -> None:
            raise AssertionError(f"{title}: {text}")

    dialogs = Choose()
    opened = open_services(
        lambda: build_services(settings),
        lambda: build_recovery(settings),
        dialogs,  # type: ignore[arg-type]
    )

    assert opened is not None
    assert "empty" in dialogs.asked[0]
    assert "Restore the last good backup" in dialogs.asked[0]
    assert opened.accounts.login("owner", ADMIN_PASSWORD).username == "owner"
    # The empty file was set aside, not deleted.
    assert any(p.stat().st_size == 0 for p in (data / "replaced").iterdir())


def test_the_accounts_pane_shows_guessing_to_the_admin(
    qtbot: object, services: Services, admin: Principal, make_user: Callable[..., Principal]
) -> None:
    from clinic_app.ui.views.accounts_pane import AccountsPane

    make_user("cruz", {Role.CLINICIAN})
    guess(services, "cruz", 5)
    guess(services, "no.such.user", 2)
    pane = AccountsPane(services)
    qtbot.addWidget(pane)  # type: ignore[attr-defined]
    pane.show_for(admin)

    def cell(row: int, col: int) -> str:
        item = pane.table.item(row, col)
        return item.text() if item is not None else ""

    names = [cell(r, 0) for r in range(pane.table.rowCount())]
    row = names.index("cruz")
    assert cell(row, 4).startswith("5 in a row, next try after ")
    assert cell(names.index("admin"), 4) == ""
    assert "no.such.user: 2 in a row" in pane.failures_label.text()

    pane.table.setCurrentCell(row, 0)
    pane.clear_button.click()

    assert cell(row, 4) == ""
    assert services.accounts.login("cruz", PASSWORD).username == "cruz"
