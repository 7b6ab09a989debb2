"""Start the Qt application: open the database (with a way out on failure), show the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from clinic_app import __version__, resources
from clinic_app.domain.errors import ClinicError, DatabaseCorrupt
from clinic_app.settings import AppSettings
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.source_cache import keep_module_sources_out_of_memory
from clinic_app.ui.start_page import BackgroundCall, StartLoginWindow
from clinic_app.ui.window_size import fitting_size

# The services, the data layer and the workspace are imported after the first page is shown.
if TYPE_CHECKING:
    from clinic_app.domain.account import Principal
    from clinic_app.services.backup import BackupService
    from clinic_app.services.container import Services
    from clinic_app.services.key_slots import EncryptedInPlace
    from clinic_app.ui.main_window import MainWindow
    from clinic_app.ui.views.long_job import LongJob
    from clinic_app.ui.views.session_pages import DatabaseSetup

WINDOW_STATE_FILE = "window.ini"
"""Where the main window's placement is kept, in the data folder (Qt settings, ui only)."""

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


@dataclass(frozen=True)
class StartUp:
    """How the window starts, decided cheaply before the data layer is loaded.

    Attributes:
        accounts_exist: True when the database holds accounts (the log-in page comes first,
            and the database opens while the password is typed), False or None otherwise
            (the set-up page, or a database the full start-up must look at first).
        check_file: SQLite's whole-file check, run in the background once the window is up
            (None when it already ran before the database was opened).
        running_marker: a file kept while the window runs; left behind, it tells the next
            start that this one did not shut down cleanly.
        unlock: for an encrypted database, opens its key with the typed user name and
            password (True when it opened); the database opens only after that.
    """

    accounts_exist: Callable[[], bool | None] | None = None
    check_file: Callable[[], list[str]] | None = None
    running_marker: Path | None = None
    unlock: Callable[[str, str], str | None] | None = None


def _remove_viewer_copies() -> None:
    from clinic_app.ui.printing import remove_viewer_copies

    remove_viewer_copies()


def _mark_running(start: StartUp, running: bool) -> None:
    marker = start.running_marker
    if marker is None:
        return
    try:
        if running:
            marker.touch()
        else:
            marker.unlink(missing_ok=True)
    except OSError:
        pass  # the next start then checks the file in full: slower, never less safe


def _report_shown(window: QWidget, app: QApplication) -> None:
    def report() -> None:
        print("window-shown", flush=True)
        window.close()
        app.quit()

    QTimer.singleShot(0, report)


def _open_window(
    services: Services,
    settings: AppSettings,
    setup: Callable[[], DatabaseSetup | None],
    encrypted: EncryptedInPlace | None = None,
    not_encrypted: str | None = None,
) -> MainWindow:
    from clinic_app.ui.main_window import MainWindow

    # The window's size, place and maximised state, remembered per data folder.
    placement = QSettings(str(settings.data_dir / WINDOW_STATE_FILE), QSettings.Format.IniFormat)
    window = MainWindow(services, settings.idle_lock_minutes, setup=setup(), window_state=placement)
    told: set[int] = set()

    def logged_in(principal: Principal) -> None:
        # Once per person and window: the lock screen's unlock is a log-in too.
        if principal.user_id in told:
            return
        told.add(principal.user_id)
        after_login(
            window,
            window.dialogs,
            services,
            principal,
            encrypted=encrypted,
            not_encrypted=not_encrypted,
        )

    # Connected after the window's own handler: the recovery key (if due) is shown first.
    window.login_page.sig_logged_in.connect(logged_in)
    return window


ENCRYPTING_STAGES = {
    "copying": "Writing the encrypted copy (MB)",
    "checking": "Checking the encrypted copy",
}
ENCRYPTING_STOPPED = "You stopped the encryption before it finished; nothing was changed."
INTEGRITY_ALERT_TITLE = "Integrity alert: the audit trail does not match its checkpoint"
KEPT_COPY_TITLE = "The unencrypted copy of the records"


def after_login(
    parent: QWidget,
    dialogs: Dialogs,
    services: Services,
    principal: Principal,
    *,
    encrypted: EncryptedInPlace | None = None,
    not_encrypted: str | None = None,
) -> None:
    """What a person must hear right after logging in, each in one window.

    - A start-up integrity alert (the audit chain no longer matches its checkpoint kept
      outside the database), to everyone: it is also audited and kept until a restore.
    - For an admin: that the records were just encrypted in place (or why not), and, while
      the unencrypted original is kept, the question whether it can be deleted now.
    """
    alert = services.integrity_alert
    if alert is not None:
        dialogs.error(
            parent,
            INTEGRITY_ALERT_TITLE,
            f"INTEGRITY ALERT: {alert}.\n\nThe practice's records may have been altered "
            "outside the app. Tell the practice admin now. The admin checks them with "
            "`clinic-app audit verify` and, if it fails, restores the last good backup. "
            "This alert is recorded in the audit trail and shown at every log-in until then.",
        )
    encryption = services.encryption
    if not_encrypted is not None:
        dialogs.error(
            parent,
            "The records were not encrypted",
            f"{not_encrypted}\n\nThe records open as before, unencrypted. The app tries again "
            "at the next admin log-in.",
        )
    if encrypted is not None:
        dialogs.info(parent, "The records are now encrypted", encrypted_text(encrypted))
        return
    from clinic_app.domain.account import Role

    if encryption is None or Role.ADMIN not in principal.roles:
        return
    kept = encryption.kept_copy()
    if kept is None:
        return
    if dialogs.confirm(
        parent,
        KEPT_COPY_TITLE,
        f"When the records were encrypted, the old unencrypted database was kept as {kept}. "
        "Anyone who copies that file can read every record in it.\n\nIf the patients and "
        "visits you have looked at since are all there, delete it now. Otherwise keep it "
        "for now (you are asked again at your next log-in).",
        "Delete the unencrypted copy",
    ):
        try:
            removed = encryption.confirm(principal)
        except ClinicError as exc:
            dialogs.error(parent, KEPT_COPY_TITLE, str(exc))
            return
        dialogs.info(parent, KEPT_COPY_TITLE, f"{removed} was deleted.")


def encrypted_text(done: EncryptedInPlace) -> str:
    """What the admin is told once the records were encrypted in place."""
    lines = [
        f"The records on this computer are now encrypted ({done.report.rows:,} rows in "
        f"{done.report.tables} tables copied and checked in {done.report.seconds:.1f} s). "
        "Each account's password unlocks them at log-in.",
        f"The old unencrypted database is kept as {done.kept} until you confirm that "
        "nothing is missing: you are asked at your next log-in (or run `clinic-app encrypt "
        "confirm --user NAME`). Until then anyone who copies that file can read it.",
    ]
    if done.without_slot:
        lines.append(
            "These accounts cannot log in until you set a new password for them (Admin, "
            f"Accounts): {', '.join(done.without_slot)}."
        )
    return "\n\n".join(lines)


def _check_in_background(start: StartUp, window: MainWindow, dialogs: Dialogs) -> None:
    """SQLite's whole-file check after start-up; a damaged file is reported at once."""
    check_file = start.check_file
    if check_file is None:
        return
    call = BackgroundCall(check_file, "clinic-integrity-check")

    def done() -> None:
        problems = call.result if call.error is None else [str(call.error)]
        if problems:
            dialogs.error(
                window,
                "The database file is damaged",
                "The database file failed its integrity check: "
                + "; ".join(map(str, problems[:3]))
                + "\n\nStop charting, quit, and restore the last good backup (Admin menu, or "
                "at the next start).",
            )

    call.sig_done.connect(done)
    window.integrity_check = call  # type: ignore[attr-defined]  # kept alive with the window
    call.start()


def run(
    settings: AppSettings,
    build: Callable[[], Services],
    recovery: Callable[[], BackupService] | None = None,
    setup: Callable[[], DatabaseSetup | None] | None = None,
    start: StartUp | None = None,
) -> int:
    """Create the QApplication and run the main window until it closes.

    ``setup`` gives what the first-run page needs to test a PostgreSQL URL and move the records
    there. When ``start`` says the database holds accounts, the log-in page is shown before
    anything else is loaded; the database opens on a background thread while the password is
    typed, and the workspace is built after log-in.
    """
    keep_module_sources_out_of_memory()  # before the data layer and the workspace load
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("clinic_app")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources.icon_path())))
    # Lets Wayland docks match the window to the installed desktop entry.
    app.setDesktopFileName("clinic_app")
    # Viewer copies of PDFs live only as long as the app (the next start sweeps any left).
    app.aboutToQuit.connect(_remove_viewer_copies)
    start = start or StartUp()
    setup = setup or (lambda: None)
    accounts = start.accounts_exist() if start.accounts_exist is not None else None
    if accounts:
        return _run_login_first(app, settings, build, recovery, setup, start)
    if accounts is False:
        return _run_setup_first(app, settings, build, recovery, setup, start)
    services = open_services(build, recovery)
    if services is None:
        return 2
    _mark_running(start, True)
    window = _open_window(services, settings, setup)
    window.show()
    if not os.environ.get(EXIT_AFTER_SHOW_ENV):
        # Scheduled backups: checked now (a day's backup is due at the first start) and hourly.
        window.backup_actions.start_schedule()
        _check_in_background(start, window, window.dialogs)
    else:
        _report_shown(window, app)
    status = app.exec()
    _mark_running(start, False)
    return status


def _with_workspace(build: Callable[[], Services]) -> Callable[[], Services]:
    """Open the records, then import the workspace (built only once it is needed)."""

    def prepare() -> Services:
        services = build()
        import clinic_app.ui.main_window  # noqa: F401

        return services

    return prepare


class _FirstPage:
    """A first page on screen while the records open on a thread, then the main window.

    Shared by the log-in-first and the set-up-first starts: taking the opened services on the
    UI thread (a problem asks Retry, restore a backup or Quit, as at any start), opening the
    window in the page's place, and running the event loop to its exit status.
    """

    def __init__(
        self,
        app: QApplication,
        page: QWidget,
        settings: AppSettings,
        build: Callable[[], Services],
        recovery: Callable[[], BackupService] | None,
        setup: Callable[[], DatabaseSetup | None],
        start: StartUp,
        dialogs: Dialogs | None = None,
    ) -> None:
        self._app = app
        self._page = page
        self._settings = settings
        self._build = build
        self._recovery = recovery
        self._setup = setup
        self._start = start
        self._dialogs = dialogs
        self._opened: Services | None = None
        self._exit_status = 0
        self._windows: list[MainWindow] = []

    def take(self, opening: BackgroundCall) -> Services | None:
        """The services the call opened (waiting for it); None once the user chose to quit."""
        if self._opened is not None:
            return self._opened
        opening.wait()
        if isinstance(opening.error, ClinicError):
            got = self.reopen()
        elif opening.error is not None:
            raise opening.error
        else:
            got = opening.result
        if got is not None:
            self.keep(got)
        return got

    def reopen(self) -> Services | None:
        """Open the records on the UI thread, asking about a problem; None after Quit."""
        got = open_services(self._build, self._recovery, self._dialogs)
        if got is None:
            self._exit_status = 2
            self._page.close()
            self._app.quit()
        return got

    def keep(self, services: Services) -> None:
        """These are the services from now on (the records are open: marked running)."""
        _mark_running(self._start, True)
        self._opened = services

    def enter(
        self,
        ready: Services,
        principal: Principal | None,
        *,
        encrypted: EncryptedInPlace | None = None,
        not_encrypted: str | None = None,
    ) -> None:
        """The main window in the page's place, logged in as principal (if any)."""
        window = _open_window(ready, self._settings, self._setup, encrypted, not_encrypted)
        if not window.placement_restored:
            window.setGeometry(self._page.geometry())
        window.show()
        if principal is not None:
            window.login_page.sig_logged_in.emit(principal)
        self._windows.append(window)
        self._page.close()
        window.backup_actions.start_schedule()
        _check_in_background(self._start, window, window.dialogs)

    def run(self, opening: Callable[[], BackgroundCall]) -> int:
        """The event loop until the last window closes; the exit status."""
        if os.environ.get(EXIT_AFTER_SHOW_ENV):
            _report_shown(self._page, self._app)
            self._app.exec()
            call = opening()
            call.wait()  # the benchmark's run ends only once the records opened (or not)
            if call.error is not None:
                print(f"clinic-app: {call.error}", file=sys.stderr)
                return 2
            return 0
        status = self._app.exec()
        _mark_running(self._start, False)
        return self._exit_status or status


def _run_login_first(
    app: QApplication,
    settings: AppSettings,
    build: Callable[[], Services],
    recovery: Callable[[], BackupService] | None,
    setup: Callable[[], DatabaseSetup | None],
    start: StartUp,
) -> int:
    """The log-in page first; the services come from a background thread; then the window."""
    page = StartLoginWindow()
    page.show()
    first = _FirstPage(app, page, settings, build, recovery, setup, start)

    prepare = _with_workspace(build)

    def warm_up() -> None:
        # An encrypted database waits for the key; the workspace is imported meanwhile.
        import clinic_app.ui.main_window  # noqa: F401

    locked = start.unlock is not None
    opening = BackgroundCall(warm_up if locked else prepare, "clinic-open-database")
    pending: list[tuple[str, str]] = []
    encrypting: list[LongJob] = []

    def unlock(username: str, password: str) -> bool:
        """Open the database key with the password, then open the records in the background."""
        nonlocal opening, locked
        assert start.unlock is not None
        page.set_waiting("Unlocking the records...")
        refused = start.unlock(username, password)
        if refused is not None:
            page.refuse(refused)
            return False
        locked = False
        pending[:] = [(username, password)]
        page.set_waiting("Opening the records...")
        opening = BackgroundCall(prepare, "clinic-open-database")
        opening.sig_done.connect(opened_now)
        opening.start()
        return True

    def log_in(username: str, password: str) -> None:
        if locked:
            unlock(username, password)
            return
        if not opening.done:
            pending[:] = [(username, password)]
            page.set_waiting("Opening the records...")
            return
        ready = first.take(opening)
        if ready is None:
            return
        try:
            principal = ready.accounts.login(username, password)
        except ClinicError as exc:
            page.refuse(str(exc))
            return
        if ready.encryption is not None and ready.encryption.due(principal):
            encrypt_then_enter(ready, principal, password)
            return
        first.enter(ready, principal)

    def encrypt_then_enter(ready: Services, principal: Principal, password: str) -> None:
        """A plain database and an admin's log-in: encrypt it in place, then reopen it.

        Behind a progress window with Cancel (shown if it takes more than a moment); a
        cancelled or failed attempt opens the plain records as they were.
        """
        from clinic_app.ui.views.long_job import LongJob, Progress

        assert ready.encryption is not None
        encryption = ready.encryption
        page.set_waiting("Encrypting the records (once, at the first admin log-in)...")

        def work(progress: Progress) -> tuple[Services | None, EncryptedInPlace]:
            done = encryption.encrypt(principal, password, progress)
            # Encrypted now: whatever goes wrong from here, the records are opened again on
            # the UI thread (asking Retry or Quit), never the plain services of before.
            try:
                again = build()
                if again.encryption is not None:
                    again.encryption.record_done(principal, done)
            except Exception:
                return None, done
            return again, done

        def finished(result: tuple[Services | None, EncryptedInPlace]) -> None:
            again, done = result
            if again is None:
                again = first.reopen()
                if again is None:
                    return
            first.keep(again)
            first.enter(again, principal, encrypted=done)

        def not_done(why: str) -> None:
            first.enter(ready, principal, not_encrypted=why)  # the plain records

        job = LongJob(
            page,
            "Encrypting the records",
            work,
            finished,
            not_done,
            stages=ENCRYPTING_STAGES,
            on_cancelled=lambda: not_done(ENCRYPTING_STOPPED),
        )
        encrypting.append(job)
        job.start()

    def opened_now() -> None:
        if locked:
            return  # the imports are done; the records open once the key is unlocked
        if pending:
            log_in(*pending.pop())
        elif isinstance(opening.error, ClinicError):
            first.take(opening)  # the problem is shown now, not after the password

    page.sig_submit.connect(log_in)
    opening.sig_done.connect(opened_now)
    opening.start()
    return first.run(lambda: opening)


def _run_setup_first(
    app: QApplication,
    settings: AppSettings,
    build: Callable[[], Services],
    recovery: Callable[[], BackupService] | None,
    setup: Callable[[], DatabaseSetup | None],
    start: StartUp,
) -> int:
    """A new practice: the set-up page first, the records opened meanwhile, then the window.

    The page is the main window's own set-up page, shown on its own; it asks for the
    services only when the practice is created (by then long open). The data layer, the
    migrations of a new database and the workspace come after the page is on screen.
    """
    from PySide6.QtWidgets import QMainWindow

    from clinic_app.ui.views.session_pages import SetupPage

    prepare = _with_workspace(build)

    opening = BackgroundCall(prepare, "clinic-open-database")
    dialogs = Dialogs()
    shell = QMainWindow()
    shell.setWindowTitle("clinic_app: set up the practice")
    first = _FirstPage(app, shell, settings, build, recovery, setup, start, dialogs)

    def services() -> Services | None:
        return first.take(opening)

    def opened_now() -> None:
        if isinstance(opening.error, ClinicError):
            services()  # the problem is shown now, not after the form is filled in

    setup_page = SetupPage(services, dialogs, setup())
    shell.setCentralWidget(setup_page)
    shell.resize(fitting_size())

    def admin_created(principal: Principal) -> None:
        ready = services()
        if ready is not None:
            first.enter(ready, principal)

    def database_chosen(elsewhere: Services, principal: Principal | None) -> None:
        services()  # the local records' opening is finished before the window moves on
        first.enter(elsewhere, principal)

    setup_page.sig_admin_created.connect(admin_created)
    setup_page.sig_database_chosen.connect(database_chosen)
    opening.sig_done.connect(opened_now)
    shell.show()
    setup_page.focus_first()
    opening.start_after_paint(setup_page)
    return first.run(lambda: opening)
