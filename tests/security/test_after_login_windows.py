"""What the window tells a person right after log-in: an integrity alert, the encryption.

- A start-up integrity alert (the audit chain no longer matches its checkpoint outside the
  database) used to be printed on stderr and audited only; it is now a warning window at
  log-in, for everyone.
- An admin logging in over a plain database has it encrypted in place before the workspace
  opens, is told so (and shown the recovery key), and is asked at later log-ins whether the
  kept unencrypted copy can be deleted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from clinic_app.app import build_services
from clinic_app.services.container import Services
from clinic_app.services.key_slots import DatabaseKey, kept_copy_path
from clinic_app.settings import DB_FILE, AppSettings, load_settings
from clinic_app.storage.peek import is_plain
from clinic_app.ui.application import INTEGRITY_ALERT_TITLE, KEPT_COPY_TITLE, after_login
from clinic_app.ui.dialogs import Dialogs
from security.helpers import ADMIN_PASSWORD, CLERK_PASSWORD, make_practice

pytestmark = pytest.mark.gui


def close(services: Services) -> None:
    services.accounts._uow.engine.dispose()  # type: ignore[attr-defined]


def cut_the_audit_tail(path: Path) -> None:
    """Remove the newest audit entries and set the head back (the checkpoint saw them)."""
    conn = sqlite3.connect(path)
    try:
        last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        conn.execute("DELETE FROM audit_log WHERE seq >= ?", (last - 1,))
        previous = conn.execute(
            "SELECT entry_hash FROM audit_log WHERE seq = ?", (last - 2,)
        ).fetchone()[0]
        # The chain's head keeps the hash as hex text; each entry as its 32 bytes.
        head = previous.hex() if isinstance(previous, bytes) else previous
        conn.execute("UPDATE audit_head SET seq = ?, entry_hash = ? WHERE id = 1", (last - 2, head))
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def tampered(tmp_path: Path, fast_password_hashing: None) -> AppSettings:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    make_practice(data_dir)
    settings = load_settings(data_dir)
    services = build_services(settings)  # keys the chain and writes the checkpoint
    services.accounts.login("clerk", CLERK_PASSWORD)
    close(services)
    cut_the_audit_tail(data_dir / DB_FILE)
    return settings


def test_an_integrity_alert_at_start_is_shown_in_a_window_after_log_in(
    qtbot: QtBot, tampered: AppSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    services = build_services(tampered)
    assert "INTEGRITY ALERT" in capsys.readouterr().err  # still printed, as before
    alert = services.integrity_alert
    assert alert is not None
    assert "entries were removed" in alert
    clerk = services.accounts.login("clerk", CLERK_PASSWORD)
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[tuple[str, str, QMessageBox.Icon]] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append((box.windowTitle(), box.text(), box.icon()))
        box.accept()

    QTimer.singleShot(0, read_and_close)
    after_login(parent, Dialogs(), services, clerk)

    assert len(seen) == 1
    title, text, icon = seen[0]
    assert title == INTEGRITY_ALERT_TITLE
    assert text.startswith(f"INTEGRITY ALERT: {alert}.")
    assert "Tell the practice admin" in text
    assert icon == QMessageBox.Icon.Warning
    close(services)


@dataclass
class RecordingDialogs(Dialogs):
    """The dialogs seam, answering questions with a fixed choice and keeping what was said."""

    answer: bool = False
    said: list[tuple[str, str, str]] = field(default_factory=list)

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.said.append(("error", title, text))

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.said.append(("info", title, text))

    def confirm(self, parent: QWidget | None, title: str, text: str, *a: Any, **k: Any) -> bool:
        self.said.append(("confirm", title, text))
        return self.answer


def test_no_window_when_all_is_well(
    qtbot: QtBot, tmp_path: Path, fast_password_hashing: None
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    make_practice(data_dir)
    services = build_services(load_settings(data_dir))
    dialogs = RecordingDialogs()
    owner = services.accounts.login("owner", ADMIN_PASSWORD)
    after_login(QWidget(), dialogs, services, owner)
    assert dialogs.said == []
    close(services)


def test_an_admin_is_asked_about_the_kept_copy_at_each_log_in_until_it_is_deleted(
    tmp_path: Path, fast_password_hashing: None
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    make_practice(data_dir)
    settings = load_settings(data_dir)
    db_key = DatabaseKey()
    services = build_services(settings, db_key=db_key)
    owner = services.accounts.login("owner", ADMIN_PASSWORD)
    assert services.encryption is not None
    done = services.encryption.encrypt(owner, ADMIN_PASSWORD)
    services = build_services(settings, db_key=db_key)
    owner = services.accounts.login("owner", ADMIN_PASSWORD)
    clerk = services.accounts.login("clerk", CLERK_PASSWORD)

    just_now = RecordingDialogs()
    after_login(QWidget(), just_now, services, owner, encrypted=done)
    assert [(k, t) for k, t, _x in just_now.said] == [("info", "The records are now encrypted")]
    assert str(done.kept) in just_now.said[0][2]

    not_asked = RecordingDialogs(answer=True)
    after_login(QWidget(), not_asked, services, clerk)  # not an admin's decision
    assert not_asked.said == []

    keep = RecordingDialogs(answer=False)
    after_login(QWidget(), keep, services, owner)
    assert [(k, t) for k, t, _x in keep.said] == [("confirm", KEPT_COPY_TITLE)]
    assert done.kept.exists()

    delete = RecordingDialogs(answer=True)
    after_login(QWidget(), delete, services, owner)
    assert [k for k, _t, _x in delete.said] == ["confirm", "info"]
    assert not done.kept.exists()

    after = RecordingDialogs(answer=True)
    after_login(QWidget(), after, services, owner)
    assert after.said == []
    close(services)


CHILD = textwrap.dedent(
    """
    import json, sys
    from functools import partial
    from pathlib import Path

    from argon2 import PasswordHasher
    import clinic_app.services.accounts as accounts_service
    accounts_service.PasswordHasher = partial(
        PasswordHasher, time_cost=1, memory_cost=1024, parallelism=1)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLineEdit

    from clinic_app.app import build_services
    from clinic_app.services.key_slots import DatabaseKey
    from clinic_app.settings import load_settings
    from clinic_app.ui import dialogs
    from clinic_app.ui.application import StartUp, run

    settings = load_settings(Path(sys.argv[1]))
    username, password = sys.argv[2], sys.argv[3]
    if sys.argv[4:] == ["cancel"]:
        from clinic_app.ui.views import long_job
        real_start = long_job.LongJob.start
        def start_then_cancel(self):
            self.dialog.canceled.emit()  # the admin presses Cancel at once
            return real_start(self)
        long_job.LongJob.start = start_then_cancel
    db_key = DatabaseKey()
    seen = {"said": [], "recovery": None}

    def record(kind):
        def say(self, parent, title, *rest, **kw):
            seen["said"].append([kind, title])
            return False
        return say

    for kind in ("info", "error", "confirm"):
        setattr(dialogs.Dialogs, kind, record(kind))
    dialogs.Dialogs.show_recovery_key = (
        lambda self, parent, key: seen.__setitem__("recovery", key))

    def windows():
        import clinic_app.ui.main_window as mw
        return [w for w in QApplication.topLevelWidgets()
                if isinstance(w, mw.MainWindow) and w.isVisible()]

    def log_in():
        pages = [w for w in QApplication.topLevelWidgets()
                 if w.objectName() == "start_window" and w.isVisible()]
        if not pages:  # a slow start (first run after an update compiles the modules)
            QTimer.singleShot(100, log_in)
            return
        page = pages[0]
        page.findChild(QLineEdit, "login_username").setText(username)
        page.findChild(QLineEdit, "login_password").setText(password)
        page.login_button.click()
        QTimer.singleShot(100, wait_for_window)

    tries = [0]
    def wait_for_window():
        tries[0] += 1
        found = windows()
        if not found and tries[0] < 600:
            QTimer.singleShot(100, wait_for_window)
            return
        seen["windows"] = len(found)
        seen["page"] = [(w.message.text(), w.status.text()) for w in QApplication.topLevelWidgets()
                        if w.objectName() == "start_window"]
        seen["user"] = found[0].principal.username if found else None
        for window in found:
            window.close()
        QApplication.instance().quit()

    app = QApplication(sys.argv[:1])
    QTimer.singleShot(300, log_in)
    status = run(settings, lambda: build_services(settings, db_key=db_key), None, None,
                 StartUp(accounts_exist=lambda: True))
    seen["status"] = status
    seen["encrypted"] = db_key.secret is not None
    print(json.dumps(seen))
    """
)


def run_window(data_dir: Path, username: str, password: str, *extra: str) -> dict[str, Any]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")},
        "QT_QPA_PLATFORM": "offscreen",
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir), username, password, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["stderr"] = out.stderr
    return result


def test_the_window_encrypts_a_plain_database_at_the_first_admin_log_in(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    make_practice(data_dir)
    path = data_dir / DB_FILE

    clerk = run_window(data_dir, "clerk", CLERK_PASSWORD)
    assert clerk["windows"] == 1, clerk
    assert clerk["status"] == 0
    assert clerk["encrypted"] is False
    assert is_plain(path)  # a front-desk log-in changes nothing

    admin = run_window(data_dir, "owner", ADMIN_PASSWORD)

    assert admin["windows"] == 1
    assert admin["user"] == "owner"
    assert admin["status"] == 0
    assert admin["encrypted"] is True
    assert admin["recovery"] is not None  # shown once, at this log-in
    assert ["info", "The records are now encrypted"] in admin["said"]
    assert not is_plain(path)
    assert kept_copy_path(path).exists()


def test_an_admin_who_cancels_the_encryption_gets_the_plain_records(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    make_practice(data_dir)
    path = data_dir / DB_FILE

    admin = run_window(data_dir, "owner", ADMIN_PASSWORD, "cancel")

    assert admin["windows"] == 1
    assert admin["user"] == "owner"
    assert admin["encrypted"] is False
    assert admin["recovery"] is None
    assert ["error", "The records were not encrypted"] in admin["said"]
    assert is_plain(path)
    assert not kept_copy_path(path).exists()
    assert not [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")]

    again = run_window(data_dir, "owner", ADMIN_PASSWORD)  # asked again: this time it is done
    assert again["encrypted"] is True
    assert not is_plain(path)
