"""Unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from clinic_app.domain.audit import Checkpoint
from clinic_app.domain.errors import ConflictError, DatabaseUnavailable, DuplicateRecord
from clinic_app.services.keys import PracticeKey
from clinic_app.services.ports import (
    AccountRepository,
    AuditRepository,
    EncounterRepository,
    PatientRepository,
    PracticeRepository,
    PrintQueueRepository,
)
from clinic_app.storage.repositories import (
    SqlAccountRepository,
    SqlAuditRepository,
    SqlEncounterRepository,
    SqlPatientRepository,
    SqlPracticeRepository,
    SqlPrintQueueRepository,
)


def explain_db_error(exc: DBAPIError) -> str:
    """Turn a driver error into a sentence a receptionist can act on."""
    text = str(exc.orig).lower()
    # Checked before "locked": SQLite says "database or disk is full" (SQLITE_FULL) and
    # PostgreSQL "could not extend file ...: No space left on device".
    if ("disk" in text and ("full" in text or "space" in text)) or "no space" in text:
        return (
            "The disk holding the database is full: free some space on it (empty the "
            "wastebasket, move old files to another drive)."
        )
    if "locked" in text or "busy" in text:
        return "The database is busy: it is in use by another program that did not let go in time."
    if "readonly" in text or "read-only" in text:
        return "The database file is read-only; check the folder's permissions."
    if "disk i/o error" in text:
        return "The database file could not be read or written (disk I/O error): check the drive."
    if (
        "connection" in text
        or "could not connect" in text
        or "server closed" in text
        or "terminating" in text
    ):
        return (
            "The database server cannot be reached: it may be stopped or restarting, or the "
            "network is down."
        )
    return f"The database reported a problem: {exc.orig}"


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a duplicate unique value (SQLite and PostgreSQL)."""
    if getattr(exc.orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(exc.orig)


class SqlAlchemyUnitOfWork:
    """Context manager over one Session; maps database failures to domain errors."""

    # Typed as the ports, so mypy checks that each repository fulfils its protocol.
    patients: PatientRepository
    encounters: EncounterRepository
    accounts: AccountRepository
    audit: AuditRepository
    print_queue: PrintQueueRepository
    practice: PracticeRepository

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        key: PracticeKey | None = None,
        anchor: Callable[[Checkpoint], None] | None = None,
    ) -> None:
        self._factory = session_factory
        self._session: Session | None = None
        self._key = key
        self._anchor = anchor
        self._audit: SqlAuditRepository | None = None

    def __enter__(self) -> Self:
        session = self._factory()
        self._session = session
        self.patients = SqlPatientRepository(session)
        self.encounters = SqlEncounterRepository(session)
        self.accounts = SqlAccountRepository(session)
        key = self._key if self._key is not None and self._key.present else None
        self._audit = SqlAuditRepository(
            session,
            key.mac if key is not None else None,
            key.check_value() if key is not None else "",
        )
        self.audit = self._audit
        self.print_queue = SqlPrintQueueRepository(session)
        self.practice = SqlPracticeRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        self._session = None
        if session is None:
            return
        try:
            session.rollback()
        except DBAPIError:
            pass  # the connection is already gone; the original error matters more
        finally:
            session.close()
        if isinstance(exc, StaleDataError):
            raise ConflictError(
                "This record was saved elsewhere at the same moment. Your text is still on "
                "screen; reload and try again."
            ) from exc
        if isinstance(exc, IntegrityError):
            if is_unique_violation(exc):
                # Two workstations stored the same unique value (an MRN, a user name) at once:
                # the use case turns this into a message at the field.
                raise DuplicateRecord(
                    "Another workstation saved the same record at the same moment; nothing "
                    "was saved here. Check the values and try again."
                ) from exc
            return  # a bug, not a user error: let it propagate unchanged
        if isinstance(exc, DBAPIError):
            raise DatabaseUnavailable(explain_db_error(exc)) from exc

    def commit(self) -> None:
        """Commit; a failure leaves nothing written."""
        assert self._session is not None, "commit() outside the with-block"
        self._session.commit()
        repo = self._audit
        if repo is not None and repo.appended is not None and self._anchor is not None:
            # The chain's new head goes to the checkpoint outside the database.
            appended, repo.appended = repo.appended, None
            self._anchor(appended)

    def rollback(self) -> None:
        """Discard the work."""
        assert self._session is not None, "rollback() outside the with-block"
        self._session.rollback()


class SqlAlchemyUnitOfWorkFactory:
    """Builds units of work over one engine."""

    def __init__(
        self,
        engine: Engine,
        key: PracticeKey | None = None,
        anchor: Callable[[Checkpoint], None] | None = None,
    ) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.key = key
        """The practice key that keys the audit chain (None: the chain stays unkeyed)."""
        self.anchor = anchor
        """Called with the chain's new head after each commit that appended to it."""

    def __call__(self) -> SqlAlchemyUnitOfWork:
        """A new, unopened unit of work."""
        return SqlAlchemyUnitOfWork(self._sessions, self.key, self.anchor)

    @property
    def location(self) -> str:
        """Where the data lives, for messages: the SQLite file, or the URL without password."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database:
            return url.database
        return url.render_as_string(hide_password=True)
