"""The practice's letterhead fields: name, address, phone and logo.

On the first-run page and in the admin's practice editor. Light on purpose: the first-run page
shows before the data layer and the domain models load (the logo checks load when a file is
chosen).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.views.form_widgets import FieldWithError, add_row, line_edit

if TYPE_CHECKING:
    from clinic_app.domain.practice import PracticeDetails

LOGO_PREVIEW_SIZE = (160, 64)
LOGO_FILTER = "Images (*.png *.jpg *.jpeg)"
ADDRESS_LINES = 4
"""Lines of the address box (clinic_app.domain.practice.MAX_ADDRESS_LINES, checked by a test)."""


def plain_text_edit(name: str, lines: int) -> QPlainTextEdit:
    """A multi-line field about `lines` lines high, where Tab moves on instead of typing a tab."""
    edit = QPlainTextEdit()
    edit.setObjectName(name)
    edit.setTabChangesFocus(True)
    height = QFontMetrics(edit.font()).lineSpacing() * lines
    edit.setFixedHeight(height + 2 * edit.frameWidth() + 10)
    return edit


class LogoPicker(QWidget):
    """A small preview of the practice logo with Choose... and Remove buttons.

    Signals:
        sig_problem: a chosen file was refused; carries the message (empty: no problem).
    """

    sig_problem = Signal(str)
    """Emitted with the reason a file was refused, or "" after a good choice or removal."""

    def __init__(self, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("practice_logo")
        self._dialogs = dialogs
        self._data: bytes | None = None
        self.preview = QLabel()
        self.preview.setObjectName("practice_logo_preview")
        self.preview.setFixedSize(*LOGO_PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setStyleSheet("border: 1px solid #b0b0b0; color: #606060;")
        self.choose_button = QPushButton("Choose &logo...")
        self.choose_button.setObjectName("practice_logo_choose")
        self.choose_button.clicked.connect(self.choose)
        self.remove_button = QPushButton("Remo&ve logo")
        self.remove_button.setObjectName("practice_logo_remove")
        self.remove_button.clicked.connect(self.remove)
        buttons = QVBoxLayout()
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.setFocusProxy(self.choose_button)
        self.set_logo(None)

    @property
    def data(self) -> bytes | None:
        """The chosen image's bytes, or None."""
        return self._data

    def set_logo(self, data: bytes | None) -> None:
        """Show a stored or chosen logo (None: no logo)."""
        self._data = data or None
        self.remove_button.setEnabled(self._data is not None)
        if self._data is None:
            self.preview.setPixmap(QPixmap())
            self.preview.setText("No logo")
            return
        pixmap = QPixmap()
        if not pixmap.loadFromData(self._data):
            self.preview.setText("(cannot show)")
            return
        self.preview.setPixmap(
            pixmap.scaled(
                *LOGO_PREVIEW_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def choose(self) -> None:
        """Ask for an image file; a file that is too big or not PNG/JPEG is refused."""
        path = self._dialogs.open_file(self, "Choose the practice logo", Path.home(), LOGO_FILTER)
        if path is None:
            return
        from clinic_app.domain.practice import check_logo, logo_size_problem

        try:
            # The size is checked before reading, so a huge file is never loaded.
            problem = logo_size_problem(path.stat().st_size)
            if problem:
                raise ValueError(problem)
            data = check_logo(path.read_bytes())
        except OSError as exc:
            self.sig_problem.emit(f"{path.name} cannot be read ({exc.strerror or exc}).")
            return
        except ValueError as exc:
            self.sig_problem.emit(str(exc))
            return
        self.set_logo(data)
        self.sig_problem.emit("")

    def remove(self) -> None:
        """Print without a logo."""
        self.set_logo(None)
        self.sig_problem.emit("")
        self.choose_button.setFocus()


class PracticeFields(QWidget):
    """Name, address, phone and logo, each with its error line; used on first run and by admins."""

    KEYS = ("name", "address", "phone", "logo")

    def __init__(self, dialogs: Dialogs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = FieldWithError(line_edit("practice_name", "e.g. Sole Care Podiatry"))
        self.address = FieldWithError(plain_text_edit("practice_address", ADDRESS_LINES))
        self.address.editor.setPlaceholderText("Street\nTown, postcode")
        self.phone = FieldWithError(line_edit("practice_phone", "e.g. (555) 010-2000"))
        self.logo = FieldWithError(LogoPicker(dialogs))
        self.logo.editor.sig_problem.connect(lambda message: self.logo.set_error(message or None))
        self.fields: dict[str, FieldWithError[Any]] = {
            "name": self.name,
            "address": self.address,
            "phone": self.phone,
            "logo": self.logo,
        }
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        add_row(form, "Practice na&me", self.name)
        add_row(form, "A&ddress (up to 4 lines)", self.address)
        add_row(form, "P&hone", self.phone)
        add_row(form, "Logo (optional)", self.logo)
        self.logo.editor.setAccessibleName("Logo")

    def values(self) -> dict[str, Any]:
        """What is on screen, for PracticeDetails."""
        return {
            "name": self.name.editor.text(),
            "address": self.address.editor.toPlainText(),
            "phone": self.phone.editor.text(),
            "logo": self.logo.editor.data,
        }

    def load(self, details: PracticeDetails | None) -> None:
        """Fill the fields from stored details (blank when there are none)."""
        self.clear_errors()
        self.name.editor.setText(details.name if details else "")
        self.address.editor.setPlainText("\n".join(details.address) if details else "")
        self.phone.editor.setText(details.phone if details else "")
        self.logo.editor.set_logo(details.logo if details else None)

    def clear_errors(self) -> None:
        """Hide every error line."""
        for field in self.fields.values():
            field.set_error(None)

    def show_errors(self, errors: Mapping[str, str]) -> QWidget | None:
        """Put each message under its field; the first field with an error, to focus."""
        first: QWidget | None = None
        for key in self.KEYS:
            message = errors.get(key)
            if message:
                self.fields[key].set_error(message)
                first = first or self.fields[key].editor
        return first
