"""The patient banner: who is being charted, shown above the encounter and in its dialogs."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from clinic_app.ui.presenters.patient_banner import BannerState

BANNER_STYLE = (
    "QFrame#patient_banner { background: #eef2f7; border: 1px solid #9aa9bb; border-radius: 3px; }"
)
ALLERGY_COLOURS = {"listed": "#a40000", "unknown": "#8f5600", "none_known": "#1b5e20"}


def banner_html(state: BannerState) -> str:
    """The banner as rich text (for a label or a message box)."""
    colour = ALLERGY_COLOURS.get(state.allergy_level, "#000")

    def kept(text: str) -> str:
        # A narrow dialog wraps between parts, never inside "born 1958-05-06".
        return escape(text).replace(" ", "&nbsp;")

    parts = [
        f"<b style='font-size:large'>{kept(state.name)}</b>",
        kept(state.age_sex),
        f"born&nbsp;{kept(state.born)}",
        f"MRN&nbsp;<b>{kept(state.mrn)}</b>",
        kept(state.diabetes),
        f"<b style='color:{colour}'>{escape(state.allergies)}</b>",
        f"<b>{kept(state.release)}</b>",
    ]
    return " &nbsp;·&nbsp; ".join(parts)


class PatientBanner(QFrame):
    """One line naming the patient, with allergies in colour and the planned release side.

    Signals:
        sig_state_changed: the banner now shows another patient or release (or none).
    """

    sig_state_changed = Signal(object)
    """Emitted with the BannerState shown, or None when cleared."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patient_banner")
        self.setStyleSheet(BANNER_STYLE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel()
        self.label.setObjectName("patient_banner_text")
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.state: BannerState | None = None
        self.hide()

    def show_state(self, state: BannerState | None) -> None:
        """Show a patient (None hides the banner)."""
        if state == self.state:
            return
        self.state = state
        if state is None:
            self.label.clear()
            self.setAccessibleName("")
            self.hide()
        else:
            self.label.setText(banner_html(state))
            self.setAccessibleName(f"Patient: {state.one_line()}")
            self.setToolTip(state.one_line())
            self.show()
        self.sig_state_changed.emit(state)
