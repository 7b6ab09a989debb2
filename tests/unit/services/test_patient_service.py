"""PatientService over fakes: register, validate, duplicates, MRNs, search, edit, chart."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clinic_app.domain.account import Principal
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import ConflictError, FieldErrors, NotFound
from clinic_app.domain.patient import Language, Patient, PatientData, Sex, TriState
from clinic_app.services import patients as patients_module
from clinic_app.services.encounters import EncounterService
from clinic_app.services.patients import (
    MRN_ALPHABET,
    MRN_LENGTH,
    LikelyDuplicate,
    PatientService,
)
from unit.fakes import PATIENT_ANA, FakeDatabase, audit_actions


def person(family: str, given: str, dob: str = "1970-01-01", **more: Any) -> dict[str, Any]:
    """Registration input for a patient."""
    return {"family_name": family, "given_name": given, "date_of_birth": dob, **more}


def test_register_stores_normalised_values(
    patients: PatientService, clinician: Principal, db: FakeDatabase
) -> None:
    patient = patients.register(clinician, {**PATIENT_ANA, "family_name": "  Núñez "})
    assert patient.family_name == "Núñez"
    assert patient.date_of_birth == date(1968, 4, 30)
    assert patient.sex is Sex.FEMALE
    assert patient.preferred_language is Language.SPANISH
    assert patient.diabetes is TriState.YES
    assert patient.version == 1
    assert db.committed.patients == {patient.id: patient}
    assert audit_actions(db) == [AuditAction.CREATE]
    assert db.committed.audit[0].entity_id == str(patient.id)


def test_register_defaults_blank_answers_to_unknown(
    patients: PatientService, clinician: Principal
) -> None:
    patient = patients.register(clinician, person("Lee", "Kim"))
    assert patient.sex is Sex.UNKNOWN
    assert patient.diabetes is TriState.UNKNOWN
    assert patient.preferred_language is Language.ENGLISH
    assert patient.phone is None


def test_validate_returns_data_without_writing(patients: PatientService, db: FakeDatabase) -> None:
    data = patients.validate(PATIENT_ANA)
    assert isinstance(data, PatientData)
    assert db.opened == 0


def test_validate_names_every_bad_field(patients: PatientService) -> None:
    with pytest.raises(FieldErrors) as caught:
        patients.validate({"family_name": "", "given_name": "Ana", "date_of_birth": "2099-01-01"})
    assert set(caught.value.errors) == {"family_name", "date_of_birth"}
    assert caught.value.errors["date_of_birth"] == "The date of birth is in the future."


def test_validate_uses_the_service_clock(patients: PatientService, clock: Any) -> None:
    tomorrow = date(2026, 3, 15)
    with pytest.raises(FieldErrors):
        patients.validate(person("Lee", "Kim", tomorrow.isoformat()))
    clock.advance(days=1)
    assert patients.validate(person("Lee", "Kim", tomorrow.isoformat())).date_of_birth == tomorrow


def test_unknown_field_is_refused(patients: PatientService) -> None:
    with pytest.raises(FieldErrors) as caught:
        patients.validate({**PATIENT_ANA, "ssn": "123"})
    assert set(caught.value.errors) == {"ssn"}


def test_generated_mrn_uses_the_unambiguous_alphabet(
    patients: PatientService, clinician: Principal
) -> None:
    for n in range(40):
        mrn = patients.register(clinician, person("Lee", f"Kim{'a' * n}")).mrn
        assert len(mrn) == MRN_LENGTH
        assert set(mrn) <= set(MRN_ALPHABET)
    assert not set("01IO") & set(MRN_ALPHABET)


def test_generated_mrns_are_unique(
    patients: PatientService, clinician: Principal, db: FakeDatabase
) -> None:
    mrns = [
        patients.register(clinician, person("Lee", "Kim"), allow_duplicate=True).mrn
        for _ in range(200)
    ]
    assert len(set(mrns)) == len(mrns) == len(db.committed.patients)


def test_generated_mrn_skips_a_taken_one(
    patients: PatientService, clinician: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    patients.register(clinician, person("Lee", "Kim", mrn="AAAAAAAA"))
    picks = iter("A" * MRN_LENGTH + "B" * MRN_LENGTH)
    monkeypatch.setattr(patients_module.secrets, "choice", lambda _alphabet: next(picks))
    assert patients.register(clinician, person("Roe", "Jo")).mrn == "B" * MRN_LENGTH


def test_typed_mrn_is_upper_cased(patients: PatientService, clinician: Principal) -> None:
    assert patients.register(clinician, person("Lee", "Kim", mrn=" ab-12 ")).mrn == "AB-12"


def test_taken_mrn_is_refused_and_nothing_written(
    patients: PatientService, clinician: Principal, db: FakeDatabase, ana: Patient
) -> None:
    before = db.commits
    with pytest.raises(FieldErrors) as caught:
        patients.register(clinician, person("Lee", "Kim", mrn=ana.mrn.lower()))
    assert caught.value.errors == {"mrn": f"MRN {ana.mrn} is already used by another patient."}
    assert db.commits == before
    assert len(db.committed.patients) == 1


def test_likely_duplicate_is_caught_across_accents_and_case(
    patients: PatientService, clinician: Principal, db: FakeDatabase, ana: Patient
) -> None:
    with pytest.raises(LikelyDuplicate) as caught:
        patients.register(clinician, {**PATIENT_ANA, "family_name": "NUNEZ", "given_name": "ana"})
    assert caught.value.matches == (ana,)
    assert ana.mrn in str(caught.value)
    assert len(db.committed.patients) == 1


def test_same_name_other_birthday_is_not_a_duplicate(
    patients: PatientService, clinician: Principal, ana: Patient
) -> None:
    other = patients.register(clinician, {**PATIENT_ANA, "date_of_birth": "1969-04-30"})
    assert other.id != ana.id


def test_duplicate_can_be_registered_on_purpose(
    patients: PatientService, clinician: Principal, db: FakeDatabase, ana: Patient
) -> None:
    twin = patients.register(clinician, PATIENT_ANA, allow_duplicate=True)
    assert twin.id != ana.id
    assert twin.mrn != ana.mrn
    assert len(db.committed.patients) == 2


@pytest.mark.parametrize("text", ["", " ", "\t\n", "  \u3000 "])
def test_search_with_empty_text_finds_nothing_without_a_query(
    patients: PatientService, clinician: Principal, db: FakeDatabase, ana: Patient, text: str
) -> None:
    opened = db.opened
    assert patients.search(clinician, text) == []
    assert db.opened == opened


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nun", {"Núñez", "Nunn"}),
        ("NÚÑEZ", {"Núñez"}),
        ("nunez ana", {"Núñez"}),
        ("ana nu", {"Núñez"}),
        ("bob", {"Nunn"}),
        ("nunez bob", set()),
        ("1968-04-30", {"Núñez"}),
        ("30/04/1968", {"Núñez"}),
        ("nun 1968-04-30", {"Núñez"}),
    ],
)
def test_search_finds_by_name_and_date_of_birth(
    patients: PatientService, clinician: Principal, ana: Patient, text: str, expected: set[str]
) -> None:
    patients.register(clinician, person("Nunn", "Bob"))
    assert {p.family_name for p in patients.search(clinician, text)} == expected


def test_search_finds_by_mrn_prefix(
    patients: PatientService, clinician: Principal, ana: Patient
) -> None:
    assert patients.search(clinician, ana.mrn[:4].lower()) == [ana]


def test_search_respects_the_limit(patients: PatientService, clinician: Principal) -> None:
    for n in range(5):
        patients.register(clinician, person("Lee", f"Kim{'x' * n}"))
    assert len(patients.search(clinician, "lee", limit=3)) == 3


def test_update_changes_details_and_version(
    patients: PatientService, clinician: Principal, db: FakeDatabase, ana: Patient
) -> None:
    updated = patients.update(clinician, ana.id, {**PATIENT_ANA, "phone": "555 010 9999"}, 1)
    assert updated.phone == "555 010 9999"
    assert updated.version == 2
    assert updated.mrn == ana.mrn
    assert audit_actions(db)[-1] is AuditAction.UPDATE


def test_update_with_a_stale_version_is_a_conflict(
    patients: PatientService, clinician: Principal, db: FakeDatabase, ana: Patient
) -> None:
    patients.update(clinician, ana.id, {**PATIENT_ANA, "phone": "555 010 9999"}, 1)
    before = db.commits
    with pytest.raises(ConflictError):
        patients.update(clinician, ana.id, {**PATIENT_ANA, "phone": "555 010 1111"}, 1)
    assert db.commits == before
    assert db.committed.patients[ana.id].phone == "555 010 9999"


def test_update_to_a_taken_mrn_is_refused(
    patients: PatientService, clinician: Principal, ana: Patient
) -> None:
    other = patients.register(clinician, person("Lee", "Kim"))
    with pytest.raises(FieldErrors) as caught:
        patients.update(clinician, other.id, person("Lee", "Kim", mrn=ana.mrn), other.version)
    assert set(caught.value.errors) == {"mrn"}
    # Keeping one's own MRN is fine.
    kept = patients.update(clinician, ana.id, {**PATIENT_ANA, "mrn": ana.mrn}, ana.version)
    assert kept.mrn == ana.mrn


def test_update_of_a_missing_patient(patients: PatientService, clinician: Principal) -> None:
    with pytest.raises(NotFound):
        patients.update(clinician, 404, PATIENT_ANA, 1)


def test_get_and_missing(patients: PatientService, clinician: Principal, ana: Patient) -> None:
    assert patients.get(clinician, ana.id) == ana
    with pytest.raises(NotFound, match="#404"):
        patients.get(clinician, 404)


def test_open_chart_lists_visits_and_is_audited(
    patients: PatientService,
    encounters: EncounterService,
    clinician: Principal,
    front_desk: Principal,
    db: FakeDatabase,
    ana: Patient,
) -> None:
    older = encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-01-05", "reason": "Heel pain"}
    )
    newer = encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-03-01", "reason": "Follow-up"}
    )
    chart = patients.open_chart(front_desk, ana.id)
    assert chart.patient == ana
    assert [e.id for e in chart.encounters] == [newer.id, older.id]
    last = db.committed.audit[-1]
    assert (last.action, last.entity_id, last.username) == (
        AuditAction.VIEW_CHART,
        str(ana.id),
        front_desk.username,
    )


def test_open_chart_of_a_missing_patient(
    patients: PatientService, clinician: Principal, db: FakeDatabase
) -> None:
    with pytest.raises(NotFound):
        patients.open_chart(clinician, 404)
    assert db.committed.audit == []
