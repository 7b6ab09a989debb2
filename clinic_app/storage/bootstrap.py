"""Open the configured database: connect, check integrity, migrate."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from clinic_app.domain.errors import DatabaseUnavailable
from clinic_app.storage.db import (
    SCHEMA_HEAD,
    check_integrity,
    knows_revision,
    make_engine,
    schema_revision,
    upgrade_schema,
)
from clinic_app.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory, explain_db_error


def open_database(url: str) -> tuple[Engine, SqlAlchemyUnitOfWorkFactory]:
    """Connect, check, migrate to the newest schema; raises a ClinicError the user can act on."""
    engine = make_engine(url)
    try:
        check_integrity(engine)
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
