"""Who is being charted: the patient banner on the encounter, in the sign and addendum
dialogs and in the window title; allergies and medications entered in the patient editor.

Real window, real dialogs (answered with real key presses), real storage.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QMessageBox, QPlainTextEdit, QPushButton
from test_exam_charting import open_draft

from clinic_app.app import build_services
from clinic_app.domain.audit import AuditAction
from clinic_app.settings import load_settings
from clinic_app.ui.main_window import MainWindow

pytestmark = pytest.mark.e2e


def give_allergies(clinic: dict[str, Any]) -> None:
    """Grace's record gets a penicillin allergy and her metformin (as the front desk would)."""
    services = build_services(load_settings(clinic["data_dir"]))
    who = clinic["principal"]
    grace = services.patients.get(who, clinic["patient_id"])
    raw = grace.model_dump(mode="json", exclude={"id", "version"})
    raw.update(allergy_status="listed", allergies="penicillin (rash)", medications="metformin")
    services.patients.update(who, grace.id, raw, grace.version)


def answer_next_question(qtbot: Any, key: Qt.Key, seen: list[dict[str, str]]) -> None:
    """When the next modal question opens, note what it shows and press a key in it."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        seen.append(
            {
                "title": box.windowTitle(),
                "text": plain(box.text()),
                "default": box.defaultButton().text(),
            }
        )
        qtbot.keyClick(box, key)

    QTimer.singleShot(0, answer)


def plain(html: str) -> str:
    """Rich text as read on screen (no-break spaces read as spaces)."""
    return QTextDocumentFragment.fromHtml(html).toPlainText().replace("\xa0", " ")


def age_today() -> int:
    today = date.today()
    return today.year - 1958 - ((today.month, today.day) < (5, 6))


def test_the_banner_names_the_patient_on_the_encounter_and_in_the_title(
    qtbot, clinic, logged_in_window
):
    give_allergies(clinic)
    window = open_draft(logged_in_window)
    pane = window.encounter_pane
    banner = pane.patient_banner
    assert banner.isVisible()
    text = plain(banner.label.text())
    mrn = window.services.patients.get(clinic["principal"], clinic["patient_id"]).mrn
    for part in (
        "OKAFOR, Grace",
        f"{age_today()} y female",
        "born 1958-05-06",
        mrn,
        "Diabetes: no",
        "ALLERGIES: penicillin (rash)",
        "No release planned",
    ):
        assert part in text, part
    title = window.windowTitle()
    assert title.startswith("OKAFOR, Grace")
    assert f"MRN {mrn}" in title
    assert "ALLERGIES: penicillin (rash)" in title

    # Choosing the release side shows at once in the banner and the title.
    pane.release.setFocus()
    qtbot.keyClick(pane.release, Qt.Key.Key_R)
    assert "Release planned: RIGHT foot" in plain(banner.label.text())
    assert "Release planned: RIGHT foot" in window.windowTitle()

    # Locked, the title names nobody.
    window.lock()
    assert window.windowTitle() == "clinic_app"
    window.close()


def test_unknown_allergies_say_so_and_never_read_as_none(qtbot, clinic, logged_in_window):
    window = open_draft(logged_in_window)
    text = plain(window.encounter_pane.patient_banner.label.text())
    assert "Allergies: UNKNOWN (not recorded)" in text
    assert "No known allergies" not in text
    window.close()


def test_sign_dialog_shows_the_banner_and_enter_signs(qtbot, clinic, logged_in_window):
    window = open_draft(logged_in_window)
    pane = window.encounter_pane
    seen: list[dict[str, str]] = []
    answer_next_question(qtbot, Qt.Key.Key_Return, seen)
    qtbot.keyClick(
        QApplication.focusWidget(),
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert seen, "no question was asked"
    assert seen[0]["title"] == "Sign encounter"
    assert "OKAFOR, Grace" in seen[0]["text"]
    assert "Allergies: UNKNOWN" in seen[0]["text"]
    assert seen[0]["default"] == "Sign"
    assert pane.encounter is not None
    assert pane.encounter.is_signed

    # An addendum asks too, with the banner; Escape keeps it unsigned, Enter signs it.
    addendum = window.findChild(QPlainTextEdit, "addendum_text")
    addendum.setFocus()
    qtbot.keyClicks(addendum, "EMG booked.")
    button = window.findChild(QPushButton, "addendum_button")
    answer_next_question(qtbot, Qt.Key.Key_Escape, seen)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert seen[1]["title"] == "Sign addendum"
    assert "OKAFOR, Grace" in seen[1]["text"]
    assert seen[1]["default"] == "Sign addendum"
    assert pane.encounter.addenda == ()
    answer_next_question(qtbot, Qt.Key.Key_Return, seen)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert [a.text for a in pane.encounter.addenda] == ["EMG booked."]
    window.close()


def test_allergies_and_medications_are_entered_in_the_patient_editor(
    qtbot, clinic, logged_in_window
):
    window: MainWindow = logged_in_window()
    window.open_chart(clinic["patient_id"])
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    editor = window.patient_editor
    status = editor.fields["allergy_status"].editor
    status.setFocus()
    qtbot.keyClick(status, Qt.Key.Key_A)  # "Allergies (listed below)"
    assert status.currentData() == "listed"
    qtbot.keyClick(status, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "latex")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "gabapentin 300 mg at night")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)

    assert window.right.currentWidget() is window.chart_view
    header = window.chart_view.demographics.text()
    assert "latex" in header
    assert "gabapentin 300 mg at night" in header
    services = build_services(load_settings(clinic["data_dir"]))
    grace = services.patients.get(clinic["principal"], clinic["patient_id"])
    assert (grace.allergy_status.value, grace.allergies) == ("listed", "latex")
    assert grace.medications == "gabapentin 300 mg at night"
    admin = services.accounts.login("admin", clinic["password"])
    edit = next(e for e in services.audit.recent(admin) if e.action is AuditAction.UPDATE)
    assert edit.detail == "changed: allergy_status, allergies, medications"
    window.close()
