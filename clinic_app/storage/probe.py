"""Look at a PostgreSQL URL before the practice's records are moved there."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from clinic_app.domain.errors import DatabaseUnavailable
from clinic_app.services.practice import DatabaseProbe, DatabaseState
from clinic_app.storage.db import knows_revision, make_engine, schema_revision
from clinic_app.storage.rows import AccountRow

URL_HELP = "Enter the server's URL as postgresql://USER:PASSWORD@HOST/DATABASE."


def _scrub(message: str, url: URL) -> str:
    """The message with the URL's password masked, wherever a driver may have echoed it."""
    if url.password:
        message = message.replace(str(url.password), "***")
    return " ".join(message.split())


def _refused(message: str) -> DatabaseProbe:
    return DatabaseProbe(DatabaseState.UNUSABLE, message)


def probe_database(raw_url: str) -> DatabaseProbe:
    """Connect to a PostgreSQL URL and say whether it is empty, the practice's, or unusable.

    Nothing is created or changed on the server; the connection is closed afterwards.
    """
    raw_url = raw_url.strip()
    if not raw_url:
        return _refused(URL_HELP)
    try:
        url = make_url(raw_url)
    except ArgumentError:
        return _refused(f"That is not a database URL. {URL_HELP}")
    if url.get_backend_name() != "postgresql":
        return _refused(f"Only a PostgreSQL server can be shared. {URL_HELP}")
    if not url.database:
        return _refused(f"The URL needs the database's name after the server. {URL_HELP}")
    where = f"{url.database} on {url.host or url.query.get('host') or 'this computer'}"
    try:
        engine = make_engine(raw_url)
    except DatabaseUnavailable as exc:
        return _refused(_scrub(str(exc), url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = schema_revision(engine)
        if revision is None:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names()
            if tables:
                return _refused(
                    f"The database {where} already holds other tables ({len(tables)}) that "
                    "are not clinic_app's. Ask for an empty database."
                )
            return DatabaseProbe(
                DatabaseState.EMPTY,
                f"Connected. The database {where} is empty: it will be set up for the practice.",
            )
        if not knows_revision(engine, revision):
            return DatabaseProbe(
                DatabaseState.NEWER,
                f"The database {where} was written by a newer clinic_app (schema {revision}). "
                "Update the app on this workstation first.",
            )
        with engine.connect() as conn:
            accounts = conn.execute(select(func.count()).select_from(AccountRow)).scalar_one()
        if not accounts:
            return DatabaseProbe(
                DatabaseState.EMPTY,
                f"Connected. The database {where} has no accounts yet: it will be set up for "
                "the practice.",
            )
        return DatabaseProbe(
            DatabaseState.CLINIC,
            f"Connected. The database {where} already holds the practice's records: this "
            "workstation joins them (log in with an existing account).",
        )
    except DBAPIError as exc:
        reason = _scrub(str(exc.orig).strip().splitlines()[0] if str(exc.orig) else "", url)
        return _refused(
            f"Cannot connect to {where}: {reason or 'the server did not answer'}. Check the "
            "server's name, the user and the password."
        )
    finally:
        engine.dispose()
