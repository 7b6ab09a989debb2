"""The admin's practice details editor: letterhead, release timeline per language, conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from clinic_app.app import build_services
from clinic_app.domain.account import Principal, Role
from clinic_app.services.container import Services
from clinic_app.settings import load_settings
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.views.practice_dialog import PracticeDialog

PASSWORD = "heel-and-sole-42"


@pytest.fixture
def services(tmp_path: Path, fast_password_hashing: None) -> Services:
    """A practice set up on first run, with an admin who is also a clinician."""
    services = build_services(load_settings(tmp_path / "data"))
    services.practice.set_up(
        {"username": "owner", "display_name": "Dr Owner", "password": PASSWORD},
        {"name": "Sole Care Podiatry", "phone": "555 010 2000"},
    )
    return services


@pytest.fixture
def owner(services: Services) -> Principal:
    """The logged-in admin."""
    return services.accounts.login("owner", PASSWORD)


@pytest.fixture
def dialog(qtbot: QtBot, services: Services, owner: Principal) -> PracticeDialog:
    """The editor, shown."""
    dialog = PracticeDialog(services, owner, Dialogs())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_editor_loads_edits_and_saves_letterhead_and_timeline(
    qtbot: QtBot, dialog: PracticeDialog, services: Services
) -> None:
    assert dialog.practice.name.editor.text() == "Sole Care Podiatry"
    english = dialog.timelines[next(iter(dialog.timelines))]
    assert english.use_own.isChecked()
    assert not english.steps.editor.isEnabled()

    dialog.practice.address.editor.setPlainText("12 Arch Street\nSpringfield")
    english.use_own.setChecked(False)  # starts from the handout's own steps
    assert "weight" in english.steps.editor.toPlainText()
    english.steps.editor.setPlainText("Week 1: rest.\n\nWeek 6: sneakers.\n")
    qtbot.keyClick(dialog.practice.phone.editor, Qt.Key.Key_Return)

    stored = services.practice.get()
    assert stored is not None
    assert stored.address == ("12 Arch Street", "Springfield")
    assert stored.timeline_for("en") == ("Week 1: rest.", "Week 6: sneakers.")
    assert stored.timeline_for("es") is None
    assert stored.version == 2


def test_a_bad_step_is_shown_at_its_language_and_nothing_is_saved(
    dialog: PracticeDialog, services: Services
) -> None:
    spanish = list(dialog.timelines.values())[1]
    spanish.use_own.setChecked(False)
    spanish.steps.editor.setPlainText("x" * 201)

    assert not dialog.save()

    error = dialog.findChild(QLabel, "timeline_es_error")
    assert error is not None
    assert "longer than 200" in error.text()
    stored = services.practice.get()
    assert stored is not None
    assert stored.release_timeline is None


def test_a_save_from_elsewhere_is_a_conflict_and_the_typing_stays(
    dialog: PracticeDialog, services: Services, owner: Principal
) -> None:
    services.practice.update(owner, {"name": "Heel & Toe"}, 1)
    dialog.practice.name.editor.setText("My new name")

    assert not dialog.save()

    message = dialog.findChild(QLabel, "practice_message")
    assert message is not None
    assert "Someone else changed" in message.text()
    assert dialog.practice.name.editor.text() == "My new name"
    dialog.load()
    assert dialog.practice.name.editor.text() == "Heel & Toe"
    assert dialog.save()


def test_only_admins_get_the_menu_action(
    qtbot: QtBot, services: Services, owner: Principal
) -> None:
    window = MainWindow(services, idle_lock_minutes=10)
    qtbot.addWidget(window)
    window._logged_in(owner)
    assert window.practice_action.isEnabled()
    window.show_practice_details()
    assert window.practice_dialog is not None
    assert window.practice_dialog.isVisible()
    window.practice_dialog.reject()

    services.accounts.create_account(
        owner,
        {
            "username": "desk",
            "display_name": "Desk",
            "password": PASSWORD,
            "roles": {Role.FRONT_DESK},
        },
    )
    window.log_out()
    window._logged_in(services.accounts.login("desk", PASSWORD))
    assert not window.practice_action.isEnabled()


def test_driving_words_per_language_and_the_one_language_warning(
    qtbot: QtBot, dialog: PracticeDialog, services: Services
) -> None:
    english, spanish = (dialog.driving[lang] for lang in dialog.driving)
    warning = dialog.language_warning
    assert not warning.isVisible() or not warning.text()

    # Words in English only: the dialog says a Spanish patient gets the generic text.
    qtbot.keyClicks(english.sides["right"].editor, "About 6 weeks, once out of the boot")
    assert warning.isVisible()
    assert warning.text()

    qtbot.keyClicks(spanish.sides["right"].editor, "Unas 6 semanas, sin la bota")
    assert not warning.isVisible() or not warning.text()

    qtbot.keyClicks(dialog.fever_value, "100.4")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stored = services.practice.get()
    assert stored is not None
    assert stored.driving is not None
    saved = {lang.value: entry for lang, entry in stored.driving.items()}
    assert saved["en"].right == "About 6 weeks, once out of the boot"
    assert saved["es"].right == "Unas 6 semanas, sin la bota"
    assert stored.fever_threshold is not None


def test_the_first_run_address_box_has_the_lines_the_practice_takes() -> None:
    # practice_fields keeps its own copy so the first-run page loads no domain model.
    from clinic_app.domain.practice import MAX_ADDRESS_LINES
    from clinic_app.ui.views.practice_fields import ADDRESS_LINES

    assert ADDRESS_LINES == MAX_ADDRESS_LINES
