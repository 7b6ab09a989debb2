"""The bound controls a layout row turns into: choice, multi-choice and typed line fields.

Every control holds the raw JSON value of one model path (``value()`` / ``set_value()``),
emits ``sig_value_changed`` only for user edits, and can be made read-only. Validation is the
model's job; a control never invents or coerces a value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollBar,
    QWidget,
)

from clinic_app.ui.presenters.choice_keys import (
    NOT_TESTED,  # noqa: F401  (imported from here by other views)
    NOT_TESTED_LABEL,
    choice_label,
    pick_by_key,
    read_date,
    read_weeks,
)

# Labels and key mnemonics live in a Qt-free presenter (unit-tested there); NOT_TESTED and
# choice_label are imported from here by other views.


# --- the wheel guard -----------------------------------------------------------------------

VALUE_CONTROLS: tuple[type[QWidget], ...] = (QComboBox, QAbstractSpinBox, QAbstractSlider)
"""Widgets whose value the mouse wheel would change (date edits are spin boxes)."""


def is_value_control(widget: QObject | None) -> bool:
    """True for a combo box, spin box, date edit or slider (a scroll bar only scrolls)."""
    return isinstance(widget, VALUE_CONTROLS) and not isinstance(widget, QScrollBar)


def _value_control_holding(widget: QObject | None) -> QWidget | None:
    """The value control that is or contains ``widget`` (a spin box's line edit), if any."""
    while isinstance(widget, QWidget):
        if is_value_control(widget):
            return widget
        if widget.isWindow():
            return None
        widget = widget.parentWidget()
    return None


def _in_popup(widget: QWidget) -> bool:
    return widget.window().windowType() == Qt.WindowType.Popup


def _is_read_only(control: QWidget) -> bool:
    read_only = getattr(control, "isReadOnly", None)
    return bool(read_only()) if callable(read_only) else False


class WheelGuard(QObject):
    """Application-wide filter: the wheel changes a value only where the user clicked.

    Scrolling a long form passes combo boxes, spin boxes and date edits under the pointer;
    Qt would change each value it passes over and the autosave would store it. Here a value
    control takes the wheel only while it has the keyboard focus *and* the user clicked
    into it (Tab alone is not enough: the pointer may be anywhere); otherwise the wheel
    scrolls the nearest scroll area around it. One filter covers every control in the app,
    including ones built later and inside dialogs.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._armed: QWidget | None = None

    def armed(self) -> QWidget | None:
        """The control the user last clicked into, while it keeps the focus."""
        if self._armed is not None and not shiboken6.isValid(self._armed):
            self._armed = None
        return self._armed

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Arm on a click, disarm when focus leaves, redirect a wheel that is not wanted."""
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            # A click in a combo's open list belongs to the combo that opened it.
            if not (isinstance(watched, QWidget) and _in_popup(watched)):
                self._armed = _value_control_holding(watched)
        elif kind == QEvent.Type.Wheel and is_value_control(watched):
            assert isinstance(watched, QWidget)
            assert isinstance(event, QWheelEvent)
            if not self.allows(watched):
                self._scroll_instead(watched, event)
                return True
        return False

    def allows(self, control: QWidget) -> bool:
        """Whether the wheel may change this control's value now."""
        return (
            control is self.armed()
            and control.isEnabled()
            and control.hasFocus()
            and not _is_read_only(control)
        )

    def focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        """Disarm once the focus leaves the clicked control (a combo's open list keeps it)."""
        armed = self.armed()
        if armed is None or now is None or QApplication.activePopupWidget() is not None:
            return
        if now is not armed and not armed.isAncestorOf(now):
            self._armed = None

    @staticmethod
    def _scroll_instead(control: QWidget, event: QWheelEvent) -> None:
        """Hand the wheel to the scroll area around the control (the form scrolls on)."""
        event.accept()  # the control must not see it, and its parents must not see it twice
        parent = control.parentWidget()
        while parent is not None and not isinstance(parent, QAbstractScrollArea):
            parent = parent.parentWidget()
        if parent is None:
            return
        viewport = parent.viewport()
        position = QPointF(viewport.mapFromGlobal(event.globalPosition().toPoint()))
        forwarded = QWheelEvent(
            position,
            event.globalPosition(),
            event.pixelDelta(),
            event.angleDelta(),
            event.buttons(),
            event.modifiers(),
            event.phase(),
            event.inverted(),
            event.source(),
        )
        QApplication.sendEvent(viewport, forwarded)


_guards: dict[int, WheelGuard] = {}


def install_wheel_guard() -> WheelGuard | None:
    """Install the one application-wide wheel guard (idempotent); None without an app."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return None
    guard = _guards.get(id(app))
    if guard is None or not shiboken6.isValid(guard):
        guard = WheelGuard(app)
        app.installEventFilter(guard)
        app.focusChanged.connect(guard.focus_changed)
        _guards[id(app)] = guard
    return guard


class ChoiceBox(QComboBox):
    """One choice from a scale; Delete or Backspace returns it to *not tested*.

    Typing a letter or digit picks a choice by the documented mnemonic (choice_keys: a word
    of the choice starting with the letter, never *not tested*) without opening the list, so
    a finding is one key once the field has focus.

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
        # The wheel never focuses a finding; WheelGuard keeps it from changing one.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        install_wheel_guard()
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
        if pick_key(self, event):
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: Any) -> None:
        """No popup on a read-only box."""
        if self._read_only:
            self.setFocus()
            return
        super().mousePressEvent(event)

    def isReadOnly(self) -> bool:  # named like QLineEdit's, so the wheel guard reads both
        """True while the box shows a value but takes no input."""
        return self._read_only


TYPED_RUN_S = 1.0
"""Letters typed within this time of each other read as one word ("be": below the knee)."""
_typed_runs: dict[int, tuple[str, float]] = {}


def pick_key(box: QComboBox, event: QKeyEvent) -> bool:
    """Pick a combo's choice by the letter or digit typed (the mnemonic); True if handled.

    A plain letter or digit is always handled, so Qt's own keyboard search (which reaches
    *not tested* with ``n``) never runs; a key naming no choice changes nothing.
    """
    text = event.text()
    plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier in (
        Qt.KeyboardModifier.NoModifier,
        Qt.KeyboardModifier.ShiftModifier,
    )
    if not (plain and len(text) == 1 and text.isalnum()):
        return False
    choices = [str(box.itemData(i)) for i in range(box.count())]
    now = time.monotonic()
    typed, at = _typed_runs.get(id(box), ("", 0.0))
    typed = typed if now - at < TYPED_RUN_S else ""
    index = pick_by_key(choices, box.currentIndex(), text, typed)
    _typed_runs[id(box)] = (typed + text, now)
    if index is not None and index != box.currentIndex():
        box.setCurrentIndex(index)
    return True


class MultiChoiceList(QListWidget):
    """Several values from a list, each a check box; Space toggles the current one.

    Signals:
        sig_value_changed: the user checked or unchecked an item.
    """

    sig_value_changed = Signal()
    """Emitted when the user changes the selection (not by set_value)."""

    def __init__(
        self,
        choices: Sequence[str],
        parent: QWidget | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._setting = False
        self._read_only = False
        # The cursor row is shown by the focus frame only: no row looks chosen until checked.
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        # Long names wrap inside the box instead of hiding behind a sideways scroll bar.
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        for value in choices:
            text = (labels or {}).get(value) or choice_label(value)
            item = QListWidgetItem(text)
            item.setToolTip(text)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsSelectable
            )
            item.setCheckState(Qt.CheckState.Unchecked)
            self.addItem(item)
        rows = min(len(choices), 6)
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
        # A flag change emits itemChanged too; it is not a user edit (every opened encounter
        # would otherwise count as changed and be saved again).
        self._setting = True
        try:
            for i in range(self.count()):
                item = self.item(i)
                flags = item.flags()
                if read_only:
                    flags &= ~Qt.ItemFlag.ItemIsUserCheckable
                else:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                item.setFlags(flags)
        finally:
            self._setting = False

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

    def __init__(self, kind: str, parent: QWidget | None = None, unit: str = "") -> None:
        super().__init__(parent)
        self._kind = kind
        self._unit = unit
        placeholder = {
            "integer": "weeks (or 10d, 3m)" if unit == "weeks" else NOT_TESTED_LABEL,
            "date": "YYYY-MM-DD or MM/DD/YYYY",
            "text": "",
        }.get(kind, "")
        self.setPlaceholderText(placeholder)
        if kind in ("integer", "date"):
            # As wide as its hint, in the font in use: at a large font nothing is cut.
            metrics = self.fontMetrics()
            self.setMaximumWidth(
                metrics.horizontalAdvance(placeholder or "0000") + 3 * metrics.averageCharWidth()
            )
        if kind == "integer" and unit == "weeks":
            self.setToolTip("Weeks; or type days (10d) or months (3m), read as weeks.")
        elif kind == "date":
            self.setToolTip("ISO (2026-11-28) or US month/day/year (11/28/2026).")
        self.textEdited.connect(lambda _t: self.sig_value_changed.emit())

    def value(self) -> Any:
        """None when empty (numbers, dates), otherwise the text as typed.

        A US date is read as ISO, a duration in days or months as weeks (the model validates
        what comes out; text it cannot read goes to it unchanged and is refused there).
        """
        text = self.text().strip()
        if self._kind == "date" and text:
            return read_date(text)
        if self._kind == "integer" and self._unit == "weeks" and text:
            return read_weeks(text)[0]
        if self._kind in ("integer", "date"):
            return text or None
        return self.text()

    def reading(self) -> str:
        """How a duration in days or months was read ("3 months = 13 weeks"), or ""."""
        if self._kind == "integer" and self._unit == "weeks":
            return read_weeks(self.text().strip())[1]
        return ""

    def set_value(self, value: Any) -> None:
        """Show a stored value (no change signal)."""
        self.setText("" if value is None else str(value))

    def set_read_only(self, read_only: bool) -> None:
        """Signed exams show their values but take no input."""
        self.setReadOnly(read_only)

    def event(self, event: QEvent) -> bool:
        """Leave Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y to the form's undo across fields."""
        if event.type() == QEvent.Type.ShortcutOverride and _is_undo_key(event):
            event.ignore()
            return True
        return super().event(event)


def _is_undo_key(event: QEvent) -> bool:
    """Undo or redo: the platform's keys, Ctrl+Shift+Z and Ctrl+Y."""
    if not isinstance(event, QKeyEvent):
        return False
    if event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo):
        return True
    ctrl = Qt.KeyboardModifier.ControlModifier
    shift = Qt.KeyboardModifier.ShiftModifier
    chord = (event.key(), event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
    return chord in ((Qt.Key.Key_Z, ctrl | shift), (Qt.Key.Key_Y, ctrl))
