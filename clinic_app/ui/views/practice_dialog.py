"""Practice details: the letterhead fields (also on the first-run page) and the admin's editor.

The admin's editor also holds what the handouts take from the practice: the surgeon's recovery
timeline and driving words per language, and the fever threshold printed in every handout's
"when to get help" box. A warning line names what is written in one language only, since a
patient reading the other language then gets the generic text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Principal
from clinic_app.domain.errors import ClinicError, ConflictError, FieldErrors
from clinic_app.domain.patient import Language
from clinic_app.domain.practice import (
    MAX_DRIVING_LENGTH,
    TemperatureUnit,
    language_gaps,
)
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.views.form_widgets import (
    FieldWithError,
    add_row,
    error_banner,
    line_edit,
    tint,
)
from clinic_app.ui.views.practice_fields import PracticeFields, plain_text_edit

if TYPE_CHECKING:  # the data layer is imported once the first page is up
    from clinic_app.services.container import Services

RELEASE_HANDOUT = "tarsal-tunnel-release"
LANGUAGE_NAMES = {Language.ENGLISH: "English", Language.SPANISH: "Spanish"}


class TimelineEditor(QWidget):
    """One language's release recovery timeline: the handout's own, or the surgeon's steps."""

    def __init__(self, language: Language, own_steps: tuple[str, ...]) -> None:
        super().__init__()
        self.language = language
        self._own_steps = own_steps
        words = LANGUAGE_NAMES[language]
        self.use_own = QCheckBox(f"Use the handout's own timeline ({words})")
        self.use_own.setObjectName(f"timeline_{language.value}_use_own")
        self.steps = FieldWithError(plain_text_edit(f"timeline_{language.value}", 6))
        self.steps.editor.setPlaceholderText("One step per line, e.g. About 2 weeks: no weight.")
        self.steps.editor.setAccessibleName(f"Recovery steps ({words}), one per line")
        self.use_own.toggled.connect(self._own_toggled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.use_own)
        layout.addWidget(self.steps)

    def _own_toggled(self, own: bool) -> None:
        self.steps.editor.setEnabled(not own)
        self.steps.set_error(None)
        if not own and not self.steps.editor.toPlainText().strip():
            # Start the surgeon's version from the published one rather than a blank box.
            self.steps.editor.setPlainText("\n".join(self._own_steps))

    def load(self, steps: tuple[str, ...] | None) -> None:
        """Show the stored steps, or tick "use the handout's own" when there are none."""
        self.steps.editor.setPlainText("\n".join(steps or ()))
        self.use_own.setChecked(steps is None)
        self.steps.editor.setEnabled(steps is not None)

    def value(self) -> list[str] | None:
        """The steps (blank lines dropped), or None for the handout's own timeline."""
        if self.use_own.isChecked():
            return None
        text = self.steps.editor.toPlainText()
        return [line.strip() for line in text.splitlines() if line.strip()]


DRIVING_EXAMPLES = {
    Language.ENGLISH: "e.g. About 6 weeks, once you are out of the boot",
    Language.SPANISH: "p. ej. Unas 6 semanas, cuando ya no use la bota",
}


class DrivingEditor(QWidget):
    """One language's driving words, right foot and left foot (empty: "ask your surgeon")."""

    def __init__(self, language: Language) -> None:
        super().__init__()
        self.language = language
        words = LANGUAGE_NAMES[language]
        self.sides: dict[str, FieldWithError[QLineEdit]] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for side, label in (("right", "Right foot"), ("left", "Left foot")):
            edit = line_edit(f"driving_{language.value}_{side}", DRIVING_EXAMPLES[language])
            edit.setMaxLength(MAX_DRIVING_LENGTH)
            edit.setAccessibleName(f"Driving again after surgery on the {side} foot ({words})")
            field = FieldWithError(edit)
            self.sides[side] = field
            add_row(form, f"{label} ({words})", field)

    def load(self, words: Mapping[str, str] | None) -> None:
        """Show the stored words (blank when none)."""
        for side, field in self.sides.items():
            field.set_error(None)
            field.editor.setText((words or {}).get(side, ""))

    def value(self) -> dict[str, str]:
        """The words on screen per side."""
        return {side: field.editor.text().strip() for side, field in self.sides.items()}


class PracticeDialog(QDialog):
    """The admin's editor for the letterhead and the release recovery timeline.

    Call ``save()`` (the Save button does) to store; the dialog stays open with the typing
    kept on screen when something is refused.

    Signals:
        sig_saved: the details were stored; carries the saved PracticeDetails.
    """

    sig_saved = Signal(object)
    """Emitted with the stored PracticeDetails after a save."""

    def __init__(
        self,
        services: Services,
        principal: Principal,
        dialogs: Dialogs,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("practice_dialog")
        self.setWindowTitle("Practice details")
        self._services = services
        self._principal = principal
        self._dialogs = dialogs
        self._version = 0
        self.practice = PracticeFields(dialogs)
        letterhead = QGroupBox("Letterhead on every handout")
        QVBoxLayout(letterhead).addWidget(self.practice)
        timeline_box = QGroupBox("Tarsal tunnel release: recovery timeline")
        timeline_layout = QVBoxLayout(timeline_box)
        hint = QLabel(
            "Your own recovery plan replaces the example in the release handout. "
            "One step per line, up to 20 steps."
        )
        hint.setWordWrap(True)
        timeline_layout.addWidget(hint)
        self.timelines: dict[Language, TimelineEditor] = {}
        row = QHBoxLayout()
        for language in Language:
            editor = TimelineEditor(language, self._own_steps(language))
            self.timelines[language] = editor
            row.addWidget(editor)
        timeline_layout.addLayout(row)
        driving_hint = QLabel(
            "Driving again: no study gives a number of days after this surgery, so the handout "
            "prints checks the patient can do, then your words here for the side operated on. "
            "Leave a side empty to tell the patient to ask you."
        )
        driving_hint.setWordWrap(True)
        timeline_layout.addWidget(driving_hint)
        self.driving: dict[Language, DrivingEditor] = {}
        driving_row = QHBoxLayout()
        for language in Language:
            driving = DrivingEditor(language)
            self.driving[language] = driving
            driving_row.addWidget(driving)
        timeline_layout.addLayout(driving_row)
        self.language_warning = QLabel()
        self.language_warning.setObjectName("practice_language_warning")
        self.language_warning.setTextFormat(Qt.TextFormat.PlainText)
        self.language_warning.setWordWrap(True)
        tint(self.language_warning, "#8a4b00", bold=True)
        timeline_layout.addWidget(self.language_warning)
        for timeline in self.timelines.values():
            timeline.use_own.toggled.connect(self._update_warning)
            timeline.steps.editor.textChanged.connect(self._update_warning)
        for driving in self.driving.values():
            for field in driving.sides.values():
                field.editor.textChanged.connect(self._update_warning)

        help_box = QGroupBox("When to get help (on every handout)")
        help_form = QFormLayout(help_box)
        self.fever_value = QLineEdit()
        self.fever_value.setObjectName("practice_fever_value")
        self.fever_value.setPlaceholderText("e.g. 100.4")
        self.fever_value.setAccessibleName("Fever threshold")
        self.fever_unit = QComboBox()
        self.fever_unit.setObjectName("practice_fever_unit")
        self.fever_unit.setAccessibleName("Fever threshold unit")
        self.fever_unit.addItem("°F", TemperatureUnit.FAHRENHEIT.value)
        self.fever_unit.addItem("°C", TemperatureUnit.CELSIUS.value)
        fever_row = QWidget()
        fever_row.setObjectName("practice_fever")
        fever_layout = QHBoxLayout(fever_row)
        fever_layout.setContentsMargins(0, 0, 0, 0)
        fever_layout.addWidget(self.fever_value)
        fever_layout.addWidget(self.fever_unit)
        fever_layout.addStretch(1)
        self.fever = FieldWithError(fever_row)
        add_row(help_form, "&Fever: call us from", self.fever)
        fever_hint = QLabel(
            "Discharge sheets differ (above 100.4 °F / 38 °C, 101 °F, above 102 °F) and no "
            'guideline fixes one: choose your practice\'s. Left empty, handouts say "a fever" '
            "without a number."
        )
        fever_hint.setWordWrap(True)
        help_form.addRow(fever_hint)

        self.message = error_banner("practice_message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("practice_save")
        self.save_button.setDefault(True)
        self.reload_button = self.buttons.addButton(
            "Re&load", QDialogButtonBox.ButtonRole.ResetRole
        )
        self.reload_button.setObjectName("practice_reload")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("practice_cancel")
        self.save_button.clicked.connect(self.save)
        self.reload_button.clicked.connect(self.load)
        cancel.clicked.connect(self.reject)
        for field in (self.practice.name, self.practice.phone):
            field.editor.returnPressed.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(letterhead)
        layout.addWidget(timeline_box)
        layout.addWidget(help_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.load()

    def _own_steps(self, language: Language) -> tuple[str, ...]:
        try:
            handout = self._services.handouts.get(RELEASE_HANDOUT, language.value)
        except ClinicError:
            return ()
        if handout.timeline is None:
            return ()
        return tuple(f"{step.when}: {step.what}" for step in handout.timeline.steps)

    def load(self) -> None:
        """Read the stored details (again), replacing what is on screen."""
        self.message.hide()
        try:
            details = self._services.practice.get()
        except ClinicError as exc:
            self._show_message(str(exc))
            return
        self._version = details.version if details else 0
        self.practice.load(details)
        for language, editor in self.timelines.items():
            editor.steps.set_error(None)
            editor.load(details.timeline_for(language.value) if details else None)
        for language, driving in self.driving.items():
            stored = (details.driving or {}).get(language) if details else None
            driving.load(stored.model_dump() if stored is not None else None)
        fever = details.fever_threshold if details else None
        self.fever.set_error(None)
        self.fever_value.setText(f"{fever.value:g}" if fever else "")
        unit = fever.unit if fever else TemperatureUnit.FAHRENHEIT
        self.fever_unit.setCurrentIndex(max(self.fever_unit.findData(unit.value), 0))
        self._update_warning()
        self.practice.name.editor.setFocus()

    def _update_warning(self) -> None:
        """Name what is written in one language only, from what is on screen."""
        timeline = [
            language.value
            for language, editor in self.timelines.items()
            if editor.value() is not None
        ]
        driving = {language.value: editor.value() for language, editor in self.driving.items()}
        gaps = language_gaps(timeline, driving)
        self.language_warning.setText("\n".join(gaps))
        self.language_warning.setVisible(bool(gaps))

    def values(self) -> dict[str, Any]:
        """Everything on screen, as PracticeService.update takes it."""
        timeline = {
            language.value: steps
            for language, editor in self.timelines.items()
            if (steps := editor.value()) is not None
        }
        driving = {language.value: editor.value() for language, editor in self.driving.items()}
        value = self.fever_value.text().strip().replace(",", ".")
        fever = {"value": value, "unit": self.fever_unit.currentData()} if value else None
        return {
            **self.practice.values(),
            "release_timeline": timeline or None,
            "driving": driving,
            "fever_threshold": fever,
        }

    def save(self) -> bool:
        """Store what is on screen; False (with messages at the fields) when refused."""
        self.message.hide()
        self.practice.clear_errors()
        for editor in self.timelines.values():
            editor.steps.set_error(None)
        for driving in self.driving.values():
            for field in driving.sides.values():
                field.set_error(None)
        self.fever.set_error(None)
        try:
            saved = self._services.practice.update(self._principal, self.values(), self._version)
        except FieldErrors as exc:
            self._show_field_errors(exc.errors)
            return False
        except ConflictError as exc:
            self._show_message(f"{exc} (Reload shows the stored details.)")
            return False
        except ClinicError as exc:
            self._show_message(str(exc))
            return False
        self._version = saved.version
        self.sig_saved.emit(saved)
        self.accept()
        return True

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _show_field_errors(self, errors: Mapping[str, str]) -> None:
        first = self.practice.show_errors(errors)
        for language, editor in self.timelines.items():
            message = errors.get(f"release_timeline.{language.value}") or (
                errors.get("release_timeline") if language is Language.ENGLISH else None
            )
            if message:
                editor.steps.set_error(message)
                first = first or editor.steps.editor
        for language, driving in self.driving.items():
            for side, field in driving.sides.items():
                message = errors.get(f"driving.{language.value}.{side}") or errors.get(
                    f"driving.{language.value}"
                )
                if message:
                    field.set_error(message)
                    first = first or field.editor
        fever = next((m for key, m in errors.items() if key.startswith("fever_threshold")), None)
        if fever:
            self.fever.set_error(fever)
            first = first or self.fever_value
        if first is not None:
            first.setFocus()
        else:
            self._show_message("; ".join(errors.values()))
