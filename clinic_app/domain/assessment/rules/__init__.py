"""Rules R0-R18 (clinical-reference.md section 4, amended by section 10.12) over the typed exam.

Each rule is a pure function of the exam and its context and returns suggestions ("consider
..."), never a diagnosis. Several rules may fire together; coexistence (R10) is never
suppressed. An unacknowledged urgent flag (R0 cauda equina, R16 acute or progressive major
weakness) holds back the routine foot suggestions (R1-R5) and the SLR reading (R13) until the
clinician acknowledges it. The rules live by family, each with its wording table beside it:

- ``red_flags``: R0 (cauda equina, serious pathology), R15 (central signs), R16 (major weakness);
- ``tibial``: R1, R2 (tarsal tunnel), R12 (after a release), R14 (nerve studies);
- ``heel``: R3 (medial calcaneal), R4 (Baxter's), R5 (plantar fasciitis);
- ``roots``: R6 (S1), R7 (L5 / peroneal), R8 (L4 / saphenous), R13 (SLR), R17 (stenosis);
- ``polyneuropathy``: R9 (length-dependent), R18 (loss of protective sensation);
- ``gate``: R10 (coexistence), R11 (the pre-operative gate).

Coding (10.12): a suggestion carries the sign and symptom codes of the findings that fired it
(reported now) apart from its diagnosis code (reported once confirmed), and only codes found
in the code set in force are offered.
"""

from __future__ import annotations

from clinic_app.domain.assessment.codes import BUILT_IN, CODE_SYSTEM, offered, symptom_codes
from clinic_app.domain.assessment.model import (
    SEVERITY_ORDER,
    Assessment,
    AssessmentContext,
    Suggestion,
)
from clinic_app.domain.assessment.rules.common import Rule
from clinic_app.domain.assessment.rules.gate import (
    COMPETING_RULES,
    LUMBAR_RULES,
    lumbar_missing,
    pre_operative_gate,
    r10_coexistence,
    r11_gate,
)
from clinic_app.domain.assessment.rules.heel import (
    r3_medial_calcaneal,
    r4_baxter,
    r5_plantar_fasciitis,
)
from clinic_app.domain.assessment.rules.polyneuropathy import (
    lops,
    r9_polyneuropathy,
    r18_protective_sensation,
)
from clinic_app.domain.assessment.rules.red_flags import (
    CES_FLAGS,
    ces_flags_present,
    major_weakness_flag,
    r0_red_flags,
    r0_serious_pathology,
    r15_central,
    r16_major_weakness,
    urgent_weakness,
)
from clinic_app.domain.assessment.rules.roots import (
    r6_s1,
    r7_l5_peroneal,
    r8_l4,
    r13_slr,
    r17_stenosis,
)
from clinic_app.domain.assessment.rules.tibial import (
    r1_r2_tibial,
    r12_after_release,
    r14_nerve_conduction,
)
from clinic_app.domain.exam import NeuroFootExam

__all__ = [
    "CES_FLAGS",
    "COMPETING_RULES",
    "LUMBAR_RULES",
    "ROUTINE_FOOT_RULES",
    "RULES",
    "assess",
    "ces_flags_present",
    "lumbar_missing",
]

ROUTINE_FOOT_RULES = frozenset({"R1", "R2", "R3", "R4", "R5", "R13"})
"""Held back while an urgent flag is unacknowledged (R0: suppress routine TTS suggestions;
R13 is not shown while R0 is unacknowledged, 10.12)."""

SYMPTOM_CODED = frozenset(
    {
        "R1",
        "R3",
        "R4",
        "R5",
        "R5-NERVE",
        "R6",
        "R7-L5",
        "R7-PERONEAL",
        "R7-CHECK",
        "R8-L4",
        "R8-SAPHENOUS",
        "R9",
        "R15",
        "R17",
    }
)
"""Suggestions that say "consistent with", "possible" or "consider": they carry the sign and
symptom codes of their findings, reported now (10.12 Coding)."""

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
    r15_central,
    r16_major_weakness,
    r17_stenosis,
    r18_protective_sensation,
)
"""Rules that read only the exam and context; R10 and R11 read the others' results."""


def _coded(suggestion: Suggestion, ctx: AssessmentContext) -> Suggestion:
    """The suggestion with its now-codes first, keeping only codes in the code set in force.

    Symptom codes (reported now) come before the diagnosis codes (reported once confirmed).
    """
    codes = suggestion.codes
    if suggestion.key in SYMPTOM_CODED:
        codes = symptom_codes(suggestion.findings) + codes
    kept = offered(codes, ctx.code_set or BUILT_IN)
    if kept == suggestion.codes:
        return suggestion
    return suggestion.model_copy(update={"codes": kept})


def assess(exam: NeuroFootExam, ctx: AssessmentContext | None = None) -> Assessment:
    """Every rule over one exam; urgent first, then warnings, then suggestions."""
    ctx = ctx or AssessmentContext()
    found: list[Suggestion] = [s for rule in RULES for s in rule(exam, ctx)]
    found.extend(r10_coexistence(exam, [s for s in found if s.rule in LUMBAR_RULES]))
    gate = pre_operative_gate(exam, ctx, found)
    found.extend(r11_gate(exam, ctx, gate))
    ces = ces_flags_present(exam)
    weakness = urgent_weakness(exam)
    urgent = ces + tuple(major_weakness_flag(side) for side in weakness)
    paths = tuple(f"red_flags.{name}.present" for name in ces) + tuple(weakness.values())
    acknowledged = set(urgent) <= set(ctx.acknowledged_red_flags)
    if urgent and not acknowledged:
        found = [
            s.model_copy(update={"held_back": True}) if s.rule in ROUTINE_FOOT_RULES else s
            for s in found
        ]
    found = [_coded(s, ctx) for s in found]
    found.sort(key=lambda s: (SEVERITY_ORDER[s.severity], int(s.rule.removeprefix("R"))))
    competing = bool(ctx.release_sides) and any(s.rule in COMPETING_RULES for s in found)
    return Assessment(
        suggestions=tuple(found),
        urgent_flags=urgent,
        urgent_paths=paths,
        urgent_acknowledged=acknowledged,
        lumbar_missing=lumbar_missing(exam) if ctx.release_sides else (),
        foot_primary_reason_needed=competing and not ctx.foot_primary_reason.strip(),
        gate=gate,
        lops=lops(exam),
        code_system=CODE_SYSTEM,
        code_version=(ctx.code_set or BUILT_IN).year,
    )
