"""The PostgreSQL password kept out of settings.json and the command line.

The password lives in ``<data folder>/pgpass``, mode 0600, in libpq's own password-file format
(``host:port:database:user:password``). The URL in settings.json carries no password; at
start the app points libpq at that file (PGPASSFILE), so the driver and pg_dump/psql read it
there and it never appears in a setting, an argument or a process list.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from clinic_app.services import files

PGPASS_FILE = "pgpass"
DEFAULT_PORT = 5432


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _entry_key(url: URL) -> str:
    host = url.host or str(url.query.get("host") or "localhost")
    return ":".join(
        _escape(part)
        for part in (host, str(url.port or DEFAULT_PORT), url.database or "*", url.username or "*")
    )


def _parse(raw: str) -> URL | None:
    try:
        return make_url(raw)
    except ArgumentError:
        return None


def has_password(raw: str) -> bool:
    """Whether a database URL carries a password."""
    url = _parse(raw)
    return url is not None and url.password is not None


def without_password(raw: str) -> str:
    """The URL with its password removed (what settings.json may hold)."""
    url = _parse(raw)
    if url is None or url.password is None:
        return raw
    # URL.set() ignores None, so the password would stay: replace the field itself.
    return url._replace(password=None).render_as_string(hide_password=False)


def store_password(data_dir: Path, raw: str) -> str:
    """Move a URL's password into the data folder's 0600 pgpass file; the URL without it.

    An existing line for the same server, port, database and user is replaced; other lines
    stay. The file is written whole or not at all.
    """
    url = _parse(raw)
    if url is None or url.password is None:
        return raw
    path = data_dir / PGPASS_FILE
    key = _entry_key(url)
    lines: list[str] = []
    if path.exists():
        lines = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith(key + ":")
        ]
    lines.append(f"{key}:{_escape(str(url.password))}")
    data_dir.mkdir(parents=True, exist_ok=True)
    old_mask = os.umask(0o077)
    try:
        files.write_atomically(path, ("\n".join(lines) + "\n").encode("utf-8"))
    finally:
        os.umask(old_mask)
    if os.name == "posix":
        path.chmod(0o600)
    return without_password(raw)


def use_password_file(data_dir: Path, raw: str) -> None:
    """Point libpq at the data folder's pgpass file when the URL carries no password."""
    path = data_dir / PGPASS_FILE
    if not has_password(raw) and path.is_file():
        os.environ["PGPASSFILE"] = str(path)
