"""SIGKILL while drafts are saved and encounters signed: nothing half-signed, nothing reported
as saved is lost, the file and the audit chain stay intact."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from clinic_app.app import build_services
from clinic_app.domain.encounter import EncounterStatus
from clinic_app.settings import load_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHILD = Path(__file__).with_name("fault_child.py")
ROUNDS = 4
# The child saves and signs for a random time after it is ready, then is killed.
KILL_AFTER_S = (0.05, 0.6)
SAVED = re.compile(r"SAVED (\d+) (\d+)")
SIGNED = re.compile(r"SIGNED (\d+) ([0-9a-f]{64})")


def run_until_killed(clinic: dict[str, Any], delay: float) -> list[str]:
    """Start the child, let it work for delay seconds, SIGKILL it; the lines it printed."""
    child = subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            str(clinic["data_dir"]),
            "drlee",
            clinic["password"],
            str(clinic["patient_id"]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        assert child.stdout is not None
        ready = child.stdout.readline()
        if ready.strip() != "READY":
            child.wait(timeout=30)
            pytest.fail(f"the child did not start: {ready!r} {child.stderr.read()}")
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        out, _errors = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # Every complete line was printed after its commit returned; a torn last line is not.
    return out.splitlines()


def test_sigkill_while_saving_and_signing_loses_nothing_committed(clinic):
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    db_file = Path(
        load_settings(clinic["data_dir"]).database_url.removeprefix("sqlite+pysqlite:///")
    )
    principal = clinic["principal"]
    saved: dict[int, int] = {}
    signed: dict[int, str] = {}

    for round_no in range(ROUNDS):
        lines = run_until_killed(clinic, rng.uniform(*KILL_AFTER_S))
        for line in lines:
            if m := SAVED.fullmatch(line):
                saved[int(m[1])] = max(saved.get(int(m[1]), 0), int(m[2]))
            elif m := SIGNED.fullmatch(line):
                signed[int(m[1])] = m[2]
        where = f"round {round_no + 1} (seed {seed})"

        # The file itself: SQLite's full check, with the WAL the kill left behind.
        conn = sqlite3.connect(db_file)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], where
        finally:
            conn.close()

        # Reopened as the app does at start-up (quick check, migrations).
        services = build_services(load_settings(clinic["data_dir"]))
        for summary in services.encounters.list_for_patient(principal, clinic["patient_id"]):
            view = services.encounters.get(principal, summary.id)
            enc = view.encounter
            # Either an unsigned draft or signed with a hash that verifies: never half-signed.
            assert view.problems == (), f"{where}: encounter {enc.id}: {view.problems}"
            if enc.status is EncounterStatus.SIGNED:
                assert enc.content_hash is not None
                assert enc.signed_at is not None
            else:
                assert enc.status is EncounterStatus.DRAFT
                assert enc.content_hash is None
            if enc.id in signed:
                assert enc.status is EncounterStatus.SIGNED, where
                assert enc.content_hash == signed[enc.id], where
            if enc.id in saved:
                assert enc.version >= saved[enc.id], f"{where}: encounter {enc.id} lost a save"
        known = {
            s.id for s in services.encounters.list_for_patient(principal, clinic["patient_id"])
        }
        assert set(saved) | set(signed) <= known, where
        report = services.audit.verify()
        assert report.intact, f"{where}: {report.problem}"

    print(f"seed {seed}: {len(saved)} encounters saved, {len(signed)} signed before the kills")
    # The kills really landed among saves and signatures.
    assert len(saved) >= ROUNDS, f"too little work before the kills (seed {seed})"
    assert signed, f"no signature completed before the kills (seed {seed})"
