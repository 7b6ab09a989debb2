"""A patient's chart: demographics, the encounter list and opening a new encounter."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.services.container import Services
from clinic_app.services.patients import Chart
from clinic_app.ui.views.form_widgets import FieldWithError, add_row, error_banner, line_edit
from clinic_app.ui.views.patient_banner import ALLERGY_COLOURS

LANGUAGE_WORDS = {"en": "English", "es": "Spanish"}


class ChartView(QWidget):
    """Demographics, visits and the new-encounter form.

    Signals:
        sig_open_encounter: carries the encounter id to open.
        sig_edit_patient: carries the Patient whose details to edit.
    """

    sig_open_encounter = Signal(int)
    """Emitted with an encounter id (Enter or double-click on the list)."""
    sig_edit_patient = Signal(object)
    """Emitted with the Patient to edit."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chart_view")
        self._services = services
        self._principal: Principal | None = None
        self.chart: Chart | None = None
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        self.demographics = QLabel()
        self.demographics.setObjectName("chart_demographics")
        self.demographics.setWordWrap(True)
        header.addWidget(self.demographics, 1)
        self.edit_button = QPushButton("&Edit details")
        self.edit_button.setObjectName("chart_edit_patient")
        self.edit_button.setToolTip("Edit the patient's details (Ctrl+E)")
        self.edit_button.clicked.connect(self._edit)
        header.addWidget(self.edit_button)
        layout.addLayout(header)

        self.encounters = QTableWidget(0, 4)
        self.encounters.setObjectName("chart_encounters")
        self.encounters.setAccessibleName("Encounters")
        self.encounters.setHorizontalHeaderLabels(["Date", "Clinician", "Status", "Addenda"])
        self.encounters.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.encounters.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.encounters.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.encounters.horizontalHeader().setStretchLastSection(True)
        self.encounters.cellDoubleClicked.connect(lambda row, _col: self._open_row(row))
        self.encounters.activated.connect(lambda index: self._open_row(index.row()))
        layout.addWidget(QLabel("Encounters (Enter opens the selected one):"))
        layout.addWidget(self.encounters, 1)

        self.new_box = QGroupBox("New encounter")
        form = QFormLayout(self.new_box)
        self.new_date = FieldWithError(line_edit("new_encounter_date", "YYYY-MM-DD"))
        self.new_reason = FieldWithError(line_edit("new_encounter_reason", "e.g. numb sole"))
        add_row(form, "Visit &date", self.new_date)
        add_row(form, "&Reason for visit", self.new_reason)
        self.new_message = error_banner("new_encounter_message")
        form.addRow(self.new_message)
        self.new_button = QPushButton("Open &new encounter")
        self.new_button.setObjectName("new_encounter_button")
        self.new_button.setToolTip("Open a new draft encounter (Ctrl+Shift+N)")
        self.new_button.clicked.connect(self.create_encounter)
        self.new_reason.editor.returnPressed.connect(self.create_encounter)
        form.addRow(self.new_button)
        layout.addWidget(self.new_box)

    def show_chart(self, principal: Principal, chart: Chart) -> None:
        """Fill the page for a patient."""
        self._principal = principal
        self.chart = chart
        p = chart.patient
        age = p.age_on(self._services.clock.today())
        self.demographics.setText(
            f"<h2>{escape(p.display_name)}</h2>"
            f"<b>Born</b> {p.date_of_birth.isoformat()} (age {age})"
            f" &nbsp; <b>Sex</b> {p.sex.value} &nbsp; <b>MRN</b> {p.mrn}<br>"
            f"<b>Phone</b> {escape(p.phone or '-')} &nbsp; "
            f"<b>Language</b> {LANGUAGE_WORDS.get(p.preferred_language.value, '?')} &nbsp; "
            f"<b>Diabetes</b> {p.diabetes.value}<br>"
            f"<b>Allergies</b> <span style='color:{ALLERGY_COLOURS[p.allergy_status.value]}'>"
            f"<b>{escape(p.allergy_text)}</b></span> &nbsp; "
            f"<b>Current medications</b> {escape(p.medication_text)}"
        )
        self.encounters.setRowCount(len(chart.encounters))
        for row, enc in enumerate(chart.encounters):
            cells = (
                enc.encounter_date.isoformat(),
                enc.clinician_name,
                enc.status.value.capitalize(),
                str(enc.addenda_count),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole, enc.id)
                self.encounters.setItem(row, col, item)
        if chart.encounters:
            self.encounters.selectRow(0)
        can_chart = principal.can(Permission.CLINICAL_WRITE)
        self.new_box.setVisible(can_chart)
        self.edit_button.setEnabled(principal.can(Permission.PATIENT_WRITE))
        self.new_date.editor.setText(self._services.clock.today().isoformat())
        self.new_reason.editor.clear()
        self.new_date.set_error(None)
        self.new_reason.set_error(None)
        self.new_message.hide()

    def focus_new_encounter(self) -> None:
        """Put the cursor in the reason field of the new-encounter form."""
        if self.new_box.isVisible():
            self.new_reason.editor.setFocus()

    def create_encounter(self) -> None:
        """Open a draft encounter and emit it for editing."""
        if self._principal is None or self.chart is None:
            return
        self.new_date.set_error(None)
        self.new_reason.set_error(None)
        self.new_message.hide()
        try:
            enc = self._services.encounters.create(
                self._principal,
                {
                    "patient_id": self.chart.patient.id,
                    "encounter_date": self.new_date.editor.text().strip() or None,
                    "reason": self.new_reason.editor.text(),
                },
            )
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                if key.startswith("encounter_date"):
                    self.new_date.set_error(
                        message if "future" in message else "Enter the date as YYYY-MM-DD."
                    )
                elif key.startswith("reason"):
                    self.new_reason.set_error(message)
                else:
                    self.new_message.setText(message)
                    self.new_message.show()
            return
        except ClinicError as exc:
            self.new_message.setText(str(exc))
            self.new_message.show()
            return
        self.sig_open_encounter.emit(enc.id)

    def selected_encounter_id(self) -> int | None:
        """The id of the selected list row."""
        row = self.encounters.currentRow()
        item = self.encounters.item(row, 0) if row >= 0 else None
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _open_row(self, row: int) -> None:
        item = self.encounters.item(row, 0)
        if item is not None:
            self.sig_open_encounter.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _edit(self) -> None:
        if self.chart is not None:
            self.sig_edit_patient.emit(self.chart.patient)
