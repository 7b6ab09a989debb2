"""The drafts offered after log-in are read newest first off an index, not sorted whole."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from clinic_app.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_drafts_offer_reads_the_newest_drafts_off_the_index(raw_engine, clinician, draft):
    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM encounters" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(raw_engine, "before_cursor_execute", capture)
    try:
        with SqlAlchemyUnitOfWorkFactory(raw_engine)() as uow:
            offered = uow.encounters.drafts_for_clinician(clinician.user_id)
    finally:
        event.remove(raw_engine, "before_cursor_execute", capture)
    assert [d.encounter_id for d in offered] == [draft.id]
    assert len(seen) == 1
    statement, parameters = seen[0]
    with raw_engine.connect() as conn:
        plan = " | ".join(
            row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        )

    assert "ix_encounters_clinician_status_updated" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # no sort of every draft the clinician has
