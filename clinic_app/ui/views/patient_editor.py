"""Register a new patient or edit one's details, with errors shown at each field."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.errors import ClinicError, ConflictError, FieldErrors
from clinic_app.domain.patient import Patient
from clinic_app.services.container import Services
from clinic_app.services.patients import CLINICAL_FACTS, LikelyDuplicate
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.presenters.patient_form import (
    PATIENT_FIELDS,
    field_messages,
    form_values,
    raw_from_form,
)
from clinic_app.ui.views.form_widgets import (
    FieldWithError,
    add_row,
    combo,
    error_banner,
    line_edit,
    set_combo_value,
)


class PatientEditor(QWidget):
    """The patient form.

    Signals:
        sig_patient_saved: carries the saved Patient.
        sig_cancelled: the user left without saving.
    """

    sig_patient_saved = Signal(object)
    """Emitted with the registered or updated Patient."""
    sig_cancelled = Signal()
    """Emitted on Cancel / Escape."""

    def __init__(self, services: Services, dialogs: Dialogs, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("patient_editor")
        self._services = services
        self._dialogs = dialogs
        self._principal: Principal | None = None
        self._editing: Patient | None = None
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("patient_editor_title")
        layout.addWidget(self.title)
        form = QFormLayout()
        self.fields: dict[str, FieldWithError[QLineEdit | QComboBox]] = {}
        for spec in PATIENT_FIELDS:
            editor: QLineEdit | QComboBox = (
                combo(f"patient_{spec.name}", spec.choices)
                if spec.choices
                else line_edit(f"patient_{spec.name}", spec.placeholder)
            )
            field: FieldWithError[QLineEdit | QComboBox] = FieldWithError(editor)
            self.fields[spec.name] = field
            add_row(form, spec.label, field)
            if isinstance(editor, QLineEdit):
                editor.returnPressed.connect(self.save)
        layout.addLayout(form)
        self.clinical_note = QLabel(
            "Diabetes, allergies and medications are recorded by the clinician; "
            "they are shown here read-only."
        )
        self.clinical_note.setObjectName("patient_clinical_read_only")
        self.clinical_note.setWordWrap(True)
        self.clinical_note.hide()
        layout.addWidget(self.clinical_note)
        self.message = error_banner("patient_editor_message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Save patient")
        self.save_button.setObjectName("patient_save")
        self.save_button.setToolTip("Save (Ctrl+S or Enter)")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("patient_cancel")
        self.cancel_button.setToolTip("Cancel (Esc)")
        self.cancel_button.clicked.connect(self.sig_cancelled.emit)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        save_shortcut.activated.connect(self.save)
        cancel_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Cancel), self)
        cancel_shortcut.activated.connect(self.sig_cancelled.emit)

    def start(self, principal: Principal, patient: Patient | None) -> None:
        """Open blank for a new patient, or filled for editing one."""
        self._principal = principal
        self._editing = patient
        self.message.hide()
        values = form_values(patient) if patient else {}
        for name, field in self.fields.items():
            field.set_error(None)
            if isinstance(field.editor, QLineEdit):
                field.editor.setText(values.get(name, ""))
            else:
                if values.get(name):
                    set_combo_value(field.editor, values[name])
                else:
                    field.editor.setCurrentIndex(0)
        self.title.setText(
            f"<h2>Edit {patient.display_name}</h2>" if patient else "<h2>Register a patient</h2>"
        )
        # The front desk keeps demographics; the clinical facts are shown, never editable.
        clinical = self.may_edit_clinical_facts
        for name in CLINICAL_FACTS:
            editor = self.fields[name].editor
            if isinstance(editor, QLineEdit):
                editor.setReadOnly(not clinical)
            else:
                editor.setEnabled(clinical)
            editor.setToolTip("" if clinical else "Recorded by the clinician")
        self.clinical_note.setVisible(not clinical)
        self.fields["family_name"].editor.setFocus()

    @property
    def may_edit_clinical_facts(self) -> bool:
        """Whether the person at the form records diabetes, allergies and medications."""
        return self._principal is not None and self._principal.can(Permission.CLINICAL_WRITE)

    def values(self) -> dict[str, str]:
        """What is typed and chosen, as text (without the clinical facts for the front desk)."""
        out: dict[str, str] = {}
        for name, field in self.fields.items():
            if name in CLINICAL_FACTS and not self.may_edit_clinical_facts:
                continue
            editor = field.editor
            out[name] = editor.text() if isinstance(editor, QLineEdit) else editor.currentData()
        return out

    def save(self) -> None:
        """Validate and store; errors appear at their fields and nothing is written."""
        if self._principal is None:
            return
        for field in self.fields.values():
            field.set_error(None)
        self.message.hide()
        raw = raw_from_form(self.values())
        try:
            if self._editing is None:
                try:
                    patient = self._services.patients.register(self._principal, raw)
                except LikelyDuplicate as dup:
                    if not self._dialogs.confirm(
                        self,
                        "Possible duplicate",
                        f"{dup}\n\nRegister a new patient anyway?",
                        yes="Register anyway",
                    ):
                        return
                    patient = self._services.patients.register(
                        self._principal, raw, allow_duplicate=True
                    )
            else:
                patient = self._services.patients.update(
                    self._principal, self._editing.id, raw, self._editing.version
                )
        except FieldErrors as exc:
            self._show_field_errors(exc)
            return
        except ConflictError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        except ClinicError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        self.sig_patient_saved.emit(patient)

    def _show_field_errors(self, exc: FieldErrors) -> None:
        first: QWidget | None = None
        for name, message in field_messages(exc.errors).items():
            field = self.fields.get(name)
            if field is None:
                self.message.setText(message)
                self.message.show()
                continue
            field.set_error(message)
            first = first or field.editor
        if first is not None:
            first.setFocus()
