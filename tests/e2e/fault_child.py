"""Saves drafts and signs encounters in a tight loop through the real services until killed.

Run by test_fault_kill.py as its own process: argv = data dir, username, password, patient id.
Each line is printed only after the commit it reports has returned:
`SAVED <encounter id> <version>` after a draft save, `SIGNED <encounter id> <hash>` after a
signature. The parent kills the process (SIGKILL) at a random moment and checks that every
reported commit survived and nothing was left half-written.
"""

from __future__ import annotations

import sys
from itertools import count
from pathlib import Path

from clinic_app.app import build_services
from clinic_app.settings import load_settings

SAVES_PER_ENCOUNTER = 3


def main() -> int:
    data_dir, username, password, patient_id = sys.argv[1:5]
    services = build_services(load_settings(Path(data_dir)))
    principal = services.accounts.login(username, password)
    encounters = services.encounters
    print("READY", flush=True)
    for n in count(1):
        enc = encounters.create(
            principal,
            {
                "patient_id": int(patient_id),
                "encounter_date": services.clock.today(),
                "reason": f"Follow-up {n}",
            },
        )
        version = enc.version
        for i in range(SAVES_PER_ENCOUNTER):
            saved = encounters.save_draft(
                principal,
                enc.id,
                {"notes": f"Visit {n}, note {i}: " + "numb sole, burning at night. " * 20},
                version,
            )
            version = saved.version
            print(f"SAVED {enc.id} {version}", flush=True)
        signed = encounters.sign(principal, enc.id, version)
        print(f"SIGNED {enc.id} {signed.content_hash}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
