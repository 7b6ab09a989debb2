"""The sensory-map regions of one foot and leg, with their nerve and dermatome.

Codes, names and territories come from clinical-reference.md sections 2.1-2.3; the source
tags stay beside each entry. Dermatomes overlap and vary between people [DROR-DERM-C][BROM],
so the rules weigh reflex, motor and sign clusters, not skin maps alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RegionCode(StrEnum):
    """A coded skin region of one side (clinical-reference.md 2.3)."""

    PL_HEEL_MED = "PL-HEEL-MED"
    PL_HEEL_PAD = "PL-HEEL-PAD"
    PL_HEEL_LAT = "PL-HEEL-LAT"
    PL_ARCH_MED = "PL-ARCH-MED"
    PL_MID_LAT = "PL-MID-LAT"
    PL_FORE_MED = "PL-FORE-MED"
    PL_FORE_LAT = "PL-FORE-LAT"
    PL_HALLUX = "PL-HALLUX"
    PL_TOES_2_3 = "PL-TOES-2-3"
    PL_TOE_4 = "PL-TOE-4"
    PL_TOE_5 = "PL-TOE-5"
    BD_MED = "BD-MED"
    BD_LAT = "BD-LAT"
    DO_WEB1 = "DO-WEB1"
    DO_MID = "DO-MID"
    DO_LAT = "DO-LAT"
    LG_MED = "LG-MED"
    LG_LAT = "LG-LAT"
    LG_POST = "LG-POST"


class RegionGroup(StrEnum):
    """Where on the limb a region lies; the rules compare groups (section 2.4)."""

    PLANTAR = "plantar"
    BORDER = "border"
    DORSUM = "dorsum"
    LEG = "leg"


@dataclass(frozen=True, slots=True)
class RegionInfo:
    """What a clinician needs to know about a region when pointing at it."""

    code: RegionCode
    name: str
    group: RegionGroup
    nerve: str
    dermatome: str
    sources: str
    shared: bool = False


def _info(
    code: RegionCode,
    name: str,
    group: RegionGroup,
    nerve: str,
    dermatome: str,
    sources: str,
    *,
    shared: bool = False,
) -> RegionInfo:
    return RegionInfo(code, name, group, nerve, dermatome, sources, shared)


_P, _B, _D, _L = RegionGroup.PLANTAR, RegionGroup.BORDER, RegionGroup.DORSUM, RegionGroup.LEG
_C = RegionCode

REGIONS: dict[RegionCode, RegionInfo] = {
    info.code: info
    for info in (
        _info(
            _C.PL_HEEL_MED,
            "medial heel",
            _P,
            "medial calcaneal nerve (tibial)",
            "S1",
            "[TMA][WHEEL][DELLON02][RG-MCN][GPN]",
        ),
        _info(
            _C.PL_HEEL_PAD,
            "central plantar heel pad",
            _P,
            "medial calcaneal nerve, terminal branch (tibial)",
            "S1",
            "[TMA][DELLON02][GPN][HARR]",
        ),
        _info(
            _C.PL_HEEL_LAT,
            "lateral heel",
            _P,
            "sural nerve, lateral calcaneal branch",
            "S1",
            "[QUT][WHEEL][GPN]",
        ),
        _info(
            _C.PL_ARCH_MED,
            "medial mid-sole (arch)",
            _P,
            "medial plantar nerve (tibial)",
            "S1 (sole)",
            "[PACS][DOCCHECK][ORTHORICO][GPN]",
        ),
        _info(
            _C.PL_MID_LAT,
            "lateral mid-sole",
            _P,
            "lateral plantar nerve (tibial)",
            "S1 (sole)",
            "[INNERBODY][DOCCHECK][GPN]",
        ),
        _info(
            _C.PL_FORE_MED,
            "ball of the foot under metatarsals 1-3",
            _P,
            "medial plantar nerve (tibial)",
            "S1 (sole)",
            "[PACS][DOCCHECK][GPN]",
        ),
        _info(
            _C.PL_FORE_LAT,
            "sole under metatarsals 4-5",
            _P,
            "lateral plantar nerve (tibial)",
            "S1 (sole)",
            "[INNERBODY][DOCCHECK][GPN]",
        ),
        _info(
            _C.PL_HALLUX,
            "great toe, plantar",
            _P,
            "medial plantar nerve (tibial)",
            "L5 (great toe)",
            "[PACS][DOCCHECK][GPN][HARR]",
        ),
        _info(
            _C.PL_TOES_2_3,
            "toes 2-3, plantar",
            _P,
            "medial plantar nerve (tibial)",
            "S1 (sole)",
            "[PACS][DOCCHECK][GPN]",
        ),
        _info(
            _C.PL_TOE_4,
            "toe 4, plantar (shared)",
            _P,
            "shared: medial and lateral plantar nerves",
            "S1 (sole)",
            "[PACS][INNERBODY][DOCCHECK]",
            shared=True,
        ),
        _info(
            _C.PL_TOE_5,
            "little toe, plantar",
            _P,
            "lateral plantar nerve (tibial)",
            "S1",
            "[INNERBODY][DOCCHECK][GPN]",
        ),
        _info(
            _C.BD_MED,
            "medial border of the foot and medial malleolus",
            _B,
            "saphenous nerve",
            "L4",
            "[WHEEL][GPN][BROM]",
        ),
        _info(
            _C.BD_LAT,
            "lateral border of the foot and lateral little toe",
            _B,
            "sural nerve",
            "S1",
            "[QUT][WHEEL][UMICH][GPN]",
        ),
        _info(
            _C.DO_WEB1,
            "first web space (dorsum)",
            _D,
            "deep peroneal (fibular) nerve",
            "L5",
            "[OB-SPN][UMICH][WHEEL][GPN]",
        ),
        _info(
            _C.DO_MID,
            "dorsum of the midfoot and toes",
            _D,
            "superficial peroneal (fibular) nerve",
            "L5",
            "[OB-SPN][UMICH][GPN]",
        ),
        _info(
            _C.DO_LAT,
            "dorsolateral foot",
            _D,
            "sural nerve",
            "S1 (lateral foot)",
            "[QUT][WHEEL][GPN]",
        ),
        _info(
            _C.LG_MED,
            "medial leg",
            _L,
            "saphenous nerve",
            "L4",
            "[GPN][BROM][HARR]",
        ),
        _info(
            _C.LG_LAT,
            "lateral leg",
            _L,
            "superficial peroneal (fibular) nerve",
            "L5",
            "[GPN][OB-SPN][HARR]",
        ),
        _info(
            _C.LG_POST,
            "posterior calf",
            _L,
            "no single foot nerve: a dermatome rule-out region",
            "S1",
            "[GPN][BROM][HARR]",
        ),
    )
}

PLANTAR_NERVE_REGIONS: frozenset[RegionCode] = frozenset(
    {
        _C.PL_ARCH_MED,
        _C.PL_MID_LAT,
        _C.PL_FORE_MED,
        _C.PL_FORE_LAT,
        _C.PL_HALLUX,
        _C.PL_TOES_2_3,
        _C.PL_TOE_4,
        _C.PL_TOE_5,
    }
)
"""Regions of the medial and lateral plantar nerves: the tibial/TTS pattern (section 2.4)."""

HEEL_REGIONS: frozenset[RegionCode] = frozenset({_C.PL_HEEL_MED, _C.PL_HEEL_PAD, _C.PL_HEEL_LAT})


def regions_in(group: RegionGroup) -> tuple[RegionCode, ...]:
    """The region codes of a group, in reference order."""
    return tuple(code for code, info in REGIONS.items() if info.group is group)


def describe(code: RegionCode) -> str:
    """One line naming a region, its nerve and dermatome (used for hover text and print)."""
    info = REGIONS[code]
    return f"{info.code} {info.name}: {info.nerve}; dermatome {info.dermatome}"
