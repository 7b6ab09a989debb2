"""Handouts from the encounter to the front desk and onto paper, and the visit note, through
the real panes: the clinician picks and personalises, the front desk prints from a queue that
shows no clinical content, every print is logged, and the PDFs read back with the details.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel, QListWidget, QTableWidget, QWidget

from clinic_app.app import build_services
from clinic_app.domain.account import Principal
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.layout import set_path
from clinic_app.services.container import Services
from clinic_app.settings import load_settings
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.printing import PdfOutput, paint_pdf
from clinic_app.ui.views.encounter_view import EncounterPane
from clinic_app.ui.views.print_queue_pane import PrintQueuePane
from clinic_app.ui.views.printouts import Output

pytestmark = pytest.mark.e2e

SECRET_NOTE = "Tinel positive behind the medial malleolus; query S1 root"
PRACTICE = {
    "name": "Riverside Foot & Ankle",
    "address": ["12 Mill Lane", "Springfield"],
    "phone": "555 0100",
}


class RecordingPdfs(PdfOutput):
    """Keeps each PDF instead of opening a dialog; answers as the user would."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, int]] = []
        self.cancel = False

    def print_pdf(self, parent: QWidget | None, pdf: bytes, title: str, copies: int = 1) -> bool:
        if self.cancel:
            return False
        self.sent.append(("print", pdf, copies))
        return True

    def save_pdf(self, parent: QWidget | None, pdf: bytes, suggested_name: str) -> Path | None:
        self.sent.append(("save", pdf, 1))
        return Path("/tmp") / suggested_name

    def open_pdf(self, pdf: bytes, name: str) -> Path:
        self.sent.append(("view", pdf, 1))
        return Path("/tmp") / name


def pdf_text(pdf: bytes) -> str:
    """Every page's text, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def desk(clinic: dict[str, Any]) -> dict[str, Any]:
    """The clinic with practice details, a front-desk account and a note in the draft."""
    services = build_services(load_settings(clinic["data_dir"]))
    admin = services.accounts.login("admin", clinic["password"])
    services.practice.update(admin, PRACTICE, 0)
    services.accounts.create_account(
        admin,
        {
            "username": "sam",
            "display_name": "Sam Front",
            "password": clinic["password"],
            "roles": ["front_desk"],
        },
    )
    principal: Principal = clinic["principal"]
    enc = services.encounters.get(principal, clinic["encounter_id"]).encounter
    content = enc.content.model_dump(mode="json")
    content["notes"] = SECRET_NOTE
    services.encounters.save_draft(principal, enc.id, content, enc.version)
    return {
        **clinic,
        "services": services,
        "front_desk": services.accounts.login("sam", clinic["password"]),
    }


def encounter_pane(qtbot: Any, desk: dict[str, Any], pdfs: PdfOutput) -> EncounterPane:
    services: Services = desk["services"]
    pane = EncounterPane(services, Dialogs(), pdfs=pdfs)
    qtbot.addWidget(pane)
    pane.resize(1366, 768)
    pane.load(desk["principal"], services.encounters.get(desk["principal"], desk["encounter_id"]))
    pane.show()
    return pane


def queue_pane(qtbot: Any, desk: dict[str, Any], pdfs: PdfOutput) -> PrintQueuePane:
    pane = PrintQueuePane(desk["services"], pdfs)
    qtbot.addWidget(pane)
    pane.resize(1000, 700)
    pane.show()
    pane.open_for(desk["front_desk"])
    return pane


def pick(pane: EncounterPane, handout_id: str, language: str, side: str | None) -> None:
    picker = pane.handouts
    picker.handout.setCurrentIndex(picker.handout.findData(handout_id))
    picker.language.setCurrentIndex(picker.language.findData(language))
    picker.side.setCurrentIndex(picker.side.findData(side))


def visible_text(widget: QWidget) -> str:
    """Everything the pane shows in labels, tables and lists."""
    parts: list[str] = []
    for label in widget.findChildren(QLabel):
        parts.append(label.text())
    for table in widget.findChildren(QTableWidget):
        for row in range(table.rowCount()):
            for column in range(table.columnCount()):
                item = table.item(row, column)
                parts.append(item.text() if item else "")
    for listing in widget.findChildren(QListWidget):
        parts += [listing.item(i).text() for i in range(listing.count())]
    return "\n".join(parts)


def test_clinician_queues_front_desk_prints_the_personalised_copy_and_it_is_logged(
    qtbot: Any, desk: dict[str, Any]
) -> None:
    clinician_pdfs = RecordingPdfs()
    enc_pane = encounter_pane(qtbot, desk, clinician_pdfs)
    pick(enc_pane, "tarsal-tunnel-release", "es", "left")
    enc_pane.handouts.copies.setValue(2)
    enc_pane.handouts.large_print.setChecked(True)
    enc_pane.handouts.step_boxes["back-scan"].setChecked(True)
    enc_pane.handouts.queue_button.click()
    assert enc_pane.handouts.message.isHidden()
    assert enc_pane.handouts.queued.count() == 1
    assert "waiting" in enc_pane.handouts.queued.item(0).text()

    pdfs = RecordingPdfs()
    pane = queue_pane(qtbot, desk, pdfs)
    assert pane.table.rowCount() == 1
    services: Services = desk["services"]
    patient = services.patients.get(desk["principal"], desk["patient_id"])
    spanish = services.handouts.get("tarsal-tunnel-release", "es")
    row = [pane.table.item(0, c).text() for c in range(pane.table.columnCount())]
    english = services.handouts.get("tarsal-tunnel-release", "en")
    assert row[0] == patient.display_name
    assert (row[1], row[2]) == (patient.date_of_birth.isoformat(), patient.mrn)
    assert row[3] == f"{spanish.title}\n(English: {english.title})"
    assert row[4].startswith("Spanish")
    assert row[5] == "2"
    assert row[7] == "not yet"
    # The front desk sees no clinical content: not the note, not a finding.
    shown = visible_text(pane)
    assert SECRET_NOTE not in shown
    assert "Tinel" not in shown

    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow, timeout=3000)
    qtbot.keyClick(pane.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert [kind for kind, _pdf, _copies in pdfs.sent] == ["print"]
    _kind, pdf, copies = pdfs.sent[0]
    assert copies == 2
    text = pdf_text(pdf)
    assert "Grace" in text
    assert "Okafor" in text
    assert "Pie izquierdo" in text
    assert "Riverside Foot & Ankle" in text
    assert "555 0100" in text
    assert "Dr Lee" in text
    assert "Hágase el estudio de imagen de la parte baja de la espalda que le pedimos." in text
    assert "tarsal-tunnel-release" in text  # footer: id and version
    assert SECRET_NOTE not in text
    assert pane.table.item(0, 7).text() == "1x"

    log = services.print_queue.log(desk["front_desk"])
    assert len(log) == 1
    record = log[0]
    assert (record.handout_id, record.version, record.language.value) == (
        "tarsal-tunnel-release",
        spanish.version,
        "es",
    )
    assert (record.action.value, record.by_name) == ("print", "Sam Front")
    logged = pane.log_list.item(0).text()
    assert "Sam Front" in logged
    assert spanish.title in logged
    assert f"{patient.display_name} (MRN {patient.mrn})" in logged
    assert "tarsal-tunnel-release" not in logged  # no internal ids

    # Printed again: a reprint. Then handed over and marked done.
    pane.output_selected(Output.SAVE)
    assert services.print_queue.log(desk["front_desk"])[0].action.value == "save_pdf"
    qtbot.keyClick(pane.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert pane.table.rowCount() == 0
    assert not pane.empty_hint.isHidden()
    enc_pane.handouts.refresh_queued()
    assert "done" in enc_pane.handouts.queued.item(0).text()


def test_a_cancelled_print_is_not_logged(qtbot: Any, desk: dict[str, Any]) -> None:
    services: Services = desk["services"]
    enc_pane = encounter_pane(qtbot, desk, RecordingPdfs())
    pick(enc_pane, "home-care", "en", None)
    enc_pane.handouts.queue_button.click()
    pdfs = RecordingPdfs()
    pdfs.cancel = True
    pane = queue_pane(qtbot, desk, pdfs)
    pane.output_selected(Output.PRINT)
    assert services.print_queue.log(desk["front_desk"]) == []
    assert "Cancelled" in pane.status.text()


def test_handouts_of_a_visit_with_an_open_urgent_alert_are_held(
    qtbot: Any, desk: dict[str, Any]
) -> None:
    services: Services = desk["services"]
    principal = desk["principal"]
    enc = services.encounters.get(principal, desk["encounter_id"]).encounter
    content = enc.content.model_dump(mode="json")
    set_path(content["exam"], "red_flags.bladder_change.present", "yes")
    services.encounters.save_draft(principal, enc.id, content, enc.version)
    enc_pane = encounter_pane(qtbot, desk, RecordingPdfs())
    pick(enc_pane, "foot-or-back", "en", None)
    enc_pane.handouts.queue_button.click()

    pdfs = RecordingPdfs()
    pane = queue_pane(qtbot, desk, pdfs)
    pane.output_selected(Output.PRINT)
    assert pdfs.sent == []
    assert "on hold" in pane.message.text()
    assert "bladder" not in pane.message.text().lower()
    assert services.print_queue.log(desk["front_desk"]) == []


def test_the_surgeons_own_timeline_replaces_the_handouts(qtbot: Any, desk: dict[str, Any]) -> None:
    services: Services = desk["services"]
    admin = services.accounts.login("admin", desk["password"])
    current = services.practice.get()
    assert current is not None
    services.practice.update(
        admin,
        {
            **PRACTICE,
            "release_timeline": {
                "en": ["First 2 weeks: boot and crutches", "Early ankle movement as shown"]
            },
        },
        current.version,
    )
    enc_pane = encounter_pane(qtbot, desk, RecordingPdfs())
    pick(enc_pane, "tarsal-tunnel-release", "en", "right")
    enc_pane.handouts.queue_button.click()
    pdfs = RecordingPdfs()
    pane = queue_pane(qtbot, desk, pdfs)
    pane.output_selected(Output.VIEW)
    text = pdf_text(pdfs.sent[0][1])
    assert "This is your surgeon's plan for your recovery." in text
    assert "boot and crutches" in text
    assert "Early ankle movement as shown" in text
    assert "Here is one surgeon's plan" not in text
    assert "Right foot" in text


def test_library_reprint_is_logged_without_a_request(qtbot: Any, desk: dict[str, Any]) -> None:
    services: Services = desk["services"]
    pdfs = RecordingPdfs()
    pane = queue_pane(qtbot, desk, pdfs)
    pane.library_handout.setCurrentIndex(pane.library_handout.findData("home-care"))
    pane.library_language.setCurrentIndex(pane.library_language.findData("es"))
    pane.library_patient.setText("Grace Okafor")
    pane.output_library(Output.PRINT)
    text = pdf_text(pdfs.sent[0][1])
    assert "Grace Okafor" in text
    assert "Riverside Foot & Ankle" in text
    record = services.print_queue.log(desk["front_desk"])[0]
    assert (record.request_id, record.handout_id, record.language.value) == (
        None,
        "home-care",
        "es",
    )


def test_visit_note_prints_from_the_encounter_with_a_draft_watermark_and_is_audited(
    qtbot: Any, desk: dict[str, Any]
) -> None:
    pdfs = RecordingPdfs()
    pane = encounter_pane(qtbot, desk, pdfs)
    pane.plan.editor.setPlainText("Night splint; review in four weeks.")
    pane.output_visit_note(Output.SAVE)
    assert pane.message.isHidden(), pane.message.text()
    text = pdf_text(pdfs.sent[0][1])
    assert "DRAFT" in text
    assert "Okafor" in text
    assert SECRET_NOTE in text
    # The draft was saved before printing, so the note shows what is on screen.
    assert "Night splint; review in four weeks." in text
    assert "Riverside Foot & Ankle" in text
    services: Services = desk["services"]
    admin = services.accounts.login("admin", desk["password"])
    entries = services.audit.recent(admin, 10)
    printed = [e for e in entries if e.action is AuditAction.PRINT and e.entity_type == "encounter"]
    assert printed
    assert "visit note (draft" in printed[0].detail


def test_the_front_desk_cannot_print_a_visit_note(desk: dict[str, Any]) -> None:
    from clinic_app.domain.errors import PermissionDenied
    from clinic_app.domain.print_queue import PrintAction

    services: Services = desk["services"]
    with pytest.raises(PermissionDenied):
        services.encounters.visit_note(desk["front_desk"], desk["encounter_id"], PrintAction.PRINT)


def test_printing_draws_every_page_on_the_printer(qtbot: Any, tmp_path: Path) -> None:
    from clinic_app.reports.handout_pdf import HandoutOptions, render_handout
    from clinic_app.resources import handouts_dir
    from clinic_app.services.handouts import HandoutLibrary

    handout = HandoutLibrary(handouts_dir()).get("tarsal-tunnel-release", "es")
    pdf = render_handout(handout, HandoutOptions(large_print=True))
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 1
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert paint_pdf(printer, pdf) == pages
    printed = PdfReader(out)
    assert len(printed.pages) == pages
    # Each sheet carries the rendered page as an image.
    assert all(page.images for page in printed.pages)


def test_print_now_draws_the_patients_own_foot_only_when_asked(
    qtbot: Any, desk: dict[str, Any]
) -> None:
    services: Services = desk["services"]
    principal = desk["principal"]
    enc = services.encounters.get(principal, desk["encounter_id"]).encounter
    content = enc.content.model_dump(mode="json")
    content["exam"]["right"]["sensory"]["regions"]["PL-HEEL-PAD"] = {
        "light_touch": "reduced",
        "pin_prick": "reduced",
    }
    services.encounters.save_draft(principal, enc.id, content, enc.version)
    pdfs = RecordingPdfs()
    pane = encounter_pane(qtbot, desk, pdfs)
    pick(pane, "medial-calcaneal-nerve", "en", "right")
    pane.handouts.print_now(Output.VIEW)
    assert "Where your foot feels different" not in pdf_text(pdfs.sent[-1][1])

    pick(pane, "home-care", "en", "right")
    pane.handouts.with_map.setChecked(True)
    pane.handouts.print_now(Output.VIEW)
    text = pdf_text(pdfs.sent[-1][1])
    assert "Where your foot feels different" in text
    assert "Less feeling" in text
    assert "With the foot drawing." in pane.handouts.status.text()
    # Printed here, logged, and off the front desk's queue.
    assert services.print_queue.queue(desk["front_desk"]) == []
    assert len(services.print_queue.log(desk["front_desk"])) == 2


def test_print_now_prints_what_is_on_screen_and_a_cancel_leaves_no_trace(
    qtbot: Any, desk: dict[str, Any]
) -> None:
    services: Services = desk["services"]
    pdfs = RecordingPdfs()
    pane = encounter_pane(qtbot, desk, pdfs)
    pick(pane, "home-care", "es", "left")
    pane.handouts.queue_button.click()
    # The queued copy said left; the one printed now says both feet, as on screen.
    pick(pane, "home-care", "es", "both")
    pane.handouts.print_now(Output.PRINT)
    assert "Ambos pies" in pdf_text(pdfs.sent[-1][1])
    assert len(services.print_queue.queue(desk["front_desk"])) == 1  # still queued
    pdfs.cancel = True
    pick(pane, "foot-or-back", "en", None)
    pane.handouts.print_now(Output.PRINT)
    assert "Cancelled" in pane.handouts.status.text()
    assert len(services.print_queue.queue(desk["front_desk"])) == 1
    assert len(services.print_queue.log(desk["front_desk"])) == 1
