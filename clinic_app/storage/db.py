"""Engine set-up: SQLite pragmas, PostgreSQL by URL, integrity check and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import QueuePool

from clinic_app.domain.errors import DatabaseCorrupt, DatabaseUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest migration's revision id. Start-up compares the database against it with one
# query and imports Alembic only when there is something to migrate (a test keeps this equal
# to Alembic's own head).
SCHEMA_HEAD = "0013"
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLite files this process has connected to. A lock SQLite takes on a file is a POSIX record
# lock, held by the process, and closing *any* descriptor of that file drops all of them: a
# plain open() and close() of a file a live connection holds would silently release its lock,
# and another program closing its own connection would then take itself for the last one and
# checkpoint and delete the write-ahead log under it (the saves after that are lost). The
# header is therefore read only before this process first connects to a file (the same file:
# device and inode, so a file put in its place is read again); its size needs no open.
_CONNECTED_FILES: set[tuple[int, int]] = set()


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+pysqlite:///{path}"


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def is_encrypted(engine: Engine) -> bool:
    """Whether the engine opens an encrypted SQLite file (SQLCipher)."""
    return engine.url.drivername == "sqlite+pysqlcipher"


def engine_key(engine: Engine) -> bytes | None:
    """The database key an encrypted SQLite engine was made with (None: a plain file)."""
    if not is_encrypted(engine):
        return None
    raw = str(engine.url.password or "")
    return bytes.fromhex(raw[2:-1]) if raw.startswith("x'") else None


def make_engine(url: str, *, key: bytes | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, synchronous FULL and BEGIN IMMEDIATE.

    Args:
        url: the database URL.
        key: the database key of an encrypted SQLite file: the engine then uses SQLAlchemy's
            ``sqlite+pysqlcipher`` dialect (the ``sqlcipher3`` driver) and keys every new
            connection with it, as SQLCipher's raw key (no passphrase derivation).
        kwargs: passed to create_engine.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(f"Not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite" and key is not None:
        # The dialect runs `pragma key="<password>"`; x'<hex>' there is SQLCipher's raw key.
        parsed = parsed.set(drivername="sqlite+pysqlcipher", password=f"x'{key.hex()}'")
        # One pooled connection per use, as with pysqlite (the dialect's default pool keeps
        # one per thread).
        kwargs.setdefault("poolclass", QueuePool)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            folder = Path(database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # e.g. --data-dir names a file, or a read-only drive
                raise DatabaseUnavailable(
                    f"The database folder {folder} cannot be created ({exc.strerror})."
                ) from None
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        parsed = require_tls(parsed)
        return create_engine(
            parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5}, **kwargs
        )
    raise DatabaseUnavailable(
        f"Unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL."
    )


LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1", "[::1]"})
TLS_MODES = ("require", "verify-ca", "verify-full")


def is_local_host(host: str) -> bool:
    """Whether a PostgreSQL host is this machine (a name, a loopback address or a socket)."""
    return host.strip().lower() in LOCAL_HOSTS or host.startswith("/")


def require_tls(url: URL) -> URL:
    """A PostgreSQL URL for a server on another machine, with TLS required.

    No sslmode: ``require`` is added (encrypted, the server's certificate not checked); a
    stricter one (verify-ca, verify-full) is kept; a weaker one (disable, allow, prefer) is
    refused in one line, since records and passwords would cross the network in clear text.
    """
    hosts = [url.host or ""]
    query_host = url.query.get("host")
    if query_host:
        hosts.extend(query_host if isinstance(query_host, tuple) else query_host.split(","))
    if all(is_local_host(h) for h in hosts):
        return url
    mode = url.query.get("sslmode")
    if mode is None:
        return url.update_query_dict({"sslmode": "require"})
    if mode not in TLS_MODES:
        raise DatabaseUnavailable(
            f"The database server is on another computer, and sslmode={mode} would send the "
            "records unencrypted: use sslmode=require, verify-ca or verify-full "
            "(README, Security)."
        )
    return url


def _configure_sqlite(engine: Engine) -> None:
    encrypted = is_encrypted(engine)

    database = engine.url.database or ""
    if database and database != ":memory:":

        @event.listens_for(engine, "connect")
        def _remember(_dbapi_connection: Any, _record: Any) -> None:
            file_key = _file_key(Path(database))
            if file_key is not None:
                _CONNECTED_FILES.add(file_key)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        if encrypted:
            # A wrong key is reported as an error here; SQLCipher need not also log it.
            cur.execute("PRAGMA cipher_log_level = NONE")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: two writers then queue on busy_timeout instead of
        # deadlocking when both try to upgrade a read lock (SQLITE_BUSY without waiting).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def check_sqlite_header(path: Path, *, encrypted: bool = False) -> None:
    """Refuse a database file that is empty or does not start like a SQLite database.

    SQLite itself would open a zero-length file as a new, empty database (and the app would
    offer the first-run set-up over the practice's lost records), so such a file is treated
    as damaged: start-up then offers the backups. A missing file is a new practice.
    """
    if not path.name or path.name == ":memory:" or not path.exists():
        return
    try:
        if path.stat().st_size == 0:
            raise DatabaseCorrupt(f"The database file is damaged ({path} is empty: 0 bytes).")
    except OSError as exc:
        raise DatabaseUnavailable(
            f"The database file {path} cannot be read ({exc.strerror or exc})."
        ) from None
    if _file_key(path) in _CONNECTED_FILES:
        return  # read before the first connection; reading it now would drop SQLite's locks
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseUnavailable(
            f"The database file {path} cannot be read ({exc.strerror or exc})."
        ) from None
    if not head:
        raise DatabaseCorrupt(f"The database file is damaged ({path} is empty: 0 bytes).") from None
    if head != SQLITE_MAGIC and not encrypted:
        # SQLite's own words for this, as the integrity check below reports them.
        raise DatabaseCorrupt(
            f"The database file is damaged ({path}: file is not a database)."
        ) from None


def check_integrity(engine: Engine) -> None:
    """Quick integrity check at start (SQLite); raises DatabaseCorrupt or DatabaseUnavailable."""
    if not is_sqlite(engine):
        return
    check_sqlite_header(Path(engine.url.database or ""), encrypted=is_encrypted(engine))
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except DBAPIError as exc:
        message = str(exc.orig)
        if "not a database" in message or "malformed" in message:
            raise DatabaseCorrupt(f"The database file is damaged ({message}).") from None
        raise DatabaseUnavailable(f"The database cannot be opened ({message}).") from None
    if rows != ["ok"]:
        raise DatabaseCorrupt("The database file is damaged: " + "; ".join(rows[:3]))


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration built in code (no alembic.ini to ship or lose)."""
    from alembic.config import Config

    cfg = Config()
    # Alembic keeps options in a ConfigParser, where "%" starts an interpolation: escaped
    # here. The database URL is never put there at all (migrations run on the connection
    # handed over in cfg.attributes), so a password can neither break it nor be echoed by
    # its error messages.
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema up to the newest migration, in one transaction."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision(engine: Engine) -> str | None:
    """The newest revision this version of the app knows (read from the migration scripts)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def ping(engine: Engine) -> None:
    """Run a trivial query (raises DatabaseUnavailable)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise DatabaseUnavailable(f"The database cannot be reached ({exc.orig}).") from None


def knows_revision(engine: Engine, revision: str) -> bool:
    """Whether this version of the app has the migration a database is at."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return (
            ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision) is not None
        )
    except CommandError:
        return False
