"""Dialogs seam: every question or message to the user goes through here; tests swap it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


class Dialogs:
    """Modal message boxes (the real implementation)."""

    def confirm(self, parent: QWidget | None, title: str, text: str, yes: str = "OK") -> bool:
        """Ask a yes/no question; True when the user accepts."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        ok = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is ok

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
