"""The front desk's print queue: the handouts clinicians picked, printed and marked done.

Everything shown here comes from ``PrintQueueService``, whose front-desk calls return patient
names, handout titles, languages and counts, never a finding or a note. Every print, saved PDF
or viewer copy is logged with the handout's id, version and language, who and when.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Principal
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.handouts import HandoutLanguage
from clinic_app.domain.print_queue import PrintAction, QueueLine
from clinic_app.services.container import Services
from clinic_app.services.print_queue import PrintLogLine
from clinic_app.ui.printing import PdfOutput, PrintFailed
from clinic_app.ui.views.form_widgets import MUTED_COLOUR, error_banner, tint
from clinic_app.ui.views.printouts import (
    LANGUAGE_WORDS,
    Output,
    deliver,
    handout_copy_pdf,
    handout_pdf,
)

REFRESH_MS = 30_000
"""While the queue is on screen it is re-read this often (clinicians add to it all day)."""
LOG_LINES = 15
COLUMNS = (
    "Patient",
    "Date of birth",
    "MRN",
    "Handout",
    "Language",
    "Copies",
    "Asked for",
    "Printed",
)
HANDOUT_COLUMN = COLUMNS.index("Handout")


ACTION_WORDS = {
    PrintAction.PRINT: "printed",
    PrintAction.REPRINT: "reprinted",
    PrintAction.SAVE_PDF: "saved as PDF",
    PrintAction.OPEN_VIEWER: "opened in the viewer",
}


def titled(title: str, gloss: str) -> str:
    """A handout title with its English gloss beside it when it is in another language."""
    return f"{title}\n(English: {gloss})" if gloss else title


def _when(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local:%d %b %H:%M}"


class PrintQueuePane(QWidget):
    """The queue table with Print, Save as PDF, Open and Mark done, a library reprint, the log."""

    def __init__(
        self, services: Services, pdfs: PdfOutput | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("print_queue_pane")
        self._services = services
        self._pdfs = pdfs or PdfOutput()
        self._principal: Principal | None = None
        self._lines: list[QueueLine] = []

        layout = QVBoxLayout(self)
        title = QLabel("<h2>Handouts to print</h2>")
        hint = QLabel(
            "Handouts the clinicians picked for their patients. Print each in the language "
            "shown, hand it over, then mark it done."
        )
        hint.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(hint)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("print_queue_table")
        self.table.setAccessibleName("Handouts to print")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(HANDOUT_COLUMN, QHeaderView.ResizeMode.Stretch)
        # A Spanish title and its English gloss take two lines; rows grow to show both.
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _index: self.output_selected(Output.PRINT))
        layout.addWidget(self.table, 1)
        self.empty_hint = QLabel("Nothing to print: the queue is empty.")
        self.empty_hint.setObjectName("print_queue_empty")
        tint(self.empty_hint, MUTED_COLOUR)
        layout.addWidget(self.empty_hint)

        buttons = QHBoxLayout()
        self.print_button = QPushButton("&Print...")
        self.print_button.setObjectName("queue_print")
        self.print_button.setToolTip("Print the selected handout (Ctrl+P or Enter)")
        self.save_button = QPushButton("Save as P&DF...")
        self.save_button.setObjectName("queue_save")
        self.view_button = QPushButton("Open in &viewer")
        self.view_button.setObjectName("queue_view")
        self.done_button = QPushButton("&Mark done")
        self.done_button.setObjectName("queue_done")
        self.done_button.setToolTip("The patient has it: take it off the queue (Ctrl+D)")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("queue_refresh")
        self.refresh_button.setToolTip("Read the queue again (F5)")
        self.print_button.clicked.connect(lambda: self.output_selected(Output.PRINT))
        self.save_button.clicked.connect(lambda: self.output_selected(Output.SAVE))
        self.view_button.clicked.connect(lambda: self.output_selected(Output.VIEW))
        self.done_button.clicked.connect(self.mark_selected_done)
        self.refresh_button.clicked.connect(self.refresh)
        for button in (
            self.print_button,
            self.save_button,
            self.view_button,
            self.done_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        layout.addLayout(buttons)
        for keys, slot in (
            ("Ctrl+P", lambda: self.output_selected(Output.PRINT)),
            ("Ctrl+D", self.mark_selected_done),
            ("F5", self.refresh),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        self.status = QLabel()
        self.status.setObjectName("print_queue_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.message = error_banner("print_queue_message")
        # Names and messages are shown as typed, never read as markup.
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.message)

        layout.addWidget(self._build_library())
        log_box = QGroupBox("Recent prints")
        log_layout = QVBoxLayout(log_box)
        self.log_list = QListWidget()
        self.log_list.setObjectName("print_log_list")
        self.log_list.setAccessibleName("Recent prints")
        self.log_list.setMaximumHeight(140)
        self.log_list.setWordWrap(True)
        log_layout.addWidget(self.log_list)
        layout.addWidget(log_box)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_if_shown)
        self._selection_changed()

    def _build_library(self) -> QGroupBox:
        box = QGroupBox("Print a handout from the library")
        form = QFormLayout(box)
        self.library_handout = QComboBox()
        self.library_handout.setObjectName("library_handout")
        self.library_language = QComboBox()
        self.library_language.setObjectName("library_language")
        for language in HandoutLanguage:
            self.library_language.addItem(_language_name(language), language.value)
        self.library_patient = QLineEdit()
        self.library_patient.setObjectName("library_patient")
        self.library_patient.setPlaceholderText("optional: printed at the top")
        self.library_patient.setMaxLength(120)
        self.library_large = QCheckBox("Large print")
        self.library_large.setObjectName("library_large_print")
        for text, widget in (
            ("&Handout:", self.library_handout),
            ("La&nguage:", self.library_language),
            ("Patient &name:", self.library_patient),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        row = QHBoxLayout()
        row.addWidget(self.library_large)
        row.addStretch(1)
        for output, name in (
            (Output.PRINT, "library_print"),
            (Output.SAVE, "library_save"),
            (Output.VIEW, "library_view"),
        ):
            button = QPushButton(output.text.replace("&", ""))
            button.setObjectName(name)
            button.clicked.connect(lambda _checked=False, o=output: self.output_library(o))
            row.addWidget(button)
        form.addRow(row)
        return box

    # --- state ------------------------------------------------------------------------------

    def open_for(self, principal: Principal) -> None:
        """Show the queue for the signed-in front desk (or clinician)."""
        self._principal = principal
        if self.library_handout.count() == 0:
            self._fill_library()
        self.refresh()
        self.table.setFocus()

    def _fill_library(self) -> None:
        library = self._services.handouts
        try:
            for handout_id in library.ids():
                title = library.get(handout_id, HandoutLanguage.EN.value).title
                self.library_handout.addItem(title, handout_id)
        except ClinicError as exc:
            self._show_error(str(exc))

    def showEvent(self, event: QShowEvent) -> None:
        """Keep the queue fresh while it is on screen."""
        super().showEvent(event)
        self._timer.start()

    def _refresh_if_shown(self) -> None:
        if self.isVisible() and self._principal is not None:
            self.refresh(keep_message=True)
        else:
            self._timer.stop()

    def refresh(self, keep_message: bool = False) -> None:
        """Read the queue and the recent prints again, keeping the selected request."""
        if self._principal is None:
            return
        if not keep_message:
            self.message.hide()
        selected = self.selected_line()
        try:
            self._lines = self._services.print_queue.queue(self._principal)
            log = self._services.print_queue.log_lines(self._principal, LOG_LINES)
        except ClinicError as exc:
            self._show_error(f"The queue cannot be read: {exc}")
            return
        self.table.setRowCount(len(self._lines))
        for row, line in enumerate(self._lines):
            printed = f"{line.times_printed}x" if line.times_printed else "not yet"
            cells = (
                line.patient_name,
                line.date_of_birth.isoformat() if line.date_of_birth else "",
                line.mrn,
                titled(line.title, line.gloss),
                _language_name(line.language),
                str(line.copies),
                _when(line.requested_at),
                printed,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, line.request_id)
                self.table.setItem(row, column, item)
        self.empty_hint.setVisible(not self._lines)
        target = 0
        if selected is not None:
            ids = [line.request_id for line in self._lines]
            target = ids.index(selected.request_id) if selected.request_id in ids else 0
        if self._lines:
            self.table.selectRow(target)
        self._show_log(log)
        self._selection_changed()

    def _show_log(self, lines: list[PrintLogLine]) -> None:
        self.log_list.clear()
        for line in lines:
            record = line.record
            whom = f"{line.patient_name} (MRN {line.mrn})" if line.patient_name else "No patient"
            gloss = f" (English: {line.gloss})" if line.gloss else ""
            self.log_list.addItem(
                f"{_when(record.at)}  {whom}: {line.title}{gloss}, "
                f"{_language_name(record.language)}; "
                f"{ACTION_WORDS.get(record.action, record.action.value)} by {record.by_name}"
            )

    def selected_line(self) -> QueueLine | None:
        """The queue line the cursor is on, or None."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        row = rows[0].row()
        return self._lines[row] if 0 <= row < len(self._lines) else None

    def _selection_changed(self) -> None:
        has = self.selected_line() is not None
        for button in (self.print_button, self.save_button, self.view_button, self.done_button):
            button.setEnabled(has)

    # --- actions ----------------------------------------------------------------------------

    def output_selected(self, output: Output) -> None:
        """Print, save or open the selected handout, then log it."""
        line = self.selected_line()
        if line is None or self._principal is None:
            return
        self.message.hide()
        queue = self._services.print_queue
        try:
            job = queue.job(self._principal, line.request_id)
            pdf = handout_pdf(self._services, job)
            name = f"{job.handout.id}-{job.handout.language.value}-{line.patient_name}"
            result = deliver(
                output, pdf, job.handout.title, name, self, self._pdfs, job.request.copies
            )
            if result is None:
                self.status.setText("Cancelled: nothing was printed.")
                return
            record = queue.record_print(self._principal, line.request_id, output.action)
        except (ClinicError, PrintFailed) as exc:
            self._show_error(str(exc))
            return
        self.status.setText(
            f"{result} Logged: {titled(line.title, line.gloss)} for {line.patient_name}, "
            f"{ACTION_WORDS.get(record.action, record.action.value)}."
        )
        self.refresh(keep_message=True)

    def mark_selected_done(self) -> None:
        """Take the selected request off the queue."""
        line = self.selected_line()
        if line is None or self._principal is None:
            return
        try:
            self._services.print_queue.mark_done(self._principal, line.request_id)
        except ClinicError as exc:
            self._show_error(str(exc))
            return
        self.status.setText(f"Done: {line.title} for {line.patient_name}.")
        self.refresh()

    def output_library(self, output: Output) -> None:
        """Print a handout from the library (not from the queue), logged as such."""
        if self._principal is None or self.library_handout.currentIndex() < 0:
            return
        self.message.hide()
        handout_id = str(self.library_handout.currentData())
        language = str(self.library_language.currentData())
        patient = " ".join(self.library_patient.text().split())
        queue = self._services.print_queue
        try:
            handout = queue.library_handout(self._principal, handout_id, language)
            pdf = handout_copy_pdf(
                self._services,
                handout,
                patient_name=patient,
                visit_date=self._services.clock.today(),
                large_print=self.library_large.isChecked(),
            )
            name = f"{handout.id}-{handout.language.value}" + (f"-{patient}" if patient else "")
            result = deliver(output, pdf, handout.title, name, self, self._pdfs)
            if result is None:
                self.status.setText("Cancelled: nothing was printed.")
                return
            queue.record_library_print(self._principal, handout_id, language, output.action)
        except (ClinicError, PrintFailed) as exc:
            self._show_error(str(exc))
            return
        self.status.setText(f"{result} Logged.")
        self.refresh(keep_message=True)

    def _show_error(self, text: str) -> None:
        # The last success no longer describes where things stand.
        self.status.clear()
        self.message.setText(text)
        self.message.show()


def _language_name(language: HandoutLanguage) -> str:
    return LANGUAGE_WORDS[language]
