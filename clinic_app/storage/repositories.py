"""Repositories: explicit row <-> domain conversion, one per aggregate."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic_app.domain.account import Account, LoginFailures, Role, SigningKeyInfo
from clinic_app.domain.audit import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditEvent,
    Checkpoint,
    Mac,
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
from clinic_app.domain.errors import ClinicError, ConflictError, NotFound
from clinic_app.domain.handouts import HandoutLanguage, HandoutSide
from clinic_app.domain.patient import Patient, PatientData, parse_search_date, search_key
from clinic_app.domain.practice import PracticeDetails
from clinic_app.domain.print_queue import HandoutChoice, HandoutRequest, PrintAction, PrintRecord
from clinic_app.services.ports import (
    AddendumImport,
    EncounterImport,
    Signature,
    SignatureImport,
)
from clinic_app.storage.rows import (
    AccountRow,
    AddendumRow,
    AuditHeadRow,
    AuditRow,
    Base,
    EncounterRow,
    HandoutRequestRow,
    LoginFailureRow,
    PatientRow,
    PracticeRow,
    PrintLogRow,
    SigningKeyRow,
)

# Appended to a prefix, this sorts after every real character (byte-wise on both databases).
PREFIX_END = "\U0010ffff"
# Values per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
IN_CHUNK = 900
# An MRN prefix held by at least this many patients is searched through the name index.
DENSE_PREFIX = 1000
# The order of search results: the keys the covering name indexes hold.
SEARCH_ORDER = (PatientRow.family_key, PatientRow.given_key, PatientRow.id)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _table(row_class: type[Base]) -> Table:
    """The Core table behind a row class (bulk statements bypass the ORM's per-object work)."""
    table = row_class.__table__
    assert isinstance(table, Table)
    return table


def _prefix(column: InstrumentedAttribute[str], prefix: str) -> ColumnElement[bool]:
    return and_(column >= prefix, column < prefix + PREFIX_END)


def _word_matches(word: str) -> ColumnElement[bool]:
    """A typed word matches a family or given name prefix, or an MRN prefix."""
    return or_(
        _prefix(PatientRow.family_key, word),
        _prefix(PatientRow.given_key, word),
        _prefix(PatientRow.mrn, word.upper()),
    )


DRAFTS_OFFERED = 50
"""Unsigned drafts offered after log-in, newest first."""


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
                "allergy_status": row.allergy_status,
                "allergies": row.allergies,
                "medications": row.medications,
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
        row.allergy_status = data.allergy_status.value
        row.allergies = data.allergies
        row.medications = data.medications

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

    def seen_on(self, day: date, limit: int) -> Sequence[Patient]:
        """Patients with an encounter dated that day, in name order."""
        seen = select(EncounterRow.patient_id).where(EncounterRow.encounter_date == day)
        rows = self._s.scalars(
            select(PatientRow).where(PatientRow.id.in_(seen)).order_by(*SEARCH_ORDER).limit(limit)
        )
        return [self._to_domain(r) for r in rows]

    def search(self, text: str, limit: int) -> Sequence[Patient]:
        """Every word must match a name prefix, an MRN prefix or the date of birth.

        A typed date narrows the search to a handful of rows through its index, so such a
        search is one plain query. Words alone are answered from the covering name indexes:
        the longest word is looked up as a family prefix, a given-name prefix and an MRN
        prefix, each branch giving its first ``limit`` keys in list order (the other words
        filter inside the index), and only the merged page's rows are read. A single query
        ORing three indexes reads and sorts every match instead: 40 ms for one letter at
        100,000 patients against about 1 ms this way.
        """
        words: list[str] = []
        conditions: list[ColumnElement[bool]] = []
        for token in search_key(text).split():
            day = parse_search_date(token)
            if day is not None:
                conditions.append(PatientRow.date_of_birth == day)
                continue
            token = token.strip(",")
            if not token:
                continue
            words.append(token)
            conditions.append(_word_matches(token))
        if not conditions:
            return []
        if len(words) < len(conditions):  # a date among the words
            rows = self._s.scalars(
                select(PatientRow).where(and_(*conditions)).order_by(*SEARCH_ORDER).limit(limit)
            )
            return [self._to_domain(r) for r in rows]
        lead = max(range(len(words)), key=lambda i: len(words[i]))
        others = [cond for i, cond in enumerate(conditions) if i != lead]
        word = words[lead]
        keys: set[tuple[str, str, int]] = set()
        for branch in (
            _prefix(PatientRow.family_key, word),
            _prefix(PatientRow.given_key, word),
            self._mrn_prefix(word.upper()),
        ):
            stmt = select(*SEARCH_ORDER).where(branch, *others).order_by(*SEARCH_ORDER).limit(limit)
            keys.update((family, given, pid) for family, given, pid in self._s.execute(stmt))
        # Python orders str by code point, as SQLite's BINARY and PostgreSQL's "C" collation do.
        page = [patient_id for _family, _given, patient_id in sorted(keys)[:limit]]
        if not page:
            return []
        found = {
            r.id: r for r in self._s.scalars(select(PatientRow).where(PatientRow.id.in_(page)))
        }
        return [self._to_domain(found[patient_id]) for patient_id in page]

    def _mrn_prefix(self, prefix: str) -> ColumnElement[bool]:
        """MRNs starting with prefix, phrased for the plan that finds a page of them fastest."""
        probe = select(PatientRow.id).where(_prefix(PatientRow.mrn, prefix)).limit(DENSE_PREFIX)
        if (self._s.scalar(select(func.count()).select_from(probe.subquery())) or 0) < DENSE_PREFIX:
            return _prefix(PatientRow.mrn, prefix)
        # Thousands of MRNs share this prefix (DEMO-, leading zeros): a range on the MRN index
        # would read and sort them all, while walking the name index in list order, testing
        # the MRN it also holds, fills a page at once. substr() keeps the MRN index out of it.
        return func.substr(PatientRow.mrn, 1, len(prefix)) == prefix

    def count(self) -> int:
        """Number of patients."""
        return self._s.scalar(select(func.count()).select_from(PatientRow)) or 0

    def any_mrn_outside(self, prefix: str) -> bool:
        """Whether any patient's MRN does not start with prefix (one index probe)."""
        probe = select(PatientRow.id).where(~_prefix(PatientRow.mrn, prefix)).limit(1)
        return self._s.scalar(probe) is not None

    def taken_mrns(self, mrns: Collection[str]) -> set[str]:
        """The MRNs among these that patients already hold (asked in chunks of IN lists)."""
        wanted = list(mrns)
        taken: set[str] = set()
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            taken.update(self._s.scalars(select(PatientRow.mrn).where(PatientRow.mrn.in_(chunk))))
        return taken

    def add_many(self, items: Sequence[tuple[PatientData, str]]) -> list[int]:
        """Insert many patients with one Core executemany (no ORM objects); ids in order."""
        if not items:
            return []
        now = datetime.now(UTC)
        table = _table(PatientRow)
        params: list[dict[str, Any]] = [
            {
                "mrn": mrn,
                "family_name": data.family_name,
                "given_name": data.given_name,
                "family_key": search_key(data.family_name),
                "given_key": search_key(data.given_name),
                "date_of_birth": data.date_of_birth,
                "sex": data.sex.value,
                "phone": data.phone,
                "preferred_language": data.preferred_language.value,
                "diabetes": data.diabetes.value,
                "allergy_status": data.allergy_status.value,
                "allergies": data.allergies,
                "medications": data.medications,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for data, mrn in items
        ]
        conn = self._s.connection()
        # A plain executemany, then ids by MRN (unique): SQLite cannot promise the order of
        # RETURNING rows, so SQLAlchemy would send an ordered RETURNING insert row by row.
        conn.execute(insert(table), params)
        ids: dict[str, int] = {}
        for start in range(0, len(items), IN_CHUNK):
            chunk = [mrn for _data, mrn in items[start : start + IN_CHUNK]]
            found = conn.execute(select(table.c.mrn, table.c.id).where(table.c.mrn.in_(chunk)))
            ids.update((mrn, patient_id) for mrn, patient_id in found)
        return [ids[mrn] for _data, mrn in items]


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
            findings=row.findings or {},
            signature=row.signature,
            signing_key_id=row.signing_key_id,
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
            stored_content=row.content,
            version=row.version,
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
            signed_by_id=row.signed_by_id,
            signed_by_name=row.signed_by_name,
            signed_at=aware(row.signed_at) if row.signed_at else None,
            content_hash=row.content_hash,
            signature=row.signature,
            signing_key_id=row.signing_key_id,
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

    def list_for_patient(self, patient_id: int) -> Sequence[VisitSummary]:
        """Newest first, with addenda counts and reasons, without loading content."""
        # Counted per encounter through the addenda's encounter index: a grouped count over
        # the whole table would read every addendum of the practice on each chart open.
        count = (
            select(func.count())
            .select_from(AddendumRow)
            .where(AddendumRow.encounter_id == EncounterRow.id)
            .correlate(EncounterRow)
            .scalar_subquery()
        )
        stmt = (
            select(
                EncounterRow.id,
                EncounterRow.encounter_date,
                EncounterRow.clinician_name,
                EncounterRow.status,
                count,
                EncounterRow.reason,
            )
            .where(EncounterRow.patient_id == patient_id)
            .order_by(EncounterRow.encounter_date.desc(), EncounterRow.id.desc())
        )
        return [
            VisitSummary(
                id=r[0],
                patient_id=patient_id,
                encounter_date=r[1],
                clinician_name=r[2],
                status=EncounterStatus(r[3]),
                addenda_count=r[4],
                reason=r[5],
            )
            for r in self._s.execute(stmt)
        ]

    def drafts_for_clinician(
        self, clinician_id: int, limit: int = DRAFTS_OFFERED
    ) -> Sequence[DraftSummary]:
        """Unsigned drafts of one clinician, most recently saved first (no content loaded).

        At most ``limit``: the offer after log-in lists the newest, not every draft ever left.
        """
        stmt = (
            select(
                EncounterRow.id,
                EncounterRow.patient_id,
                PatientRow.family_name,
                PatientRow.given_name,
                EncounterRow.encounter_date,
                EncounterRow.updated_at,
            )
            .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
            .where(
                EncounterRow.clinician_id == clinician_id,
                EncounterRow.status == EncounterStatus.DRAFT.value,
            )
            .order_by(EncounterRow.updated_at.desc(), EncounterRow.id.desc())
            .limit(limit)
        )
        return [
            DraftSummary(
                encounter_id=r[0],
                patient_id=r[1],
                patient_name=f"{r[3]} {r[2]}",
                encounter_date=r[4],
                updated_at=aware(r[5]),
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
        signature: Signature | None = None,
    ) -> Encounter:
        """Lock the draft."""
        row = self._row(encounter_id)
        self._check_version(row, expected_version)
        row.status = EncounterStatus.SIGNED.value
        row.signed_by_id = signer_id
        row.signed_by_name = signer_name
        row.signed_at = signed_at
        row.content_hash = content_hash
        if signature is not None:
            row.signature = signature.value
            row.signing_key_id = signature.key_id
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
        findings: Mapping[str, Any] | None = None,
        signature: Signature | None = None,
    ) -> Addendum:
        """Append an addendum."""
        row = AddendumRow(
            encounter_id=encounter_id,
            text=text,
            author_id=author_id,
            author_name=author_name,
            signed_at=signed_at,
            content_hash=content_hash,
            findings=dict(findings) if findings else None,
            signature=signature.value if signature else None,
            signing_key_id=signature.key_id if signature else None,
        )
        self._s.add(row)
        self._s.flush()
        self._s.expire(self._row(encounter_id), ["addenda"])
        return self._addendum(row)

    def add_many(self, items: Sequence[EncounterImport]) -> list[int]:
        """Insert many drafts with one Core executemany; ids in the order given."""
        if not items:
            return []
        table = _table(EncounterRow)
        params: list[dict[str, Any]] = [
            {
                "patient_id": item.patient_id,
                "encounter_date": item.encounter_date,
                "clinician_id": item.clinician_id,
                "clinician_name": item.clinician_name,
                "reason": item.reason,
                "status": EncounterStatus.DRAFT.value,
                "content": item.content.model_dump(mode="json"),
                "version": 1,
                "created_at": item.created_at,
                "updated_at": item.created_at,
            }
            for item in items
        ]
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(self._s.connection().execute(stmt, params).scalars())

    def sign_many(self, items: Sequence[SignatureImport]) -> int:
        """Lock many drafts at once; a row already signed is left alone (not counted)."""
        if not items:
            return 0
        table = _table(EncounterRow)
        # Bound names differ from the column names: Core reserves those for SET values.
        stmt = (
            update(table)
            .where(
                table.c.id == bindparam("b_id"),
                table.c.status == EncounterStatus.DRAFT.value,
            )
            .values(
                status=EncounterStatus.SIGNED.value,
                signed_by_id=bindparam("b_signer_id"),
                signed_by_name=bindparam("b_signer_name"),
                signed_at=bindparam("b_signed_at"),
                content_hash=bindparam("b_hash"),
                signature=bindparam("b_signature"),
                signing_key_id=bindparam("b_key_id"),
                updated_at=bindparam("b_signed_at"),
                version=table.c.version + 1,
            )
        )
        result = self._s.connection().execute(
            stmt,
            [
                {
                    "b_id": item.encounter_id,
                    "b_signer_id": item.signer_id,
                    "b_signer_name": item.signer_name,
                    "b_signed_at": item.signed_at,
                    "b_hash": item.content_hash,
                    "b_signature": item.signature,
                    "b_key_id": item.signing_key_id,
                }
                for item in items
            ],
        )
        return result.rowcount if result.rowcount >= 0 else len(items)

    def add_addenda_many(self, items: Sequence[AddendumImport]) -> int:
        """Insert many signed addenda with one Core executemany."""
        if not items:
            return 0
        self._s.connection().execute(
            insert(_table(AddendumRow)),
            [
                {
                    "encounter_id": item.encounter_id,
                    "text": item.text,
                    "author_id": item.author_id,
                    "author_name": item.author_name,
                    "signed_at": item.signed_at,
                    "content_hash": item.content_hash,
                    "signature": item.signature,
                    "signing_key_id": item.signing_key_id,
                }
                for item in items
            ],
        )
        return len(items)


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

    @staticmethod
    def _failures(row: LoginFailureRow) -> LoginFailures:
        return LoginFailures(
            username=row.username, failures=row.failures, last_failed_at=aware(row.last_failed_at)
        )

    def login_failures(self, username: str) -> LoginFailures | None:
        """Failed logins in a row under a user name, or None."""
        row = self._s.get(LoginFailureRow, username, with_for_update=True)
        return self._failures(row) if row else None

    def record_login_failure(self, username: str, at: datetime) -> LoginFailures:
        """Count one more failed login under a user name."""
        row = self._s.get(LoginFailureRow, username, with_for_update=True)
        if row is None:
            row = LoginFailureRow(username=username, failures=0, last_failed_at=at)
            self._s.add(row)
        row.failures += 1
        row.last_failed_at = at
        self._s.flush()
        return self._failures(row)

    def clear_login_failures(self, username: str) -> None:
        """Forget the failed logins under a user name (after a success or by the admin)."""
        self._s.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))

    def all_login_failures(self) -> Sequence[LoginFailures]:
        """Every user name with failed logins, most failures first."""
        rows = self._s.scalars(
            select(LoginFailureRow).order_by(
                LoginFailureRow.failures.desc(), LoginFailureRow.username
            )
        )
        return [self._failures(r) for r in rows]

    @staticmethod
    def _key(row: SigningKeyRow) -> SigningKeyInfo:
        return SigningKeyInfo(
            id=row.id,
            user_id=row.user_id,
            public_key=row.public_key,
            created_at=aware(row.created_at),
            retired_at=aware(row.retired_at) if row.retired_at else None,
        )

    def add_signing_key(
        self, user_id: int, public_key: str, wrapped_private: str, at: datetime
    ) -> SigningKeyInfo:
        """Retire the account's key in use (if any) and store the new one."""
        self._s.execute(
            update(SigningKeyRow)
            .where(SigningKeyRow.user_id == user_id, SigningKeyRow.retired_at.is_(None))
            .values(retired_at=at)
        )
        row = SigningKeyRow(
            user_id=user_id, public_key=public_key, wrapped_private=wrapped_private, created_at=at
        )
        self._s.add(row)
        self._s.flush()
        return self._key(row)

    def current_signing_key(self, user_id: int) -> tuple[SigningKeyInfo, str] | None:
        """The key not retired (the newest, should there be two)."""
        row = self._s.scalars(
            select(SigningKeyRow)
            .where(SigningKeyRow.user_id == user_id, SigningKeyRow.retired_at.is_(None))
            .order_by(SigningKeyRow.id.desc())
            .limit(1)
        ).first()
        return (self._key(row), row.wrapped_private) if row is not None else None

    def retire_signing_key(self, key_id: int, at: datetime) -> None:
        """Mark a key retired."""
        self._s.execute(
            update(SigningKeyRow).where(SigningKeyRow.id == key_id).values(retired_at=at)
        )

    def rewrap_signing_key(self, key_id: int, wrapped_private: str) -> None:
        """Replace the wrapped private half."""
        self._s.execute(
            update(SigningKeyRow)
            .where(SigningKeyRow.id == key_id)
            .values(wrapped_private=wrapped_private)
        )

    def signing_keys(self) -> Sequence[SigningKeyInfo]:
        """Every key, oldest first."""
        return [self._key(r) for r in self._s.scalars(select(SigningKeyRow).order_by("id"))]

    def practice_key_slot(self, user_id: int) -> str | None:
        """The account's wrapped practice key."""
        return self._s.scalar(select(AccountRow.practice_key_slot).where(AccountRow.id == user_id))

    def set_practice_key_slot(self, user_id: int, slot: str | None) -> None:
        """Store or clear the wrapped practice key."""
        self._row(user_id).practice_key_slot = slot
        self._s.flush()


class SqlAuditRepository:
    """The audit chain on SQLAlchemy."""

    def __init__(self, session: Session, mac: Mac | None = None, key_check: str = "") -> None:
        self._s = session
        self._mac = mac
        self._key_check = key_check
        self.appended: Checkpoint | None = None
        """The head after this transaction's last append (for the checkpoint outside)."""

    @staticmethod
    def _entries(rows: Iterable[Row[Any]]) -> list[AuditEntry]:
        """Entries from rows of _select(); the first entry follows the genesis hash."""
        return [
            AuditEntry(
                seq=r.seq,
                at=aware(r.at),
                user_id=r.user_id,
                username=r.username,
                action=AuditAction(r.action),
                entity_type=r.entity_type,
                entity_id=r.entity_id,
                detail=r.detail,
                prev_hash=r.prev_hash if r.prev_hash is not None else GENESIS_HASH,
                entry_hash=r.entry_hash,
            )
            for r in rows
        ]

    @staticmethod
    def _select() -> Select[Any]:
        """Entries as plain columns, each with its predecessor's hash (one index lookup)."""
        table = _table(AuditRow)
        before = table.alias("before")
        prev_hash = (
            select(before.c.entry_hash)
            .where(before.c.seq == table.c.seq - 1)
            .scalar_subquery()
            .label("prev_hash")
        )
        return select(*table.c, prev_hash)

    def append(self, event: AuditEvent) -> AuditEntry:
        """Lock the head row (FOR UPDATE on PostgreSQL; SQLite holds the write lock), chain."""
        head = self._s.scalar(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update())
        if head is None:  # a database created outside the migrations
            head = AuditHeadRow(id=1, seq=0, entry_hash=GENESIS_HASH)
            self._s.add(head)
        seq = head.seq + 1
        if self._mac is not None:
            if head.keyed_from is None:
                # The first entry written with the practice key: from here on every entry
                # is keyed, and the entries before keep their plain hashes.
                head.keyed_from = seq
                head.key_check = self._key_check
            elif head.key_check != self._key_check:
                raise ClinicError(
                    "The practice key in this data folder is not the one the audit trail was "
                    "written with; copy the practice's practice.key here (README, Security)."
                )
        elif head.keyed_from is not None:
            raise ClinicError(
                "The audit trail is keyed, but this data folder has no practice key; copy the "
                "practice's practice.key here (README, Security)."
            )
        digest = chain_hash(seq, head.entry_hash, event, self._mac)
        row = AuditRow(
            seq=seq,
            at=event.at,
            user_id=event.user_id,
            username=event.username,
            action=event.action.value,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            detail=event.detail,
            entry_hash=digest,
        )
        self._s.add(row)
        prev_hash = head.entry_hash
        head.seq = seq
        head.entry_hash = digest
        self._s.flush()
        self.appended = Checkpoint(seq=seq, entry_hash=digest, keyed_from=head.keyed_from)
        return AuditEntry(seq=seq, prev_hash=prev_hash, entry_hash=digest, **event.model_dump())

    def lock(self) -> None:
        """Take the audit head's row lock now, for the rest of the transaction.

        Every audited write takes it when it appends; a use case that checks before it
        inserts (a free MRN, no patient with the same name and birth date) takes it first,
        so two workstations doing the same thing at once run one after the other and the
        second sees the first's row. SQLite's BEGIN IMMEDIATE already holds the write lock.
        """
        self._s.execute(select(AuditHeadRow.id).where(AuditHeadRow.id == 1).with_for_update())

    def signed_encounter_ids(self) -> Sequence[int]:
        """Ids of every encounter that is signed or carries a signature hash, in order.

        Kept with the audit trail: `audit verify` re-checks each of them after the chain.
        """
        query = (
            select(EncounterRow.id)
            .where(
                or_(
                    EncounterRow.status == EncounterStatus.SIGNED.value,
                    EncounterRow.content_hash.is_not(None),
                )
            )
            .order_by(EncounterRow.id)
        )
        return list(self._s.scalars(query))

    def all(self) -> Sequence[AuditEntry]:
        """Every entry in order, all in memory (a long trail is walked with page())."""
        return self.page(0, None)

    def page(
        self,
        after: int,
        limit: int | None,
        up_to: int | None = None,
        actions: Collection[AuditAction] | None = None,
    ) -> Sequence[AuditEntry]:
        """Up to limit entries after seq `after` (through `up_to`), in order; one range query.

        Read as plain columns (no ORM objects kept in the session); with actions, only
        entries of those actions.
        """
        table = _table(AuditRow)
        stmt = self._select().where(table.c.seq > after).order_by(table.c.seq)
        if up_to is not None:
            stmt = stmt.where(table.c.seq <= up_to)
        if actions is not None:
            stmt = stmt.where(table.c.action.in_([a.value for a in actions]))
        if limit is not None:
            stmt = stmt.limit(limit)
        return self._entries(self._s.connection().execute(stmt))

    def head(self) -> tuple[int, str] | None:
        """The last (seq, hash) written."""
        head = self._s.get(AuditHeadRow, 1)
        return (head.seq, head.entry_hash) if head else None

    def keying(self) -> tuple[int | None, str | None]:
        """Where the keyed part starts and the key's check value."""
        head = self._s.get(AuditHeadRow, 1)
        return (head.keyed_from, head.key_check) if head else (None, None)

    def entry_at(self, seq: int) -> AuditEntry | None:
        """One entry by sequence number."""
        found = self.page(seq - 1, 1, up_to=seq)
        return found[0] if found else None

    def checkpoint(self) -> Checkpoint | None:
        """The head with its keyed start."""
        head = self._s.get(AuditHeadRow, 1)
        if head is None or head.seq == 0:
            return None
        return Checkpoint(seq=head.seq, entry_hash=head.entry_hash, keyed_from=head.keyed_from)

    def recent(self, limit: int) -> Sequence[AuditEntry]:
        """The newest entries first."""
        table = _table(AuditRow)
        stmt = self._select().order_by(table.c.seq.desc()).limit(limit)
        return self._entries(self._s.connection().execute(stmt))

    def recent_entity_ids(
        self, user_id: int, action: str, entity_type: str, limit: int
    ) -> Sequence[str]:
        """Distinct entity ids of one person's entries of one kind, newest first."""
        newest = func.max(AuditRow.seq)
        stmt = (
            select(AuditRow.entity_id)
            .where(
                AuditRow.user_id == user_id,
                AuditRow.action == action,
                AuditRow.entity_type == entity_type,
            )
            .group_by(AuditRow.entity_id)
            .order_by(newest.desc())
            .limit(limit)
        )
        return list(self._s.scalars(stmt))


class SqlPrintQueueRepository:
    """Handout requests and the print log on SQLAlchemy."""

    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _request(row: HandoutRequestRow) -> HandoutRequest:
        return HandoutRequest(
            id=row.id,
            encounter_id=row.encounter_id,
            patient_id=row.patient_id,
            handout_id=row.handout_id,
            language=HandoutLanguage(row.language),
            copies=row.copies,
            requested_by_name=row.requested_by_name,
            requested_at=aware(row.requested_at),
            done_at=aware(row.done_at) if row.done_at else None,
            done_by_name=row.done_by_name,
            side=HandoutSide(row.side) if row.side else None,
            large_print=row.large_print,
            next_steps=tuple(row.next_steps.split()),
        )

    @staticmethod
    def _print(row: PrintLogRow) -> PrintRecord:
        return PrintRecord(
            id=row.id,
            request_id=row.request_id,
            patient_id=row.patient_id,
            handout_id=row.handout_id,
            version=row.version,
            language=HandoutLanguage(row.language),
            action=PrintAction(row.action),
            by_id=row.by_id,
            by_name=row.by_name,
            at=aware(row.at),
        )

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
        row = HandoutRequestRow(
            encounter_id=encounter_id,
            patient_id=patient_id,
            handout_id=choice.handout_id,
            language=choice.language.value,
            copies=choice.copies,
            side=choice.side.value if choice.side else None,
            large_print=choice.large_print,
            next_steps=" ".join(choice.next_steps),
            requested_by_id=requested_by_id,
            requested_by_name=requested_by_name,
            requested_at=at,
        )
        self._s.add(row)
        self._s.flush()
        return self._request(row)

    def get_request(self, request_id: int) -> HandoutRequest | None:
        """One request or None."""
        row = self._s.get(HandoutRequestRow, request_id)
        return self._request(row) if row is not None else None

    def open_requests(self) -> Sequence[HandoutRequest]:
        """Requests not yet marked done, oldest first."""
        rows = self._s.scalars(
            select(HandoutRequestRow)
            .where(HandoutRequestRow.done_at.is_(None))
            .order_by(HandoutRequestRow.requested_at, HandoutRequestRow.id)
        )
        return [self._request(row) for row in rows]

    def requests_for_encounter(self, encounter_id: int) -> Sequence[HandoutRequest]:
        """Every request made during one visit, oldest first."""
        rows = self._s.scalars(
            select(HandoutRequestRow)
            .where(HandoutRequestRow.encounter_id == encounter_id)
            .order_by(HandoutRequestRow.id)
        )
        return [self._request(row) for row in rows]

    def mark_done(self, request_id: int, by_name: str, at: datetime) -> HandoutRequest:
        """Close a request."""
        row = self._s.get(HandoutRequestRow, request_id)
        if row is None:
            raise NotFound(f"Handout request #{request_id} does not exist.")
        row.done_at = at
        row.done_by_name = by_name
        self._s.flush()
        return self._request(row)

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
        row = PrintLogRow(
            request_id=request_id,
            patient_id=patient_id,
            handout_id=handout_id,
            version=version,
            language=language,
            action=action.value,
            by_id=by_id,
            by_name=by_name,
            at=at,
        )
        self._s.add(row)
        self._s.flush()
        return self._print(row)

    def prints(self, request_id: int | None = None, limit: int = 200) -> Sequence[PrintRecord]:
        """The print log, newest first (of one request when given)."""
        query = select(PrintLogRow).order_by(PrintLogRow.id.desc()).limit(limit)
        if request_id is not None:
            query = query.where(PrintLogRow.request_id == request_id)
        return [self._print(row) for row in self._s.scalars(query)]


PRACTICE_CONFLICT = (
    "Someone else changed the practice details since you opened them. Your changes are "
    "still on screen: reload to see theirs, then save again."
)


class SqlPracticeRepository:
    """The single practice row on SQLAlchemy."""

    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _to_domain(row: PracticeRow) -> PracticeDetails:
        return PracticeDetails.model_validate(
            {
                "name": row.name,
                "address": row.address,
                "phone": row.phone,
                "logo": row.logo,
                "release_timeline": row.release_timeline,
                "driving": row.driving,
                "fever_threshold": row.fever_threshold,
                "version": row.version,
            }
        )

    def get(self) -> PracticeDetails | None:
        """The details, or None before the first save."""
        row = self._s.get(PracticeRow, 1)
        return self._to_domain(row) if row else None

    def save(self, details: PracticeDetails, expected_version: int) -> PracticeDetails:
        """Create (expected_version 0) or update the row with an optimistic version check."""
        row = self._s.get(PracticeRow, 1, with_for_update=True)
        current = row.version if row else 0
        if current != expected_version:
            raise ConflictError(PRACTICE_CONFLICT)
        fields = details.stored_fields()
        now = datetime.now(UTC)
        if row is None:
            row = PracticeRow(id=1, updated_at=now, **fields)
            self._s.add(row)
            try:
                self._s.flush()
            except IntegrityError:
                # Another workstation created the row between our read and our insert.
                raise ConflictError(PRACTICE_CONFLICT) from None
            return self._to_domain(row)
        for key, value in fields.items():
            setattr(row, key, value)
        row.updated_at = now
        self._s.flush()
        return self._to_domain(row)
