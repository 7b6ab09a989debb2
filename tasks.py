"""Developer tasks without make: `python -m tasks COMMAND` from the repository root.

    python -m tasks run [-- ARGS]     install the app into .venv (no test tools), check Qt, start it
    python -m tasks test [-- ARGS]    install the test tools, check the system packages, run pytest
    python -m tasks lint              ruff, ruff format --check, mypy, lint-imports
    python -m tasks bench [-- ARGS]   the benchmarks
    python -m tasks bundle            the one-folder desktop build in dist/clinic_app/
    python -m tasks bundle-test       build it, then smoke-test it
    python -m tasks lock              refresh constraints.txt from a clean virtualenv
    python -m tasks clean             remove .venv, build products and caches

The Makefile calls these, so Linux, macOS and Windows (`py -m tasks test`) share one
implementation. Standard library only: it runs before the virtualenv exists, with the Python
that makes the virtualenv (`PYTHON=python3.12 make run`, or run this file with that Python).
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("VENV") or ROOT / ".venv")
CONSTRAINTS = ROOT / "constraints.txt"
PYPROJECT = ROOT / "pyproject.toml"
MIN_PYTHON = (3, 11)
# The stamps say what was installed into .venv, and from which pyproject and constraints.
APP_STAMP = ".installed-app"
TEST_STAMP = ".installed-test"
BUNDLE_STAMP = ".installed-packaging"
# Each level includes the ones before it: a test install also runs the app.
EXTRAS = {APP_STAMP: "", TEST_STAMP: "[test]", BUNDLE_STAMP: "[test,packaging]"}
LEVELS = list(EXTRAS)

# The shared libraries Qt's Linux platform plugins load, and the Debian/Ubuntu package of each.
# Every platform needs the first group; the X11 (xcb) plugin, the default on a desktop, also
# needs the second.
QT_LIBS_ANY = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
QT_LIBS_XCB = {
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
}
HEADLESS_PLATFORMS = {"offscreen", "minimal"}
# Everything a build, a test run or the tools leave behind (`clean`).
BUILD_PRODUCTS = ("build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis")
BUILD_PRODUCTS += (".benchmarks", ".import_linter_cache")


class TaskError(Exception):
    """A task cannot go on; the message is one line saying what to do."""


def venv_python(venv: Path = VENV) -> Path:
    """The virtualenv's interpreter (bin/ on POSIX, Scripts/ on Windows)."""
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def venv_tool(name: str, venv: Path = VENV) -> str:
    """A console script installed into the virtualenv."""
    folder = venv_python(venv).parent
    return str(folder / (f"{name}.exe" if os.name == "nt" else name))


def run(command: Sequence[str], **kwargs: Any) -> int:
    """Run a command, showing it; returns its exit status."""
    print("+", " ".join(str(part) for part in command), flush=True)
    return subprocess.run(list(command), check=False, **kwargs).returncode


def must(command: Sequence[str], what: str) -> None:
    """Run a command; a failure stops the task naming what failed."""
    status = run(command, cwd=ROOT)
    if status != 0:
        raise TaskError(f"{what} failed (exit status {status}); see the output above")


# --------------------------------------------------------------------------- virtualenv


def venv_is_usable(venv: Path = VENV) -> bool:
    """A complete virtualenv of the running Python's version, with pip.

    A half-made one (a `python -m venv` that stopped because ensurepip is missing, or an
    interrupted copy) has no pip or no pyvenv.cfg and is made again rather than trusted.
    """
    python = venv_python(venv)
    if not (venv / "pyvenv.cfg").is_file() or not python.exists():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import sys, pip; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    wanted = "{}.{}".format(*sys.version_info[:2])
    return probe.returncode == 0 and probe.stdout.strip() == wanted


def ensure_venv(venv: Path = VENV) -> None:
    """Make the virtualenv with this Python, replacing a half-made or other-version one."""
    if sys.version_info[:2] < MIN_PYTHON:
        raise TaskError(
            f"clinic_app needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer, this is "
            f"{sys.version.split()[0]} ({sys.executable}); choose one with PYTHON=python3.12 "
            "make ... or run tasks.py with it"
        )
    if venv_is_usable(venv):
        return
    if venv.exists():
        print(f"{venv} is incomplete or made by another Python: making it again", flush=True)
        shutil.rmtree(venv)
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, check=False
    )
    if made.returncode != 0 or not venv_is_usable(venv):
        shutil.rmtree(venv, ignore_errors=True)
        detail = (made.stderr or made.stdout).strip().splitlines()
        hint = (
            "install the venv module (Debian/Ubuntu: apt-get install python3-venv) or "
            "choose another Python with PYTHON=/path/to/python3.11"
        )
        raise TaskError(
            f"{sys.executable} -m venv failed ({detail[-1] if detail else 'no pip'}): {hint}"
        )


def stamp_text(extra: str) -> str:
    """What an install depends on: the extras, pyproject, constraints and the Python."""
    digest = hashlib.sha256()
    for path in (PYPROJECT, CONSTRAINTS):
        digest.update(path.read_bytes())
    return f"{extra} {digest.hexdigest()} {sys.version_info[0]}.{sys.version_info[1]}\n"


def install(stamp: str, venv: Path = VENV) -> None:
    """Install the app (with the stamp's extras) pinned by constraints.txt, unless done."""
    ensure_venv(venv)
    for done in LEVELS[LEVELS.index(stamp) :]:
        path = venv / done
        if path.is_file() and path.read_text(encoding="utf-8") == stamp_text(EXTRAS[done]):
            return
    extra = EXTRAS[stamp]
    must(
        [
            str(venv_python(venv)),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--constraint",
            str(CONSTRAINTS),
            "--editable",
            f".{extra}",
        ],
        f"installing clinic_app{extra} into {venv}",
    )
    (venv / stamp).write_text(stamp_text(extra), encoding="utf-8")


# --------------------------------------------------------------------------- system checks


def missing_qt_libraries(platform: str | None = None) -> dict[str, str]:
    """The Qt platform libraries the dynamic loader cannot find here (Linux only)."""
    if not sys.platform.startswith("linux"):
        return {}
    platform = os.environ.get("QT_QPA_PLATFORM", "") if platform is None else platform
    needed = dict(QT_LIBS_ANY)
    if platform.split(":")[0] not in HEADLESS_PLATFORMS:
        needed.update(QT_LIBS_XCB)
    missing = {}
    for soname, package in needed.items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing[soname] = package
    return missing


def qt_message(missing: dict[str, str]) -> str:
    """One line naming the missing libraries and the Debian packages that hold them."""
    packages = " ".join(sorted(set(missing.values())))
    return (
        f"Qt cannot start: {', '.join(missing)} not found; install the Debian/Ubuntu "
        f"package{'s' if len(set(missing.values())) > 1 else ''} {packages} "
        f"(sudo apt-get install {packages}, or sh packaging/linux/install-system-deps.sh run)"
    )


def check_qt() -> None:
    """Stop with one line when a library Qt needs is missing."""
    missing = missing_qt_libraries()
    if missing:
        raise TaskError(qt_message(missing))


def system_deps(group: str) -> None:
    """Debian packages of a group (test, bundle), installed only when missing."""
    if not sys.platform.startswith("linux"):
        return
    if shutil.which("dpkg-query") is None:
        print(
            "Not a Debian-based system: install the Qt libraries and the PostgreSQL server "
            "with your package manager (see the README).",
            flush=True,
        )
        return
    must(["sh", str(ROOT / "packaging/linux/install-system-deps.sh"), group], "system packages")


# --------------------------------------------------------------------------- tasks


def task_run(args: Sequence[str]) -> int:
    """Install the app and what it needs to run, check Qt, start it."""
    install(APP_STAMP)
    if not args:
        check_qt()
    return run([venv_tool("clinic-app"), *args], cwd=ROOT)


def task_test(args: Sequence[str]) -> int:
    """Install the test tools and the system packages the tests need, run pytest."""
    install(TEST_STAMP)
    system_deps("test")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return run([venv_tool("pytest"), *args], cwd=ROOT, env=env)


def task_lint(args: Sequence[str]) -> int:
    """Ruff, ruff format, mypy and the layering contracts, as the test suite runs them."""
    install(TEST_STAMP)
    status = 0
    for command in (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["lint-imports"],
    ):
        status = run([venv_tool(command[0]), *command[1:]], cwd=ROOT) or status
    return status


def task_bench(args: Sequence[str]) -> int:
    """The benchmarks against their budgets."""
    install(APP_STAMP)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return run([str(venv_python()), "benchmarks/run.py", *args], cwd=ROOT, env=env)


def task_bundle(args: Sequence[str]) -> int:
    """The one-folder desktop build (PyInstaller copies the Qt libraries it finds here)."""
    install(BUNDLE_STAMP)
    system_deps("bundle")
    return run(
        [
            venv_tool("pyinstaller"),
            "--noconfirm",
            "--clean",
            "--distpath",
            "dist",
            "--workpath",
            "build",
            "packaging/clinic_app.spec",
        ],
        cwd=ROOT,
    )


def task_bundle_test(args: Sequence[str]) -> int:
    """Build the bundle, then run its smoke test."""
    status = task_bundle(())
    if status:
        return status
    return run([str(venv_python()), "packaging/smoke_test.py", "--no-build", *args], cwd=ROOT)


def task_lock(args: Sequence[str]) -> int:
    """Resolve the newest versions pyproject.toml allows in a clean venv; write constraints.txt."""
    with tempfile.TemporaryDirectory(prefix="clinic-lock-") as tmp:
        venv = Path(tmp) / "venv"
        must([sys.executable, "-m", "venv", str(venv)], "making a clean virtualenv")
        python = str(venv_python(venv))
        must(
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--editable",
                ".[test,packaging]",
            ],
            "installing clinic_app[test,packaging] without constraints",
        )
        frozen = subprocess.run(
            [python, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    pins = sorted(
        (line for line in frozen.splitlines() if line and not line.startswith("#")),
        key=str.lower,
    )
    header = [
        "# Exact versions of everything `make run`, `make test` and `make bundle` install.",
        "# Made by `make lock` (python -m tasks lock): a clean virtualenv, pip install -e",
        f"# '.[test,packaging]' with no constraints, pip freeze. Python "
        f"{sys.version_info[0]}.{sys.version_info[1]} on {sys.platform}; other platforms add a",
        "# few packages of their own, which stay unpinned.",
    ]
    CONSTRAINTS.write_text("\n".join(header + pins) + "\n", encoding="utf-8")
    print(f"Wrote {len(pins)} pins to {CONSTRAINTS.name}; run the tests before committing it.")
    return 0


def task_clean(args: Sequence[str]) -> int:
    """Remove the virtualenv, every build product and every cache."""
    for name in (*BUILD_PRODUCTS, VENV.name):
        shutil.rmtree(ROOT / name, ignore_errors=True)
    for pattern in ("*.egg-info", "**/__pycache__"):
        for path in ROOT.glob(pattern):
            if ".git" not in path.parts:
                shutil.rmtree(path, ignore_errors=True)
    return 0


TASKS = {
    "run": task_run,
    "test": task_test,
    "lint": task_lint,
    "bench": task_bench,
    "bundle": task_bundle,
    "bundle-test": task_bundle_test,
    "lock": task_lock,
    "clean": task_clean,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one task; arguments after `--` go to the program it starts."""
    argv = list(sys.argv[1:] if argv is None else argv)
    passed: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passed = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m tasks", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("task", choices=sorted(TASKS), help="what to do")
    task = parser.parse_args(argv).task
    try:
        return TASKS[task](passed)
    except TaskError as exc:
        print(f"{task}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
