"""The first page on screen: the log-in form, shown before the data layer is loaded.

Only Qt is imported here. While the user types, the database is opened and the services
built on a background thread (BackgroundCall); the workspace window is built after log-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui.views.form_widgets import error_look
from clinic_app.ui.window_size import fitting_size


class BackgroundCall(QObject):
    """Run one function on a plain thread; sig_done fires on the UI thread when it ends.

    ``result`` holds what it returned, ``error`` what it raised (the caller decides what to
    show). ``wait()`` blocks until it has ended.
    """

    sig_done = Signal()
    """Emitted (queued onto the UI thread) once the call has returned or raised."""

    def __init__(self, work: Callable[[], Any], name: str) -> None:
        super().__init__()
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self._work = work
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def start(self) -> None:
        """Start the thread (once; later calls do nothing)."""
        if not self._started:
            self._started = True
            self._thread.start()

    def start_after_paint(self, page: QWidget, at_latest_ms: int = 500) -> None:
        """Start once the page has been painted (or after at_latest_ms at the latest).

        The call imports and opens the data layer, which holds Python's lock for a good
        while: started first, it would hold up the page's first paint on two cores.
        """
        painted = _FirstPaint(page, self.start)
        page.installEventFilter(painted)
        self._first_paint = painted  # kept alive with the call
        QTimer.singleShot(at_latest_ms, self.start)

    def wait(self) -> None:
        """Block until the call has ended (starting it now if it has not started)."""
        self.start()
        self._thread.join()

    def _run(self) -> None:
        try:
            self.result = self._work()
        except BaseException as exc:  # handed to the UI thread, which reports it
            self.error = exc
        self.done = True
        self.sig_done.emit()


class _FirstPaint(QObject):
    """Calls back once, just after the watched widget's first paint."""

    def __init__(self, page: QWidget, then: Callable[[], None]) -> None:
        super().__init__(page)
        self._then: Callable[[], None] | None = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """On the first paint, schedule the call for when the paint is done."""
        if event.type() is QEvent.Type.Paint and self._then is not None:
            QTimer.singleShot(0, self._then)
            self._then = None
        return False


class StartLoginWindow(QMainWindow):
    """A window with the log-in form only.

    Signals:
        sig_submit: user name and password, when Log in is pressed.
    """

    sig_submit = Signal(str, str)
    """Emitted with the user name and password."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("start_window")
        self.setWindowTitle("clinic_app")
        box = QWidget()
        box.setMaximumWidth(420)
        layout = QVBoxLayout(box)
        layout.addWidget(QLabel("<h2>Log in</h2>"))
        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("login_username")
        self.password = QLineEdit()
        self.password.setObjectName("login_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        for text, edit in (("&User name", self.username), ("&Password", self.password)):
            label = QLabel(text)
            label.setBuddy(edit)
            form.addRow(label, edit)
            edit.returnPressed.connect(self._submit)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("login_message")
        error_look(self.message)
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.status = QLabel()
        self.status.setObjectName("login_status")
        self.status.hide()
        layout.addWidget(self.status)
        self.login_button = QPushButton("&Log in")
        self.login_button.setObjectName("login_button")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self._submit)
        layout.addWidget(self.login_button)
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.setCentralWidget(page)
        self.resize(fitting_size())
        self.username.setFocus()

    def _submit(self) -> None:
        if not self.login_button.isEnabled():
            return
        self.message.hide()
        self.sig_submit.emit(self.username.text(), self.password.text())

    def set_waiting(self, text: str | None) -> None:
        """Say what the log-in waits for (the records opening), or stop waiting."""
        self.login_button.setEnabled(text is None)
        self.status.setText(text or "")
        self.status.setVisible(text is not None)

    def refuse(self, message: str) -> None:
        """Show why the log-in failed; the password is cleared for another try."""
        self.set_waiting(None)
        self.message.setText(message)
        self.message.show()
        self.password.clear()
        self.password.setFocus()
