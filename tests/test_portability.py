"""What Windows and macOS need of the code, checked here: no POSIX-only import at load time,
and the PostgreSQL programs found where those systems' installers put them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clinic_app.services.backup import BackupFailed
from clinic_app.settings import AppSettings, load_settings
from clinic_app.storage import backup as storage_backup
from clinic_app.storage.backup import find_pg_tool, pg_bin_candidates

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# Run first in a child interpreter: makes it look like Windows to the code under test
# (no pwd module, no os.geteuid).
WITHOUT_POSIX = """
import os, sys
sys.modules["pwd"] = None  # `import pwd` now raises ImportError, as on Windows
if hasattr(os, "geteuid"):
    del os.geteuid
"""


def run_without_posix(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_POSIX + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])},
    )


def test_pg_cluster_loads_and_needs_no_privilege_drop_without_pwd(tmp_path: Path) -> None:
    result = run_without_posix(
        """
        from pathlib import Path
        import pg_cluster
        assert pg_cluster.pwd is None
        print(pg_cluster.privilege_drop(Path(sys.argv[1])))
        """,
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX: the guard's other side")
def test_pg_cluster_drops_root_privileges_on_posix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pg_cluster

    monkeypatch.setattr(pg_cluster.os, "geteuid", lambda: 1000)
    assert pg_cluster.privilege_drop(tmp_path) == []
    monkeypatch.setattr(pg_cluster.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pg_cluster.shutil, "which", lambda _name: None)
    with pytest.raises(pg_cluster.ClusterError, match=r"runuser|system user"):
        pg_cluster.privilege_drop(tmp_path)


@pytest.mark.slow
def test_the_suite_loads_without_pwd() -> None:
    # Collecting imports every test module and conftest, as a Windows run would.
    result = run_without_posix(
        """
        import pytest
        sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:randomly", "tests"]))
        """
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " collected" in result.stdout or "tests collected" in result.stdout, result.stdout


def fake_install(folder: Path, *programs: str) -> Path:
    folder.mkdir(parents=True)
    for name in programs:
        (folder / (f"{name}.exe" if os.name == "nt" else name)).write_text("", encoding="utf-8")
    return folder


def test_pg_bin_dir_setting_names_the_folder(tmp_path: Path) -> None:
    folder = fake_install(tmp_path / "pg" / "bin", "pg_dump", "psql")
    assert Path(find_pg_tool("pg_dump", folder)).parent == folder
    with pytest.raises(BackupFailed, match=r"pg_restore is not in .* pg_bin_dir"):
        find_pg_tool("pg_restore", folder)


def test_pg_bin_dir_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLINIC_PG_BIN_DIR", raising=False)
    assert AppSettings(data_dir=tmp_path).pg_bin_dir is None
    monkeypatch.setenv("CLINIC_PG_BIN_DIR", str(tmp_path / "bin"))
    assert load_settings(tmp_path / "data").pg_bin_dir == tmp_path / "bin"


def test_windows_installer_folders_are_searched_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_files = tmp_path / "Program Files"
    fake_install(program_files / "PostgreSQL" / "9.6" / "bin", "pg_dump")
    newest = fake_install(program_files / "PostgreSQL" / "16" / "bin", "pg_dump")
    fake_install(program_files / "PostgreSQL" / "15" / "bin", "pg_dump")
    monkeypatch.setenv("ProgramFiles", str(program_files))
    monkeypatch.setattr(storage_backup.shutil, "which", lambda _name: None)
    found = [p for p in pg_bin_candidates() if program_files in p.parents]
    assert found[0] == newest
    assert [p.parent.name for p in found] == ["16", "15", "9.6"]
    # Not on PATH and nowhere else: the newest installed version is used.
    windows_only = [
        (base, pattern)
        for base, pattern in storage_backup.pg_install_patterns()
        if base.startswith(str(program_files))
    ]
    monkeypatch.setattr(storage_backup, "pg_install_patterns", lambda: windows_only)
    assert Path(find_pg_tool("pg_dump")).parent == newest


def test_macos_installer_folders_are_known() -> None:
    places = {base for base, _pattern in storage_backup.pg_install_patterns()}
    assert "/Applications/Postgres.app/Contents/Versions" in places
    assert "/opt/homebrew/opt" in places
    assert "/usr/local/opt" in places
    assert "/Library/PostgreSQL" in places
