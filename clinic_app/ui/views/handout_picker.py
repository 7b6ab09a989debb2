"""The clinician's handout picker in the encounter: pick, personalise, queue or print now.

Queued handouts go to the front desk's print queue with the side, the print size and the next
steps ticked here; they are printed with the practice letterhead, the patient's name, the
visit date and the clinician's name. The patient's copy carries no teach-back questions: they
are shown here, on screen, for the clinician to ask ("Tell me in your own words..."), and
print only on the clinician copy. A visit with an unacknowledged urgent alert holds its
handouts (the service refuses them) until the clinician acknowledges it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.handouts import HandoutLanguage, HandoutSide
from clinic_app.domain.patient import Patient
from clinic_app.domain.print_queue import MAX_COPIES, HandoutChoice, HandoutRequest
from clinic_app.services.container import Services
from clinic_app.ui.printing import PdfOutput, PrintFailed
from clinic_app.ui.views.form_widgets import error_banner
from clinic_app.ui.views.printouts import (
    LANGUAGE_WORDS,
    Output,
    deliver,
    handout_copy_pdf,
    output_button,
)

if TYPE_CHECKING:
    from clinic_app.reports.foot_map import HandoutFootMap

NO_SIDE = "not printed"
SIDE_WORDS = {HandoutSide.RIGHT: "right", HandoutSide.LEFT: "left", HandoutSide.BOTH: "both"}


class HandoutPicker(QGroupBox):
    """Pick handouts for the visit's patient; queue them for the front desk or print now.

    Signals:
        sig_queued: a handout was added to the print queue (carries the HandoutRequest).
    """

    sig_queued = Signal(object)
    """Emitted with the HandoutRequest the clinician queued."""

    def __init__(
        self,
        services: Services,
        pdfs: PdfOutput | None = None,
        parent: QWidget | None = None,
        exam_source: Callable[[], NeuroFootExam | None] | None = None,
    ) -> None:
        super().__init__("Handouts for the patient", parent)
        self.setObjectName("handout_picker")
        self._services = services
        self._pdfs = pdfs or PdfOutput()
        self._exam_source = exam_source
        self._principal: Principal | None = None
        self._encounter_id: int | None = None
        self._patient: Patient | None = None
        self._filled = False

        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.handout = QComboBox()
        self.handout.setObjectName("picker_handout")
        self.handout.setAccessibleName("Handout")
        # Long titles must not set the width of the whole encounter form.
        self.handout.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.handout.setMinimumContentsLength(24)
        self.language = QComboBox()
        self.language.setObjectName("picker_language")
        self.language.setAccessibleName("Handout language")
        for language in HandoutLanguage:
            self.language.addItem(LANGUAGE_WORDS[language], language.value)
        self.side = QComboBox()
        self.side.setObjectName("picker_side")
        self.side.setAccessibleName("Side printed on the handout")
        self.side.addItem(NO_SIDE, None)
        for side, word in SIDE_WORDS.items():
            self.side.addItem(word, side.value)
        self.copies = QSpinBox()
        self.copies.setObjectName("picker_copies")
        self.copies.setAccessibleName("Copies")
        self.copies.setRange(1, MAX_COPIES)
        self.large_print = QCheckBox("Large print")
        self.large_print.setObjectName("picker_large_print")
        options = QHBoxLayout()
        for text, widget in (("Si&de:", self.side), ("Cop&ies:", self.copies)):
            label = QLabel(text)
            label.setBuddy(widget)
            options.addWidget(label)
            options.addWidget(widget)
        options.addWidget(self.large_print)
        options.addStretch(1)
        for text, widget in (("&Handout:", self.handout), ("Lan&guage:", self.language)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow(options)
        layout.addLayout(form)

        steps_label = QLabel("Next steps to print on it (tick what applies):")
        layout.addWidget(steps_label)
        self.steps_grid = QGridLayout()
        self.step_boxes: dict[str, QCheckBox] = {}
        layout.addLayout(self.steps_grid)

        self.with_map = QCheckBox("Draw the sensory map (printed here)")
        self.with_map.setObjectName("picker_with_map")
        self.with_map.setToolTip(
            "Where the patient's foot feels less or nothing, from this visit's sensory map. "
            "Only on copies printed from the encounter: the front desk's queue never carries "
            "findings."
        )
        layout.addWidget(self.with_map)

        self.teach_back = QLabel()
        self.teach_back.setObjectName("picker_teach_back")
        self.teach_back.setTextFormat(Qt.TextFormat.PlainText)
        self.teach_back.setWordWrap(True)
        self.teach_back.setAccessibleName("Teach-back questions to ask the patient")
        layout.addWidget(self.teach_back)
        self.clinician_copy = QCheckBox(
            "Clinician copy, with the teach-back questions (printed here)"
        )
        self.clinician_copy.setObjectName("picker_clinician_copy")
        layout.addWidget(self.clinician_copy)
        self.handout.currentIndexChanged.connect(self._show_teach_back)
        self.language.currentIndexChanged.connect(self._show_teach_back)

        buttons = QHBoxLayout()
        self.queue_button = QPushButton("Add to print &queue")
        self.queue_button.setObjectName("picker_queue")
        self.queue_button.setToolTip("The front desk prints it for the patient")
        self.queue_button.clicked.connect(self.queue_choice)
        buttons.addWidget(self.queue_button)
        self.now_button = output_button("Print now", "picker_now", self.print_now)
        self.now_button.setToolTip("Print, save or open this copy yourself")
        buttons.addWidget(self.now_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.queued = QListWidget()
        self.queued.setObjectName("picker_queued")
        self.queued.setAccessibleName("Handouts queued for this visit")
        self.queued.setMaximumHeight(90)
        layout.addWidget(self.queued)
        self.status = QLabel()
        self.status.setObjectName("picker_status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.message = error_banner("picker_message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.message)

    def _fill(self) -> None:
        """Read the library once, on first use (keeps it off the start-up path)."""
        if self._filled:
            return
        library = self._services.handouts
        try:
            for handout_id in library.ids():
                self.handout.addItem(library.get(handout_id, "en").title, handout_id)
            steps = library.next_steps().steps
        except ClinicError as exc:
            self._error(str(exc))
            return
        for index, step in enumerate(steps):
            box = QCheckBox(step.en)
            box.setObjectName(f"picker_step_{step.id}")
            self.step_boxes[step.id] = box
            # One column: the steps are sentences, and two columns of them need a wide screen.
            self.steps_grid.addWidget(box, index, 0)
        self._filled = True
        self._show_teach_back()

    def _show_teach_back(self) -> None:
        """The picked handout's teach-back questions, on screen for the clinician to ask."""
        handout_id = self.handout.currentData()
        language = self.language.currentData()
        if handout_id is None or language is None:
            self.teach_back.clear()
            return
        try:
            prompts = self._services.handouts.get(str(handout_id), str(language)).teach_back
        except ClinicError as exc:
            self.teach_back.setText(str(exc))
            return
        lines = "\n".join(f"\u2022 {prompt}" for prompt in prompts)
        self.teach_back.setText(f"Teach-back: ask the patient, then listen.\n{lines}")

    def tab_widgets(self) -> list[QWidget]:
        """The controls in Tab order (the encounter chains them after the plan)."""
        return [
            self.handout,
            self.language,
            self.side,
            self.copies,
            self.large_print,
            *self.step_boxes.values(),
            self.with_map,
            self.clinician_copy,
            self.queue_button,
            self.now_button,
        ]

    def load(
        self,
        principal: Principal,
        encounter_id: int,
        patient: Patient | None,
        release_side: HandoutSide | None,
    ) -> None:
        """Set up for one encounter: language from the patient, side from the release plan."""
        self._fill()
        self._principal = principal
        self._encounter_id = encounter_id
        self._patient = patient
        self.message.hide()
        self.status.clear()
        if patient is not None:
            index = self.language.findData(patient.preferred_language.value)
            self.language.setCurrentIndex(max(index, 0))
        self.side.setCurrentIndex(max(self.side.findData(release_side), 0))
        self.copies.setValue(1)
        self.large_print.setChecked(False)
        self.with_map.setChecked(False)
        self.with_map.setEnabled(self._exam_source is not None)
        self.clinician_copy.setChecked(False)
        for box in self.step_boxes.values():
            box.setChecked(False)
        can_queue = principal.can(Permission.CLINICAL_WRITE)
        self.queue_button.setEnabled(can_queue)
        self.now_button.setEnabled(principal.can(Permission.HANDOUT_PRINT))
        self.refresh_queued()

    def choice(self) -> HandoutChoice:
        """What is picked on screen."""
        side = self.side.currentData()
        return HandoutChoice(
            handout_id=str(self.handout.currentData()),
            language=str(self.language.currentData()),
            copies=self.copies.value(),
            side=HandoutSide(side) if side else None,
            large_print=self.large_print.isChecked(),
            next_steps=tuple(step for step, box in self.step_boxes.items() if box.isChecked()),
        )

    def refresh_queued(self) -> None:
        """List what this visit has queued, with where each stands."""
        self.queued.clear()
        if self._principal is None or self._encounter_id is None:
            return
        try:
            requests = self._services.print_queue.for_encounter(self._principal, self._encounter_id)
        except ClinicError as exc:
            self._error(str(exc))
            return
        for request in requests:
            self.queued.addItem(self._describe(request))
        self.queued.setVisible(bool(requests))

    def _describe(self, request: HandoutRequest) -> str:
        index = self.handout.findData(request.handout_id)
        title = self.handout.itemText(index) if index >= 0 else request.handout_id
        state = f"done {request.done_at.astimezone():%H:%M}" if request.done_at else "waiting"
        side = f", {SIDE_WORDS[request.side]}" if request.side else ""
        return f"{title} ({LANGUAGE_WORDS[request.language]}{side}) x{request.copies}: {state}"

    def queue_choice(self) -> None:
        """Add the picked handout to the front desk's queue."""
        if self._principal is None or self._encounter_id is None:
            return
        self.message.hide()
        try:
            made = self._services.print_queue.request(
                self._principal, self._encounter_id, self.choice()
            )
        except FieldErrors as exc:
            self._error(" ".join(exc.errors.values()))
            return
        except ClinicError as exc:
            self._error(str(exc))
            return
        self.status.setText(f"Queued for the front desk: {self._describe(made)}.")
        self.refresh_queued()
        self.sig_queued.emit(made)

    def print_now(self, output: Output) -> None:
        """Print the copy exactly as picked on screen, here and now, and log it.

        It does not go through the front desk's queue (a queued copy stays queued), and it is
        held like any of the visit's handouts while an urgent alert is unacknowledged.
        """
        if self._principal is None or self._encounter_id is None:
            return
        self.message.hide()
        queue = self._services.print_queue
        choice = self.choice()
        foot_map = None
        try:
            held = self._services.encounters.handout_block(self._principal, self._encounter_id)
            if held:
                raise ClinicError(held)
            exam = self._exam_source() if self._exam_source is not None else None
            handout = queue.library_handout(
                self._principal,
                choice.handout_id,
                choice.language.value,
                side=choice.side,
                exam=exam,
            )
            if self.with_map.isChecked():
                foot_map = self._foot_map(choice.side)
            patient = self._patient.display_name if self._patient is not None else ""
            steps = self._services.handouts.next_steps().wording(
                choice.next_steps, handout.language
            )
            pdf = handout_copy_pdf(
                self._services,
                handout,
                patient_name=patient,
                side=choice.side,
                visit_date=self._services.clock.today(),
                clinician=self._principal.display_name,
                next_steps=steps,
                large_print=choice.large_print,
                foot_map=foot_map,
                clinician_copy=self.clinician_copy.isChecked(),
            )
            name = f"{handout.id}-{handout.language.value}-{patient}"
            result = deliver(output, pdf, handout.title, name, self, self._pdfs, choice.copies)
            if result is None:
                self.status.setText("Cancelled: nothing was printed.")
                return
            queue.record_library_print(
                self._principal,
                choice.handout_id,
                choice.language.value,
                output.action,
                self._patient.id if self._patient is not None else None,
            )
        except (ClinicError, PrintFailed) as exc:
            self._error(str(exc))
            return
        drawn = " With the foot drawing." if foot_map is not None else ""
        self.status.setText(f"{result} Logged.{drawn}")

    def _foot_map(self, side: HandoutSide | None) -> HandoutFootMap | None:
        """The drawing of the patient's own foot, or None when nothing on it is marked."""
        from clinic_app.reports.foot_map import HandoutFootMap

        exam = self._exam_source() if self._exam_source is not None else None
        if exam is None:
            return None
        drawing = HandoutFootMap.from_exam(self._services.forms.foot_map(), exam, side)
        return drawing if drawing.shows_anything else None

    def _error(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
