"""Settings: file < environment < command line, one-line errors, atomic saves."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from clinic_app import settings as settings_module
from clinic_app.domain.errors import ClinicError
from clinic_app.settings import (
    DB_FILE,
    SETTINGS_FILE,
    SETTINGS_SCHEMA_VERSION,
    AppSettings,
    load_settings,
    save_settings,
)

FILE_URL = "postgresql://file@server/clinic"
ENV_URL = "postgresql://env@server/clinic"
ARG_URL = "postgresql://arg@server/clinic"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CLINIC_* variable from the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("CLINIC_"):
            monkeypatch.delenv(name)
    # Should anything fall back to the platform folder, it lands in tmp_path.
    monkeypatch.setattr(settings_module, "default_data_dir", lambda: tmp_path / "platform")


def write_file(folder: Path, values: Any) -> Path:
    """Write a settings file (any JSON) into the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SETTINGS_FILE
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path)
    assert loaded.data_dir == tmp_path
    assert loaded.db_url is None
    assert loaded.idle_lock_minutes == 10
    assert loaded.database_url == f"sqlite+pysqlite:///{tmp_path / DB_FILE}"
    assert loaded.uses_sqlite


def test_loading_writes_nothing(tmp_path: Path) -> None:
    load_settings(tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_file_beats_defaults(tmp_path: Path) -> None:
    write_file(tmp_path, {"db_url": FILE_URL, "idle_lock_minutes": 30})
    loaded = load_settings(tmp_path)
    assert (loaded.db_url, loaded.idle_lock_minutes) == (FILE_URL, 30)
    assert not loaded.uses_sqlite


def test_environment_beats_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(tmp_path, {"db_url": FILE_URL, "idle_lock_minutes": 30})
    monkeypatch.setenv("CLINIC_DB_URL", ENV_URL)
    monkeypatch.setenv("CLINIC_IDLE_LOCK_MINUTES", "5")
    loaded = load_settings(tmp_path)
    assert (loaded.db_url, loaded.idle_lock_minutes) == (ENV_URL, 5)


def test_arguments_beat_environment_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(tmp_path / "arg", {"db_url": FILE_URL})
    write_file(tmp_path / "env", {"db_url": "postgresql://other@server/clinic"})
    monkeypatch.setenv("CLINIC_DB_URL", ENV_URL)
    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path / "env"))
    loaded = load_settings(tmp_path / "arg", ARG_URL)
    assert loaded.data_dir == tmp_path / "arg"
    assert loaded.db_url == ARG_URL


def test_data_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(tmp_path / "env", {"idle_lock_minutes": 42})
    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path / "env"))
    loaded = load_settings()
    assert loaded.data_dir == tmp_path / "env"
    assert loaded.idle_lock_minutes == 42


def test_platform_folder_is_the_last_resort(tmp_path: Path) -> None:
    assert load_settings().data_dir == tmp_path / "platform"


def test_unknown_keys_in_the_file_are_ignored(tmp_path: Path) -> None:
    write_file(tmp_path, {"window": {"x": 1}, "idle_lock_minutes": 20})
    assert load_settings(tmp_path).idle_lock_minutes == 20


def one_line_error(data_dir: Path, db_url: str | None = None) -> str:
    """The ClinicError message load_settings raises, checked to be one line."""
    with pytest.raises(ClinicError) as caught:
        load_settings(data_dir, db_url)
    message = str(caught.value)
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "cannot be read"),
        ("", "cannot be read"),
        ("[1, 2]", "does not hold a JSON object"),
        ('"text"', "does not hold a JSON object"),
        ("null", "does not hold a JSON object"),
        ('{"schema_version": "two"}', "schema_version is not a whole number"),
        ('{"schema_version": null}', "schema_version is not a whole number"),
        ('{"schema_version": 99}', "newer clinic_app"),
        ('{"idle_lock_minutes": 0}', "idle_lock_minutes"),
        ('{"idle_lock_minutes": "soon"}', "idle_lock_minutes"),
        ('{"db_url": "mysql://x/y"}', "unsupported database 'mysql'"),
    ],
)
def test_bad_file_gives_one_line(tmp_path: Path, content: str, words: str) -> None:
    (tmp_path / SETTINGS_FILE).write_text(content, encoding="utf-8")
    assert words in one_line_error(tmp_path)


def test_undecodable_file_gives_one_line(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_bytes(b"\xff\xfe\x00garbage")
    assert "cannot be read" in one_line_error(tmp_path)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CLINIC_IDLE_LOCK_MINUTES", "abc"), ("CLINIC_IDLE_LOCK_MINUTES", "999")],
)
def test_bad_environment_gives_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert one_line_error(tmp_path).startswith("Setting idle_lock_minutes:")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("notaurl", "not a database URL"),
        ("/var/lib/clinic.db", "not a database URL"),
        ("mysql://x/y", "unsupported database 'mysql'"),
        ("postgres://u:secret@h/d", "unsupported database 'postgres'"),
    ],
)
def test_bad_db_url_gives_one_line_without_the_password(
    tmp_path: Path, url: str, words: str
) -> None:
    message = one_line_error(tmp_path, url)
    assert message.startswith("Setting db_url: ")
    assert words in message
    assert "secret" not in message


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///relative.db",
        "sqlite+pysqlite:////abs/path/clinic.sqlite3",
        "postgresql://user:pw@host:5432/db",
        "postgresql+psycopg://user@host/db",
    ],
)
def test_good_db_urls(tmp_path: Path, url: str) -> None:
    assert load_settings(tmp_path, url).database_url == url


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    saved = AppSettings(data_dir=tmp_path / "data", db_url=FILE_URL, idle_lock_minutes=15)
    save_settings(saved)
    on_disk = json.loads((tmp_path / "data" / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert on_disk == {
        "schema_version": SETTINGS_SCHEMA_VERSION,
        "db_url": FILE_URL,
        "idle_lock_minutes": 15,
    }
    assert load_settings(tmp_path / "data") == saved
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [SETTINGS_FILE]


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(AppSettings(data_dir=tmp_path, idle_lock_minutes=15))
    before = (tmp_path / SETTINGS_FILE).read_bytes()

    def crash_half_way(data: Any, fh: Any, **_kwargs: Any) -> None:
        fh.write('{"schema_version": 1, "idle_')
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(settings_module.json, "dump", crash_half_way)
        with pytest.raises(OSError, match="disk full"):
            save_settings(AppSettings(data_dir=tmp_path, idle_lock_minutes=20))
    # The old file is whole; the half-written one never replaced it.
    assert (tmp_path / SETTINGS_FILE).read_bytes() == before
    assert load_settings(tmp_path).idle_lock_minutes == 15


def test_save_syncs_before_renaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync = os.fsync
    real_replace = Path.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(self: Path, target: Path) -> Path:
        events.append("replace")
        return real_replace(self, target)

    monkeypatch.setattr(settings_module.os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    save_settings(AppSettings(data_dir=tmp_path))
    assert events == ["fsync", "replace"]
