"""The assessment in the encounter use cases: red-flag acknowledgement, the R11 gate, holds."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_app.domain.account import Principal
from clinic_app.domain.assessment.model import GateState
from clinic_app.domain.assessment.record import Choice, ReleasePlan
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import Encounter
from clinic_app.domain.errors import (
    ClinicError,
    FieldErrors,
    PermissionDenied,
    RecordLocked,
    SigningBlocked,
)
from clinic_app.domain.exam import Side
from clinic_app.domain.patient import Patient, TriState
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


RULE_OUT_REGIONS = (
    "BD-MED",
    "BD-LAT",
    "DO-WEB1",
    "DO-MID",
    "DO-LAT",
    "LG-MED",
    "LG-LAT",
    "LG-POST",
)
NUMB = {
    "light_touch": "reduced",
    "pin_prick": "reduced",
    "monofilament": "felt",
    "symptoms": ["numb"],
}


def foot_case(side: str = "right", **extra: Any) -> dict[str, Any]:
    """A foot with the case for the tunnel: plantar numbness, a Tinel response, pulses."""
    return {
        side: {
            "sensory": {
                "regions": {
                    **dict.fromkeys(("PL-ARCH-MED", "PL-FORE-MED"), NUMB),
                    **{
                        code: {"light_touch": "normal", "pin_prick": "normal"}
                        for code in (
                            "BD-MED",
                            "BD-LAT",
                            "DO-WEB1",
                            "DO-MID",
                            "DO-LAT",
                            "LG-MED",
                            "LG-LAT",
                            "LG-POST",
                        )
                    },
                }
            },
            "tinel": {"tarsal_tunnel": {"result": "positive"}},
            "pulses": {"dorsalis_pedis": "palpable", "posterior_tibial": "palpable"},
            **extra,
        },
        "lumbar": normal_lumbar(),
    }


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
    exam = {**foot_case(), "lumbar": lumbar}
    saved = save(labelled, clinician, draft, exam=exam, release="right")
    labelled.acknowledge_no_studies(clinician, draft.id, saved.version)
    with pytest.raises(SigningBlocked, match="Lumbar screen incomplete") as caught:
        labelled.sign(clinician, draft.id, saved.version + 1)
    assert caught.value.paths[:2] == ("lumbar.right.slr.angle_deg", "lumbar.left.achilles.grade")
    assert "2 items not tested" in str(caught.value)
    assert "<lumbar.left.achilles.grade>" in str(caught.value)
    assert not labelled.get(clinician, draft.id).encounter.is_signed


def test_a_release_written_in_the_plan_closes_the_gate_too(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    saved = save(labelled, clinician, draft, plan="Schedule a right tarsal tunnel release.")
    with pytest.raises(SigningBlocked, match="Lumbar screen incomplete"):
        labelled.sign(clinician, draft.id, saved.version)


def test_lumbar_findings_need_a_written_reason_before_a_release_is_signed(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    exam = foot_case(nerve_conduction={"medial_plantar": "abnormal"})
    exam["lumbar"]["right"]["achilles"] = {"grade": "0"}
    saved = save(labelled, clinician, draft, exam=exam, release="right")
    with pytest.raises(SigningBlocked, match=r"\(R6\).*why the foot is the primary source") as c:
        labelled.sign(clinician, draft.id, saved.version)
    assert c.value.paths == ("assessment.foot_primary_reason",)
    reason = "Plantar NCS abnormal; lumbar MRI without root compression."
    decisions = {key: {"choice": "working"} for key in ("R6", "R10")}
    saved = save(
        labelled,
        clinician,
        saved,
        exam=exam,
        release="right",
        assessment={"foot_primary_reason": reason, "decisions": decisions},
    )
    signed = labelled.sign(clinician, draft.id, saved.version)
    assert signed.content.assessment.foot_primary_reason == reason
    assert signed.content.release is ReleasePlan.RIGHT


def test_a_complete_normal_lumbar_screen_opens_the_gate(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    saved = save(labelled, clinician, draft, exam=foot_case("left"), release="left")
    found = labelled.assessment(clinician, draft.id)
    assert [(c.item.value, c.side.value) for c in found.gate.unmet] == [("nerve_studies", "left")]
    acked = labelled.acknowledge_no_studies(clinician, draft.id, saved.version)
    found = labelled.assessment(clinician, draft.id)
    assert found.gate_open
    assert found.gate.state is GateState.OPEN
    assert labelled.sign(clinician, draft.id, acked.version).is_signed


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
    with pytest.raises(SigningBlocked, match="Lumbar screen incomplete"):
        labelled.check_signable(clinician, draft.id)
    assert db.commits == before
    saved = save(labelled, clinician, saved, release="left", exam=foot_case("left"))
    saved = labelled.acknowledge_no_studies(clinician, draft.id, saved.version)
    labelled.check_signable(clinician, draft.id)
    assert not labelled.get(clinician, draft.id).encounter.is_signed


def test_a_numb_sole_without_tunnel_evidence_needs_an_audited_override(
    labelled: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    exam = foot_case()
    exam["right"]["tinel"] = {"tarsal_tunnel": {"result": "negative"}}
    saved = save(labelled, clinician, draft, exam=exam, release="right")
    saved = labelled.acknowledge_no_studies(clinician, draft.id, saved.version)
    with pytest.raises(SigningBlocked, match="No evidence for a tarsal tunnel problem"):
        labelled.sign(clinician, draft.id, saved.version)
    with pytest.raises(FieldErrors) as short:
        labelled.override_gate(clinician, draft.id, "too short", saved.version)
    assert "assessment.gate_override.reason" in short.value.errors
    reason = "Ganglion seen at surgery consult; patient informed of the uncertainty."
    saved = labelled.override_gate(clinician, draft.id, reason, saved.version)
    found = labelled.assessment(clinician, draft.id)
    assert found.gate.state is GateState.OVERRIDDEN
    assert [c.item.value for c in found.gate.overridden] == ["tunnel_evidence"]
    audited = [e for e in db.committed.audit if e.action is AuditAction.OVERRIDE_GATE]
    assert audited
    assert reason in audited[-1].detail
    signed = labelled.sign(clinician, draft.id, saved.version)
    snapshot = signed.content.signed_assessment
    assert snapshot is not None
    assert snapshot.assessment.gate.state is GateState.OVERRIDDEN
    assert signed.content.assessment.gate_override is not None
    assert signed.content.assessment.gate_override.by_name == "Dr Rivera"
    assert labelled.get(clinician, draft.id).intact


def test_a_draft_save_cannot_forge_an_override_or_an_acknowledgement(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    forged = {
        "gate_override": {
            "reason": "Forged by a client that skipped the audit.",
            "by_name": "X",
            "at": "2026-03-14T10:00:00+00:00",
        },
        "studies_acknowledged": {"by_name": "X", "at": "2026-03-14T10:00:00+00:00"},
    }
    saved = save(labelled, clinician, draft, release="right", assessment=forged)
    assert saved.content.assessment.gate_override is None
    assert saved.content.assessment.studies_acknowledged is None
    found = labelled.assessment(clinician, draft.id)
    assert found.gate.state is GateState.BLOCKED


def test_a_release_plan_needs_a_decision_on_every_warning(
    labelled: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    exam = foot_case(nerve_conduction={"medial_plantar": "abnormal"})
    exam["lumbar"]["right"]["achilles"] = {"grade": "0"}
    reason = "Plantar NCS abnormal; lumbar MRI without root compression."
    saved = save(
        labelled,
        clinician,
        draft,
        exam=exam,
        release="right",
        assessment={"foot_primary_reason": reason, "decisions": {"R6": {"choice": "dismissed"}}},
    )
    with pytest.raises(SigningBlocked, match="decide on each warning") as caught:
        labelled.sign(clinician, draft.id, saved.version)
    assert caught.value.paths == ("assessment.decisions.R10",)


def test_the_signed_assessment_does_not_change_with_the_patients_record(
    labelled: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    exam = {
        side: {"sensory": {"regions": {"PL-ARCH-MED": NUMB, "DO-MID": NUMB}}}
        for side in ("right", "left")
    }
    saved = save(labelled, clinician, draft, exam=exam)
    signed = labelled.sign(clinician, draft.id, saved.version)
    snapshot = signed.content.signed_assessment
    assert snapshot is not None
    assert snapshot.patient.diabetes is True
    r9 = snapshot.assessment.get("R9")
    assert r9 is not None
    assert "E11.42" in {c.code for c in r9.codes}
    patient = db.committed.patients[draft.patient_id]
    db.committed.patients[draft.patient_id] = patient.model_copy(update={"diabetes": TriState.NO})
    live = labelled.assessment(clinician, draft.id)
    assert "E11.42" not in {c.code for c in live.get("R9").codes}  # type: ignore[union-attr]
    read = labelled.get(clinician, draft.id)
    assert read.intact
    assert read.encounter.content.signed_assessment == snapshot
