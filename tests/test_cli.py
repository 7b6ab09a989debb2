"""The real command line, run as a subprocess: bad input and `audit verify`.

Bad input anywhere must give one line on stderr naming the problem, exit status 2, no
traceback, and nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from clinic_app.cli import build_parser
from clinic_app.cli import main as cli_main
from clinic_app.domain.errors import AuthenticationFailed
from clinic_app.services.accounts import AccountService
from clinic_app.services.audit_trail import AuditTrailService
from clinic_app.services.common import SystemClock
from clinic_app.settings import DB_FILE, load_settings
from clinic_app.storage.bootstrap import open_database

EXIT_BAD_INPUT = 2
EXIT_AUDIT_BROKEN = 1


def run_cli(
    tmp_path: Path, *args: str, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m clinic_app --data-dir DIR ARGS...` in a clean environment."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith("CLINIC_")
        and name not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    # Any fallback to the user's folders lands in tmp_path, never in the real home.
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "home" / "config")
    folder = data_dir if data_dir is not None else tmp_path / "data"
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", "--data-dir", str(folder), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, exactly one line on stderr naming the problem, no traceback."""
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == EXIT_BAD_INPUT, output
    assert "Traceback" not in result.stderr + result.stdout, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("clinic-app"), output
    for word in words:
        assert word in lines[0], output
    return lines[0]


def written_files(tmp_path: Path) -> list[str]:
    """Everything the run left in tmp_path (the data dir, the home folder, the cwd)."""
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["frobnicate"], ["invalid choice: 'frobnicate'"]),
        (["demo", "--patients", "0"], ["--patients", "between 1 and", "not 0"]),
        (["demo", "--patients", "abc"], ["--patients", "not a whole number: 'abc'"]),
        (["demo", "--patients", "-5"], ["--patients", "not -5"]),
        (["demo", "--patients"], ["--patients", "expected one argument"]),
        (["demo", "--seed", "x"], ["--seed", "'x'"]),
        (["--bogus"], ["unrecognized arguments: --bogus"]),
        (["demo", "--bogus"], ["unrecognized arguments: --bogus"]),
        (["audit"], ["audit", "required", "verify"]),
        (["audit", "erase"], ["invalid choice: 'erase'"]),
        (["audit", "verify", "now"], ["unrecognized arguments: now"]),
        (["--db-url", "notaurl"], ["db_url", "not a database URL"]),
        (["--db-url", "notaurl", "audit", "verify"], ["db_url", "not a database URL"]),
        (["--db-url", "mysql://x/y"], ["db_url", "unsupported database 'mysql'"]),
        (["--db-url", "mysql://x/y", "audit", "verify"], ["unsupported database 'mysql'"]),
        (["--db-url", "mysql://x/y", "demo", "--patients", "3"], ["mysql"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    result = run_cli(tmp_path, *args)
    assert_one_line_refusal(result, *words)
    assert result.stdout == ""
    assert written_files(tmp_path) == []


def test_password_in_a_bad_url_is_not_echoed(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--db-url", "postgres://clinic:s3cret@db/clinic", "audit", "verify")
    line = assert_one_line_refusal(result, "unsupported database 'postgres'")
    assert "s3cret" not in line


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "clinic.txt"
    not_a_folder.write_text("a file, not a folder", encoding="utf-8")
    result = run_cli(tmp_path, "audit", "verify", data_dir=not_a_folder)
    assert_one_line_refusal(result, str(not_a_folder), "not a folder")
    assert written_files(tmp_path) == ["clinic.txt"]


def test_bad_settings_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.json").write_text("{broken", encoding="utf-8")
    result = run_cli(tmp_path, "audit", "verify")
    assert_one_line_refusal(result, "settings file", "cannot be read")
    assert written_files(tmp_path) == ["data", "data/settings.json"]


def test_help_and_version_exit_0(tmp_path: Path) -> None:
    for flag in ("--help", "--version"):
        result = run_cli(tmp_path, flag)
        assert result.returncode == 0, result.stderr
        assert result.stdout
    assert written_files(tmp_path) == []


def test_audit_verify_refuses_a_data_dir_that_does_not_exist(tmp_path: Path) -> None:
    # A mistyped --data-dir must not become a new, empty practice that verifies "intact".
    result = run_cli(tmp_path, "audit", "verify")
    assert_one_line_refusal(result, str(tmp_path / "data"), "does not exist")
    assert written_files(tmp_path) == []


def test_audit_verify_refuses_a_data_dir_without_a_database(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = run_cli(tmp_path, "audit", "verify")
    assert_one_line_refusal(result, "no practice database")
    assert written_files(tmp_path) == ["data"]


@pytest.fixture(scope="module")
def audited_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose audit trail holds four entries written by the real services."""
    data_dir = tmp_path_factory.mktemp("audited") / "data"
    engine, uow_factory = open_database(load_settings(data_dir).database_url)
    try:
        # The cheapest argon2 cost: this builds test data, it does not test hashing.
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        accounts = AccountService(uow_factory, SystemClock(), hasher)
        accounts.create_first_admin(
            {"username": "owner", "display_name": "Dr Owner", "password": "correct horse"}
        )
        accounts.login("owner", "correct horse")
        with pytest.raises(AuthenticationFailed):
            accounts.login("owner", "wrong horse")
        accounts.login("owner", "correct horse")
        assert AuditTrailService(uow_factory).verify().entries == 4
    finally:
        engine.dispose()
    # As the app leaves them (0700/0600), so start-up has nothing to repair and report.
    data_dir.chmod(0o700)
    for path in data_dir.iterdir():
        path.chmod(0o600)
    return data_dir


@pytest.fixture
def audited_data_dir(audited_template: Path, tmp_path: Path) -> Path:
    """A private copy of the audited data dir, free to tamper with."""
    return Path(shutil.copytree(audited_template, tmp_path / "data"))


def tamper(data_dir: Path, sql: str) -> None:
    """Change the database behind the app's back, as someone with the file could."""
    with sqlite3.connect(data_dir / DB_FILE) as conn:
        assert conn.execute(sql).rowcount == 1
    conn.close()


def test_audit_verify_intact_after_real_use(tmp_path: Path, audited_data_dir: Path) -> None:
    result = run_cli(tmp_path, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "intact: 4 entries" in result.stdout


@pytest.mark.parametrize(
    ("sql", "seq", "words"),
    [
        ("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 2", 2, "content"),
        ("UPDATE audit_log SET username = 'someone.else' WHERE seq = 3", 3, "content"),
        ("UPDATE audit_log SET action = 'login' WHERE seq = 3", 3, "content"),
        ("DELETE FROM audit_log WHERE seq = 2", 3, "entry 2 is missing"),
        ("DELETE FROM audit_log WHERE seq = 4", 4, "ends at entry 3"),
    ],
)
def test_audit_verify_names_the_broken_entry(
    tmp_path: Path, audited_data_dir: Path, sql: str, seq: int, words: str
) -> None:
    tamper(audited_data_dir, sql)
    result = run_cli(tmp_path, "audit", "verify")
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == EXIT_AUDIT_BROKEN, output
    assert "Traceback" not in output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, output
    assert f"BROKEN at entry {seq}:" in lines[0]
    assert words in lines[0]


# --------------------------------------------------------------------------- options and help


def run_plain(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command line exactly as given (no --data-dir added), in a clean environment."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith("CLINIC_")
        and name not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    clean.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
    )
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_global_options_after_the_command(tmp_path: Path) -> None:
    folder = tmp_path / "practice"
    result = run_plain(tmp_path, "demo", "--data-dir", str(folder), "--patients", "3")
    assert result.returncode == 0, result.stderr
    assert str(folder / DB_FILE) in result.stdout
    assert (folder / DB_FILE).is_file()
    # Nothing went to the default data folder.
    assert not (tmp_path / "home").exists()


def test_handout_list_with_data_dir_after_it(tmp_path: Path) -> None:
    result = run_plain(tmp_path, "handout", "--list", "--data-dir", str(tmp_path / "x"))
    assert result.returncode == 0, result.stderr
    assert "tarsal-tunnel-release" in result.stdout


def test_temp_data_dir_is_removed_on_exit(tmp_path: Path) -> None:
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    result = run_plain(
        tmp_path, "demo", "--patients", "1", "--temp-data-dir", env={"TMPDIR": str(temp_root)}
    )
    assert result.returncode == 0, result.stderr
    # It was used (the summary names the database in it), then deleted.
    assert str(temp_root / "clinic_app-") in result.stdout
    assert list(temp_root.iterdir()) == []


def test_temp_data_dir_and_data_dir_together_are_refused(tmp_path: Path) -> None:
    result = run_plain(tmp_path, "--temp-data-dir", "demo", "--data-dir", str(tmp_path / "x"))
    assert_one_line_refusal(result, "--temp-data-dir", "--data-dir", "not both")
    assert not (tmp_path / "x").exists()


def test_restore_help_shows_user_as_required(tmp_path: Path) -> None:
    result = run_plain(tmp_path, "restore", "--help")
    assert result.returncode == 0, result.stderr
    usage = result.stdout.split("\n\n", 1)[0]
    assert "--user NAME" in usage
    assert "[--user" not in usage
    assert "required options:\n  --user NAME" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["restore", "backup.sqlite3"], ["restore", "--user NAME is required"]),
        (["backup"], ["backup", "--out FILE is required"]),
        (["assess"], ["EXAM.json is required", "clinic-app assess --schema"]),
        (["codes"], ["codes", "required", "import"]),
        (["codes", "import"], ["FILE is required"]),
        (["demo", "--data-dir"], ["--data-dir", "expected one argument"]),
        (["encrypt"], ["encrypt", "--user NAME is required"]),
        (["encrypt", "now", "--user", "x"], ["invalid choice: 'now'"]),
        (["encrypt", "--user", "x"], ["does not exist", "only the app's first start"]),
    ],
    ids=" ".join,
)
def test_missing_required_input_is_one_line(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    result = run_cli(tmp_path, *args)
    assert_one_line_refusal(result, *words)
    assert written_files(tmp_path) == []


def test_assess_schema_prints_the_exam_schema(tmp_path: Path) -> None:
    from clinic_app.domain.exam import exam_json_schema

    result = run_plain(tmp_path, "assess", "--schema")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == exam_json_schema()
    assert written_files(tmp_path) == []


def test_assess_refusal_points_to_the_schema_command(tmp_path: Path) -> None:
    exam = tmp_path / "exam.json"
    exam.write_text("{}", encoding="utf-8")
    result = run_plain(tmp_path, "assess", str(exam))
    line = assert_one_line_refusal(result, "clinic-app assess --schema")
    assert "forms/" not in line


def all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and every command's parser under it, recursively."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from all_parsers(sub)


def test_every_command_and_option_explains_itself() -> None:
    parsers = list(all_parsers(build_parser()))
    names = {p.prog.removeprefix("clinic-app").strip() for p in parsers}
    assert {"demo", "assess", "handout", "backup", "restore", "audit verify", "codes import"} <= (
        names
    )
    for parser in parsers:
        assert parser.description, f"{parser.prog} has no description"
        help_text = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) or action.dest == "help":
                continue
            assert action.help, f"{parser.prog} {action.dest} has no help"
            if action.option_strings and action.default not in (
                None,
                False,
                "",
                argparse.SUPPRESS,
            ):
                # Wrapped help may break "(default: X)" across lines.
                assert f"default: {action.default}" in " ".join(help_text.split()), (
                    f"{parser.prog} {action.option_strings[0]} does not say its default"
                )


def test_codes_import_runs_the_import_when_this_version_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from clinic_app import app

    calls: list[tuple[Path, Path]] = []

    def run_codes_import(settings: Any, args: argparse.Namespace) -> int:
        calls.append((settings.data_dir, args.file))
        return 0

    monkeypatch.setattr(app, "run_codes_import", run_codes_import, raising=False)
    codes = tmp_path / "icd10cm_codes_2026.txt"
    assert cli_main(["codes", "import", str(codes), "--data-dir", str(tmp_path / "d")]) == 0
    assert calls == [(tmp_path / "d", codes)]

    monkeypatch.delattr(app, "run_codes_import")
    assert cli_main(["codes", "import", str(codes), "--data-dir", str(tmp_path / "d")]) == 2
    assert "cannot import codes" in capsys.readouterr().err
