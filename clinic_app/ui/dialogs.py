"""Dialogs seam: every question or message to the user goes through here; tests swap it."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class Dialogs:
    """Modal message boxes (the real implementation)."""

    def confirm(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        yes: str = "OK",
        *,
        banner_html: str = "",
        default_yes: bool = False,
    ) -> bool:
        """Ask a yes/no question; True when the user accepts.

        Args:
            parent: the window the question belongs to.
            title: the box's title.
            text: the question (plain text).
            yes: the accepting button's words.
            banner_html: who the question is about (the patient banner), shown above it.
            default_yes: Enter accepts (only where the banner shows what is accepted).
        """
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        box.setObjectName("confirm_box")
        if banner_html:
            box.setTextFormat(Qt.TextFormat.RichText)
            box.setText(f"<p>{banner_html}</p><p>{escape(text)}</p>")
        ok = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(ok if default_yes else cancel)
        box.exec()
        return box.clickedButton() is ok

    def review(self, parent: QWidget | None, title: str, text: str, yes: str) -> bool:
        """Show a long plain-text report (scrollable) and ask to go ahead; True when accepted."""
        box = QDialog(parent)
        box.setObjectName("review_box")
        box.setWindowTitle(title)
        layout = QVBoxLayout(box)
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        view.setMinimumSize(560, 320)
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(yes, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(box.accept)
        buttons.rejected.connect(box.reject)
        layout.addWidget(buttons)
        return box.exec() == QDialog.DialogCode.Accepted

    def ask_text(self, parent: QWidget | None, title: str, text: str) -> str | None:
        """Ask for a few sentences of text; None when cancelled."""
        answer, ok = QInputDialog.getMultiLineText(parent, title, text)
        return answer if ok else None

    def ask_line(self, parent: QWidget | None, title: str, text: str) -> str | None:
        """Ask for one line of text; None when cancelled or left empty."""
        answer, ok = QInputDialog.getText(parent, title, text)
        return answer.strip() if ok and answer.strip() else None

    def show_recovery_key(self, parent: QWidget | None, key: str) -> None:
        """Show the database's recovery key once, to print or copy by hand and keep."""
        from PySide6.QtGui import QFont, QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        box = QDialog(parent)
        box.setObjectName("recovery_key_dialog")
        box.setWindowTitle("The practice's recovery key")
        layout = QVBoxLayout(box)
        intro = QLabel(
            "The records on this computer are encrypted. Each account's password unlocks them; "
            "if every admin password is lost, or the computer dies and a backup must be "
            "restored on another one, only this recovery key opens them.\n\nPrint it (or copy "
            "it by hand) and keep it locked away with the practice's papers, not with the "
            "computer. It is shown this once."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        shown = QLabel(key)
        shown.setObjectName("recovery_key")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(max(14, font.pointSize() + 4))
        shown.setFont(font)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(shown)
        buttons = QDialogButtonBox()
        print_button = buttons.addButton("&Print...", QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton("I have &kept it", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(box.accept)

        def print_key() -> None:
            printer = QPrinter()
            if QPrintDialog(printer, box).exec() == QDialog.DialogCode.Accepted:
                doc = QTextDocument()
                doc.setPlainText(f"clinic_app recovery key\n\n{key}\n")
                doc.print_(printer)

        print_button.clicked.connect(print_key)
        layout.addWidget(buttons)
        box.exec()

    def ask_login(self, parent: QWidget | None, title: str, text: str) -> tuple[str, str] | None:
        """Ask for a user name and a password (not echoed); None when cancelled."""
        username, ok = QInputDialog.getText(parent, title, f"{text}\n\nUser name:")
        if not ok or not username.strip():
            return None
        password, ok = QInputDialog.getText(
            parent, title, f"Password for {username.strip()}:", QLineEdit.EchoMode.Password
        )
        if not ok:
            return None
        return username.strip(), password

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        """Tell the user something."""
        QMessageBox.information(parent, title, text)

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        """Tell the user something went wrong and what to do."""
        QMessageBox.warning(parent, title, text)

    def choose(
        self, parent: QWidget | None, title: str, text: str, options: list[str]
    ) -> int | None:
        """Pick one of several buttons; None when closed."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
        buttons = [box.addButton(o, QMessageBox.ButtonRole.ActionRole) for o in options]
        box.exec()
        clicked = box.clickedButton()
        for i, button in enumerate(buttons):
            if clicked is button:
                return i
        return None

    def save_file(
        self, parent: QWidget | None, title: str, suggested: Path, name_filter: str
    ) -> Path | None:
        """Ask where to write a new file; None when cancelled."""
        name, _chosen = QFileDialog.getSaveFileName(parent, title, str(suggested), name_filter)
        return Path(name) if name else None

    def open_file(
        self, parent: QWidget | None, title: str, folder: Path, name_filter: str
    ) -> Path | None:
        """Ask for an existing file to read; None when cancelled."""
        name, _chosen = QFileDialog.getOpenFileName(parent, title, str(folder), name_filter)
        return Path(name) if name else None
