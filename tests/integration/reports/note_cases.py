"""Encounters for the visit-note and export tests: a normal exam and the right TTS + S1 case."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from clinic_app.app import form_catalog
from clinic_app.domain.assessment.context import assess_content, patient_facts
from clinic_app.domain.assessment.model import Assessment
from clinic_app.domain.assessment.record import (
    AssessmentRecord,
    Choice,
    Decision,
    GateOverride,
    ReleasePlan,
    StudiesAcknowledgement,
)
from clinic_app.domain.encounter import (
    Encounter,
    EncounterContent,
    EncounterStatus,
    SignedAssessment,
    effective_exam,
    hash_payload,
    signed_payload,
)
from clinic_app.domain.exam import SensoryMap
from clinic_app.domain.layout import set_path
from clinic_app.domain.patient import Patient

CATALOG = form_catalog()
VISIT = date(2026, 5, 4)
SIGNED_AT = datetime(2026, 5, 4, 16, 30, tzinfo=UTC)
OVERRIDE_AT = datetime(2026, 5, 4, 16, 20, tzinfo=UTC)
PIN_DOWN = {
    "light_touch": "normal",
    "pin_prick": "reduced",
    "monofilament": "felt",
    "symptoms": ["numb", "burning"],
}
OVERRIDE_REASON = "Ultrasound shows a ganglion in the tunnel; S1 signs are long-standing."
FOOT_PRIMARY = "Tinel and the sensory map both point to the tibial nerve at the ankle."


def patient(**changes: Any) -> Patient:
    data: dict[str, Any] = {
        "id": 7,
        "mrn": "MRN-2026-07",
        "family_name": "Núñez Peña",
        "given_name": "María José",
        "date_of_birth": date(1961, 4, 12),
        "sex": "female",
        "diabetes": "no",
        "allergy_status": "listed",
        "allergies": "Penicillin (rash)",
        **changes,
    }
    known = set(Patient.model_fields)
    return Patient.model_validate(
        {k: v for k, v in data.items() if k in known}, context={"today": VISIT}
    )


def normal_exam() -> dict[str, Any]:
    """Every section's normal preset on both sides (what Alt+N fills), history partly charted."""
    data: dict[str, Any] = {}
    normal_regions = SensoryMap().charted_normal().model_dump(mode="json")["regions"]
    for section in CATALOG.exam_layout().sections:
        for path, value in section.normal_values().items():
            if value == "normal" and path.endswith("sensory.regions"):
                set_path(data, path, copy.deepcopy(normal_regions))
            else:
                set_path(data, path, copy.deepcopy(value))
    data.setdefault("history", {})
    data["history"]["onset"] = "gradual"
    data["history"]["duration_weeks"] = 12
    data["history"]["first_step_pain"] = "yes"
    data["history"]["pain_score"] = 4
    return data


def tts_s1_exam() -> dict[str, Any]:
    """The issue's case: a right tarsal tunnel picture with right S1 signs."""
    data = normal_exam()
    for path, value in {
        "right.tinel.tarsal_tunnel.result": "positive",
        "right.tinel.tarsal_tunnel.radiates_distal": ["PL-ARCH-MED", "PL-HALLUX"],
        "lumbar.right.achilles.grade": "0",
        "lumbar.right.myotomes.plantarflexion": "4",
        "lumbar.right.slr.symptom": "to_foot",
        "lumbar.right.slr.angle_deg": 40,
        "lumbar.right.leg_pain_below_knee": "yes",
        "lumbar.pain_reaches": "foot",
        "right.imaging_tunnel": "space_occupying_lesion",
    }.items():
        set_path(data, path, value)
    for code in ("PL-ARCH-MED", "PL-FORE-MED", "PL-HALLUX"):
        data["right"]["sensory"]["regions"][code] = dict(PIN_DOWN)
    return data


def draft(exam: dict[str, Any], **content: Any) -> Encounter:
    moment = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    base: dict[str, Any] = {
        "exam": exam,
        "notes": "Burning sole for 8 months; worse standing & at night <since March>.",
        "plan": "Orthotics; review in 6 weeks.",
        **content,
    }
    return Encounter(
        id=41,
        patient_id=7,
        encounter_date=VISIT,
        clinician_id=3,
        clinician_name="Dr. Sam Okafor",
        reason="Numb, burning right sole",
        status=EncounterStatus.DRAFT,
        content=EncounterContent.model_validate(base),
        version=4,
        created_at=moment,
        updated_at=moment,
    )


def assessment_of(encounter: Encounter, who: Patient | None = None) -> Assessment:
    exam, _amended = effective_exam(encounter)
    facts = patient_facts(who or patient(), VISIT)
    return assess_content(encounter.content, facts, today=VISIT, exam=exam)


def decided_case() -> Encounter:
    """The TTS + S1 case with a right release planned, every warning decided, gate overridden."""
    enc = draft(
        tts_s1_exam(),
        plan="Right tarsal tunnel release after the ganglion is confirmed on MRI.",
        release=ReleasePlan.RIGHT,
        teach_back={"done": True, "note": "Explained back the numb-foot skin checks."},
    )
    record = AssessmentRecord(
        gate_override=GateOverride(
            reason=OVERRIDE_REASON, by_name="Dr. Sam Okafor", at=OVERRIDE_AT
        ),
        studies_acknowledged=StudiesAcknowledgement(by_name="Dr. Sam Okafor", at=OVERRIDE_AT),
    )
    enc = enc.model_copy(update={"content": enc.content.model_copy(update={"assessment": record})})
    found = assessment_of(enc)
    decisions: dict[str, Decision] = {}
    for suggestion in found.suggestions:
        if suggestion.key == "R6":
            decisions[suggestion.key] = Decision(
                choice=Choice.CONFIRMED, comment="Absent ankle jerk and a positive SLR."
            )
        elif suggestion.key == "R10":
            decisions[suggestion.key] = Decision(choice=Choice.WORKING)
        else:
            decisions[suggestion.key] = Decision(
                choice=Choice.DISMISSED, comment="Not supported by the exam today."
            )
    record = record.model_copy(update={"decisions": decisions})
    return enc.model_copy(update={"content": enc.content.model_copy(update={"assessment": record})})


def signed(encounter: Encounter, who: Patient | None = None) -> Encounter:
    """Signed as EncounterService.sign does: the assessment and patient facts stored inside."""
    snapshot = SignedAssessment(
        assessment=assessment_of(encounter, who),
        patient=patient_facts(who or patient(), VISIT),
        at=SIGNED_AT,
    )
    content = encounter.content.model_copy(update={"signed_assessment": snapshot})
    encounter = encounter.model_copy(update={"content": content})
    digest = hash_payload(signed_payload(encounter, 3, "Dr. Sam Okafor", SIGNED_AT))
    return encounter.model_copy(
        update={
            "status": EncounterStatus.SIGNED,
            "signed_by_id": 3,
            "signed_by_name": "Dr. Sam Okafor",
            "signed_at": SIGNED_AT,
            "content_hash": digest,
        }
    )
