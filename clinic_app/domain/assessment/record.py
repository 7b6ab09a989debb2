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
    """The clinician's answer to one suggestion."""

    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


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


class AssessmentRecord(_Frozen):
    """Decisions on the live assessment of one encounter."""

    decisions: dict[str, Decision] = Field(default_factory=dict)
    """Suggestion key -> the clinician's choice."""
    red_flags_acknowledged: RedFlagAcknowledgement | None = None
    foot_primary_reason: str = Field(default="", max_length=MAX_REASON)
    """Why the foot is the primary source although R6-R9 fired (R11)."""

    @field_validator("foot_primary_reason")
    @classmethod
    def _sentence(cls, value: str) -> str:
        if value and len(value) < MIN_REASON_CHARS:
            raise ValueError(
                "Write a sentence on why the foot is the primary source "
                f"(at least {MIN_REASON_CHARS} characters)."
            )
        return value

    @property
    def acknowledged_flags(self) -> tuple[str, ...]:
        """Red-flag names covered by the acknowledgement (empty when none)."""
        return self.red_flags_acknowledged.flags if self.red_flags_acknowledged else ()
