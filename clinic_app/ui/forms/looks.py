"""How a rendered form shows focus and marks, painted rather than styled.

A style sheet on the form (the blue frame of the focused control) or on each row (the marks
of copied, changed and amended findings) makes Qt draw every widget under it through its
style-sheet engine, which keeps style data for each one: about 13 MB for the exam form's
2,300 widgets. The same looks are painted here by two small widgets instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

FOCUS_COLOUR = "#1c5fb8"
"""The frame around the control that has the keyboard focus."""
FOCUS_WIDTH = 2

MARK_LOOKS: dict[str, tuple[str, str]] = {
    "unconfirmed": ("#ffe8a3", "#b36b00"),
    "changed": ("#e6cdf2", "#6a1b9a"),
    "amended": ("#dcebff", "#1c5fb8"),
}
"""A row's mark -> (background, bar down its left edge)."""
MARK_BAR = 4
"""Width of the bar; the row's content starts MARK_INDENT in while it is marked."""
MARK_INDENT = 7


class FocusRing(QWidget):
    """A frame drawn over the control with the keyboard focus; it follows the control.

    It sits on the control's parent, over the control, takes no mouse or keyboard input and
    paints only the frame, so the control is seen and used as before.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("focus_ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._target: QWidget | None = None
        self.hide()

    @property
    def target(self) -> QWidget | None:
        """The control framed (None while no control of the form has the focus)."""
        return self._target

    def follow(self, control: QWidget | None) -> None:
        """Frame this control (None: hide)."""
        if control is self._target:
            return
        if self._target is not None:
            self._target.removeEventFilter(self)
        self._target = control
        if control is None or control.parentWidget() is None:
            self._target = None
            self.hide()
            return
        if self.parentWidget() is not control.parentWidget():
            self.setParent(control.parentWidget())
        control.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep to the control as it moves, resizes, shows or hides."""
        if watched is self._target and event.type() in (
            QEvent.Type.Move,
            QEvent.Type.Resize,
            QEvent.Type.Show,
            QEvent.Type.Hide,
        ):
            self._place()
        elif watched is self._target and event.type() == QEvent.Type.Destroy:
            self._target = None
            self.hide()
        return False

    def _place(self) -> None:
        control = self._target
        if control is None or not control.isVisible():
            self.hide()
            return
        self.setGeometry(control.geometry())
        self.show()
        self.raise_()

    def paintEvent(self, event: QPaintEvent) -> None:
        """The frame, just inside the control's edge."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(FOCUS_COLOUR), FOCUS_WIDTH))
        inset = FOCUS_WIDTH / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(inset, inset, -inset, -inset), 3, 3)


class MarkedRow(QWidget):
    """A control and its error line; painted with the row's mark, if any."""

    def __init__(self) -> None:
        super().__init__()
        self._mark = ""

    @property
    def mark(self) -> str:
        """The row's mark: "unconfirmed", "changed", "amended" or "" (none)."""
        return self._mark

    def set_mark(self, mark: str) -> None:
        """Show a mark (a key of MARK_LOOKS) or none ("")."""
        if mark == self._mark:
            return
        self._mark = mark
        self.setContentsMargins(MARK_INDENT if mark else 0, 0, 0, 0)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """The mark's background and the bar down the left edge."""
        look = MARK_LOOKS.get(self._mark)
        if look is None:
            return
        background, bar = look
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(background))
        painter.fillRect(0, 0, MARK_BAR, self.height(), QColor(bar))
