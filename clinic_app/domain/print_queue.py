"""The front-desk print queue: handouts the clinician picked, and the log of every print.

Nothing here carries clinical content: a queue line names the patient, the handout, its
language and how many copies, so the front desk can print without seeing the notes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from clinic_app.domain.handouts import HandoutLanguage, HandoutSide

MAX_COPIES = 5
MAX_NEXT_STEPS = 12


class PrintAction(StrEnum):
    """How a handout left the app."""

    PRINT = "print"
    REPRINT = "reprint"
    SAVE_PDF = "save_pdf"
    OPEN_VIEWER = "open_viewer"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HandoutChoice(_Frozen):
    """What the clinician picks for a patient: which handout, how, and with which next steps.

    Attributes:
        side: which foot the copy names, or None to leave the side off.
        large_print: print the body at 16 pt.
        next_steps: ids of the next steps ticked (``resources/handouts/next-steps.yaml``).
    """

    handout_id: str = Field(min_length=1, max_length=64)
    language: HandoutLanguage
    copies: int = Field(default=1, ge=1, le=MAX_COPIES)
    side: HandoutSide | None = None
    large_print: bool = False
    next_steps: tuple[str, ...] = Field(default=(), max_length=MAX_NEXT_STEPS)


class HandoutRequest(HandoutChoice):
    """One handout the clinician picked for a patient during a visit: the choice, queued."""

    id: int
    encounter_id: int
    patient_id: int
    requested_by_name: str
    requested_at: datetime
    done_at: datetime | None = None
    done_by_name: str | None = None

    @property
    def done(self) -> bool:
        """True once the front desk marked it done."""
        return self.done_at is not None


class QueueLine(_Frozen):
    """What the front desk sees of a request: no findings, no notes."""

    request_id: int
    patient_id: int
    patient_name: str
    handout_id: str
    title: str
    language: HandoutLanguage
    copies: int
    requested_at: datetime
    times_printed: int = 0
    date_of_birth: date | None = None
    mrn: str = ""
    """With the date of birth, tells apart two patients of the same name."""
    gloss: str = ""
    """The English title beside a title in another language (empty for English handouts)."""


class PrintRecord(_Frozen):
    """One print, reprint or saved PDF, with the exact handout version (the print log)."""

    id: int
    request_id: int | None
    patient_id: int | None
    handout_id: str
    version: int
    language: HandoutLanguage
    action: PrintAction
    by_id: int
    by_name: str
    at: datetime
