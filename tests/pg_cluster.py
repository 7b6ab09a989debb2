"""A throw-away PostgreSQL cluster for the tests: initdb, start on a free port, stop, delete."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from clinic_app.storage.backup import pg_bin_candidates

try:  # POSIX only: Windows has no pwd module and no root to drop privileges from.
    import pwd
except ImportError:
    pwd = None  # type: ignore[assignment]

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; as root the cluster belongs to this system account.
SYSTEM_USER = "postgres"
START_TIMEOUT_S = 60
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
PORT_ATTEMPTS = 5


class ClusterError(Exception):
    """The cluster could not be created, started or stopped."""


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None when not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=30
        )
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    # Debian and Ubuntu keep the server binaries out of PATH, one folder per major version;
    # the Windows and macOS installers have their own folders (the app looks in the same).
    candidates += pg_bin_candidates()
    suffix = ".exe" if os.name == "nt" else ""
    for bindir in candidates:
        if all((bindir / f"{tool}{suffix}").is_file() for tool in SERVER_PROGRAMS):
            return bindir
    return None


def privilege_drop(base: Path) -> list[str]:
    """The command prefix that runs the server as SYSTEM_USER when the tests run as root.

    PostgreSQL refuses to run as root. Windows (no pwd, no geteuid) and a normal user need
    no prefix.
    """
    if pwd is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    try:
        account = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise ClusterError(
            f"running as root needs the {SYSTEM_USER!r} system user to own the cluster "
            "(install Debian's postgresql package or run the tests as a normal user)"
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ClusterError("running as root needs runuser (util-linux) to drop privileges")
    os.chown(base, account.pw_uid, account.pw_gid)
    return [runuser, "-u", SYSTEM_USER, "--"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TempCluster:
    """A PostgreSQL cluster in a temporary folder, tuned for speed rather than durability."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port: int | None = None
        try:
            self._prefix = privilege_drop(self.base)
        except ClusterError:
            shutil.rmtree(self.base, ignore_errors=True)
            raise

    def _run(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._prefix, *args],
            cwd=self.base,  # the postgres account cannot enter the caller's folder
            capture_output=True,
            text=True,
            check=False,
            timeout=START_TIMEOUT_S + 30,
        )

    def start(self) -> None:
        """Create the cluster and start the server; raises ClusterError with the server log."""
        init = self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )
        if init.returncode != 0:
            raise ClusterError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        for _ in range(PORT_ATTEMPTS):
            port = free_port()
            started = self._pg_ctl_start(port)
            if started.returncode == 0:
                self.port = port
                return
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            if "could not bind" not in log and "in use" not in log:
                raise ClusterError(
                    f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{log}"
                )
            # Another process took the port between the probe and the start: try another one.
        raise ClusterError(f"no free port after {PORT_ATTEMPTS} attempts")

    def _pg_ctl_start(self, port: int) -> subprocess.CompletedProcess[str]:
        options = " ".join(
            [
                "-h 127.0.0.1",
                f"-p {port}",
                f"-k {shlex.quote(str(self.base))}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        return self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
                "start",
            ]
        )

    def stop_server(self) -> None:
        """Stop the server but keep the cluster: a server that goes away (see start_server).

        Open sessions are ended at once, as when a server is shut down or restarted.
        """
        if self.port is None:
            raise ClusterError("the cluster is not running")
        stopped = self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
        )
        if stopped.returncode != 0:
            raise ClusterError(f"pg_ctl stop failed:\n{stopped.stdout}\n{stopped.stderr}")

    def start_server(self) -> None:
        """Start a server stopped by stop_server again, on the same port and with its data."""
        if self.port is None:
            raise ClusterError("the cluster was never started")
        started = self._pg_ctl_start(self.port)
        if started.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise ClusterError(f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{log}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this cluster."""
        if self.port is None:
            raise ClusterError("the cluster is not running")
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the server (without a final checkpoint: the data is thrown away) and delete it."""
        try:
            # Checked by file, not by port: a start that timed out may still have a server.
            if (self.data / "postmaster.pid").exists():
                self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ]
                )
        finally:
            self.port = None
            shutil.rmtree(self.base, ignore_errors=True)


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as a libpq connection string psycopg understands."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver whatever the URL names."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ClusterError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def check_server(url: str) -> None:
    """Connect once, so a wrong URL fails with the server's own message."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=10, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        raise ClusterError(f"cannot connect to {make_url(url).render_as_string()}: {exc}") from None


def create_database(server_url: str) -> str:
    """Create an empty database with a unique name next to server_url's; returns its URL."""
    name = f"test_{uuid.uuid4().hex}"
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, database_url: str) -> None:
    """Drop a database made by create_database, closing any connection still open to it."""
    name = make_url(database_url).database
    if not name or not name.startswith("test_"):
        raise ClusterError(f"refusing to drop {name!r}: not a test database")
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


class DatabaseSupply:
    """Empty test databases, each made while the previous test runs, so tests need not wait.

    CREATE DATABASE copies the template database and is the slowest step of a PostgreSQL
    test's set-up; one background thread keeps the next database ready.
    """

    def __init__(self, server_url: str, ahead: int = 1) -> None:
        self.server_url = server_url
        self._ahead = ahead
        self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-create-db")
        self._ready: deque[Future[str]] = deque()

    def _order(self) -> None:
        while len(self._ready) < self._ahead:
            self._ready.append(self._maker.submit(create_database, self.server_url))

    def take(self) -> str:
        """The URL of a fresh, empty database; the caller drops it with drop_database."""
        if not self._ready:
            self._order()
        url = self._ready.popleft().result()
        self._order()
        return url

    def close(self) -> None:
        """Drop the databases made but never taken, and stop the background thread."""
        try:
            while self._ready:
                url = self._ready.popleft().result()
                drop_database(self.server_url, url)
        finally:
            self._maker.shutdown(wait=True, cancel_futures=True)
