"""Export a signed encounter, import patients and retry the export folder, from the window."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest
from e2e.test_export_import import signed_encounter
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from clinic_app.app import build_services
from clinic_app.services import files
from clinic_app.settings import load_settings, save_settings
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow

pytestmark = pytest.mark.e2e


class ScriptedDialogs(Dialogs):
    """Answers from a script and records everything shown."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []
        self.choice: int | None = 0
        self.save_to: Path | None = None
        self.open_path: Path | None = None
        self.accept_review = True

    def confirm(self, parent: QWidget | None, title: str, text: str, *a: Any, **k: Any) -> bool:
        self.shown.append((title, text))
        return True

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))

    def choose(
        self, parent: QWidget | None, title: str, text: str, options: list[str]
    ) -> int | None:
        self.shown.append((title, " | ".join(options)))
        return self.choice

    def save_file(
        self, parent: QWidget | None, title: str, suggested: Path, name_filter: str
    ) -> Path | None:
        self.shown.append((title, str(suggested)))
        return self.save_to

    def open_file(
        self, parent: QWidget | None, title: str, folder: Path, name_filter: str
    ) -> Path | None:
        return self.open_path

    def review(self, parent: QWidget | None, title: str, text: str, yes: str) -> bool:
        self.shown.append((title, text))
        return self.accept_review


def open_window(
    qtbot: QtBot, services: Any, clinic: dict[str, Any], **kw: Any
) -> tuple[MainWindow, ScriptedDialogs]:
    dialogs = ScriptedDialogs()
    window = MainWindow(services, idle_lock_minutes=10, dialogs=dialogs, **kw)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.login_page.sig_logged_in.emit(services.accounts.login("drlee", clinic["password"]))
    return window, dialogs


def test_export_button_writes_a_fhir_bundle_where_chosen(
    qtbot: QtBot, clinic: dict[str, Any], tmp_path: Path
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    enc_id = signed_encounter(clinic, services)
    window, dialogs = open_window(qtbot, services, clinic)
    window.open_chart(clinic["patient_id"])
    window.open_encounter(enc_id)
    pane = window.encounter_pane
    assert pane.export_button.isVisible()

    dialogs.choice = 1  # FHIR
    dialogs.save_to = tmp_path / "out.fhir.json"
    qtbot.mouseClick(pane.export_button, Qt.MouseButton.LeftButton)
    bundle = json.loads(dialogs.save_to.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    assert any(title == "Export signed encounter" for title, _ in dialogs.shown)
    assert "Exported to" in window.statusBar().currentMessage()

    # Ctrl+Shift+E from anywhere in the encounter; a folder that cannot be written gets a
    # message and nothing half-written.
    dialogs.choice = 0
    dialogs.save_to = tmp_path / "missing" / "note.pdf"
    focus = window.focusWidget()
    assert focus is not None
    qtbot.keyClick(
        focus, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert dialogs.shown[-1][0] == "The encounter was not exported"
    assert not dialogs.save_to.exists()


def test_export_is_refused_for_a_draft(qtbot: QtBot, clinic: dict[str, Any]) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    window, dialogs = open_window(qtbot, services, clinic)
    window.open_chart(clinic["patient_id"])
    window.open_encounter(clinic["encounter_id"])
    assert not window.encounter_pane.export_button.isVisible()
    window.export_encounter()
    assert "sign it first" in dialogs.shown[-1][1]


def test_export_folder_failure_is_shown_with_a_retry(
    qtbot: QtBot, clinic: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "to-emr"
    folder.mkdir()
    settings = load_settings(clinic["data_dir"]).model_copy(update={"export_dir": folder})
    save_settings(settings)
    services = build_services(load_settings(clinic["data_dir"]))
    window, _dialogs = open_window(qtbot, services, clinic)
    real = files.write_atomically

    def full(path: Path, data: bytes) -> None:
        if path.parent == folder:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(files, "write_atomically", full)
    window.open_chart(clinic["patient_id"])
    window.open_encounter(clinic["encounter_id"])
    window.encounter_pane.sign()
    assert window.encounter_pane.encounter is not None
    assert window.encounter_pane.encounter.is_signed
    assert window.export_problem.isVisible()
    assert "export folder" in window.export_problem.text()
    assert window.export_retry.isVisible()

    monkeypatch.setattr(files, "write_atomically", real)
    qtbot.mouseClick(window.export_retry, Qt.MouseButton.LeftButton)
    assert not window.export_retry.isVisible()
    assert len(list(folder.iterdir())) == 2


def test_import_patients_shows_each_row_and_applies_on_confirmation(
    qtbot: QtBot, clinic: dict[str, Any], tmp_path: Path
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    window, dialogs = open_window(qtbot, services, clinic)
    listing = tmp_path / "patients.csv"
    listing.write_text(
        "family_name,given_name,date_of_birth\n"
        "Baker,Bo,1950-01-02\n"
        "Cole,Cy,not a date\n"
        "Okafor,Grace,1958-05-06\n",
        encoding="utf-8",
    )
    dialogs.open_path = listing
    dialogs.accept_review = False
    window.import_patients()  # the dry run runs off the UI thread
    qtbot.waitUntil(lambda: window.long_job is not None and not window.long_job.running)
    title, report = dialogs.shown[-1]
    assert title == "Import patients: dry run"
    assert "Row 2: Baker, Bo: to add" in report
    assert "Row 3: Cole, Cy: refused" in report
    assert "Row 4: Okafor, Grace: likely duplicate" in report
    principal = window.principal
    assert principal is not None
    assert services.patients.search(principal, "baker") == []  # dry run: nothing written

    dialogs.accept_review = True
    window.import_patients()
    qtbot.waitUntil(lambda: dialogs.shown[-1][0] == "Patients imported")
    assert dialogs.shown[-1] == ("Patients imported", "1 patients imported from patients.csv.")
    assert [p.family_name for p in services.patients.search(principal, "baker")] == ["Baker"]


def test_verify_audit_runs_off_the_ui_thread_and_reports_chain_and_records(
    qtbot: QtBot, clinic: dict[str, Any]
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    window, dialogs = open_window(qtbot, services, clinic)
    shown = len(dialogs.shown)

    window.verify_audit()
    job = window.long_job
    assert job is not None
    qtbot.waitUntil(lambda: not job.running)

    assert len(dialogs.shown) == shown + 1
    title, text = dialogs.shown[-1]
    assert title == "Audit trail"
    assert text.startswith("Intact: ")
    assert "every link verified" in text
    assert "signed encounters" in text


# --------------------------------------------------------------------------- placement


def test_window_placement_is_remembered_and_kept_on_screen(
    qtbot: QtBot, clinic: dict[str, Any], tmp_path: Path
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window, _ = open_window(qtbot, services, clinic, window_state=state)
    window.resize(700, 500)
    window.move(40, 30)
    window.close()
    state.sync()
    assert isinstance(state.value("main_window/geometry"), QByteArray)

    again, _ = open_window(qtbot, services, clinic, window_state=state)
    assert (again.width(), again.height()) == (700, 500)

    # A size saved on a larger screen comes back inside this one.
    screen = QGuiApplication.primaryScreen().availableGeometry()
    again.resize(screen.width() + 500, screen.height() + 400)
    again.close()
    third, _ = open_window(qtbot, services, clinic, window_state=state)
    frame = third.frameGeometry()
    assert screen.contains(frame) or (
        frame.width() <= screen.width() and frame.height() <= screen.height()
    )
