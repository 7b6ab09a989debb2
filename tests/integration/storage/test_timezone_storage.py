"""Timestamps keep their instant on both databases, whatever zone the clock reports in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from clinic_app.domain.audit import AuditAction


class ZonedClock:
    """A clock that answers in a fixed zone other than UTC."""

    def __init__(self, hours: int) -> None:
        self.moment = datetime(
            2025, 3, 14, 23, 30, 0, 250_000, tzinfo=timezone(timedelta(hours=hours))
        )

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()


@pytest.mark.parametrize("hours", [2, -7])
def test_signed_in_another_zone_reads_back_intact(workstations, admin, clinician, patient, hours):
    clock = ZonedClock(hours)
    desk = workstations.open(clock=clock)
    enc = desk.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Heel pain"},
    )
    desk.encounters.sign(clinician, enc.id, enc.version)
    desk.encounters.add_addendum(clinician, enc.id, "Seen again.")

    view = workstations.open().encounters.get(clinician, enc.id)

    assert view.intact, view.problems
    assert view.encounter.signed_at == clock.moment
    assert view.encounter.signed_at.astimezone(UTC) == clock.moment.astimezone(UTC)
    assert view.encounter.addenda[0].signed_at == clock.moment
    assert view.encounter.created_at == clock.moment
    signs = [e for e in desk.audit.recent(admin) if e.action is AuditAction.SIGN]
    assert [e.at for e in signs] == [clock.moment]
    assert desk.audit.verify().intact
