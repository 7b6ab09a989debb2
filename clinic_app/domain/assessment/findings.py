"""Readings of the exam the rules share: sensory patterns, reflex asymmetry, weakness.

Each helper answers one clinical question about the charted exam and never treats a blank as
normal: "normal" means charted normal, and a finding not tested answers None or False as the
question needs. Region sets and roots follow clinical-reference.md sections 2.1-2.4 and 3.4-3.5.
"""

from __future__ import annotations

from typing import Any

from clinic_app.domain.assessment.model import FiredFinding
from clinic_app.domain.exam import (
    FootExam,
    Monofilament,
    MrcGrade,
    NeuroFootExam,
    Reflex,
    ReflexGrade,
    RegionFindings,
    SensoryGrade,
    Side,
    Symptom,
)
from clinic_app.domain.regions import (
    HEEL_REGIONS,
    PLANTAR_NERVE_REGIONS,
    REGIONS,
    RegionCode,
    RegionGroup,
    regions_in,
)

_C = RegionCode

NEURO_SYMPTOMS = frozenset({Symptom.NUMB, Symptom.TINGLING, Symptom.BURNING})
"""Symptoms of nerve involvement; 'pain' alone is not one (heel pain is not a deficit)."""
_ALTERED = frozenset({SensoryGrade.REDUCED, SensoryGrade.ABSENT, SensoryGrade.HYPERAESTHETIC})

PLANTAR_REGIONS = regions_in(RegionGroup.PLANTAR)
PLANTAR_NERVE = tuple(code for code in RegionCode if code in PLANTAR_NERVE_REGIONS)
"""Medial and lateral plantar nerve skin, in reference order (the tibial/TTS pattern)."""
HEEL = tuple(code for code in RegionCode if code in HEEL_REGIONS)
BORDER_DORSUM_LEG = (
    regions_in(RegionGroup.BORDER) + regions_in(RegionGroup.DORSUM) + regions_in(RegionGroup.LEG)
)
S1_REGIONS = (_C.BD_LAT, _C.PL_HEEL_LAT, _C.LG_POST)
"""R6: skin S1 has and a plantar-nerve lesion does not: the lateral border and the little toe's
lateral side (BD-LAT), the lateral heel, the posterior calf (10.8 fact 3; 10.12 R1, R6)
[HARR][GPN][WHEEL][QUT]. The plantar skin of toe 5 is lateral plantar nerve skin (2.3): never,
by itself, an S1 sign."""
L5_REGIONS = (_C.DO_WEB1, _C.DO_MID, _C.LG_LAT)
"""R7: first web space, dorsum of the midfoot, lateral leg [NEUPSY][HARR]."""
L4_REGIONS = (_C.LG_MED, _C.BD_MED)
"""R8: medial leg, medial border and malleolus [HARR][GPN][WHEEL]."""
SURAL_AREA = (_C.BD_LAT, _C.PL_HEEL_LAT, _C.DO_LAT)
"""Sural nerve skin: lateral heel, lateral border, dorsolateral foot (section 2.1)."""
SUPERFICIAL_PERONEAL_AREA = (_C.DO_MID, _C.LG_LAT)
"""Superficial peroneal skin: dorsum and lower front-lateral leg (section 2.1)."""
MEDIAL_HEEL = (_C.PL_HEEL_MED, _C.PL_HEEL_PAD)
"""Medial calcaneal nerve skin (section 2.1) [TMA][DELLON02]."""

_REFLEX_RANK = {
    ReflexGrade.ABSENT: 0,
    ReflexGrade.TRACE: 1,
    ReflexGrade.NORMAL: 2,
    ReflexGrade.BRISK: 3,
    ReflexGrade.CLONUS: 4,
}


def other(side: Side) -> Side:
    """The other limb."""
    return Side.LEFT if side is Side.RIGHT else Side.RIGHT


def fired(path: str, value: Any) -> FiredFinding:
    """A finding with its value as JSON (enums by value, regions as their charted fields)."""
    if isinstance(value, RegionFindings):
        value = value.model_dump(mode="json", exclude_defaults=True)
    elif hasattr(value, "value"):
        value = value.value
    return FiredFinding(path=path, value=value)


def region_path(side: Side, code: RegionCode) -> str:
    """The exam path of one region of the sensory map."""
    return f"{side.value}.sensory.regions.{code.value}"


# --- the sensory map -------------------------------------------------------------------------


def neuro(found: RegionFindings) -> bool:
    """Nerve involvement here: an altered modality, a missed monofilament or a nerve symptom."""
    return (
        found.light_touch in _ALTERED
        or found.pin_prick in _ALTERED
        or found.monofilament is Monofilament.NOT_FELT
        or bool(NEURO_SYMPTOMS.intersection(found.symptoms or ()))
    )


def tested(found: RegionFindings) -> bool:
    """At least one sensory modality was tested here (symptoms alone are not a test)."""
    return (
        found.light_touch is not SensoryGrade.NOT_TESTED
        or found.pin_prick is not SensoryGrade.NOT_TESTED
        or found.monofilament is not Monofilament.NOT_TESTED
    )


def charted_normal(found: RegionFindings) -> bool:
    """Tested and without nerve involvement (a pain flag alone does not make it abnormal)."""
    return tested(found) and not neuro(found)


def involved(foot: FootExam, codes: tuple[RegionCode, ...] | None = None) -> list[RegionCode]:
    """Regions (of ``codes``, default all) with nerve involvement, in reference order."""
    pool = codes if codes is not None else tuple(RegionCode)
    return [code for code in pool if neuro(foot.sensory.region(code))]


def not_normal(foot: FootExam, codes: tuple[RegionCode, ...]) -> list[RegionCode]:
    """Regions of ``codes`` not charted normal (involved or not tested)."""
    return [code for code in codes if not charted_normal(foot.sensory.region(code))]


def untested(foot: FootExam, codes: tuple[RegionCode, ...]) -> list[RegionCode]:
    """Regions of ``codes`` with no modality tested."""
    return [code for code in codes if not tested(foot.sensory.region(code))]


def with_symptom(
    foot: FootExam, codes: tuple[RegionCode, ...], symptoms: frozenset[Symptom]
) -> list[RegionCode]:
    """Regions of ``codes`` where the patient reports any of ``symptoms``."""
    return [
        code for code in codes if symptoms.intersection(foot.sensory.region(code).symptoms or ())
    ]


def region_findings(
    side: Side, foot: FootExam, codes: list[RegionCode]
) -> tuple[FiredFinding, ...]:
    """The charted findings of some regions, as fired findings."""
    return tuple(fired(region_path(side, c), foot.sensory.region(c)) for c in codes)


def names(codes: list[RegionCode] | tuple[RegionCode, ...]) -> str:
    """Region codes with their plain names, for a reason line."""
    return ", ".join(f"{c.value} ({REGIONS[c].name})" for c in codes)


def groups_involved(foot: FootExam) -> set[RegionGroup]:
    """The limb areas (sole, borders, dorsum, leg) with nerve involvement."""
    return {REGIONS[code].group for code in involved(foot)}


def stocking_pattern(exam: NeuroFootExam) -> bool:
    """Both feet involved alike, dorsum and sole together: the length-dependent pattern.

    Section 2.4: both feet, symmetrical, dorsum and sole together [UPTODATE][FPN-DSPN].
    Symmetry is read as the same limb areas involved on both sides.
    """
    right, left = groups_involved(exam.right), groups_involved(exam.left)
    needed = {RegionGroup.PLANTAR, RegionGroup.DORSUM}
    return needed <= right and right == left


# --- reflexes --------------------------------------------------------------------------------


def reflex_tested(reflex: Reflex) -> bool:
    """A grade was recorded."""
    return reflex.grade is not ReflexGrade.NOT_TESTED


def reduced_on_one_side(this: Reflex, opposite: Reflex) -> str | None:
    """Why this reflex counts as reduced on one side, or None.

    0 is always abnormal; 1+ counts when the other side is 2+ or brisker. A reflex lost on both
    sides points toward polyneuropathy rather than one root, so it is not a one-sided loss
    [NINDS-CDE][FPN-DSPN][ONEWIKIA-C].
    """
    if not reflex_tested(this):
        return None
    if this.grade is ReflexGrade.ABSENT:
        if opposite.grade is ReflexGrade.ABSENT:
            return None
        if not reflex_tested(opposite):
            return "absent (the other side is not tested)"
        return f"absent (the other side is {opposite.grade.value})"
    if (
        this.grade is ReflexGrade.TRACE
        and reflex_tested(opposite)
        and _REFLEX_RANK[opposite.grade] >= _REFLEX_RANK[ReflexGrade.NORMAL]
    ):
        return f"reduced to 1+ (the other side is {opposite.grade.value})"
    return None


def symmetric_normal(right: Reflex, left: Reflex) -> bool | None:
    """Both tested, equal, present and without clonus; None when either is not tested."""
    if not (reflex_tested(right) and reflex_tested(left)):
        return None
    return right.grade == left.grade and right.grade not in (
        ReflexGrade.ABSENT,
        ReflexGrade.CLONUS,
    )


def reduced_both(right: Reflex, left: Reflex) -> bool:
    """Absent or 1+ on both sides."""
    low = (ReflexGrade.ABSENT, ReflexGrade.TRACE)
    return right.grade in low and left.grade in low


# --- power -----------------------------------------------------------------------------------


def weak(grade: MrcGrade) -> bool:
    """Tested and below 5/5."""
    return grade.weak is True


def full(grade: MrcGrade) -> bool:
    """Tested at 5/5."""
    return grade is MrcGrade.G5
