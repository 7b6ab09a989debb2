"""Role checks live in the services: the front desk and a non-clinician admin see no notes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clinic_app.domain.account import ROLE_PERMISSIONS, Permission, Principal, Role
from clinic_app.domain.encounter import Encounter
from clinic_app.domain.errors import PermissionDenied
from clinic_app.domain.patient import Patient
from clinic_app.services.audit_trail import AuditTrailService
from clinic_app.services.encounters import EncounterService
from clinic_app.services.patients import PatientService
from unit.fakes import PATIENT_ANA, FakeDatabase

ClinicalCall = Callable[[EncounterService, Principal, Encounter], object]

# Every encounter use case that shows or changes clinical content.
CLINICAL_CALLS: dict[str, ClinicalCall] = {
    "create": lambda svc, who, enc: svc.create(
        who, {"patient_id": enc.patient_id, "encounter_date": "2026-03-14", "reason": "x"}
    ),
    "get": lambda svc, who, enc: svc.get(who, enc.id),
    "save_draft": lambda svc, who, enc: svc.save_draft(who, enc.id, {"notes": "x"}, enc.version),
    "sign": lambda svc, who, enc: svc.sign(who, enc.id, enc.version),
    "add_addendum": lambda svc, who, enc: svc.add_addendum(who, enc.id, "x"),
}


@pytest.fixture
def signed_and_draft(
    encounters: EncounterService, clinician: Principal, ana: Patient
) -> tuple[Encounter, Encounter]:
    """One signed encounter and one draft for Ana."""
    raw = {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Heel pain"}
    first = encounters.create(clinician, raw)
    signed = encounters.sign(clinician, first.id, first.version)
    draft = encounters.create(clinician, raw)
    return signed, draft


@pytest.mark.parametrize("call", sorted(CLINICAL_CALLS))
@pytest.mark.parametrize("who", ["front_desk", "admin"])
def test_non_clinicians_cannot_touch_clinical_content(
    request: pytest.FixtureRequest,
    encounters: EncounterService,
    db: FakeDatabase,
    signed_and_draft: tuple[Encounter, Encounter],
    call: str,
    who: str,
) -> None:
    actor: Principal = request.getfixturevalue(who)
    signed, draft = signed_and_draft
    target = draft if call in {"save_draft", "sign"} else signed
    before = (db.commits, len(db.committed.audit))
    with pytest.raises(PermissionDenied) as caught:
        CLINICAL_CALLS[call](encounters, actor, target)
    assert actor.display_name in str(caught.value)
    # Refused before anything was read, audited or written.
    assert (db.commits, len(db.committed.audit)) == before


@pytest.mark.parametrize("call", sorted(CLINICAL_CALLS))
def test_admin_who_is_also_a_clinician_may_chart(
    encounters: EncounterService,
    admin_clinician: Principal,
    signed_and_draft: tuple[Encounter, Encounter],
    call: str,
) -> None:
    signed, draft = signed_and_draft
    target = draft if call in {"save_draft", "sign"} else signed
    CLINICAL_CALLS[call](encounters, admin_clinician, target)


def test_front_desk_sees_the_visit_list_without_content(
    encounters: EncounterService,
    patients: PatientService,
    front_desk: Principal,
    signed_and_draft: tuple[Encounter, Encounter],
) -> None:
    signed, _ = signed_and_draft
    listed = encounters.list_for_patient(front_desk, signed.patient_id)
    assert {e.id for e in listed} == {e.id for e in signed_and_draft}
    for line in listed:
        assert not hasattr(line, "content")
    chart = patients.open_chart(front_desk, signed.patient_id)
    assert len(chart.encounters) == 2


def test_front_desk_registers_and_finds_patients(
    patients: PatientService, front_desk: Principal
) -> None:
    # Diabetes status is the clinician's to record (see test_patient_clinical_facts.py).
    demographics = {k: v for k, v in PATIENT_ANA.items() if k != "diabetes"}
    patient = patients.register(front_desk, demographics)
    assert patients.search(front_desk, "nunez") == [patient]
    assert patients.get(front_desk, patient.id) == patient


def test_admin_without_clinician_role_cannot_register_patients(
    patients: PatientService, admin: Principal, db: FakeDatabase
) -> None:
    with pytest.raises(PermissionDenied, match="register or edit patients"):
        patients.register(admin, PATIENT_ANA)
    assert db.commits == 0


@pytest.mark.parametrize("who", ["clinician", "front_desk"])
def test_only_admins_read_the_audit_trail(
    request: pytest.FixtureRequest, audit_trail: AuditTrailService, who: str
) -> None:
    with pytest.raises(PermissionDenied, match="audit trail"):
        audit_trail.recent(request.getfixturevalue(who))


def test_admin_reads_the_audit_trail_newest_first(
    audit_trail: AuditTrailService,
    patients: PatientService,
    admin: Principal,
    front_desk: Principal,
    ana: Patient,
) -> None:
    patients.open_chart(front_desk, ana.id)
    entries = audit_trail.recent(admin)
    assert [e.seq for e in entries] == [2, 1]
    assert entries[0].username == front_desk.username
    assert audit_trail.verify().intact


def test_no_role_but_clinician_reads_clinical_content() -> None:
    readers = {
        role for role, perms in ROLE_PERMISSIONS.items() if Permission.CLINICAL_READ in perms
    }
    assert readers == {Role.CLINICIAN}


def test_every_permission_has_words_for_its_refusal() -> None:
    from clinic_app.domain.account import Permission
    from clinic_app.services.common import PERMISSION_WORDS

    assert set(PERMISSION_WORDS) == set(Permission)
