"""Application settings: typed, from command line, environment (CLINIC_*) and settings file.

The CLINIC_* variables are read with os.environ (pydantic-settings cost a fifth of a second at
every start for a handful of variables).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


class AppSettings(BaseModel):
    """Everything the app reads at start; the data folder holds the database and backups.

    A value given when the settings are made beats its CLINIC_* variable, which beats the
    default (load_settings puts the settings file under the environment).
    """

    model_config = ConfigDict(extra="ignore")

    schema_version: int = SETTINGS_SCHEMA_VERSION
    data_dir: Path = Field(default_factory=default_data_dir)
    db_url: str | None = None
    idle_lock_minutes: int = Field(default=10, ge=1, le=240)
    # Scheduled backups: where (None means <data_dir>/backups), how many to keep, how often.
    backup_dir: Path | None = None
    backup_keep: int = Field(default=14, ge=1, le=365)
    backup_every_hours: int = Field(default=24, ge=1, le=168)
    # The folder of the PostgreSQL client programs (pg_dump, pg_restore, psql) when they are
    # neither on PATH nor where the usual installers put them (None: look for them).
    pg_bin_dir: Path | None = None
    # Every signed encounter (and every signed addendum) is also written here as PDF and FHIR
    # for the practice's main record to pick up (None: no export folder).
    export_dir: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {**environment_values(cls.model_fields), **data}

    @field_validator("db_url")
    @classmethod
    def _db_url(cls, value: str | None) -> str | None:
        # Checked here, before anything is opened or written; the URL itself is not repeated
        # because it may hold a password.
        if value is None or not value.strip():
            return None
        value = value.strip()
        m = DB_URL_RE.match(value)
        if not m:
            raise ValueError(
                "not a database URL (use sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB)"
            )
        if m["backend"].lower() not in DB_BACKENDS:
            raise ValueError(f"unsupported database {m['backend']!r}: use SQLite or PostgreSQL")
        return value

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
    try:
        return AppSettings(**{**file_values, **overrides})
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        raise ClinicError(f"Setting {'.'.join(map(str, first['loc']))}: {message}") from None


def save_settings(settings: AppSettings) -> None:
    """Write the settings file atomically (write, fsync, rename)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    data = settings.model_dump(mode="json", exclude={"data_dir"})
    # Backup settings and pg_bin_dir appear in the file only once changed from their defaults.
    for name in OPTIONAL_FIELDS:
        if data[name] == AppSettings.model_fields[name].default:
            del data[name]
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
