"""A long job (a check, an import) on a worker thread, behind a progress bar with Cancel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from clinic_app.domain.errors import Cancelled, ClinicError

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total) as the services call it; total 0 when not known."""
SHOW_AFTER_MS = 300
"""A job that ends sooner shows no progress window at all."""


class _Signals(QObject):
    """Lives on the UI thread; the worker's calls arrive here queued."""

    step = Signal(str, int, int)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class _Runner(QRunnable):
    def __init__(self, fn: Callable[[Progress], Any], signals: _Signals, stop: threading.Event):
        super().__init__()
        self._fn = fn
        self._signals = signals
        self._stop = stop

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self._stop.is_set():
            raise Cancelled("Stopped before it finished; nothing was changed.")
        self._signals.step.emit(stage, done, total)

    def run(self) -> None:
        """Called on the pool thread."""
        try:
            result = self._fn(self._progress)
        except Cancelled:
            self._signals.cancelled.emit()
        except ClinicError as exc:
            self._signals.failed.emit(str(exc))
        except Exception as exc:  # a bug: still reported, never a silent dead thread
            self._signals.failed.emit(f"Unexpected error: {exc!r}")
        else:
            self._signals.done.emit(result)


class LongJob(QObject):
    """Runs fn(progress) on its own thread; the window stays live meanwhile.

    A progress window (modal to parent) appears if the job takes longer than SHOW_AFTER_MS:
    a bar when the job knows its total, a moving bar otherwise, the stage in words, and a
    Cancel button that makes the job's next progress call raise Cancelled (the services
    write nothing until their end, so a cancelled job leaves the records as they were).
    Exactly one of on_done(result), on_failed(message) or on_cancelled() is then called on
    the UI thread.
    """

    def __init__(
        self,
        parent: QWidget,
        title: str,
        fn: Callable[[Progress], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None],
        *,
        stages: dict[str, str] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._stages = stages or {}
        self._on_done = on_done
        self._on_failed = on_failed
        self._on_cancelled = on_cancelled
        self._stop = threading.Event()
        self._finished = False
        self.dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
        self.dialog.setObjectName("long_job_progress")
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)  # Qt shows it then, if still running
        self.dialog.canceled.connect(self.cancel)
        # No parent: the worker may still emit after the window that started it has gone.
        self._signals = _Signals()
        self._signals.step.connect(self._step)
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self._signals.cancelled.connect(self._cancelled)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._runner = _Runner(fn, self._signals, self._stop)
        self._runner.setAutoDelete(False)

    def start(self) -> LongJob:
        """Start the job (returns self)."""
        self._pool.start(self._runner)
        return self

    @property
    def running(self) -> bool:
        """True until the job has ended and its outcome was handed on."""
        return not self._finished

    def wait(self, msecs: int = 60_000) -> bool:
        """Block until the worker ends (at exit, and in tests); outcomes still arrive queued."""
        return bool(self._pool.waitForDone(msecs))

    @Slot()
    def cancel(self) -> None:
        """Ask the job to stop at its next progress call."""
        self._stop.set()
        self.dialog.setLabelText("Stopping...")
        self.dialog.setCancelButtonText("Stopping...")

    @Slot(str, int, int)
    def _step(self, stage: str, done: int, total: int) -> None:
        if self._finished or self._stop.is_set():
            return
        words = self._stages.get(stage, stage)
        if total > 0:
            self.dialog.setMaximum(total)
            self.dialog.setValue(min(done, total))
            self.dialog.setLabelText(f"{words}: {done:,} of {total:,}")
        else:
            self.dialog.setMaximum(0)
            self.dialog.setLabelText(f"{words}: {done:,}" if done else words)

    def _end(self) -> None:
        self._finished = True
        # reset() stops the window's own show timer: a job that ended before it fired would
        # otherwise come up, finished, over the window that shows its result (whose event
        # loop runs before the deferred delete).
        self.dialog.reset()
        self.dialog.hide()
        self.dialog.deleteLater()

    @Slot(object)
    def _done(self, result: Any) -> None:
        self._end()
        self._on_done(result)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._end()
        self._on_failed(message)

    @Slot()
    def _cancelled(self) -> None:
        self._end()
        if self._on_cancelled is not None:
            self._on_cancelled()
