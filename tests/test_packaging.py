"""The desktop build: its file lists, desktop entry and icon, and `clinic-app self-test`.

The cheap checks always run. The real PyInstaller build and its smoke test take minutes, so
they run only with CLINIC_APP_BUNDLE_TEST=1 (`make bundle-test` runs them directly).
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest

from clinic_app import resources
from clinic_app.selftest import CHECKS

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
DESKTOP_ENTRY = PACKAGING / "linux" / "clinic_app.desktop"
BUNDLE_TEST_ENV = "CLINIC_APP_BUNDLE_TEST"
EXIT_FAILED = 2


def load_layout() -> ModuleType:
    """packaging/bundle_layout.py, the lists the PyInstaller spec builds from."""
    spec = importlib.util.spec_from_file_location("bundle_layout", PACKAGING / "bundle_layout.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


layout = load_layout()


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No CLINIC_* settings or display; any fallback folder lands in tmp_path."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith("CLINIC_")
        and name not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    home = tmp_path / "home"
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        TMPDIR=str(home / "tmp"),
    )
    env.update(extra)
    return env


def run_app(
    tmp_path: Path, args: Iterable[str], prelude: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """The command line in a fresh interpreter (``prelude`` runs first, e.g. to fake a bundle)."""
    code = f"{prelude}\nfrom clinic_app.cli import main\nraise SystemExit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path, **env),
        cwd=tmp_path,
        timeout=180,
        check=False,
    )


def copy_shipped_files(target: Path) -> Path:
    """A private copy of forms/ and resources/ that a test may break."""
    for folder in ("forms", "resources"):
        shutil.copytree(resources.data_root() / folder, target / folder)
    return target


def assert_passed(result: subprocess.CompletedProcess[str]) -> None:
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    assert result.stderr == "", output
    assert "self-test passed" in result.stdout, output
    for check in CHECKS:
        assert any(
            line.startswith("ok") and f" {check.name} " in line
            for line in result.stdout.splitlines()
        ), f"no passing line for {check.name!r}\n{output}"


def assert_one_failure(result: subprocess.CompletedProcess[str], check: str, *words: str) -> str:
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == EXIT_FAILED, output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"clinic-app self-test: {check}: "), output
    for word in words:
        assert word in lines[0], output
    assert "self-test FAILED" in result.stdout, output
    return lines[0]


# --- the build's file lists ------------------------------------------------------------------


def test_spec_builds_from_the_shared_layout_and_names_forms_and_resources() -> None:
    spec = (PACKAGING / "clinic_app.spec").read_text(encoding="utf-8")
    assert "import bundle_layout" in spec
    assert "layout.datas()" in spec
    assert "forms/" in spec
    assert "resources/" in spec
    assert (PACKAGING / "launcher.py").is_file()


def test_datas_ship_every_form_handout_font_icon_and_migration() -> None:
    shipped = {(Path(src).name, dest) for src, dest in layout.datas()}
    data = layout.DATA_DEST
    for path in resources.forms_dir().glob("*"):
        assert (path.name, f"{data}/forms") in shipped
    for path in resources.handouts_dir().glob("*/*.yaml"):
        assert (path.name, f"{data}/resources/handouts/{path.parent.name}") in shipped
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (name, f"{data}/resources/fonts") in shipped
    assert (resources.APP_ICON, f"{data}/resources/icons") in shipped
    versions = sorted((layout.MIGRATIONS / "versions").glob("*.py"))
    assert versions
    for path in versions:
        assert (path.name, "clinic_app/storage/migrations/versions") in shipped
    assert ("env.py", "clinic_app/storage/migrations") in shipped
    assert not [src for src, _dest in layout.datas() if "__pycache__" in src]


def test_a_bundle_laid_out_as_the_spec_says_passes_the_self_test(tmp_path: Path) -> None:
    """Copy the data files where PyInstaller would, and run the command line as if frozen."""
    bundle = tmp_path / "_internal"
    for src, dest in layout.datas():
        (bundle / dest).mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, bundle / dest)
    prelude = f"import sys; sys._MEIPASS = {str(bundle)!r}"
    result = run_app(tmp_path, ["--data-dir", str(tmp_path / "data"), "self-test"], prelude)
    assert_passed(result)
    assert f"bundle files in {bundle / 'clinic_app' / '_data'}" in result.stdout


def test_unused_qt_plugins_and_translations_are_left_out() -> None:
    plugins = "PySide6/Qt/plugins"
    assert layout.unused_plugin(f"{plugins}/platforms/libqvnc.so")
    assert layout.unused_plugin(f"{plugins}/platformthemes/libqgtk3.so")
    assert layout.unused_plugin(f"{plugins}/generic/libqevdevmouseplugin.so")
    for kept in ("platforms/libqxcb.so", "platforms/libqwayland.so", "imageformats/libqsvg.so"):
        assert not layout.unused_plugin(f"{plugins}/{kept}")
    assert layout.unused_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not layout.unused_data("clinic_app/_data/resources/handouts/home-care/en.yaml")
    for module in ("PySide6.QtQuick", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore", "pytest"):
        assert module in layout.EXCLUDES


def test_pruning_drops_libraries_only_removed_plugins_needed() -> None:
    binaries = [
        ("PySide6/QtWidgets.abi3.so", "/s/QtWidgets.abi3.so", "EXTENSION"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", "/s/libQt6Widgets.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/s/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Network.so.6", "/s/libQt6Network.so.6", "BINARY"),
        ("libxcb-icccm.so.4", "/usr/lib/libxcb-icccm.so.4", "BINARY"),
        ("libcairo.so.2", "/usr/lib/libcairo.so.2", "BINARY"),
        ("libpython3.11.so.1.0", "/usr/lib/libpython3.11.so.1.0", "BINARY"),
    ]
    imports = {
        "/s/QtWidgets.abi3.so": ["libQt6Widgets.so.6"],
        "/s/libQt6Widgets.so.6": ["libQt6Core.so.6"],
        "/s/libqxcb.so": ["libxcb-icccm.so.4", "libQt6Core.so.6", "libc.so.6"],
    }

    def imports_of(path: str) -> list[tuple[str, str | None]]:
        return [(name, None) for name in imports.get(path, [])]

    kept = {Path(dest).name for dest, _src, _kind in layout.prune_libraries(binaries, imports_of)}
    assert kept == {
        "QtWidgets.abi3.so",
        "libqxcb.so",
        "libQt6Widgets.so.6",
        "libQt6Core.so.6",
        "libxcb-icccm.so.4",
        "libpython3.11.so.1.0",
    }


def test_packaging_extra_pins_pyinstaller() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [req for req in project["optional-dependencies"]["packaging"] if "pyinstaller" in req]
    assert len(pins) == 1, pins
    assert "==" in pins[0], pins


# --- desktop entry and icon ------------------------------------------------------------------


def test_desktop_entry_is_valid() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is not None:
        result = subprocess.run(
            [validator, str(DESKTOP_ENTRY)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "error" not in result.stdout.lower(), result.stdout
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(DESKTOP_ENTRY.read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"]
    assert entry["Exec"].split()[0] == "clinic-app"
    assert entry["Terminal"] == "false"
    assert entry["Icon"] == Path(resources.APP_ICON).stem
    for key in ("Categories", "Keywords"):
        assert entry[key].endswith(";"), key
    assert "MedicalSoftware" in entry["Categories"].split(";")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_icon_is_an_svg_with_a_256_pixel_png_beside_it() -> None:
    svg = resources.icon_path("clinic_app.svg")
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"
    assert png_size(resources.icon_path()) == (256, 256)


# --- self-test from the source tree ----------------------------------------------------------


def test_self_test_from_source_passes_on_a_temporary_data_folder(tmp_path: Path) -> None:
    result = run_app(tmp_path, ["--temp-data-dir", "self-test"])
    assert_passed(result)
    assert "source files in" in result.stdout
    assert "(created)" in result.stdout
    # --temp-data-dir made its folder under TMPDIR, and the database is in it.
    assert list((tmp_path / "home" / "tmp").glob("clinic_app-*/clinic.sqlite3"))


def test_self_test_reopens_an_existing_database(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data"), "self-test"]
    assert_passed(run_app(tmp_path, data))
    again = run_app(tmp_path, data)
    assert_passed(again)
    assert "(current)" in again.stdout


def test_a_broken_handout_fails_in_one_line_and_skips_the_handout_pdf(tmp_path: Path) -> None:
    copy = copy_shipped_files(tmp_path / "shipped")
    broken = copy / "resources" / "handouts" / "home-care" / "es.yaml"
    broken.write_text("title: [not closed\n", encoding="utf-8")
    result = run_app(
        tmp_path,
        ["--data-dir", str(tmp_path / "data"), "self-test"],
        CLINIC_APP_RESOURCE_ROOT=str(copy),
    )
    line = assert_one_failure(result, "handouts", str(broken), "not valid YAML")
    assert "\n" not in line
    assert "skip  handout PDF" in result.stdout
    # The checks that do not need the handouts still ran and passed.
    assert "ok    visit note PDF" in result.stdout


def test_a_missing_font_fails_the_pdf_checks_in_one_line_each(tmp_path: Path) -> None:
    copy = copy_shipped_files(tmp_path / "shipped")
    (copy / "resources" / "fonts" / "DejaVuSans-Bold.ttf").unlink()
    result = run_app(
        tmp_path,
        ["--data-dir", str(tmp_path / "data"), "self-test"],
        CLINIC_APP_RESOURCE_ROOT=str(copy),
    )
    assert result.returncode == EXIT_FAILED, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    failed = {line.split(":")[1].strip() for line in result.stderr.strip().splitlines()}
    assert "data files" in failed, result.stderr
    assert all("DejaVuSans-Bold.ttf" in line for line in result.stderr.strip().splitlines())


def test_a_data_folder_that_is_a_file_fails_the_database_check(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("not a folder", encoding="utf-8")
    result = run_app(tmp_path, ["--data-dir", str(not_a_folder), "self-test"])
    assert_one_failure(result, "database", str(not_a_folder))
    assert not_a_folder.read_text(encoding="utf-8") == "not a folder"


# --- the real build (slow) -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get(BUNDLE_TEST_ENV) != "1",
    reason=f"builds the desktop bundle (minutes): set {BUNDLE_TEST_ENV}=1 or run make bundle-test",
)
def test_the_bundle_builds_and_passes_its_smoke_test() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: pip install -e '.[packaging]'", pytrace=False)
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "smoke_test.py"), "--runs", "3"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
