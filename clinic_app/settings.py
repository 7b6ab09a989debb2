"""Application settings: typed, from command line, environment (CLINIC_*) and settings file.

The CLINIC_* variables are read with os.environ (pydantic-settings cost a fifth of a second at
every start for a handful of variables).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from clinic_app.domain.errors import ClinicError

SETTINGS_SCHEMA_VERSION = 1
SETTINGS_FILE = "settings.json"
DB_FILE = "clinic.sqlite3"
BACKUP_DIR = "backups"
REPLACED_DIR = "replaced"
BACKUP_FIELDS = ("backup_dir", "backup_keep", "backup_every_hours")
# Written to the settings file only once changed from their defaults.
OPTIONAL_FIELDS = (*BACKUP_FIELDS, "pg_bin_dir", "export_dir")
EXPORT_PENDING_FILE = "export-pending.json"
DB_URL_RE = re.compile(r"(?P<backend>[A-Za-z][A-Za-z0-9]*)(\+[A-Za-z0-9_]+)?://")
DB_BACKENDS = frozenset({"sqlite", "postgresql"})
ENV_PREFIX = "CLINIC_"


def default_data_dir() -> Path:
    """The platform's per-user data folder."""
    return Path(platformdirs.user_data_dir("clinic_app", appauthor=False))


def environment_values(names: Any) -> dict[str, str]:
    """The CLINIC_<NAME> variables set for these field names (the prefix in any case)."""
    found: dict[str, str] = {}
    wanted = {f"{ENV_PREFIX}{name}".upper(): name for name in names}
    for key, value in os.environ.items():
        name = wanted.get(key.upper())
        if name is not None:
            found[name] = value
    return found


# Whole-number settings and their allowed ranges.
INT_RANGES = {
    "schema_version": (None, None),
    "idle_lock_minutes": (1, 240),
    "backup_keep": (1, 365),
    "backup_every_hours": (1, 168),
}
PATH_FIELDS = ("backup_dir", "pg_bin_dir", "export_dir")


def _whole_number(value: Any, low: int | None, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError("Input should be a valid integer")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise ValueError("Input should be a valid integer, unable to parse string") from None
    if number != value and not isinstance(value, str):
        raise ValueError("Input should be a valid integer, got a number with a fractional part")
    if low is not None and number < low:
        raise ValueError(f"Input should be greater than or equal to {low}")
    if high is not None and number > high:
        raise ValueError(f"Input should be less than or equal to {high}")
    return number


def _optional_path(value: Any) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise ValueError("Input is not a valid path")
    return Path(value)


def _check_db_url(value: Any) -> str | None:
    # Checked here, before anything is opened or written; the URL itself is not repeated
    # because it may hold a password.
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    text: str = value.strip()
    if not text:
        return None
    m = DB_URL_RE.match(text)
    if not m:
        raise ValueError(
            "not a database URL (use sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB)"
        )
    if m["backend"].lower() not in DB_BACKENDS:
        raise ValueError(f"unsupported database {m['backend']!r}: use SQLite or PostgreSQL")
    return text


@dataclass(frozen=True)
class AppSettings:
    """Everything the app reads at start; the data folder holds the database and backups.

    A value given when the settings are made beats its CLINIC_* variable, which beats the
    default (load_settings puts the settings file under the environment). A plain dataclass
    checked by hand: pydantic's import and model building would be on every start's path.
    Bad values raise ClinicError("Setting NAME: problem").
    """

    schema_version: int = SETTINGS_SCHEMA_VERSION
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    db_url: str | None = None
    idle_lock_minutes: int = 10
    # Scheduled backups: where (None means <data_dir>/backups), how many to keep, how often.
    backup_dir: Path | None = None
    backup_keep: int = 14
    backup_every_hours: int = 24
    # The folder of the PostgreSQL client programs (pg_dump, pg_restore, psql) when they are
    # neither on PATH nor where the usual installers put them (None: look for them).
    pg_bin_dir: Path | None = None
    # Every signed encounter (and every signed addendum) is also written here as PDF and FHIR
    # for the practice's main record to pick up (None: no export folder).
    export_dir: Path | None = None

    def __init__(self, **values: Any) -> None:
        names = {f.name for f in fields(self)}
        given = {**environment_values(names), **{k: v for k, v in values.items() if k in names}}
        for f in fields(self):
            if f.name in given:
                value = given[f.name]
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            else:
                value = f.default
            try:
                value = self._checked(f.name, value)
            except ValueError as exc:
                raise ClinicError(f"Setting {f.name}: {exc}") from None
            object.__setattr__(self, f.name, value)

    @staticmethod
    def _checked(name: str, value: Any) -> Any:
        if name in INT_RANGES:
            return _whole_number(value, *INT_RANGES[name])
        if name == "db_url":
            return _check_db_url(value)
        if name == "data_dir":
            path = _optional_path(value)
            if path is None:
                raise ValueError("Input is not a valid path")
            return path
        if name in PATH_FIELDS:
            return _optional_path(value)
        return value

    @classmethod
    def default_of(cls, name: str) -> Any:
        """The default value of one field."""
        return next(f.default for f in fields(cls) if f.name == name)

    def model_copy(self, *, update: dict[str, Any]) -> AppSettings:
        """A copy with some values replaced (and checked)."""
        return AppSettings(**{**self._values(), **update})

    def _values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def model_dump(self, *, mode: str = "json", exclude: set[str] | None = None) -> dict[str, Any]:
        """The values as JSON-ready data (paths as text), without the excluded names."""
        out: dict[str, Any] = {}
        for name, value in self._values().items():
            if exclude and name in exclude:
                continue
            out[name] = str(value) if isinstance(value, Path) and mode == "json" else value
        return out

    @property
    def database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data folder."""
        if self.db_url:
            return self.db_url
        return f"sqlite+pysqlite:///{self.data_dir / DB_FILE}"

    @property
    def backup_folder(self) -> Path:
        """Where scheduled backups go: the chosen folder, else <data_dir>/backups."""
        return self.backup_dir if self.backup_dir is not None else self.data_dir / BACKUP_DIR

    @property
    def replaced_folder(self) -> Path:
        """Where a restore keeps the database it replaced: <data_dir>/replaced."""
        return self.data_dir / REPLACED_DIR

    @property
    def uses_sqlite(self) -> bool:
        """True for the embedded database."""
        return self.database_url.startswith("sqlite")


def _migrate(raw: Any) -> dict[str, Any]:
    """Upgrade an older settings file step by step (none yet beyond version 1)."""
    if not isinstance(raw, dict):
        raise ValueError("it does not hold a JSON object")
    try:
        version = int(raw.get("schema_version", 1))
    except (TypeError, ValueError):
        raise ValueError("its schema_version is not a whole number") from None
    if version > SETTINGS_SCHEMA_VERSION:
        raise ClinicError(
            f"The settings file was written by a newer clinic_app (format {version}); "
            "update the app."
        )
    raw["schema_version"] = SETTINGS_SCHEMA_VERSION
    return raw


def load_settings(data_dir: Path | None = None, db_url: str | None = None) -> AppSettings:
    """Merge defaults < settings file < environment < command line."""
    base = data_dir or Path(os.environ.get("CLINIC_DATA_DIR") or default_data_dir())
    file_values: dict[str, Any] = {}
    path = base / SETTINGS_FILE
    if path.exists():
        try:
            file_values = _migrate(json.loads(path.read_text(encoding="utf-8")))
        except RecursionError:  # JSON nested thousands deep
            raise ClinicError(f"The settings file {path} cannot be read: nested too deep") from None
        except (OSError, ValueError) as exc:
            raise ClinicError(f"The settings file {path} cannot be read: {exc}") from None
    # Environment beats the file: drop file values the environment sets.
    from_env = environment_values(file_values)
    file_values = {k: v for k, v in file_values.items() if k not in from_env}
    overrides: dict[str, Any] = {"data_dir": base}
    if db_url:
        overrides["db_url"] = db_url
    return AppSettings(**{**file_values, **overrides})


def save_settings(settings: AppSettings) -> None:
    """Write the settings file atomically (write, fsync, rename)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    data = settings.model_dump(mode="json", exclude={"data_dir"})
    # Backup settings and pg_bin_dir appear in the file only once changed from their defaults.
    for name in OPTIONAL_FIELDS:
        if data[name] == AppSettings.default_of(name):
            del data[name]
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
