"""Assessing an encounter: its exam, planned release and decisions, plus the patient's facts."""

from __future__ import annotations

from datetime import date

from clinic_app.domain.assessment.model import (
    Assessment,
    AssessmentContext,
    CodeSet,
    PatientFacts,
)
from clinic_app.domain.assessment.record import ReleasePlan, plan_text_mentions_release
from clinic_app.domain.assessment.rules import assess
from clinic_app.domain.encounter import EncounterContent
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.patient import Patient, TriState


def planned_release(content: EncounterContent) -> tuple[ReleasePlan, bool]:
    """The planned release, and whether it was read from the plan text (side unknown: both).

    A release written in the plan but not ticked still closes the R11 gate, for both sides.
    """
    if content.release is not ReleasePlan.NONE:
        return content.release, False
    if plan_text_mentions_release(content.plan):
        return ReleasePlan.BOTH, True
    return ReleasePlan.NONE, False


def context_for(
    content: EncounterContent,
    patient: PatientFacts,
    today: date | None = None,
    code_set: CodeSet | None = None,
) -> AssessmentContext:
    """What the rules read besides the exam, from the encounter content."""
    plan, _from_text = planned_release(content)
    record = content.assessment
    return AssessmentContext(
        patient=patient,
        release_sides=plan.sides,
        foot_primary_reason=record.foot_primary_reason,
        acknowledged_red_flags=record.acknowledged_flags,
        gate_overridden=record.gate_override is not None,
        no_studies_acknowledged=record.studies_acknowledged is not None,
        today=today,
        code_set=code_set,
    )


def assess_content(
    content: EncounterContent,
    patient: PatientFacts,
    today: date | None = None,
    exam: NeuroFootExam | None = None,
    code_set: CodeSet | None = None,
) -> Assessment:
    """The assessment of an encounter (of ``exam`` instead of its own, when amending)."""
    ctx = context_for(content, patient, today, code_set)
    return assess(exam if exam is not None else content.exam, ctx)


def patient_facts(patient: Patient, on: date) -> PatientFacts:
    """The patient's diabetes status and age on a date, as the rules read them."""
    diabetes = {TriState.YES: True, TriState.NO: False}.get(patient.diabetes)
    return PatientFacts(diabetes=diabetes, age=max(0, patient.age_on(on)))
