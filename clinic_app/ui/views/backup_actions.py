"""Back up now, restore a backup, and the scheduled backups, as slots for the main window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.errors import ClinicError
from clinic_app.services.backup import BackupService
from clinic_app.services.container import Services
from clinic_app.services.ports import BackupManifest
from clinic_app.ui.dialogs import Dialogs

SCHEDULE_CHECK_MS = 60 * 60 * 1000  # hourly: a daily backup is at most an hour late
BACKUP_FILTER_SQLITE = "clinic_app backups (*.sqlite3);;All files (*)"
BACKUP_FILTER_PG = "clinic_app backups (*.zip);;All files (*)"
BUSY_WORDS = {
    "backup": "Writing the backup and checking it...",
    "verify": "Checking the backup...",
    "restore": "Restoring the backup...",
}
"""The jobs an admin starts and waits for, shown with a moving bar (scheduled ones are not)."""
BUSY_AFTER_MS = 500


def status_text(checked: datetime | None) -> str:
    """The admin's one-line reminder: when the newest backup that passed its check was taken."""
    if checked is None:
        return "Last backup: none found"
    return f"Last backup: {checked.astimezone():%Y-%m-%d %H:%M}, checked"


def describe(manifest: BackupManifest) -> str:
    """One line about a backup: when it was taken and what it holds."""
    taken = manifest.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return (
        f"taken {taken}, {manifest.total_rows} rows in {len(manifest.row_counts)} tables, "
        f"schema {manifest.schema_revision}"
    )


class _Job(QRunnable):
    """Runs one function on the pool and hands its result or error to the bridge."""

    def __init__(self, fn: Callable[[], object], bridge: _Bridge, tag: str) -> None:
        super().__init__()
        self._fn = fn
        self._bridge = bridge
        self._tag = tag

    def run(self) -> None:
        """Called on a pool thread."""
        try:
            result = self._fn()
        except ClinicError as exc:
            self._bridge.sig_failed.emit(self._tag, str(exc))
        except Exception as exc:  # a bug: still reported, never a silent dead thread
            self._bridge.sig_failed.emit(self._tag, f"Unexpected error: {exc!r}")
        else:
            self._bridge.sig_done.emit(self._tag, result)


class _Bridge(QObject):
    """Lives on the UI thread; the pool thread's signals arrive here queued."""

    sig_done = Signal(str, object)
    sig_failed = Signal(str, str)


class BackupActions(QObject):
    """The backup menu's actions and the backup schedule of a running app.

    Backups and restores run on a background thread, one at a time; the schedule checks at
    start and then hourly, and reports a failure once until a backup succeeds again.

    Signals:
        sig_backup_finished: a backup was written and verified (its path).
        sig_backup_failed: a backup or restore failed (the message).
        sig_restored: the database was replaced; the app closes to start over on it.
    """

    sig_backup_finished = Signal(str)
    """A backup was written and verified (its path)."""
    sig_backup_failed = Signal(str)
    """A backup or restore failed (the message)."""
    sig_restored = Signal()
    """The database was replaced by a backup."""
    sig_status_changed = Signal(str)
    """"Last backup: <when>, checked" (or why there is none), for the menu and status bar."""

    def __init__(
        self,
        parent: QWidget,
        services: Services,
        dialogs: Dialogs,
        quit_app: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._services = services
        self._dialogs = dialogs
        self._quit = quit_app or QApplication.quit
        self._user: Principal | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._bridge = _Bridge(self)
        self._bridge.sig_done.connect(self._on_done)
        self._bridge.sig_failed.connect(self._on_failed)
        self._jobs: dict[str, _Job] = {}
        self._reported_failure: str | None = None
        self._last_checked: datetime | None = None
        self._timer = QTimer(self)
        self._timer.setObjectName("backup_schedule")
        self._timer.setInterval(SCHEDULE_CHECK_MS)
        self._timer.timeout.connect(self.check_schedule)
        self._busy: QProgressDialog | None = None

    @property
    def _backup(self) -> BackupService | None:
        return self._services.backup

    @property
    def busy(self) -> bool:
        """Whether a backup or restore is running."""
        return bool(self._jobs)

    @property
    def schedule_timer(self) -> QTimer:
        """The hourly timer of the schedule (tests shorten it)."""
        return self._timer

    def set_user(self, principal: Principal | None) -> None:
        """Who is logged in (None after logout or lock)."""
        self._user = principal

    def wait(self, msecs: int = 60_000) -> bool:
        """Block until the running job ends (used at exit and by tests)."""
        return bool(self._pool.waitForDone(msecs))

    # ----------------------------------------------------------------------- menu slots

    @Slot()
    def back_up_now(self) -> None:
        """Ask for a file, write a verified backup there, report the result."""
        backup = self._backup
        if not self._ready(backup, "make a backup") or backup is None:
            return
        actor = self._user
        if actor is None:
            return  # the menu is only enabled for a logged-in admin
        suggested = backup.policy.folder / backup.suggested_name()
        out = self._dialogs.save_file(
            self._parent, "Back up the database", suggested, self._filter(backup)
        )
        if out is None:
            return
        self._start("backup", lambda: (out, backup.back_up(actor, out)))

    @Slot()
    def restore(self) -> None:
        """Pick a backup, check it, confirm, replace the database, then close the app."""
        backup = self._backup
        if not self._ready(backup, "restore a backup") or backup is None:
            return
        path = self._dialogs.open_file(
            self._parent, "Restore a backup", backup.policy.folder, self._filter(backup)
        )
        if path is None:
            return
        self._start("verify", lambda: (path, backup.verify(path)))

    @Slot()
    def start_schedule(self) -> None:
        """Check for a due backup now and then every hour."""
        if self._backup is None:
            return
        self._timer.start()
        QTimer.singleShot(0, self.check_schedule)

    def stop_schedule(self) -> None:
        """Stop the hourly checks (a running backup finishes)."""
        self._timer.stop()

    @Slot()
    def check_schedule(self) -> None:
        """Make a scheduled backup if one is due (skipped while another job runs)."""
        backup = self._backup
        if backup is None or self.busy:
            return
        try:
            due = backup.backup_due()
        except ClinicError as exc:
            self._scheduled_failure(str(exc))
            return
        if due:
            self._start("scheduled", backup.run_scheduled)

    @Slot()
    def refresh_status(self) -> None:
        """Find the newest backup that passes its check, off the UI thread, and report it."""
        backup = self._backup
        if backup is None:
            self.sig_status_changed.emit("Last backup: not available for this database")
            return
        if "status" in self._jobs:
            return
        self._start("status", backup.latest_good_backup)

    def _report_status(self, newest: datetime | None) -> None:
        if newest is not None and (self._last_checked is None or newest > self._last_checked):
            self._last_checked = newest
        self.sig_status_changed.emit(status_text(self._last_checked))

    # ----------------------------------------------------------------------- internals

    def _ready(self, backup: BackupService | None, what: str) -> bool:
        if backup is None:
            self._dialogs.error(
                self._parent, "Backups", "Backups are not available for this database."
            )
            return False
        if self._user is None or Role.ADMIN not in self._user.roles:
            self._dialogs.error(
                self._parent, "Backups", f"Only a practice admin may {what}; log in as one."
            )
            return False
        if self.busy:
            self._dialogs.info(
                self._parent, "Backups", "A backup is being made; try again in a moment."
            )
            return False
        return True

    @staticmethod
    def _filter(backup: BackupService) -> str:
        return BACKUP_FILTER_SQLITE if backup.backend == "sqlite" else BACKUP_FILTER_PG

    def _start(self, tag: str, fn: Callable[[], object]) -> None:
        job = _Job(fn, self._bridge, tag)
        job.setAutoDelete(False)  # kept in self._jobs until its result arrives
        self._jobs[tag] = job
        self._pool.start(job)
        if tag in BUSY_WORDS:
            self._show_busy(BUSY_WORDS[tag])

    def _show_busy(self, words: str) -> None:
        """A moving bar while a backup or restore the admin started runs.

        No Cancel: a backup is written and checked whole, a restore replaces the database in
        one step; the window stays usable meanwhile.
        """
        busy = self._busy
        if busy is None:
            busy = QProgressDialog(words, "", 0, 0, self._parent)
            busy.setCancelButton(None)  # no Cancel button
            busy.setObjectName("backup_progress")
            busy.setWindowTitle("Backups")
            busy.setWindowModality(Qt.WindowModality.WindowModal)
            busy.setMinimumDuration(BUSY_AFTER_MS)
            busy.setAutoClose(False)
            busy.setAutoReset(False)
            self._busy = busy
        busy.setLabelText(words)
        busy.setValue(0)

    def _hide_busy(self) -> None:
        if self._busy is not None:
            self._busy.reset()
            self._busy.hide()

    @Slot(str, object)
    def _on_done(self, tag: str, result: Any) -> None:
        self._jobs.pop(tag, None)
        if tag in BUSY_WORDS:
            self._hide_busy()
        if tag == "backup":
            out, manifest = result
            self._dialogs.info(
                self._parent,
                "Backup made",
                f"Backup written and checked: {out}\n{describe(manifest)}",
            )
            self.sig_backup_finished.emit(str(out))
            self._report_status(manifest.created_at)
        elif tag == "scheduled":
            self._reported_failure = None
            if result is not None:
                self.sig_backup_finished.emit(str(result.path))
                self._report_status(result.manifest.created_at)
        elif tag == "status":
            self._report_status(result.manifest.created_at if result is not None else None)
        elif tag == "verify":
            self._confirm_restore(*result)
        elif tag == "restore":
            self._restored(result)

    @Slot(str, str)
    def _on_failed(self, tag: str, message: str) -> None:
        self._jobs.pop(tag, None)
        if tag in BUSY_WORDS:
            self._hide_busy()
        if tag == "status":
            self.sig_status_changed.emit(f"Last backup: could not be checked ({message})")
            return
        self.sig_backup_failed.emit(message)
        if tag == "scheduled":
            self._scheduled_failure(message)
        elif tag in ("verify", "restore"):
            # The schedule was paused for the restore; nothing was replaced, so it goes on.
            self._timer.start()
            self._dialogs.error(self._parent, "The backup was not restored", message)
        else:
            self._dialogs.error(self._parent, "The backup failed", message)

    def _scheduled_failure(self, message: str) -> None:
        # Once per kind of failure: an hourly timer must not stack up modal boxes.
        if message == self._reported_failure:
            return
        self._reported_failure = message
        self._dialogs.error(
            self._parent,
            "The scheduled backup failed",
            f"{message}\n\nThe next attempt is in an hour; use Back up now to try at once.",
        )

    def _confirm_restore(self, path: Path, manifest: BackupManifest) -> None:
        backup = self._backup
        actor = self._user
        if backup is None or actor is None:
            return
        ok = self._dialogs.confirm(
            self._parent,
            "Restore this backup?",
            f"{path}\n{describe(manifest)}\n\nEverything entered since then is replaced. The "
            "current database is kept in the 'replaced' folder first. clinic_app closes "
            "afterwards; start it again (on every workstation sharing this database).",
            yes="Restore",
        )
        if not ok:
            return
        self.stop_schedule()
        self._start("restore", lambda: backup.restore(actor, path))

    def _restored(self, result: Any) -> None:
        kept = f"\nThe replaced database is kept at {result.kept}." if result.kept else ""
        self._dialogs.info(
            self._parent,
            "Backup restored",
            f"The backup ({describe(result.restored)}) was restored.{kept}\n\n"
            "clinic_app will now close; start it again.",
        )
        self.sig_restored.emit()
        self._quit()
