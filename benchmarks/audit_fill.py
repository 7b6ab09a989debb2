"""Grow a data folder's audit trail to a given number of entries, chained as the app chains.

Used by benchmarks/run.py to time `audit verify` on a large trail and read its peak memory.
The entries are views of a chart, appended with one Core executemany per batch; every hash is
computed as the app computes it (keyed with the folder's practice key from where the chain is
keyed), so `clinic-app audit verify` on the folder must report the trail intact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, update

from clinic_app.domain.audit import AuditAction, AuditEvent, chain_hash
from clinic_app.services.keys import PracticeKey, read_practice_key
from clinic_app.storage.db import make_engine, sqlite_url
from clinic_app.storage.rows import AuditHeadRow, AuditRow

BATCH = 20_000


def grow_audit_trail(data_dir: Path, entries: int) -> int:
    """Append chart views until the trail holds entries entries; returns how many it holds."""
    key = PracticeKey(read_practice_key(data_dir))
    engine = make_engine(sqlite_url(data_dir / "clinic.sqlite3"))
    try:
        with engine.begin() as conn:
            head = conn.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1)).one()
            seq, prev, keyed_from = head.seq, head.entry_hash, head.keyed_from
            if keyed_from is None:
                keyed_from = seq + 1
                conn.execute(
                    update(AuditHeadRow)
                    .where(AuditHeadRow.id == 1)
                    .values(keyed_from=keyed_from, key_check=key.check_value())
                )
            start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
            rows: list[dict[str, object]] = []
            while seq < entries:
                seq += 1
                event = AuditEvent(
                    at=start + timedelta(seconds=seq),
                    user_id=2,
                    username="dr.demo",
                    action=AuditAction.VIEW_CHART,
                    entity_type="patient",
                    entity_id=str(seq % 100_000 + 1),
                )
                digest = chain_hash(seq, prev, event, key.mac if seq >= keyed_from else None)
                rows.append(
                    {
                        **event.model_dump(),
                        "action": event.action.value,
                        "seq": seq,
                        "entry_hash": digest,
                    }
                )
                prev = digest
                if len(rows) == BATCH or seq == entries:
                    conn.execute(insert(AuditRow), rows)
                    rows = []
            conn.execute(
                update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=seq, entry_hash=prev)
            )
        return int(seq)
    finally:
        engine.dispose()


if __name__ == "__main__":
    import sys

    print(grow_audit_trail(Path(sys.argv[1]), int(sys.argv[2])))
