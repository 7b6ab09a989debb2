"""A second open of a SQLite file this process already holds keeps SQLite's locks.

SQLite's locks are POSIX record locks: closing any descriptor of the file drops every lock
the process holds on it. Were the header read again by a plain open() and close(), another
program closing its connection would take itself for the last one and delete the write-ahead
log under the live connection, and what was saved after that would be gone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import make_engine, sqlite_url

OTHER_PROGRAM = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
conn.close()
"""

READ_BACK = """
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT v FROM t ORDER BY v").fetchall())
"""


def run(script: str, path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_second_engine_on_the_same_file_keeps_the_first_ones_writes(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    first = make_engine(sqlite_url(path))
    second = None
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE t (v INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        # The same process opens the file again (its header checked the first time only).
        second, _ = open_database(sqlite_url(path), full_check=True)
        run(OTHER_PROGRAM, path)  # another program comes and goes
        assert (tmp_path / "clinic.sqlite3-wal").exists()
        with first.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
        assert run(READ_BACK, path) == "[(1,), (2,)]"
    finally:
        first.dispose()
        if second is not None:
            second.dispose()
