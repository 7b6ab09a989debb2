"""ICD-10-CM codes the rules may suggest: only those clinical-reference.md 5.1 marks VERIFIED.

Every code here was checked line by line against a copy of the CMS code-descriptions file
[CMS-ICD] that holds codes introduced in October 2023, i.e. the FY2024 code set. The version
travels with every suggested code, because codes change every 1 October (section 0.4); re-check
against the current CMS release before shipping.

Codes whose *use* the reference leaves unverified (G57.6x / G57.8x for medial calcaneal or
Baxter's nerve entrapment, section 5.1 coding notes) are deliberately not suggested by any rule.
"""

from __future__ import annotations

from clinic_app.domain.assessment.model import CodeSuggestion, Laterality
from clinic_app.domain.exam import Side

CODE_SYSTEM = "ICD-10-CM"
CODE_VERSION = "FY2024"
"""[CMS-ICD]: the checked copy contains codes introduced in October 2023."""

VERIFIED_CODES: dict[str, str] = {
    "G57.50": "Tarsal tunnel syndrome, unspecified lower limb",
    "G57.51": "Tarsal tunnel syndrome, right lower limb",
    "G57.52": "Tarsal tunnel syndrome, left lower limb",
    "G57.53": "Tarsal tunnel syndrome, bilateral lower limbs",
    "G57.30": "Lesion of lateral popliteal nerve, unspecified lower limb",
    "G57.31": "Lesion of lateral popliteal nerve, right lower limb",
    "G57.32": "Lesion of lateral popliteal nerve, left lower limb",
    "G57.33": "Lesion of lateral popliteal nerve, bilateral lower limbs",
    "G54.4": "Lumbosacral root disorders, not elsewhere classified",
    "G62.9": "Polyneuropathy, unspecified",
    "E11.42": "Type 2 diabetes mellitus with diabetic polyneuropathy",
    "M54.16": "Radiculopathy, lumbar region",
    "M54.17": "Radiculopathy, lumbosacral region",
    "M72.2": "Plantar fascial fibromatosis",
}
"""Code -> CMS description, for the codes the rules suggest (all VERIFIED in section 5.1)."""


def laterality_of(sides: tuple[Side, ...]) -> Laterality:
    """The laterality a set of fired sides maps to."""
    if set(sides) == {Side.RIGHT, Side.LEFT}:
        return Laterality.BILATERAL
    if sides == (Side.RIGHT,):
        return Laterality.RIGHT
    if sides == (Side.LEFT,):
        return Laterality.LEFT
    return Laterality.NOT_APPLICABLE


_LATERAL_DIGIT = {
    Laterality.NOT_APPLICABLE: "0",
    Laterality.RIGHT: "1",
    Laterality.LEFT: "2",
    Laterality.BILATERAL: "3",
}


def code(
    number: str, laterality: Laterality = Laterality.NOT_APPLICABLE, note: str = ""
) -> CodeSuggestion:
    """A suggestion for one verified code; KeyError for anything not in VERIFIED_CODES."""
    return CodeSuggestion(
        code=number,
        description=VERIFIED_CODES[number],
        laterality=laterality,
        system=CODE_SYSTEM,
        version=CODE_VERSION,
        note=note,
    )


def lateral_code(stem: str, sides: tuple[Side, ...], note: str = "") -> CodeSuggestion:
    """A code whose last digit carries laterality (G57.5x: 1 right, 2 left, 3 bilateral)."""
    laterality = laterality_of(sides)
    return code(stem + _LATERAL_DIGIT[laterality], laterality, note)
