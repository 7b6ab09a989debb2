"""One encounter: draft editing with autosave, the live assessment, signing and addenda."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Principal
from clinic_app.domain.assessment.context import assess_content, planned_release
from clinic_app.domain.assessment.model import Assessment, PatientFacts
from clinic_app.domain.assessment.record import ReleasePlan
from clinic_app.domain.encounter import (
    MAX_TEACH_BACK_NOTE,
    Encounter,
    EncounterContent,
    effective_exam,
)
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.handouts import HandoutSide
from clinic_app.domain.patient import Patient
from clinic_app.domain.regions import RegionCode
from clinic_app.services.container import Services
from clinic_app.services.encounters import EncounterView as EncounterRecord
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.forms.controls import ChoiceBox
from clinic_app.ui.forms.renderer import FormView
from clinic_app.ui.presenters.encounter import EncounterPresenter, EncounterScreen, GateCall
from clinic_app.ui.presenters.patient_banner import banner_state
from clinic_app.ui.presenters.quick_entry import (
    QuickEntryError,
    QuickEntryParser,
    QuickEntryResult,
    apply_sensory,
)
from clinic_app.ui.printing import PdfOutput, PrintFailed
from clinic_app.ui.tasks import run_task
from clinic_app.ui.views.assessment_panel import REASON_FOR_GATE, AssessmentPanel, RedFlagBanner
from clinic_app.ui.views.form_widgets import (
    ERROR_COLOUR,
    MUTED_COLOUR,
    FieldWithError,
    error_banner,
    tint,
)
from clinic_app.ui.views.handout_picker import HandoutPicker
from clinic_app.ui.views.patient_banner import PatientBanner, banner_html
from clinic_app.ui.views.printouts import Output, deliver, output_button, visit_note_pdf

AUTOSAVE_MS = 1000
ALERT_STYLE = "background: #a40000; color: white; font-weight: bold; padding: 6px;"
FILL_STATUS_COLOUR = "#1c5fb8"
PANEL_WIDTH = 340
"""The assessment panel's default width; the exam form takes the rest (and any extra)."""
PANEL_MIN_WIDTH = 220
"""The narrowest the panel gets (its cards still read, one line each)."""
PANEL_WIDTH_KEY = "encounter/assessment_panel_width"
"""Where the window state keeps the width the clinician dragged the panel to."""
WIDE_SPLITTER = 1600
"""From this width on (a 1920-pixel screen), the panel takes a share of it, not PANEL_WIDTH."""
REASON_NEEDED_STYLE = "QPlainTextEdit#foot_primary_reason { border: 2px solid #8f5600; }"
SENSORY_MAP_SUFFIX = ".sensory.regions"
AGE_OVER_50 = "red_flags.age_over_50.present"


def default_panel_width(total: int, form_needs: int = 0) -> int:
    """The panel's width before the clinician drags it.

    Up to laptop widths the form keeps priority: the panel gives up width (down to
    PANEL_MIN_WIDTH) before the form would scroll sideways (``form_needs``: its narrowest
    width, a scaled display's too). A wide screen gives the panel about 30% (its reasons
    wrap less) and the form, two sides side by side, still has ample room.
    """
    if total >= WIDE_SPLITTER:
        return min(total * 3 // 10, 640)
    return max(PANEL_MIN_WIDTH, min(PANEL_WIDTH, total - form_needs))


class StatusLine(QLabel):
    """Feedback above the form, two lines at most.

    More is cut and kept whole in the tooltip, so a long list (a quick entry's findings)
    never pushes the exam and the panel down.
    """

    LIMIT = 150
    """Characters shown; about two lines beside the Copy forward button."""

    def setText(self, text: str) -> None:
        """Show the text, cut at a word with '…' when long (the whole in the tooltip)."""
        short = text
        if len(text) > self.LIMIT:
            short = text[: self.LIMIT].rsplit(" ", 1)[0].rstrip(";,:") + " … (hover for all)"
        super().setText(short)
        self.setToolTip(text if short != text else "")


class QuickEntryLine(QLineEdit):
    """The quick-entry line: Esc closes it (``sig_cancelled``)."""

    sig_cancelled = Signal()
    """Emitted on Escape."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape closes the line; everything else types."""
        if event.key() == Qt.Key.Key_Escape:
            self.sig_cancelled.emit()
            return
        super().keyPressEvent(event)


class EncounterPane(QWidget):
    """Chart the exam, autosave, sign and amend one encounter.

    The live assessment sits beside the form and is recomputed on every change; an urgent
    red flag puts a banner across the top until it is acknowledged.

    Signals:
        sig_encounter_changed: carries the Encounter after a save, signature or addendum.
        sig_export_requested: Export was pressed on a signed encounter.
    """

    sig_encounter_changed = Signal(object)
    """Emitted with the Encounter as stored after any change."""
    sig_export_requested = Signal()
    """Emitted when Export is pressed (the main window asks what and where)."""

    def __init__(
        self,
        services: Services,
        dialogs: Dialogs,
        parent: QWidget | None = None,
        pdfs: PdfOutput | None = None,
        window_state: QSettings | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("encounter_pane")
        self._services = services
        self._dialogs = dialogs
        self._pdfs = pdfs or PdfOutput()
        self._window_state = window_state
        self._presenter = EncounterPresenter(services.encounters)
        self._presenter.listener = self._render
        self._rendered: EncounterScreen | None = None
        self.form: FormView | None = None
        self._copied_from: date | None = None
        self._loading = False
        self._facts = PatientFacts()
        self.assessment: Assessment | None = None
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_now)
        # A change is assessed at once; the rest of a burst (a section filled as normal
        # changes dozens of paths in one go) is assessed once, when the burst is over.
        self._reassess_later = QTimer(self)
        self._reassess_later.setSingleShot(True)
        self._reassess_later.setInterval(0)
        self._reassess_later.timeout.connect(self._reassess_burst)
        self._reassess_pending = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.integrity_alert = QLabel()
        self.integrity_alert.setObjectName("integrity_alert")
        self.integrity_alert.setStyleSheet(ALERT_STYLE)
        self.integrity_alert.setWordWrap(True)
        self.integrity_alert.hide()
        # Who is being charted, always in view above the exam (and in the sign dialogs).
        self._patient: Patient | None = None
        self.patient_banner = PatientBanner()
        layout.addWidget(self.patient_banner)
        layout.addWidget(self.integrity_alert)
        self.header = QLabel()
        self.header.setObjectName("encounter_header")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.red_flags = RedFlagBanner()
        self.red_flags.sig_acknowledge_requested.connect(self.acknowledge_red_flags)
        self.red_flags.sig_finding_requested.connect(self.focus_findings)
        layout.addWidget(self.red_flags)

        tools = QHBoxLayout()
        self.copy_forward_button = QPushButton("Cop&y forward")
        self.copy_forward_button.setObjectName("copy_forward_button")
        self.copy_forward_button.setToolTip(
            "Bring in the findings of the last signed visit, marked until you confirm them "
            "(Ctrl+Shift+F)"
        )
        self.copy_forward_button.clicked.connect(self.copy_forward)
        tools.addWidget(self.copy_forward_button)
        self.fill_status = StatusLine()
        self.fill_status.setObjectName("fill_status")
        tint(self.fill_status, FILL_STATUS_COLOUR)
        self.fill_status.setWordWrap(True)
        tools.addWidget(self.fill_status, 1)
        keys = QLabel(
            "Ctrl+K quick entry · Alt+Shift+N all untested normal · Alt+N section normal · "
            "Ctrl+PgDn/PgUp next part · Ctrl+Z undo"
        )
        keys.setObjectName("exam_keys_hint")
        tint(keys, MUTED_COLOUR)
        keys.setWordWrap(True)  # a large font wraps it instead of squeezing the status
        tools.addWidget(keys, 1)
        layout.addLayout(tools)
        self._build_quick_entry(layout)

        self.exam_scroll = QScrollArea()
        self.exam_scroll.setObjectName("exam_scroll")
        self.exam_scroll.setWidgetResizable(True)
        self.exam_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 8, 0)
        self.exam_scroll.setWidget(self.body)
        self.panel = AssessmentPanel(services.forms.label_of)
        self.panel.setMinimumWidth(PANEL_MIN_WIDTH)
        self.panel.sig_decision_changed.connect(self._decided)
        self.panel.sig_finding_requested.connect(self.focus_findings)
        self.panel.sig_cards_changed.connect(self._chain_tab_order)
        self.panel.sig_override_requested.connect(self.override_gate)
        self.panel.sig_acknowledge_studies_requested.connect(self.acknowledge_no_studies)
        self.panel.sig_refusal_answered.connect(self._presenter.clear_refusal)
        # The form keeps priority: it gets every extra pixel, the panel a fixed default.
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("encounter_splitter")
        self.splitter.addWidget(self.exam_scroll)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.splitter.splitterMoved.connect(self._remember_panel_width)
        self._panel_sized = False
        layout.addWidget(self.splitter, 1)
        go_to_panel = QAction("Go to the assessment", self)
        go_to_panel.setShortcut(QKeySequence("Alt+T"))
        go_to_panel.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        go_to_panel.triggered.connect(self.go_to_assessment)
        self.addAction(go_to_panel)

        self.signature = QLabel()
        self.signature.setObjectName("signature_block")
        self.signature.setWordWrap(True)
        self.body_layout.addWidget(self.signature)

        notes_box = QGroupBox("Notes and plan")
        notes_box.setObjectName("section_notes")
        notes_layout = QVBoxLayout(notes_box)
        self.notes = FieldWithError(self._text_edit("encounter_notes", "Notes"))
        self.plan = FieldWithError(self._text_edit("encounter_plan", "Plan"))
        for text, field in (("N&otes:", self.notes), ("P&lan:", self.plan)):
            label = QLabel(text)
            label.setBuddy(field.editor)
            field.editor.setMinimumHeight(70)
            notes_layout.addWidget(label)
            notes_layout.addWidget(field)
        # The plan text is read by R11 too (a release written but not ticked).
        self.plan.editor.textChanged.connect(self._reassess_soon)
        release_row = QHBoxLayout()
        release_label = QLabel("Tarsal tunnel &release planned:")
        self.release = ChoiceBox([plan.value for plan in ReleasePlan])
        self.release.setObjectName("release_plan")
        self.release.setAccessibleName("Tarsal tunnel release planned")
        self.release.setToolTip(
            "A planned release turns on the pre-operative gate (R11): the lumbar screen must be "
            "complete, and lumbar or polyneuropathy findings need a written reason."
        )
        self.release.sig_value_changed.connect(self._plan_changed)
        release_label.setBuddy(self.release)
        release_row.addWidget(release_label)
        release_row.addWidget(self.release)
        release_row.addStretch(1)
        notes_layout.addLayout(release_row)
        self.release_hint = QLabel()
        self.release_hint.setObjectName("release_hint")
        self.release_hint.setWordWrap(True)
        tint(self.release_hint, "#8f5600")
        self.release_hint.hide()
        notes_layout.addWidget(self.release_hint)
        self.reason_box = QWidget()
        reason_layout = QVBoxLayout(self.reason_box)
        reason_layout.setContentsMargins(0, 0, 0, 0)
        reason_layout.setSpacing(2)
        self.reason_label = QLabel("&Why the foot is the primary source (R11):")
        self.reason = FieldWithError(
            self._text_edit("foot_primary_reason", "Why the foot is the primary source")
        )
        self.reason.editor.setPlaceholderText(
            "A sentence on why the foot, not the back or a polyneuropathy, is the source."
        )
        self.reason.editor.setFixedHeight(60)
        self.reason.editor.textChanged.connect(self._reassess_soon)
        self.reason_label.setBuddy(self.reason.editor)
        reason_layout.addWidget(self.reason_label)
        reason_layout.addWidget(self.reason)
        self.reason_box.hide()
        notes_layout.addWidget(self.reason_box)
        self.body_layout.addWidget(notes_box)
        self.handouts = HandoutPicker(services, self._pdfs, exam_source=self._printable_exam)
        self.body_layout.addWidget(self.handouts)
        # Teach-back (AHRQ Tool 5): recorded, signed and printed on the visit note.
        teach_row = QHBoxLayout()
        self.teach_back = QCheckBox("T&each-back done: the patient said back what to do")
        self.teach_back.setObjectName("teach_back_done")
        self.teach_back.toggled.connect(lambda _on: self._changed())
        self.teach_back_note = QLineEdit()
        self.teach_back_note.setObjectName("teach_back_note")
        self.teach_back_note.setAccessibleName("Teach-back: what the patient said back")
        self.teach_back_note.setPlaceholderText("What the patient said back (optional)")
        self.teach_back_note.setMaxLength(MAX_TEACH_BACK_NOTE)
        self.teach_back_note.textEdited.connect(lambda _text: self._changed())
        teach_row.addWidget(self.teach_back)
        teach_row.addWidget(self.teach_back_note, 1)
        self.body_layout.addLayout(teach_row)

        self.addenda_box = QGroupBox("Addenda")
        addenda_layout = QVBoxLayout(self.addenda_box)
        self.addenda_list = QLabel()
        self.addenda_list.setObjectName("addenda_list")
        self.addenda_list.setWordWrap(True)
        addenda_layout.addWidget(self.addenda_list)
        self.addendum = FieldWithError(self._text_edit("addendum_text", "New addendum"))
        self.addendum.editor.setMaximumHeight(90)
        addenda_layout.addWidget(self.addendum)
        self.amend_button = QPushButton("A&mend findings")
        self.amend_button.setObjectName("amend_findings_button")
        self.amend_button.setToolTip(
            "Unlock the findings to add or correct them in the addendum; the signed exam is kept"
        )
        self.amend_button.clicked.connect(self.start_amending)
        addenda_layout.addWidget(self.amend_button)
        self.addendum_button = QPushButton("Sign &addendum")
        self.addendum_button.setObjectName("addendum_button")
        self.addendum_button.setToolTip("Sign the new addendum (Ctrl+Shift+A)")
        self.addendum_button.clicked.connect(self.add_addendum)
        addenda_layout.addWidget(self.addendum_button)
        self.body_layout.addWidget(self.addenda_box)
        self.body_layout.addStretch(1)

        status_row = QHBoxLayout()
        self.save_status = QLabel()
        self.save_status.setObjectName("save_status")
        self.save_status.setWordWrap(True)
        status_row.addWidget(self.save_status, 1)
        self.note_button = output_button("&Visit note", "visit_note_button", self.output_visit_note)
        self.note_button.setToolTip(
            "Print, save or open the visit note (a draft prints marked DRAFT)"
        )
        status_row.addWidget(self.note_button)
        self.export_button = QPushButton("E&xport...")
        self.export_button.setObjectName("export_button")
        self.export_button.setToolTip("Export the signed encounter as PDF or FHIR (Ctrl+Shift+E)")
        self.export_button.clicked.connect(self.sig_export_requested.emit)
        self.export_button.hide()
        status_row.addWidget(self.export_button)
        self.sign_button = QPushButton("&Sign encounter")
        self.sign_button.setObjectName("sign_button")
        self.sign_button.setToolTip("Sign and lock this encounter (Ctrl+Shift+S)")
        self.sign_button.clicked.connect(self.sign)
        status_row.addWidget(self.sign_button)
        layout.addLayout(status_row)
        self.message = error_banner("encounter_message")
        layout.addWidget(self.message)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow_focus)

    @property
    def encounter(self) -> Encounter | None:
        """The encounter as last stored (or read back)."""
        return self._presenter.encounter

    @encounter.setter
    def encounter(self, enc: Encounter | None) -> None:
        """None closes the encounter (the session ended): nothing more is saved or signed."""
        if enc is None:
            self._presenter.close()
        else:
            self._presenter.show(enc)

    @property
    def dirty(self) -> bool:
        """Something on screen is not stored yet."""
        return self._presenter.dirty

    @property
    def _principal(self) -> Principal | None:
        return self._presenter.principal

    def _render(self, state: EncounterScreen) -> None:
        """Draw the presenter's screen state: only what changed since the last drawing."""
        before, self._rendered = self._rendered, state
        for name, draw in self._drawers().items():
            value = getattr(state, name)
            if before is None or getattr(before, name) != value:
                draw(value)

    def _drawers(self) -> dict[str, Callable[[Any], object]]:
        """Screen state field -> how it is drawn."""
        return {
            "status": self.save_status.setText,
            "message": self._show_message,
            "errors": self._show_errors,
            "addendum_error": lambda text: self.addendum.set_error(text or None),
            "header": self.header.setText,
            "signature": self.signature.setText,
            "signature_tip": self.signature.setToolTip,
            "addenda": self.addenda_list.setText,
            "read_only": self._lock_fields,
            "form_read_only": self._lock_form,
            "copy_forward": self.copy_forward_button.setEnabled,
            "sign_shown": self.sign_button.setVisible,
            "export_shown": self.export_button.setVisible,
            "amend_shown": self.amend_button.setVisible,
            "amend_enabled": self.amend_button.setEnabled,
            "addenda_shown": self.addenda_box.setVisible,
            "addendum_enabled": self._allow_addendum,
        }

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _lock_form(self, read_only: bool) -> None:
        if self.form is not None:
            self.form.set_read_only(read_only)

    def _allow_addendum(self, allowed: bool) -> None:
        self.addendum.editor.setReadOnly(not allowed)
        self.addendum_button.setEnabled(allowed)

    def _lock_fields(self, read_only: bool) -> None:
        for edit in (self.notes.editor, self.plan.editor, self.reason.editor):
            edit.setReadOnly(read_only)
        self.release.set_read_only(read_only)
        self.teach_back.setEnabled(not read_only)
        self.teach_back_note.setReadOnly(read_only)

    def _follow_focus(self, _old: QWidget | None, now: QWidget | None) -> None:
        """Every field the cursor reaches in the scrolled body is scrolled into view."""
        if now is not None and self.isVisible() and self.body.isAncestorOf(now):
            self.exam_scroll.ensureWidgetVisible(now, 20, 40)

    def _build_quick_entry(self, layout: QVBoxLayout) -> None:
        """Ctrl+K: a line for short typed findings, read back before Enter applies them."""
        self.quick_box = QFrame()
        self.quick_box.setObjectName("quick_entry_box")
        self.quick_box.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(self.quick_box)
        box.setContentsMargins(4, 2, 4, 2)
        box.setSpacing(1)
        row = QHBoxLayout()
        label = QLabel("Quick entry (Ctrl+K):")
        self.quick_entry = QuickEntryLine()
        self.quick_entry.setObjectName("quick_entry")
        self.quick_entry.setAccessibleName("Quick entry of findings")
        self.quick_entry.setPlaceholderText(
            "e.g. tinel r pos arch hallux; aj r 0; slr r 40 foot; pin r arch hallux reduced; "
            "pf r 4   (Enter applies, Esc closes)"
        )
        label.setBuddy(self.quick_entry)
        row.addWidget(label)
        row.addWidget(self.quick_entry, 1)
        box.addLayout(row)
        self.quick_preview = QLabel()
        self.quick_preview.setObjectName("quick_entry_preview")
        self.quick_preview.setWordWrap(True)
        box.addWidget(self.quick_preview)
        self.quick_box.hide()
        self.quick_entry.textChanged.connect(self._preview_quick_entry)
        self.quick_entry.returnPressed.connect(self.apply_quick_entry)
        self.quick_entry.sig_cancelled.connect(self.close_quick_entry)
        self._quick_parser: QuickEntryParser | None = None
        self._quick_return: QWidget | None = None
        layout.addWidget(self.quick_box)

    def open_quick_entry(self) -> None:
        """Ctrl+K: open the quick-entry line (the cursor comes back with Esc)."""
        if self._editable_form() is None or not self.isVisible():
            return
        focused = QApplication.focusWidget()
        if focused is not self.quick_entry:
            self._quick_return = focused
        self.quick_box.show()
        self.quick_entry.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._preview_quick_entry(self.quick_entry.text())

    def close_quick_entry(self) -> None:
        """Esc: close the line and go back to the field the cursor came from."""
        self.quick_box.hide()
        back = self._quick_return
        self._quick_return = None
        if back is not None and back.isVisible():
            back.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.form is not None:
            self.form.focus_section(0)

    def _parser(self) -> QuickEntryParser:
        if self._quick_parser is None:
            form = self._ensure_form()
            self._quick_parser = QuickEntryParser(form.form_layout, form.describe)
        return self._quick_parser

    def _read_quick_entry(self) -> QuickEntryResult:
        return self._parser().parse(self.quick_entry.text())

    def _preview_quick_entry(self, text: str) -> None:
        """Show what the line will set, or why it cannot be read, before anything is set."""
        if not text.strip():
            tint(self.quick_preview, MUTED_COLOUR)
            self.quick_preview.setText(
                "Type findings: test, side (r/l/b), value, regions by name. Several with ';'."
            )
            return
        try:
            read = self._read_quick_entry()
        except QuickEntryError as exc:
            tint(self.quick_preview, ERROR_COLOUR)
            self.quick_preview.setText(f"Cannot read: {exc}")
            return
        tint(self.quick_preview, FILL_STATUS_COLOUR)
        self.quick_preview.setText(f"Enter sets: {read.summary}")

    def apply_quick_entry(self) -> None:
        """Enter: set exactly what the line was read as (one undo step), or refuse it."""
        form = self._editable_form()
        if form is None:
            return
        try:
            read = self._read_quick_entry()
        except QuickEntryError as exc:
            tint(self.quick_preview, ERROR_COLOUR)
            self.quick_preview.setText(f"Not applied: {exc}")
            return
        values: dict[str, Any] = {}
        for change in read.changes:
            value = change.value
            if isinstance(value, list):  # regions are added to those already charted
                current = values.get(change.path, form.control(change.path).value())
                value = [*current, *(c for c in value if c not in current)]
            values[change.path] = value
        for sensory in read.sensory:
            current = values.get(sensory.path)
            if current is None:
                current = {
                    str(code): found.model_dump(mode="json")
                    for code, found in form.control(sensory.path).value().items()
                }
            values[sensory.path] = apply_sensory(current, sensory)
        changed = form.apply_values(f"quick entry '{self.quick_entry.text().strip()}'", values)
        self.fill_status.setText(
            f"Set (Ctrl+Z undoes it): {read.summary}." if changed else "Already charted so."
        )
        self.quick_entry.clear()

    def _text_edit(self, name: str, accessible: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setTabChangesFocus(True)
        if name != "addendum_text":
            edit.textChanged.connect(self._changed)
        return edit

    def prepare(self) -> None:
        """Build the exam form ahead of the first encounter (run once, soon after log-in).

        The widgets are built and polished on the UI thread while nothing else is asked of
        it; the handout library is read on a worker thread. Opening an encounter then only
        shows values.
        """
        if self.form is not None:
            return
        self._ensure_form()
        self._parser()
        self.ensurePolished()
        layout = self.layout()
        if layout is not None:
            layout.activate()
        library = self._services.handouts

        def read_library() -> None:
            for handout_id in library.ids():
                library.get(handout_id, "en")
            library.next_steps()

        run_task(read_library)

    def _ensure_form(self) -> FormView:
        """Build the exam form on first use (keeps it off the start-up path)."""
        if self.form is None:
            from clinic_app.ui.forms.registry import exam_widgets

            forms = self._services.forms
            self.form = FormView(forms.exam_layout(), NeuroFootExam, exam_widgets(forms.foot_map()))
            self.form.sig_value_changed.connect(self._form_changed)
            self.form.sig_status.connect(self.fill_status.setText)
            self.body_layout.insertWidget(1, self.form)
            self._chain_tab_order()
            self._rendered = None  # the next drawing sets the new form up in full
        return self.form

    def _chain_tab_order(self) -> None:
        """Tab runs form, notes, plan, release, reason, assessment, handouts, visit note, Sign."""
        if self.form is None:
            return
        chain: list[QWidget] = [
            self.form.control(self.form.paths[-1]),
            self.notes.editor,
            self.plan.editor,
            self.release,
            self.reason.editor,
            *self.panel.tab_widgets(),
            *self.handouts.tab_widgets(),
            self.note_button,
            self.sign_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def showEvent(self, event: QShowEvent) -> None:
        """Give the panel its width once the pane has its first real size."""
        super().showEvent(event)
        self._size_panel()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Until the clinician drags the panel, its default follows the window's width."""
        super().resizeEvent(event)
        self._size_panel()

    def _size_panel(self) -> None:
        """Size the panel: as last dragged (kept with the window's placement), else the default.

        A dragged width is applied once; the default is applied again as the window resizes.
        """
        total = sum(self.splitter.sizes())
        if self._panel_sized or not self.isVisible() or total <= PANEL_WIDTH * 2:
            return
        chosen = self._chosen_panel_width()
        self._panel_sized = chosen is not None
        width = chosen or default_panel_width(total, self._form_needs())
        if self.splitter.sizes()[1] != width:
            self.splitter.setSizes([total - width, width])

    def _form_needs(self) -> int:
        """The exam form's narrowest width, with its scroll bar (0 before it is built)."""
        body = self.exam_scroll.widget()
        if self.form is None or body is None:
            return 0
        bar = self.exam_scroll.verticalScrollBar().sizeHint().width()
        return body.minimumSizeHint().width() + bar + self.splitter.handleWidth()

    def _chosen_panel_width(self) -> int | None:
        """The panel width kept from the last drag, if any (in this or an earlier run)."""
        saved = self._window_state.value(PANEL_WIDTH_KEY) if self._window_state else None
        return int(saved) if isinstance(saved, int | str) and str(saved).isdigit() else None

    def _remember_panel_width(self, _pos: int, _index: int) -> None:
        """The splitter was dragged: keep the panel's width for the next encounter and start."""
        self._panel_sized = True
        if self._window_state is not None:
            self._window_state.setValue(PANEL_WIDTH_KEY, self.splitter.sizes()[1])

    # --- loading and showing ----------------------------------------------------------------

    def load(self, principal: Principal, record: EncounterRecord) -> None:
        """Show an encounter as read back from storage (a busy cursor while the form is built)."""
        if self.form is None:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self.prepare()
            finally:
                QApplication.restoreOverrideCursor()
        self._autosave.stop()
        self._ensure_form()
        enc = record.encounter
        self._presenter.open(principal, enc)
        self._facts = self._patient_facts(principal, enc.id)
        try:
            self._patient = self._services.patients.get(principal, enc.patient_id)
        except ClinicError:
            self._patient = None
        self._loading = True
        try:
            self._show_exam(enc)
            self.notes.editor.setPlainText(enc.content.notes)
            self.plan.editor.setPlainText(enc.content.plan)
            self.release.set_value(enc.content.release.value)
            self.reason.editor.setPlainText(enc.content.assessment.foot_primary_reason)
        finally:
            self._loading = False
        self._copied_from = enc.content.copied_from
        self.fill_status.clear()
        self._show(enc)
        self._load_handouts(principal, enc)
        self._age_from_birth(enc)
        self.exam_scroll.verticalScrollBar().setValue(0)
        if record.problems:
            self.integrity_alert.setText(
                "INTEGRITY WARNING: "
                + " ".join(record.problems)
                + " Report this to the practice admin; do not rely on this record."
            )
            self.integrity_alert.show()
        else:
            self.integrity_alert.hide()

    def _age_from_birth(self, enc: Encounter) -> None:
        """Answer "age over 50" from the date of birth on a draft where it is not charted.

        Shown as a change (marked, undoable, saved with the draft) and said on the status line.
        """
        form = self.form
        path = AGE_OVER_50
        if (
            form is None
            or enc.is_signed
            or form.read_only
            or self._patient is None
            or path not in form.paths
            or form.control(path).value() != "not_tested"
        ):
            return
        born, on = self._patient.date_of_birth, enc.encounter_date
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        answer = "yes" if age > 50 else "no"
        if form.apply_values("age over 50 from the date of birth", {path: answer}):
            # Assessed now, so the next key's change is assessed at once too.
            self._reassess_later.stop()
            self._reassess_pending = False
            self._reassess()
            self.fill_status.setText(
                f"Age over 50: {answer}, from the date of birth ({age} on the visit date)."
            )

    def _load_handouts(self, principal: Principal, enc: Encounter) -> None:
        """Set the picker up for this visit: the patient's language, the release's side."""
        patient = self._patient
        plan = enc.content.release
        side = None if plan is ReleasePlan.NONE else HandoutSide(plan.value)
        self.handouts.load(principal, enc.id, patient, side)
        self._chain_tab_order()

    def _printable_exam(self) -> NeuroFootExam | None:
        """The exam as stored, for a handout's foot drawing (the draft saved first)."""
        if self.encounter is None or not self._saved_for_output():
            return None
        return effective_exam(self.encounter)[0]

    def _saved_for_output(self) -> bool:
        """Save a changed draft before printing from it; False when it could not be saved."""
        assert self.encounter is not None
        return self.encounter.is_signed or not self.dirty or self.save_now()

    def output_visit_note(self, output: Output) -> None:
        """Print, save or open the visit note of the encounter as stored (audited)."""
        if self.encounter is None or self._principal is None:
            return
        if not self._saved_for_output():
            self._presenter.fail(
                "The visit note was not printed: the draft could not be saved first."
            )
            return
        enc = self.encounter
        try:
            data = self._services.encounters.visit_note(self._principal, enc.id, output.action)
            pdf = visit_note_pdf(self._services, data)
            name = f"visit-note-{data.patient.display_name}-{enc.encounter_date.isoformat()}"
            result = deliver(output, pdf, "the visit note", name, self, self._pdfs)
        except (ClinicError, PrintFailed) as exc:
            self._presenter.tell(f"The visit note was not printed: {exc}")
            return
        if result is not None:
            draft = "" if enc.is_signed else " (a draft: marked DRAFT)"
            self._presenter.note(f"{result}{draft}")

    def _patient_facts(self, principal: Principal, encounter_id: int) -> PatientFacts:
        """What the rules read about the patient, fetched once per encounter opened."""
        try:
            return self._services.encounters.patient_facts(principal, encounter_id)
        except ClinicError:
            return PatientFacts()  # unknown diabetes and age: the rules say less, never more

    def _show_exam(self, enc: Encounter) -> None:
        """The draft as charted, or a signed exam as it reads with its addenda applied."""
        form = self._ensure_form()
        if enc.is_signed:
            exam, amended = effective_exam(enc)
            form.set_values(exam.model_dump(mode="json"), amended=amended)
        else:
            form.set_values(enc.content.exam.model_dump(mode="json"), enc.content.unconfirmed)

    def start_amending(self) -> None:
        """Unlock the findings of a signed exam; changes go into the next addendum."""
        if self.form is None or not self._presenter.start_amending():
            return
        self.fill_status.setText(
            "Amending: change findings, write why in the addendum, then sign it "
            "(Ctrl+Shift+A). The signed exam itself is never changed."
        )
        self.form.focus_section(0)

    def focus_first_field(self) -> None:
        """Put the cursor where charting starts (the first exam field, or the addendum)."""
        if self.encounter is not None and self.encounter.is_signed:
            self.addendum.editor.setFocus()
        elif self.form is not None:
            self.form.focus_section(0)
            # The first section starts at the top; scrolling there is right whatever the
            # banner above did to the viewport before the first layout pass.
            self.exam_scroll.verticalScrollBar().setValue(0)

    def _show(self, enc: Encounter) -> None:
        """Show the encounter as stored (opened, signed or amended with an addendum)."""
        # Showing the stored answer is not a change (it would autosave an unchanged copy).
        blocked = self.teach_back.blockSignals(True)
        try:
            self.teach_back.setChecked(enc.content.teach_back.done)
        finally:
            self.teach_back.blockSignals(blocked)
        self.teach_back_note.setText(enc.content.teach_back.note)
        self._presenter.show(enc)
        read_only = self._presenter.screen.read_only
        self.panel.set_decisions(enc.content.assessment.decisions, read_only=read_only)
        self._reassess()

    # --- editing and saving -------------------------------------------------------------------

    def _raw_content(self) -> dict[str, Any]:
        form = self._ensure_form()
        return {
            "exam": form.values(),
            "notes": self.notes.editor.toPlainText(),
            "plan": self.plan.editor.toPlainText(),
            "copied_from": self._copied_from.isoformat() if self._copied_from else None,
            "unconfirmed": form.unconfirmed,
            "release": self.release.value(),
            "assessment": self._raw_assessment(),
            "teach_back": {
                "done": self.teach_back.isChecked(),
                "note": self.teach_back_note.text(),
            },
        }

    def _raw_assessment(self) -> dict[str, Any]:
        """Decisions and the written reason as on screen; the acknowledgement as stored.

        The red-flag acknowledgement is only ever made by the service (audited), so a draft
        save carries the stored one through unchanged.
        """
        stored = self.encounter.content.assessment if self.encounter is not None else None
        acknowledged = stored.red_flags_acknowledged if stored is not None else None
        override = stored.gate_override if stored is not None else None
        studies = stored.studies_acknowledged if stored is not None else None
        return {
            # Made only by their audited service calls: carried through as stored.
            "gate_override": override.model_dump(mode="json") if override else None,
            "studies_acknowledged": studies.model_dump(mode="json") if studies else None,
            "decisions": {
                key: decision.model_dump(mode="json")
                for key, decision in self.panel.decisions().items()
            },
            "red_flags_acknowledged": (
                acknowledged.model_dump(mode="json") if acknowledged is not None else None
            ),
            "foot_primary_reason": self.reason.editor.toPlainText(),
        }

    def _form_changed(self, _path: str) -> None:
        self._changed()
        self._reassess_soon()

    def _plan_changed(self) -> None:
        self._changed()
        self._reassess_soon()

    def _changed(self) -> None:
        if self._loading or not self._presenter.edited():
            return
        # Not restarted by later changes: while the clinician keeps charting, a save still
        # happens within a second of the first unsaved change, so a crash loses at most that.
        if not self._autosave.isActive():
            self._autosave.start()

    def _shown_at(self) -> Callable[[str], str | None] | None:
        """Where the form shows an exam error (a region's error on its whole map)."""
        return self.form.path_for_error if self.form is not None else None

    def _show_errors(self, errors: Mapping[str, str]) -> None:
        if self.form is not None:
            self.form.set_errors(
                {k.removeprefix("exam."): v for k, v in errors.items() if k.startswith("exam.")}
            )
        self.notes.set_error(errors.get("notes"))
        self.plan.set_error(errors.get("plan"))
        self.reason.set_error(errors.get(REASON_FOR_GATE))

    def save_now(self) -> bool:
        """Save the draft if it changed; refused fields stay on screen, marked. True if saved."""
        self._autosave.stop()
        outcome = self._presenter.save(self._raw_content, self._shown_at())
        if outcome.retry:
            self._autosave.start()
        if outcome.saved is not None:
            if self.form is not None:
                # Saved findings lose their "changed" mark; refused ones keep it.
                held = (k.removeprefix("exam.") for k in outcome.held if k.startswith("exam."))
                self.form.mark_saved(filter(None, map(self.form.path_for_error, held)))
            self.sig_encounter_changed.emit(outcome.saved)
        return outcome.ok

    # --- the live assessment ------------------------------------------------------------------

    def _assessed_content(self) -> tuple[EncounterContent, NeuroFootExam | None]:
        """The content to assess and the exam to assess instead of its own, if any."""
        return self._presenter.to_assess(
            self._raw_content,
            self._shown_at(),
            lambda: self._ensure_form().values(),
            self._services.clock.today(),
        )

    def _reassess_soon(self) -> None:
        """Assess this change now, unless a burst of changes is under way."""
        if self._loading:
            return  # load() assesses once everything is shown
        if self._reassess_later.isActive():
            self._reassess_pending = True
            return
        self._reassess()
        self._reassess_later.start()

    def _reassess_burst(self) -> None:
        if self._reassess_pending:
            self._reassess_pending = False
            self._reassess()

    def _reassess(self) -> None:
        """Recompute the assessment from what is on screen; cheap when nothing changed."""
        if self._loading or self.encounter is None or self.form is None:
            return
        content, exam = self._assessed_content()
        found = assess_content(
            content,
            self._facts,
            self._services.clock.today(),
            exam,
            self._services.encounters.code_set,
        )
        plan, from_text = planned_release(content)
        self._show_banner(plan, from_text)
        planned = plan is not ReleasePlan.NONE
        self.assessment = found
        record = content.assessment
        screen = self._presenter.screen
        self.panel.set_gate_record(
            record.gate_override, record.studies_acknowledged, can_act=screen.gate_actions
        )
        self.panel.show_assessment(found, release_planned=planned)
        self.red_flags.show_state(
            found, content.assessment.red_flags_acknowledged, can_acknowledge=screen.acknowledge
        )
        show_reason = (
            planned or found.foot_primary_reason_needed or bool(self.reason.editor.toPlainText())
        )
        if self.reason_box.isHidden() == show_reason:
            self.reason_box.setVisible(show_reason)
        needed = found.foot_primary_reason_needed
        if bool(self.reason_box.property("needed")) != needed:
            self.reason_box.setProperty("needed", needed)
            self.reason_box.setStyleSheet(REASON_NEEDED_STYLE if needed else "")
            self.reason_label.setText(
                "&Why the foot is the primary source (R11) - required before signing:"
                if needed
                else "&Why the foot is the primary source (R11):"
            )
        hint = (
            "The plan text mentions a tarsal tunnel release, so the pre-operative gate (R11) "
            "applies to both sides: choose the side above."
            if from_text
            else ""
        )
        if self.release_hint.text() != hint:
            self.release_hint.setText(hint)
            self.release_hint.setVisible(bool(hint))

    def _show_banner(self, plan: ReleasePlan, from_text: bool) -> None:
        """The patient banner, with the release as planned on screen right now."""
        if self._patient is None:
            self.patient_banner.show_state(None)
            return
        today = self._services.clock.today()
        self.patient_banner.show_state(banner_state(self._patient, today, plan, from_text))

    def _banner_for_dialog(self) -> dict[str, Any]:
        """The banner for a signing question: shown above it, and Enter then signs."""
        state = self.patient_banner.state
        if state is None:
            return {}
        return {"banner_html": banner_html(state), "default_yes": True}

    def _undecided(self) -> list[QWidget]:
        """The Confirm buttons of cards still waiting for a decision, top to bottom."""
        decided = self.panel.decisions()
        buttons: list[QWidget] = []
        for key in self.panel.keys:
            card = self.panel.card(key)
            if key not in decided and card is not None and card.confirm_button.isVisibleTo(card):
                buttons.append(card.confirm_button)
        return buttons

    def go_to_assessment(self) -> None:
        """Alt+T: the next card waiting for a decision, else the gate's next step.

        Pressed again after deciding a card (C, W or D), it goes on to the next one.
        """
        target = self._next_in_panel()
        if target is None:
            self.panel.focus_first()
            return
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.panel.scroll_area.ensureWidgetVisible(target, 20, 40)

    def _next_in_panel(self) -> QWidget | None:
        undecided = self._undecided()
        if undecided:
            return undecided[0]
        studies = self.panel.gate.studies_button
        if self.panel.gate.isVisibleTo(self.panel) and studies.isVisibleTo(self.panel.gate):
            return studies
        return None

    def _decided(self, _key: str) -> None:
        """A card decided or changed: saved with the draft (the cursor stays on the card)."""
        self._changed()

    def acknowledge_red_flags(self) -> None:
        """Alt+K: save the draft, then record (audited) that the urgent alert was seen."""
        if not self._presenter.draft_open:
            return
        if not self.save_now():
            self._presenter.fail(
                "Not acknowledged: the draft could not be saved (see the marked fields)."
            )
            return
        focused = QApplication.focusWidget()
        had_focus = focused is not None and self.red_flags.isAncestorOf(focused)
        saved = self._presenter.acknowledge_red_flags()
        if saved is None:
            return
        self._reassess()
        if had_focus:
            # The button is gone: carry on where the now released suggestions are.
            self.panel.focus_first()
        self.sig_encounter_changed.emit(saved)

    def acknowledge_no_studies(self) -> None:
        """Save the draft, then record (audited) signing without nerve studies (R11 item 5)."""
        service = self._services.encounters
        studies = self.panel.gate.studies_button
        had_focus = studies.hasFocus()
        self._gate_action(
            lambda who, enc_id, version: service.acknowledge_no_studies(who, enc_id, version),
            "No nerve studies acknowledged",
        )
        if had_focus and not studies.isVisibleTo(self.panel.gate):
            # The button is gone: on to what is still open, or to Sign.
            target = self._next_in_panel() or self.sign_button
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def override_gate(self) -> None:
        """Ask for the override's own reason, save, then record it (named, timed, audited)."""
        if self.encounter is None or self._principal is None or self.encounter.is_signed:
            return
        reason = self._dialogs.ask_text(
            self,
            "Override the pre-operative gate",
            "The override passes only 'evidence for the tarsal tunnel' and 'competing causes\n"
            "answered'. It is recorded with your name and the time, audited, and printed on\n"
            "the visit note. Write why the release should go ahead (a sentence or more):",
        )
        if reason is None:
            return
        service = self._services.encounters
        self._gate_action(
            lambda who, enc_id, version: service.override_gate(who, enc_id, reason, version),
            "Pre-operative gate overridden",
        )

    def _gate_action(self, call: GateCall, done: str) -> None:
        """Save the draft, then make one audited gate record through the service."""
        if not self._presenter.draft_open:
            return
        if not self.save_now():
            self._presenter.fail(f"{done}: not recorded, the draft could not be saved.")
            return
        saved = self._presenter.record(call, done)
        if saved is not None:
            self._reassess()
            self.sig_encounter_changed.emit(saved)

    def focus_findings(self, paths: list[str]) -> None:
        """Put the cursor on the first finding; outline every sensory region named."""
        if not paths:
            return
        if self.form is not None:
            regions: dict[str, list[RegionCode]] = {}
            for path in paths:
                control_path, _dot, code = path.partition(SENSORY_MAP_SUFFIX + ".")
                if code and control_path + SENSORY_MAP_SUFFIX in self.form.paths:
                    try:
                        region = RegionCode(code.partition(".")[0])
                    except ValueError:
                        continue
                    regions.setdefault(control_path + SENSORY_MAP_SUFFIX, []).append(region)
            for path in self.form.paths:
                if path.endswith(SENSORY_MAP_SUFFIX):
                    self.form.control(path).highlight(regions.get(path, ()))
        self.focus_finding(paths[0])

    def focus_finding(self, path: str) -> None:
        """Put the cursor on what a path names: a finding, the plan, a reason or a decision."""
        decision = path.removeprefix("assessment.decisions.")
        if decision != path:
            card = self.panel.card(decision)
            if card is not None:
                card.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)
                self.panel.scroll_area.ensureWidgetVisible(card.confirm_button, 20, 40)
            return
        if path.startswith("assessment.") or path == "release":
            target: QWidget = self.release if path == "release" else self.reason.editor
            if target is self.reason.editor:
                self.reason_box.show()
            target.setFocus(Qt.FocusReason.OtherFocusReason)
            self.exam_scroll.ensureWidgetVisible(target, 20, 40)
            return
        if self.form is not None:
            self.form.focus_finding(path)

    # --- exam helpers -------------------------------------------------------------------------

    def _editable_form(self) -> FormView | None:
        if self.form is None or self.form.read_only or self.encounter is None:
            return None
        return self.form

    def fill_normal(self) -> None:
        """Alt+N: the focused section's normal findings."""
        form = self._editable_form()
        if form is None:
            return
        section = form.section_of_focus()
        if section is None:
            self.fill_status.setText("Put the cursor in a section first (Ctrl+PgDn moves on).")
            return
        if not section.normal:
            self.fill_status.setText(f"{section.title} has no normal preset.")
            return
        form.apply_normal(section.id)

    def fill_all_normal(self) -> None:
        """Alt+Shift+N: every untested item of the whole exam as normal (charted ones kept)."""
        form = self._editable_form()
        if form is not None and self.isVisible() and not form.fill_untested_normal():
            self.fill_status.setText("Every item with a normal preset is already charted.")

    def undo_fill(self) -> None:
        """Ctrl+Z (or Alt+U): undo the last change to a finding, a fill or a copy forward."""
        form = self._editable_form()
        if form is not None and self.isVisible() and not form.undo():
            self.fill_status.setText("Nothing to undo.")

    def redo_change(self) -> None:
        """Ctrl+Shift+Z or Ctrl+Y: apply again the change undone last."""
        form = self._editable_form()
        if form is not None and self.isVisible() and not form.redo():
            self.fill_status.setText("Nothing to redo.")

    def confirm_copied(self) -> None:
        """Alt+C: confirm the copied findings of the focused section."""
        form = self._editable_form()
        if form is None:
            return
        section = form.section_of_focus()
        if section is not None and form.confirm_section(section.id) == 0:
            self.fill_status.setText(f"No copied findings to confirm in {section.title}.")

    def _part_stops(self) -> list[QWidget]:
        """Ctrl+PgDn's stops after the exam: notes, plan, reason, handouts, addenda on screen."""
        stops: list[QWidget] = [self.notes.editor, self.plan.editor]
        if not self.reason_box.isHidden():
            stops.append(self.reason.editor)
        stops += [w for w in self.handouts.tab_widgets()[:1] if w.isVisibleTo(self)]
        if not self.addenda_box.isHidden():
            stops.append(self.addendum.editor)
        return stops

    def next_section(self, step: int = 1) -> None:
        """Ctrl+PgDn / Ctrl+PgUp: the next or previous part, scrolled into view.

        The exam's sections, then notes, plan, the gate's reason, handouts and addenda, and
        round again.
        """
        if self.form is None or self.encounter is None:
            return
        sections = len(self.form.form_layout.sections)
        stops = self._part_stops()
        focused = QApplication.focusWidget()
        current = self.form.section_of_focus()
        if current is not None:
            index = list(self.form.form_layout.sections).index(current)
        else:
            index = next(
                (
                    sections + i
                    for i, stop in enumerate(stops)
                    if focused is not None and (stop is focused or stop.isAncestorOf(focused))
                ),
                -1 if step > 0 else 0,
            )
        target = (index + step) % (sections + len(stops))
        if target < sections:
            self.form.focus_section(target)
            return
        widget = stops[target - sections]
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        self.exam_scroll.ensureWidgetVisible(widget, 20, 60)

    def copy_forward(self) -> None:
        """Bring in the last signed visit's findings as unconfirmed draft values."""
        form = self._editable_form()
        if form is None or self._principal is None or self.encounter is None:
            return
        try:
            previous = self._services.encounters.previous_findings(
                self._principal, self.encounter.id
            )
        except ClinicError as exc:
            self._presenter.fail(str(exc))
            return
        if previous is None:
            self.fill_status.setText("No earlier signed visit with exam findings to copy.")
            return
        when = previous.encounter_date.isoformat()
        if form.copy_forward(previous.exam.model_dump(mode="json"), f"the visit of {when}"):
            self._copied_from = previous.encounter_date
            form.focus_path(form.unconfirmed[0])

    # --- signing and addenda ------------------------------------------------------------------

    def sign(self) -> None:
        """Save, confirm, then sign and lock."""
        if not self._presenter.draft_open or not self.save_now():
            return
        signing = self._presenter.sign(
            lambda: self._dialogs.confirm(
                self,
                "Sign encounter",
                "Sign and lock this encounter? Signed content can never be changed; "
                "corrections are made with signed addenda.",
                yes="Sign",
                **self._banner_for_dialog(),
            )
        )
        if signing.focus:
            # The panel says when every item named is met; the refusal line goes then.
            self.panel.note_refusal(signing.focus)
            self.focus_findings(list(signing.focus))
        if signing.signed is not None:
            self._show(signing.signed)
            self.sig_encounter_changed.emit(signing.signed)

    def add_addendum(self) -> None:
        """Sign the typed addendum."""
        findings = self.form.changed_from_shown() if self._presenter.amending and self.form else {}
        updated = self._presenter.add_addendum(
            self.addendum.editor.toPlainText(),
            findings,
            lambda question: self._dialogs.confirm(
                self, "Sign addendum", question, yes="Sign addendum", **self._banner_for_dialog()
            ),
        )
        if updated is None:
            return
        self.addendum.editor.clear()
        self._show_exam(updated)
        self.fill_status.setText(
            f"Addendum signed with {len(findings)} amended finding(s)." if findings else ""
        )
        self._show(updated)
        self.sig_encounter_changed.emit(updated)
