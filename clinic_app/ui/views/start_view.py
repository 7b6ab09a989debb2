"""The start page: today's and recent patients and the user's drafts, each one Enter away."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.encounter import DraftSummary
from clinic_app.domain.patient import Patient

TARGET_ROLE = Qt.ItemDataRole.UserRole
"""Under this role an item holds (patient id, encounter id or None)."""


def patient_line(patient: Patient, today: date) -> str:
    """A patient as the lists show them: enough to tell two people of one name apart."""
    return (
        f"{patient.display_name}  ·  born {patient.date_of_birth.isoformat()} "
        f"(age {patient.age_on(today)})  ·  MRN {patient.mrn}"
    )


def draft_line(draft: DraftSummary) -> str:
    """An unsigned draft: whose, which visit, when it was last saved."""
    saved = draft.updated_at.astimezone()
    return (
        f"{draft.patient_name}  ·  visit {draft.encounter_date.isoformat()}  ·  "
        f"last saved {saved:%Y-%m-%d %H:%M}"
    )


class ElidingButton(QPushButton):
    """A push button whose long text is shortened with "..." when the window is narrow.

    A plain button is never narrower than its whole text, so one long line (the draft to
    resume, at 150% text size) would push the page wider than the screen. The whole text
    stays the button's text, accessible name's companion and tooltip.
    """

    MIN_CHARS = 24
    """It shrinks down to about this many characters."""

    def setText(self, text: str) -> None:
        """Show text (elided to the width); the tooltip holds all of it."""
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        """Room for MIN_CHARS characters, not the whole text."""
        hint = super().minimumSizeHint()
        narrow = self.fontMetrics().averageCharWidth() * self.MIN_CHARS
        return QSize(min(hint.width(), narrow), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        """The button as the style draws it, its label elided to the room there is."""
        painter = QStylePainter(self)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        room = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self)
        option.text = self.fontMetrics().elidedText(
            option.text, Qt.TextElideMode.ElideRight, room.width()
        )
        painter.drawControl(QStyle.ControlElement.CE_PushButton, option)


class StartView(QWidget):
    """What the workspace shows while no patient is open.

    Signals:
        sig_open_patient: carries the patient id whose chart to open.
        sig_open_draft: carries (patient id, encounter id) of a draft to go on with.
    """

    sig_open_patient = Signal(int)
    """Emitted with a patient id (Enter on a today's or recent patient)."""
    sig_open_draft = Signal(int, int)
    """Emitted with (patient id, encounter id) (Enter on a draft or the resume button)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "<h2>No patient open</h2><p>Ctrl+F finds a patient; Ctrl+N registers a new one. "
            "Enter opens the patient or draft selected below.</p>"
        )
        intro.setObjectName("start_intro")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        # After a crash or a forgotten draft, the clinician's unsigned work is one key away.
        self.resume_button = ElidingButton()
        self.resume_button.setObjectName("resume_draft_button")
        self.resume_button.setAccessibleName("Resume unsigned draft")
        self.resume_button.clicked.connect(self._resume)
        self.resume_button.hide()
        # As wide as its text where there is room, down to MIN_CHARS where there is not (an
        # item aligned in the layout would keep its whole width as its least).
        self.resume_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        resume_row = QHBoxLayout()
        resume_row.addWidget(self.resume_button, 1)
        resume_row.addStretch(0)
        layout.addLayout(resume_row)
        self._resume_target: tuple[int, int] | None = None

        self.today_list = self._list("start_today", "Today's patients")
        self.recent_list = self._list("start_recent", "Patients you opened lately")
        self.drafts_list = self._list("start_drafts", "Your unsigned drafts")
        columns = QHBoxLayout()
        self.today_box = self._box("&Today's patients", self.today_list)
        self.recent_box = self._box("Re&cent patients", self.recent_list)
        self.drafts_box = self._box("Your unsigned &drafts", self.drafts_list)
        for box in (self.today_box, self.recent_box):
            columns.addWidget(box, 1)
        layout.addLayout(columns, 1)
        layout.addWidget(self.drafts_box, 1)
        self.drafts_hint = QLabel()
        self.drafts_hint.setObjectName("drafts_hint")
        self.drafts_hint.setWordWrap(True)
        layout.addWidget(self.drafts_hint)

    def _list(self, name: str, accessible: str) -> QListWidget:
        widget = QListWidget()
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        widget.itemActivated.connect(self._activated)
        return widget

    @staticmethod
    def _box(title: str, widget: QListWidget) -> QGroupBox:
        # The title's mnemonic moves the cursor into its list.
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(widget)
        return box

    # --- filling ----------------------------------------------------------------------------

    def show_lists(
        self,
        today: Sequence[Patient],
        recent: Sequence[Patient],
        drafts: Sequence[DraftSummary] | None,
        on: date,
    ) -> None:
        """Fill the lists; drafts None hides that list (people who do not chart)."""
        self._fill(
            self.today_list,
            [(patient_line(p, on), (p.id, None)) for p in today],
            "No visits dated today yet.",
        )
        self._fill(
            self.recent_list,
            [(patient_line(p, on), (p.id, None)) for p in recent],
            "Charts you open appear here.",
        )
        self.drafts_box.setVisible(drafts is not None)
        self._fill(
            self.drafts_list,
            [(draft_line(d), (d.patient_id, d.encounter_id)) for d in drafts or ()],
            "No unsigned drafts.",
        )
        self._offer_resume(drafts[0] if drafts else None)
        self.drafts_hint.setText(
            f"{len(drafts) - 1} more unsigned draft(s) in the list above."
            if drafts and len(drafts) > 1
            else ""
        )

    @staticmethod
    def _fill(
        widget: QListWidget, lines: list[tuple[str, tuple[int, int | None]]], empty: str
    ) -> None:
        widget.clear()
        for text, target in lines:
            item = QListWidgetItem(text)
            item.setData(TARGET_ROLE, target)
            widget.addItem(item)
        if lines:
            widget.setCurrentRow(0)
        else:
            placeholder = QListWidgetItem(empty)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            widget.addItem(placeholder)

    def _offer_resume(self, newest: DraftSummary | None) -> None:
        if newest is None:
            self._resume_target = None
            self.resume_button.hide()
            return
        saved = newest.updated_at.astimezone()
        self._resume_target = (newest.patient_id, newest.encounter_id)
        self.resume_button.setText(
            f"Resume unsigned draft: {newest.patient_name}, visit "
            f"{newest.encounter_date.isoformat()}, last saved {saved:%Y-%m-%d %H:%M:%S} (Enter)"
        )
        self.resume_button.show()
        self.resume_button.setDefault(True)

    def focus_first(self) -> bool:
        """Put the cursor on the resume button (or the first list with a patient in it)."""
        if self._resume_target is not None:
            self.resume_button.setFocus()
            return True
        for widget in (self.today_list, self.recent_list):
            if widget.count() and widget.item(0).data(TARGET_ROLE) is not None:
                widget.setFocus()
                return True
        return False

    # --- opening ----------------------------------------------------------------------------

    def _resume(self) -> None:
        if self._resume_target is not None:
            self.sig_open_draft.emit(*self._resume_target)

    def _activated(self, item: QListWidgetItem) -> None:
        target = item.data(TARGET_ROLE)
        if target is None:
            return
        patient_id, encounter_id = target
        if encounter_id is None:
            self.sig_open_patient.emit(int(patient_id))
        else:
            self.sig_open_draft.emit(int(patient_id), int(encounter_id))
