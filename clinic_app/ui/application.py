"""Start the Qt application: open the database (with a way out on failure), show the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from clinic_app import __version__, resources
from clinic_app.domain.errors import ClinicError, DatabaseCorrupt
from clinic_app.services.backup import BackupService
from clinic_app.services.container import Services
from clinic_app.settings import AppSettings
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.printing import remove_viewer_copies
from clinic_app.ui.views.session_pages import DatabaseSetup

# Benchmarks and the packaging smoke test set this to measure start-up: the app prints
# "window-shown" once the first usable page is on screen, then quits.
EXIT_AFTER_SHOW_ENV = "CLINIC_APP_EXIT_AFTER_SHOW"


def open_services(
    build: Callable[[], Services],
    recovery: Callable[[], BackupService] | None = None,
    dialogs: Dialogs | None = None,
) -> Services | None:
    """Open the database; on failure offer Retry or Quit (never a traceback).

    A damaged database also gets "Restore the last good backup (date)" when the backup
    folder holds one that passes its check; the damaged file is kept aside.
    """
    dialogs = dialogs or Dialogs()
    while True:
        try:
            return build()
        except ClinicError as exc:
            if os.environ.get(EXIT_AFTER_SHOW_ENV):
                print(f"clinic-app: {exc}", file=sys.stderr)
                return None
            if isinstance(exc, DatabaseCorrupt) and recovery is not None:
                again = offer_backup(exc, recovery, dialogs)
            else:
                again = ask_retry(str(exc), dialogs)
            if not again:
                return None


def ask_retry(problem: str, dialogs: Dialogs) -> bool:
    """Retry or Quit; True for Retry."""
    choice = dialogs.choose(
        None,
        "clinic_app cannot open its database",
        f"{problem}\n\nRetry after fixing the problem, or quit.",
        ["Retry", "Quit"],
    )
    return choice == 0


def offer_backup(
    exc: DatabaseCorrupt, recovery: Callable[[], BackupService], dialogs: Dialogs
) -> bool:
    """A damaged database: offer the last good backup, Retry or Quit; True to try again."""
    try:
        service = recovery()
        good = service.latest_good_backup()
    except ClinicError:
        good = None
    if good is None:
        return ask_retry(f"{exc}\n\nNo good backup was found in the backup folder.", dialogs)
    taken = good.manifest.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    choice = dialogs.choose(
        None,
        "clinic_app: the database is damaged",
        f"{exc}\n\nThe newest good backup was taken {taken} ({good.path}). Restoring it "
        "loses what was entered since then; the damaged file is kept aside.",
        [f"Restore the last good backup ({taken})", "Retry", "Quit"],
    )
    if choice == 1:
        return True
    if choice != 0:
        return False
    try:
        result = service.recover_damaged(good)
    except ClinicError as failure:
        dialogs.error(None, "The backup was not restored", str(failure))
        return True
    kept = f"\n\nThe damaged file is kept at {result.kept}." if result.kept else ""
    dialogs.info(None, "Backup restored", f"The backup taken {taken} was restored.{kept}")
    return True


def run(
    settings: AppSettings,
    build: Callable[[], Services],
    recovery: Callable[[], BackupService] | None = None,
    setup: DatabaseSetup | None = None,
) -> int:
    """Create the QApplication and run the main window until it closes.

    ``setup`` lets the first-run page test a PostgreSQL URL and move the records there.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("clinic_app")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources.icon_path())))
    # Lets Wayland docks match the window to the installed desktop entry.
    app.setDesktopFileName("clinic_app")
    # Viewer copies of PDFs live only as long as the app (the next start sweeps any left).
    app.aboutToQuit.connect(remove_viewer_copies)
    services = open_services(build, recovery)
    if services is None:
        return 2
    window = MainWindow(services, settings.idle_lock_minutes, setup=setup)
    window.show()
    if not os.environ.get(EXIT_AFTER_SHOW_ENV):
        # Scheduled backups: checked now (a day's backup is due at the first start) and hourly.
        window.backup_actions.start_schedule()
    else:

        def report() -> None:
            print("window-shown", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report)
    return app.exec()
