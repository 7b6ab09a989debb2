"""Kill the app (SIGKILL) in the middle of charting: the next start offers the draft with
everything but at most the last second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from clinic_app.app import build_services
from clinic_app.domain.layout import get_path
from clinic_app.settings import load_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHILD = Path(__file__).with_name("charting_child.py")
KILL_AFTER_STEP = 14
# The autosave runs at most 1 s after the first unsaved change. The extra allowance covers
# the save itself and the event loop on a loaded 2-core machine; it is not a second second.
AUTOSAVE_S = 1.0
ALLOWANCE_S = 0.35


def test_sigkill_mid_charting_loses_at_most_the_last_second(qtbot, clinic, logged_in_window):
    data_dir = clinic["data_dir"]
    principal = clinic["principal"]
    services = build_services(load_settings(data_dir))
    enc_id, patient_id = clinic["encounter_id"], clinic["patient_id"]

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            str(data_dir),
            "drlee",
            clinic["password"],
            str(enc_id),
            str(patient_id),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    steps: list[tuple[str, str, float]] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("STEP"):
                _, _i, path, value, stamp = line.split()
                steps.append((path, value, float(stamp)))
                if len(steps) > KILL_AFTER_STEP:
                    child.send_signal(signal.SIGKILL)
                    killed_at = time.monotonic()
                    break
        else:
            child.wait(timeout=30)
            pytest.fail(f"the charting process ended early: {child.stderr.read()}")
    finally:
        child.kill()
        _out, _errors = child.communicate(timeout=30)  # also closes the pipes
    assert child.returncode == -signal.SIGKILL

    stored = services.encounters.get(principal, enc_id).encounter
    exam = stored.content.exam.model_dump(mode="json")
    must_have = [(p, v) for p, v, t in steps if t < killed_at - AUTOSAVE_S - ALLOWANCE_S]
    missing = [(p, v) for p, v in must_have if get_path(exam, p) != v]
    assert len(must_have) >= KILL_AFTER_STEP - 8  # the test really charted for seconds
    assert missing == [], f"lost more than the last second: {missing}"
    kept = [(p, v) for p, v, _t in steps if get_path(exam, p) == v]
    # Anything saved is a prefix of what was charted: no torn or reordered write.
    assert kept == [(p, v) for p, v, _t in steps[: len(kept)]]

    # The next start offers the recovered draft on the start page; Enter opens it.
    window = logged_in_window()
    resume = window.findChild(QPushButton, "resume_draft_button")
    assert resume.isVisible()
    assert "Grace Okafor" in resume.text()
    assert QApplication.focusWidget() is resume
    qtbot.keyClick(resume, Qt.Key.Key_Return)
    pane = window.encounter_pane
    assert window.right.currentWidget() is pane
    assert pane.encounter is not None
    assert pane.encounter.id == enc_id
    for path, value in kept:
        assert pane.form.control(path).value() == value
    window.close()
