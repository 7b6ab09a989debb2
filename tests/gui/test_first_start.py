"""A new practice's first start: the set-up page comes up before the records are opened.

Runs `ui.application.run` in a child process (it runs and quits the application's event loop,
which the other tests share in this one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit

    from clinic_app.app import build_services, database_setup
    from clinic_app.settings import load_settings
    from clinic_app.ui.application import StartUp, run

    settings = load_settings(Path(sys.argv[1]))
    built = []
    seen = {}
    GOOD = {
        "practice_name": "Sole Care Podiatry",
        "practice_phone": "(555) 010-2000",
        "setup_username": "jlopez",
        "setup_display_name": "Dr Jo Lopez",
        "setup_password": "heel-and-sole-42",
        "setup_password2": "heel-and-sole-42",
    }

    def build():
        built.append(1)
        return build_services(settings)

    def drive():
        import clinic_app.ui.main_window as mw
        from clinic_app.ui.views.session_pages import SetupPage

        shells = [w for w in QApplication.topLevelWidgets()
                  if w.isVisible() and w.findChild(SetupPage)]
        seen["shells"] = len(shells)
        seen["shell_is_main_window"] = isinstance(shells[0], mw.MainWindow)
        page = shells[0].findChild(SetupPage)
        for name, text in GOOD.items():
            page.findChild(QLineEdit, name).setText(text)
        page.findChild(QPlainTextEdit, "practice_address").setPlainText("12 Arch Street")
        page.create_button.click()
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, mw.MainWindow) and w.isVisible()]
        seen["windows"] = len(windows)
        seen["roles"] = sorted(windows[0].principal.roles) if windows else []
        seen["shell_visible"] = shells[0].isVisible()
        for window in windows:
            window.close()
        QApplication.instance().quit()

    app = QApplication(sys.argv[:1])  # run() takes it over
    QTimer.singleShot(300, drive)
    status = run(settings, build, None, lambda: database_setup(settings),
                 StartUp(accounts_exist=lambda: False))
    seen["status"] = status
    seen["built"] = len(built)
    print(json.dumps(seen))
    """
)


def test_set_up_page_first_then_the_workspace_over_the_opened_records(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")},
        "QT_QPA_PLATFORM": "offscreen",
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])

    assert seen["shells"] == 1
    assert seen["shell_is_main_window"] is False  # the page alone, not the workspace
    assert seen["windows"] == 1
    assert seen["roles"] == ["admin", "clinician"]
    assert seen["shell_visible"] is False
    assert seen["status"] == 0
    assert seen["built"] == 1
    assert (tmp_path / "data" / "clinic.sqlite3").exists()
