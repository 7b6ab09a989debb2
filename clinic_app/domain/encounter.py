"""Encounters: draft -> signed -> signed addenda, with content hashes that detect tampering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clinic_app.domain.assessment.model import Assessment, PatientFacts
from clinic_app.domain.assessment.record import AssessmentRecord, ReleasePlan
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.hashing import canonical_json, sha256_hex
from clinic_app.domain.layout import set_path

MAX_TEXT = 20_000
MAX_TEACH_BACK_NOTE = 500
CONTENT_SCHEMA_VERSION = 4


class EncounterStatus(StrEnum):
    """Where an encounter is in its life: drafts change, signed encounters never do."""

    DRAFT = "draft"
    SIGNED = "signed"


class TeachBack(BaseModel):
    """Whether the clinician checked understanding with teach-back (AHRQ Tool 5, 6.5).

    [AHRQ-TOOLKIT]: the patient explains back, in their own words, what they need to do.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    done: bool = False
    note: str = Field(default="", max_length=MAX_TEACH_BACK_NOTE)
    """What the patient said back, or what needed explaining again."""


class SignedAssessment(BaseModel):
    """The assessment as shown when the encounter was signed, with the patient facts it read.

    Stored inside the signed content (covered by the hash), so a signed note prints what was
    signed, whatever the patient's record or the rules say later.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    assessment: Assessment
    patient: PatientFacts
    at: datetime


class EncounterContent(BaseModel):
    """The clinical content of an encounter: the structured exam, notes, plan and assessment.

    Version 1 (before the structured exam) had notes and plan only; it opens with every exam
    finding not tested. Version 2 had no planned release and no assessment decisions; it opens
    with none. Signed content is hashed as it was stored, so reading an old version never
    breaks its signature (see ``Encounter.stored_content``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = CONTENT_SCHEMA_VERSION
    exam: NeuroFootExam = NeuroFootExam()
    notes: str = Field(default="", max_length=MAX_TEXT)
    plan: str = Field(default="", max_length=MAX_TEXT)
    copied_from: date | None = None
    """The date of the visit whose findings were copied forward into this draft."""
    unconfirmed: tuple[str, ...] = ()
    """Exam paths copied forward and not yet confirmed or changed; signing waits for them."""
    release: ReleasePlan = ReleasePlan.NONE
    """Whether the plan includes a tarsal tunnel release, and on which side (R11)."""
    assessment: AssessmentRecord = AssessmentRecord()
    """Decisions, the urgent-flag acknowledgement, the R11 reason, override and acknowledgement."""
    teach_back: TeachBack = TeachBack()
    """Teach-back done for the handouts of this visit (printed on the note)."""
    signed_assessment: SignedAssessment | None = None
    """The assessment and gate verdict as signed (set only at signing)."""

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        version = data.get("schema_version", CONTENT_SCHEMA_VERSION)
        if version == 1:
            data = {**data, "schema_version": 2, "exam": NeuroFootExam().model_dump(mode="json")}
            version = 2
        if version == 2:
            # Nothing to convert: the planned release and the decisions start empty.
            data = {**data, "schema_version": 3}
            version = 3
        if version == 3:
            # Nothing to convert: no teach-back recorded, no assessment stored at signing
            # (encounters signed before this print their assessment as recomputed, and say so).
            data = {**data, "schema_version": 4}
        return data

    @field_validator("schema_version")
    @classmethod
    def _known(cls, value: int) -> int:
        if value != CONTENT_SCHEMA_VERSION:
            raise ValueError(
                f"Encounter content version {value} is not one this app understands "
                f"({CONTENT_SCHEMA_VERSION}); update clinic_app."
            )
        return value


class NewEncounter(BaseModel):
    """What the clinician enters to open an encounter."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    patient_id: int
    encounter_date: date
    reason: str = Field(max_length=500)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value:
            raise ValueError("Enter the reason for the visit.")
        return value


class Addendum(BaseModel):
    """A signed amendment; it never changes the signed encounter it follows."""

    model_config = ConfigDict(frozen=True)

    id: int
    encounter_id: int
    text: str
    author_id: int
    author_name: str
    signed_at: datetime
    content_hash: str
    findings: dict[str, Any] = Field(default_factory=dict)
    """Exam path -> value this addendum adds or corrects; the signed exam never changes."""
    signature: str | None = None
    """The author's Ed25519 signature (hex) over the payload; None on addenda from before."""
    signing_key_id: int | None = None

    def payload(self, encounter_hash: str) -> dict[str, Any]:
        """What the addendum's hash covers, chained to the encounter's own hash."""
        return addendum_payload(
            self.encounter_id,
            encounter_hash,
            self.text,
            self.author_id,
            self.author_name,
            self.signed_at,
            self.findings,
        )


class DraftSummary(BaseModel):
    """An unsigned draft waiting for its clinician (offered again after a crash)."""

    model_config = ConfigDict(frozen=True)

    encounter_id: int
    patient_id: int
    patient_name: str
    encounter_date: date
    updated_at: datetime


class EncounterSummary(BaseModel):
    """A line of the chart's encounter list: no clinical content (front desk may see it)."""

    model_config = ConfigDict(frozen=True)

    id: int
    patient_id: int
    encounter_date: date
    clinician_name: str
    status: EncounterStatus
    addenda_count: int = 0


class VisitSummary(EncounterSummary):
    """A line of the visit list for clinical readers: the summary and the reason for the visit.

    The reason is clinical: the front desk gets the plain EncounterSummary (``for_front_desk``).
    """

    reason: str = ""

    def for_front_desk(self) -> EncounterSummary:
        """The same line without the reason."""
        return EncounterSummary.model_validate(self.model_dump(exclude={"reason"}))


class Encounter(BaseModel):
    """A whole encounter with its content, signature and addenda."""

    model_config = ConfigDict(frozen=True)

    id: int
    patient_id: int
    encounter_date: date
    clinician_id: int
    clinician_name: str
    reason: str
    status: EncounterStatus
    content: EncounterContent
    version: int
    created_at: datetime
    updated_at: datetime
    signed_by_id: int | None = None
    signed_by_name: str | None = None
    signed_at: datetime | None = None
    content_hash: str | None = None
    signature: str | None = None
    """The signer's Ed25519 signature (hex) over the signed payload; None before signatures."""
    signing_key_id: int | None = None
    addenda: tuple[Addendum, ...] = ()
    stored_content: dict[str, Any] | None = Field(default=None, repr=False)
    """The content JSON exactly as stored (before any migration): what signatures cover."""

    @property
    def is_signed(self) -> bool:
        """True once the encounter is locked."""
        return self.status is EncounterStatus.SIGNED

    def summary(self) -> EncounterSummary:
        """The list line for this encounter."""
        return EncounterSummary(
            id=self.id,
            patient_id=self.patient_id,
            encounter_date=self.encounter_date,
            clinician_name=self.clinician_name,
            status=self.status,
            addenda_count=len(self.addenda),
        )

    def visit_summary(self) -> VisitSummary:
        """The list line for this encounter with its reason (for clinical readers)."""
        return VisitSummary(**self.summary().model_dump(), reason=self.reason)


def utc_iso(moment: datetime) -> str:
    """ISO text of a moment in UTC; naive values (as SQLite returns them) are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def signed_payload(
    encounter: Encounter, signer_id: int, signer_name: str, signed_at: datetime
) -> dict[str, Any]:
    """Everything a signature vouches for."""
    return {
        "encounter_id": encounter.id,
        "patient_id": encounter.patient_id,
        "encounter_date": encounter.encounter_date.isoformat(),
        "clinician_id": encounter.clinician_id,
        "clinician_name": encounter.clinician_name,
        "reason": encounter.reason,
        "content": (
            encounter.stored_content
            if encounter.stored_content is not None
            else encounter.content.model_dump(mode="json")
        ),
        "signed_by_id": signer_id,
        "signed_by_name": signer_name,
        "signed_at": utc_iso(signed_at),
    }


def addendum_payload(
    encounter_id: int,
    encounter_hash: str,
    text: str,
    author_id: int,
    author_name: str,
    signed_at: datetime,
    findings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything an addendum's signature vouches for.

    Findings join the payload only when there are some, so text-only addenda signed before
    addenda could carry findings keep their hashes.
    """
    payload: dict[str, Any] = {
        "encounter_id": encounter_id,
        "encounter_hash": encounter_hash,
        "text": text,
        "author_id": author_id,
        "author_name": author_name,
        "signed_at": utc_iso(signed_at),
    }
    if findings:
        payload["findings"] = dict(findings)
    return payload


def effective_exam(encounter: Encounter) -> tuple[NeuroFootExam, dict[str, int]]:
    """The signed exam with every addendum's findings applied in order.

    Returns the exam as it now reads and path -> number (1-based) of the addendum that last
    set it. The signed content itself is never changed.
    """
    data = encounter.content.exam.model_dump(mode="json")
    amended: dict[str, int] = {}
    for number, add in enumerate(encounter.addenda, 1):
        for path, value in add.findings.items():
            set_path(data, path, value)
            amended[path] = number
    if not amended:
        return encounter.content.exam, amended
    return NeuroFootExam.model_validate(data), amended


def hash_payload(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a payload."""
    return sha256_hex(canonical_json(payload))


def integrity_problems(encounter: Encounter) -> list[str]:
    """Every way the stored signed content differs from its hashes (empty when intact)."""
    if not encounter.is_signed:
        return []
    problems: list[str] = []
    if (
        encounter.signed_at is None
        or encounter.signed_by_id is None
        or encounter.signed_by_name is None
        or encounter.content_hash is None
    ):
        return ["The encounter is marked signed but its signature block is incomplete."]
    expected = hash_payload(
        signed_payload(
            encounter, encounter.signed_by_id, encounter.signed_by_name, encounter.signed_at
        )
    )
    if expected != encounter.content_hash:
        problems.append(
            "The signed encounter does not match its content hash: it was changed after signing."
        )
    for add in encounter.addenda:
        if hash_payload(add.payload(encounter.content_hash)) != add.content_hash:
            problems.append(
                f"Addendum #{add.id} does not match its content hash: it was changed after signing."
            )
    return problems


def short_hash(digest: str | None) -> str:
    """The first 12 hex digits, as shown on screen (the whole hash is printed on paper)."""
    return (digest or "")[:12]
