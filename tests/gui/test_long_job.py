"""A long job runs off the UI thread behind a progress window that can cancel it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from clinic_app.domain.errors import Cancelled, ClinicError
from clinic_app.ui.views import long_job
from clinic_app.ui.views.long_job import LongJob, Progress

pytestmark = pytest.mark.gui


class Outcome:
    """What the job handed back, on which thread."""

    def __init__(self) -> None:
        self.done: list[Any] = []
        self.failed: list[str] = []
        self.cancelled = 0
        self.threads: set[int] = set()

    def on_done(self, result: Any) -> None:
        self.threads.add(threading.get_ident())
        self.done.append(result)

    def on_failed(self, message: str) -> None:
        self.failed.append(message)

    def on_cancelled(self) -> None:
        self.cancelled += 1


def start(parent: QWidget, fn: Any, outcome: Outcome) -> LongJob:
    return LongJob(
        parent,
        "Checking",
        fn,
        outcome.on_done,
        outcome.on_failed,
        stages={"chain": "Entries"},
        on_cancelled=outcome.on_cancelled,
    ).start()


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_result_arrives_on_the_ui_thread_and_the_work_ran_elsewhere(
    qtbot: QtBot, parent: QWidget
) -> None:
    outcome = Outcome()
    worker: list[int] = []

    def work(progress: Progress) -> int:
        worker.append(threading.get_ident())
        progress("chain", 1, 2)
        return 42

    job = start(parent, work, outcome)
    qtbot.waitUntil(lambda: not job.running)

    assert outcome.done == [42]
    assert outcome.threads == {threading.get_ident()}
    assert len(worker) == 1
    assert worker[0] != threading.get_ident()


def test_a_slow_job_shows_its_progress_and_cancel_stops_it(
    qtbot: QtBot, parent: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = Outcome()
    halfway = threading.Event()
    stopped: list[bool] = []

    def work(progress: Progress) -> None:
        try:
            for done in range(1_000_000):
                progress("chain", done, 1_000_000)
                if done == 5:
                    halfway.set()
                threading.Event().wait(0.002)
        except Cancelled:
            stopped.append(True)
            raise

    job = start(parent, work, outcome)
    qtbot.waitUntil(lambda: job.dialog.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: "of 1,000,000" in job.dialog.labelText())
    assert job.dialog.labelText().startswith("Entries: ")
    assert job.dialog.maximum() == 1_000_000
    assert halfway.is_set()

    job.dialog.findChild(QPushButton).click()  # Cancel
    qtbot.waitUntil(lambda: not job.running, timeout=5000)

    assert stopped == [True]
    assert outcome.cancelled == 1
    assert outcome.done == outcome.failed == []


def test_a_refusal_is_reported_in_its_own_words(qtbot: QtBot, parent: QWidget) -> None:
    outcome = Outcome()

    def work(progress: Progress) -> None:
        raise ClinicError("The file cannot be read.")

    job = start(parent, work, outcome)
    qtbot.waitUntil(lambda: not job.running)

    assert outcome.failed == ["The file cannot be read."]


def test_a_quick_job_shows_no_window(qtbot: QtBot, parent: QWidget) -> None:
    outcome = Outcome()
    job = start(parent, lambda progress: None, outcome)
    qtbot.waitUntil(lambda: not job.running)
    qtbot.wait(long_job.SHOW_AFTER_MS + 100)

    assert outcome.done == [None]
    assert not parent.findChildren(type(job.dialog), "long_job_progress") or not any(
        d.isVisible() for d in parent.findChildren(type(job.dialog), "long_job_progress")
    )


def test_a_quick_job_stays_hidden_while_its_result_is_shown_in_a_window(
    qtbot: QtBot, parent: QWidget
) -> None:
    """A modal window for the result runs its own event loop; the progress window's timer
    must not bring the finished job's window up over it."""
    visible: list[bool] = []

    def show_result(result: Any) -> None:
        loop = QEventLoop()
        later = long_job.SHOW_AFTER_MS + 200
        QTimer.singleShot(
            later - 50,
            lambda: visible.extend(d.isVisible() for d in parent.findChildren(QProgressDialog)),
        )
        QTimer.singleShot(later, loop.quit)
        loop.exec()  # as QDialog.exec() does

    def quick(progress: Progress) -> str:
        progress("chain", 0, 2)  # (a first step at 0 starts the window's own show timer)
        progress("chain", 1, 2)
        return "ok"

    job = LongJob(parent, "Checking", quick, show_result, lambda message: None).start()
    qtbot.waitUntil(lambda: not job.running)
    qtbot.waitUntil(lambda: bool(visible), timeout=3000)

    assert visible
    assert not any(visible)
