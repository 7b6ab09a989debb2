"""PostgreSQL specifics: dropped connections and a server that speaks another time zone."""

from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)], indirect=True
)


def test_work_goes_on_after_the_server_drops_every_connection(
    services, raw_engine, clinician, draft
):
    # What a server restart or a network blip does to the pooled connections.
    with raw_engine.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert dropped >= 1

    saved = services.encounters.save_draft(clinician, draft.id, {"notes": "after"}, draft.version)

    assert saved.version == draft.version + 1
    assert services.encounters.get(clinician, draft.id).encounter.content.notes == "after"


def test_server_time_zone_does_not_change_signatures(
    db_url, workstations, services, raw_engine, clinician, signed
):
    with raw_engine.connect() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
    with raw_engine.begin() as conn:
        conn.execute(text(f"ALTER DATABASE \"{database}\" SET timezone TO 'Pacific/Kiritimati'"))
    workstations.close(services)

    desk = workstations.open()  # new connections pick up the database's zone
    view = desk.encounters.get(clinician, signed.id)

    assert view.intact, view.problems
    assert view.encounter == signed
    assert view.encounter.signed_at.utcoffset().total_seconds() == 14 * 3600
