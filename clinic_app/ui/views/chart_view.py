"""A patient's chart: demographics, the encounter list and opening a new encounter."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.services.container import Services
from clinic_app.services.patients import Chart
from clinic_app.ui.models.visit_table_model import (
    ID_ROLE,
    VisitColumn,
    VisitFilterModel,
    VisitTableModel,
)
from clinic_app.ui.views.form_widgets import FieldWithError, add_row, error_banner, line_edit
from clinic_app.ui.views.patient_banner import ALLERGY_COLOURS

LANGUAGE_WORDS = {"en": "English", "es": "Spanish"}
SORTS: tuple[tuple[str, VisitColumn, Qt.SortOrder], ...] = (
    ("Date, newest first", VisitColumn.DATE, Qt.SortOrder.DescendingOrder),
    ("Date, oldest first", VisitColumn.DATE, Qt.SortOrder.AscendingOrder),
    ("Status (drafts first)", VisitColumn.STATUS, Qt.SortOrder.AscendingOrder),
    ("Clinician", VisitColumn.CLINICIAN, Qt.SortOrder.AscendingOrder),
)


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

        self.visit_model = VisitTableModel()
        self.visit_proxy = VisitFilterModel(self.visit_model)
        tools = QHBoxLayout()
        self.visit_filter = QLineEdit()
        self.visit_filter.setObjectName("chart_visit_filter")
        self.visit_filter.setAccessibleName("Filter visits")
        self.visit_filter.setPlaceholderText("words in the date, reason, status or clinician")
        self.visit_filter.setClearButtonEnabled(True)
        self.visit_filter.setMaxLength(100)
        self.visit_filter.textChanged.connect(self._filter_changed)
        # Enter or Down in the filter goes to the list, where Enter opens the visit.
        self.visit_filter.returnPressed.connect(self._focus_list)
        filter_label = QLabel("F&ilter visits:")
        filter_label.setBuddy(self.visit_filter)
        self.visit_sort = QComboBox()
        self.visit_sort.setObjectName("chart_visit_sort")
        self.visit_sort.setAccessibleName("Sort visits by")
        for text, _column, _order in SORTS:
            self.visit_sort.addItem(text)
        self.visit_sort.currentIndexChanged.connect(self._sort_chosen)
        sort_label = QLabel("S&ort by:")
        sort_label.setBuddy(self.visit_sort)
        tools.addWidget(filter_label)
        tools.addWidget(self.visit_filter, 1)
        tools.addWidget(sort_label)
        tools.addWidget(self.visit_sort)

        self.encounters = QTableView()
        self.encounters.setObjectName("chart_encounters")
        self.encounters.setAccessibleName("Encounters")
        self.encounters.setModel(self.visit_proxy)
        self.encounters.setSortingEnabled(True)
        self.encounters.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.encounters.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.encounters.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.encounters.verticalHeader().hide()
        titles = self.encounters.horizontalHeader()
        titles.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        titles.setSectionResizeMode(VisitColumn.REASON, QHeaderView.ResizeMode.Stretch)
        titles.sortIndicatorChanged.connect(self._header_sorted)
        self.encounters.activated.connect(self._open_index)
        self.visits_label = QLabel("Encounters (Enter opens the selected one):")
        self.visits_label.setObjectName("chart_visits_label")
        layout.addWidget(self.visits_label)
        layout.addLayout(tools)
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
        # The reason for visit is clinical: the service leaves it empty for the front desk.
        reasons = principal.can(Permission.CLINICAL_READ)
        self.encounters.setColumnHidden(VisitColumn.REASON, not reasons)
        self.visit_proxy.hidden_columns = set() if reasons else {int(VisitColumn.REASON)}
        self.visit_filter.clear()
        self.visit_model.set_visits(chart.encounters)
        self._sort_chosen(self.visit_sort.currentIndex())
        self._select_first()
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
        index = self.encounters.currentIndex()
        return int(index.data(ID_ROLE)) if index.isValid() else None

    def visible_visit_ids(self) -> list[int]:
        """The encounter ids in the order shown (after sorting and filtering)."""
        proxy = self.visit_proxy
        return [int(proxy.index(row, 0).data(ID_ROLE)) for row in range(proxy.rowCount())]

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.sig_open_encounter.emit(int(index.data(ID_ROLE)))

    def _select_first(self) -> None:
        if self.visit_proxy.rowCount():
            self.encounters.selectRow(0)

    def _focus_list(self) -> None:
        self._select_first()
        self.encounters.setFocus()

    def _filter_changed(self, text: str) -> None:
        self.visit_proxy.set_text(text)
        shown, total = self.visit_proxy.rowCount(), self.visit_model.rowCount()
        self.visits_label.setText(
            f"Encounters: {shown} of {total} shown (Enter opens the selected one):"
            if text.strip()
            else f"Encounters ({total}; Enter opens the selected one):"
        )
        if not self.encounters.currentIndex().isValid():
            self._select_first()

    def _sort_chosen(self, choice: int) -> None:
        if not 0 <= choice < len(SORTS):
            return
        _text, column, order = SORTS[choice]
        self.encounters.sortByColumn(column, order)

    def _header_sorted(self, column: int, order: Qt.SortOrder) -> None:
        # A click on a column title shows in the combo when it matches one of its sorts.
        for i, (_text, col, sort_order) in enumerate(SORTS):
            if col == column and (sort_order == order or col != VisitColumn.DATE):
                self.visit_sort.blockSignals(True)
                self.visit_sort.setCurrentIndex(i)
                self.visit_sort.blockSignals(False)
                return

    def _edit(self) -> None:
        if self.chart is not None:
            self.sig_edit_patient.emit(self.chart.patient)
