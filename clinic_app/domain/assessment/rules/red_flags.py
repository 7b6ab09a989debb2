"""Red flags and central signs: R0, R15 and R16.

R0 covers cauda equina and serious pathology, R15 upper motor neuron signs and R16 acute or
progressive major motor weakness.

R0's cauda equina items and R16's new or progressive foot drop are URGENT: they take over the
screen and hold back routine suggestions, handouts and signing until acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from clinic_app.domain.assessment.codes import code
from clinic_app.domain.assessment.findings import fired
from clinic_app.domain.assessment.model import AssessmentContext, Reason, Severity, Suggestion
from clinic_app.domain.assessment.rules.common import (
    SideHits,
    Wording,
    leg,
    r,
    reasons_of,
    sides_of,
)
from clinic_app.domain.exam import (
    Clonus,
    MrcGrade,
    NeuroFootExam,
    PlantarResponse,
    RedFlag,
    ReflexGrade,
    Side,
    WeaknessCourse,
    YesNo,
)

RECENT_DAYS = 14
"""Cauda equina: recent (< 14 days) onset or worsening [BMJBP]."""

CES_FLAGS: tuple[str, ...] = (
    "saddle_numbness",
    "bladder_change",
    "bowel_change",
    "sexual_dysfunction",
    "bilateral_leg_symptoms",
    "progressive_weakness",
)
"""R0 cauda equina items (section 3.6) [BMJBP][AHCPR][NICE-CES]."""

SERIOUS_FLAGS: tuple[str, ...] = (
    "cancer_history",
    "fever_or_systemic",
    "unexplained_weight_loss",
    "iv_drug_or_immunosuppressed",
    "night_or_rest_pain",
)
"""AHCPR 'possible tumour or infection' items (section 3.6) [AHCPR]."""

MAJOR_WEAKNESS_MAX = MrcGrade.G3
"""R16: graded 3/5 or weaker [LOTHIAN]."""
NEW_WEAKNESS_WEEKS = 6
"""R16: new means a charted onset within the last 6 weeks (10.12)."""
MAJOR_MUSCLES: tuple[tuple[str, str], ...] = (
    ("ankle_dorsiflexion", "ankle dorsiflexion"),
    ("ehl", "EHL"),
    ("plantarflexion", "plantarflexion"),
)
"""R16 reads dorsiflexion, great-toe extension and plantarflexion (10.6 fact 5)."""

_MRC_RANK = {MrcGrade.G0: 0, MrcGrade.G1: 1, MrcGrade.G2: 2, MrcGrade.G3: 3}

WORDING: dict[str, Wording] = {
    "R0-CES": Wording(
        rule="R0",
        severity=Severity.URGENT,
        title="Possible cauda equina syndrome: same-day emergency assessment / MRI",
        why=(
            "Delay in cauda equina syndrome causes permanent deficit. Suspect it when leg "
            "or back pain comes with recent bladder or bowel disturbance, saddle numbness, "
            "deficit in both legs or sexual dysfunction."
        ),
        next_step=(
            "Immediate referral for same-day emergency assessment and MRI. A post-void "
            "residual of 200 mL or more makes it more likely; a lower value does not rule "
            "it out."
        ),
        sources=("BMJBP", "AHCPR", "NICE-CES"),
    ),
    "R0-SERIOUS": Wording(
        rule="R0",
        severity=Severity.WARNING,
        title="Serious pathology screen: possible tumour, infection or fracture",
        why="These red flags point to tumour, infection or fracture as the cause of the pain.",
        next_step="Screen for serious pathology before attributing symptoms to the foot.",
        sources=("AHCPR", "BMJBP", "NICE-CES"),
    ),
    "R15": Wording(
        rule="R15",
        severity=Severity.WARNING,
        title="Possible central cause (spinal cord or brain): refer for neurological assessment",
        why=(
            "An extensor plantar response, sustained clonus or brisk reflexes in both legs are "
            "upper motor neuron signs (specific, but often absent). Cord compression can begin "
            "as pins and needles in both feet. Do not attribute foot symptoms to a peripheral "
            "nerve alone."
        ),
        next_step="Refer for neurological assessment.",
        sources=("BABINSKI-SPR", "JABFM-CSM", "NINDS-CDE", "GIBSON-C"),
    ),
    "R16": Wording(
        rule="R16",
        severity=Severity.URGENT,
        title=(
            "Acute or progressive foot drop / major weakness: same-week spinal or "
            "neurosurgical opinion"
        ),
        why=(
            "Severe or progressive leg deficit and major weakness of the dorsiflexors or "
            "plantarflexors are red flags; acute foot drop (3/5 or weaker) needs an early "
            "neurosurgical opinion, and a severe or progressive deficit an MRI."
        ),
        next_step="Arrange a same-week spinal or neurosurgical opinion.",
        sources=("AHCPR", "LOTHIAN", "ACR-LBP"),
    ),
    "R16-CHART": Wording(
        rule="R16",
        severity=Severity.WARNING,
        title="Major weakness: chart when it began and whether it is getting worse",
        why=(
            "Weakness of 3/5 or less that is new (within 6 weeks) or progressive needs a "
            "same-week spinal or neurosurgical opinion; without its onset and course that "
            "cannot be judged."
        ),
        next_step="Chart when the weakness began and whether it is getting worse.",
        sources=("AHCPR", "LOTHIAN", "ACR-LBP"),
    ),
}


def _flag_present(flag: RedFlag) -> bool:
    return flag.present is YesNo.YES


def ces_flags_present(exam: NeuroFootExam) -> tuple[str, ...]:
    """The cauda equina red flags answered yes, in reference order (R0)."""
    return tuple(name for name in CES_FLAGS if _flag_present(getattr(exam.red_flags, name)))


def _onset_words(flag: RedFlag, today: date | None) -> str:
    if flag.onset is None:
        return ""
    if today is None:
        return f", onset {flag.onset.isoformat()}"
    days = (today - flag.onset).days
    recent = " (recent: under 14 days [BMJBP])" if days < RECENT_DAYS else ""
    return f", onset {flag.onset.isoformat()}, {days} days ago{recent}"


def _flag_words(name: str) -> str:
    return name.replace("_", " ").capitalize()


def r0_red_flags(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R0: cauda equina items raise an URGENT banner. Sources: [BMJBP][AHCPR][NICE-CES]."""
    flags = exam.red_flags
    ces = ces_flags_present(exam)
    if not ces:
        return
    reasons = []
    for name in ces:
        flag: RedFlag = getattr(flags, name)
        findings = [fired(f"red_flags.{name}.present", YesNo.YES)]
        if flag.onset:
            findings.append(fired(f"red_flags.{name}.onset", flag.onset.isoformat()))
        reasons.append(
            Reason(
                text=f"{_flag_words(name)}: yes" + _onset_words(flag, ctx.today),
                findings=tuple(findings),
            )
        )
    yield WORDING["R0-CES"].suggest("R0-CES", reasons, codes=(code("G83.4"),))


def r0_serious_pathology(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R0: a "serious pathology screen" flag (tumour, infection or fracture items).

    Cancer, systemic features, IV drugs or immunosuppression, night pain, or major trauma
    with back pain raise it. Age over 50 (or under 20) is an AHCPR item too, but so common in
    this clinic that it only adds a reason when something else fired. [AHCPR][BMJBP][NICE-CES]
    """
    flags = exam.red_flags
    reasons = [
        Reason(
            text=f"{_flag_words(name)}: yes" + _onset_words(getattr(flags, name), ctx.today),
            findings=(fired(f"red_flags.{name}.present", YesNo.YES),),
        )
        for name in SERIOUS_FLAGS
        if _flag_present(getattr(flags, name))
    ]
    if _flag_present(flags.significant_trauma) and exam.lumbar.back_pain is YesNo.YES:
        reasons.append(
            Reason(
                text="Significant trauma with back pain (possible fracture)",
                findings=(
                    fired("red_flags.significant_trauma.present", YesNo.YES),
                    fired("lumbar.back_pain", YesNo.YES),
                ),
            )
        )
    if not reasons:
        return
    age = ctx.patient.age
    if _flag_present(flags.age_over_50):
        reasons.append(
            Reason(
                text="Age over 50 (an AHCPR tumour/infection item)",
                findings=(fired("red_flags.age_over_50.present", YesNo.YES),),
            )
        )
    elif age is not None and (age > 50 or age < 20):
        reasons.append(Reason(text=f"Age {age} (over 50 or under 20 is an AHCPR item)"))
    yield WORDING["R0-SERIOUS"].suggest("R0-SERIOUS", reasons)


# --- R15: central (upper motor neuron) signs -------------------------------------------------

_HYPER = (ReflexGrade.BRISK, ReflexGrade.CLONUS)


def r15_central(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R15: central (upper motor neuron) signs.

    An extensor plantar response, sustained ankle clonus (or a reflex graded 4+, clonus), or
    ankle and knee jerks 3+ or more on both sides. Counts as a competing cause for the
    pre-operative gate on either side (a central cause is not a matter of one foot).
    Sources: [BABINSKI-SPR][JABFM-CSM][NINDS-CDE][GIBSON-C].
    """
    lumbar = exam.lumbar
    hits: SideHits = {}
    for side in Side:
        this = lumbar.side(side)
        reasons = hits.setdefault(side, [])
        if this.plantar_response is PlantarResponse.EXTENSOR:
            reasons.append(
                r(
                    side,
                    "extensor (upgoing) plantar response",
                    leg(side, "plantar_response", this.plantar_response),
                )
            )
        if this.ankle_clonus is Clonus.SUSTAINED:
            reasons.append(
                r(side, "sustained ankle clonus", leg(side, "ankle_clonus", this.ankle_clonus))
            )
        for name, label in (("achilles", "Achilles"), ("patellar", "patellar")):
            grade = getattr(this, name).grade
            if grade is ReflexGrade.CLONUS:
                reasons.append(
                    r(
                        side,
                        f"{label} reflex 4+ (clonus: always abnormal)",
                        leg(side, f"{name}.grade", grade),
                    )
                )
    both_brisk = all(
        getattr(lumbar.side(side), name).grade in _HYPER
        for side in Side
        for name in ("achilles", "patellar")
    )
    reasons_both: list[Reason] = []
    if both_brisk:
        reasons_both.append(
            Reason(
                text="Ankle and knee jerks 3+ or more on both sides (hyperreflexia)",
                findings=tuple(
                    leg(side, f"{name}.grade", getattr(lumbar.side(side), name).grade)
                    for side in Side
                    for name in ("achilles", "patellar")
                ),
            )
        )
    if not (reasons_of(hits) or reasons_both):
        return
    sides = tuple(Side) if both_brisk else sides_of(hits)
    yield WORDING["R15"].suggest("R15", [*reasons_of(hits), *reasons_both], sides)


# --- R16: acute or progressive major motor weakness ------------------------------------------


def _major_weakness(exam: NeuroFootExam, side: Side) -> list[tuple[str, str, MrcGrade]]:
    myotomes = exam.lumbar.side(side).myotomes
    return [
        (name, label, getattr(myotomes, name))
        for name, label in MAJOR_MUSCLES
        if getattr(myotomes, name) in _MRC_RANK
        and _MRC_RANK[getattr(myotomes, name)] <= _MRC_RANK[MAJOR_WEAKNESS_MAX]
    ]


def major_weakness_flag(side: Side) -> str:
    """The urgent flag name R16 raises for one side."""
    return f"major_weakness_{side.value}"


def urgent_weakness(exam: NeuroFootExam) -> dict[Side, str]:
    """Sides with new or progressive major weakness (R16 urgent), each with its exam path."""
    found: dict[Side, str] = {}
    for side in Side:
        weak = _major_weakness(exam, side)
        if not weak:
            continue
        this = exam.lumbar.side(side)
        onset = this.weakness_onset_weeks
        progressive = (
            this.weakness_course is WeaknessCourse.WORSE
            or exam.red_flags.progressive_weakness.present is YesNo.YES
        )
        if progressive or (onset is not None and onset <= NEW_WEAKNESS_WEEKS):
            found[side] = f"lumbar.{side.value}.myotomes.{weak[0][0]}"
    return found


def r16_major_weakness(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R16: acute or progressive major motor weakness, URGENT beside R0.

    Dorsiflexion, EHL or plantarflexion 3/5 or weaker, new (within 6 weeks) or progressive.
    Charted without onset or course: a warning to chart them. Sources: [AHCPR][LOTHIAN][ACR-LBP].
    """
    urgent: SideHits = {}
    chart: SideHits = {}
    for side in Side:
        weak = _major_weakness(exam, side)
        if not weak:
            continue
        this = exam.lumbar.side(side)
        reasons = [
            r(side, f"{label} {grade.value}/5", leg(side, f"myotomes.{name}", grade))
            for name, label, grade in weak
        ]
        onset = this.weakness_onset_weeks
        course = this.weakness_course
        flag = exam.red_flags.progressive_weakness.present is YesNo.YES
        new = onset is not None and onset <= NEW_WEAKNESS_WEEKS
        if new:
            reasons.append(
                r(side, f"began {onset} weeks ago (new)", leg(side, "weakness_onset_weeks", onset))
            )
        if course is WeaknessCourse.WORSE:
            reasons.append(r(side, "getting worse", leg(side, "weakness_course", course)))
        if flag:
            reasons.append(
                Reason(
                    text="Severe or progressive leg weakness: yes",
                    findings=(fired("red_flags.progressive_weakness.present", YesNo.YES),),
                )
            )
        if new or course is WeaknessCourse.WORSE or flag:
            urgent[side] = reasons
        elif onset is None or course is WeaknessCourse.NOT_TESTED:
            missing = [
                *([leg(side, "weakness_onset_weeks", None)] if onset is None else []),
                *(
                    [leg(side, "weakness_course", course)]
                    if course is WeaknessCourse.NOT_TESTED
                    else []
                ),
            ]
            chart[side] = [
                *reasons,
                r(
                    side,
                    "not charted: "
                    + " and ".join(
                        w
                        for w, m in (
                            ("when the weakness began", onset is None),
                            ("its course", course is WeaknessCourse.NOT_TESTED),
                        )
                        if m
                    ),
                    *missing,
                ),
            ]
    if urgent:
        yield WORDING["R16"].suggest("R16", reasons_of(urgent), sides_of(urgent))
    if chart:
        yield WORDING["R16-CHART"].suggest("R16-CHART", reasons_of(chart), sides_of(chart))
