"""The first-run page: practice details, first admin and where the records live, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from clinic_app.app import build_services, database_setup, form_catalog
from clinic_app.domain.account import Role
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.settings import SETTINGS_FILE, load_settings
from clinic_app.storage.bootstrap import open_database
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow

PASSWORD = "heel-and-sole-42"
SECRET = "pg-s3cret-word"


class ScriptedDialogs(Dialogs):
    """Hands out a preset file when asked for one; records every message shown."""

    def __init__(self) -> None:
        self.next_file: Path | None = None
        self.shown: list[tuple[str, str]] = []

    def open_file(
        self, parent: QWidget | None, title: str, folder: Path, name_filter: str
    ) -> Path | None:
        return self.next_file

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))


@pytest.fixture
def logo_png(tmp_path: Path) -> Path:
    """A small real PNG image."""
    image = QImage(120, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("#2a6f97"))
    path = tmp_path / "logo.png"
    assert image.save(str(path), "PNG")
    return path


@pytest.fixture
def open_app(qtbot: QtBot, tmp_path: Path, fast_password_hashing: None) -> Iterator[Any]:
    """Start the app on a data folder as `clinic-app --data-dir` does, with the server hooks."""
    windows: list[MainWindow] = []
    engines: list[Engine] = []

    def on_server(url: str) -> Services:
        # As app.database_setup opens it, but keeping the engine so the test can close it.
        engine, uow_factory = open_database(url)
        engines.append(engine)
        return Services.build(uow_factory, SystemClock(), form_catalog())

    def _open(data_dir: Path | None = None) -> tuple[MainWindow, ScriptedDialogs]:
        settings = load_settings(data_dir or tmp_path / "data")
        dialogs = ScriptedDialogs()
        setup = replace(database_setup(settings), open=on_server)
        window = MainWindow(build_services(settings), 10, dialogs=dialogs, setup=setup)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
        windows.append(window)
        return window, dialogs

    yield _open
    for window in windows:
        if window.successor is not None:
            window.successor.close()
        window.close()
    for engine in engines:
        engine.dispose()


def find(window: QWidget, cls: type, name: str) -> Any:
    widget = window.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def fill(qtbot: QtBot, window: MainWindow, **values: str) -> None:
    """Type into the named line edits (practice address is a multi-line box)."""
    for name, text in values.items():
        if name == "practice_address":
            find(window, QPlainTextEdit, name).setPlainText(text)
            continue
        edit = find(window, QLineEdit, name)
        edit.clear()
        qtbot.keyClicks(edit, text)


GOOD = {
    "practice_name": "Sole Care Podiatry",
    "practice_address": "12 Arch Street\nSpringfield IL 62701",
    "practice_phone": "(555) 010-2000",
    "setup_username": "jlopez",
    "setup_display_name": "Dr Jo Lopez",
    "setup_password": PASSWORD,
    "setup_password2": PASSWORD,
}


def error_text(window: MainWindow, name: str) -> str:
    label = find(window, QLabel, f"{name}_error")
    return label.text() if label.isVisibleTo(window) else ""


def test_first_run_on_this_computer_then_restart(
    qtbot: QtBot, open_app: Any, logo_png: Path, tmp_path: Path
) -> None:
    window, dialogs = open_app()
    assert window.pages.currentWidget() is window.setup_page
    page = window.setup_page
    assert str(tmp_path / "data") in find(window, QLabel, "setup_data_folder").text()

    fill(qtbot, window, **GOOD)
    dialogs.next_file = logo_png
    qtbot.mouseClick(page.practice.logo.editor.choose_button, Qt.MouseButton.LeftButton)
    assert not page.practice.logo.editor.preview.pixmap().isNull()
    qtbot.keyClick(find(window, QLineEdit, "setup_password2"), Qt.Key.Key_Return)

    assert window.pages.currentWidget() is window.workspace
    assert window.principal is not None
    assert window.principal.roles == frozenset({Role.ADMIN, Role.CLINICIAN})
    assert not (tmp_path / "data" / SETTINGS_FILE).exists()  # stays on this computer

    # A new start reads the same folder: the details are there and the admin logs in.
    again, _ = open_app()
    assert again.pages.currentWidget() is again.login_page
    details = again.services.practice.get()
    assert details is not None
    assert details.name == "Sole Care Podiatry"
    assert details.address == ("12 Arch Street", "Springfield IL 62701")
    assert details.phone == "(555) 010-2000"
    assert details.logo == logo_png.read_bytes()
    fill(qtbot, again, login_username="jlopez", login_password=PASSWORD)
    qtbot.keyClick(find(again, QLineEdit, "login_password"), Qt.Key.Key_Return)
    assert again.pages.currentWidget() is again.workspace


def test_bad_fields_show_messages_at_the_field_and_nothing_is_written(
    qtbot: QtBot, open_app: Any, tmp_path: Path
) -> None:
    window, dialogs = open_app()
    page = window.setup_page
    fill(
        qtbot,
        window,
        **{
            **GOOD,
            "practice_name": " ",
            "practice_phone": "call the desk",
            "setup_password": "short",
            "setup_password2": "short",
        },
    )
    gif = tmp_path / "logo.gif"
    gif.write_bytes(b"GIF89a" + b"\x00" * 20)
    dialogs.next_file = gif
    qtbot.mouseClick(page.practice.logo.editor.choose_button, Qt.MouseButton.LeftButton)
    assert "PNG or JPEG" in error_text(window, "practice_logo")
    assert page.practice.logo.editor.data is None

    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)

    assert window.pages.currentWidget() is page
    assert "practice's name" in error_text(window, "practice_name")
    assert "only digits" in error_text(window, "practice_phone")
    assert "at least 12" in error_text(window, "setup_password")
    assert find(window, QLineEdit, "practice_name").hasFocus()
    assert window.services.accounts.needs_first_admin()
    assert window.services.practice.get() is None

    fill(qtbot, window, setup_password2="different-password")
    qtbot.keyClick(find(window, QLineEdit, "setup_password2"), Qt.Key.Key_Return)
    assert "differ" in error_text(window, "setup_password2")


def test_an_unreachable_server_is_refused_at_the_url_field(
    qtbot: QtBot, open_app: Any, tmp_path: Path
) -> None:
    window, _ = open_app()
    page = window.setup_page
    fill(qtbot, window, **GOOD)
    page.server_choice.setChecked(True)
    fill(qtbot, window, setup_db_url=f"postgresql://clinic:{SECRET}@127.0.0.1:1/clinic")

    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)

    message = error_text(window, "setup_db_url")
    assert "Cannot connect" in message
    assert SECRET not in message
    assert window.pages.currentWidget() is page
    assert window.successor is None
    assert not (tmp_path / "data" / SETTINGS_FILE).exists()

    fill(qtbot, window, setup_db_url="mysql://clinic@server/clinic")
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert "Only a PostgreSQL server" in error_text(window, "setup_db_url")


def test_a_good_server_is_set_up_and_a_second_workstation_joins_it(
    qtbot: QtBot, open_app: Any, tmp_path: Path, pg_databases: Any
) -> None:
    url = pg_databases.take()
    window, _ = open_app()
    page = window.setup_page
    fill(qtbot, window, **GOOD)
    page.server_choice.setChecked(True)
    fill(qtbot, window, setup_db_url=url)
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert "empty" in find(window, QLabel, "setup_probe_status").text()

    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)

    moved = window.successor
    assert moved is not None
    assert moved.pages.currentWidget() is moved.workspace
    assert moved.principal is not None
    assert moved.principal.username == "jlopez"
    saved = json.loads((tmp_path / "data" / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert saved["db_url"] == url
    # The records are on the server, not in this computer's file.
    assert load_settings(tmp_path / "data").database_url == url
    server = moved.services
    details = server.practice.get()
    assert details is not None
    assert details.name == "Sole Care Podiatry"
    assert not server.accounts.needs_first_admin()
    assert window.services.accounts.needs_first_admin()

    # A second workstation pointed at the same server joins: no new admin, straight to login.
    second, _ = open_app(tmp_path / "second")
    page2 = second.setup_page
    page2.server_choice.setChecked(True)
    fill(qtbot, second, setup_db_url=url)
    qtbot.keyClick(find(second, QLineEdit, "setup_db_url"), Qt.Key.Key_Return)
    joined = second.successor
    assert joined is not None
    assert joined.pages.currentWidget() is joined.login_page
    admin = joined.services.accounts.login("jlopez", PASSWORD)
    assert [a.username for a in joined.services.accounts.list_accounts(admin)] == ["jlopez"]


def test_screenshot_of_the_setup_page(qtbot: QtBot, open_app: Any) -> None:
    window, _ = open_app()
    assert window.size().width() == 1366
    window.setup_page.server_choice.setChecked(True)
    window.grab().save("/tmp/first_run.png")
    assert Path("/tmp/first_run.png").stat().st_size > 0


def test_first_run_restores_a_backup_as_one_of_its_admins(
    qtbot: QtBot, tmp_path: Path, open_app: Any
) -> None:
    # The practice's old computer: an admin who also charts, one patient, a backup.
    old = build_services(load_settings(tmp_path / "old"))
    old.accounts.create_first_admin(
        {
            "username": "owner",
            "display_name": "Dr Owner",
            "password": PASSWORD,
            "roles": ["admin", "clinician"],
        }
    )
    owner = old.accounts.login("owner", PASSWORD)
    old.patients.register(
        owner, {"family_name": "Okafor", "given_name": "Grace", "date_of_birth": "1958-05-06"}
    )
    backup = tmp_path / "moving" / "practice.sqlite3"
    backup.parent.mkdir()
    assert old.backup is not None
    old.backup.back_up(owner, backup)

    window, dialogs = open_app(tmp_path / "new")
    assert window.pages.currentWidget() is window.setup_page
    button = find(window, QPushButton, "setup_restore")
    assert button.isVisible()
    dialogs.next_file = backup

    # A wrong password: refused on the page, nothing restored.
    dialogs.ask_login = lambda *_a: ("owner", "not-the-password-at-all")  # type: ignore[method-assign]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    message = find(window, QLabel, "setup_message")
    assert message.isVisible()
    assert "The backup was not restored" in message.text()
    assert window.successor is None

    dialogs.ask_login = lambda *_a: ("owner", PASSWORD)  # type: ignore[method-assign]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    moved = window.successor
    assert moved is not None
    assert moved.pages.currentWidget() is moved.login_page
    principal = moved.services.accounts.login("owner", PASSWORD)
    found = moved.services.patients.search(principal, "okafor")
    assert [p.family_name for p in found] == ["Okafor"]
