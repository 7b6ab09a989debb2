"""The bound controls a layout row turns into: choice, multi-choice and typed line fields.

Every control holds the raw JSON value of one model path (``value()`` / ``set_value()``),
emits ``sig_value_changed`` only for user edits, and can be made read-only. Validation is the
model's job; a control never invents or coerces a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QComboBox, QLineEdit, QListWidget, QListWidgetItem, QWidget

NOT_TESTED = "not_tested"
NOT_TESTED_LABEL = "not tested"

# Scale values whose plain reading would mislead or be cryptic on screen.
CHOICE_LABELS: dict[str, str] = {
    NOT_TESTED: NOT_TESTED_LABEL,
    "back_only": "back only",
    "buttock_thigh": "buttock / thigh",
    "below_knee": "below the knee",
    "to_foot": "to the foot",
    "not_felt": "not felt",
    "neck_flexion": "neck flexion",
    "knee_extension": "knee extension",
}


def choice_label(value: str) -> str:
    """What a stored choice value reads as on screen."""
    return CHOICE_LABELS.get(value, value.replace("_", " "))


class ChoiceBox(QComboBox):
    """One choice from a scale; Delete or Backspace returns it to *not tested*.

    Typing a letter or digit picks the matching choice without opening the list (Qt's
    keyboard search), so a finding is one key once the field has focus.

    Signals:
        sig_value_changed: the user picked another value.
    """

    sig_value_changed = Signal()
    """Emitted when the user changes the value (not by set_value)."""

    def __init__(self, choices: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._read_only = False
        self._setting = False
        for value in choices:
            self.addItem(choice_label(value), value)
        # Compact: a finding's value is a word or two; long boxes make the eye travel.
        self.setMaximumWidth(self.fontMetrics().averageCharWidth() * 30)
        # The wheel must not change findings while the form scrolls past this box.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.currentIndexChanged.connect(self._emit)

    def _emit(self, _index: int) -> None:
        if not self._setting:
            self.sig_value_changed.emit()

    def value(self) -> str:
        """The stored value of the current choice."""
        return str(self.currentData())

    def set_value(self, value: Any) -> None:
        """Show a stored value (no change signal)."""
        index = self.findData(str(value))
        self._setting = True
        try:
            self.setCurrentIndex(max(index, 0))
        finally:
            self._setting = False

    def set_read_only(self, read_only: bool) -> None:
        """Signed exams show their values but take no input."""
        self._read_only = read_only

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Delete/Backspace clear to not tested; read-only boxes only pass Tab through."""
        if self._read_only:
            event.ignore()
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.count():
            self.setCurrentIndex(0)
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: Any) -> None:
        """No popup on a read-only box."""
        if self._read_only:
            self.setFocus()
            return
        super().mousePressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Scroll the form, not the value, unless the box has focus."""
        if self._read_only or not self.hasFocus():
            event.ignore()
            return
        super().wheelEvent(event)


class MultiChoiceList(QListWidget):
    """Several values from a list, each a check box; Space toggles the current one.

    Signals:
        sig_value_changed: the user checked or unchecked an item.
    """

    sig_value_changed = Signal()
    """Emitted when the user changes the selection (not by set_value)."""

    def __init__(self, choices: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setting = False
        self._read_only = False
        for value in choices:
            item = QListWidgetItem(choice_label(value))
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsSelectable
            )
            item.setCheckState(Qt.CheckState.Unchecked)
            self.addItem(item)
        rows = min(len(choices), 4)
        self.setFixedHeight(self.sizeHintForRow(0) * rows + 2 * self.frameWidth() + 4)
        self.setCurrentRow(0)
        self.itemChanged.connect(self._emit)

    def _emit(self, _item: QListWidgetItem) -> None:
        if not self._setting:
            self.sig_value_changed.emit()

    def value(self) -> list[str]:
        """The checked values, in list order."""
        return [
            str(self.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.count())
            if self.item(i).checkState() is Qt.CheckState.Checked
        ]

    def set_value(self, value: Any) -> None:
        """Check exactly the given values (no change signal)."""
        wanted = {str(v) for v in (value or ())}
        self._setting = True
        try:
            for i in range(self.count()):
                item = self.item(i)
                checked = item.data(Qt.ItemDataRole.UserRole) in wanted
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        finally:
            self._setting = False

    def set_read_only(self, read_only: bool) -> None:
        """Signed exams show their values but take no input."""
        self._read_only = read_only
        for i in range(self.count()):
            item = self.item(i)
            flags = item.flags()
            if read_only:
                flags &= ~Qt.ItemFlag.ItemIsUserCheckable
            else:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            item.setFlags(flags)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space (or Enter) toggles the current item."""
        item = self.currentItem()
        toggles = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.key() in toggles and item is not None and not self._read_only:
            checked = item.checkState() is Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)
            return
        super().keyPressEvent(event)


class LineField(QLineEdit):
    """A number, date or short text as typed; the model validates it.

    Empty means *not tested* for numbers and dates (the placeholder says so).

    Signals:
        sig_value_changed: the user edited the text.
    """

    sig_value_changed = Signal()
    """Emitted on every user edit (not by set_value)."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kind = kind
        placeholder = {
            "integer": NOT_TESTED_LABEL,
            "date": "YYYY-MM-DD",
            "text": "",
        }.get(kind, "")
        self.setPlaceholderText(placeholder)
        if kind == "integer":
            self.setMaximumWidth(110)
        elif kind == "date":
            self.setMaximumWidth(140)
        self.textEdited.connect(lambda _t: self.sig_value_changed.emit())

    def value(self) -> Any:
        """None when empty (numbers, dates), otherwise the text as typed."""
        text = self.text().strip()
        if self._kind in ("integer", "date"):
            return text or None
        return self.text()

    def set_value(self, value: Any) -> None:
        """Show a stored value (no change signal)."""
        self.setText("" if value is None else str(value))

    def set_read_only(self, read_only: bool) -> None:
        """Signed exams show their values but take no input."""
        self.setReadOnly(read_only)
