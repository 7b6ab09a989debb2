"""What the clinician did with the assessment, stored (and signed) with the encounter.

Accept/dismiss choices, the acknowledgement of urgent red flags, the planned tarsal tunnel
release and the written reason why the foot is the primary source (R11) are clinical content:
they are saved with the draft and covered by the signature's hash.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clinic_app.domain.exam import Side

MAX_COMMENT = 500
MAX_REASON = 2_000
MIN_REASON_CHARS = 15
"""A written reason is a sentence, not a tick: shorter text is refused at the field."""


class ReleasePlan(StrEnum):
    """Whether (and where) the plan includes a tarsal tunnel release (R11)."""

    NONE = "none"
    RIGHT = "right"
    LEFT = "left"
    BOTH = "both"

    @property
    def sides(self) -> tuple[Side, ...]:
        """The sides the release is planned for."""
        return {
            ReleasePlan.NONE: (),
            ReleasePlan.RIGHT: (Side.RIGHT,),
            ReleasePlan.LEFT: (Side.LEFT,),
            ReleasePlan.BOTH: (Side.RIGHT, Side.LEFT),
        }[self]


_RELEASE_WORDS = re.compile(
    r"tarsal[\s-]+tunnel[\s-]+(release|decompression|surgery)|\bTTR\b|\btarsal tunnel\b.*\brelease",
    re.IGNORECASE,
)


def plan_text_mentions_release(plan: str) -> bool:
    """True when the free-text plan names a tarsal tunnel release.

    A safety net for R11: a release written in the plan but not ticked still closes the gate.
    """
    return bool(_RELEASE_WORDS.search(plan))


class Choice(StrEnum):
    """The clinician's answer to one suggestion (10.12 Coding: three answers).

    A confirmed diagnosis is reported with its diagnosis code; a working impression with the
    sign and symptom codes only; a dismissed suggestion with none. ``accepted`` is the answer
    encounters signed before the three-way decision stored, and reads as a working impression.
    """

    CONFIRMED = "confirmed"
    WORKING = "working"
    DISMISSED = "dismissed"
    ACCEPTED = "accepted"

    @property
    def reports_diagnosis(self) -> bool:
        """True when the diagnosis code is reported (a confirmed diagnosis only)."""
        return self is Choice.CONFIRMED

    @property
    def sentence(self) -> str:
        """How the decision reads on screen and on the visit note."""
        return {
            Choice.CONFIRMED: "Confirmed as a diagnosis",
            Choice.WORKING: "Kept as a working impression",
            Choice.ACCEPTED: "Accepted (a working impression)",
            Choice.DISMISSED: "Dismissed",
        }[self]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Decision(_Frozen):
    """Accept or dismiss one suggestion, with an optional comment."""

    choice: Choice
    comment: str = Field(default="", max_length=MAX_COMMENT)


class RedFlagAcknowledgement(_Frozen):
    """The clinician saw the urgent banner for these red flags (audited when made)."""

    flags: tuple[str, ...]
    by_name: str
    at: datetime


def _a_sentence(value: str, what: str) -> str:
    if value and len(value) < MIN_REASON_CHARS:
        raise ValueError(f"Write a sentence on {what} (at least {MIN_REASON_CHARS} characters).")
    return value


class GateOverride(_Frozen):
    """A named, timed override of the gate's items 3-4 with its own reason (audited when made).

    It passes only "evidence for the tarsal tunnel" and "competing causes answered"; it never
    passes the lumbar screen, the pulses or the nerve-studies acknowledgement (10.12 R11).
    """

    reason: str = Field(max_length=MAX_REASON)
    by_name: str
    at: datetime

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value:
            raise ValueError("An override needs its own written reason.")
        return _a_sentence(value, "why the gate is overridden")


class StudiesAcknowledgement(_Frozen):
    """The clinician signs without electrodiagnostic confirmation, knowingly (audited)."""

    by_name: str
    at: datetime


class AssessmentRecord(_Frozen):
    """Decisions on the live assessment of one encounter."""

    decisions: dict[str, Decision] = Field(default_factory=dict)
    """Suggestion key -> the clinician's choice."""
    red_flags_acknowledged: RedFlagAcknowledgement | None = None
    foot_primary_reason: str = Field(default="", max_length=MAX_REASON)
    """Why the foot is the primary source although a competing cause fired (R11)."""
    gate_override: GateOverride | None = None
    """The audited override of the gate's items 3-4 (R11), when one was made."""
    studies_acknowledged: StudiesAcknowledgement | None = None
    """The acknowledgement that no nerve study confirms the foot (R11 item 5)."""

    @field_validator("foot_primary_reason")
    @classmethod
    def _sentence(cls, value: str) -> str:
        return _a_sentence(value, "why the foot is the primary source")

    @property
    def acknowledged_flags(self) -> tuple[str, ...]:
        """Red-flag names covered by the acknowledgement (empty when none)."""
        return self.red_flags_acknowledged.flags if self.red_flags_acknowledged else ()
