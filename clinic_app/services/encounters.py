"""Use cases for encounters: open, autosave drafts, sign, add addenda, read back verified."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.assessment.context import assess_content, patient_facts
from clinic_app.domain.assessment.model import Assessment, CodeSet, PatientFacts, Severity
from clinic_app.domain.assessment.record import (
    AssessmentRecord,
    GateOverride,
    RedFlagAcknowledgement,
    StudiesAcknowledgement,
)
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import (
    MAX_TEXT,
    DraftSummary,
    Encounter,
    EncounterContent,
    EncounterStatus,
    EncounterSummary,
    NewEncounter,
    SignedAssessment,
    VisitSummary,
    addendum_payload,
    effective_exam,
    hash_payload,
    integrity_problems,
    signed_payload,
)
from clinic_app.domain.errors import (
    ClinicError,
    FieldErrors,
    NotFound,
    RecordLocked,
    SigningBlocked,
)
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.layout import get_path, leaf_paths, set_path
from clinic_app.domain.patient import Patient
from clinic_app.domain.print_queue import PrintAction
from clinic_app.services.common import audit, require
from clinic_app.services.keys import payload_bytes, signature_problems
from clinic_app.services.ports import Clock, Signature, UnitOfWork, UnitOfWorkFactory


class EncounterView(BaseModel):
    """An encounter as read back, with the result of its hash check."""

    model_config = ConfigDict(frozen=True)

    encounter: Encounter
    problems: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        """True when the signed content and every addendum match their hashes."""
        return not self.problems


class VisitNoteData(BaseModel):
    """What a visit note prints: the encounter as stored, its patient and its assessment."""

    model_config = ConfigDict(frozen=True)

    encounter: Encounter
    patient: Patient
    assessment: Assessment


def unrecorded_note(content: EncounterContent, mrn: str, today: date) -> VisitNoteData:
    """A visit note's data for a draft that is in no record: a made-up patient and encounter.

    For renders that must touch no patient (the self-test, the print rehearsal).
    """
    patient = Patient.model_validate(
        {
            "id": 0,
            "mrn": mrn,
            "family_name": "Sample",
            "given_name": mrn.title(),
            "date_of_birth": date(1960, 1, 1),
        },
        context={"today": today},
    )
    moment = datetime.now(UTC)
    encounter = Encounter(
        id=0,
        patient_id=0,
        encounter_date=today,
        clinician_id=0,
        clinician_name="-",
        reason="-",
        status=EncounterStatus.DRAFT,
        content=content,
        version=1,
        created_at=moment,
        updated_at=moment,
    )
    facts = patient_facts(patient, today)
    return VisitNoteData(
        encounter=encounter, patient=patient, assessment=assess_content(content, facts, today)
    )


class PreviousFindings(BaseModel):
    """The exam of an earlier signed visit, offered for copying forward."""

    model_config = ConfigDict(frozen=True)

    encounter_id: int
    encounter_date: date
    exam: NeuroFootExam


# An editing session's first draft save is audited at once; later saves at most once this often,
# and whatever is left unaudited when the session closes (sign, close_draft) is audited then.
DRAFT_AUDIT_EVERY = timedelta(minutes=5)


MAX_PARTIAL_ATTEMPTS = 4
"""Rounds of holding refused fields back before a draft is taken as unsaveable."""


@dataclass(frozen=True)
class PartialContent:
    """What a draft save stores: the valid content, and the fields held at their saved value.

    Attributes:
        content: the draft as it can be stored (refused fields as last saved).
        held: field -> why it was refused (these stay changed on screen, marked).
    """

    content: EncounterContent
    held: dict[str, str] = field(default_factory=dict)


@dataclass
class _EditingSession:
    """One actor's run of autosaves on one draft, since its last EDIT_DRAFT entry."""

    audited_at: datetime
    first_unaudited: int | None = None
    last_unaudited: int | None = None


def _hold_at_saved(
    draft: dict[str, Any],
    stored: Mapping[str, Any],
    key: str,
    shown_at: Callable[[str], str | None],
) -> bool:
    """Put one refused field of ``draft`` back to its stored value; False if it cannot be."""
    if key.startswith("exam."):
        target = shown_at(key.removeprefix("exam."))
        if target is None:
            return False
        key = f"exam.{target}"
    elif key not in ("notes", "plan", "release") and not key.startswith("assessment."):
        return False
    try:
        set_path(draft, key, get_path(stored, key))
    except KeyError:
        return False
    return True


def _versions(first: int, last: int) -> str:
    return f"version {last}" if first == last else f"versions {first}-{last}"


class EncounterService:
    """Open, chart, sign and amend encounters."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        label_of: Callable[[str], str] | None = None,
        code_set: CodeSet | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._label_of = label_of or (lambda path: path)
        self.code_set = code_set
        """The ICD-10-CM code set loaded for this practice (None: the built-in list)."""
        self._after_signing: Callable[[Principal, int], object] | None = None
        # Draft saves are audited per editing session (actor, encounter), not per autosave.
        self._editing: dict[tuple[int, int], _EditingSession] = {}

    def after_signing(self, hook: Callable[[Principal, int], object] | None) -> None:
        """Call hook(actor, encounter_id) once an encounter or an addendum is signed.

        The export folder is written this way; the hook must not raise (a failed export is
        its own business and never undoes a signature).
        """
        self._after_signing = hook

    def _signed(self, actor: Principal, encounter_id: int) -> None:
        if self._after_signing is not None:
            self._after_signing(actor, encounter_id)

    def create(self, actor: Principal, raw: Mapping[str, Any]) -> Encounter:
        """Open a draft encounter for a patient, charted by the actor."""
        require(actor, Permission.CLINICAL_WRITE)
        try:
            new = NewEncounter.model_validate(dict(raw))
        except ValidationError as exc:
            raise FieldErrors.from_validation_error(exc) from None
        if new.encounter_date > self._clock.today():
            raise FieldErrors({"encounter_date": "The visit date is in the future."})
        with self._uow() as uow:
            if uow.patients.get(new.patient_id) is None:
                raise NotFound(f"Patient #{new.patient_id} does not exist.")
            enc = uow.encounters.add(
                new.patient_id,
                new.encounter_date,
                actor.user_id,
                actor.display_name,
                new.reason,
                self._clock.now(),
            )
            audit(uow, self._clock, actor, AuditAction.CREATE, "encounter", enc.id)
            uow.commit()
            return enc

    def list_for_patient(self, actor: Principal, patient_id: int) -> list[EncounterSummary]:
        """Dates, clinicians and status (the reason only for clinical readers)."""
        require(actor, Permission.ENCOUNTER_LIST)
        with self._uow() as uow:
            found: list[EncounterSummary] = list(uow.encounters.list_for_patient(patient_id))
        if actor.can(Permission.CLINICAL_READ):
            return found
        return [e.for_front_desk() if isinstance(e, VisitSummary) else e for e in found]

    def get(self, actor: Principal, encounter_id: int) -> EncounterView:
        """Read an encounter with its content, checking every hash (audited)."""
        require(actor, Permission.CLINICAL_READ)
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            problems = self._integrity(uow, enc)
            # Opening the encounter (again) starts a new editing session.
            self._close_session(uow, actor, encounter_id)
            audit(uow, self._clock, actor, AuditAction.VIEW_ENCOUNTER, "encounter", enc.id)
            for problem in problems:
                audit(
                    uow,
                    self._clock,
                    actor,
                    AuditAction.INTEGRITY_ALERT,
                    "encounter",
                    enc.id,
                    problem,
                )
            uow.commit()
        self._editing.pop((actor.user_id, encounter_id), None)
        return EncounterView(encounter=enc, problems=problems)

    def validate_content(self, raw: Mapping[str, Any] | EncounterContent) -> EncounterContent:
        """Check draft content; raises FieldErrors naming each bad field."""
        if isinstance(raw, EncounterContent):
            return raw
        try:
            return EncounterContent.model_validate(
                dict(raw), context={"today": self._clock.today()}
            )
        except ValidationError as exc:
            raise FieldErrors.from_validation_error(exc) from None

    def valid_part(
        self,
        raw: Mapping[str, Any],
        stored: EncounterContent,
        shown_at: Callable[[str], str | None] | None = None,
    ) -> PartialContent:
        """Validate a draft; fields the model refuses keep their last saved value.

        A refused field does not cost the clinician the rest of the draft: everything valid
        is saved, and each refused field is put back to its stored value (and named in
        ``held``) until it is corrected.

        Args:
            raw: the draft as on screen; not changed.
            stored: the content as last saved.
            shown_at: for an exam error, the charted path that holds the refused value (a
                region's error is held at its whole map); None drops it. Default: the
                error's own path.

        Raises:
            FieldErrors: nothing sensible can be saved (a refusal that cannot be held back).
        """
        resolve = shown_at or (lambda path: path)
        draft: dict[str, Any] = dict(raw)
        copied = False
        dumped: dict[str, Any] = {}
        held: dict[str, str] = {}
        for _attempt in range(MAX_PARTIAL_ATTEMPTS):
            try:
                return PartialContent(self.validate_content(draft), held)
            except FieldErrors as exc:
                if not copied:
                    # Copied only when something is refused: a valid draft costs no copy.
                    draft, copied = copy.deepcopy(draft), True
                if not dumped:
                    dumped.update(stored.model_dump(mode="json"))
                progressed = False
                for key, message in exc.errors.items():
                    held.setdefault(key, message)
                    progressed = _hold_at_saved(draft, dumped, key, resolve) or progressed
                if not progressed:
                    raise
        raise FieldErrors(held)

    def previous_findings(self, actor: Principal, encounter_id: int) -> PreviousFindings | None:
        """The newest earlier signed visit of the same patient with a charted exam (audited).

        Copy forward brings these in as a draft to confirm; it never signs anything.
        """
        require(actor, Permission.CLINICAL_READ)
        blank = NeuroFootExam()
        with self._uow() as uow:
            current = self._load(uow, encounter_id)
            for summary in uow.encounters.list_for_patient(current.patient_id):
                if summary.id == current.id or summary.encounter_date > current.encounter_date:
                    continue
                if summary.status is not EncounterStatus.SIGNED:
                    continue
                earlier = self._load(uow, summary.id)
                if earlier.content.exam == blank or integrity_problems(earlier):
                    continue
                audit(
                    uow,
                    self._clock,
                    actor,
                    AuditAction.VIEW_ENCOUNTER,
                    "encounter",
                    earlier.id,
                    f"copy forward into encounter {encounter_id}",
                )
                uow.commit()
                return PreviousFindings(
                    encounter_id=earlier.id,
                    encounter_date=earlier.encounter_date,
                    exam=earlier.content.exam,
                )
        return None

    def save_draft(
        self,
        actor: Principal,
        encounter_id: int,
        content: Mapping[str, Any] | EncounterContent,
        expected_version: int,
    ) -> Encounter:
        """Save a draft; ConflictError if another workstation saved since expected_version."""
        require(actor, Permission.CLINICAL_WRITE)
        valid = self.validate_content(content)
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            if enc.is_signed:
                raise RecordLocked("This encounter is signed; add an addendum instead.")
            valid = self._keep_service_records(valid, enc)
            saved = uow.encounters.save_content(
                encounter_id, valid, expected_version, self._clock.now()
            )
            self._audit_edit(uow, actor, encounter_id, saved.version)
            uow.commit()
            return saved

    def _audit_edit(
        self, uow: UnitOfWork, actor: Principal, encounter_id: int, version: int
    ) -> None:
        """EDIT_DRAFT for the first save of a session, then at most every DRAFT_AUDIT_EVERY.

        Each entry says who, when, and which versions it covers ("versions 4-19").
        """
        now = self._clock.now()
        key = (actor.user_id, encounter_id)
        session = self._editing.get(key)
        if session is not None and now - session.audited_at < DRAFT_AUDIT_EVERY:
            session.first_unaudited = session.first_unaudited or version
            session.last_unaudited = version
            return
        first = version if session is None else (session.first_unaudited or version)
        audit(
            uow,
            self._clock,
            actor,
            AuditAction.EDIT_DRAFT,
            "encounter",
            encounter_id,
            _versions(first, version),
        )
        self._editing[key] = _EditingSession(audited_at=now)

    def _close_session(self, uow: UnitOfWork, actor: Principal, encounter_id: int) -> None:
        # (the session is forgotten by the caller once this transaction committed)
        session = self._editing.get((actor.user_id, encounter_id))
        if session is None or session.last_unaudited is None:
            return
        audit(
            uow,
            self._clock,
            actor,
            AuditAction.EDIT_DRAFT,
            "encounter",
            encounter_id,
            _versions(session.first_unaudited or session.last_unaudited, session.last_unaudited),
        )

    def close_draft(self, actor: Principal, encounter_id: int) -> None:
        """The actor closed the draft: audit the saves not yet audited (one entry, if any)."""
        key = (actor.user_id, encounter_id)
        session = self._editing.get(key)
        if session is None or session.last_unaudited is None:
            self._editing.pop(key, None)
            return
        with self._uow() as uow:
            self._close_session(uow, actor, encounter_id)
            uow.commit()
        self._editing.pop(key, None)

    @staticmethod
    def _keep_service_records(valid: EncounterContent, enc: Encounter) -> EncounterContent:
        """A draft save keeps what only the service makes, whatever the client sent.

        The urgent-flag acknowledgement, the gate override and the no-studies acknowledgement
        are made only by their audited calls; the signed assessment only at signing.
        """
        stored = enc.content.assessment
        kept = {
            "red_flags_acknowledged": stored.red_flags_acknowledged,
            "gate_override": stored.gate_override,
            "studies_acknowledged": stored.studies_acknowledged,
        }
        record = valid.assessment
        if any(getattr(record, name) != value for name, value in kept.items()):
            record = record.model_copy(update=kept)
        if record is valid.assessment and valid.signed_assessment is None:
            return valid
        return valid.model_copy(update={"assessment": record, "signed_assessment": None})

    def sign(self, actor: Principal, encounter_id: int, expected_version: int) -> Encounter:
        """Lock the draft: signer, time and a hash of everything signed.

        The assessment as shown (suggestions, decisions' codes, the gate's verdict) and the
        patient facts it read are stored in the signed content, so the hash covers them.
        """
        require(actor, Permission.SIGN)
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            if enc.is_signed:
                raise RecordLocked("This encounter is already signed.")
            self._check_unconfirmed(enc)
            self._close_session(uow, actor, encounter_id)
            found = self._assess(uow, enc)
            self._check_gate(found)
            self._check_decisions(enc, found)
            signed_at = self._clock.now()
            snapshot = SignedAssessment(
                assessment=found, patient=self._facts(uow, enc), at=signed_at
            )
            enc = uow.encounters.save_content(
                encounter_id,
                enc.content.model_copy(update={"signed_assessment": snapshot}),
                expected_version,
                signed_at,
            )
            payload = signed_payload(enc, actor.user_id, actor.display_name, signed_at)
            digest = hash_payload(payload)
            signed = uow.encounters.mark_signed(
                encounter_id,
                enc.version,
                actor.user_id,
                actor.display_name,
                signed_at,
                digest,
                self._signature(uow, actor, payload),
            )
            audit(uow, self._clock, actor, AuditAction.SIGN, "encounter", encounter_id, digest)
            uow.commit()
        self._editing.pop((actor.user_id, encounter_id), None)
        self._signed(actor, encounter_id)
        return signed

    # --- the live assessment ---------------------------------------------------------------

    def patient_facts(self, actor: Principal, encounter_id: int) -> PatientFacts:
        """The patient's diabetes status and age on the visit date, as the rules read them."""
        require(actor, Permission.CLINICAL_READ)
        with self._uow() as uow:
            return self._facts(uow, self._load(uow, encounter_id))

    def assessment(self, actor: Principal, encounter_id: int) -> Assessment:
        """The assessment of the encounter as stored (signed ones with their addenda applied)."""
        require(actor, Permission.CLINICAL_READ)
        with self._uow() as uow:
            return self._assess(uow, self._load(uow, encounter_id))

    def acknowledge_red_flags(
        self, actor: Principal, encounter_id: int, expected_version: int
    ) -> Encounter:
        """Record that the clinician saw the urgent red-flag banner (audited).

        The acknowledgement covers the urgent flags present in the saved draft; a flag added
        later brings the banner back.
        """
        require(actor, Permission.CLINICAL_WRITE)
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            if enc.is_signed:
                raise RecordLocked("This encounter is signed; add an addendum instead.")
            flags = self._assess(uow, enc).urgent_flags
            if not flags:
                raise ClinicError("There are no urgent red flags to acknowledge.")
            record = enc.content.assessment.model_copy(
                update={
                    "red_flags_acknowledged": RedFlagAcknowledgement(
                        flags=flags, by_name=actor.display_name, at=self._clock.now()
                    )
                }
            )
            content = enc.content.model_copy(update={"assessment": record})
            saved = uow.encounters.save_content(
                encounter_id, content, expected_version, self._clock.now()
            )
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.ACKNOWLEDGE_RED_FLAGS,
                "encounter",
                encounter_id,
                ", ".join(flags),
            )
            uow.commit()
            return saved

    def visit_note(self, actor: Principal, encounter_id: int, output: PrintAction) -> VisitNoteData:
        """Everything the visit note prints; audited as prepared for printing, saving or viewing.

        The encounter is read as stored (save the draft first); a draft prints with a DRAFT
        watermark. An encounter whose signature does not verify is refused: a note printed
        from altered content must not look signed.
        """
        require(actor, Permission.CLINICAL_READ)
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            problems = self._integrity(uow, enc)
            if problems:
                raise ClinicError(
                    "This encounter fails its integrity check, so its visit note is not "
                    f"printed: {problems[0]}"
                )
            patient = uow.patients.get(enc.patient_id)
            if patient is None:
                raise NotFound(f"Patient #{enc.patient_id} does not exist.")
            found = self._assess(uow, enc)
            state = "signed" if enc.is_signed else "draft"
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.PRINT,
                "encounter",
                encounter_id,
                f"visit note ({state}, version {enc.version}) prepared for {output.value}",
            )
            uow.commit()
            return VisitNoteData(encounter=enc, patient=patient, assessment=found)

    def prepare_reads(self) -> None:
        """Run the lookups a visit note makes once, on no record (id 0 never exists).

        The print warm-up calls it after log-in so the first note of a session does not pay
        for preparing these statements; nothing is read from the records or audited.
        """
        with self._uow() as uow:
            uow.encounters.get(0)
            uow.patients.get(0)
            uow.accounts.signing_keys()

    def export_data(self, actor: Principal, encounter_id: int) -> VisitNoteData:
        """What an export of a signed encounter carries (read for ``record_export``).

        Refused for the front desk, for drafts and for an encounter that fails its hash check.
        The assessment is the one stored at signing (``content.signed_assessment``) when there
        is one; ``assessment`` here is the recomputation for encounters signed before.
        """
        require(actor, Permission.CLINICAL_READ)
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            if not enc.is_signed:
                raise ClinicError(f"Encounter #{encounter_id} is a draft: only signed ones export.")
            problems = self._integrity(uow, enc)
            if problems:
                raise ClinicError(
                    "This encounter fails its integrity check, so it is not exported: "
                    f"{problems[0]}"
                )
            patient = uow.patients.get(enc.patient_id)
            if patient is None:
                raise NotFound(f"Patient #{enc.patient_id} does not exist.")
            return VisitNoteData(encounter=enc, patient=patient, assessment=self._assess(uow, enc))

    def record_export(self, actor: Principal, encounter_id: int, detail: str) -> None:
        """Audit an export of an encounter: what was written and where (or why it failed)."""
        require(actor, Permission.CLINICAL_READ)
        with self._uow() as uow:
            audit(uow, self._clock, actor, AuditAction.EXPORT, "encounter", encounter_id, detail)
            uow.commit()

    def handout_block(self, actor: Principal, encounter_id: int) -> str | None:
        """Why handouts for this encounter may not be printed yet, or None (R0).

        Safe for the front desk: it names no finding, only that the clinician must act.
        """
        require(actor, Permission.ENCOUNTER_LIST)
        with self._uow() as uow:
            found = self._assess(uow, self._load(uow, encounter_id))
        if found.urgent_flags and not found.urgent_acknowledged:
            return (
                "Handouts for this visit are on hold until the clinician acknowledges an "
                "urgent alert on the encounter."
            )
        return None

    def _facts(self, uow: UnitOfWork, enc: Encounter) -> PatientFacts:
        patient = uow.patients.get(enc.patient_id)
        if patient is None:
            raise NotFound(f"Patient #{enc.patient_id} does not exist.")
        return patient_facts(patient, enc.encounter_date)

    def _assess(self, uow: UnitOfWork, enc: Encounter) -> Assessment:
        exam = effective_exam(enc)[0] if enc.is_signed else None
        return assess_content(
            enc.content, self._facts(uow, enc), self._clock.today(), exam, self.code_set
        )

    @staticmethod
    def _check_unconfirmed(enc: Encounter) -> None:
        if enc.content.unconfirmed:
            count = len(enc.content.unconfirmed)
            raise SigningBlocked(
                f"{count} finding{'s' if count != 1 else ''} copied from the visit of "
                f"{enc.content.copied_from} {'are' if count != 1 else 'is'} not confirmed: "
                "confirm or change each marked item before signing.",
                enc.content.unconfirmed,
            )

    def _check_gate(self, found: Assessment) -> None:
        """Refuse signing while an urgent flag is unacknowledged or the R11 gate is closed.

        The refusal names every unmet item of the gate, side by side, with the lumbar items
        by their labels.
        """
        if found.urgent_flags and not found.urgent_acknowledged:
            raise SigningBlocked(
                "Acknowledge the urgent alert before signing: "
                + ", ".join(self._label_of(p) for p in found.urgent_paths)
                + ".",
                found.urgent_paths,
            )
        unmet = found.gate.unmet
        if not unmet:
            return
        # An item that reads the same on both sides (the lumbar screen) is named once.
        sides: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
        for check in unmet:
            sides.setdefault((check.item.value, check.label, check.paths), []).append(
                check.side.value
            )
        lines = []
        for (item, label, item_paths), named in sides.items():
            line = f"{' and '.join(named).capitalize()}: {label}"
            if item == "lumbar_screen":
                line += " (" + "; ".join(self._label_of(p) for p in item_paths) + ")"
            lines.append(line)
        paths: dict[str, None] = {p: None for check in unmet for p in check.paths}
        raise SigningBlocked(
            "The plan includes a tarsal tunnel release and the pre-operative gate is not met "
            "(R11): " + "; ".join(lines) + ".",
            tuple(paths),
        )

    @staticmethod
    def _check_decisions(enc: Encounter, found: Assessment) -> None:
        """With a release in the plan, every active warning needs a decision before signing.

        A decision is a confirmed diagnosis, a working impression or a dismissal; urgent
        suggestions count as warnings here.
        """
        if not found.gate.sides:
            return
        decided = enc.content.assessment.decisions
        open_keys = [
            s.key
            for s in found.shown
            if s.severity in (Severity.URGENT, Severity.WARNING)
            and s.key != "R11"
            and s.key not in decided
        ]
        if open_keys:
            raise SigningBlocked(
                "The plan includes a tarsal tunnel release: decide on each warning first "
                "(confirmed diagnosis, working impression or dismissed): "
                + ", ".join(open_keys)
                + ".",
                tuple(f"assessment.decisions.{key}" for key in open_keys),
            )

    def override_gate(
        self, actor: Principal, encounter_id: int, reason: str, expected_version: int
    ) -> Encounter:
        """Record a named, timed override of the gate's items 3-4 with its reason (audited).

        It passes only "evidence for the tarsal tunnel" and "competing causes answered"; the
        lumbar screen, the pulses and the nerve-studies acknowledgement still hold.
        """
        require(actor, Permission.SIGN)
        try:
            override = GateOverride(
                reason=" ".join(reason.split()), by_name=actor.display_name, at=self._clock.now()
            )
        except ValidationError as exc:
            message = next(iter(FieldErrors.from_validation_error(exc).errors.values()))
            raise FieldErrors({"assessment.gate_override.reason": message}) from None
        return self._record(
            actor,
            encounter_id,
            expected_version,
            {"gate_override": override},
            AuditAction.OVERRIDE_GATE,
            f"pre-operative gate overridden: {override.reason}",
        )

    def acknowledge_no_studies(
        self, actor: Principal, encounter_id: int, expected_version: int
    ) -> Encounter:
        """Record that the clinician signs without electrodiagnostic confirmation (audited)."""
        require(actor, Permission.SIGN)
        acknowledgement = StudiesAcknowledgement(by_name=actor.display_name, at=self._clock.now())
        return self._record(
            actor,
            encounter_id,
            expected_version,
            {"studies_acknowledged": acknowledgement},
            AuditAction.ACKNOWLEDGE_NO_STUDIES,
            "no electrodiagnostic confirmation acknowledged",
        )

    def _record(
        self,
        actor: Principal,
        encounter_id: int,
        expected_version: int,
        update: dict[str, Any],
        action: AuditAction,
        detail: str,
    ) -> Encounter:
        """Store a service-made part of the assessment record on the draft, audited."""
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            if enc.is_signed:
                raise RecordLocked("This encounter is signed; add an addendum instead.")
            record: AssessmentRecord = enc.content.assessment.model_copy(update=update)
            content = enc.content.model_copy(update={"assessment": record})
            saved = uow.encounters.save_content(
                encounter_id, content, expected_version, self._clock.now()
            )
            audit(uow, self._clock, actor, action, "encounter", encounter_id, detail)
            uow.commit()
            return saved

    def check_signable(self, actor: Principal, encounter_id: int) -> None:
        """Raise SigningBlocked (as sign would) without signing: lets a screen refuse early."""
        require(actor, Permission.SIGN)
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            if enc.is_signed:
                raise RecordLocked("This encounter is already signed.")
            self._check_unconfirmed(enc)
            self._check_gate(self._assess(uow, enc))

    def drafts(self, actor: Principal) -> list[DraftSummary]:
        """The actor's own unsigned drafts, newest save first (offered again after a crash)."""
        require(actor, Permission.CLINICAL_WRITE)
        with self._uow() as uow:
            return list(uow.encounters.drafts_for_clinician(actor.user_id))

    def add_addendum(
        self,
        actor: Principal,
        encounter_id: int,
        text: str,
        findings: Mapping[str, Any] | None = None,
    ) -> Encounter:
        """Append a signed addendum, optionally with exam findings it adds or corrects.

        Findings are exam path -> value; only those that differ from the exam as it reads now
        (signed exam plus earlier addenda) are kept. The signed exam is never changed.
        """
        require(actor, Permission.CLINICAL_WRITE)
        require(actor, Permission.SIGN)
        text = text.strip()
        if not text:
            raise FieldErrors({"addendum": "Write the addendum before signing it."})
        if len(text) > MAX_TEXT:
            raise FieldErrors({"addendum": f"An addendum holds at most {MAX_TEXT} characters."})
        with self._uow() as uow:
            enc = self._load(uow, encounter_id)
            if not enc.is_signed or enc.content_hash is None:
                raise RecordLocked("Only a signed encounter takes addenda; edit the draft instead.")
            changes = self._addendum_findings(enc, findings or {})
            signed_at = self._clock.now()
            payload = addendum_payload(
                enc.id,
                enc.content_hash,
                text,
                actor.user_id,
                actor.display_name,
                signed_at,
                changes,
            )
            digest = hash_payload(payload)
            add = uow.encounters.add_addendum(
                encounter_id,
                text,
                actor.user_id,
                actor.display_name,
                signed_at,
                digest,
                changes,
                self._signature(uow, actor, payload),
            )
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.ADDENDUM,
                "encounter",
                encounter_id,
                f"addendum {add.id}" + (f", {len(changes)} findings" if changes else ""),
            )
            result = self._load(uow, encounter_id)
            uow.commit()
        self._signed(actor, encounter_id)
        return result

    def _addendum_findings(self, enc: Encounter, findings: Mapping[str, Any]) -> dict[str, Any]:
        """Validate findings against the exam as it reads now; keep only real changes."""
        if not findings:
            return {}
        known = set(leaf_paths(NeuroFootExam))
        unknown = sorted(set(findings) - known)
        if unknown:
            raise FieldErrors({f"exam.{p}": "This is not a finding of the exam." for p in unknown})
        current, _amended = effective_exam(enc)
        data = current.model_dump(mode="json")
        for path, value in findings.items():
            set_path(data, path, value)
        try:
            amended = NeuroFootExam.model_validate(data, context={"today": self._clock.today()})
        except ValidationError as exc:
            errors = FieldErrors.from_validation_error(exc).errors
            raise FieldErrors({f"exam.{k}": v for k, v in errors.items()}) from None
        before = current.model_dump(mode="json")
        after = amended.model_dump(mode="json")
        return {
            p: get_path(after, p) for p in findings if get_path(after, p) != get_path(before, p)
        }

    @staticmethod
    def _integrity(uow: UnitOfWork, enc: Encounter) -> tuple[str, ...]:
        """Hash and signature problems of a signed encounter and its addenda (empty: intact)."""
        problems = integrity_problems(enc)
        if not problems and enc.is_signed:
            keys = {k.id: k for k in uow.accounts.signing_keys()}
            problems.extend(signature_problems(enc, keys)[0])
        return tuple(problems)

    @staticmethod
    def _signature(uow: UnitOfWork, actor: Principal, payload: dict[str, Any]) -> Signature | None:
        """The actor's Ed25519 signature over the payload, made with the key their login unlocked.

        An account that holds a signing key signs with it or not at all; one without a key
        (none is ever made for it outside the login) signs by hash alone, as before.
        """
        current = uow.accounts.current_signing_key(actor.user_id)
        signer = actor.signer
        if signer is None and current is None:
            return None
        if signer is None or current is None or signer.key_id != current[0].id:
            raise SigningBlocked(
                "Your signing key is not unlocked in this session: log out and log in again, "
                "then sign."
            )
        return Signature(signer.sign(payload_bytes(payload)).hex(), signer.key_id)

    @staticmethod
    def _load(uow: UnitOfWork, encounter_id: int) -> Encounter:
        enc = uow.encounters.get(encounter_id)
        if enc is None:
            raise NotFound(f"Encounter #{encounter_id} does not exist.")
        return enc
