"""Start the Qt application: open the database (with a way out on failure), show the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from clinic_app import __version__
from clinic_app.domain.errors import ClinicError
from clinic_app.services.container import Services
from clinic_app.settings import AppSettings
from clinic_app.ui.main_window import MainWindow

# Benchmarks and the packaging smoke test set this to measure start-up: the app prints
# "window-shown" once the first usable page is on screen, then quits.
EXIT_AFTER_SHOW_ENV = "CLINIC_APP_EXIT_AFTER_SHOW"


def open_services(build: Callable[[], Services]) -> Services | None:
    """Open the database; on failure offer Retry or Quit (never a traceback)."""
    while True:
        try:
            return build()
        except ClinicError as exc:
            box = QMessageBox(
                QMessageBox.Icon.Critical,
                "clinic_app cannot open its database",
                f"{exc}\n\nRetry after fixing the problem, or quit.",
            )
            retry = box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)
            box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
            if os.environ.get(EXIT_AFTER_SHOW_ENV):
                print(f"clinic-app: {exc}", file=sys.stderr)
                return None
            box.exec()
            if box.clickedButton() is not retry:
                return None


def run(settings: AppSettings, build: Callable[[], Services]) -> int:
    """Create the QApplication and run the main window until it closes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("clinic_app")
    app.setApplicationVersion(__version__)
    services = open_services(build)
    if services is None:
        return 2
    window = MainWindow(services, settings.idle_lock_minutes)
    window.show()
    if os.environ.get(EXIT_AFTER_SHOW_ENV):

        def report() -> None:
            print("window-shown", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report)
    return app.exec()
