"""Repositories: explicit row <-> domain conversion, one per aggregate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic_app.domain.account import Account, Role
from clinic_app.domain.audit import GENESIS_HASH, AuditAction, AuditEntry, AuditEvent, chain_hash
from clinic_app.domain.encounter import (
    Addendum,
    Encounter,
    EncounterContent,
    EncounterStatus,
    EncounterSummary,
)
from clinic_app.domain.errors import ConflictError, NotFound
from clinic_app.domain.patient import Patient, PatientData, parse_search_date, search_key
from clinic_app.storage.rows import (
    AccountRow,
    AddendumRow,
    AuditHeadRow,
    AuditRow,
    EncounterRow,
    PatientRow,
)

# Appended to a prefix, this sorts after every real character (byte-wise on both databases).
PREFIX_END = "\U0010ffff"


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _prefix(column: InstrumentedAttribute[str], prefix: str) -> ColumnElement[bool]:
    return and_(column >= prefix, column < prefix + PREFIX_END)


class SqlPatientRepository:
    """Patients on SQLAlchemy."""

    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _to_domain(row: PatientRow) -> Patient:
        return Patient.model_validate(
            {
                "id": row.id,
                "mrn": row.mrn,
                "family_name": row.family_name,
                "given_name": row.given_name,
                "date_of_birth": row.date_of_birth,
                "sex": row.sex,
                "phone": row.phone,
                "preferred_language": row.preferred_language,
                "diabetes": row.diabetes,
                "version": row.version,
            },
            context={"stored": True},
        )

    @staticmethod
    def _fill(row: PatientRow, data: PatientData) -> None:
        row.family_name = data.family_name
        row.given_name = data.given_name
        row.family_key = search_key(data.family_name)
        row.given_key = search_key(data.given_name)
        row.date_of_birth = data.date_of_birth
        row.sex = data.sex.value
        row.phone = data.phone
        row.preferred_language = data.preferred_language.value
        row.diabetes = data.diabetes.value

    def add(self, data: PatientData, mrn: str) -> Patient:
        """Insert a patient."""
        now = datetime.now(UTC)
        row = PatientRow(mrn=mrn, created_at=now, updated_at=now)
        self._fill(row, data)
        self._s.add(row)
        self._s.flush()
        return self._to_domain(row)

    def update(self, patient_id: int, data: PatientData, expected_version: int) -> Patient:
        """Update demographics with an optimistic version check."""
        row = self._s.get(PatientRow, patient_id)
        if row is None:
            raise NotFound(f"Patient #{patient_id} does not exist.")
        if row.version != expected_version:
            raise ConflictError(
                "Someone else changed this patient's details since you opened them. "
                "Reload to see their changes; your typing is kept on screen."
            )
        self._fill(row, data)
        if data.mrn is not None:
            row.mrn = data.mrn
        row.updated_at = datetime.now(UTC)
        self._s.flush()
        return self._to_domain(row)

    def get(self, patient_id: int) -> Patient | None:
        """A patient by id."""
        row = self._s.get(PatientRow, patient_id)
        return self._to_domain(row) if row else None

    def mrn_exists(self, mrn: str, except_id: int | None = None) -> bool:
        """Whether another patient holds the MRN."""
        stmt = select(PatientRow.id).where(PatientRow.mrn == mrn)
        if except_id is not None:
            stmt = stmt.where(PatientRow.id != except_id)
        return self._s.scalar(stmt.limit(1)) is not None

    def find_same_name_dob(self, family: str, given: str, dob: date) -> Sequence[Patient]:
        """Same folded names and date of birth."""
        rows = self._s.scalars(
            select(PatientRow).where(
                PatientRow.family_key == search_key(family),
                PatientRow.given_key == search_key(given),
                PatientRow.date_of_birth == dob,
            )
        )
        return [self._to_domain(r) for r in rows]

    def search(self, text: str, limit: int) -> Sequence[Patient]:
        """Every word must match a name prefix, an MRN prefix or the date of birth."""
        conditions: list[ColumnElement[bool]] = []
        for token in search_key(text).split():
            day = parse_search_date(token)
            if day is not None:
                conditions.append(PatientRow.date_of_birth == day)
                continue
            token = token.strip(",")
            if not token:
                continue
            conditions.append(
                or_(
                    _prefix(PatientRow.family_key, token),
                    _prefix(PatientRow.given_key, token),
                    _prefix(PatientRow.mrn, token.upper()),
                )
            )
        if not conditions:
            return []
        rows = self._s.scalars(
            select(PatientRow)
            .where(and_(*conditions))
            .order_by(PatientRow.family_key, PatientRow.given_key, PatientRow.id)
            .limit(limit)
        )
        return [self._to_domain(r) for r in rows]

    def count(self) -> int:
        """Number of patients."""
        return self._s.scalar(select(func.count()).select_from(PatientRow)) or 0


class SqlEncounterRepository:
    """Encounters and addenda on SQLAlchemy."""

    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _addendum(row: AddendumRow) -> Addendum:
        return Addendum(
            id=row.id,
            encounter_id=row.encounter_id,
            text=row.text,
            author_id=row.author_id,
            author_name=row.author_name,
            signed_at=aware(row.signed_at),
            content_hash=row.content_hash,
        )

    def _to_domain(self, row: EncounterRow) -> Encounter:
        return Encounter(
            id=row.id,
            patient_id=row.patient_id,
            encounter_date=row.encounter_date,
            clinician_id=row.clinician_id,
            clinician_name=row.clinician_name,
            reason=row.reason,
            status=EncounterStatus(row.status),
            content=EncounterContent.model_validate(row.content),
            version=row.version,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            signed_by_id=row.signed_by_id,
            signed_by_name=row.signed_by_name,
            signed_at=aware(row.signed_at) if row.signed_at else None,
            content_hash=row.content_hash,
            addenda=tuple(self._addendum(a) for a in row.addenda),
        )

    def _row(self, encounter_id: int) -> EncounterRow:
        row = self._s.get(EncounterRow, encounter_id)
        if row is None:
            raise NotFound(f"Encounter #{encounter_id} does not exist.")
        return row

    @staticmethod
    def _check_version(row: EncounterRow, expected_version: int) -> None:
        if row.version != expected_version:
            raise ConflictError(
                f"This encounter was saved elsewhere (by {row.clinician_name}'s workstation or "
                "another window) since you opened it. Your text is still on screen: copy it, "
                "reload the encounter and merge."
            )

    def add(
        self,
        patient_id: int,
        encounter_date: date,
        clinician_id: int,
        clinician_name: str,
        reason: str,
        now: datetime,
    ) -> Encounter:
        """Insert a draft."""
        row = EncounterRow(
            patient_id=patient_id,
            encounter_date=encounter_date,
            clinician_id=clinician_id,
            clinician_name=clinician_name,
            reason=reason,
            status=EncounterStatus.DRAFT.value,
            content=EncounterContent().model_dump(mode="json"),
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        self._s.flush()
        return self._to_domain(row)

    def get(self, encounter_id: int) -> Encounter | None:
        """An encounter with its addenda."""
        row = self._s.get(EncounterRow, encounter_id, populate_existing=True)
        return self._to_domain(row) if row else None

    def list_for_patient(self, patient_id: int) -> Sequence[EncounterSummary]:
        """Newest first, with addenda counts, without loading content."""
        counts = (
            select(AddendumRow.encounter_id, func.count().label("n"))
            .group_by(AddendumRow.encounter_id)
            .subquery()
        )
        stmt = (
            select(
                EncounterRow.id,
                EncounterRow.encounter_date,
                EncounterRow.clinician_name,
                EncounterRow.status,
                func.coalesce(counts.c.n, 0),
            )
            .outerjoin(counts, counts.c.encounter_id == EncounterRow.id)
            .where(EncounterRow.patient_id == patient_id)
            .order_by(EncounterRow.encounter_date.desc(), EncounterRow.id.desc())
        )
        return [
            EncounterSummary(
                id=r[0],
                patient_id=patient_id,
                encounter_date=r[1],
                clinician_name=r[2],
                status=EncounterStatus(r[3]),
                addenda_count=r[4],
            )
            for r in self._s.execute(stmt)
        ]

    def save_content(
        self, encounter_id: int, content: EncounterContent, expected_version: int, now: datetime
    ) -> Encounter:
        """Replace a draft's content (the version column also guards the UPDATE itself)."""
        row = self._row(encounter_id)
        self._check_version(row, expected_version)
        row.content = content.model_dump(mode="json")
        row.updated_at = now
        self._s.flush()
        return self._to_domain(row)

    def mark_signed(
        self,
        encounter_id: int,
        expected_version: int,
        signer_id: int,
        signer_name: str,
        signed_at: datetime,
        content_hash: str,
    ) -> Encounter:
        """Lock the draft."""
        row = self._row(encounter_id)
        self._check_version(row, expected_version)
        row.status = EncounterStatus.SIGNED.value
        row.signed_by_id = signer_id
        row.signed_by_name = signer_name
        row.signed_at = signed_at
        row.content_hash = content_hash
        row.updated_at = signed_at
        self._s.flush()
        return self._to_domain(row)

    def add_addendum(
        self,
        encounter_id: int,
        text: str,
        author_id: int,
        author_name: str,
        signed_at: datetime,
        content_hash: str,
    ) -> Addendum:
        """Append an addendum."""
        row = AddendumRow(
            encounter_id=encounter_id,
            text=text,
            author_id=author_id,
            author_name=author_name,
            signed_at=signed_at,
            content_hash=content_hash,
        )
        self._s.add(row)
        self._s.flush()
        self._s.expire(self._row(encounter_id), ["addenda"])
        return self._addendum(row)


class SqlAccountRepository:
    """Accounts on SQLAlchemy."""

    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _to_domain(row: AccountRow) -> Account:
        return Account(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            roles=frozenset(Role(r) for r in row.roles.split(",") if r),
            active=row.active,
        )

    def count(self) -> int:
        """Number of accounts."""
        return self._s.scalar(select(func.count()).select_from(AccountRow)) or 0

    def add(
        self, username: str, display_name: str, password_hash: str, roles: frozenset[Role]
    ) -> Account:
        """Insert an account."""
        row = AccountRow(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            roles=",".join(sorted(roles)),
            active=True,
            created_at=datetime.now(UTC),
        )
        self._s.add(row)
        self._s.flush()
        return self._to_domain(row)

    def get(self, user_id: int) -> Account | None:
        """An account by id."""
        row = self._s.get(AccountRow, user_id)
        return self._to_domain(row) if row else None

    def by_username(self, username: str) -> tuple[Account, str] | None:
        """An account and its password hash."""
        row = self._s.scalar(select(AccountRow).where(AccountRow.username == username))
        return (self._to_domain(row), row.password_hash) if row else None

    def list(self) -> Sequence[Account]:
        """All accounts."""
        return [
            self._to_domain(r)
            for r in self._s.scalars(select(AccountRow).order_by(AccountRow.username))
        ]

    def _row(self, user_id: int) -> AccountRow:
        row = self._s.get(AccountRow, user_id)
        if row is None:
            raise NotFound(f"Account #{user_id} does not exist.")
        return row

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the hash."""
        self._row(user_id).password_hash = password_hash
        self._s.flush()

    def set_active(self, user_id: int, active: bool) -> None:
        """Enable or disable."""
        self._row(user_id).active = active
        self._s.flush()

    def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        """Replace the roles."""
        self._row(user_id).roles = ",".join(sorted(roles))
        self._s.flush()


class SqlAuditRepository:
    """The audit chain on SQLAlchemy."""

    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _to_domain(row: AuditRow) -> AuditEntry:
        return AuditEntry(
            seq=row.seq,
            at=aware(row.at),
            user_id=row.user_id,
            username=row.username,
            action=AuditAction(row.action),
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            detail=row.detail,
            prev_hash=row.prev_hash,
            entry_hash=row.entry_hash,
        )

    def append(self, event: AuditEvent) -> AuditEntry:
        """Lock the head row (FOR UPDATE on PostgreSQL; SQLite holds the write lock), chain."""
        head = self._s.scalar(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update())
        if head is None:  # a database created outside the migrations
            head = AuditHeadRow(id=1, seq=0, entry_hash=GENESIS_HASH)
            self._s.add(head)
        seq = head.seq + 1
        digest = chain_hash(seq, head.entry_hash, event)
        row = AuditRow(
            seq=seq,
            at=event.at,
            user_id=event.user_id,
            username=event.username,
            action=event.action.value,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            detail=event.detail,
            prev_hash=head.entry_hash,
            entry_hash=digest,
        )
        self._s.add(row)
        head.seq = seq
        head.entry_hash = digest
        self._s.flush()
        return self._to_domain(row)

    def all(self) -> Sequence[AuditEntry]:
        """Every entry in order."""
        return [
            self._to_domain(r) for r in self._s.scalars(select(AuditRow).order_by(AuditRow.seq))
        ]

    def head(self) -> tuple[int, str] | None:
        """The last (seq, hash) written."""
        head = self._s.get(AuditHeadRow, 1)
        return (head.seq, head.entry_hash) if head else None

    def recent(self, limit: int) -> Sequence[AuditEntry]:
        """The newest entries first."""
        rows = self._s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit))
        return [self._to_domain(r) for r in rows]
