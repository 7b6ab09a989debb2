"""Heel pain: R3 (medial calcaneal nerve), R4 (Baxter's nerve) and R5 (plantar fasciitis)."""

from __future__ import annotations

from collections.abc import Iterable

from clinic_app.domain.assessment.codes import code
from clinic_app.domain.assessment.findings import (
    MEDIAL_HEEL,
    PLANTAR_NERVE,
    PLANTAR_REGIONS,
    fired,
    involved,
    not_normal,
    region_path,
    untested,
    weak,
    with_symptom,
)
from clinic_app.domain.assessment.model import (
    AssessmentContext,
    Confidence,
    Reason,
    Severity,
    Suggestion,
)
from clinic_app.domain.assessment.rules.common import (
    SideHits,
    Wording,
    foot,
    positive,
    r,
    reasons_of,
    regions_reason,
    sides_of,
)
from clinic_app.domain.exam import FootExam, NeuroFootExam, Side, Symptom, TestResult, YesNo
from clinic_app.domain.regions import RegionCode

UNVERIFIED_BRANCH_CODES = (
    "No dedicated ICD-10-CM code. G57.6x vs G57.8x is unverified against the Alphabetic "
    "Index: leave the choice to a coder."
)
FASCIITIS_WHY = (
    "Nerve entrapment heel pain comes with burning, tingling or numbness; neural and fascial "
    "causes often overlap."
)
FASCIITIS_SOURCES = ("CMDT", "TU", "BARRETT", "OPENEVID-C")
FASCIITIS_NOTE = "Some clinics use M77.3x (calcaneal spur) instead: coder's choice."

WORDING: dict[str, Wording] = {
    "R3": Wording(
        rule="R3",
        severity=Severity.SUGGESTION,
        title="Possible medial calcaneal nerve entrapment",
        why=(
            "The medial calcaneal nerve supplies most of the heel's skin. In one heel-pain "
            "series more than 72% of 84 patients had a sensory disturbance of this nerve "
            "and/or tarsal tunnel syndrome."
        ),
        next_step="Consider a diagnostic nerve block.",
        sources=("ACIBADEM", "TMA", "BARRETT", "HEELTHAT-C"),
        coding_note=UNVERIFIED_BRANCH_CODES,
    ),
    "R4": Wording(
        rule="R4",
        severity=Severity.SUGGESTION,
        title="Consider Baxter's (inferior calcaneal) nerve entrapment",
        why=(
            "The nerve has no useful skin territory and abductor digiti minimi weakness is "
            "hard to detect; it is reported to cause up to 20% of heel pain and mimics "
            "plantar fasciitis."
        ),
        next_step="MRI fatty atrophy of abductor digiti minimi supports it.",
        sources=("RADSRC", "RONDHUIS", "SKELRAD", "ONEPOINT-C"),
        coding_note=UNVERIFIED_BRANCH_CODES,
    ),
    "R5": Wording(
        rule="R5",
        severity=Severity.SUGGESTION,
        title="Plantar fasciitis",
        why=FASCIITIS_WHY,
        sources=FASCIITIS_SOURCES,
        coding_note=FASCIITIS_NOTE,
    ),
    "R5-NERVE": Wording(
        rule="R5",
        severity=Severity.SUGGESTION,
        title="Plantar fasciitis features with nerve involvement: see R1, R3, R4",
        why=FASCIITIS_WHY,
        sources=FASCIITIS_SOURCES,
        coding_note=FASCIITIS_NOTE,
    ),
}


def r3_medial_calcaneal(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R3: burning or tingling confined to the medial heel with a positive MCN Tinel.

    Sources: [ACIBADEM][TMA][BARRETT]; the nerve-block idea from [HEELTHAT-C]. Confidence is
    low-moderate: the evidence is thin. No dedicated ICD-10-CM code exists; G57.6x vs G57.8x
    is unverified, so no diagnosis code is suggested.
    """
    hits: SideHits = {}
    for side in Side:
        found = exam.foot(side)
        nerve = involved(found)
        heel = with_symptom(found, MEDIAL_HEEL, frozenset({Symptom.BURNING, Symptom.TINGLING}))
        if not nerve or not heel or not set(nerve) <= set(MEDIAL_HEEL):
            continue
        if not found.tinel.medial_calcaneal.is_response:
            continue
        if not_normal(found, PLANTAR_NERVE):
            continue
        hits[side] = [
            regions_reason(side, found, "burning or tingling confined to the medial heel", heel),
            r(
                side,
                "Tinel positive over the medial calcaneal branch",
                foot(side, "tinel.medial_calcaneal.result", TestResult.POSITIVE),
            ),
            r(side, "medial and lateral plantar regions charted normal"),
        ]
    if hits:
        yield WORDING["R3"].suggest(
            "R3", reasons_of(hits), sides_of(hits), confidence=Confidence.LOW
        )


def _heel_pain(found: FootExam) -> list[RegionCode]:
    return with_symptom(found, MEDIAL_HEEL, frozenset({Symptom.PAIN}))


def _baxter_reasons(side: Side, found: FootExam) -> list[Reason]:
    reasons: list[Reason] = []
    if weak(found.intrinsics.little_toe_abduction):
        reasons.append(
            r(
                side,
                "little-toe abduction weak",
                foot(
                    side, "intrinsics.little_toe_abduction", found.intrinsics.little_toe_abduction
                ),
            )
        )
    if found.inspection.wasting_abductor_digiti_minimi is YesNo.YES:
        reasons.append(
            r(
                side,
                "abductor digiti minimi wasting",
                foot(side, "inspection.wasting_abductor_digiti_minimi", YesNo.YES),
            )
        )
    if found.tinel.baxter.is_response:
        reasons.append(
            r(
                side,
                "Tinel positive at the Baxter site",
                foot(side, "tinel.baxter.result", TestResult.POSITIVE),
            )
        )
    return reasons


def r4_baxter(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R4: heel pain with local tenderness, a normal sensory map and pain building with activity.

    Sources: [RADSRC][RONDHUIS][SKELRAD][ONEPOINT-C]. No verified diagnosis code (see R3).
    """
    history = exam.history
    activity = [
        name
        for name in ("worse_walking", "worse_standing", "worse_running")
        if getattr(history, name) is YesNo.YES
    ]
    if history.first_step_pain is not YesNo.NO or not activity:
        return
    hits: SideHits = {}
    for side in Side:
        found = exam.foot(side)
        pain = _heel_pain(found)
        tender = [
            name
            for name in ("abductor_hallucis_origin", "medial_calcaneal_tubercle")
            if getattr(found.tenderness, name) is YesNo.YES
        ]
        if not pain or not tender or involved(found) or not_normal(found, PLANTAR_REGIONS):
            continue
        hits[side] = [
            regions_reason(side, found, "heel pain", pain),
            r(
                side,
                "tender at the " + " and ".join(t.replace("_", " ") for t in tender),
                *(foot(side, f"tenderness.{t}", YesNo.YES) for t in tender),
            ),
            r(side, "sole charted normal: no sensory change"),
            Reason(
                text="Pain builds with activity, not worst at the first step",
                findings=(
                    fired("history.first_step_pain", YesNo.NO),
                    *(fired(f"history.{a}", YesNo.YES) for a in activity),
                ),
            ),
            *_baxter_reasons(side, found),
        ]
    if hits:
        yield WORDING["R4"].suggest("R4", reasons_of(hits), sides_of(hits))


def r5_plantar_fasciitis(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R5: first-step heel pain, tubercle tenderness and a positive windlass test.

    Without nerve symptoms: plantar fasciitis (high). With them: nerve involvement coexists
    (R5-NERVE; see R1/R3/R4). M72.2 is reported only once confirmed. Sources: [CMDT][TU]
    [BARRETT][OPENEVID-C].
    """
    if exam.history.first_step_pain is not YesNo.YES:
        return
    plain: SideHits = {}
    plain_charted: dict[Side, bool] = {}
    nerve: SideHits = {}
    for side in Side:
        found = exam.foot(side)
        pain = _heel_pain(found)
        if (
            not pain
            or found.tenderness.medial_calcaneal_tubercle is not YesNo.YES
            or not positive(found.provocation.windlass)
        ):
            continue
        reasons = [
            regions_reason(side, found, "heel pain", pain),
            Reason(
                text="Pain worst with the first steps after rest",
                findings=(fired("history.first_step_pain", YesNo.YES),),
            ),
            r(
                side,
                "tender at the medial calcaneal tubercle; windlass test positive",
                foot(side, "tenderness.medial_calcaneal_tubercle", YesNo.YES),
                foot(side, "provocation.windlass", TestResult.POSITIVE),
            ),
        ]
        nerve_regions = involved(found)
        if nerve_regions:
            nerve[side] = [
                *reasons,
                regions_reason(
                    side, found, "burning, tingling, numbness or a deficit", nerve_regions
                ),
            ]
            continue
        charted = not not_normal(found, PLANTAR_REGIONS)
        plain_charted[side] = charted
        if not charted:
            reasons.append(
                r(
                    side,
                    "sensation on the sole not fully charted: nerve involvement not excluded",
                    *(
                        fired(region_path(side, c), "not_tested")
                        for c in untested(found, PLANTAR_REGIONS)
                    ),
                )
            )
        plain[side] = reasons
    codes = (code("M72.2"),)
    if plain:
        yield WORDING["R5"].suggest(
            "R5",
            reasons_of(plain),
            sides_of(plain),
            confidence=Confidence.HIGH if all(plain_charted.values()) else None,
            codes=codes,
        )
    if nerve:
        yield WORDING["R5-NERVE"].suggest(
            "R5-NERVE", reasons_of(nerve), sides_of(nerve), codes=codes
        )
