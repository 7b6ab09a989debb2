"""Charts an exam through the real window, key by key, until it is killed (SIGKILL).

Run by test_kill_recovery.py as its own process: argv = data dir, username, password,
encounter id, patient id. Each line `STEP i <path> <value> <monotonic time>` is printed after
the key was handled, so the parent knows what was on screen when it pulled the plug.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from clinic_app.app import build_services
from clinic_app.settings import load_settings
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow

# Yes/no findings charted one per key: "n" picks "no", "y" picks "yes".
STEPS = [
    *(
        (f"red_flags.{flag}.present", Qt.Key.Key_N, "no")
        for flag in (
            "saddle_numbness",
            "bladder_change",
            "bowel_change",
            "sexual_dysfunction",
            "bilateral_leg_symptoms",
            "progressive_weakness",
            "cancer_history",
            "fever_or_systemic",
            "iv_drug_or_immunosuppressed",
            "night_or_rest_pain",
            "unexplained_weight_loss",
            "significant_trauma",
        )
    ),
    *(
        (f"right.tenderness.{spot}", Qt.Key.Key_Y, "yes")
        for spot in ("tarsal_tunnel", "medial_calcaneal_tubercle", "abductor_hallucis_origin")
    ),
    *(
        (f"left.tenderness.{spot}", Qt.Key.Key_N, "no")
        for spot in ("tarsal_tunnel", "medial_calcaneal_tubercle", "abductor_hallucis_origin")
    ),
    ("right.inspection.overpronation", Qt.Key.Key_Y, "yes"),
    ("left.inspection.overpronation", Qt.Key.Key_N, "no"),
    ("lumbar.back_pain", Qt.Key.Key_N, "no"),
    ("lumbar.valsalva_worse", Qt.Key.Key_N, "no"),
    ("history.night_symptoms", Qt.Key.Key_Y, "yes"),
    ("history.first_step_pain", Qt.Key.Key_N, "no"),
    ("history.worse_walking", Qt.Key.Key_Y, "yes"),
    ("history.worse_standing", Qt.Key.Key_Y, "yes"),
]
STEP_PAUSE_MS = 180


def main() -> int:
    data_dir, username, password, encounter_id, patient_id = sys.argv[1:6]
    app = QApplication([])
    services = build_services(load_settings(Path(data_dir)))
    window = MainWindow(services, idle_lock_minutes=10, dialogs=Dialogs())
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowActive(window)
    principal = services.accounts.login(username, password)
    window.login_page.sig_logged_in.emit(principal)
    window.open_chart(int(patient_id))
    window.open_encounter(int(encounter_id))
    pane = window.encounter_pane
    assert pane.form is not None
    print("READY", flush=True)
    for i, (path, key, value) in enumerate(STEPS):
        pane.form.focus_path(path)
        QTest.keyClick(pane.form.control(path), key)
        app.processEvents()
        assert pane.form.control(path).value() == value, path
        print(f"STEP {i} {path} {value} {time.monotonic():.4f}", flush=True)
        QTest.qWait(STEP_PAUSE_MS)
    print("DONE", flush=True)
    QTest.qWait(60_000)  # keep charting-state alive until the parent kills it
    return 0


if __name__ == "__main__":
    sys.exit(main())
