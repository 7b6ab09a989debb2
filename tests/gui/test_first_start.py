"""A new practice's first start: the set-up page comes up before the records are opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from clinic_app.app import build_services, database_setup
from clinic_app.domain.account import Role
from clinic_app.settings import load_settings
from clinic_app.ui.application import StartUp, run
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.views.session_pages import SetupPage

pytestmark = pytest.mark.gui

PASSWORD = "heel-and-sole-42"
GOOD = {
    "practice_name": "Sole Care Podiatry",
    "practice_phone": "(555) 010-2000",
    "setup_username": "jlopez",
    "setup_display_name": "Dr Jo Lopez",
    "setup_password": PASSWORD,
    "setup_password2": PASSWORD,
}


def test_set_up_page_first_then_the_workspace_over_the_opened_records(
    qtbot: QtBot, tmp_path: Path, fast_password_hashing: None
) -> None:
    settings = load_settings(tmp_path / "data")
    built: list[int] = []
    seen: dict[str, Any] = {}

    def build() -> Any:
        built.append(1)
        return build_services(settings)

    def drive() -> None:
        shells = [
            w for w in QApplication.topLevelWidgets() if w.isVisible() and w.findChild(SetupPage)
        ]
        assert len(shells) == 1, shells
        assert not isinstance(shells[0], MainWindow)  # the page alone, not the workspace
        page = shells[0].findChild(SetupPage)
        for name, text in GOOD.items():
            edit = page.findChild(QLineEdit, name)
            edit.setText(text)
        page.findChild(QPlainTextEdit, "practice_address").setPlainText("12 Arch Street")
        page.create_button.click()
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        seen["windows"] = [w for w in windows if w.isVisible()]
        seen["principal"] = seen["windows"][0].principal if seen["windows"] else None
        seen["shell_visible"] = shells[0].isVisible()
        for window in windows:
            window.close()
        QApplication.instance().quit()

    QTimer.singleShot(300, drive)
    status = run(
        settings,
        build,
        None,
        lambda: database_setup(settings),
        StartUp(accounts_exist=lambda: False),
    )

    assert status == 0
    assert built == [1]
    assert len(seen["windows"]) == 1
    assert seen["principal"] is not None
    assert seen["principal"].roles == frozenset({Role.ADMIN, Role.CLINICIAN})
    assert seen["shell_visible"] is False
    assert (tmp_path / "data" / "clinic.sqlite3").exists()
