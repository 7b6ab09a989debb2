"""Optimistic locking: two workstations saving the same draft; the second one is told."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import ConflictError

THREAD_TIMEOUT_S = 30


def edits_of(services, admin, encounter_id):
    """The audited draft saves of an encounter."""
    return [
        e
        for e in services.audit.recent(admin)
        if e.action is AuditAction.EDIT_DRAFT and e.entity_id == str(encounter_id)
    ]


def test_second_workstation_with_a_stale_version_gets_a_conflict(
    workstations, services, admin, clinician, draft
):
    desk_a = services
    desk_b = workstations.open()
    opened_a = desk_a.encounters.get(clinician, draft.id).encounter
    opened_b = desk_b.encounters.get(clinician, draft.id).encounter
    assert opened_a.version == opened_b.version == draft.version
    edits_before = len(edits_of(services, admin, draft.id))

    saved_a = desk_a.encounters.save_draft(
        clinician, draft.id, {"notes": "From room A"}, opened_a.version
    )
    with pytest.raises(ConflictError, match="saved elsewhere"):
        desk_b.encounters.save_draft(
            clinician, draft.id, {"notes": "From room B"}, opened_b.version
        )

    for desk in (desk_a, desk_b):
        now = desk.encounters.get(clinician, draft.id).encounter
        assert now == saved_a
        assert now.content.notes == "From room A"
        assert now.version == draft.version + 1
    assert len(edits_of(services, admin, draft.id)) == edits_before + 1
    assert services.audit.verify().intact


def test_stale_workstation_can_save_after_reloading(workstations, services, clinician, draft):
    desk_b = workstations.open()
    stale = desk_b.encounters.get(clinician, draft.id).encounter
    services.encounters.save_draft(clinician, draft.id, {"notes": "From room A"}, draft.version)
    with pytest.raises(ConflictError):
        desk_b.encounters.save_draft(clinician, draft.id, {"notes": "From room B"}, stale.version)

    fresh = desk_b.encounters.get(clinician, draft.id).encounter
    merged = desk_b.encounters.save_draft(
        clinician, draft.id, {"notes": "From room A. From room B"}, fresh.version
    )

    assert services.encounters.get(clinician, draft.id).encounter == merged


def test_signing_a_draft_changed_elsewhere_is_a_conflict(workstations, services, clinician, draft):
    desk_b = workstations.open()
    services.encounters.save_draft(clinician, draft.id, {"notes": "Last word"}, draft.version)

    with pytest.raises(ConflictError):
        desk_b.encounters.sign(clinician, draft.id, draft.version)

    assert not services.encounters.get(clinician, draft.id).encounter.is_signed


def test_stale_patient_edit_from_another_workstation_is_a_conflict(
    workstations, services, clinician, front_desk, patient
):
    desk_b = workstations.open()
    base = {"given_name": patient.given_name, "date_of_birth": patient.date_of_birth}
    services.patients.update(
        front_desk, patient.id, {**base, "family_name": "Nunez"}, patient.version
    )

    with pytest.raises(ConflictError):
        desk_b.patients.update(
            front_desk, patient.id, {**base, "family_name": "Núñez Ruiz"}, patient.version
        )
    assert desk_b.patients.get(front_desk, patient.id).family_name == "Nunez"


def test_simultaneous_saves_one_wins_one_conflicts(workstations, services, admin, clinician, draft):
    desks = [workstations.open(), workstations.open()]
    start = threading.Barrier(len(desks), timeout=THREAD_TIMEOUT_S)
    edits_before = len(edits_of(services, admin, draft.id))

    def save(n):
        desk = desks[n]
        version = desk.encounters.get(clinician, draft.id).encounter.version
        start.wait()  # both hold the same version before either writes
        try:
            return desk.encounters.save_draft(
                clinician, draft.id, {"notes": f"From room {n}"}, version
            )
        except ConflictError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(desks)) as pool:
        outcomes = [
            f.result(timeout=THREAD_TIMEOUT_S) for f in [pool.submit(save, 0), pool.submit(save, 1)]
        ]

    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    saved = [o for o in outcomes if not isinstance(o, ConflictError)]
    assert len(conflicts) == 1
    assert len(saved) == 1
    now = services.encounters.get(clinician, draft.id).encounter
    assert now == saved[0]
    assert now.version == draft.version + 1
    assert len(edits_of(services, admin, draft.id)) == edits_before + 1
    assert services.audit.verify().intact
