"""The assessment in the encounter use cases: red-flag acknowledgement, the R11 gate, holds."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_app.domain.account import Principal
from clinic_app.domain.assessment.record import Choice, ReleasePlan
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import Encounter
from clinic_app.domain.errors import ClinicError, PermissionDenied, RecordLocked, SigningBlocked
from clinic_app.domain.exam import Side
from clinic_app.domain.patient import Patient
from clinic_app.services.encounters import EncounterService
from unit.fakes import FakeDatabase, FixedClock, audit_actions

MYOTOMES = (
    "knee_extension",
    "ankle_dorsiflexion",
    "ehl",
    "hip_abduction",
    "inversion",
    "eversion",
    "plantarflexion",
)


def normal_leg() -> dict[str, Any]:
    """One leg of the lumbar screen charted normal."""
    return {
        "leg_pain_below_knee": "no",
        "slr": {"symptom": "none"},
        "crossed_slr": "negative",
        "slump": {"result": "negative"},
        "patellar": {"grade": "2+"},
        "achilles": {"grade": "2+"},
        "myotomes": {
            **dict.fromkeys(MYOTOMES, "5"),
            "heel_walk": "able",
            "toe_walk": "able",
        },
    }


def normal_lumbar() -> dict[str, Any]:
    """The whole lumbar screen charted normal."""
    return {"back_pain": "no", "right": normal_leg(), "left": normal_leg()}


@pytest.fixture
def labelled(db: FakeDatabase, clock: FixedClock) -> EncounterService:
    """Encounter use cases that print labels the way the layout would."""
    return EncounterService(db, clock, lambda path: f"<{path}>")


@pytest.fixture
def draft(labelled: EncounterService, clinician: Principal, ana: Patient) -> Encounter:
    """A fresh draft for Ana (type 2 diabetes on file, born 1968)."""
    return labelled.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Numb sole"}
    )


def save(service: EncounterService, actor: Principal, enc: Encounter, **content: Any) -> Encounter:
    """Save draft content over the current version."""
    return service.save_draft(actor, enc.id, content, enc.version)


SADDLE = {"red_flags": {"saddle_numbness": {"present": "yes", "onset": "2026-03-10"}}}


def test_patient_facts_give_diabetes_and_age_on_the_visit_date(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    facts = labelled.patient_facts(clinician, draft.id)
    assert facts.diabetes is True
    assert facts.age == 57


def test_acknowledging_red_flags_is_stored_and_audited(
    labelled: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    saved = save(labelled, clinician, draft, exam=SADDLE)
    assert labelled.assessment(clinician, draft.id).urgent_acknowledged is False
    acked = labelled.acknowledge_red_flags(clinician, draft.id, saved.version)
    record = acked.content.assessment.red_flags_acknowledged
    assert record is not None
    assert record.flags == ("saddle_numbness",)
    assert record.by_name == "Dr Rivera"
    assert acked.version == saved.version + 1
    assert audit_actions(db)[-1] is AuditAction.ACKNOWLEDGE_RED_FLAGS
    assert db.committed.audit[-1].detail == "saddle_numbness"
    assert labelled.assessment(clinician, draft.id).urgent_acknowledged is True


def test_a_new_urgent_flag_after_acknowledgement_needs_acknowledging_again(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    saved = save(labelled, clinician, draft, exam=SADDLE)
    acked = labelled.acknowledge_red_flags(clinician, draft.id, saved.version)
    exam = {"red_flags": {**SADDLE["red_flags"], "bladder_change": {"present": "yes"}}}
    save(
        labelled,
        clinician,
        acked,
        exam=exam,
        assessment=acked.content.assessment.model_dump(mode="json"),
    )
    found = labelled.assessment(clinician, draft.id)
    assert found.urgent_flags == ("saddle_numbness", "bladder_change")
    assert found.urgent_acknowledged is False


def test_there_is_nothing_to_acknowledge_without_urgent_flags(
    labelled: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    before = db.commits
    with pytest.raises(ClinicError, match="no urgent red flags"):
        labelled.acknowledge_red_flags(clinician, draft.id, draft.version)
    assert db.commits == before


def test_signing_waits_for_the_urgent_acknowledgement(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    saved = save(labelled, clinician, draft, exam=SADDLE)
    with pytest.raises(SigningBlocked, match="Acknowledge the urgent") as caught:
        labelled.sign(clinician, draft.id, saved.version)
    assert caught.value.paths == ("red_flags.saddle_numbness.present",)
    assert "<red_flags.saddle_numbness.present>" in str(caught.value)
    acked = labelled.acknowledge_red_flags(clinician, draft.id, saved.version)
    signed = labelled.sign(clinician, draft.id, acked.version)
    assert signed.is_signed
    with pytest.raises(RecordLocked):
        labelled.acknowledge_red_flags(clinician, draft.id, signed.version)


def test_handouts_are_held_while_the_alert_is_unacknowledged_without_naming_findings(
    labelled: EncounterService,
    clinician: Principal,
    front_desk: Principal,
    draft: Encounter,
) -> None:
    assert labelled.handout_block(front_desk, draft.id) is None
    saved = save(labelled, clinician, draft, exam=SADDLE)
    held = labelled.handout_block(front_desk, draft.id)
    assert held is not None
    assert "on hold" in held
    assert "saddle" not in held.lower()
    labelled.acknowledge_red_flags(clinician, draft.id, saved.version)
    assert labelled.handout_block(front_desk, draft.id) is None


def test_the_front_desk_cannot_read_or_acknowledge_the_assessment(
    labelled: EncounterService, front_desk: Principal, draft: Encounter
) -> None:
    with pytest.raises(PermissionDenied):
        labelled.assessment(front_desk, draft.id)
    with pytest.raises(PermissionDenied):
        labelled.acknowledge_red_flags(front_desk, draft.id, draft.version)


def test_a_planned_release_with_an_incomplete_lumbar_screen_is_not_signed(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    lumbar = normal_lumbar()
    del lumbar["left"]["achilles"]
    lumbar["right"]["slr"] = {"symptom": "to_foot"}  # a leg symptom with no angle
    saved = save(labelled, clinician, draft, exam={"lumbar": lumbar}, release="right")
    with pytest.raises(SigningBlocked, match="lumbar screen is incomplete") as caught:
        labelled.sign(clinician, draft.id, saved.version)
    assert caught.value.paths == ("lumbar.right.slr.angle_deg", "lumbar.left.achilles.grade")
    assert "2 items not tested" in str(caught.value)
    assert "<lumbar.left.achilles.grade>" in str(caught.value)
    assert not labelled.get(clinician, draft.id).encounter.is_signed


def test_a_release_written_in_the_plan_closes_the_gate_too(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    saved = save(labelled, clinician, draft, plan="Schedule a right tarsal tunnel release.")
    with pytest.raises(SigningBlocked, match="lumbar screen is incomplete"):
        labelled.sign(clinician, draft.id, saved.version)


def test_lumbar_findings_need_a_written_reason_before_a_release_is_signed(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    lumbar = normal_lumbar()
    lumbar["right"]["achilles"] = {"grade": "0"}
    saved = save(labelled, clinician, draft, exam={"lumbar": lumbar}, release="both")
    with pytest.raises(SigningBlocked, match=r"\(R6\).*why the foot is the primary source") as c:
        labelled.sign(clinician, draft.id, saved.version)
    assert c.value.paths == ("assessment.foot_primary_reason",)
    reason = "Plantar NCS abnormal; lumbar MRI without root compression."
    saved = save(
        labelled,
        clinician,
        saved,
        exam={"lumbar": lumbar},
        release="both",
        assessment={"foot_primary_reason": reason},
    )
    signed = labelled.sign(clinician, draft.id, saved.version)
    assert signed.content.assessment.foot_primary_reason == reason
    assert signed.content.release is ReleasePlan.BOTH


def test_a_complete_normal_lumbar_screen_opens_the_gate(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    saved = save(labelled, clinician, draft, exam={"lumbar": normal_lumbar()}, release="left")
    found = labelled.assessment(clinician, draft.id)
    assert found.gate_open
    assert labelled.sign(clinician, draft.id, saved.version).is_signed


def test_without_a_planned_release_the_gate_does_not_apply(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    assert labelled.sign(clinician, draft.id, draft.version).is_signed


def test_decisions_are_saved_and_signed_with_the_content(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    lumbar = normal_lumbar()
    lumbar["right"]["achilles"] = {"grade": "0"}
    decisions = {
        "R6": {"choice": "accepted", "comment": " MRI ordered "},
        "R13": {"choice": "dismissed"},
    }
    saved = save(
        labelled, clinician, draft, exam={"lumbar": lumbar}, assessment={"decisions": decisions}
    )
    signed = labelled.sign(clinician, draft.id, saved.version)
    read = labelled.get(clinician, draft.id)
    assert read.intact
    stored = read.encounter.content.assessment.decisions
    assert stored["R6"].choice is Choice.ACCEPTED
    assert stored["R6"].comment == "MRI ordered"
    assert stored["R13"].choice is Choice.DISMISSED
    assert signed.content.assessment == read.encounter.content.assessment
    r6 = labelled.assessment(clinician, draft.id).get("R6")
    assert r6 is not None
    assert r6.sides == (Side.RIGHT,)


def test_a_draft_save_cannot_forge_or_clear_the_acknowledgement(
    labelled: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    forged = {
        "red_flags_acknowledged": {
            "flags": ["saddle_numbness"],
            "by_name": "Nobody",
            "at": "2026-03-14T10:00:00Z",
        }
    }
    saved = save(labelled, clinician, draft, exam=SADDLE, assessment=forged)
    assert saved.content.assessment.red_flags_acknowledged is None
    assert labelled.assessment(clinician, draft.id).urgent_acknowledged is False
    acked = labelled.acknowledge_red_flags(clinician, draft.id, saved.version)
    cleared = save(labelled, clinician, acked, exam=SADDLE, assessment={})
    assert cleared.content.assessment.red_flags_acknowledged is not None
    assert audit_actions(db).count(AuditAction.ACKNOWLEDGE_RED_FLAGS) == 1


def test_check_signable_refuses_as_sign_would_without_signing(
    labelled: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    saved = save(labelled, clinician, draft, release="left")
    before = db.commits
    with pytest.raises(SigningBlocked, match="lumbar screen is incomplete"):
        labelled.check_signable(clinician, draft.id)
    assert db.commits == before
    saved = save(labelled, clinician, saved, release="left", exam={"lumbar": normal_lumbar()})
    labelled.check_signable(clinician, draft.id)
    assert not labelled.get(clinician, draft.id).encounter.is_signed
