"""Open the configured database: connect, check integrity, migrate."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from clinic_app.domain.errors import DatabaseUnavailable
from clinic_app.storage.db import (
    SCHEMA_HEAD,
    check_integrity,
    check_sqlite_header,
    is_sqlite,
    knows_revision,
    make_engine,
    schema_revision,
    upgrade_schema,
)
from clinic_app.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory, explain_db_error


def open_database(
    url: str, *, full_check: bool = True, key: bytes | None = None
) -> tuple[Engine, SqlAlchemyUnitOfWorkFactory]:
    """Connect, check, migrate to the newest schema; raises a ClinicError the user can act on.

    Args:
        url: the database.
        full_check: run SQLite's quick_check over the whole file before anything else (seconds
            on a big file). The window passes False after a clean shutdown and checks the file
            in the background instead; the file's header is checked either way.
        key: the database key of an encrypted SQLite file (SQLCipher).
    """
    engine = make_engine(url, key=key)
    try:
        if full_check:
            check_integrity(engine)
        elif is_sqlite(engine):
            check_sqlite_header(Path(engine.url.database or ""), encrypted=key is not None)
        current = schema_revision(engine)
        if current != SCHEMA_HEAD:
            if current is not None and not knows_revision(engine, current):
                raise DatabaseUnavailable(
                    f"The database was written by a newer clinic_app (schema {current}); "
                    "update the app on this workstation."
                )
            upgrade_schema(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailable(explain_db_error(exc)) from None
    except Exception:
        engine.dispose()
        raise
    return engine, SqlAlchemyUnitOfWorkFactory(engine)
