"""Time what signatures and the keyed audit chain cost, and print medians.

Usage::

    .venv/bin/python benchmarks/signing_costs.py

With the production Argon2 cost (argon2-cffi's PasswordHasher defaults, which the key wrapping
copies): checking a password, opening a signing key at log-in, making a key; then signing a
fully charted encounter's payload (canonical JSON + Ed25519), verifying it, one audit entry's
HMAC and one checkpoint write. Then the encrypted database: unlocking the database key from an
account's key slot at log-in, and opening the database with it (SQLCipher, raw key: no
passphrase derivation) against a plain open of the same records, first query included.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from argon2 import PasswordHasher

from clinic_app.domain.audit import Checkpoint
from clinic_app.domain.encounter import Encounter, EncounterContent, EncounterStatus, signed_payload
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.services.anchor import ChainAnchor
from clinic_app.services.key_slots import KeySlots, key_from_recovery, new_recovery_key
from clinic_app.services.keys import (
    KdfCost,
    PracticeKey,
    SessionSigner,
    new_practice_secret,
    new_signing_key,
    payload_bytes,
    signature_valid,
    unlock_signing_key,
)

PASSWORD = "heel-and-sole-clinician"
ROWS = 20000


def database_rows() -> list[tuple[str, float]]:
    """Unlocking the key at log-in and opening an encrypted database against a plain one."""
    from sqlalchemy import text

    from clinic_app.storage.db import make_engine, sqlite_url

    folder = Path(tempfile.mkdtemp())
    key = key_from_recovery(new_recovery_key())
    slots = KeySlots(folder)
    slots.set_slot("cruz", PASSWORD, key, KdfCost.like(PasswordHasher()))

    def fill(path: Path, secret: bytes | None) -> None:
        engine = make_engine(sqlite_url(path), key=secret)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
            conn.execute(
                text("INSERT INTO notes (body) VALUES (:b)"),
                [{"b": f"note {i} " + "x" * 400} for i in range(ROWS)],
            )
        engine.dispose()

    fill(folder / "plain.sqlite3", None)
    fill(folder / "sealed.sqlite3", key)

    def open_and_read(name: str, secret: bytes | None) -> Callable[[], object]:
        def run() -> object:
            engine = make_engine(sqlite_url(folder / name), key=secret)
            with engine.connect() as conn:
                found = conn.execute(text("SELECT count(*), max(length(body)) FROM notes")).one()
            engine.dispose()
            return found

        return run

    return [
        ("unlock the database key at log-in", median_ms(lambda: slots.unlock("cruz", PASSWORD), 9)),
        (f"open plain db, read {ROWS} rows", median_ms(open_and_read("plain.sqlite3", None), 15)),
        (
            f"open encrypted db, read {ROWS} rows",
            median_ms(open_and_read("sealed.sqlite3", key), 15),
        ),
    ]


def median_ms(run: Callable[[], object], times: int) -> float:
    """Median wall time of one call, in milliseconds (after one warm-up call)."""
    run()
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    """Print one line per operation."""
    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    new = new_signing_key(PASSWORD, KdfCost.like(hasher))
    signer = SessionSigner(1, new.private)
    now = datetime.now(UTC)
    encounter = Encounter(
        id=1,
        patient_id=1,
        encounter_date=date.today(),
        clinician_id=1,
        clinician_name="Dr Cruz",
        reason="Burning sole pain",
        status=EncounterStatus.DRAFT,
        content=EncounterContent(exam=NeuroFootExam(), notes="x" * 2000, plan="y" * 500),
        version=1,
        created_at=now,
        updated_at=now,
    )
    payload = signed_payload(encounter, 1, "Dr Cruz", now)
    signature = signer.sign(payload_bytes(payload)).hex()
    key = PracticeKey(new_practice_secret())
    anchor = ChainAnchor(Path(tempfile.mkdtemp()), key)
    seq = iter(range(1, 10**9))
    rows = [
        ("check a password (argon2id)", median_ms(lambda: hasher.verify(stored, PASSWORD), 15)),
        (
            "open a signing key at log-in",
            median_ms(lambda: unlock_signing_key(new.wrapped_private, PASSWORD), 15),
        ),
        (
            "make and wrap a signing key",
            median_ms(lambda: new_signing_key(PASSWORD, KdfCost.like(hasher)), 10),
        ),
        ("sign an encounter payload", median_ms(lambda: signer.sign(payload_bytes(payload)), 500)),
        (
            "verify an encounter signature",
            median_ms(
                lambda: signature_valid(new.public_key, payload_bytes(payload), signature), 500
            ),
        ),
        ("HMAC one audit entry", median_ms(lambda: key.mac("x" * 300), 2000)),
        (
            "write the audit checkpoint",
            median_ms(
                lambda: anchor.advance(
                    Checkpoint(seq=next(seq), entry_hash="ab" * 32, keyed_from=1)
                ),
                500,
            ),
        ),
    ]
    rows.extend(database_rows())
    print(f"payload: {len(payload_bytes(payload))} bytes")
    for name, ms in rows:
        print(f"{name:<38} {ms:9.3f} ms")


if __name__ == "__main__":
    main()
