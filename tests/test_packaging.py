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
    # --temp-data-dir made its folder under TMPDIR for the run and removed it on exit.
    assert "clinic_app-" in result.stdout
    assert not list((tmp_path / "home" / "tmp").glob("clinic_app-*"))


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


# --- installing: the system packages, the task runner, the pins ---------------------------------

INSTALL_SCRIPT = PACKAGING / "linux" / "install-system-deps.sh"


def load_tasks() -> ModuleType:
    """tasks.py, the task runner behind the Makefile (`python -m tasks`)."""
    spec = importlib.util.spec_from_file_location("clinic_tasks", ROOT / "tasks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tasks = load_tasks()


def run_install_script(
    tmp_path: Path,
    group: str,
    *,
    installed: str,
    uid: int,
    sudo: bool = False,
    dpkg: bool = True,
    **env: str,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """install-system-deps.sh against stand-ins for dpkg-query, id, apt-get and sudo.

    `installed` lists the packages the stand-in dpkg-query reports installed; the commands
    apt-get and sudo were run with are returned, one line each.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "calls.log"
    stubs = {
        "dpkg-query": 'for pkg; do :; done; case " $STUB_INSTALLED " in *" $pkg "*) '
        'printf "install ok installed";; *) exit 1;; esac',
        "id": 'echo "$STUB_UID"',
        "apt-get": f'echo "apt-get $*" >> "{log}"',
    }
    if not dpkg:
        del stubs["dpkg-query"]
    if sudo:
        stubs["sudo"] = f'echo "sudo $*" >> "{log}"; "$@"'
    for name, body in stubs.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        path.chmod(0o755)
    grep = shutil.which("grep")
    assert grep is not None
    (bin_dir / "grep").symlink_to(grep)
    environ = {"PATH": str(bin_dir), "STUB_INSTALLED": installed, "STUB_UID": str(uid), **env}
    result = subprocess.run(
        ["/bin/sh", str(INSTALL_SCRIPT), group],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return result, calls


def wanted_packages(tmp_path: Path, group: str, **env: str) -> str:
    """Every package the script wants for a group, as it lists them when none is installed."""
    result, calls = run_install_script(
        tmp_path / f"list-{group}", group, installed="", uid=1000, CHECK_ONLY="1", **env
    )
    assert (result.returncode, calls) == (1, []), result.stderr
    line = result.stderr.strip()
    assert line.startswith("Missing Debian packages: "), line
    return line.removeprefix("Missing Debian packages: ").split(" (", 1)[0]


needs_posix_shell = pytest.mark.skipif(
    not Path("/bin/sh").exists(), reason="the install script is for Debian-based Linux"
)


@needs_posix_shell
def test_install_script_wants_qt_and_the_server_for_tests_but_no_poppler(tmp_path: Path) -> None:
    wanted = wanted_packages(tmp_path, "test").split()
    assert {"libegl1", "libxcb-cursor0", "libfontconfig1", "postgresql"} <= set(wanted)
    assert "poppler-utils" not in wanted
    assert "postgresql" not in wanted_packages(tmp_path, "run").split()


@needs_posix_shell
def test_install_script_needs_no_root_when_everything_is_there(tmp_path: Path) -> None:
    installed = wanted_packages(tmp_path, "test")
    result, calls = run_install_script(tmp_path, "test", installed=installed, uid=1000)
    assert (result.returncode, calls) == (0, []), result.stderr


@needs_posix_shell
def test_install_script_needs_no_server_when_a_server_url_is_given(tmp_path: Path) -> None:
    url = {"CLINIC_TEST_PG_URL": "postgresql://x/y"}
    installed = wanted_packages(tmp_path, "test", **url)
    assert "postgresql" not in installed.split()
    result, calls = run_install_script(tmp_path, "test", installed=installed, uid=1000, **url)
    assert (result.returncode, calls) == (0, []), result.stderr


@needs_posix_shell
def test_install_script_run_group_needs_no_server(tmp_path: Path) -> None:
    installed = wanted_packages(tmp_path, "run")
    result, calls = run_install_script(tmp_path, "run", installed=installed, uid=1000)
    assert (result.returncode, calls) == (0, []), result.stderr


@needs_posix_shell
def test_install_script_without_root_or_sudo_names_what_is_missing(tmp_path: Path) -> None:
    installed = wanted_packages(tmp_path, "run")
    result, calls = run_install_script(tmp_path, "test", installed=installed, uid=1000)
    assert result.returncode == 1
    assert calls == []
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Missing Debian packages: postgresql" in lines[0]


@needs_posix_shell
def test_install_script_uses_sudo_only_for_what_is_missing(tmp_path: Path) -> None:
    installed = wanted_packages(tmp_path, "test").replace("libxcb-cursor0", "")
    result, calls = run_install_script(tmp_path, "test", installed=installed, uid=1000, sudo=True)
    assert result.returncode == 0, result.stderr
    assert calls[0] == "sudo apt-get update -qq"
    assert calls[-1].endswith("install -y -qq --no-install-recommends libxcb-cursor0")


@needs_posix_shell
def test_install_script_as_root_installs_without_sudo(tmp_path: Path) -> None:
    installed = wanted_packages(tmp_path, "run")
    result, calls = run_install_script(tmp_path, "test", installed=installed, uid=0)
    assert result.returncode == 0, result.stderr
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends postgresql",
    ]


@needs_posix_shell
def test_install_script_elsewhere_than_debian_installs_nothing(tmp_path: Path) -> None:
    result, calls = run_install_script(tmp_path, "test", installed="", uid=0, dpkg=False)
    assert (result.returncode, calls) == (0, []), result.stderr
    assert "not a Debian-based system" in result.stderr


def test_qt_check_names_the_missing_package_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def cdll(name: str) -> object:
        if name == "libxcb-cursor.so.0":
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    monkeypatch.setattr(tasks.sys, "platform", "linux")
    monkeypatch.setattr(tasks.ctypes, "CDLL", cdll)
    missing = tasks.missing_qt_libraries("xcb")
    assert missing == {"libxcb-cursor.so.0": "libxcb-cursor0"}
    message = tasks.qt_message(missing)
    assert "\n" not in message
    assert "package libxcb-cursor0" in message
    # Headless, the X11 libraries are not needed.
    assert tasks.missing_qt_libraries("offscreen") == {}


def test_a_half_made_virtualenv_is_made_again(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # What a `python -m venv` without ensurepip (no python3-venv) leaves behind.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert not tasks.venv_is_usable(venv)
    tasks.ensure_venv(venv)
    assert tasks.venv_is_usable(venv)


def test_clean_removes_every_build_product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = [
        "build/lib/x.py",
        "dist/clinic_app/clinic-app",
        "clinic_app.egg-info/PKG-INFO",
        ".venv/pyvenv.cfg",
        ".pytest_cache/README.md",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/x",
        ".hypothesis/examples/x",
        ".import_linter_cache/x",
        "clinic_app/__pycache__/cli.cpython-311.pyc",
    ]
    for name in [*made, "clinic_app/cli.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setattr(tasks, "VENV", tmp_path / ".venv")
    assert tasks.task_clean(()) == 0
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["clinic_app", "clinic_app/cli.py"]


def test_constraints_pin_every_dependency_within_its_bounds() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[canonicalize_name(name)] = version.strip()
    needed = [
        *project["dependencies"],
        *project["optional-dependencies"]["test"],
        *project["optional-dependencies"]["packaging"],
    ]
    for text in needed:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in constraints.txt: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside {requirement}: run make lock"
        )


def test_lint_and_type_tools_are_pinned_exactly_and_runtime_has_upper_bounds() -> None:
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    test_extra = {
        Requirement(r).name.lower(): Requirement(r)
        for r in project["optional-dependencies"]["test"]
    }
    for tool in ("ruff", "mypy", "import-linter", "types-pyyaml", "types-reportlab"):
        operators = {spec.operator for spec in test_extra[tool].specifier}
        assert operators == {"=="}, f"{tool} is not pinned exactly"
    for text in project["dependencies"]:
        requirement = Requirement(text)
        if requirement.name == "argon2-cffi":
            continue  # calendar-versioned: no major version to bound
        assert any(spec.operator == "<" for spec in requirement.specifier), (
            f"{requirement.name} has no upper bound"
        )
