"""Ports: what the services need from storage and the outside world."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from clinic_app.domain.account import Account, LoginFailures, Role, SigningKeyInfo
from clinic_app.domain.audit import AuditAction, AuditEntry, AuditEvent, Checkpoint
from clinic_app.domain.encounter import (
    Addendum,
    DraftSummary,
    Encounter,
    EncounterContent,
    VisitSummary,
)
from clinic_app.domain.patient import Patient, PatientData
from clinic_app.domain.practice import PracticeDetails
from clinic_app.domain.print_queue import HandoutChoice, HandoutRequest, PrintAction, PrintRecord


class Clock(Protocol):
    """Where time comes from (tests pass a fixed clock)."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...

    def today(self) -> date:
        """Today's date in the practice's local time."""
        ...


class PatientRepository(Protocol):
    """Patients by id, MRN and search text."""

    def add(self, data: PatientData, mrn: str) -> Patient:
        """Store a new patient; the MRN is already unique."""
        ...

    def update(self, patient_id: int, data: PatientData, expected_version: int) -> Patient:
        """Replace demographics; raises ConflictError if the version moved on."""
        ...

    def get(self, patient_id: int) -> Patient | None:
        """The patient or None."""
        ...

    def mrn_exists(self, mrn: str, except_id: int | None = None) -> bool:
        """Whether another patient holds this MRN."""
        ...

    def find_same_name_dob(self, family: str, given: str, dob: date) -> Sequence[Patient]:
        """Patients with the same (folded) names and date of birth: likely duplicates."""
        ...

    def search(self, text: str, limit: int) -> Sequence[Patient]:
        """Patients matching every word of text (name prefix, MRN prefix or a date of birth)."""
        ...

    def seen_on(self, day: date, limit: int) -> Sequence[Patient]:
        """Patients with an encounter dated that day, in name order."""
        ...

    def count(self) -> int:
        """How many patients there are."""
        ...

    def any_mrn_outside(self, prefix: str) -> bool:
        """Whether any patient's MRN does not start with prefix."""
        ...

    def taken_mrns(self, mrns: Collection[str]) -> set[str]:
        """Which of these MRNs patients already hold."""
        ...

    def add_many(self, items: Sequence[tuple[PatientData, str]]) -> list[int]:
        """Store many new patients at once (bulk import); their ids, in the order given.

        Each item is validated data and its MRN, already checked unique.
        """
        ...


@dataclass(frozen=True)
class EncounterImport:
    """A draft encounter stored by a bulk import (demo data); signing follows separately."""

    patient_id: int
    encounter_date: date
    clinician_id: int
    clinician_name: str
    reason: str
    content: EncounterContent
    created_at: datetime


@dataclass(frozen=True)
class SignatureImport:
    """The signature block of a bulk-imported encounter, hashed by the service."""

    encounter_id: int
    signer_id: int
    signer_name: str
    signed_at: datetime
    content_hash: str
    signature: str | None = None
    signing_key_id: int | None = None


@dataclass(frozen=True)
class AddendumImport:
    """A signed addendum stored by a bulk import, hashed by the service."""

    encounter_id: int
    text: str
    author_id: int
    author_name: str
    signed_at: datetime
    content_hash: str
    signature: str | None = None
    signing_key_id: int | None = None


@dataclass(frozen=True)
class Signature:
    """An Ed25519 signature (hex) and the number of the key that made it."""

    value: str
    key_id: int


class EncounterRepository(Protocol):
    """Encounters and their addenda."""

    def add(
        self,
        patient_id: int,
        encounter_date: date,
        clinician_id: int,
        clinician_name: str,
        reason: str,
        now: datetime,
    ) -> Encounter:
        """Store a new draft encounter."""
        ...

    def get(self, encounter_id: int) -> Encounter | None:
        """The encounter with its addenda, or None."""
        ...

    def list_for_patient(self, patient_id: int) -> Sequence[VisitSummary]:
        """Newest first, with the reasons (the service leaves them out for the front desk)."""
        ...

    def drafts_for_clinician(self, clinician_id: int) -> Sequence[DraftSummary]:
        """Unsigned drafts opened by a clinician, most recently saved first."""
        ...

    def save_content(
        self, encounter_id: int, content: EncounterContent, expected_version: int, now: datetime
    ) -> Encounter:
        """Replace a draft's content if nobody saved since expected_version (else ConflictError)."""
        ...

    def mark_signed(
        self,
        encounter_id: int,
        expected_version: int,
        signer_id: int,
        signer_name: str,
        signed_at: datetime,
        content_hash: str,
        signature: Signature | None = None,
    ) -> Encounter:
        """Lock the draft with its signature block (ConflictError if the version moved on)."""
        ...

    def add_addendum(
        self,
        encounter_id: int,
        text: str,
        author_id: int,
        author_name: str,
        signed_at: datetime,
        content_hash: str,
        findings: Mapping[str, Any] | None = None,
        signature: Signature | None = None,
    ) -> Addendum:
        """Append a signed addendum."""
        ...

    def add_many(self, items: Sequence[EncounterImport]) -> list[int]:
        """Store many draft encounters at once (bulk import); their ids, in the order given."""
        ...

    def sign_many(self, items: Sequence[SignatureImport]) -> int:
        """Lock many bulk-imported drafts with their signature blocks; how many were signed."""
        ...

    def add_addenda_many(self, items: Sequence[AddendumImport]) -> int:
        """Append many signed addenda at once; how many were stored."""
        ...


class AccountRepository(Protocol):
    """Accounts and their password hashes."""

    def count(self) -> int:
        """How many accounts exist (0 means first run)."""
        ...

    def add(
        self, username: str, display_name: str, password_hash: str, roles: frozenset[Role]
    ) -> Account:
        """Store a new account."""
        ...

    def get(self, user_id: int) -> Account | None:
        """The account or None."""
        ...

    def by_username(self, username: str) -> tuple[Account, str] | None:
        """The account and its password hash, or None."""
        ...

    def list(self) -> Sequence[Account]:
        """All accounts by user name."""
        ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the stored hash (after a change or a rehash)."""
        ...

    def set_active(self, user_id: int, active: bool) -> None:
        """Enable or disable an account."""
        ...

    def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        """Replace the roles."""
        ...

    def login_failures(self, username: str) -> LoginFailures | None:
        """Failed logins in a row under a typed user name, or None (locks the row)."""
        ...

    def record_login_failure(self, username: str, at: datetime) -> LoginFailures:
        """Count one more failed login under a user name."""
        ...

    def clear_login_failures(self, username: str) -> None:
        """Forget the failed logins under a user name."""
        ...

    def all_login_failures(self) -> Sequence[LoginFailures]:
        """Every user name with failed logins, most failures first."""
        ...

    def add_signing_key(
        self, user_id: int, public_key: str, wrapped_private: str, at: datetime
    ) -> SigningKeyInfo:
        """Store a new signing key for an account; its earlier key is retired at that moment."""
        ...

    def current_signing_key(self, user_id: int) -> tuple[SigningKeyInfo, str] | None:
        """The account's signing key in use and its wrapped private half, or None."""
        ...

    def retire_signing_key(self, key_id: int, at: datetime) -> None:
        """Stop using a key (it still verifies what it signed)."""
        ...

    def rewrap_signing_key(self, key_id: int, wrapped_private: str) -> None:
        """Replace the wrapped private half (same key, another password)."""
        ...

    def signing_keys(self) -> Sequence[SigningKeyInfo]:
        """Every signing key ever made (retired ones too), oldest first."""
        ...

    def practice_key_slot(self, user_id: int) -> str | None:
        """The account's wrapped copy of the practice key, or None."""
        ...

    def set_practice_key_slot(self, user_id: int, slot: str | None) -> None:
        """Store (or remove) the account's wrapped copy of the practice key."""
        ...


class AuditRepository(Protocol):
    """The append-only trail."""

    def append(self, event: AuditEvent) -> AuditEntry:
        """Chain and store one event (serialised against other writers)."""
        ...

    def lock(self) -> None:
        """Serialise this transaction with every other audited write from here on."""
        ...

    def signed_encounter_ids(self) -> Sequence[int]:
        """Ids of every encounter that is signed or carries a signature hash."""
        ...

    def all(self) -> Sequence[AuditEntry]:
        """Every entry in sequence order."""
        ...

    def page(
        self,
        after: int,
        limit: int | None,
        up_to: int | None = None,
        actions: Collection[AuditAction] | None = None,
    ) -> Sequence[AuditEntry]:
        """Up to limit entries after seq `after` (through up_to), in sequence order.

        Only those of the given actions, if any: a long trail is read a page at a time.
        """
        ...

    def head(self) -> tuple[int, str] | None:
        """The last (seq, hash) written, kept apart from the entries."""
        ...

    def keying(self) -> tuple[int | None, str | None]:
        """(first keyed entry, value identifying the practice key); (None, None) unkeyed."""
        ...

    def entry_at(self, seq: int) -> AuditEntry | None:
        """One entry by its sequence number."""
        ...

    def checkpoint(self) -> Checkpoint | None:
        """The head with where its keyed part starts (None before the first entry)."""
        ...

    def recent(self, limit: int) -> Sequence[AuditEntry]:
        """The newest entries, newest first."""
        ...

    def recent_entity_ids(
        self, user_id: int, action: str, entity_type: str, limit: int
    ) -> Sequence[str]:
        """Distinct entity ids of one person's entries of one kind, newest first."""
        ...


class PrintQueueRepository(Protocol):
    """Handout requests (the front-desk queue) and the print log."""

    def add_request(
        self,
        encounter_id: int,
        patient_id: int,
        choice: HandoutChoice,
        requested_by_id: int,
        requested_by_name: str,
        at: datetime,
    ) -> HandoutRequest:
        """Queue one handout for a patient."""
        ...

    def get_request(self, request_id: int) -> HandoutRequest | None:
        """One request or None."""
        ...

    def open_requests(self) -> Sequence[HandoutRequest]:
        """Requests not yet marked done, oldest first."""
        ...

    def requests_for_encounter(self, encounter_id: int) -> Sequence[HandoutRequest]:
        """Every request made during one visit, oldest first."""
        ...

    def mark_done(self, request_id: int, by_name: str, at: datetime) -> HandoutRequest:
        """Close a request."""
        ...

    def add_print(
        self,
        request_id: int | None,
        patient_id: int | None,
        handout_id: str,
        version: int,
        language: str,
        action: PrintAction,
        by_id: int,
        by_name: str,
        at: datetime,
    ) -> PrintRecord:
        """Log one print."""
        ...

    def prints(self, request_id: int | None = None, limit: int = 200) -> Sequence[PrintRecord]:
        """The print log, newest first (of one request when given)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything inside commits together or not at all."""

    patients: PatientRepository
    encounters: EncounterRepository
    accounts: AccountRepository
    audit: AuditRepository
    print_queue: PrintQueueRepository
    practice: PracticeRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make the work durable."""
        ...

    def rollback(self) -> None:
        """Discard the work."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per use case."""

    def __call__(self) -> UnitOfWork:
        """A new, unopened unit of work."""
        ...


class PracticeRepository(Protocol):
    """The practice's single details record."""

    def get(self) -> PracticeDetails | None:
        """The stored details (with their version), or None before the first save."""
        ...

    def save(self, details: PracticeDetails, expected_version: int) -> PracticeDetails:
        """Store the details; expected_version 0 creates the record.

        Raises ConflictError when someone saved since expected_version (or created the
        record first).
        """
        ...


@dataclass(frozen=True)
class BackupManifest:
    """What a backup file records about itself (it travels inside the file).

    Attributes:
        app_version: the clinic_app version that wrote it.
        schema_revision: the database schema (Alembic revision) of the copy.
        created_at: when the copy was taken (UTC).
        backend: "sqlite" or "postgresql", the kind of database copied.
        row_counts: rows per table at the moment of the copy.
        audit_head: the audit chain's head in the copy (anchors the chain outside the
            database: a restore puts the checkpoint back to it).
        authenticated: whether its authentication tag (HMAC under the practice key) was
            checked and matched.
    """

    app_version: str
    schema_revision: str | None
    created_at: datetime
    backend: str
    row_counts: Mapping[str, int]
    audit_head: Checkpoint | None = None
    authenticated: bool = False

    @property
    def total_rows(self) -> int:
        """Rows in every table together."""
        return sum(self.row_counts.values())


class DatabaseBackup(Protocol):
    """Whole-database copies: written, checked and put back (one adapter per backend)."""

    backend: str
    suffix: str

    def backup_to(self, path: Path, created_at: datetime) -> BackupManifest:
        """Write a consistent copy to path, verified before it appears there.

        Raises BackupFailed (services.backup) and leaves no file behind when the copy cannot
        be written or fails its check.
        """
        ...

    def verify(self, path: Path) -> BackupManifest:
        """Check a backup file: it is ours, intact, its rows match, its schema is known.

        Raises BackupInvalid (services.backup) naming the problem.
        """
        ...

    def restore_from(self, path: Path) -> BackupManifest:
        """Replace the database with a verified backup, then migrate it to the newest schema."""
        ...

    def set_aside(self, path: Path) -> Path | None:
        """Move a damaged database out of the way to path (None when there is nothing to move)."""
        ...

    def put_back(self, kept: Path) -> None:
        """Undo ``set_aside``: the set-aside database goes back where it was."""
        ...

    def row_counts(self) -> dict[str, int]:
        """Rows per table right now."""
        ...

    def accounts_in(self, path: Path) -> list[tuple[Account, str]]:
        """The accounts (and password hashes) stored inside a verified backup file.

        Raises BackupInvalid when the file is not a sound backup or holds no accounts table.
        The authentication tag is not checked here (on a new computer the practice key is
        still inside the backup); restoring checks it.
        """
        ...

    def key_slot_in(self, path: Path, user_id: int) -> str | None:
        """An account's wrapped copy of the practice key inside a backup file, or None."""
        ...
