"""One encounter: draft editing with autosave, signing, the signature block and addenda."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.encounter import Encounter, EncounterContent, short_hash
from clinic_app.domain.errors import ClinicError, ConflictError, FieldErrors
from clinic_app.services.container import Services
from clinic_app.services.encounters import EncounterView as EncounterRecord
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.views.form_widgets import FieldWithError, error_banner

AUTOSAVE_MS = 1000
ALERT_STYLE = "background: #a40000; color: white; font-weight: bold; padding: 6px;"


class EncounterPane(QWidget):
    """Chart, autosave, sign and amend one encounter.

    Signals:
        sig_encounter_changed: carries the Encounter after a save, signature or addendum.
    """

    sig_encounter_changed = Signal(object)
    """Emitted with the Encounter as stored after any change."""

    def __init__(self, services: Services, dialogs: Dialogs, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("encounter_pane")
        self._services = services
        self._dialogs = dialogs
        self._principal: Principal | None = None
        self.encounter: Encounter | None = None
        self._loading = False
        self.dirty = False
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_now)

        layout = QVBoxLayout(self)
        self.integrity_alert = QLabel()
        self.integrity_alert.setObjectName("integrity_alert")
        self.integrity_alert.setStyleSheet(ALERT_STYLE)
        self.integrity_alert.setWordWrap(True)
        self.integrity_alert.hide()
        layout.addWidget(self.integrity_alert)
        self.header = QLabel()
        self.header.setObjectName("encounter_header")
        layout.addWidget(self.header)

        exam = QLabel(
            "Neuro-foot exam: the structured form (Tinel, sensory map, lumbar screen) is "
            "charted here once that module is installed. Use the notes below meanwhile."
        )
        exam.setObjectName("exam_placeholder")
        exam.setWordWrap(True)
        exam.setFrameShape(QFrame.Shape.StyledPanel)
        layout.addWidget(exam)

        self.notes = FieldWithError(self._text_edit("encounter_notes", "Notes"))
        self.plan = FieldWithError(self._text_edit("encounter_plan", "Plan"))
        for text, field, stretch in (("&Notes:", self.notes, 2), ("&Plan:", self.plan, 1)):
            label = QLabel(text)
            label.setBuddy(field.editor)
            layout.addWidget(label)
            layout.addWidget(field, stretch)

        status_row = QHBoxLayout()
        self.save_status = QLabel()
        self.save_status.setObjectName("save_status")
        status_row.addWidget(self.save_status, 1)
        self.sign_button = QPushButton("&Sign encounter")
        self.sign_button.setObjectName("sign_button")
        self.sign_button.setToolTip("Sign and lock this encounter (Ctrl+Shift+S)")
        self.sign_button.clicked.connect(self.sign)
        status_row.addWidget(self.sign_button)
        layout.addLayout(status_row)
        self.message = error_banner("encounter_message")
        layout.addWidget(self.message)

        self.signature = QLabel()
        self.signature.setObjectName("signature_block")
        self.signature.setWordWrap(True)
        self.signature.setTextInteractionFlags(self.signature.textInteractionFlags())
        layout.addWidget(self.signature)

        self.addenda_box = QGroupBox("Addenda")
        addenda_layout = QVBoxLayout(self.addenda_box)
        self.addenda_list = QLabel()
        self.addenda_list.setObjectName("addenda_list")
        self.addenda_list.setWordWrap(True)
        addenda_layout.addWidget(self.addenda_list)
        self.addendum = FieldWithError(self._text_edit("addendum_text", "New addendum"))
        self.addendum.editor.setMaximumHeight(90)
        addenda_layout.addWidget(self.addendum)
        self.addendum_button = QPushButton("Sign &addendum")
        self.addendum_button.setObjectName("addendum_button")
        self.addendum_button.setToolTip("Sign the new addendum (Ctrl+Shift+A)")
        self.addendum_button.clicked.connect(self.add_addendum)
        addenda_layout.addWidget(self.addendum_button)
        layout.addWidget(self.addenda_box)

    def _text_edit(self, name: str, accessible: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setTabChangesFocus(True)
        if name != "addendum_text":
            edit.textChanged.connect(self._changed)
        return edit

    def load(self, principal: Principal, record: EncounterRecord) -> None:
        """Show an encounter as read back from storage."""
        self._principal = principal
        self._autosave.stop()
        self.dirty = False
        self._show(record.encounter)
        if record.problems:
            self.integrity_alert.setText(
                "INTEGRITY WARNING: "
                + " ".join(record.problems)
                + " Report this to the practice admin; do not rely on this record."
            )
            self.integrity_alert.show()
        else:
            self.integrity_alert.hide()

    def _show(self, enc: Encounter) -> None:
        self.encounter = enc
        self._loading = True
        try:
            if self.notes.editor.toPlainText() != enc.content.notes or not self.dirty:
                self.notes.editor.setPlainText(enc.content.notes)
            if self.plan.editor.toPlainText() != enc.content.plan or not self.dirty:
                self.plan.editor.setPlainText(enc.content.plan)
        finally:
            self._loading = False
        can_write = bool(self._principal and self._principal.can(Permission.CLINICAL_WRITE))
        can_sign = bool(self._principal and self._principal.can(Permission.SIGN))
        signed = enc.is_signed
        self.header.setText(
            f"<h2>Encounter {enc.encounter_date.isoformat()}</h2>"
            f"<b>Reason</b> {escape(enc.reason)} &nbsp; "
            f"<b>Clinician</b> {escape(enc.clinician_name)} &nbsp; "
            f"<b>Status</b> {'SIGNED (locked)' if signed else 'Draft'}"
        )
        for edit in (self.notes.editor, self.plan.editor):
            edit.setReadOnly(signed or not can_write)
        self.sign_button.setVisible(not signed and can_sign)
        self.message.hide()
        if signed and enc.signed_at:
            local = enc.signed_at.astimezone()
            self.signature.setText(
                f"<b>Signed</b> by {escape(enc.signed_by_name or '')} on {local:%Y-%m-%d %H:%M} "
                f"&nbsp; <b>Content hash</b> <tt>{short_hash(enc.content_hash)}</tt>"
            )
            self.signature.setToolTip(f"SHA-256 {enc.content_hash}")
            self.save_status.setText("Signed: read-only. Amend with an addendum.")
        else:
            self.signature.setText("<i>Not signed.</i>")
            self.signature.setToolTip("")
            self.save_status.setText(f"Draft, version {enc.version}. Autosaves as you type.")
        self.addenda_box.setVisible(signed)
        self.addendum.editor.setReadOnly(not (can_write and can_sign))
        self.addendum_button.setEnabled(can_write and can_sign)
        self.addenda_list.setText(
            "<br>".join(
                f"<b>#{i} {a.signed_at.astimezone():%Y-%m-%d %H:%M} {escape(a.author_name)}</b> "
                f"(hash <tt>{short_hash(a.content_hash)}</tt>): "
                f"{escape(a.text).replace(chr(10), '<br>')}"
                for i, a in enumerate(enc.addenda, 1)
            )
            or "<i>No addenda.</i>"
        )

    def content(self) -> EncounterContent:
        """What is typed now."""
        return EncounterContent(
            notes=self.notes.editor.toPlainText(), plan=self.plan.editor.toPlainText()
        )

    def _changed(self) -> None:
        if self._loading or self.encounter is None or self.encounter.is_signed:
            return
        self.dirty = True
        self.save_status.setText("Unsaved changes...")
        self._autosave.start()

    def save_now(self) -> bool:
        """Save the draft if it changed; on failure the text stays on screen. True when saved."""
        self._autosave.stop()
        if not self.dirty or self.encounter is None or self._principal is None:
            return True
        try:
            content = self._services.encounters.validate_content(
                {"notes": self.notes.editor.toPlainText(), "plan": self.plan.editor.toPlainText()}
            )
            saved = self._services.encounters.save_draft(
                self._principal, self.encounter.id, content, self.encounter.version
            )
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                target = self.notes if key.startswith("notes") else self.plan
                target.set_error(message)
            self.save_status.setText("Not saved: fix the marked field.")
            return False
        except ConflictError as exc:
            self._fail(f"Not saved: {exc}")
            return False
        except ClinicError as exc:
            self._fail(f"Not saved, kept on screen: {exc} It will be retried.")
            self._autosave.start()
            return False
        self.notes.set_error(None)
        self.plan.set_error(None)
        self.dirty = False
        self.encounter = saved
        self.save_status.setText(
            f"Saved {saved.updated_at.astimezone():%H:%M:%S} (version {saved.version})."
        )
        self.sig_encounter_changed.emit(saved)
        return True

    def _fail(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        self.save_status.setText("NOT SAVED")

    def sign(self) -> None:
        """Save, confirm, then sign and lock."""
        if self.encounter is None or self._principal is None or self.encounter.is_signed:
            return
        if not self.save_now():
            return
        if not self._dialogs.confirm(
            self,
            "Sign encounter",
            "Sign and lock this encounter? Signed content can never be changed; "
            "corrections are made with signed addenda.",
            yes="Sign",
        ):
            return
        try:
            signed = self._services.encounters.sign(
                self._principal, self.encounter.id, self.encounter.version
            )
        except ClinicError as exc:
            self._fail(str(exc))
            return
        self._show(signed)
        self.sig_encounter_changed.emit(signed)

    def add_addendum(self) -> None:
        """Sign the typed addendum."""
        if self.encounter is None or self._principal is None:
            return
        self.addendum.set_error(None)
        try:
            updated = self._services.encounters.add_addendum(
                self._principal, self.encounter.id, self.addendum.editor.toPlainText()
            )
        except FieldErrors as exc:
            self.addendum.set_error(next(iter(exc.errors.values())))
            return
        except ClinicError as exc:
            self._fail(str(exc))
            return
        self.addendum.editor.clear()
        self._show(updated)
        self.sig_encounter_changed.emit(updated)
