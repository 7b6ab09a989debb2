"""ICD-10-CM codes the rules may suggest: only those clinical-reference.md 5.1 marks VERIFIED.

Every code here was checked line by line against a copy of the CMS code-descriptions file
[CMS-ICD] that holds codes introduced in October 2023, i.e. the FY2024 code set. The version
travels with every suggested code, because codes change every 1 October (section 0.4). A
practice can load the CMS file of the fiscal year in force (``clinic-app codes import``); from
then on only codes found in that file are offered, labelled with its year (10.12 Coding).

Codes whose *use* the reference leaves unverified (G57.6x / G57.8x for medial calcaneal or
Baxter's nerve entrapment, section 5.1 coding notes; M48.06x for stenosis, 10.5) are
deliberately not suggested by any rule.

Outpatient coding (10.5, 10.12): a suggestion is an uncertain diagnosis, so it carries the
sign and symptom codes of the findings that fired it, reported **now**, and its diagnosis code
reported only once the clinician records the diagnosis as **confirmed** [CHIRO-2025-C]
[AAPC-CC2005][AGES-IB4-C][CMS-MLN-SS].
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clinic_app.domain.assessment.model import (
    CodeSet,
    CodeSuggestion,
    FiredFinding,
    Laterality,
    ReportWhen,
)
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
    "G83.4": "Cauda equina syndrome",
    "E11.42": "Type 2 diabetes mellitus with diabetic polyneuropathy",
    "M54.16": "Radiculopathy, lumbar region",
    "M54.17": "Radiculopathy, lumbosacral region",
    "M72.2": "Plantar fascial fibromatosis",
    # Signs and symptoms, reported now (10.5 fact 5; 10.12 Coding).
    "R20.0": "Anesthesia of skin",
    "R20.1": "Hypoesthesia of skin",
    "R20.2": "Paresthesia of skin",
    "R20.3": "Hyperesthesia",
    "M79.671": "Pain in right foot",
    "M79.672": "Pain in left foot",
    "R29.2": "Abnormal reflex",
    "M54.50": "Low back pain, unspecified",
}
"""Code -> CMS description, for the codes the rules suggest (all VERIFIED in section 5.1)."""

SYMPTOM_CODES = frozenset(
    {"R20.0", "R20.1", "R20.2", "R20.3", "M79.671", "M79.672", "R29.2", "M54.50"}
)
"""Sign and symptom codes: reported now. Every other code is a diagnosis code."""

BUILT_IN = CodeSet(year=CODE_VERSION, codes=VERIFIED_CODES)
"""The code set used until a practice loads the CMS file of a later fiscal year."""


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


def report_when(number: str) -> ReportWhen:
    """Signs and symptoms are reported now; a diagnosis only once confirmed."""
    return ReportWhen.NOW if number in SYMPTOM_CODES else ReportWhen.CONFIRMED


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
        report_when=report_when(number),
        note=note,
    )


def lateral_code(stem: str, sides: tuple[Side, ...], note: str = "") -> CodeSuggestion:
    """A code whose last digit carries laterality (G57.5x: 1 right, 2 left, 3 bilateral)."""
    laterality = laterality_of(sides)
    return code(stem + _LATERAL_DIGIT[laterality], laterality, note)


# --- sign and symptom codes from the findings that fired a suggestion -------------------------

_ABNORMAL_REFLEX = frozenset({"0", "1+", "3+", "4+"})
_SKIN_GRADES = {"absent": "R20.0", "reduced": "R20.1", "hyperaesthetic": "R20.3"}
_NERVE_SYMPTOMS = frozenset({"numb", "tingling", "burning"})
_FOOT_PAIN = {Side.RIGHT: "M79.671", Side.LEFT: "M79.672"}
_FOOT_LATERALITY = {Side.RIGHT: Laterality.RIGHT, Side.LEFT: Laterality.LEFT}


def _region_codes(side: Side, charted: dict[str, Any]) -> Iterable[tuple[str, Laterality]]:
    none = Laterality.NOT_APPLICABLE
    for modality in ("light_touch", "pin_prick"):
        number = _SKIN_GRADES.get(str(charted.get(modality, "")))
        if number:
            yield number, none
    if charted.get("monofilament") == "not_felt":
        yield "R20.1", none
    symptoms = set(charted.get("symptoms") or ())
    if symptoms & _NERVE_SYMPTOMS:
        yield "R20.2", none
    if "pain" in symptoms:
        yield _FOOT_PAIN[side], _FOOT_LATERALITY[side]


def _finding_codes(found: FiredFinding) -> Iterable[tuple[str, Laterality]]:
    parts = found.path.split(".")
    none = Laterality.NOT_APPLICABLE
    if len(parts) == 4 and parts[1:3] == ["sensory", "regions"] and isinstance(found.value, dict):
        yield from _region_codes(Side(parts[0]), found.value)
    elif parts[-1] == "grade" and parts[-2] in ("achilles", "patellar"):
        if found.value in _ABNORMAL_REFLEX:
            yield "R29.2", none
    elif (parts[-1] == "plantar_response" and found.value == "extensor") or (
        parts[-1] == "ankle_clonus" and found.value == "sustained"
    ):
        yield "R29.2", none
    elif found.path == "lumbar.back_pain" and found.value == "yes":
        yield "M54.50", none


def symptom_codes(findings: Iterable[FiredFinding]) -> tuple[CodeSuggestion, ...]:
    """The sign and symptom codes (reported now) for the findings that fired a suggestion.

    R20.0 absent, R20.1 reduced (or a monofilament not felt), R20.2 tingling, burning or
    numbness reported, R20.3 hyperaesthesia, M79.671/M79.672 foot pain by side, R29.2 an
    abnormal reflex (reduced, absent, very brisk, clonus, an extensor plantar response or
    sustained clonus), M54.50 low back pain (10.12 Coding) [CMS-ICD][CMS-MLN-SS].
    """
    seen: dict[str, Laterality] = {}
    for found in findings:
        for number, laterality in _finding_codes(found):
            seen.setdefault(number, laterality)
    order = list(VERIFIED_CODES)
    return tuple(
        code(number, laterality)
        for number, laterality in sorted(seen.items(), key=lambda i: order.index(i[0]))
    )


def offered(codes: tuple[CodeSuggestion, ...], code_set: CodeSet) -> tuple[CodeSuggestion, ...]:
    """The codes found in the code set in force, labelled with its year and descriptions."""
    return tuple(
        c.model_copy(update={"version": code_set.year, "description": code_set.codes[c.code]})
        for c in codes
        if c.code in code_set.codes
    )
