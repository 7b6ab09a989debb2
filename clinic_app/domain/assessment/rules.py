"""Rules R0-R14 (clinical-reference.md section 4): pure functions of the exam and its context.

Each rule reads the typed exam and returns suggestions ("consider ..."), never a diagnosis.
Several rules may fire together; coexistence (R10) is never suppressed. An unacknowledged
cauda equina red flag (R0) holds back the routine foot suggestions (R1-R5) until the clinician
acknowledges it. Source tags stay beside each rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from clinic_app.domain.assessment.codes import CODE_SYSTEM, CODE_VERSION, code, lateral_code
from clinic_app.domain.assessment.findings import (
    BORDER_DORSUM_LEG,
    HEEL,
    L4_REGIONS,
    L5_REGIONS,
    MEDIAL_HEEL,
    PLANTAR_NERVE,
    PLANTAR_REGIONS,
    S1_REGIONS,
    SUPERFICIAL_PERONEAL_AREA,
    SURAL_AREA,
    charted_normal,
    fired,
    full,
    involved,
    names,
    not_normal,
    other,
    reduced_both,
    reduced_on_one_side,
    reflex_tested,
    region_findings,
    region_path,
    stocking_pattern,
    symmetric_normal,
    untested,
    weak,
    with_symptom,
)
from clinic_app.domain.assessment.model import (
    SEVERITY_ORDER,
    Assessment,
    AssessmentContext,
    Confidence,
    FiredFinding,
    Reason,
    Severity,
    Suggestion,
)
from clinic_app.domain.exam import (
    FootExam,
    Functional,
    LumbarSide,
    Monofilament,
    MrcGrade,
    NcsResult,
    NeuroFootExam,
    RedFlag,
    Side,
    SlrSymptom,
    Symptom,
    TestResult,
    Vibration,
    YesNo,
)
from clinic_app.domain.regions import RegionCode, RegionGroup, regions_in

Rule = Callable[[NeuroFootExam, AssessmentContext], Iterable[Suggestion]]

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

ROUTINE_FOOT_RULES = frozenset({"R1", "R2", "R3", "R4", "R5"})
"""Held back while a cauda equina flag is unacknowledged (R0: suppress routine TTS suggestions)."""

LUMBAR_RULES = frozenset({"R6", "R7", "R8", "R9"})


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


def r0_red_flags(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R0: cauda equina items raise an URGENT banner; tumour/infection/fracture a screen flag.

    Sources: [BMJBP][AHCPR][NICE-CES].
    """
    flags = exam.red_flags
    ces = ces_flags_present(exam)
    if ces:
        yield Suggestion(
            key="R0-CES",
            rule="R0",
            severity=Severity.URGENT,
            title="Possible cauda equina syndrome: same-day emergency assessment / MRI",
            reasons=tuple(
                Reason(
                    text=f"{name.replace('_', ' ').capitalize()}: yes"
                    + _onset_words(getattr(flags, name), ctx.today),
                    findings=(
                        fired(f"red_flags.{name}.present", YesNo.YES),
                        *(
                            (
                                fired(
                                    f"red_flags.{name}.onset",
                                    getattr(flags, name).onset.isoformat(),
                                ),
                            )
                            if getattr(flags, name).onset
                            else ()
                        ),
                    ),
                )
                for name in ces
            ),
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
        )


SERIOUS_FLAGS: tuple[str, ...] = (
    "cancer_history",
    "fever_or_systemic",
    "unexplained_weight_loss",
    "iv_drug_or_immunosuppressed",
    "night_or_rest_pain",
)
"""AHCPR 'possible tumour or infection' items (section 3.6) [AHCPR]."""


def r0_serious_pathology(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R0: a "serious pathology screen" flag (tumour, infection or fracture items).

    Cancer, systemic features, IV drugs or immunosuppression, night pain, or major trauma
    with back pain raise it.
    Age over 50 (or under 20) is an AHCPR item too, but so common in this clinic that it only
    adds a reason when something else fired. Sources: [AHCPR][BMJBP][NICE-CES].
    """
    flags = exam.red_flags
    reasons = [
        Reason(
            text=f"{name.replace('_', ' ').capitalize()}: yes"
            + _onset_words(getattr(flags, name), ctx.today),
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
    yield Suggestion(
        key="R0-SERIOUS",
        rule="R0",
        severity=Severity.WARNING,
        title="Serious pathology screen: possible tumour, infection or fracture",
        reasons=tuple(reasons),
        why="These red flags point to tumour, infection or fracture as the cause of the pain.",
        next_step="Screen for serious pathology before attributing symptoms to the foot.",
        sources=("AHCPR", "BMJBP", "NICE-CES"),
    )


# --- per-side helpers ----------------------------------------------------------------------


SideHits = dict[Side, list[Reason]]


def _side_word(side: Side) -> str:
    return side.value.capitalize()


def _sides(hits: SideHits) -> tuple[Side, ...]:
    return tuple(side for side in Side if hits.get(side))


def _reasons(hits: SideHits) -> tuple[Reason, ...]:
    return tuple(reason for side in Side for reason in hits.get(side, ()))


def _r(side: Side, text: str, *findings: FiredFinding) -> Reason:
    return Reason(text=f"{_side_word(side)}: {text}", findings=findings)


def _foot(side: Side, path: str, value: object) -> FiredFinding:
    return fired(f"{side.value}.{path}", value)


def _leg(side: Side, path: str, value: object) -> FiredFinding:
    return fired(f"lumbar.{side.value}.{path}", value)


def _regions_reason(side: Side, foot: FootExam, text: str, codes: list[RegionCode]) -> Reason:
    return _r(side, f"{text}: {names(codes)}", *region_findings(side, foot, codes))


def _positive(result: TestResult) -> bool:
    return result is TestResult.POSITIVE


def _tibial_evidence(side: Side, exam: NeuroFootExam) -> list[Reason] | None:
    """Plantar-nerve symptoms plus a positive local provocation test (R1's positive half)."""
    foot = exam.foot(side)
    plantar = involved(foot, PLANTAR_NERVE)
    provocations = [
        (path, result)
        for path, result in (
            ("tinel.tarsal_tunnel.result", foot.tinel.tarsal_tunnel.result),
            ("provocation.dorsiflexion_eversion", foot.provocation.dorsiflexion_eversion),
            ("provocation.triple_compression", foot.provocation.triple_compression),
        )
        if _positive(result)
    ]
    if not plantar or not provocations:
        return None
    words = {
        "tinel.tarsal_tunnel.result": "Tinel at the tarsal tunnel",
        "provocation.dorsiflexion_eversion": "dorsiflexion-eversion test",
        "provocation.triple_compression": "triple compression stress test",
    }
    return [
        _regions_reason(side, foot, "nerve symptoms in plantar-nerve skin", plantar),
        _r(
            side,
            "positive " + ", ".join(words[path] for path, _ in provocations),
            *(_foot(side, path, result) for path, result in provocations),
        ),
    ]


def _tts_rule_outs(side: Side, exam: NeuroFootExam) -> tuple[list[Reason], list[str], list[str]]:
    """R1's rule-outs: contradicted (reasons), not tested (paths), equivocal (paths).

    An equivocal slump neither rules out nor contradicts: it leaves the check open (R1-CHECK).
    """
    foot = exam.foot(side)
    lumbar = exam.lumbar
    contradicted: list[Reason] = []
    missing: list[str] = []
    equivocal: list[str] = []
    bad = involved(foot, BORDER_DORSUM_LEG)
    if bad:
        contradicted.append(_regions_reason(side, foot, "borders, dorsum or leg involved", bad))
    missing.extend(region_path(side, c) for c in untested(foot, BORDER_DORSUM_LEG))
    achilles = symmetric_normal(lumbar.right.achilles, lumbar.left.achilles)
    if achilles is None:
        missing.extend(
            f"lumbar.{s.value}.achilles.grade"
            for s in Side
            if not reflex_tested(lumbar.side(s).achilles)
        )
    elif not achilles:
        contradicted.append(
            Reason(
                text="Achilles reflexes not symmetric and normal "
                f"(right {lumbar.right.achilles.grade.value}, "
                f"left {lumbar.left.achilles.grade.value})",
                findings=(
                    _leg(Side.RIGHT, "achilles.grade", lumbar.right.achilles.grade),
                    _leg(Side.LEFT, "achilles.grade", lumbar.left.achilles.grade),
                ),
            )
        )
    leg = lumbar.side(side)
    slr = leg.slr.positive
    if slr is None:
        missing.append(
            f"lumbar.{side.value}.slr." + ("symptom" if not leg.slr.tested else "angle_deg")
        )
    elif slr:
        contradicted.append(_r(side, "SLR positive", _leg(side, "slr.symptom", leg.slr.symptom)))
    if leg.slump.result is TestResult.NOT_TESTED:
        missing.append(f"lumbar.{side.value}.slump.result")
    elif leg.slump.result is TestResult.EQUIVOCAL:
        equivocal.append(f"lumbar.{side.value}.slump.result")
    elif leg.slump.result is not TestResult.NEGATIVE:
        contradicted.append(
            _r(
                side,
                f"slump test {leg.slump.result.value}",
                _leg(side, "slump.result", leg.slump.result),
            )
        )
    return contradicted, missing, equivocal


TTS_WHY = (
    "Typical distribution plus local provocation. The diagnosis needs clinical, neurological "
    "and neurophysiological findings; nerve studies can be falsely negative."
)


def r1_r2_tibial(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R1: the tibial-nerve / TTS pattern; R2: heel sparing raises its confidence one step.

    R1 sources: [S25][KIN][TCST][ZHENG][ANTON]; caveat [AHMAD]. R2: [MISJ][S25][POM][DELLON02]
    [RG-MCN]. When the positive half holds and no rule-out is contradicted but some are not
    tested yet, R1-CHECK lists them (blank is never read as normal).
    """
    pattern: SideHits = {}
    check: SideHits = {}
    heel_spared: SideHits = {}
    for side in Side:
        evidence = _tibial_evidence(side, exam)
        if evidence is None:
            continue
        contradicted, missing, equivocal = _tts_rule_outs(side, exam)
        if contradicted:
            continue
        if missing or equivocal:
            open_items: list[Reason] = []
            if missing:
                open_items.append(
                    Reason(
                        text=f"{_side_word(side)}: not yet tested: "
                        + ", ".join(_short(path) for path in missing),
                        findings=tuple(fired(path, "not_tested") for path in missing),
                    )
                )
            if equivocal:
                open_items.append(
                    Reason(
                        text=f"{_side_word(side)}: equivocal: "
                        + ", ".join(_short(path) for path in equivocal),
                        findings=tuple(fired(path, "equivocal") for path in equivocal),
                    )
                )
            check[side] = [*evidence, *open_items]
            continue
        foot = exam.foot(side)
        pattern[side] = [
            *evidence,
            _r(side, "borders, dorsum and leg charted normal"),
            Reason(text="Achilles reflexes symmetric and normal"),
            _r(side, "SLR and slump negative"),
        ]
        if all(charted_normal(foot.sensory.region(c)) for c in HEEL):
            heel_spared[side] = [
                _regions_reason(side, foot, "heel charted normal (spared)", list(HEEL))
            ]
    if pattern:
        sides = _sides(pattern)
        spared_everywhere = all(side in heel_spared for side in sides)
        yield Suggestion(
            key="R1",
            rule="R1",
            severity=Severity.SUGGESTION,
            title="Pattern consistent with tarsal tunnel syndrome",
            sides=sides,
            confidence=Confidence.HIGH if spared_everywhere else Confidence.MODERATE,
            reasons=_reasons(pattern),
            why=TTS_WHY,
            next_step=(
                "Consider nerve conduction (medial and lateral plantar studies) and ultrasound "
                "or MRI if a mass or ganglion is suspected."
            ),
            sources=("S25", "KIN", "TCST", "ZHENG", "ANTON", "AHMAD"),
            codes=(lateral_code("G57.5", sides),),
        )
    if heel_spared:
        yield Suggestion(
            key="R2",
            rule="R2",
            severity=Severity.SUGGESTION,
            title="Heel spared: tarsal tunnel confidence raised one step",
            sides=_sides(heel_spared),
            reasons=_reasons(heel_spared),
            why=(
                "The heel branch often leaves the tibial nerve above the tunnel, but its origin "
                "varies; an involved heel does not lower the confidence by itself."
            ),
            sources=("MISJ", "S25", "POM", "DELLON02", "RG-MCN"),
        )
    if check:
        yield Suggestion(
            key="R1-CHECK",
            rule="R1",
            severity=Severity.SUGGESTION,
            title="Tibial nerve findings: finish the rule-outs before reading this as tarsal "
            "tunnel syndrome",
            sides=_sides(check),
            reasons=_reasons(check),
            why=TTS_WHY + " The pattern also needs normal borders, dorsum and leg, symmetric "
            "Achilles reflexes and a negative SLR and slump.",
            next_step="Chart the items not yet tested; repeat or weigh an equivocal test.",
            sources=("S25", "KIN", "TCST", "ZHENG", "ANTON"),
        )


def _short(path: str) -> str:
    """A compact, readable name for a path in a reason line."""
    parts = path.split(".")
    if parts[1:3] == ["sensory", "regions"]:
        return parts[3]
    return " ".join(p.replace("_", " ") for p in parts[1:] if p not in ("grade", "result"))


def r3_medial_calcaneal(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R3: burning or tingling confined to the medial heel with a positive MCN Tinel.

    Sources: [ACIBADEM][TMA][BARRETT]; the nerve-block idea from [HEELTHAT-C]. Confidence is
    low-moderate: the evidence is thin. No dedicated ICD-10-CM code exists; G57.6x vs G57.8x
    is unverified, so no code is suggested.
    """
    hits: SideHits = {}
    for side in Side:
        foot = exam.foot(side)
        nerve = involved(foot)
        heel = with_symptom(foot, MEDIAL_HEEL, frozenset({Symptom.BURNING, Symptom.TINGLING}))
        if not nerve or not heel or not set(nerve) <= set(MEDIAL_HEEL):
            continue
        if not _positive(foot.tinel.medial_calcaneal.result):
            continue
        if not_normal(foot, PLANTAR_NERVE):
            continue
        hits[side] = [
            _regions_reason(side, foot, "burning or tingling confined to the medial heel", heel),
            _r(
                side,
                "Tinel positive over the medial calcaneal branch",
                _foot(side, "tinel.medial_calcaneal.result", TestResult.POSITIVE),
            ),
            _r(side, "medial and lateral plantar regions charted normal"),
        ]
    if hits:
        yield Suggestion(
            key="R3",
            rule="R3",
            severity=Severity.SUGGESTION,
            title="Possible medial calcaneal nerve entrapment",
            sides=_sides(hits),
            confidence=Confidence.LOW,
            reasons=_reasons(hits),
            why=(
                "The medial calcaneal nerve supplies most of the heel's skin. In one heel-pain "
                "series more than 72% of 84 patients had a sensory disturbance of this nerve "
                "and/or tarsal tunnel syndrome."
            ),
            next_step="Consider a diagnostic nerve block.",
            sources=("ACIBADEM", "TMA", "BARRETT", "HEELTHAT-C"),
            coding_note=UNVERIFIED_BRANCH_CODES,
        )


UNVERIFIED_BRANCH_CODES = (
    "No dedicated ICD-10-CM code. G57.6x vs G57.8x is unverified against the Alphabetic "
    "Index: leave the choice to a coder."
)


def _heel_pain(foot: FootExam) -> list[RegionCode]:
    return with_symptom(foot, MEDIAL_HEEL, frozenset({Symptom.PAIN}))


def r4_baxter(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R4: heel pain with local tenderness, a normal sensory map and pain building with activity.

    Sources: [RADSRC][RONDHUIS][SKELRAD][ONEPOINT-C]. No verified code (see R3).
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
        foot = exam.foot(side)
        pain = _heel_pain(foot)
        tender = [
            name
            for name in ("abductor_hallucis_origin", "medial_calcaneal_tubercle")
            if getattr(foot.tenderness, name) is YesNo.YES
        ]
        if not pain or not tender or involved(foot) or not_normal(foot, PLANTAR_REGIONS):
            continue
        reasons = [
            _regions_reason(side, foot, "heel pain", pain),
            _r(
                side,
                "tender at the " + " and ".join(t.replace("_", " ") for t in tender),
                *(_foot(side, f"tenderness.{t}", YesNo.YES) for t in tender),
            ),
            _r(side, "sole charted normal: no sensory change"),
            Reason(
                text="Pain builds with activity, not worst at the first step",
                findings=(
                    fired("history.first_step_pain", YesNo.NO),
                    *(fired(f"history.{a}", YesNo.YES) for a in activity),
                ),
            ),
        ]
        if weak(foot.intrinsics.little_toe_abduction):
            reasons.append(
                _r(
                    side,
                    "little-toe abduction weak",
                    _foot(
                        side,
                        "intrinsics.little_toe_abduction",
                        foot.intrinsics.little_toe_abduction,
                    ),
                )
            )
        if foot.inspection.wasting_abductor_digiti_minimi is YesNo.YES:
            reasons.append(
                _r(
                    side,
                    "abductor digiti minimi wasting",
                    _foot(side, "inspection.wasting_abductor_digiti_minimi", YesNo.YES),
                )
            )
        if _positive(foot.tinel.baxter.result):
            reasons.append(
                _r(
                    side,
                    "Tinel positive at the Baxter site",
                    _foot(side, "tinel.baxter.result", TestResult.POSITIVE),
                )
            )
        hits[side] = reasons
    if hits:
        yield Suggestion(
            key="R4",
            rule="R4",
            severity=Severity.SUGGESTION,
            title="Consider Baxter's (inferior calcaneal) nerve entrapment",
            sides=_sides(hits),
            reasons=_reasons(hits),
            why=(
                "The nerve has no useful skin territory and abductor digiti minimi weakness is "
                "hard to detect; it is reported to cause up to 20% of heel pain and mimics "
                "plantar fasciitis."
            ),
            next_step="MRI fatty atrophy of abductor digiti minimi supports it.",
            sources=("RADSRC", "RONDHUIS", "SKELRAD", "ONEPOINT-C"),
            coding_note=UNVERIFIED_BRANCH_CODES,
        )


def r5_plantar_fasciitis(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R5: first-step heel pain, tubercle tenderness and a positive windlass test.

    Without nerve symptoms: plantar fasciitis (high). With them: nerve involvement coexists
    (R5-NERVE; see R1/R3/R4). Sources: [CMDT][TU][BARRETT][OPENEVID-C].
    """
    if exam.history.first_step_pain is not YesNo.YES:
        return
    plain: SideHits = {}
    plain_charted: dict[Side, bool] = {}
    nerve: SideHits = {}
    for side in Side:
        foot = exam.foot(side)
        pain = _heel_pain(foot)
        if (
            not pain
            or foot.tenderness.medial_calcaneal_tubercle is not YesNo.YES
            or not _positive(foot.provocation.windlass)
        ):
            continue
        reasons = [
            _regions_reason(side, foot, "heel pain", pain),
            Reason(
                text="Pain worst with the first steps after rest",
                findings=(fired("history.first_step_pain", YesNo.YES),),
            ),
            _r(
                side,
                "tender at the medial calcaneal tubercle; windlass test positive",
                _foot(side, "tenderness.medial_calcaneal_tubercle", YesNo.YES),
                _foot(side, "provocation.windlass", TestResult.POSITIVE),
            ),
        ]
        nerve_regions = involved(foot)
        if nerve_regions:
            nerve[side] = [
                *reasons,
                _regions_reason(
                    side, foot, "burning, tingling, numbness or a deficit", nerve_regions
                ),
            ]
            continue
        charted = not not_normal(foot, PLANTAR_REGIONS)
        plain_charted[side] = charted
        if not charted:
            reasons.append(
                _r(
                    side,
                    "sensation on the sole not fully charted: nerve involvement not excluded",
                    *(
                        fired(region_path(side, c), "not_tested")
                        for c in untested(foot, PLANTAR_REGIONS)
                    ),
                )
            )
        plain[side] = reasons
    codes = (code("M72.2"),)
    note = "Some clinics use M77.3x (calcaneal spur) instead: coder's choice."
    if plain:
        yield Suggestion(
            key="R5",
            rule="R5",
            severity=Severity.SUGGESTION,
            title="Plantar fasciitis",
            sides=_sides(plain),
            confidence=Confidence.HIGH if all(plain_charted.values()) else None,
            reasons=_reasons(plain),
            why=(
                "Nerve entrapment heel pain comes with burning, tingling or numbness; neural "
                "and fascial causes often overlap."
            ),
            sources=("CMDT", "TU", "BARRETT", "OPENEVID-C"),
            codes=codes,
            coding_note=note,
        )
    if nerve:
        yield Suggestion(
            key="R5-NERVE",
            rule="R5",
            severity=Severity.SUGGESTION,
            title="Plantar fasciitis features with nerve involvement: see R1, R3, R4",
            sides=_sides(nerve),
            reasons=_reasons(nerve),
            why=(
                "Nerve entrapment heel pain comes with burning, tingling or numbness; neural "
                "and fascial causes often overlap."
            ),
            sources=("CMDT", "TU", "BARRETT", "OPENEVID-C"),
            codes=codes,
            coding_note=note,
        )


def _sensory_counts(exam: NeuroFootExam) -> bool:
    """Dermatomal sensory criteria of R6-R8 count unless the stocking pattern explains them."""
    return not stocking_pattern(exam)


def _reflex_reason(side: Side, exam: NeuroFootExam, name: str, label: str) -> Reason | None:
    this = getattr(exam.lumbar.side(side), name)
    opposite = getattr(exam.lumbar.side(other(side)), name)
    why = reduced_on_one_side(this, opposite)
    if why is None:
        return None
    return _r(
        side,
        f"{label} {why}",
        _leg(side, f"{name}.grade", this.grade),
        _leg(other(side), f"{name}.grade", opposite.grade),
    )


def _motor_reasons(side: Side, leg: LumbarSide, *tests: tuple[str, str]) -> list[Reason]:
    """A reason per weak myotome (MRC below 5) or failed heel/toe walk, in the order given."""
    reasons: list[Reason] = []
    for name, label in tests:
        value = getattr(leg.myotomes, name)
        if isinstance(value, Functional):
            if value is Functional.UNABLE:
                reasons.append(
                    _r(side, f"unable to {label}", _leg(side, f"myotomes.{name}", value))
                )
        elif weak(value):
            reasons.append(
                _r(side, f"{label} {value.value}/5", _leg(side, f"myotomes.{name}", value))
            )
    return reasons


ROOT_CODES = (
    code("M54.16", note="Choose by the level found: lumbar region."),
    code("M54.17", note="Choose by the level found: lumbosacral region."),
)


def r6_s1(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R6: S1 radiculopathy screen. Sources: [HARR][GPN][MSD][BIOLOGY-C][MISJ]."""
    hits: SideHits = {}
    lumbar = exam.lumbar
    sensory = _sensory_counts(exam)
    for side in Side:
        leg = lumbar.side(side)
        foot = exam.foot(side)
        reasons: list[Reason] = []
        reflex = _reflex_reason(side, exam, "achilles", "Achilles reflex")
        if reflex:
            reasons.append(reflex)
        reasons += _motor_reasons(
            side, leg, ("plantarflexion", "plantarflexion"), ("toe_walk", "toe-walk / heel-raise")
        )
        regions = involved(foot, S1_REGIONS) if sensory else []
        if regions:
            reasons.append(_regions_reason(side, foot, "sensory change in S1 skin", regions))
        if leg.slr.positive:
            reasons.append(
                _r(
                    side,
                    f"SLR positive ({leg.slr.symptom.value.replace('_', ' ')} at "
                    f"{leg.slr.angle_deg} degrees)",
                    _leg(side, "slr.symptom", leg.slr.symptom),
                    _leg(side, "slr.angle_deg", leg.slr.angle_deg),
                )
            )
        if _positive(leg.slump.result):
            reasons.append(
                _r(side, "slump test positive", _leg(side, "slump.result", leg.slump.result))
            )
        if lumbar.back_pain is YesNo.YES and leg.leg_pain_below_knee is YesNo.YES:
            reasons.append(
                _r(
                    side,
                    "back pain with leg pain below the knee",
                    fired("lumbar.back_pain", YesNo.YES),
                    _leg(side, "leg_pain_below_knee", YesNo.YES),
                )
            )
        if reasons:
            hits[side] = reasons
    if hits:
        yield Suggestion(
            key="R6",
            rule="R6",
            severity=Severity.WARNING,
            title="Possible S1 radiculopathy: do not attribute plantar symptoms to TTS alone",
            sides=_sides(hits),
            reasons=_reasons(hits),
            why=(
                "The S1 dermatome includes the heel and most of the sole, and S1 supplies the "
                "ankle reflex and plantarflexors, so S1 disease can mimic tarsal tunnel syndrome."
            ),
            next_step="Lumbar assessment, with MRI or EMG as indicated.",
            sources=("HARR", "GPN", "MSD", "BIOLOGY-C", "MISJ"),
            codes=ROOT_CODES,
        )


def r7_l5_peroneal(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R7: L5 radiculopathy vs common peroneal neuropathy.

    Tibialis posterior (inversion, tibial nerve) and gluteus medius (hip abduction) share the
    L5 root but not the peroneal nerve. Sources: [NEUPSY][HARR][DEDUCT-C][EPOMED-C][THREAD-C].
    """
    l5: SideHits = {}
    peroneal: SideHits = {}
    check: SideHits = {}
    sensory = _sensory_counts(exam)
    for side in Side:
        leg = exam.lumbar.side(side)
        foot = exam.foot(side)
        motor = leg.myotomes
        trigger = _motor_reasons(
            side,
            leg,
            ("ankle_dorsiflexion", "ankle dorsiflexion"),
            ("ehl", "EHL"),
            ("heel_walk", "heel-walk"),
        )
        regions = involved(foot, L5_REGIONS) if sensory else []
        if regions:
            trigger.append(
                _regions_reason(side, foot, "sensory change in L5 / peroneal skin", regions)
            )
        if not trigger:
            continue
        root = _motor_reasons(
            side, leg, ("inversion", "ankle inversion"), ("hip_abduction", "hip abduction")
        )
        if root:
            l5[side] = [*trigger, *root]
            continue
        all_involved = involved(foot)
        limited = set(all_involved) <= {*regions_in(RegionGroup.DORSUM), RegionCode.LG_LAT}
        tinel = _positive(foot.tinel.fibular_head.result)
        if full(motor.inversion) and full(motor.hip_abduction) and limited and tinel:
            peroneal[side] = [
                *trigger,
                _r(
                    side,
                    "ankle inversion and hip abduction 5/5",
                    _leg(side, "myotomes.inversion", motor.inversion),
                    _leg(side, "myotomes.hip_abduction", motor.hip_abduction),
                ),
                _r(
                    side,
                    "Tinel positive at the fibular head",
                    _foot(side, "tinel.fibular_head.result", TestResult.POSITIVE),
                ),
            ]
            continue
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
                    foot.tinel.fibular_head.result is TestResult.NOT_TESTED,
                ),
            )
            if missing
        ]
        check[side] = [
            *trigger,
            _r(
                side,
                "to tell L5 from the peroneal nerve: "
                + (
                    "test " + ", ".join(_short(p) for p in todo)
                    if todo
                    else "inversion and hip abduction are 5/5 but the peroneal picture is "
                    "incomplete (no fibular-head Tinel, or change beyond dorsum and lateral leg)"
                ),
                *(fired(p, "not_tested") for p in todo),
            ),
        ]
    if l5:
        yield Suggestion(
            key="R7-L5",
            rule="R7",
            severity=Severity.WARNING,
            title="L5 radiculopathy pattern",
            sides=_sides(l5),
            reasons=_reasons(l5),
            why=R7_WHY,
            next_step="Lumbar assessment, with MRI or EMG as indicated.",
            sources=R7_SOURCES,
            codes=ROOT_CODES,
        )
    if peroneal:
        sides = _sides(peroneal)
        yield Suggestion(
            key="R7-PERONEAL",
            rule="R7",
            severity=Severity.SUGGESTION,
            title="Consider common peroneal neuropathy",
            sides=sides,
            reasons=_reasons(peroneal),
            why=R7_WHY,
            next_step="Consider nerve conduction across the fibular head.",
            sources=R7_SOURCES,
            codes=(lateral_code("G57.3", sides),),
        )
    if check:
        yield Suggestion(
            key="R7-CHECK",
            rule="R7",
            severity=Severity.WARNING,
            title="Dorsiflexion, EHL or L5-area findings: L5 root or peroneal nerve?",
            sides=_sides(check),
            reasons=_reasons(check),
            why=R7_WHY,
            next_step="Test ankle inversion, hip abduction and the Tinel at the fibular head.",
            sources=R7_SOURCES,
        )


R7_WHY = (
    "Tibialis posterior (inversion, tibial nerve) and gluteus medius (hip abduction) share the "
    "L5 root but not the peroneal nerve."
)
R7_SOURCES = ("NEUPSY", "HARR", "DEDUCT-C", "EPOMED-C", "THREAD-C")


def r8_l4(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R8: L4 radiculopathy, or a saphenous nerve cause. Sources: [HARR][GPN][WHEEL]."""
    l4: SideHits = {}
    saphenous: SideHits = {}
    sensory = _sensory_counts(exam)
    for side in Side:
        leg = exam.lumbar.side(side)
        foot = exam.foot(side)
        reasons: list[Reason] = []
        reflex = _reflex_reason(side, exam, "patellar", "patellar reflex")
        if reflex:
            reasons.append(reflex)
        reasons += _motor_reasons(side, leg, ("knee_extension", "knee extension"))
        regions = involved(foot, L4_REGIONS) if sensory else []
        if regions:
            reasons.append(_regions_reason(side, foot, "sensory change in L4 skin", regions))
        if not reasons:
            continue
        # "Only medial ankle/foot sensation": among the L4 skin, the medial border and
        # malleolus without the medial leg (plantar nerve findings are judged by R1).
        medial_only = set(involved(foot, L4_REGIONS)) == {RegionCode.BD_MED}
        if (
            medial_only
            and reflex is None
            and reflex_tested(leg.patellar)
            and full(leg.myotomes.knee_extension)
        ):
            saphenous[side] = [
                *reasons,
                _r(
                    side,
                    "knee jerk and quadriceps normal",
                    _leg(side, "patellar.grade", leg.patellar.grade),
                    _leg(side, "myotomes.knee_extension", leg.myotomes.knee_extension),
                ),
            ]
            continue
        l4[side] = reasons
    if l4:
        yield Suggestion(
            key="R8-L4",
            rule="R8",
            severity=Severity.WARNING,
            title="Possible L4 radiculopathy",
            sides=_sides(l4),
            reasons=_reasons(l4),
            why=(
                "The patellar reflex and quadriceps are mainly L4; L4 skin is the medial leg "
                "and foot."
            ),
            next_step="Lumbar assessment, with MRI or EMG as indicated.",
            sources=("HARR", "GPN", "WHEEL"),
            codes=ROOT_CODES,
        )
    if saphenous:
        yield Suggestion(
            key="R8-SAPHENOUS",
            rule="R8",
            severity=Severity.SUGGESTION,
            title="Consider a saphenous nerve cause",
            sides=_sides(saphenous),
            reasons=_reasons(saphenous),
            why=(
                "Only medial ankle and foot sensation is affected, with a normal knee jerk and "
                "quadriceps."
            ),
            sources=("HARR", "GPN", "WHEEL"),
        )


def r9_polyneuropathy(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R9: length-dependent polyneuropathy.

    Sources: [UPTODATE][FPN-DSPN][DSPN-FIG][SURAL][SCILIT-1983][GULCEK].
    """
    if not stocking_pattern(exam):
        return
    reasons = [
        _regions_reason(
            side, exam.foot(side), "sole and dorsum involved", involved(exam.foot(side))
        )
        for side in Side
    ]
    lumbar = exam.lumbar
    if reduced_both(lumbar.right.achilles, lumbar.left.achilles):
        reasons.append(
            Reason(
                text="Ankle reflexes reduced on both sides",
                findings=(
                    _leg(Side.RIGHT, "achilles.grade", lumbar.right.achilles.grade),
                    _leg(Side.LEFT, "achilles.grade", lumbar.left.achilles.grade),
                ),
            )
        )
    for side in Side:
        foot = exam.foot(side)
        if foot.vibration_hallux in (Vibration.REDUCED, Vibration.ABSENT):
            reasons.append(
                _r(
                    side,
                    f"vibration at the hallux {foot.vibration_hallux.value}",
                    _foot(side, "vibration_hallux", foot.vibration_hallux),
                )
            )
        missed = [
            c for c in RegionCode if foot.sensory.region(c).monofilament is Monofilament.NOT_FELT
        ]
        if missed:
            reasons.append(_regions_reason(side, foot, "monofilament not felt", missed))
    codes = [code("G62.9")]
    if ctx.patient.diabetes:
        reasons.append(Reason(text="The patient has diabetes"))
        codes.append(code("E11.42", note="Only for type 2 diabetes; the coder confirms the type."))
    yield Suggestion(
        key="R9",
        rule="R9",
        severity=Severity.WARNING,
        title="Pattern suggests peripheral polyneuropathy",
        sides=(Side.RIGHT, Side.LEFT),
        reasons=tuple(reasons),
        why=(
            "A symmetrical, length-dependent sensory neuropathy (longest axons first) will not "
            "respond to tarsal tunnel surgery; diabetes predicted poor release outcomes."
        ),
        next_step=(
            "Check glycaemic status; nerve conduction where appropriate (sural sensory study "
            "as a screen)."
        ),
        sources=("UPTODATE", "FPN-DSPN", "DSPN-FIG", "SURAL", "SCILIT-1983", "GULCEK"),
        codes=tuple(codes),
    )


def r10_coexistence(exam: NeuroFootExam, lumbar_found: list[Suggestion]) -> Iterable[Suggestion]:
    """R10: tibial findings together with any R6-R9 flag; never suppressed.

    Reads R1's positive half (plantar-nerve symptoms plus a positive provocation), because
    R1's rule-outs (symmetric Achilles, negative SLR) are the very findings R6 reports: read
    literally, R1 and R6 could rarely fire together and the alert would never show.
    Sources: [UPTON][WILBOURN][ZHENG][BARKER][GULCEK].
    """
    if not lumbar_found:
        return
    hits: SideHits = {}
    for side in Side:
        evidence = _tibial_evidence(side, exam)
        if evidence:
            hits[side] = evidence
    if not hits:
        return
    reasons = [
        *_reasons(hits),
        *(Reason(text=f"{s.key}: {s.title}") for s in lumbar_found),
    ]
    yield Suggestion(
        key="R10",
        rule="R10",
        severity=Severity.WARNING,
        title="Possible coexisting lumbar radiculopathy or polyneuropathy (double crush)",
        sides=_sides(hits),
        reasons=tuple(reasons),
        why=(
            "Coexistence is real: 27 of 561 (4.8%) patients with radiculopathy had TTS on nerve "
            "conduction. Coexisting disc disease or neuropathy predicted poor results after "
            "revision surgery; low back pain and diabetes predicted poor primary release outcomes."
        ),
        next_step=("Complete the lumbar screen and electrodiagnosis before a surgical referral."),
        sources=("UPTON", "WILBOURN", "ZHENG", "BARKER", "GULCEK"),
    )


def r11_gate(
    exam: NeuroFootExam, ctx: AssessmentContext, missing: tuple[str, ...], reason_needed: bool
) -> Iterable[Suggestion]:
    """R11: the pre-operative gate, shown while a planned release could not be signed.

    Sources: [DOWNEY][MISJ][ANTON][YALC][BARKER].
    """
    if not ctx.release_sides or not (missing or reason_needed):
        return
    reasons: list[Reason] = []
    if missing:
        reasons.append(
            Reason(
                text=f"Lumbar screen incomplete: {len(missing)} item"
                f"{'s' if len(missing) != 1 else ''} not tested",
                findings=tuple(fired(path, "not_tested") for path in missing),
            )
        )
    if reason_needed:
        reasons.append(
            Reason(
                text="Lumbar or polyneuropathy findings are active (R6-R9): write why the foot "
                "is the primary source",
                findings=(fired("assessment.foot_primary_reason", ""),),
            )
        )
    yield Suggestion(
        key="R11",
        rule="R11",
        severity=Severity.WARNING,
        title="Pre-operative gate: tarsal tunnel release planned",
        sides=ctx.release_sides,
        reasons=tuple(reasons),
        why=(
            "Incorrect first diagnosis and double crush are recognised causes of failed or "
            "recurrent tarsal tunnel surgery; misdiagnosis between lumbar disease and "
            "peripheral entrapment leads to failed surgery."
        ),
        next_step="Signing waits for the complete lumbar screen (and the written reason).",
        sources=("DOWNEY", "MISJ", "ANTON", "YALC", "BARKER"),
    )


def r12_after_release(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R12: symptoms persisting or recurring after a tarsal tunnel release.

    Sources: [DOWNEY][YALC][BARKER].
    """
    hits: SideHits = {}
    for side in Side:
        foot = exam.foot(side)
        if foot.history.previous_release is not YesNo.YES:
            continue
        nerve = involved(foot)
        reasons = [
            _r(
                side,
                "previous tarsal tunnel release"
                + (
                    f" ({foot.history.release_date.isoformat()})"
                    if foot.history.release_date
                    else ""
                ),
                _foot(side, "history.previous_release", YesNo.YES),
            )
        ]
        if nerve:
            reasons.append(_regions_reason(side, foot, "symptoms or deficit persist", nerve))
        if _positive(foot.tinel.tarsal_tunnel.result):
            reasons.append(
                _r(
                    side,
                    "Tinel positive at the tarsal tunnel",
                    _foot(side, "tinel.tarsal_tunnel.result", TestResult.POSITIVE),
                )
            )
        if len(reasons) > 1:
            hits[side] = reasons
    if hits:
        yield Suggestion(
            key="R12",
            rule="R12",
            severity=Severity.WARNING,
            title="Symptoms after a tarsal tunnel release: review the differential",
            sides=_sides(hits),
            reasons=_reasons(hits),
            why=(
                "Consider: incorrect first diagnosis; incomplete (especially distal) release; "
                "adhesive neuritis or scarring; damage inside the nerve; double crush; "
                "lumbosacral disease or neuropathy."
            ),
            next_step="Re-operation is justified only for incomplete decompression.",
            sources=("DOWNEY", "YALC", "BARKER"),
        )


def r13_slr(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R13: SLR interpretation safeguards.

    Positive only when the reproduced symptom reaches below the knee at 30-70 degrees; back
    pain alone is negative. More weight to a positive crossed SLR (specificity 0.88) and to a
    negative SLR (sensitivity 0.91) when judging a disc cause. Sources: [WIKI-SLR][PESONEN]
    [DEVILLE].
    """
    hits: SideHits = {}
    lumbar = exam.lumbar
    for side in Side:
        leg = lumbar.side(side)
        slr = leg.slr
        reasons: list[Reason] = []
        if _positive(leg.crossed_slr):
            reasons.append(
                _r(
                    side,
                    "crossed SLR positive (specificity 0.88): a disc cause is more likely",
                    _leg(side, "crossed_slr", TestResult.POSITIVE),
                )
            )
        leg_symptom = slr.symptom in (SlrSymptom.BELOW_KNEE, SlrSymptom.TO_FOOT)
        if leg_symptom and slr.angle_deg is None:
            reasons.append(
                _r(
                    side,
                    "SLR leg symptoms charted without an angle: record it to judge the test",
                    _leg(side, "slr.angle_deg", None),
                )
            )
        elif leg_symptom and slr.positive is False:
            reasons.append(
                _r(
                    side,
                    f"SLR leg symptoms at {slr.angle_deg} degrees, outside 30-70: "
                    "not a positive test",
                    _leg(side, "slr.symptom", slr.symptom),
                    _leg(side, "slr.angle_deg", slr.angle_deg),
                )
            )
        elif slr.symptom is SlrSymptom.BACK_ONLY:
            reasons.append(
                _r(
                    side,
                    "SLR reproduced back pain only: negative",
                    _leg(side, "slr.symptom", slr.symptom),
                )
            )
        elif slr.positive is False and (
            leg.leg_pain_below_knee is YesNo.YES or lumbar.back_pain is YesNo.YES
        ):
            reasons.append(
                _r(
                    side,
                    "SLR negative (sensitivity 0.91): a disc cause is less likely",
                    _leg(side, "slr.symptom", slr.symptom),
                )
            )
        if reasons:
            hits[side] = reasons
    if hits:
        yield Suggestion(
            key="R13",
            rule="R13",
            severity=Severity.SUGGESTION,
            title="Reading the straight leg raise",
            sides=_sides(hits),
            reasons=_reasons(hits),
            why=(
                "SLR sensitivity 0.91, specificity 0.26; crossed SLR sensitivity 0.29, "
                "specificity 0.88 (disc herniation). A positive SLR reproduces leg pain below "
                "the knee at 30-70 degrees; back pain alone is negative."
            ),
            sources=("WIKI-SLR", "PESONEN", "DEVILLE"),
        )


def r14_nerve_conduction(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R14: nerve conduction results, when entered.

    Sources: [SNAP-OPN][SEEKHEALTH-NCS-C][MONDELLI][SURAL][ZHENG].
    """
    root: SideHits = {}
    tts: SideHits = {}
    for side in Side:
        foot = exam.foot(side)
        ncs = foot.nerve_conduction
        for nerve, area, label in (
            ("sural", SURAL_AREA, "sural"),
            ("superficial_peroneal", SUPERFICIAL_PERONEAL_AREA, "superficial peroneal"),
        ):
            numb = involved(foot, area)
            if getattr(ncs, nerve) is NcsResult.NORMAL and numb:
                root.setdefault(side, []).append(
                    _r(
                        side,
                        f"{label} response normal despite sensory change in its skin "
                        f"({', '.join(c.value for c in numb)})",
                        _foot(side, f"nerve_conduction.{nerve}", NcsResult.NORMAL),
                        *region_findings(side, foot, numb),
                    )
                )
        plantar = [
            n
            for n in ("medial_plantar", "lateral_plantar")
            if getattr(ncs, n) is NcsResult.ABNORMAL
        ]
        if plantar:
            tts[side] = [
                _r(
                    side,
                    " and ".join(n.replace("_", " ") for n in plantar) + " study abnormal",
                    *(_foot(side, f"nerve_conduction.{n}", NcsResult.ABNORMAL) for n in plantar),
                )
            ]
    # Leg sensory responses reduced on both sides: any of the two nerves on each side.
    reduced = {
        s: [
            n
            for n in ("sural", "superficial_peroneal")
            if getattr(exam.foot(s).nerve_conduction, n) is NcsResult.ABNORMAL
        ]
        for s in Side
    }
    sources = ("SNAP-OPN", "SEEKHEALTH-NCS-C", "MONDELLI", "SURAL", "ZHENG")
    if root:
        yield Suggestion(
            key="R14-ROOT",
            rule="R14",
            severity=Severity.SUGGESTION,
            title="Nerve conduction supports a root lesion",
            sides=_sides(root),
            reasons=_reasons(root),
            why=(
                "Normal leg sensory responses despite numbness in their area point above the "
                "dorsal root ganglion; they were reduced in about 7% of disc radiculopathies."
            ),
            sources=sources,
        )
    if all(reduced.values()):
        yield Suggestion(
            key="R14-POLY",
            rule="R14",
            severity=Severity.SUGGESTION,
            title="Nerve conduction supports a polyneuropathy",
            sides=(Side.RIGHT, Side.LEFT),
            reasons=tuple(
                _r(
                    s,
                    " and ".join(n.replace("_", " ") for n in reduced[s])
                    + " response reduced or absent",
                    *(_foot(s, f"nerve_conduction.{n}", NcsResult.ABNORMAL) for n in reduced[s]),
                )
                for s in Side
            ),
            why="Leg sensory responses reduced on both sides support a polyneuropathy.",
            sources=sources,
        )
    if tts:
        yield Suggestion(
            key="R14-TTS",
            rule="R14",
            severity=Severity.SUGGESTION,
            title="Nerve conduction supports tarsal tunnel syndrome",
            sides=_sides(tts),
            reasons=_reasons(tts),
            why="Sensory or mixed plantar studies were abnormal in 25 of 27 TTS cases.",
            sources=sources,
        )


RULES: tuple[Rule, ...] = (
    r0_red_flags,
    r0_serious_pathology,
    r1_r2_tibial,
    r3_medial_calcaneal,
    r4_baxter,
    r5_plantar_fasciitis,
    r6_s1,
    r7_l5_peroneal,
    r8_l4,
    r9_polyneuropathy,
    r12_after_release,
    r13_slr,
    r14_nerve_conduction,
)
"""Rules that read only the exam and context; R10 and R11 read the others' results."""


def assess(exam: NeuroFootExam, ctx: AssessmentContext | None = None) -> Assessment:
    """Every rule over one exam; urgent first, then warnings, then suggestions."""
    ctx = ctx or AssessmentContext()
    found: list[Suggestion] = []
    for rule in RULES:
        found.extend(rule(exam, ctx))
    lumbar_found = [s for s in found if s.rule in LUMBAR_RULES]
    found.extend(r10_coexistence(exam, lumbar_found))
    missing = _lumbar_missing(exam) if ctx.release_sides else ()
    reason_needed = bool(ctx.release_sides and not ctx.foot_primary_reason.strip() and lumbar_found)
    found.extend(r11_gate(exam, ctx, missing, reason_needed))
    urgent = ces_flags_present(exam)
    acknowledged = set(urgent) <= set(ctx.acknowledged_red_flags)
    if urgent and not acknowledged:
        found = [
            s.model_copy(update={"held_back": True}) if s.rule in ROUTINE_FOOT_RULES else s
            for s in found
        ]
    found.sort(key=lambda s: (SEVERITY_ORDER[s.severity], _rule_number(s.rule)))
    return Assessment(
        suggestions=tuple(found),
        urgent_flags=urgent,
        urgent_acknowledged=acknowledged,
        lumbar_missing=missing,
        foot_primary_reason_needed=reason_needed,
        code_system=CODE_SYSTEM,
        code_version=CODE_VERSION,
    )


def _rule_number(rule: str) -> int:
    return int(rule.removeprefix("R"))


def _lumbar_missing(exam: NeuroFootExam) -> tuple[str, ...]:
    """R11: the lumbar-screen items not tested, in form order.

    The reference lists SLR, slump, patellar/Achilles reflexes, EHL, plantarflexion, hip
    abduction and the back-pain history [DOWNEY][MISJ]; the gate asks for every lumbar-screen
    item the rules R6-R8 and R13 read, on both legs (asymmetry needs both).
    """
    lumbar = exam.lumbar
    missing: list[str] = []
    if lumbar.back_pain is YesNo.NOT_TESTED:
        missing.append("lumbar.back_pain")
    for side in Side:
        leg = lumbar.side(side)
        prefix = f"lumbar.{side.value}"
        if leg.leg_pain_below_knee is YesNo.NOT_TESTED:
            missing.append(f"{prefix}.leg_pain_below_knee")
        if not leg.slr.tested:
            missing.append(f"{prefix}.slr.symptom")
        elif leg.slr.symptom in (SlrSymptom.BELOW_KNEE, SlrSymptom.TO_FOOT) and (
            leg.slr.angle_deg is None
        ):
            missing.append(f"{prefix}.slr.angle_deg")
        checks = {
            "crossed_slr": leg.crossed_slr.value,
            "slump.result": leg.slump.result.value,
            "patellar.grade": leg.patellar.grade.value,
            "achilles.grade": leg.achilles.grade.value,
            **{
                f"myotomes.{name}": getattr(leg.myotomes, name).value
                for name in type(leg.myotomes).model_fields
            },
        }
        missing.extend(
            f"{prefix}.{path}" for path, value in checks.items() if value == "not_tested"
        )
    return tuple(missing)
