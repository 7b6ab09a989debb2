"""Signed content changed behind the app's back is detected on read and raises an alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from clinic_app.domain.audit import AuditAction
from clinic_app.storage.rows import AddendumRow, EncounterRow


def tamper(engine, table, row_id, **values):
    """Change one row directly with SQL, as someone with the database file could."""
    with engine.begin() as conn:
        result = conn.execute(update(table).where(table.c.id == row_id).values(**values))
        assert result.rowcount == 1


def alerts_for(services, admin, encounter_id):
    """The integrity alerts audited for an encounter, oldest first."""
    return [
        e
        for e in reversed(services.audit.recent(admin))
        if e.action is AuditAction.INTEGRITY_ALERT and e.entity_id == str(encounter_id)
    ]


def test_untouched_signed_encounter_raises_no_alert(services, admin, clinician, signed):
    view = services.encounters.get(clinician, signed.id)

    assert view.intact
    assert alerts_for(services, admin, signed.id) == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            {"content": {"schema_version": 1, "notes": "Tinel negative.", "plan": "EMG/NCS."}},
            id="content",
        ),
        pytest.param({"reason": "Something else entirely"}, id="reason"),
        pytest.param({"signed_by_name": "Dr. Someone Else"}, id="signer"),
        pytest.param({"clinician_name": "Dr. Someone Else"}, id="clinician"),
    ],
)
def test_changed_signed_encounter_is_detected_and_audited(
    services, raw_engine, admin, clinician, signed, change
):
    tamper(raw_engine, EncounterRow.__table__, signed.id, **change)

    view = services.encounters.get(clinician, signed.id)

    assert not view.intact
    assert len(view.problems) >= 1
    assert "signed encounter does not match its content hash" in view.problems[0]
    # What was read is what is stored now, so the person sees the changed text flagged.
    for column, value in change.items():
        stored = (
            view.encounter.stored_content
            if column == "content"
            else getattr(view.encounter, column)
        )
        assert stored == value
    alerts = alerts_for(services, admin, signed.id)
    assert [a.detail for a in alerts] == list(view.problems)
    assert all(a.user_id == clinician.user_id for a in alerts)
    # The alert itself is a proper link of the chain.
    assert services.audit.verify().intact


def test_moved_signature_time_is_detected(services, raw_engine, clinician, signed):
    tamper(
        raw_engine,
        EncounterRow.__table__,
        signed.id,
        signed_at=signed.signed_at - timedelta(days=1),
    )

    assert not services.encounters.get(clinician, signed.id).intact


def test_changed_addendum_is_detected_and_named(services, raw_engine, admin, clinician, signed):
    addendum = signed.addenda[0]
    tamper(raw_engine, AddendumRow.__table__, addendum.id, text="Patient denies symptoms.")

    view = services.encounters.get(clinician, signed.id)

    assert not view.intact
    assert view.problems == (
        f"Addendum #{addendum.id} does not match its content hash: it was changed after signing.",
    )
    assert view.encounter.addenda[0].text == "Patient denies symptoms."
    assert [a.detail for a in alerts_for(services, admin, signed.id)] == list(view.problems)


def test_each_read_of_a_changed_record_is_alerted_again(
    services, raw_engine, admin, clinician, signed
):
    tamper(raw_engine, EncounterRow.__table__, signed.id, reason="Changed")

    services.encounters.get(clinician, signed.id)
    services.encounters.get(clinician, signed.id)

    assert len(alerts_for(services, admin, signed.id)) == 2


def test_changed_draft_is_not_an_integrity_problem(services, raw_engine, clinician, draft):
    tamper(raw_engine, EncounterRow.__table__, draft.id, reason="Edited elsewhere")

    view = services.encounters.get(clinician, draft.id)

    assert view.intact
    assert view.encounter.reason == "Edited elsewhere"
