"""Lumbar roots and the spine: R6, R7, R8, R13 and R17.

R6 reads S1, R7 L5 against the peroneal nerve, R8 L4 against the saphenous nerve, R13 the
straight leg raise and R17 lumbar spinal stenosis.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinic_app.domain.assessment.codes import code, lateral_code
from clinic_app.domain.assessment.findings import (
    L4_REGIONS,
    L5_REGIONS,
    S1_REGIONS,
    fired,
    full,
    involved,
    other,
    reduced_on_one_side,
    reflex_tested,
    stocking_pattern,
)
from clinic_app.domain.assessment.model import AssessmentContext, Reason, Severity, Suggestion
from clinic_app.domain.assessment.rules.common import (
    SideHits,
    Wording,
    foot,
    leg,
    leg_symptomatic,
    leg_symptoms_below_knee,
    motor_reasons,
    positive,
    r,
    reasons_of,
    regions_reason,
    short,
    sides_of,
)
from clinic_app.domain.exam import (
    MrcGrade,
    NeedleEmg,
    NeuroFootExam,
    Side,
    SlrSymptom,
    TestResult,
    YesNo,
)
from clinic_app.domain.regions import REGIONS, RegionCode, RegionGroup, regions_in

ROOT_CODES = (
    code("M54.16", note="Choose by the level found: lumbar region."),
    code("M54.17", note="Choose by the level found: lumbosacral region."),
)
"""Radiculopathy diagnosis codes: reported once the clinician confirms the diagnosis."""

ROOT_NEXT_STEP = "Lumbar assessment, with MRI or EMG as indicated."
R7_WHY = (
    "Tibialis posterior (inversion, tibial nerve) and gluteus medius (hip abduction) share the "
    "L5 root but not the peroneal nerve."
)
R7_SOURCES = ("NEUPSY", "HARR", "DEDUCT-C", "EPOMED-C", "THREAD-C")
S1_SOLE = "S1 cannot be excluded from the examination: nerve studies (needle EMG) decide"

WORDING: dict[str, Wording] = {
    "R6": Wording(
        rule="R6",
        severity=Severity.WARNING,
        title="Possible S1 radiculopathy: do not attribute plantar symptoms to TTS alone",
        why=(
            "The S1 dermatome includes the heel and most of the sole, and S1 supplies the "
            "ankle reflex and plantarflexors, so S1 disease can mimic tarsal tunnel syndrome. "
            "Sole involvement is compatible with S1, never evidence against it; S1 alone has "
            "the lateral border and heel, the posterior calf, the ankle reflex and "
            "plantarflexion."
        ),
        next_step=(
            "Lumbar assessment, with MRI or EMG as indicated; needle EMG (paraspinals, "
            "tibialis posterior) tells S1 from the tarsal tunnel."
        ),
        sources=("HARR", "GPN", "MSD", "BIOLOGY-C", "MISJ", "MED-WORKUP", "LEE-DERM"),
    ),
    "R7-L5": Wording(
        rule="R7",
        severity=Severity.WARNING,
        title="L5 radiculopathy pattern",
        why=R7_WHY,
        next_step=ROOT_NEXT_STEP,
        sources=R7_SOURCES,
    ),
    "R7-PERONEAL": Wording(
        rule="R7",
        severity=Severity.SUGGESTION,
        title="Consider common peroneal neuropathy",
        why=R7_WHY,
        next_step="Consider nerve conduction across the fibular head.",
        sources=R7_SOURCES,
    ),
    "R7-CHECK": Wording(
        rule="R7",
        severity=Severity.WARNING,
        title="Dorsiflexion, EHL or L5-area findings: L5 root or peroneal nerve?",
        why=R7_WHY,
        next_step="Test ankle inversion, hip abduction and the Tinel at the fibular head.",
        sources=R7_SOURCES,
    ),
    "R8-L4": Wording(
        rule="R8",
        severity=Severity.WARNING,
        title="Possible L4 radiculopathy",
        why=(
            "The patellar reflex and quadriceps are mainly L4; L4 skin is the medial leg and foot."
        ),
        next_step=ROOT_NEXT_STEP,
        sources=("HARR", "GPN", "WHEEL"),
    ),
    "R8-SAPHENOUS": Wording(
        rule="R8",
        severity=Severity.SUGGESTION,
        title="Consider a saphenous nerve cause",
        why=(
            "Only medial ankle and foot sensation is affected, with a normal knee jerk and "
            "quadriceps."
        ),
        sources=("HARR", "GPN", "WHEEL"),
    ),
    "R13": Wording(
        rule="R13",
        severity=Severity.SUGGESTION,
        title="Reading the straight leg raise",
        why=(
            "SLR sensitivity 0.91, specificity 0.26; crossed SLR sensitivity 0.29, "
            "specificity 0.88 (disc herniation). A positive SLR reproduces leg pain below "
            "the knee at 30-70 degrees; back pain alone is negative."
        ),
        sources=("WIKI-SLR", "PESONEN", "DEVILLE"),
    ),
    "R17": Wording(
        rule="R17",
        severity=Severity.WARNING,
        title="Pattern of lumbar spinal stenosis: a negative SLR does not exclude it",
        why=(
            "Buttock or leg symptoms brought on by walking or standing and relieved by "
            "sitting or bending forward are neurogenic claudication; the examination is often "
            "normal at rest."
        ),
        next_step="Check pedal pulses to separate vascular claudication.",
        sources=("NASS-LSS", "SURI-JAMA", "RHEUM-LSS"),
        coding_note=(
            "Lumbar stenosis codes (M48.06x) are not verified in the clinical reference: "
            "none is offered."
        ),
    ),
}


def _sensory_counts(exam: NeuroFootExam) -> bool:
    """Dermatomal sensory criteria of R6-R8 count unless the stocking pattern explains them."""
    return not stocking_pattern(exam)


def _reflex_reason(side: Side, exam: NeuroFootExam, name: str, label: str) -> Reason | None:
    this = getattr(exam.lumbar.side(side), name)
    opposite = getattr(exam.lumbar.side(other(side)), name)
    why = reduced_on_one_side(this, opposite)
    if why is None:
        return None
    return r(
        side,
        f"{label} {why}",
        leg(side, f"{name}.grade", this.grade),
        leg(other(side), f"{name}.grade", opposite.grade),
    )


def _s1_distinguishers(exam: NeuroFootExam, side: Side) -> list[Reason]:
    """The S1 distinguishers: what S1 has and a plantar-nerve lesion does not (10.8 fact 3).

    Also a positive SLR or slump, and an S1 pattern on needle EMG (10.8 fact 4).
    """
    this = exam.lumbar.side(side)
    found = exam.foot(side)
    reasons: list[Reason] = []
    reflex = _reflex_reason(side, exam, "achilles", "Achilles reflex")
    if reflex:
        reasons.append(reflex)
    reasons += motor_reasons(
        side, this, ("plantarflexion", "plantarflexion"), ("toe_walk", "toe-walk / heel-raise")
    )
    regions = involved(found, S1_REGIONS) if _sensory_counts(exam) else []
    if regions:
        reasons.append(regions_reason(side, found, "sensory change in S1-only skin", regions))
    if this.slr.positive:
        reasons.append(
            r(
                side,
                f"SLR positive ({this.slr.symptom.value.replace('_', ' ')} at "
                f"{this.slr.angle_deg} degrees)",
                leg(side, "slr.symptom", this.slr.symptom),
                leg(side, "slr.angle_deg", this.slr.angle_deg),
            )
        )
    if positive(this.slump.result):
        reasons.append(r(side, "slump test positive", leg(side, "slump.result", this.slump.result)))
    emg = found.nerve_conduction.needle_emg
    if emg is NeedleEmg.S1_ROOT_PATTERN:
        reasons.append(
            r(
                side,
                "needle EMG shows an S1 root pattern",
                foot(side, "nerve_conduction.needle_emg", emg),
            )
        )
    return reasons


def _sole_only(exam: NeuroFootExam, side: Side) -> list[RegionCode]:
    """The involved regions when every one of them is on the sole; else none."""
    regions = involved(exam.foot(side))
    if regions and all(REGIONS[c].group is RegionGroup.PLANTAR for c in regions):
        return regions
    return []


def r6_s1(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R6 (as amended in 10.12): the S1 radiculopathy screen.

    Fires on an Achilles reflex reduced against the other side, plantarflexion weakness or a
    failed toe walk, sensory change in BD-LAT, PL-HEEL-LAT or LG-POST (never the plantar skin
    of the little toe: that is the lateral plantar nerve), a positive SLR or slump, an S1
    pattern on needle EMG, or back pain with leg symptoms below the knee read from any field.
    Numbness confined to the sole with back pain or leg symptoms below the knee and none of
    these: S1 cannot be excluded, nerve studies decide. A positive Tinel never cancels it.
    Sources: [HARR][GPN][MSD][BIOLOGY-C][MISJ][MED-WORKUP][LEE-DERM].
    """
    lumbar = exam.lumbar
    hits: SideHits = {}
    distinguished = False
    for side in Side:
        found = exam.foot(side)
        reasons = _s1_distinguishers(exam, side)
        has_distinguisher = bool(reasons)
        distinguished = distinguished or has_distinguisher
        below = leg_symptoms_below_knee(exam, side)
        back = lumbar.back_pain is YesNo.YES
        if back and below:
            reasons.append(
                r(
                    side,
                    "back pain with leg symptoms below the knee",
                    fired("lumbar.back_pain", YesNo.YES),
                    *below,
                )
            )
            distinguished = True
        sole = _sole_only(exam, side)
        emg_normal = found.nerve_conduction.needle_emg is NeedleEmg.NORMAL
        if sole and (back or below) and not has_distinguisher and not emg_normal:
            sole_reason = regions_reason(
                side,
                found,
                "numbness confined to the sole, with "
                + ("back pain" if back else "leg symptoms below the knee")
                + f", and no S1 distinguisher: {S1_SOLE}",
                sole,
            )
            context = [fired("lumbar.back_pain", YesNo.YES)] if back else below
            reasons.append(
                sole_reason.model_copy(update={"findings": (*sole_reason.findings, *context)})
            )
        if reasons:
            hits[side] = reasons
    if hits:
        yield WORDING["R6"].suggest(
            "R6",
            reasons_of(hits),
            sides_of(hits),
            codes=ROOT_CODES,
            title=None if distinguished else S1_SOLE,
        )


def _peroneal_or_check(
    side: Side, exam: NeuroFootExam, trigger: list[Reason], regions: list[RegionCode]
) -> tuple[str, list[Reason]]:
    found = exam.foot(side)
    motor = exam.lumbar.side(side).myotomes
    all_involved = involved(found)
    limited = set(all_involved) <= {*regions_in(RegionGroup.DORSUM), RegionCode.LG_LAT}
    tinel = found.tinel.fibular_head.is_response
    if full(motor.inversion) and full(motor.hip_abduction) and limited and tinel:
        return "peroneal", [
            *trigger,
            r(
                side,
                "ankle inversion and hip abduction 5/5",
                leg(side, "myotomes.inversion", motor.inversion),
                leg(side, "myotomes.hip_abduction", motor.hip_abduction),
            ),
            r(
                side,
                "Tinel positive at the fibular head",
                foot(side, "tinel.fibular_head.result", TestResult.POSITIVE),
            ),
        ]
    todo = [
        path
        for path, missing in (
            (f"lumbar.{side.value}.myotomes.inversion", motor.inversion is MrcGrade.NOT_TESTED),
            (
                f"lumbar.{side.value}.myotomes.hip_abduction",
                motor.hip_abduction is MrcGrade.NOT_TESTED,
            ),
            (
                f"{side.value}.tinel.fibular_head.result",
                found.tinel.fibular_head.result is TestResult.NOT_TESTED,
            ),
        )
        if missing
    ]
    return "check", [
        *trigger,
        r(
            side,
            "to tell L5 from the peroneal nerve: "
            + (
                "test " + ", ".join(short(p) for p in todo)
                if todo
                else "inversion and hip abduction are 5/5 but the peroneal picture is "
                "incomplete (no fibular-head Tinel, or change beyond dorsum and lateral leg)"
            ),
            *(fired(p, "not_tested") for p in todo),
        ),
    ]


def r7_l5_peroneal(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R7: L5 radiculopathy vs common peroneal neuropathy.

    Tibialis posterior (inversion, tibial nerve) and gluteus medius (hip abduction) share the
    L5 root but not the peroneal nerve. Sources: [NEUPSY][HARR][DEDUCT-C][EPOMED-C][THREAD-C].
    """
    found_by: dict[str, SideHits] = {"l5": {}, "peroneal": {}, "check": {}}
    sensory = _sensory_counts(exam)
    for side in Side:
        this = exam.lumbar.side(side)
        trigger = motor_reasons(
            side,
            this,
            ("ankle_dorsiflexion", "ankle dorsiflexion"),
            ("ehl", "EHL"),
            ("heel_walk", "heel-walk"),
        )
        regions = involved(exam.foot(side), L5_REGIONS) if sensory else []
        if regions:
            trigger.append(
                regions_reason(
                    side, exam.foot(side), "sensory change in L5 / peroneal skin", regions
                )
            )
        if not trigger:
            continue
        root = motor_reasons(
            side, this, ("inversion", "ankle inversion"), ("hip_abduction", "hip abduction")
        )
        if root:
            found_by["l5"][side] = [*trigger, *root]
            continue
        kind, reasons = _peroneal_or_check(side, exam, trigger, regions)
        found_by[kind][side] = reasons
    l5, peroneal, check = found_by["l5"], found_by["peroneal"], found_by["check"]
    if l5:
        yield WORDING["R7-L5"].suggest("R7-L5", reasons_of(l5), sides_of(l5), codes=ROOT_CODES)
    if peroneal:
        sides = sides_of(peroneal)
        yield WORDING["R7-PERONEAL"].suggest(
            "R7-PERONEAL", reasons_of(peroneal), sides, codes=(lateral_code("G57.3", sides),)
        )
    if check:
        yield WORDING["R7-CHECK"].suggest("R7-CHECK", reasons_of(check), sides_of(check))


def r8_l4(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R8: L4 radiculopathy, or a saphenous nerve cause. Sources: [HARR][GPN][WHEEL]."""
    l4: SideHits = {}
    saphenous: SideHits = {}
    sensory = _sensory_counts(exam)
    for side in Side:
        this = exam.lumbar.side(side)
        found = exam.foot(side)
        reasons: list[Reason] = []
        reflex = _reflex_reason(side, exam, "patellar", "patellar reflex")
        if reflex:
            reasons.append(reflex)
        reasons += motor_reasons(side, this, ("knee_extension", "knee extension"))
        regions = involved(found, L4_REGIONS) if sensory else []
        if regions:
            reasons.append(regions_reason(side, found, "sensory change in L4 skin", regions))
        if not reasons:
            continue
        # "Only medial ankle/foot sensation": among the L4 skin, the medial border and
        # malleolus without the medial leg (plantar nerve findings are judged by R1).
        medial_only = set(involved(found, L4_REGIONS)) == {RegionCode.BD_MED}
        if (
            medial_only
            and reflex is None
            and reflex_tested(this.patellar)
            and full(this.myotomes.knee_extension)
        ):
            saphenous[side] = [
                *reasons,
                r(
                    side,
                    "knee jerk and quadriceps normal",
                    leg(side, "patellar.grade", this.patellar.grade),
                    leg(side, "myotomes.knee_extension", this.myotomes.knee_extension),
                ),
            ]
            continue
        l4[side] = reasons
    if l4:
        yield WORDING["R8-L4"].suggest("R8-L4", reasons_of(l4), sides_of(l4), codes=ROOT_CODES)
    if saphenous:
        yield WORDING["R8-SAPHENOUS"].suggest(
            "R8-SAPHENOUS", reasons_of(saphenous), sides_of(saphenous)
        )


def _slr_reasons(exam: NeuroFootExam, side: Side) -> list[Reason]:
    this = exam.lumbar.side(side)
    slr = this.slr
    reasons: list[Reason] = []
    if positive(this.crossed_slr):
        reasons.append(
            r(
                side,
                "crossed SLR positive (specificity 0.88): a disc cause is more likely",
                leg(side, "crossed_slr", TestResult.POSITIVE),
            )
        )
    leg_symptom = slr.symptom in (SlrSymptom.BELOW_KNEE, SlrSymptom.TO_FOOT)
    if leg_symptom and slr.angle_deg is None:
        reasons.append(
            r(
                side,
                "SLR leg symptoms charted without an angle: record it to judge the test",
                leg(side, "slr.angle_deg", None),
            )
        )
    elif leg_symptom and slr.positive is False:
        reasons.append(
            r(
                side,
                f"SLR leg symptoms at {slr.angle_deg} degrees, outside 30-70: not a positive test",
                leg(side, "slr.symptom", slr.symptom),
                leg(side, "slr.angle_deg", slr.angle_deg),
            )
        )
    elif slr.symptom is SlrSymptom.BACK_ONLY:
        reasons.append(
            r(
                side,
                "SLR reproduced back pain only: negative",
                leg(side, "slr.symptom", slr.symptom),
            )
        )
    elif slr.positive is False:
        reasons.append(
            r(
                side,
                "SLR negative (sensitivity 0.91): a disc cause is less likely",
                leg(side, "slr.symptom", slr.symptom),
            )
        )
    return reasons


def r13_slr(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R13 (as amended in 10.12): SLR interpretation safeguards, for a leg with symptoms only.

    Positive only when the reproduced symptom reaches below the knee at 30-70 degrees; back
    pain alone is negative. More weight to a positive crossed SLR (specificity 0.88) and to a
    negative SLR (sensitivity 0.91) when judging a disc cause. Not shown for a leg without
    symptoms; held back while an urgent flag is unacknowledged. Sources: [WIKI-SLR][PESONEN]
    [DEVILLE].
    """
    hits: SideHits = {}
    back = exam.lumbar.back_pain is YesNo.YES
    for side in Side:
        # A leg with symptoms: below the knee (any field), on a crossed SLR, or in the foot of
        # a patient with back pain (the question a disc cause answers).
        if not (
            leg_symptoms_below_knee(exam, side)
            or positive(exam.lumbar.side(side).crossed_slr)
            or (back and involved(exam.foot(side)))
        ):
            continue
        reasons = _slr_reasons(exam, side)
        if reasons:
            hits[side] = reasons
    if hits:
        yield WORDING["R13"].suggest("R13", reasons_of(hits), sides_of(hits))


def r17_stenosis(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R17: lumbar spinal stenosis, whatever the SLR.

    Neurogenic claudication: walking or standing brings the symptoms on; sitting or bending
    forward relieves them. Counts as a competing cause for the
    pre-operative gate. Sources: [NASS-LSS][SURI-JAMA][RHEUM-LSS].
    """
    claudication = exam.lumbar.claudication
    if claudication.symptoms_walking_standing is not YesNo.YES:
        return
    relief = [
        (name, words)
        for name, words in (
            ("relief_sitting", "sitting"),
            ("relief_bending_forward", "bending forward"),
        )
        if getattr(claudication, name) is YesNo.YES
    ]
    if not relief:
        return
    minutes = claudication.walk_minutes_to_symptoms
    reasons = [
        Reason(
            text="Leg symptoms come on with walking or standing"
            + (f" (after {minutes} minutes of walking)" if minutes is not None else ""),
            findings=(
                fired("lumbar.claudication.symptoms_walking_standing", YesNo.YES),
                *(
                    (fired("lumbar.claudication.walk_minutes_to_symptoms", minutes),)
                    if minutes is not None
                    else ()
                ),
            ),
        ),
        Reason(
            text="Relieved by " + " or ".join(words for _, words in relief),
            findings=tuple(fired(f"lumbar.claudication.{name}", YesNo.YES) for name, _ in relief),
        ),
    ]
    negative = [s for s in Side if exam.lumbar.side(s).slr.positive is False]
    if negative:
        reasons.append(
            Reason(
                text="SLR negative ("
                + ", ".join(s.value for s in negative)
                + "): this does not exclude stenosis",
                findings=tuple(
                    leg(s, "slr.symptom", exam.lumbar.side(s).slr.symptom) for s in negative
                ),
            )
        )
    for side in Side:
        pulses = exam.foot(side).pulses
        if not pulses.charted:
            reasons.append(
                r(
                    side,
                    "pedal pulses not charted: check them to separate vascular claudication",
                    foot(side, "pulses.dorsalis_pedis", pulses.dorsalis_pedis),
                    foot(side, "pulses.posterior_tibial", pulses.posterior_tibial),
                )
            )
        elif pulses.diminished:
            reasons.append(
                r(
                    side,
                    "a pedal pulse is reduced or absent: consider vascular claudication",
                    foot(side, "pulses.dorsalis_pedis", pulses.dorsalis_pedis),
                    foot(side, "pulses.posterior_tibial", pulses.posterior_tibial),
                )
            )
    sides = tuple(s for s in Side if leg_symptomatic(exam, s)) or tuple(Side)
    yield WORDING["R17"].suggest("R17", reasons, sides)
