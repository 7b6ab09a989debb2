"""Encounters on a real database: draft, sign, addenda, read back after a restart."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from clinic_app.domain.account import Role
from clinic_app.domain.encounter import EncounterStatus, hash_payload, signed_payload
from clinic_app.domain.errors import ConflictError, FieldErrors, NotFound, RecordLocked

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def test_create_opens_an_empty_draft(services, clinician, patient, clock):
    enc = services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "  Heel pain "},
    )

    view = services.encounters.get(clinician, enc.id)
    assert view.encounter == enc
    assert enc.status is EncounterStatus.DRAFT
    assert enc.reason == "Heel pain"
    assert (enc.content.notes, enc.content.plan) == ("", "")
    assert enc.clinician_id == clinician.user_id
    assert enc.clinician_name == "Dr. Carmen Cruz"
    assert enc.created_at == clock.now()
    assert enc.content_hash is None
    assert view.intact


def test_create_refuses_bad_input(services, clinician, patient, clock):
    with pytest.raises(FieldErrors) as err:
        services.encounters.create(
            clinician, {"patient_id": patient.id, "encounter_date": clock.today(), "reason": " "}
        )
    assert set(err.value.errors) == {"reason"}

    with pytest.raises(FieldErrors) as err:
        services.encounters.create(
            clinician,
            {
                "patient_id": patient.id,
                "encounter_date": clock.today() + timedelta(days=1),
                "reason": "Follow-up",
            },
        )
    assert set(err.value.errors) == {"encounter_date"}

    with pytest.raises(NotFound):
        services.encounters.create(
            clinician, {"patient_id": 999_999, "encounter_date": clock.today(), "reason": "x"}
        )
    assert services.encounters.list_for_patient(clinician, patient.id) == []


def test_each_draft_save_increments_the_version(services, clinician, patient, clock):
    enc = services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Numb toes"},
    )
    clock.advance(seconds=1)
    first = services.encounters.save_draft(clinician, enc.id, {"notes": "one"}, enc.version)
    clock.advance(seconds=1)
    second = services.encounters.save_draft(
        clinician, enc.id, {"notes": "one two", "plan": "Re-check"}, first.version
    )

    assert [enc.version, first.version, second.version] == [
        enc.version,
        enc.version + 1,
        enc.version + 2,
    ]
    again = services.encounters.get(clinician, enc.id).encounter
    assert (again.content.notes, again.content.plan) == ("one two", "Re-check")
    assert again.version == second.version
    assert again.updated_at == clock.now()
    assert again.created_at == enc.created_at


def test_draft_content_is_validated(services, clinician, draft):
    with pytest.raises(FieldErrors) as err:
        services.encounters.save_draft(clinician, draft.id, {"notes": "x" * 20_001}, draft.version)
    assert set(err.value.errors) == {"notes"}

    with pytest.raises(FieldErrors):
        services.encounters.save_draft(clinician, draft.id, {"diagnosis": "x"}, draft.version)
    assert services.encounters.get(clinician, draft.id).encounter == draft


def test_sign_stores_signer_time_and_hash(services, clinician, draft, clock):
    clock.advance(minutes=5)
    signed = services.encounters.sign(clinician, draft.id, draft.version)

    again = services.encounters.get(clinician, draft.id)
    assert again.encounter == signed
    assert again.intact
    enc = again.encounter
    assert enc.status is EncounterStatus.SIGNED
    assert enc.signed_by_id == clinician.user_id
    assert enc.signed_by_name == "Dr. Carmen Cruz"
    assert enc.signed_at == clock.now()
    assert enc.content_hash is not None
    assert HEX64.fullmatch(enc.content_hash)
    # The stored hash covers exactly what was read back.
    assert enc.content_hash == hash_payload(
        signed_payload(enc, clinician.user_id, "Dr. Carmen Cruz", clock.now())
    )
    # What was signed: the draft, plus the assessment as shown at signing.
    assert enc.content.model_copy(update={"signed_assessment": None}) == draft.content
    assert enc.content.signed_assessment is not None
    assert enc.version == draft.version + 2


def test_signed_content_can_no_longer_change(services, clinician, draft):
    signed = services.encounters.sign(clinician, draft.id, draft.version)

    with pytest.raises(RecordLocked):
        services.encounters.save_draft(clinician, draft.id, {"notes": "later"}, signed.version)
    with pytest.raises(RecordLocked):
        services.encounters.sign(clinician, draft.id, signed.version)
    assert services.encounters.get(clinician, draft.id).encounter == signed


def test_sign_with_a_stale_version_is_a_conflict(services, clinician, draft):
    with pytest.raises(ConflictError):
        services.encounters.sign(clinician, draft.id, draft.version - 1)

    assert services.encounters.get(clinician, draft.id).encounter.status is EncounterStatus.DRAFT


def test_addendum_on_a_draft_is_refused(services, clinician, draft):
    with pytest.raises(RecordLocked):
        services.encounters.add_addendum(clinician, draft.id, "Too early")

    assert services.encounters.get(clinician, draft.id).encounter.addenda == ()


def test_empty_addendum_is_refused(services, clinician, draft):
    signed = services.encounters.sign(clinician, draft.id, draft.version)

    with pytest.raises(FieldErrors) as err:
        services.encounters.add_addendum(clinician, draft.id, "   ")
    assert set(err.value.errors) == {"addendum"}
    assert services.encounters.get(clinician, draft.id).encounter == signed


def test_addenda_are_appended_in_order(services, clinician, make_user, signed, clock):
    colleague = make_user("obi", {Role.CLINICIAN}, "Dr. Obi Okafor")
    clock.advance(hours=2)
    after = services.encounters.add_addendum(colleague, signed.id, "  Seen again: improving.  ")

    addenda = services.encounters.get(clinician, signed.id).encounter.addenda
    assert after.addenda == addenda
    assert [a.text for a in addenda] == [
        "Patient called: symptoms also at rest.",
        "Seen again: improving.",
    ]
    assert [a.author_name for a in addenda] == ["Dr. Carmen Cruz", "Dr. Obi Okafor"]
    assert addenda[1].author_id == colleague.user_id
    assert addenda[1].signed_at == clock.now()
    assert all(HEX64.fullmatch(a.content_hash) for a in addenda)
    # The signed encounter itself is untouched by its addenda.
    assert after.content_hash == signed.content_hash
    assert after.signed_at == signed.signed_at


def test_read_back_after_a_restart_is_identical_and_intact(
    workstations, services, clinician, signed
):
    workstations.close(services)

    restarted = workstations.open()
    view = restarted.encounters.get(clinician, signed.id)

    assert view.encounter == signed
    assert view.encounter.model_dump() == signed.model_dump()
    assert view.intact
    assert view.problems == ()


def test_chart_lists_encounters_newest_first(services, clinician, patient, signed, clock):
    older = services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": date(2024, 1, 5), "reason": "First visit"},
    )

    chart = services.patients.open_chart(clinician, patient.id)
    assert chart.patient == patient
    assert [(e.id, e.status, e.addenda_count) for e in chart.encounters] == [
        (signed.id, EncounterStatus.SIGNED, 1),
        (older.id, EncounterStatus.DRAFT, 0),
    ]
    assert chart.encounters[0].encounter_date == clock.today()
    assert list(chart.encounters) == services.encounters.list_for_patient(clinician, patient.id)


def test_unknown_encounter_is_not_found(services, clinician):
    with pytest.raises(NotFound):
        services.encounters.get(clinician, 424_242)
    with pytest.raises(NotFound):
        services.encounters.save_draft(clinician, 424_242, {"notes": "x"}, 1)
