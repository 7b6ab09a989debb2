"""Walk the whole foundation through the real window: first admin, login, register a patient,
open an encounter, type, autosave, sign, add an addendum, then restart and read it all back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from clinic_app.app import build_services
from clinic_app.services.container import Services
from clinic_app.settings import load_settings
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow

pytestmark = pytest.mark.e2e

PASSWORD = "heel-and-sole-42"


class ScriptedDialogs(Dialogs):
    """Answers every question with a preset reply and records what was shown."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.shown: list[tuple[str, str]] = []

    def confirm(
        self, parent: QWidget | None, title: str, text: str, yes: str = "OK", **_banner: Any
    ) -> bool:
        self.shown.append((title, text))
        return self.answer

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))


@pytest.fixture
def data_dir(tmp_path: Path, fast_password_hashing: None) -> Path:
    return tmp_path / "data"


@pytest.fixture
def open_app(qtbot: QtBot, data_dir: Path) -> Iterator[Any]:
    """Start the app on the data folder the way `clinic-app --data-dir` does."""
    windows: list[MainWindow] = []

    def _open() -> tuple[MainWindow, Services, ScriptedDialogs]:
        services = build_services(load_settings(data_dir))
        dialogs = ScriptedDialogs()
        window = MainWindow(services, idle_lock_minutes=10, dialogs=dialogs)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
        windows.append(window)
        return window, services, dialogs

    yield _open
    for window in windows:
        window.close()


def find(window: QWidget, cls: type, name: str) -> Any:
    widget = window.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    """A key chord sent where the user's focus is, so menu shortcuts fire as they would."""
    target = QApplication.focusWidget()
    assert target is not None, "nothing has keyboard focus"
    qtbot.keyClick(target, key, modifiers)


CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type as key presses; characters beyond ASCII arrive as key events carrying their text
    (QTest.keyClicks only maps ASCII to keys)."""
    widget.setFocus()
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def test_login_register_chart_sign_addendum_then_read_back(qtbot: QtBot, open_app: Any) -> None:
    window, services, dialogs = open_app()

    # First start on an empty database asks for the first admin.
    assert window.pages.currentWidget() is window.setup_page
    type_into(qtbot, find(window, QLineEdit, "practice_name"), "Sole Care Podiatry")
    type_into(qtbot, find(window, QLineEdit, "setup_username"), "jlopez")
    type_into(qtbot, find(window, QLineEdit, "setup_display_name"), "Dr Jo Lopez")
    type_into(qtbot, find(window, QLineEdit, "setup_password"), PASSWORD)
    type_into(qtbot, find(window, QLineEdit, "setup_password2"), PASSWORD)
    qtbot.keyClick(find(window, QLineEdit, "setup_password2"), Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.workspace
    assert window.principal is not None
    assert window.principal.username == "jlopez"

    # Register a patient with the keyboard; a bad date is refused at its field first.
    press(qtbot, Qt.Key.Key_N, CTRL)
    assert window.right.currentWidget() is window.patient_editor
    type_into(qtbot, find(window, QLineEdit, "patient_family_name"), "Núñez")
    type_into(qtbot, find(window, QLineEdit, "patient_given_name"), "Ana")
    type_into(qtbot, find(window, QLineEdit, "patient_date_of_birth"), "2999-01-01")
    type_into(qtbot, find(window, QLineEdit, "patient_phone"), "555 010 4477")
    qtbot.keyClick(find(window, QLineEdit, "patient_phone"), Qt.Key.Key_Return)
    dob_error = find(window, QLabel, "patient_date_of_birth_error")
    assert dob_error.isVisible()
    assert "future" in dob_error.text()
    assert services.patients.search(window.principal, "nunez") == []  # nothing written

    dob = find(window, QLineEdit, "patient_date_of_birth")
    dob.clear()
    type_into(qtbot, dob, "1961-07-15")
    qtbot.keyClick(dob, Qt.Key.Key_Return)
    assert window.right.currentWidget() is window.chart_view
    assert "Núñez, Ana" in find(window, QLabel, "chart_demographics").text()

    # Open an encounter and type notes; the draft autosaves within about a second.
    qtbot.keyClick(
        window,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    type_into(qtbot, find(window, QLineEdit, "new_encounter_reason"), "Numb sole, right")
    qtbot.keyClick(find(window, QLineEdit, "new_encounter_reason"), Qt.Key.Key_Return)
    assert window.right.currentWidget() is window.encounter_pane
    notes = find(window, QPlainTextEdit, "encounter_notes")
    type_into(qtbot, notes, "Burning sole for 3 months.")
    status = find(window, QLabel, "save_status")
    qtbot.waitUntil(lambda: status.text().startswith("Saved"), timeout=3000)

    # Sign with the keyboard shortcut (the confirmation is answered yes).
    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert any(title == "Sign encounter" for title, _ in dialogs.shown)
    pane = window.encounter_pane
    assert pane.encounter is not None
    assert pane.encounter.is_signed
    assert notes.isReadOnly()
    signature = find(window, QLabel, "signature_block").text()
    assert "Dr Jo Lopez" in signature
    assert pane.encounter.content_hash is not None
    assert pane.encounter.content_hash[:12] in signature

    # An addendum amends without changing the signed notes.
    type_into(qtbot, find(window, QPlainTextEdit, "addendum_text"), "EMG booked.")
    qtbot.mouseClick(find(window, QPushButton, "addendum_button"), Qt.MouseButton.LeftButton)
    assert "EMG booked." in find(window, QLabel, "addenda_list").text()
    encounter_id = pane.encounter.id
    window.close()

    # Restart: a new window over the same data folder asks for a login.
    window2, _services2, _ = open_app()
    assert window2.pages.currentWidget() is window2.login_page
    type_into(qtbot, find(window2, QLineEdit, "login_username"), "jlopez")
    type_into(qtbot, find(window2, QLineEdit, "login_password"), "wrong password")
    qtbot.keyClick(find(window2, QLineEdit, "login_password"), Qt.Key.Key_Return)
    assert "Wrong user name or password" in find(window2, QLabel, "login_message").text()
    type_into(qtbot, find(window2, QLineEdit, "login_password"), PASSWORD)
    qtbot.keyClick(find(window2, QLineEdit, "login_password"), Qt.Key.Key_Return)
    assert window2.pages.currentWidget() is window2.workspace

    search = find(window2, QLineEdit, "patient_search")
    type_into(qtbot, search, "nunez ana")
    qtbot.waitUntil(lambda: window2.results_model.rowCount() == 1, timeout=3000)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert window2.right.currentWidget() is window2.chart_view
    assert window2.chart_view.encounters.model().rowCount() == 1
    assert window2.chart_view.selected_encounter_id() == encounter_id
    qtbot.keyClick(window2.chart_view.encounters, Qt.Key.Key_Return)
    assert window2.right.currentWidget() is window2.encounter_pane
    pane2 = window2.encounter_pane
    assert pane2.encounter is not None
    assert pane2.encounter.content.notes == "Burning sole for 3 months."
    assert pane2.encounter.is_signed
    assert [a.text for a in pane2.encounter.addenda] == ["EMG booked."]
    assert not find(window2, QLabel, "integrity_alert").isVisible()
    assert find(window2, QPlainTextEdit, "encounter_notes").isReadOnly()
    assert services.audit.verify().intact


def test_idle_lock_keeps_the_draft_and_unlocks_to_it(qtbot: QtBot, open_app: Any) -> None:
    window, services, _ = open_app()
    admin = services.accounts.create_first_admin(
        {"username": "doc", "display_name": "Dr Doc", "password": PASSWORD, "roles": ["clinician"]}
    )
    window.show_start_page()
    type_into(qtbot, find(window, QLineEdit, "login_username"), admin.username)
    type_into(qtbot, find(window, QLineEdit, "login_password"), PASSWORD)
    qtbot.keyClick(find(window, QLineEdit, "login_password"), Qt.Key.Key_Return)
    principal = window.principal
    assert principal is not None
    patient = services.patients.register(
        principal, {"family_name": "Lee", "given_name": "Sam", "date_of_birth": "1970-01-01"}
    )
    enc = services.encounters.create(
        principal,
        {"patient_id": patient.id, "encounter_date": services.clock.today(), "reason": "Heel"},
    )
    window.open_encounter(enc.id)
    notes = find(window, QPlainTextEdit, "encounter_notes")
    type_into(qtbot, notes, "Typed just before the lock")

    window.idle_timer.setInterval(50)
    window.idle_timer.start()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.login_page, timeout=3000)
    # Locking saved the draft.
    assert services.encounters.get(principal, enc.id).encounter.content.notes == (
        "Typed just before the lock"
    )
    username = find(window, QLineEdit, "login_username")
    assert not username.isEnabled()
    assert username.text() == "doc"
    type_into(qtbot, find(window, QLineEdit, "login_password"), PASSWORD)
    qtbot.keyClick(find(window, QLineEdit, "login_password"), Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.workspace
    assert window.right.currentWidget() is window.encounter_pane
    assert notes.toPlainText() == "Typed just before the lock"
