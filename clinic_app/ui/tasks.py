"""Run a service call that can take over ~100 ms off the UI thread.

``run_task(work, done, failed)`` runs ``work()`` on Qt's global thread pool and calls ``done``
with its result (or ``failed`` with what it raised) back on the UI thread. Only plain Python
may run in ``work``: no widgets. The receiver object keeps the callbacks alive until then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

_running: set[_Task] = set()


class _Relay(QObject):
    """Carries the outcome to the UI thread (a queued signal: created on the UI thread)."""

    sig_done = Signal(object)
    sig_failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.relay = _Relay()

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # handed to the UI thread, which reports it
            self.relay.sig_failed.emit(exc)
        else:
            self.relay.sig_done.emit(result)


def run_task(
    work: Callable[[], Any],
    done: Callable[[Any], None] | None = None,
    failed: Callable[[Exception], None] | None = None,
) -> None:
    """Run ``work`` on the thread pool; ``done(result)`` or ``failed(error)`` on the UI thread."""
    task = _Task(work)
    _running.add(task)

    def finish(callback: Callable[[Any], None] | None, value: Any) -> None:
        _running.discard(task)
        if callback is not None:
            callback(value)

    task.relay.sig_done.connect(lambda result: finish(done, result))
    task.relay.sig_failed.connect(lambda error: finish(failed, error))
    QThreadPool.globalInstance().start(task)
