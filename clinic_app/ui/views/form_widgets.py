"""Form building blocks: a labelled field with its own inline error line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

if TYPE_CHECKING:  # a type only: the first-run page shows before the domain models load
    from clinic_app.ui.presenters.patient_form import Choice

ERROR_COLOUR = "#a40000"
"""Error lines: dark red, bold."""
MUTED_COLOUR = "#555555"
"""Help and hint lines: dark grey."""
W = TypeVar("W", bound=QWidget)


def tint(widget: QWidget, colour: str, *, bold: bool = False) -> None:
    """Colour a widget's text (and make it bold) through its palette and font.

    Not a style sheet: a sheet makes Qt draw the widget, and every widget inside it, through
    its style-sheet engine, which keeps style data for each one (on the exam form's labels and
    rows that was some 15 MB).
    """
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    palette.setColor(QPalette.ColorRole.Text, QColor(colour))
    widget.setPalette(palette)
    if bold:
        font = widget.font()
        font.setBold(True)
        widget.setFont(font)


def error_look(label: QLabel) -> None:
    """The look of an error line (dark red, bold)."""
    tint(label, ERROR_COLOUR, bold=True)


class FieldWithError(QWidget, Generic[W]):
    """An input widget with an error line under it, hidden while there is no error."""

    def __init__(self, editor: W, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.error = QLabel()
        error_look(self.error)
        self.error.setWordWrap(True)
        self.error.setObjectName(f"{editor.objectName()}_error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.error)
        self.setFocusProxy(editor)

    def set_error(self, message: str | None) -> None:
        """Show or clear the error; the editor's accessible description carries it too."""
        if message:
            self.error.setText(message)
            self.error.show()
            self.editor.setAccessibleDescription(message)
        else:
            self.error.clear()
            self.error.hide()
            self.editor.setAccessibleDescription("")


def line_edit(name: str, placeholder: str = "", *, password: bool = False) -> QLineEdit:
    """A QLineEdit named after its field."""
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    if password:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def combo(name: str, choices: tuple[Choice, ...]) -> QComboBox:
    """A QComboBox whose item data are the stored values."""
    box = QComboBox()
    box.setObjectName(name)
    for choice in choices:
        box.addItem(choice.label, str(choice.value))
    return box


def set_combo_value(box: QComboBox, value: str) -> None:
    """Select the item holding value."""
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)


def add_row(form: QFormLayout, label: str, field: FieldWithError[Any]) -> None:
    """A form row whose label is a buddy (Alt+letter jumps to the field)."""
    lab = QLabel(label)
    lab.setBuddy(field.editor)
    lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    field.editor.setAccessibleName(label.replace("&", ""))
    form.addRow(lab, field)


def error_banner(name: str) -> QLabel:
    """A hidden message line for whole-form errors."""
    label = QLabel()
    label.setObjectName(name)
    error_look(label)
    label.setWordWrap(True)
    label.hide()
    return label
