"""Coexistence and the pre-operative gate: R10 (double crush) and R11 (as amended in 10.12).

The gate asks, for each side a tarsal tunnel release is planned on, for the case *for the
foot* as well as a screen of the spine: a complete lumbar screen, the foot pulses, evidence
for the tarsal tunnel, a written reason when a competing cause is active, and nerve studies
(or the clinician's explicit acknowledgement that there are none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from clinic_app.domain.assessment.findings import fired
from clinic_app.domain.assessment.model import (
    ACKNOWLEDGED_ITEMS,
    OVERRIDABLE_ITEMS,
    AssessmentContext,
    Gate,
    GateCheck,
    GateItem,
    GateState,
    Reason,
    Severity,
    Suggestion,
)
from clinic_app.domain.assessment.rules.common import Wording, reasons_of, side_word, sides_of
from clinic_app.domain.assessment.rules.tibial import plantar_study_abnormal, tibial_evidence
from clinic_app.domain.exam import (
    NcsResult,
    NeedleEmg,
    NeuroFootExam,
    Side,
    SlrSymptom,
    TunnelImaging,
    YesNo,
)
from clinic_app.domain.layout import get_path

LUMBAR_RULES = frozenset({"R6", "R7", "R8", "R9"})
"""The lumbar and polyneuropathy rules R10 reads for coexistence."""
COMPETING_RULES = frozenset({"R6", "R7", "R8", "R9", "R15", "R16", "R17"})
"""Competing causes: while one is active for a side, the gate asks why the foot is primary."""
WHOLE_PATIENT_RULES = frozenset({"R9", "R15", "R17"})
"""Competing causes that are not a matter of one foot: they count for every planned side."""
REASON_PATH = "assessment.foot_primary_reason"

WORDING: dict[str, Wording] = {
    "R10": Wording(
        rule="R10",
        severity=Severity.WARNING,
        title="Possible coexisting lumbar radiculopathy or polyneuropathy (double crush)",
        why=(
            "Coexistence is real: 27 of 561 (4.8%) patients with radiculopathy had TTS on nerve "
            "conduction. Coexisting disc disease or neuropathy predicted poor results after "
            "revision surgery; low back pain and diabetes predicted poor primary release outcomes."
        ),
        next_step="Complete the lumbar screen and electrodiagnosis before a surgical referral.",
        sources=("UPTON", "WILBOURN", "ZHENG", "BARKER", "GULCEK"),
    ),
    "R11": Wording(
        rule="R11",
        severity=Severity.WARNING,
        title="Pre-operative gate: tarsal tunnel release planned",
        why=(
            "Incorrect first diagnosis and double crush are recognised causes of failed or "
            "recurrent tarsal tunnel surgery; misdiagnosis between lumbar disease and "
            "peripheral entrapment leads to failed surgery. A numb foot alone is not a reason "
            "to release the tunnel."
        ),
        next_step="Signing waits until every item of the gate is met for each planned side.",
        sources=(
            "DOWNEY",
            "MISJ",
            "ANTON",
            "YALC",
            "BARKER",
            "MED-WORKUP",
            "AHMAD",
            "IWGDF-PAD-SUM",
            "POM",
        ),
    ),
}


def r10_coexistence(exam: NeuroFootExam, lumbar_found: list[Suggestion]) -> Iterable[Suggestion]:
    """R10: tibial findings together with any R6-R9 flag; never suppressed.

    Reads R1's positive half (plantar-nerve symptoms plus a positive provocation), because
    R1's rule-outs (symmetric Achilles, negative SLR) are the very findings R6 reports: read
    literally, R1 and R6 could rarely fire together and the alert would never show.
    Sources: [UPTON][WILBOURN][ZHENG][BARKER][GULCEK].
    """
    if not lumbar_found:
        return
    hits = {side: evidence for side in Side if (evidence := tibial_evidence(side, exam))}
    if not hits:
        return
    reasons = [*reasons_of(hits), *(Reason(text=f"{s.key}: {s.title}") for s in lumbar_found)]
    yield WORDING["R10"].suggest("R10", reasons, sides_of(hits))


def lumbar_missing(exam: NeuroFootExam) -> tuple[str, ...]:
    """R11 item 1: the lumbar-screen items not tested, in form order.

    The reference lists SLR, slump, patellar/Achilles reflexes, EHL, plantarflexion, hip
    abduction and the back-pain history [DOWNEY][MISJ]; the gate asks for every lumbar-screen
    item the rules R6-R8 and R13 read, on both legs (asymmetry needs both).
    """
    lumbar = exam.lumbar
    missing: list[str] = []
    if lumbar.back_pain is YesNo.NOT_TESTED:
        missing.append("lumbar.back_pain")
    for side in Side:
        this = lumbar.side(side)
        prefix = f"lumbar.{side.value}"
        if this.leg_pain_below_knee is YesNo.NOT_TESTED:
            missing.append(f"{prefix}.leg_pain_below_knee")
        if not this.slr.tested:
            missing.append(f"{prefix}.slr.symptom")
        elif this.slr.symptom in (SlrSymptom.BELOW_KNEE, SlrSymptom.TO_FOOT) and (
            this.slr.angle_deg is None
        ):
            missing.append(f"{prefix}.slr.angle_deg")
        checks = {
            "crossed_slr": this.crossed_slr.value,
            "slump.result": this.slump.result.value,
            "patellar.grade": this.patellar.grade.value,
            "achilles.grade": this.achilles.grade.value,
            **{
                f"myotomes.{name}": getattr(this.myotomes, name).value
                for name in type(this.myotomes).model_fields
            },
        }
        missing.extend(
            f"{prefix}.{path}" for path, value in checks.items() if value == "not_tested"
        )
    return tuple(missing)


def _tunnel_evidence(exam: NeuroFootExam, side: Side, found: Sequence[Suggestion]) -> bool:
    """Item 3: R1 fires for the side, a plantar study is abnormal, or imaging shows a lesion."""
    r1 = any(s.key == "R1" and side in s.sides for s in found)
    lesion = exam.foot(side).imaging_tunnel is TunnelImaging.SPACE_OCCUPYING_LESION
    return r1 or bool(plantar_study_abnormal(exam, side)) or lesion


def _studies_recorded(exam: NeuroFootExam, side: Side) -> bool:
    """Item 5: a plantar nerve study or a needle EMG result is recorded for the side."""
    ncs = exam.foot(side).nerve_conduction
    return (
        ncs.medial_plantar is not NcsResult.NOT_TESTED
        or ncs.lateral_plantar is not NcsResult.NOT_TESTED
        or ncs.needle_emg is not NeedleEmg.NOT_TESTED
    )


def competing_causes(side: Side, found: Sequence[Suggestion]) -> list[Suggestion]:
    """Active competing causes (R6-R9, R15-R17) that count for one side."""
    return [
        s
        for s in found
        if s.rule in COMPETING_RULES
        and (side in s.sides or s.rule in WHOLE_PATIENT_RULES or not s.sides)
    ]


def _side_checks(
    exam: NeuroFootExam, ctx: AssessmentContext, side: Side, found: Sequence[Suggestion]
) -> tuple[list[GateCheck], list[str]]:
    checks: list[GateCheck] = []
    advisories: list[str] = []
    missing = lumbar_missing(exam)
    if missing:
        checks.append(
            GateCheck(
                item=GateItem.LUMBAR_SCREEN,
                side=side,
                label=f"Lumbar screen incomplete: {len(missing)} item"
                f"{'s' if len(missing) != 1 else ''} not tested",
                paths=missing,
            )
        )
    pulses = exam.foot(side).pulses
    if not pulses.charted:
        checks.append(
            GateCheck(
                item=GateItem.VASCULAR_SCREEN,
                side=side,
                label="Vascular screen: chart the dorsalis pedis and posterior tibial pulses",
                paths=tuple(
                    f"{side.value}.pulses.{name}"
                    for name in ("dorsalis_pedis", "posterior_tibial")
                    if getattr(pulses, name).value == "not_tested"
                ),
            )
        )
    elif pulses.diminished:
        advisories.append(
            f"{side_word(side)}: a foot pulse is reduced or absent: ankle-brachial or toe "
            "pressure before surgery [IWGDF-PAD-SUM][ETG-PAD]"
        )
    if not _tunnel_evidence(exam, side, found):
        checks.append(
            GateCheck(
                item=GateItem.TUNNEL_EVIDENCE,
                side=side,
                label="No evidence for a tarsal tunnel problem on this side (no tarsal tunnel "
                "pattern, no abnormal plantar nerve study, no lesion on imaging)",
                paths=(
                    f"{side.value}.tinel.tarsal_tunnel.result",
                    f"{side.value}.provocation.dorsiflexion_eversion",
                    f"{side.value}.provocation.triple_compression",
                    f"{side.value}.nerve_conduction.medial_plantar",
                    f"{side.value}.nerve_conduction.lateral_plantar",
                    f"{side.value}.imaging_tunnel",
                ),
            )
        )
    competing = competing_causes(side, found)
    if competing and not ctx.foot_primary_reason.strip():
        rules = sorted({s.rule for s in competing}, key=lambda rule: int(rule[1:]))
        checks.append(
            GateCheck(
                item=GateItem.COMPETING_CAUSES,
                side=side,
                label=f"Competing causes active ({', '.join(rules)}): write why the foot is "
                "the primary source",
                paths=(REASON_PATH,),
            )
        )
    if not _studies_recorded(exam, side):
        checks.append(
            GateCheck(
                item=GateItem.NERVE_STUDIES,
                side=side,
                label="No electrodiagnostic confirmation (plantar nerve studies or needle EMG) "
                "[MED-WORKUP]: acknowledge to sign without it",
                paths=(
                    f"{side.value}.nerve_conduction.medial_plantar",
                    f"{side.value}.nerve_conduction.lateral_plantar",
                    f"{side.value}.nerve_conduction.needle_emg",
                ),
            )
        )
    return checks, advisories


def pre_operative_gate(
    exam: NeuroFootExam, ctx: AssessmentContext, found: Sequence[Suggestion]
) -> Gate:
    """R11 (as amended in 10.12): the gate's verdict for every planned side.

    Items 3 and 4 pass only by a named, timed, audited override; item 5 by an explicit
    acknowledgement (studies can be falsely negative [AHMAD]). Sources: [DOWNEY][MISJ][ANTON]
    [YALC][BARKER][MED-WORKUP][IWGDF-PAD-SUM][ETG-PAD][POM].
    """
    if not ctx.release_sides:
        return Gate()
    unmet: list[GateCheck] = []
    overridden: list[GateCheck] = []
    acknowledged: list[GateCheck] = []
    advisories: list[str] = []
    for side in ctx.release_sides:
        checks, notes = _side_checks(exam, ctx, side, found)
        advisories += notes
        for check in checks:
            if check.item in OVERRIDABLE_ITEMS and ctx.gate_overridden:
                overridden.append(check)
            elif check.item in ACKNOWLEDGED_ITEMS and ctx.no_studies_acknowledged:
                acknowledged.append(check)
            else:
                unmet.append(check)
    if unmet:
        state = GateState.BLOCKED
    elif overridden:
        state = GateState.OVERRIDDEN
    else:
        state = GateState.OPEN
    return Gate(
        state=state,
        sides=ctx.release_sides,
        unmet=tuple(unmet),
        overridden=tuple(overridden),
        acknowledged=tuple(acknowledged),
        advisories=tuple(advisories),
    )


def r11_gate(exam: NeuroFootExam, ctx: AssessmentContext, gate: Gate) -> Iterable[Suggestion]:
    """R11: the gate's card, shown while a planned release could not be signed."""
    if gate.state is not GateState.BLOCKED:
        return
    data = exam.model_dump(mode="json")
    reasons = [
        Reason(
            text=f"{side_word(check.side)}: {check.label}",
            findings=tuple(fired(path, _value_at(data, ctx, path)) for path in check.paths),
        )
        for check in gate.unmet
    ]
    yield WORDING["R11"].suggest("R11", reasons, ctx.release_sides)


def _value_at(data: dict[str, Any], ctx: AssessmentContext, path: str) -> object:
    """The charted value at an exam path (the written reason for the reason's path)."""
    if path == REASON_PATH:
        return ctx.foot_primary_reason
    try:
        return get_path(data, path)
    except KeyError:
        return "not_tested"
