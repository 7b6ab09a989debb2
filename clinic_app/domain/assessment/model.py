"""What the live assessment says: suggestions with their reasons, sources and codes.

A suggestion is never a diagnosis (clinical-reference.md, status note): it names the rule that
fired, the findings that fired it (exam paths with their values, so a screen can take the
clinician to them), a short reason, the reference's source tags and, where the reference lists
verified codes, ICD-10-CM codes with laterality and the code-set version.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clinic_app.domain.exam import Side


class Severity(StrEnum):
    """How loudly a suggestion is shown: urgent ones take over the screen."""

    URGENT = "urgent"
    WARNING = "warning"
    SUGGESTION = "suggestion"


SEVERITY_ORDER: dict[Severity, int] = {
    Severity.URGENT: 0,
    Severity.WARNING: 1,
    Severity.SUGGESTION: 2,
}


class Confidence(StrEnum):
    """The reference's confidence words (section 4 conventions); None where it gives none."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class Laterality(StrEnum):
    """Which limb a code names; bilateral codes are used where they exist (section 5.1)."""

    RIGHT = "right"
    LEFT = "left"
    BILATERAL = "bilateral"
    NOT_APPLICABLE = "not_applicable"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FiredFinding(_Frozen):
    """One charted finding a rule read: its exam path and the value it held."""

    path: str
    value: Any = None


class Reason(_Frozen):
    """One line of why a rule fired, with the findings it points at."""

    text: str
    findings: tuple[FiredFinding, ...] = ()


class ReportWhen(StrEnum):
    """When a suggested code may be reported (ICD-10-CM outpatient guideline IV.H; 10.5).

    An uncertain diagnosis ("consistent with", "possible", "consider") is not coded at an
    outpatient visit: the signs and symptoms that fired it are reported now, and the diagnosis
    code only once the clinician records the diagnosis as confirmed [CHIRO-2025-C]
    [AAPC-CC2005][AGES-IB4-C][CMS-MLN-SS].
    """

    NOW = "now"
    CONFIRMED = "confirmed"


class CodeSuggestion(_Frozen):
    """A suggested ICD-10-CM code (only codes the reference marks VERIFIED)."""

    code: str
    description: str
    laterality: Laterality
    system: str
    version: str
    report_when: ReportWhen = ReportWhen.CONFIRMED
    note: str = ""


class Suggestion(_Frozen):
    """What one rule (or one branch of it) says about this exam.

    ``key`` identifies the suggestion for accept/dismiss decisions: the rule id, plus a branch
    name where a rule has several (``R0-CES``, ``R7-PERONEAL``).
    """

    key: str
    rule: str
    severity: Severity
    title: str
    sides: tuple[Side, ...] = ()
    confidence: Confidence | None = None
    reasons: tuple[Reason, ...] = ()
    why: str = ""
    next_step: str = ""
    sources: tuple[str, ...] = ()
    codes: tuple[CodeSuggestion, ...] = ()
    coding_note: str = ""
    held_back: bool = False
    """True while an unacknowledged urgent red flag holds this routine suggestion back."""

    @property
    def findings(self) -> tuple[FiredFinding, ...]:
        """Every finding named by the reasons, each path once, in order."""
        seen: dict[str, FiredFinding] = {}
        for reason in self.reasons:
            for found in reason.findings:
                seen.setdefault(found.path, found)
        return tuple(seen.values())


class GateItem(StrEnum):
    """The five items of the pre-operative gate (R11 as amended in 10.12)."""

    LUMBAR_SCREEN = "lumbar_screen"
    VASCULAR_SCREEN = "vascular_screen"
    TUNNEL_EVIDENCE = "tunnel_evidence"
    COMPETING_CAUSES = "competing_causes"
    NERVE_STUDIES = "nerve_studies"


OVERRIDABLE_ITEMS = frozenset({GateItem.TUNNEL_EVIDENCE, GateItem.COMPETING_CAUSES})
"""Only these may be passed by a named, timed, audited override with its own reason."""
ACKNOWLEDGED_ITEMS = frozenset({GateItem.NERVE_STUDIES})
"""Studies can be falsely negative [AHMAD]: this item is an acknowledgement, not a block."""


class GateState(StrEnum):
    """Where the pre-operative gate stands."""

    NOT_APPLICABLE = "not_applicable"
    BLOCKED = "blocked"
    OPEN = "open"
    OVERRIDDEN = "overridden"


class GateCheck(_Frozen):
    """One gate item for one side, with what it asks and the findings to go to."""

    item: GateItem
    side: Side
    label: str
    paths: tuple[str, ...] = ()


class Gate(_Frozen):
    """The pre-operative gate's verdict (R11 as amended in 10.12), per side and item."""

    state: GateState = GateState.NOT_APPLICABLE
    sides: tuple[Side, ...] = ()
    unmet: tuple[GateCheck, ...] = ()
    """Items that still refuse signing."""
    overridden: tuple[GateCheck, ...] = ()
    """Items 3-4 passed only by the clinician's audited override."""
    acknowledged: tuple[GateCheck, ...] = ()
    """The nerve-studies item, acknowledged by the clinician."""
    advisories: tuple[str, ...] = ()
    """Notes that do not refuse signing (a reduced pulse asks for pressures)."""

    @property
    def open(self) -> bool:
        """True when signing may go ahead as far as the gate is concerned."""
        return self.state is not GateState.BLOCKED


class PatientFacts(_Frozen):
    """What the rules read about the patient besides the exam."""

    diabetes: bool | None = None
    """True / False when known, None when unknown."""
    age: int | None = Field(default=None, ge=0, le=150)


class CodeSet(_Frozen):
    """An ICD-10-CM code set: its fiscal year and the codes (with CMS descriptions) it holds.

    Only codes the app can offer need be listed; a code missing here is never offered.
    """

    year: str
    codes: dict[str, str]


class Lops(StrEnum):
    """Loss of protective sensation per foot (R18, 10.11) [ADA-SOC-MIRROR]."""

    PRESENT = "present"
    ABSENT = "absent"
    INDETERMINATE = "indeterminate"


class AssessmentContext(_Frozen):
    """Everything besides the exam that the rules read."""

    patient: PatientFacts = PatientFacts()
    release_sides: tuple[Side, ...] = ()
    """Sides the plan includes a tarsal tunnel release for (R11)."""
    foot_primary_reason: str = ""
    """The clinician's written reason why the foot is the primary source (R11)."""
    acknowledged_red_flags: tuple[str, ...] = ()
    """Urgent flag names the clinician has acknowledged (R0, R16)."""
    gate_overridden: bool = False
    """A named, timed, audited override of gate items 3-4 is on record (R11)."""
    no_studies_acknowledged: bool = False
    """The clinician acknowledged signing without electrodiagnostic confirmation (R11)."""
    code_set: CodeSet | None = None
    """The ICD-10-CM code set in force (None: the built-in verified list)."""
    today: date | None = None
    """For 'recent onset' wording (R0); None leaves onset dates unjudged."""


class Assessment(_Frozen):
    """The whole live assessment of one exam."""

    suggestions: tuple[Suggestion, ...] = ()
    urgent_flags: tuple[str, ...] = ()
    """Urgent flags: cauda equina red flags answered yes (R0) by field name, and major motor
    weakness (R16) as ``major_weakness_<side>``."""
    urgent_paths: tuple[str, ...] = ()
    """The exam path each urgent flag points at, in the same order."""
    urgent_acknowledged: bool = True
    """False while urgent red flags are present and not all acknowledged."""
    lumbar_missing: tuple[str, ...] = ()
    """Lumbar-screen paths not tested, when a release is planned (R11); in form order."""
    foot_primary_reason_needed: bool = False
    """True when a release is planned, a competing cause is active and no reason is written."""
    gate: Gate = Gate()
    lops: dict[Side, Lops] = Field(default_factory=dict)
    """Loss of protective sensation per foot (R18)."""
    code_system: str = ""
    code_version: str = ""

    def get(self, key: str) -> Suggestion | None:
        """The suggestion with this key, if it fired."""
        return next((s for s in self.suggestions if s.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys of every suggestion that fired (held back or not)."""
        return tuple(s.key for s in self.suggestions)

    @property
    def shown(self) -> tuple[Suggestion, ...]:
        """The suggestions not held back by an unacknowledged red flag."""
        return tuple(s for s in self.suggestions if not s.held_back)

    @property
    def held_back(self) -> tuple[Suggestion, ...]:
        """Routine suggestions held back until the urgent red flags are acknowledged."""
        return tuple(s for s in self.suggestions if s.held_back)

    @property
    def gate_open(self) -> bool:
        """False while the pre-operative gate (R11) would refuse signing."""
        return self.gate.open
