"""One working session in a fresh process, for benchmarks/run.py: prints one JSON line.

Opens the main window on a database, logs in, waits as a person would after log-in, prints
the visit notes of three signed encounters (timed: the first print of the session, then the
next ones), then opens charts and an encounter in each (timed), and reads the process's resident
memory at the end. Run as:

    python benchmarks/session_child.py DATA_DIR USER PASSWORD [--opens 100] [--no-warm-up]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget

from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.source_cache import keep_module_sources_out_of_memory

AFTER_LOGIN_S = 3.0
"""How long the person reads the start page before the first print."""
BETWEEN_PRINTS_S = 2.0
"""The pause before each later print."""


class Quiet(Dialogs):
    """Answers yes, shows nothing."""

    def confirm(self, parent: QWidget | None, title: str, text: str, *a: Any, **k: Any) -> bool:
        return True

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        return None

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        return None


def rss_mb() -> float:
    """This process's resident memory (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait(app: QApplication, seconds: float) -> None:
    """Let the event loop run, as an idle window would."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--opens", type=int, default=100)
    parser.add_argument("--no-warm-up", action="store_true")
    args = parser.parse_args()
    keep_module_sources_out_of_memory()  # as the app does before it loads the rest
    from clinic_app.app import build_services
    from clinic_app.domain.print_queue import PrintAction
    from clinic_app.settings import load_settings
    from clinic_app.ui import main_window

    if args.no_warm_up:
        main_window.start_warm_up = lambda then=None: None  # type: ignore[attr-defined]
    app = QApplication(sys.argv[:1])
    services = build_services(load_settings(args.data_dir))
    db = sqlite3.connect(f"file:{args.data_dir / 'clinic.sqlite3'}?mode=ro", uri=True)
    pairs = db.execute(
        "SELECT patient_id, max(id) FROM encounters WHERE status = 'signed' "
        "GROUP BY patient_id ORDER BY patient_id LIMIT ?",
        (max(args.opens, 3),),  # three visits are printed
    ).fetchall()
    db.close()
    window = main_window.MainWindow(services, idle_lock_minutes=600, dialogs=Quiet())
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    principal = services.accounts.login(args.user, args.password)
    window.login_page.sig_logged_in.emit(principal)
    wait(app, AFTER_LOGIN_S)

    from clinic_app.ui.printing import paint_pdf
    from clinic_app.ui.views.printouts import visit_note_pdf

    prints: list[float] = []
    phases: list[list[float]] = []
    with tempfile.TemporaryDirectory() as folder:
        # Three different signed visits: a later print is of another record too, so "next"
        # does not gain from the first having read that very record. Each print starts from
        # a pause, as prints at the desk do; back to back, a print finds the one before it
        # still in the processor's caches (about 15% quicker), which is not a first-use cost.
        for n in range(3):
            if n:
                wait(app, BETWEEN_PRINTS_S)
            start = time.perf_counter()
            data = services.encounters.visit_note(principal, pairs[n][1], PrintAction.PRINT)
            t1 = time.perf_counter()
            pdf = visit_note_pdf(services, data)
            t2 = time.perf_counter()
            printer = QPrinter()
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(Path(folder) / f"print{n}.pdf"))
            t3 = time.perf_counter()
            paint_pdf(printer, pdf)
            end = time.perf_counter()
            prints.append(end - start)
            phases.append([t1 - start, t2 - t1, t3 - t2, end - t3])

    charts: list[float] = []
    encounters: list[float] = []
    for patient_id, encounter_id in pairs[: args.opens]:
        start = time.perf_counter()
        window.open_chart(patient_id)
        app.processEvents()
        middle = time.perf_counter()
        window.open_encounter(encounter_id)
        app.processEvents()
        charts.append(middle - start)
        encounters.append(time.perf_counter() - middle)
    wait(app, 0.5)
    result = {
        "opened": len(pairs[: args.opens]),
        "first_print": prints[0],
        "next_print": statistics.median(prints[1:]),
        "chart_first": charts[0],
        "chart_later": statistics.median(charts[1:]),
        "encounter_first": encounters[0],
        "encounter_later": statistics.median(encounters[1:]),
        "rss_mb": rss_mb(),
        "print_phases": phases,
    }
    print(json.dumps(result), flush=True)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
