"""Backup menu actions, the backup schedule and the damaged-database dialog at start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from clinic_app.app import backup_policy, build_recovery, build_services
from clinic_app.domain.account import Principal
from clinic_app.domain.errors import DatabaseCorrupt
from clinic_app.services.backup import BackupPolicy, BackupService
from clinic_app.services.container import Services
from clinic_app.settings import DB_FILE, AppSettings, load_settings
from clinic_app.ui.application import open_services
from clinic_app.ui.views.backup_actions import BackupActions

PASSWORD = "correct horse"


class FakeDialogs:
    """Records every message; answers questions from preset values."""

    def __init__(self) -> None:
        self.infos: list[str] = []
        self.errors: list[str] = []
        self.choices: list[list[str]] = []
        self.answer_choice: int | None = 0
        self.answer_confirm = True
        self.save_to: Path | None = None
        self.open_path: Path | None = None

    def info(self, parent: Any, title: str, text: str) -> None:
        self.infos.append(f"{title}: {text}")

    def error(self, parent: Any, title: str, text: str) -> None:
        self.errors.append(f"{title}: {text}")

    def confirm(self, parent: Any, title: str, text: str, yes: str = "OK") -> bool:
        return self.answer_confirm

    def choose(self, parent: Any, title: str, text: str, options: list[str]) -> int | None:
        self.choices.append(options)
        return self.answer_choice

    def save_file(self, parent: Any, title: str, suggested: Path, name_filter: str) -> Path | None:
        return self.save_to

    def open_file(self, parent: Any, title: str, folder: Path, name_filter: str) -> Path | None:
        return self.open_path


@pytest.fixture
def settings(tmp_path: Path, fast_password_hashing: None) -> AppSettings:
    """Settings over a fresh data folder."""
    return load_settings(tmp_path / "data")


@pytest.fixture
def app_services(settings: AppSettings) -> Iterator[Services]:
    """The services as the app builds them, with backups wired."""
    services = build_services(settings)
    yield services
    # Release the database file (the adapter shares the services' engine).
    services.backup._adapter._engine.dispose()  # type: ignore[union-attr]


@pytest.fixture
def owner(app_services: Services) -> Principal:
    """The practice admin, logged in."""
    app_services.accounts.create_first_admin(
        {"username": "owner", "display_name": "Dr Owner", "password": PASSWORD}
    )
    return app_services.accounts.login("owner", PASSWORD)


@pytest.fixture
def dialogs() -> FakeDialogs:
    """The dialog seam."""
    return FakeDialogs()


@pytest.fixture
def actions(
    qtbot: QtBot, app_services: Services, dialogs: FakeDialogs
) -> Iterator[tuple[BackupActions, list[str]]]:
    """BackupActions over the real services; quitting is recorded, not done."""
    parent = QWidget()
    qtbot.addWidget(parent)
    quits: list[str] = []
    found = BackupActions(parent, app_services, dialogs, quit_app=lambda: quits.append("quit"))  # type: ignore[arg-type]
    yield found, quits
    found.stop_schedule()
    found.wait()


def test_back_up_now_writes_a_verified_backup(
    qtbot: QtBot,
    actions: tuple[BackupActions, list[str]],
    owner: Principal,
    dialogs: FakeDialogs,
    tmp_path: Path,
) -> None:
    backup_actions, _quits = actions
    backup_actions.set_user(owner)
    dialogs.save_to = tmp_path / "now.sqlite3"
    with qtbot.waitSignal(backup_actions.sig_backup_finished, timeout=20_000) as blocker:
        backup_actions.back_up_now()
    assert blocker.args == [str(tmp_path / "now.sqlite3")]
    assert (tmp_path / "now.sqlite3").is_file()
    assert dialogs.errors == []
    assert "written and checked" in dialogs.infos[-1]


def test_back_up_now_is_for_admins(
    actions: tuple[BackupActions, list[str]], dialogs: FakeDialogs, tmp_path: Path
) -> None:
    backup_actions, _quits = actions
    dialogs.save_to = tmp_path / "nobody.sqlite3"
    backup_actions.back_up_now()
    assert "Only a practice admin" in dialogs.errors[-1]
    assert not backup_actions.busy
    assert not (tmp_path / "nobody.sqlite3").exists()


def test_schedule_makes_a_backup_at_start(
    qtbot: QtBot,
    actions: tuple[BackupActions, list[str]],
    owner: Principal,
    app_services: Services,
) -> None:
    backup_actions, _quits = actions
    with qtbot.waitSignal(backup_actions.sig_backup_finished, timeout=20_000) as blocker:
        backup_actions.start_schedule()
    made = Path(blocker.args[0])
    assert made.parent == app_services.backup.policy.folder  # type: ignore[union-attr]
    assert backup_actions.schedule_timer.isActive()
    # Not due again within the day: the next check does nothing.
    backup_actions.check_schedule()
    assert not backup_actions.busy


def test_schedule_failures_are_shown_once(
    qtbot: QtBot,
    app_services: Services,
    owner: Principal,
    dialogs: FakeDialogs,
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    service = app_services.backup
    assert service is not None
    broken = BackupService(
        service._adapter,
        service._uow,
        app_services.clock,
        BackupPolicy(blocked / "backups", 3, timedelta(hours=24)),
    )
    parent = QWidget()
    qtbot.addWidget(parent)
    patched = Services(**{**app_services.__dict__, "backup": broken})
    backup_actions = BackupActions(parent, patched, dialogs)  # type: ignore[arg-type]
    try:
        for _ in range(3):
            with qtbot.waitSignal(backup_actions.sig_backup_failed, timeout=20_000):
                backup_actions.check_schedule()
        assert len(dialogs.errors) == 1
        assert "cannot be created" in dialogs.errors[0]
    finally:
        backup_actions.wait()


def test_restore_replaces_the_database_and_closes_the_app(
    qtbot: QtBot,
    actions: tuple[BackupActions, list[str]],
    owner: Principal,
    app_services: Services,
    dialogs: FakeDialogs,
    tmp_path: Path,
) -> None:
    backup_actions, quits = actions
    backup_actions.set_user(owner)
    service = app_services.backup
    assert service is not None
    backup = tmp_path / "before.sqlite3"
    service.back_up(owner, backup)
    app_services.accounts.create_account(
        owner,
        {
            "username": "later",
            "display_name": "Later",
            "password": PASSWORD,
            "roles": ["clinician"],
        },
    )
    dialogs.open_path = backup
    with qtbot.waitSignal(backup_actions.sig_restored, timeout=30_000):
        backup_actions.restore()
    assert quits == ["quit"]
    assert dialogs.errors == []
    assert [a.username for a in app_services.accounts.list_accounts(owner)] == ["owner"]


def test_restore_declined_changes_nothing(
    qtbot: QtBot,
    actions: tuple[BackupActions, list[str]],
    owner: Principal,
    app_services: Services,
    dialogs: FakeDialogs,
    tmp_path: Path,
) -> None:
    backup_actions, quits = actions
    backup_actions.set_user(owner)
    backup = tmp_path / "declined.sqlite3"
    app_services.backup.back_up(owner, backup)  # type: ignore[union-attr]
    dialogs.open_path = backup
    dialogs.answer_confirm = False
    backup_actions.restore()
    qtbot.waitUntil(lambda: not backup_actions.busy, timeout=20_000)
    assert quits == []
    assert not (tmp_path / "data" / "replaced").exists()


# --------------------------------------------------------------------------- damaged at start


def damage(settings: AppSettings) -> None:
    """Overwrite the database file with bytes SQLite does not recognise."""
    path = settings.data_dir / DB_FILE
    path.write_bytes(b"this is not a database " * 400)
    for side in ("-wal", "-shm"):
        path.with_name(path.name + side).unlink(missing_ok=True)


def test_damaged_database_offers_the_last_good_backup(
    qapp: Any, settings: AppSettings, owner: Principal, app_services: Services
) -> None:
    service = app_services.backup
    assert service is not None
    made = service.run_scheduled()
    assert made is not None
    service._adapter._engine.dispose()  # type: ignore[attr-defined]
    damage(settings)
    dialogs = FakeDialogs()
    dialogs.answer_choice = 0

    reopened = open_services(
        lambda: build_services(settings),
        lambda: build_recovery(settings),
        dialogs,  # type: ignore[arg-type]
    )

    assert reopened is not None
    assert dialogs.choices[0][0].startswith("Restore the last good backup (")
    assert dialogs.choices[0][1:] == ["Retry", "Quit"]
    assert reopened.accounts.login("owner", PASSWORD).username == "owner"
    kept = list((settings.data_dir / "replaced").iterdir())
    assert [p.name.endswith("-damaged.sqlite3") for p in kept] == [True]
    assert kept[0].read_bytes().startswith(b"this is not a database")
    assert "damaged file is kept" in dialogs.infos[-1]


def test_damaged_database_without_a_backup_offers_retry_or_quit(
    qapp: Any, settings: AppSettings, app_services: Services
) -> None:
    app_services.backup._adapter._engine.dispose()  # type: ignore[union-attr]
    damage(settings)
    dialogs = FakeDialogs()
    dialogs.answer_choice = 1  # Quit
    calls: list[int] = []

    def build() -> Services:
        calls.append(1)
        raise DatabaseCorrupt("The database file is damaged (file is not a database).")

    assert open_services(build, lambda: build_recovery(settings), dialogs) is None  # type: ignore[arg-type]
    assert dialogs.choices == [["Retry", "Quit"]]
    assert calls == [1]
    assert backup_policy(settings).folder == settings.data_dir / "backups"


def test_a_backup_the_admin_waits_for_shows_a_moving_bar_until_it_is_checked(
    qtbot: QtBot,
    actions: tuple[BackupActions, list[str]],
    owner: Principal,
    dialogs: FakeDialogs,
    tmp_path: Path,
) -> None:
    backup_actions, _quits = actions
    backup_actions.set_user(owner)
    dialogs.save_to = tmp_path / "now.sqlite3"
    with qtbot.waitSignal(backup_actions.sig_backup_finished, timeout=20_000):
        backup_actions.back_up_now()
        busy = backup_actions._busy
        assert busy is not None
        assert busy.maximum() == 0  # a moving bar: the backup does not count its steps
        assert "backup" in busy.labelText()

    assert not busy.isVisible()
