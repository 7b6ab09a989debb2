"""The tibial nerve at the tarsal tunnel: R1, R2, R12 and R14.

R1 reads the tarsal tunnel pattern, R2 heel sparing, R12 symptoms after a release and R14 the
nerve conduction results.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinic_app.domain.assessment.codes import lateral_code
from clinic_app.domain.assessment.findings import (
    BORDER_DORSUM_LEG,
    HEEL,
    PLANTAR_NERVE,
    SUPERFICIAL_PERONEAL_AREA,
    SURAL_AREA,
    charted_normal,
    fired,
    involved,
    reflex_tested,
    region_findings,
    region_path,
    symmetric_normal,
    untested,
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
    leg,
    positive,
    r,
    reasons_of,
    regions_reason,
    short,
    side_word,
    sides_of,
)
from clinic_app.domain.exam import NcsResult, NeuroFootExam, Side, TestResult, YesNo

TTS_WHY = (
    "Typical distribution plus local provocation. The diagnosis needs clinical, neurological "
    "and neurophysiological findings; nerve studies can be falsely negative."
)
NCS_SOURCES = ("SNAP-OPN", "SEEKHEALTH-NCS-C", "MONDELLI", "SURAL", "ZHENG")

WORDING: dict[str, Wording] = {
    "R1": Wording(
        rule="R1",
        severity=Severity.SUGGESTION,
        title="Pattern consistent with tarsal tunnel syndrome",
        why=TTS_WHY,
        next_step=(
            "Consider nerve conduction (medial and lateral plantar studies) and ultrasound "
            "or MRI if a mass or ganglion is suspected."
        ),
        sources=("S25", "KIN", "TCST", "ZHENG", "ANTON", "AHMAD"),
    ),
    "R1-CHECK": Wording(
        rule="R1",
        severity=Severity.SUGGESTION,
        title="Tibial nerve findings: finish the rule-outs before reading this as tarsal "
        "tunnel syndrome",
        why=TTS_WHY + " The pattern also needs normal borders, dorsum and leg, symmetric "
        "Achilles reflexes and a negative SLR and slump.",
        next_step="Chart the items not yet tested; repeat or weigh an equivocal test.",
        sources=("S25", "KIN", "TCST", "ZHENG", "ANTON"),
    ),
    "R2": Wording(
        rule="R2",
        severity=Severity.SUGGESTION,
        title="Heel spared: tarsal tunnel confidence raised one step",
        why=(
            "The heel branch often leaves the tibial nerve above the tunnel, but its origin "
            "varies; an involved heel does not lower the confidence by itself."
        ),
        sources=("MISJ", "S25", "POM", "DELLON02", "RG-MCN"),
    ),
    "R12": Wording(
        rule="R12",
        severity=Severity.WARNING,
        title="Symptoms after a tarsal tunnel release: review the differential",
        why=(
            "Consider: incorrect first diagnosis; incomplete (especially distal) release; "
            "adhesive neuritis or scarring; damage inside the nerve; double crush; "
            "lumbosacral disease or neuropathy."
        ),
        next_step="Re-operation is justified only for incomplete decompression.",
        sources=("DOWNEY", "YALC", "BARKER"),
    ),
    "R14-ROOT": Wording(
        rule="R14",
        severity=Severity.SUGGESTION,
        title="Nerve conduction supports a root lesion",
        why=(
            "Normal leg sensory responses despite numbness in their area point above the "
            "dorsal root ganglion; they were reduced in about 7% of disc radiculopathies."
        ),
        sources=NCS_SOURCES,
    ),
    "R14-POLY": Wording(
        rule="R14",
        severity=Severity.SUGGESTION,
        title="Nerve conduction supports a polyneuropathy",
        why="Leg sensory responses reduced on both sides support a polyneuropathy.",
        sources=NCS_SOURCES,
    ),
    "R14-TTS": Wording(
        rule="R14",
        severity=Severity.SUGGESTION,
        title="Nerve conduction supports tarsal tunnel syndrome",
        why="Sensory or mixed plantar studies were abnormal in 25 of 27 TTS cases.",
        sources=NCS_SOURCES,
    ),
}

_PROVOCATION_WORDS = {
    "tinel.tarsal_tunnel.result": "Tinel at the tarsal tunnel",
    "provocation.dorsiflexion_eversion": "dorsiflexion-eversion test",
    "provocation.triple_compression": "triple compression stress test",
}


def tibial_evidence(side: Side, exam: NeuroFootExam) -> list[Reason] | None:
    """Plantar-nerve symptoms plus a positive local provocation test (R1's positive half).

    A Tinel charted positive with "pain on tapping only" is not a Tinel response (10.12 R1).
    Lateral plantar skin (toe 5, toe 4, lateral forefoot and mid-sole) is part of this pattern.
    """
    found = exam.foot(side)
    plantar = involved(found, PLANTAR_NERVE)
    tinel = found.tinel.tarsal_tunnel
    provocations = [
        (path, result)
        for path, result, counts in (
            ("tinel.tarsal_tunnel.result", tinel.result, tinel.is_response),
            (
                "provocation.dorsiflexion_eversion",
                found.provocation.dorsiflexion_eversion,
                positive(found.provocation.dorsiflexion_eversion),
            ),
            (
                "provocation.triple_compression",
                found.provocation.triple_compression,
                positive(found.provocation.triple_compression),
            ),
        )
        if counts
    ]
    if not plantar or not provocations:
        return None
    return [
        regions_reason(side, found, "nerve symptoms in plantar-nerve skin", plantar),
        r(
            side,
            "positive " + ", ".join(_PROVOCATION_WORDS[path] for path, _ in provocations),
            *(foot(side, path, result) for path, result in provocations),
        ),
    ]


def _rule_outs(side: Side, exam: NeuroFootExam) -> tuple[list[Reason], list[str], list[str]]:
    """R1's rule-outs: contradicted (reasons), not tested (paths), equivocal (paths).

    An equivocal slump neither rules out nor contradicts: it leaves the check open (R1-CHECK).
    """
    found = exam.foot(side)
    lumbar = exam.lumbar
    contradicted: list[Reason] = []
    missing: list[str] = []
    equivocal: list[str] = []
    bad = involved(found, BORDER_DORSUM_LEG)
    if bad:
        contradicted.append(regions_reason(side, found, "borders, dorsum or leg involved", bad))
    missing.extend(region_path(side, c) for c in untested(found, BORDER_DORSUM_LEG))
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
                    leg(Side.RIGHT, "achilles.grade", lumbar.right.achilles.grade),
                    leg(Side.LEFT, "achilles.grade", lumbar.left.achilles.grade),
                ),
            )
        )
    this = lumbar.side(side)
    slr = this.slr.positive
    if slr is None:
        missing.append(
            f"lumbar.{side.value}.slr." + ("symptom" if not this.slr.tested else "angle_deg")
        )
    elif slr:
        contradicted.append(r(side, "SLR positive", leg(side, "slr.symptom", this.slr.symptom)))
    if this.slump.result is TestResult.NOT_TESTED:
        missing.append(f"lumbar.{side.value}.slump.result")
    elif this.slump.result is TestResult.EQUIVOCAL:
        equivocal.append(f"lumbar.{side.value}.slump.result")
    elif this.slump.result is not TestResult.NEGATIVE:
        contradicted.append(
            r(
                side,
                f"slump test {this.slump.result.value}",
                leg(side, "slump.result", this.slump.result),
            )
        )
    return contradicted, missing, equivocal


def _open_items(side: Side, missing: list[str], equivocal: list[str]) -> list[Reason]:
    items: list[Reason] = []
    if missing:
        items.append(
            Reason(
                text=f"{side_word(side)}: not yet tested: " + ", ".join(short(p) for p in missing),
                findings=tuple(fired(path, "not_tested") for path in missing),
            )
        )
    if equivocal:
        items.append(
            Reason(
                text=f"{side_word(side)}: equivocal: " + ", ".join(short(p) for p in equivocal),
                findings=tuple(fired(path, "equivocal") for path in equivocal),
            )
        )
    return items


def r1_r2_tibial(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R1: the tibial-nerve / TTS pattern; R2: heel sparing raises its confidence one step.

    R1 sources: [S25][KIN][TCST][ZHENG][ANTON]; caveat [AHMAD]. R2: [MISJ][S25][POM][DELLON02]
    [RG-MCN]. When the positive half holds and no rule-out is contradicted but some are not
    tested yet, R1-CHECK lists them (blank is never read as normal). The diagnosis code
    (G57.5x) is reported only once confirmed (10.12 Coding).
    """
    pattern: SideHits = {}
    check: SideHits = {}
    heel_spared: SideHits = {}
    for side in Side:
        evidence = tibial_evidence(side, exam)
        if evidence is None:
            continue
        contradicted, missing, equivocal = _rule_outs(side, exam)
        if contradicted:
            continue
        if missing or equivocal:
            check[side] = [*evidence, *_open_items(side, missing, equivocal)]
            continue
        found = exam.foot(side)
        pattern[side] = [
            *evidence,
            r(side, "borders, dorsum and leg charted normal"),
            Reason(text="Achilles reflexes symmetric and normal"),
            r(side, "SLR and slump negative"),
        ]
        if all(charted_normal(found.sensory.region(c)) for c in HEEL):
            heel_spared[side] = [
                regions_reason(side, found, "heel charted normal (spared)", list(HEEL))
            ]
    if pattern:
        sides = sides_of(pattern)
        spared_everywhere = all(side in heel_spared for side in sides)
        yield WORDING["R1"].suggest(
            "R1",
            reasons_of(pattern),
            sides,
            confidence=Confidence.HIGH if spared_everywhere else Confidence.MODERATE,
            codes=(lateral_code("G57.5", sides),),
        )
    if heel_spared:
        yield WORDING["R2"].suggest("R2", reasons_of(heel_spared), sides_of(heel_spared))
    if check:
        yield WORDING["R1-CHECK"].suggest("R1-CHECK", reasons_of(check), sides_of(check))


def r12_after_release(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R12: symptoms persisting or recurring after a tarsal tunnel release.

    Sources: [DOWNEY][YALC][BARKER].
    """
    hits: SideHits = {}
    for side in Side:
        found = exam.foot(side)
        if found.history.previous_release is not YesNo.YES:
            continue
        when = found.history.release_date
        reasons = [
            r(
                side,
                "previous tarsal tunnel release" + (f" ({when.isoformat()})" if when else ""),
                foot(side, "history.previous_release", YesNo.YES),
            )
        ]
        nerve = involved(found)
        if nerve:
            reasons.append(regions_reason(side, found, "symptoms or deficit persist", nerve))
        if found.tinel.tarsal_tunnel.is_response:
            reasons.append(
                r(
                    side,
                    "Tinel positive at the tarsal tunnel",
                    foot(side, "tinel.tarsal_tunnel.result", TestResult.POSITIVE),
                )
            )
        if len(reasons) > 1:
            hits[side] = reasons
    if hits:
        yield WORDING["R12"].suggest("R12", reasons_of(hits), sides_of(hits))


def plantar_study_abnormal(exam: NeuroFootExam, side: Side) -> list[str]:
    """The plantar nerve studies reported abnormal on this side (R14)."""
    ncs = exam.foot(side).nerve_conduction
    return [
        n for n in ("medial_plantar", "lateral_plantar") if getattr(ncs, n) is NcsResult.ABNORMAL
    ]


def r14_nerve_conduction(exam: NeuroFootExam, ctx: AssessmentContext) -> Iterable[Suggestion]:
    """R14: nerve conduction results, when entered.

    Sources: [SNAP-OPN][SEEKHEALTH-NCS-C][MONDELLI][SURAL][ZHENG].
    """
    root: SideHits = {}
    tts: SideHits = {}
    for side in Side:
        found = exam.foot(side)
        ncs = found.nerve_conduction
        for nerve, area, label in (
            ("sural", SURAL_AREA, "sural"),
            ("superficial_peroneal", SUPERFICIAL_PERONEAL_AREA, "superficial peroneal"),
        ):
            numb = involved(found, area)
            if getattr(ncs, nerve) is NcsResult.NORMAL and numb:
                root.setdefault(side, []).append(
                    r(
                        side,
                        f"{label} response normal despite sensory change in its skin "
                        f"({', '.join(c.value for c in numb)})",
                        foot(side, f"nerve_conduction.{nerve}", NcsResult.NORMAL),
                        *region_findings(side, found, numb),
                    )
                )
        plantar = plantar_study_abnormal(exam, side)
        if plantar:
            tts[side] = [
                r(
                    side,
                    " and ".join(n.replace("_", " ") for n in plantar) + " study abnormal",
                    *(foot(side, f"nerve_conduction.{n}", NcsResult.ABNORMAL) for n in plantar),
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
    if root:
        yield WORDING["R14-ROOT"].suggest("R14-ROOT", reasons_of(root), sides_of(root))
    if all(reduced.values()):
        yield WORDING["R14-POLY"].suggest(
            "R14-POLY",
            [
                r(
                    s,
                    " and ".join(n.replace("_", " ") for n in reduced[s])
                    + " response reduced or absent",
                    *(foot(s, f"nerve_conduction.{n}", NcsResult.ABNORMAL) for n in reduced[s]),
                )
                for s in Side
            ],
            (Side.RIGHT, Side.LEFT),
        )
    if tts:
        yield WORDING["R14-TTS"].suggest("R14-TTS", reasons_of(tts), sides_of(tts))
