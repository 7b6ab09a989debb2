"""Polyneuropathy and protective sensation: R9 and R18.

R9 reads the length-dependent (stocking) pattern; R18 loss of protective sensation per foot.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinic_app.domain.assessment.codes import code
from clinic_app.domain.assessment.findings import (
    PLANTAR_REGIONS,
    involved,
    reduced_both,
    region_findings,
    stocking_pattern,
)
from clinic_app.domain.assessment.model import (
    AssessmentContext,
    Lops,
    Reason,
    Severity,
    Suggestion,
)
from clinic_app.domain.assessment.rules.common import (
    SideHits,
    Wording,
    foot,
    leg,
    r,
    reasons_of,
    regions_reason,
    sides_of,
)
from clinic_app.domain.exam import (
    Monofilament,
    NeuroFootExam,
    ReflexGrade,
    SensoryGrade,
    Side,
    Vibration,
)
from clinic_app.domain.regions import RegionCode

WORDING: dict[str, Wording] = {
    "R9": Wording(
        rule="R9",
        severity=Severity.WARNING,
        title="Pattern suggests peripheral polyneuropathy",
        why=(
            "A symmetrical, length-dependent sensory neuropathy (longest axons first) will not "
            "respond to tarsal tunnel surgery; diabetes predicted poor release outcomes."
        ),
        next_step=(
            "Check glycaemic status; nerve conduction where appropriate (sural sensory study "
            "as a screen)."
        ),
        sources=("UPTODATE", "FPN-DSPN", "DSPN-FIG", "SURAL", "SCILIT-1983", "GULCEK"),
    ),
    "R18": Wording(
        rule="R18",
        severity=Severity.WARNING,
        title="Loss of protective sensation: diabetic-foot risk care",
        why=(
            "The 10 g monofilament not felt at a plantar site suggests loss of protective "
            "sensation: the foot can be injured without being felt."
        ),
        next_step=(
            "Diabetic-foot risk care: a comprehensive foot exam at least yearly, education "
            "and protective footwear."
        ),
        sources=("ADA-SOC-MIRROR", "SWM-PROC"),
    ),
}


def r9_polyneuropathy(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R9: length-dependent polyneuropathy. G62.9 / E11.42 are reported only once confirmed.

    Sources: [UPTODATE][FPN-DSPN][DSPN-FIG][SURAL][SCILIT-1983][GULCEK].
    """
    if not stocking_pattern(exam):
        return
    reasons = [
        regions_reason(side, exam.foot(side), "sole and dorsum involved", involved(exam.foot(side)))
        for side in Side
    ]
    lumbar = exam.lumbar
    if reduced_both(lumbar.right.achilles, lumbar.left.achilles):
        reasons.append(
            Reason(
                text="Ankle reflexes reduced on both sides",
                findings=(
                    leg(Side.RIGHT, "achilles.grade", lumbar.right.achilles.grade),
                    leg(Side.LEFT, "achilles.grade", lumbar.left.achilles.grade),
                ),
            )
        )
    for side in Side:
        found = exam.foot(side)
        if found.vibration_hallux in (Vibration.REDUCED, Vibration.ABSENT):
            reasons.append(
                r(
                    side,
                    f"vibration at the hallux {found.vibration_hallux.value}",
                    foot(side, "vibration_hallux", found.vibration_hallux),
                )
            )
        missed = [
            c for c in RegionCode if found.sensory.region(c).monofilament is Monofilament.NOT_FELT
        ]
        if missed:
            reasons.append(regions_reason(side, found, "monofilament not felt", missed))
    codes = [code("G62.9")]
    if ctx.patient.diabetes:
        reasons.append(Reason(text="The patient has diabetes"))
        codes.append(code("E11.42", note="Only for type 2 diabetes; the coder confirms the type."))
    yield WORDING["R9"].suggest("R9", reasons, (Side.RIGHT, Side.LEFT), codes=tuple(codes))


# --- R18: loss of protective sensation (10.11) ----------------------------------------------


def _lops_tests(exam: NeuroFootExam, side: Side) -> tuple[int, int, list[RegionCode]]:
    """(normal tests, abnormal tests, plantar sites where the monofilament was not felt).

    The tests: 10 g monofilament and pin-prick on the sole, 128 Hz vibration at the hallux,
    and the ankle reflex (2+ normal, 0 abnormal; 1+ and 3+ decide nothing) [ADA-SOC-MIRROR].
    """
    found = exam.foot(side)
    plantar = [found.sensory.region(c) for c in PLANTAR_REGIONS]
    normal = abnormal = 0
    missed = [
        c for c in PLANTAR_REGIONS if found.sensory.region(c).monofilament is Monofilament.NOT_FELT
    ]
    mono = [p.monofilament for p in plantar if p.monofilament is not Monofilament.NOT_TESTED]
    if missed:
        abnormal += 1
    elif mono:
        normal += 1
    pins = [p.pin_prick for p in plantar if p.pin_prick is not SensoryGrade.NOT_TESTED]
    if any(p in (SensoryGrade.REDUCED, SensoryGrade.ABSENT) for p in pins):
        abnormal += 1
    elif pins and all(p is SensoryGrade.NORMAL for p in pins):
        normal += 1
    if found.vibration_hallux is Vibration.NORMAL:
        normal += 1
    elif found.vibration_hallux in (Vibration.REDUCED, Vibration.ABSENT):
        abnormal += 1
    ankle = exam.lumbar.side(side).achilles.grade
    if ankle is ReflexGrade.NORMAL:
        normal += 1
    elif ankle is ReflexGrade.ABSENT:
        abnormal += 1
    return normal, abnormal, missed


def lops(exam: NeuroFootExam) -> dict[Side, Lops]:
    """Loss of protective sensation per foot (R18).

    Present if the monofilament is not felt at any plantar site tested; absent only if at least
    two tests are normal and none abnormal; otherwise indeterminate [ADA-SOC-MIRROR][SWM-PROC].
    """
    result: dict[Side, Lops] = {}
    for side in Side:
        normal, abnormal, missed = _lops_tests(exam, side)
        if missed:
            result[side] = Lops.PRESENT
        elif normal >= 2 and abnormal == 0:
            result[side] = Lops.ABSENT
        else:
            result[side] = Lops.INDETERMINATE
    return result


def r18_protective_sensation(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R18: loss of protective sensation, for every patient, with diabetes named when known.

    Sources: [ADA-SOC-MIRROR][SWM-PROC].
    """
    hits: SideHits = {}
    for side in Side:
        _normal, _abnormal, missed = _lops_tests(exam, side)
        if missed:
            found = exam.foot(side)
            hits[side] = [
                r(
                    side,
                    "10 g monofilament not felt on the sole: " + ", ".join(c.value for c in missed),
                    *region_findings(side, found, missed),
                )
            ]
    if not hits:
        return
    extra: list[Reason] = []
    if ctx.patient.diabetes is True:
        extra.append(Reason(text="The patient has diabetes"))
    elif ctx.patient.diabetes is False:
        extra.append(Reason(text="No diabetes recorded: the foot needs protecting all the same"))
    yield WORDING["R18"].suggest("R18", [*reasons_of(hits), *extra], sides_of(hits))
