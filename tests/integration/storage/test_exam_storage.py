"""The structured exam in storage: round trip, old content, copy forward, addenda findings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from clinic_app.domain.encounter import effective_exam
from clinic_app.domain.errors import FieldErrors, SigningBlocked
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.storage.rows import EncounterRow

CHARTED = {
    "right": {
        "tinel": {
            "tarsal_tunnel": {
                "result": "positive",
                "radiates_distal": ["PL-HALLUX", "PL-ARCH-MED"],
                "radiates_proximal_valleix": "yes",
            }
        },
        "sensory": {
            "regions": {
                "PL-ARCH-MED": {"light_touch": "reduced", "two_point_mm": 18},
                "PL-FORE-MED": {"pin_prick": "absent", "symptoms": ["numb", "burning"]},
            }
        },
    },
    "lumbar": {"right": {"slr": {"angle_deg": 80, "symptom": "back_only"}}},
    "red_flags": {"bladder_change": {"present": "no"}},
}


def save_exam(services, clinician, enc, exam, **extra):
    return services.encounters.save_draft(
        clinician, enc.id, {"exam": exam, "notes": "", "plan": "", **extra}, enc.version
    )


def test_charted_exam_reads_back_equal_after_restart(workstations, clinician, draft):
    first = workstations.open()
    saved = save_exam(first, clinician, draft, CHARTED)
    workstations.close(first)

    again = workstations.open()
    read = again.encounters.get(clinician, draft.id).encounter

    assert read.content.exam == NeuroFootExam.model_validate(CHARTED)
    assert read.content.exam == saved.content.exam
    assert read.content.exam.lumbar.right.slr.positive is False  # back only at 80 degrees


def test_version_one_content_signed_before_the_exam_existed_opens_intact(
    services, raw_engine, clinician, draft, clock
):
    # Content as the first release stored it: no exam, schema version 1.
    legacy = {"schema_version": 1, "notes": "Tinel positive.", "plan": "EMG/NCS."}
    with raw_engine.begin() as conn:
        conn.execute(
            update(EncounterRow.__table__)
            .where(EncounterRow.__table__.c.id == draft.id)
            .values(content=legacy)
        )
    current = services.encounters.get(clinician, draft.id).encounter
    clock.advance(minutes=1)
    services.encounters.sign(clinician, draft.id, current.version)

    view = services.encounters.get(clinician, draft.id)

    assert view.intact, view.problems
    assert view.encounter.content.schema_version == 4
    assert view.encounter.content.exam == NeuroFootExam()
    assert view.encounter.content.notes == "Tinel positive."
    # Signing stores the content as this version reads it, with the assessment as signed.
    stored = view.encounter.stored_content
    assert stored is not None
    assert stored["notes"] == legacy["notes"]
    assert stored["signed_assessment"] is not None


def test_copy_forward_offers_the_last_signed_exam_and_signing_waits_for_confirmation(
    services, clinician, patient, draft, clock
):
    save_exam(services, clinician, draft, CHARTED)
    current = services.encounters.get(clinician, draft.id).encounter
    services.encounters.sign(clinician, draft.id, current.version)
    clock.advance(days=14)
    follow_up = services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Review"},
    )

    previous = services.encounters.previous_findings(clinician, follow_up.id)
    assert previous is not None
    assert previous.encounter_id == draft.id
    assert previous.exam == NeuroFootExam.model_validate(CHARTED)

    saved = save_exam(
        services,
        clinician,
        follow_up,
        CHARTED,
        copied_from=previous.encounter_date.isoformat(),
        unconfirmed=["right.tinel.tarsal_tunnel.result"],
    )
    with pytest.raises(SigningBlocked, match="not confirmed") as refused:
        services.encounters.sign(clinician, follow_up.id, saved.version)
    assert refused.value.paths == ("right.tinel.tarsal_tunnel.result",)

    confirmed = save_exam(services, clinician, saved, CHARTED, unconfirmed=[])
    assert services.encounters.sign(clinician, follow_up.id, confirmed.version).is_signed


def test_no_copy_forward_without_an_earlier_signed_exam(services, clinician, draft):
    assert services.encounters.previous_findings(clinician, draft.id) is None


def test_addendum_findings_add_to_a_signed_exam_without_changing_it(
    workstations, clinician, draft, clock
):
    services = workstations.open()
    saved = save_exam(services, clinician, draft, CHARTED)
    services.encounters.sign(clinician, draft.id, saved.version)
    clock.advance(minutes=5)

    amended = services.encounters.add_addendum(
        clinician,
        draft.id,
        "Re-tested after the visit: SLR on the right reproduces pain below the knee at 45.",
        {
            "lumbar.right.slr.angle_deg": 45,
            "lumbar.right.slr.symptom": "below_knee",
            "right.tinel.tarsal_tunnel.result": "positive",  # unchanged: not kept
        },
    )
    workstations.close(services)

    again = workstations.open()
    view = again.encounters.get(clinician, draft.id)
    assert view.intact, view.problems
    enc = view.encounter
    assert enc.content.exam == NeuroFootExam.model_validate(CHARTED)  # signed exam untouched
    assert enc.addenda[0].findings == {
        "lumbar.right.slr.angle_deg": 45,
        "lumbar.right.slr.symptom": "below_knee",
    }
    reads_now, amended_paths = effective_exam(enc)
    assert reads_now.lumbar.right.slr.positive is True
    assert amended_paths == {"lumbar.right.slr.angle_deg": 1, "lumbar.right.slr.symptom": 1}
    assert enc == amended.model_copy(update={"stored_content": enc.stored_content})


def test_addendum_findings_are_validated_at_the_field(services, clinician, draft, clock):
    saved = save_exam(services, clinician, draft, CHARTED)
    services.encounters.sign(clinician, draft.id, saved.version)
    with pytest.raises(FieldErrors) as bad:
        services.encounters.add_addendum(
            clinician, draft.id, "Correction.", {"lumbar.right.slr.angle_deg": 120}
        )
    assert "0 to 90" in bad.value.errors["exam.lumbar.right.slr.angle_deg"]
    with pytest.raises(FieldErrors) as unknown:
        services.encounters.add_addendum(clinician, draft.id, "x", {"right.colour": "blue"})
    assert "exam.right.colour" in unknown.value.errors
    assert services.encounters.get(clinician, draft.id).encounter.addenda == ()


def test_drafts_are_offered_to_their_clinician_newest_first(
    services, clinician, admin, patient, draft, clock
):
    clock.advance(minutes=3)
    later = services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Second"},
    )
    save_exam(services, clinician, later, CHARTED)

    drafts = services.encounters.drafts(clinician)

    assert [d.encounter_id for d in drafts] == [later.id, draft.id]
    assert drafts[0].patient_name == "José Núñez"
    assert drafts[0].updated_at - drafts[1].updated_at >= timedelta(minutes=3)
    signed = services.encounters.get(clinician, later.id).encounter
    services.encounters.sign(clinician, later.id, signed.version)
    assert [d.encounter_id for d in services.encounters.drafts(clinician)] == [draft.id]
