"""benchmarks/run.py --quick runs end to end and prints every row of its table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Timings are never asserted (the machine is shared and noisy); only that each row is there.
ROWS = (
    "demo fill, 2000 patients",
    "draft save",
    "search 's'",
    "search 'sm'",
    "search 'smi'",
    "search 'smit'",
    "search 'smith'",
    "search, every keystroke above",
    "open chart, 100 encounters",
    "get one signed encounter (hash-checked)",
    "start-up, bare Qt window (reference)",
)


@pytest.mark.slow
@pytest.mark.e2e
def test_quick_benchmark_prints_the_table() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--patients", "2000"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "demo fill: Added 2000 synthetic patients" in out
    header = next(line for line in out.splitlines() if line.startswith("what"))
    assert header.split()[:5] == ["what", "median", "p90", "budget", "ratio"]
    for row in ROWS:
        assert any(line.startswith(row) for line in out.splitlines()), row
    # The app reports its window, or the script says plainly that it could not measure it.
    assert (
        "start-up to main window, empty database" in out
        or "start-up: not measured (app did not report" in out
    )
