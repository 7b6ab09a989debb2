"""In-memory fakes of the service ports: dict-backed repositories, a unit of work, a clock.

The fake database keeps a committed state. Each unit of work edits a deep copy of it, and only
``commit()`` publishes that copy, so a use case that fails half-way leaves nothing behind, as a
real transaction would. Tests read ``FakeDatabase.committed`` to see what was written.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from argon2 import PasswordHasher

from clinic_app.domain.account import Account, LoginFailures, Principal, Role, SigningKeyInfo
from clinic_app.domain.audit import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditEvent,
    Checkpoint,
    chain_hash,
)
from clinic_app.domain.encounter import (
    Addendum,
    DraftSummary,
    Encounter,
    EncounterContent,
    EncounterStatus,
    VisitSummary,
)
from clinic_app.domain.errors import ConflictError, NotFound
from clinic_app.domain.handouts import HandoutLanguage
from clinic_app.domain.patient import Patient, PatientData, parse_search_date, search_key
from clinic_app.domain.practice import PracticeDetails
from clinic_app.domain.print_queue import HandoutChoice, HandoutRequest, PrintAction, PrintRecord
from clinic_app.services.ports import (
    AccountRepository,
    AddendumImport,
    AuditRepository,
    Clock,
    EncounterImport,
    EncounterRepository,
    PatientRepository,
    PracticeRepository,
    PrintQueueRepository,
    Signature,
    SignatureImport,
    UnitOfWorkFactory,
)

FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


class FixedClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.moment = now

    def now(self) -> datetime:
        """The fixed moment."""
        return self.moment

    def today(self) -> date:
        """The date of the fixed moment."""
        return self.moment.date()

    def advance(self, **delta: float) -> None:
        """Move the clock forward, e.g. ``advance(minutes=5)``."""
        self.moment += timedelta(**delta)


@dataclass
class FakeState:
    """Everything a fake database holds."""

    patients: dict[int, Patient] = field(default_factory=dict)
    encounters: dict[int, Encounter] = field(default_factory=dict)
    accounts: dict[int, tuple[Account, str]] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    audit_head: tuple[int, str] | None = None
    login_failures: dict[str, LoginFailures] = field(default_factory=dict)
    requests: dict[int, HandoutRequest] = field(default_factory=dict)
    print_log: list[PrintRecord] = field(default_factory=list)
    practice: PracticeDetails | None = None
    last_id: dict[str, int] = field(default_factory=dict)
    signing_keys: dict[int, tuple[SigningKeyInfo, str]] = field(default_factory=dict)
    key_slots: dict[int, str] = field(default_factory=dict)

    def signing_keys_list(self) -> list[SigningKeyInfo]:
        """Every signing key stored, oldest first."""
        return [info for info, _wrapped in self.signing_keys.values()]

    def next_id(self, kind: str) -> int:
        """A new id per table, starting at 1 (like an autoincrement key)."""
        self.last_id[kind] = self.last_id.get(kind, 0) + 1
        return self.last_id[kind]


class FakePatientRepository:
    """Patients in a dict."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def add(self, data: PatientData, mrn: str) -> Patient:
        """Store a new patient."""
        values = {**data.model_dump(), "mrn": mrn, "id": self._state.next_id("patient")}
        patient = Patient.model_validate(values, context={"stored": True})
        self._state.patients[patient.id] = patient
        return patient

    def update(self, patient_id: int, data: PatientData, expected_version: int) -> Patient:
        """Replace demographics with an optimistic version check."""
        current = self.get(patient_id)
        if current is None:
            raise NotFound(f"Patient #{patient_id} does not exist.")
        if current.version != expected_version:
            raise ConflictError("Someone else changed this patient's details.")
        values = {
            **data.model_dump(),
            "mrn": data.mrn or current.mrn,
            "id": patient_id,
            "version": current.version + 1,
        }
        updated = Patient.model_validate(values, context={"stored": True})
        self._state.patients[patient_id] = updated
        return updated

    def get(self, patient_id: int) -> Patient | None:
        """The patient or None."""
        return self._state.patients.get(patient_id)

    def mrn_exists(self, mrn: str, except_id: int | None = None) -> bool:
        """Whether another patient holds the MRN."""
        return any(p.mrn == mrn and p.id != except_id for p in self._state.patients.values())

    def find_same_name_dob(self, family: str, given: str, dob: date) -> Sequence[Patient]:
        """Same folded names and date of birth."""
        return [
            p
            for p in self._state.patients.values()
            if search_key(p.family_name) == search_key(family)
            and search_key(p.given_name) == search_key(given)
            and p.date_of_birth == dob
        ]

    def search(self, text: str, limit: int) -> Sequence[Patient]:
        """Every word must match a name prefix, an MRN prefix or the date of birth."""
        tokens = search_key(text).split()
        if not tokens:
            return []

        def matches(patient: Patient, token: str) -> bool:
            day = parse_search_date(token)
            if day is not None:
                return patient.date_of_birth == day
            token = token.strip(",")
            return (
                search_key(patient.family_name).startswith(token)
                or search_key(patient.given_name).startswith(token)
                or patient.mrn.startswith(token.upper())
            )

        found = [p for p in self._state.patients.values() if all(matches(p, t) for t in tokens)]
        found.sort(key=lambda p: (search_key(p.family_name), search_key(p.given_name), p.id))
        return found[:limit]

    def seen_on(self, day: date, limit: int) -> Sequence[Patient]:
        """Patients with an encounter dated that day, in name order."""
        ids = {e.patient_id for e in self._state.encounters.values() if e.encounter_date == day}
        found = [self._state.patients[i] for i in ids]
        found.sort(key=lambda p: (search_key(p.family_name), search_key(p.given_name), p.id))
        return found[:limit]

    def count(self) -> int:
        """How many patients there are."""
        return len(self._state.patients)

    def any_mrn_outside(self, prefix: str) -> bool:
        """Whether any patient's MRN does not start with prefix."""
        return any(not p.mrn.startswith(prefix) for p in self._state.patients.values())

    def taken_mrns(self, mrns: Collection[str]) -> set[str]:
        """The MRNs among these that patients already hold."""
        held = {p.mrn for p in self._state.patients.values()}
        return {m for m in mrns if m in held}

    def add_many(self, items: Sequence[tuple[PatientData, str]]) -> list[int]:
        """Store many patients; their ids in order."""
        return [self.add(data, mrn).id for data, mrn in items]


class FakeEncounterRepository:
    """Encounters (with their addenda) in a dict."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def _existing(self, encounter_id: int) -> Encounter:
        enc = self._state.encounters.get(encounter_id)
        if enc is None:
            raise NotFound(f"Encounter #{encounter_id} does not exist.")
        return enc

    def _checked(self, encounter_id: int, expected_version: int) -> Encounter:
        enc = self._existing(encounter_id)
        if enc.version != expected_version:
            raise ConflictError("This encounter was saved elsewhere since you opened it.")
        return enc

    def add(
        self,
        patient_id: int,
        encounter_date: date,
        clinician_id: int,
        clinician_name: str,
        reason: str,
        now: datetime,
    ) -> Encounter:
        """Store a new draft."""
        enc = Encounter(
            id=self._state.next_id("encounter"),
            patient_id=patient_id,
            encounter_date=encounter_date,
            clinician_id=clinician_id,
            clinician_name=clinician_name,
            reason=reason,
            status=EncounterStatus.DRAFT,
            content=EncounterContent(),
            version=1,
            created_at=now,
            updated_at=now,
        )
        self._state.encounters[enc.id] = enc
        return enc

    def get(self, encounter_id: int) -> Encounter | None:
        """The encounter or None."""
        return self._state.encounters.get(encounter_id)

    def list_for_patient(self, patient_id: int) -> Sequence[VisitSummary]:
        """Newest first."""
        mine = [e for e in self._state.encounters.values() if e.patient_id == patient_id]
        mine.sort(key=lambda e: (e.encounter_date, e.id), reverse=True)
        return [e.visit_summary() for e in mine]

    def drafts_for_clinician(self, clinician_id: int) -> Sequence[DraftSummary]:
        """Unsigned drafts of one clinician, most recently saved first."""
        mine = [
            e
            for e in self._state.encounters.values()
            if e.clinician_id == clinician_id and not e.is_signed
        ]
        mine.sort(key=lambda e: (e.updated_at, e.id), reverse=True)
        out = []
        for enc in mine:
            patient = self._state.patients[enc.patient_id]
            out.append(
                DraftSummary(
                    encounter_id=enc.id,
                    patient_id=enc.patient_id,
                    patient_name=f"{patient.given_name} {patient.family_name}",
                    encounter_date=enc.encounter_date,
                    updated_at=enc.updated_at,
                )
            )
        return out

    def save_content(
        self, encounter_id: int, content: EncounterContent, expected_version: int, now: datetime
    ) -> Encounter:
        """Replace a draft's content."""
        enc = self._checked(encounter_id, expected_version)
        saved = enc.model_copy(
            update={"content": content, "version": enc.version + 1, "updated_at": now}
        )
        self._state.encounters[encounter_id] = saved
        return saved

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
        """Lock the draft with its signature block."""
        enc = self._checked(encounter_id, expected_version)
        signed = enc.model_copy(
            update={
                "status": EncounterStatus.SIGNED,
                "version": enc.version + 1,
                "updated_at": signed_at,
                "signed_by_id": signer_id,
                "signed_by_name": signer_name,
                "signed_at": signed_at,
                "content_hash": content_hash,
                "signature": signature.value if signature else None,
                "signing_key_id": signature.key_id if signature else None,
            }
        )
        self._state.encounters[encounter_id] = signed
        return signed

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
        enc = self._existing(encounter_id)
        add = Addendum(
            id=self._state.next_id("addendum"),
            encounter_id=encounter_id,
            text=text,
            author_id=author_id,
            author_name=author_name,
            signed_at=signed_at,
            content_hash=content_hash,
            findings=dict(findings or {}),
            signature=signature.value if signature else None,
            signing_key_id=signature.key_id if signature else None,
        )
        self._state.encounters[encounter_id] = enc.model_copy(
            update={"addenda": (*enc.addenda, add)}
        )
        return add

    def add_many(self, items: Sequence[EncounterImport]) -> list[int]:
        """Store many drafts; their ids in order."""
        ids = []
        for item in items:
            enc = self.add(
                item.patient_id,
                item.encounter_date,
                item.clinician_id,
                item.clinician_name,
                item.reason,
                item.created_at,
            )
            self._state.encounters[enc.id] = enc.model_copy(update={"content": item.content})
            ids.append(enc.id)
        return ids

    def sign_many(self, items: Sequence[SignatureImport]) -> int:
        """Sign many drafts; how many were signed."""
        for item in items:
            enc = self._existing(item.encounter_id)
            self.mark_signed(
                item.encounter_id,
                enc.version,
                item.signer_id,
                item.signer_name,
                item.signed_at,
                item.content_hash,
                _signature(item.signature, item.signing_key_id),
            )
        return len(items)

    def add_addenda_many(self, items: Sequence[AddendumImport]) -> int:
        """Append many addenda; how many were stored."""
        for item in items:
            self.add_addendum(
                item.encounter_id,
                item.text,
                item.author_id,
                item.author_name,
                item.signed_at,
                item.content_hash,
                None,
                _signature(item.signature, item.signing_key_id),
            )
        return len(items)


def _signature(value: str | None, key_id: int | None) -> Signature | None:
    return Signature(value, key_id) if value is not None and key_id is not None else None


class FakeAccountRepository:
    """Accounts and their password hashes in a dict."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def _existing(self, user_id: int) -> tuple[Account, str]:
        found = self._state.accounts.get(user_id)
        if found is None:
            raise NotFound(f"Account #{user_id} does not exist.")
        return found

    def count(self) -> int:
        """How many accounts exist."""
        return len(self._state.accounts)

    def add(
        self, username: str, display_name: str, password_hash: str, roles: frozenset[Role]
    ) -> Account:
        """Store a new account (user names are unique, as the database's index makes them)."""
        if self.by_username(username) is not None:
            raise AssertionError(f"duplicate user name {username!r} reached the repository")
        account = Account(
            id=self._state.next_id("account"),
            username=username,
            display_name=display_name,
            roles=roles,
        )
        self._state.accounts[account.id] = (account, password_hash)
        return account

    def get(self, user_id: int) -> Account | None:
        """The account or None."""
        found = self._state.accounts.get(user_id)
        return found[0] if found else None

    def by_username(self, username: str) -> tuple[Account, str] | None:
        """The account and its password hash, or None."""
        for account, password_hash in self._state.accounts.values():
            if account.username == username:
                return account, password_hash
        return None

    def list(self) -> Sequence[Account]:
        """All accounts by user name."""
        return sorted((a for a, _ in self._state.accounts.values()), key=lambda a: a.username)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the stored hash."""
        account, _ = self._existing(user_id)
        self._state.accounts[user_id] = (account, password_hash)

    def set_active(self, user_id: int, active: bool) -> None:
        """Enable or disable an account."""
        account, password_hash = self._existing(user_id)
        changed = account.model_copy(update={"active": active})
        self._state.accounts[user_id] = (changed, password_hash)

    def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        """Replace the roles."""
        account, password_hash = self._existing(user_id)
        self._state.accounts[user_id] = (account.model_copy(update={"roles": roles}), password_hash)

    def login_failures(self, username: str) -> LoginFailures | None:
        """Failed logins in a row under a user name, or None."""
        return self._state.login_failures.get(username)

    def record_login_failure(self, username: str, at: datetime) -> LoginFailures:
        """Count one more failed login under a user name."""
        before = self._state.login_failures.get(username)
        now = LoginFailures(
            username=username, failures=(before.failures if before else 0) + 1, last_failed_at=at
        )
        self._state.login_failures[username] = now
        return now

    def clear_login_failures(self, username: str) -> None:
        """Forget the failed logins under a user name."""
        self._state.login_failures.pop(username, None)

    def all_login_failures(self) -> Sequence[LoginFailures]:
        """Every user name with failed logins, most failures first."""
        return sorted(self._state.login_failures.values(), key=lambda f: (-f.failures, f.username))

    def add_signing_key(
        self, user_id: int, public_key: str, wrapped_private: str, at: datetime
    ) -> SigningKeyInfo:
        """Retire the account's key in use and store a new one."""
        for key_id, (info, _wrapped) in list(self._state.signing_keys.items()):
            if info.user_id == user_id and info.retired_at is None:
                self.retire_signing_key(key_id, at)
        info = SigningKeyInfo(
            id=self._state.next_id("signing_key"),
            user_id=user_id,
            public_key=public_key,
            created_at=at,
        )
        self._state.signing_keys[info.id] = (info, wrapped_private)
        return info

    def current_signing_key(self, user_id: int) -> tuple[SigningKeyInfo, str] | None:
        """The key in use."""
        found = [
            pair
            for pair in self._state.signing_keys.values()
            if pair[0].user_id == user_id and pair[0].retired_at is None
        ]
        return found[-1] if found else None

    def retire_signing_key(self, key_id: int, at: datetime) -> None:
        """Mark a key retired."""
        info, wrapped = self._state.signing_keys[key_id]
        self._state.signing_keys[key_id] = (info.model_copy(update={"retired_at": at}), wrapped)

    def rewrap_signing_key(self, key_id: int, wrapped_private: str) -> None:
        """Replace the wrapped private half."""
        info, _old = self._state.signing_keys[key_id]
        self._state.signing_keys[key_id] = (info, wrapped_private)

    def signing_keys(self) -> Sequence[SigningKeyInfo]:
        """Every key, oldest first."""
        return [info for info, _w in self._state.signing_keys.values()]

    def practice_key_slot(self, user_id: int) -> str | None:
        """The account's wrapped practice key."""
        return self._state.key_slots.get(user_id)

    def set_practice_key_slot(self, user_id: int, slot: str | None) -> None:
        """Store or clear the wrapped practice key."""
        if slot is None:
            self._state.key_slots.pop(user_id, None)
        else:
            self._state.key_slots[user_id] = slot


class FakeAuditRepository:
    """The audit chain in a list, chained exactly as the real repository chains it."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def append(self, event: AuditEvent) -> AuditEntry:
        """Chain and store one event."""
        seq, prev = self._state.audit_head or (0, GENESIS_HASH)
        entry = AuditEntry(
            **event.model_dump(),
            seq=seq + 1,
            prev_hash=prev,
            entry_hash=chain_hash(seq + 1, prev, event),
        )
        self._state.audit.append(entry)
        self._state.audit_head = (entry.seq, entry.entry_hash)
        return entry

    def lock(self) -> None:
        """Nothing to do: the fake database has one writer at a time."""

    def signed_encounter_ids(self) -> Sequence[int]:
        """Ids of every encounter that is signed or carries a signature hash."""
        return sorted(
            e.id
            for e in self._state.encounters.values()
            if e.is_signed or e.content_hash is not None
        )

    def all(self) -> Sequence[AuditEntry]:
        """Every entry in sequence order."""
        return list(self._state.audit)

    def page(
        self,
        after: int,
        limit: int | None,
        up_to: int | None = None,
        actions: Collection[AuditAction] | None = None,
    ) -> Sequence[AuditEntry]:
        """Up to limit entries after seq `after` (through up_to; of some actions) in order."""
        found = [
            e
            for e in self._state.audit
            if e.seq > after
            and (up_to is None or e.seq <= up_to)
            and (actions is None or e.action in actions)
        ]
        return found if limit is None else found[:limit]

    def head(self) -> tuple[int, str] | None:
        """The last (seq, hash) written."""
        return self._state.audit_head

    def keying(self) -> tuple[int | None, str | None]:
        """The fake chain is never keyed."""
        return None, None

    def entry_at(self, seq: int) -> AuditEntry | None:
        """One entry by sequence number."""
        return self._state.audit[seq - 1] if 0 < seq <= len(self._state.audit) else None

    def checkpoint(self) -> Checkpoint | None:
        """The head (never keyed)."""
        head = self._state.audit_head
        return Checkpoint(seq=head[0], entry_hash=head[1]) if head else None

    def recent(self, limit: int) -> Sequence[AuditEntry]:
        """The newest entries first."""
        return list(reversed(self._state.audit))[:limit]

    def recent_entity_ids(
        self, user_id: int, action: str, entity_type: str, limit: int
    ) -> Sequence[str]:
        """Distinct entity ids of one person's entries of one kind, newest first."""
        out: list[str] = []
        for entry in reversed(self._state.audit):
            if (entry.user_id, entry.action.value, entry.entity_type) != (
                user_id,
                action,
                entity_type,
            ):
                continue
            if entry.entity_id not in out:
                out.append(entry.entity_id)
        return out[:limit]


class FakePrintQueueRepository:
    """Handout requests and the print log in dicts and lists."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def add_request(
        self,
        encounter_id: int,
        patient_id: int,
        choice: HandoutChoice,
        requested_by_id: int,
        requested_by_name: str,
        at: datetime,
    ) -> HandoutRequest:
        """Queue one handout."""
        request = HandoutRequest(
            id=self._state.next_id("handout_requests"),
            encounter_id=encounter_id,
            patient_id=patient_id,
            requested_by_name=requested_by_name,
            requested_at=at,
            **dict(choice),
        )
        self._state.requests[request.id] = request
        return request

    def get_request(self, request_id: int) -> HandoutRequest | None:
        """One request or None."""
        return self._state.requests.get(request_id)

    def open_requests(self) -> Sequence[HandoutRequest]:
        """Requests not done, oldest first."""
        pending = [r for r in self._state.requests.values() if not r.done]
        return sorted(pending, key=lambda r: (r.requested_at, r.id))

    def requests_for_encounter(self, encounter_id: int) -> Sequence[HandoutRequest]:
        """A visit's requests, oldest first."""
        return [r for r in self._state.requests.values() if r.encounter_id == encounter_id]

    def mark_done(self, request_id: int, by_name: str, at: datetime) -> HandoutRequest:
        """Close a request."""
        request = self._state.requests[request_id]
        done = request.model_copy(update={"done_at": at, "done_by_name": by_name})
        self._state.requests[request_id] = done
        return done

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
        record = PrintRecord(
            id=self._state.next_id("print_log"),
            request_id=request_id,
            patient_id=patient_id,
            handout_id=handout_id,
            version=version,
            language=HandoutLanguage(language),
            action=action,
            by_id=by_id,
            by_name=by_name,
            at=at,
        )
        self._state.print_log.append(record)
        return record

    def prints(self, request_id: int | None = None, limit: int = 200) -> Sequence[PrintRecord]:
        """Newest first."""
        log = [r for r in self._state.print_log if request_id in (None, r.request_id)]
        return list(reversed(log))[:limit]


class FakePracticeRepository:
    """The single practice record in memory."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def get(self) -> PracticeDetails | None:
        """The stored details or None."""
        return self._state.practice

    def save(self, details: PracticeDetails, expected_version: int) -> PracticeDetails:
        """Store with a version check, like the real repository."""
        current = self._state.practice.version if self._state.practice else 0
        if current != expected_version:
            raise ConflictError("Someone else changed the practice details.")
        saved = details.model_copy(update={"version": current + 1})
        self._state.practice = saved
        return saved


class FakeUnitOfWork:
    """One transaction over a deep copy of the committed state."""

    # Typed as the ports, so mypy checks that each fake fulfils its protocol.
    patients: PatientRepository
    encounters: EncounterRepository
    accounts: AccountRepository
    audit: AuditRepository
    print_queue: PrintQueueRepository
    practice: PracticeRepository

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._work: FakeState | None = None
        self.committed = False

    def _bind(self, state: FakeState) -> None:
        self._work = state
        self.patients = FakePatientRepository(state)
        self.encounters = FakeEncounterRepository(state)
        self.accounts = FakeAccountRepository(state)
        self.audit = FakeAuditRepository(state)
        self.print_queue = FakePrintQueueRepository(state)
        self.practice = FakePracticeRepository(state)

    def __enter__(self) -> Self:
        self._database.opened += 1
        self._bind(copy.deepcopy(self._database.committed))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Whatever was not committed is simply dropped, like a rollback.
        self._work = None

    def commit(self) -> None:
        """Publish the work as the new committed state."""
        assert self._work is not None, "commit() outside the with-block"
        self._database.committed = copy.deepcopy(self._work)
        self._database.commits += 1
        self.committed = True

    def rollback(self) -> None:
        """Start again from the committed state."""
        assert self._work is not None, "rollback() outside the with-block"
        self._bind(copy.deepcopy(self._database.committed))


class FakeDatabase:
    """A unit-of-work factory over one in-memory committed state."""

    def __init__(self) -> None:
        self.committed = FakeState()
        self.opened = 0
        self.commits = 0

    def __call__(self) -> FakeUnitOfWork:
        """A new, unopened unit of work."""
        return FakeUnitOfWork(self)


# Test data and small helpers.


def fast_hasher() -> PasswordHasher:
    """The cheapest argon2 hasher argon2-cffi accepts: the tests check logic, not hashing."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


PATIENT_ANA: dict[str, Any] = {
    "family_name": "Núñez",
    "given_name": "Ana",
    "date_of_birth": "1968-04-30",
    "sex": "female",
    "phone": "(555) 010-4477",
    "preferred_language": "es",
    "diabetes": "yes",
}


def principal(user_id: int, name: str, *roles: Role) -> Principal:
    """A signed-in person holding the given roles."""
    return Principal(
        user_id=user_id,
        username=name.lower().replace(" ", "."),
        display_name=name,
        roles=frozenset(roles),
    )


def audit_actions(db: FakeDatabase) -> list[AuditAction]:
    """The committed audit trail's actions, oldest first."""
    return [entry.action for entry in db.committed.audit]


# Checked by mypy (tests/test_quality_gates.py): the fakes must keep fitting the ports.
_clock_fits: Clock = FixedClock()
_factory_fits: UnitOfWorkFactory = FakeDatabase()
