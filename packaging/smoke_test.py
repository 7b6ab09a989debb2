"""Build the desktop bundle and check it works: self-test, a clean failure, start-up, size.

Usage::

    .venv/bin/python packaging/smoke_test.py [--no-build] [--runs 5] [--bundle dist/clinic_app]

Steps, each printed as it goes:

1. Build with PyInstaller (packaging/clinic_app.spec) into dist/clinic_app, timed
   (``--no-build`` checks the bundle already there).
2. ``clinic-app --version`` and ``clinic-app --data-dir TMP self-test`` from the bundle: the
   database is created and migrated, every form and handout loaded, a handout and a visit
   note rendered to PDF; exit 0 and nothing on stderr. Then once more on the same data folder
   (an existing database is opened, not created).
3. The same self-test on a copy of the shipped files with one handout broken: exit 2 and one
   line on stderr naming the file, no traceback.
4. Start-up to the main window (``CLINIC_APP_EXIT_AFTER_SHOW=1``, offscreen): the median of
   ``--runs`` bundle starts and as many source starts (``python -m clinic_app``), interleaved
   so both see the same machine load, each after one unmeasured warm-up start.
5. The bundle's size on disk (as ``du`` counts it).

Exit status 0 when every check passed, 1 otherwise, 2 on bad usage. All data goes to a
temporary folder that is deleted afterwards; the user's own data folder is never touched.
"""

from __future__ import annotations

import argparse
import os
import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "clinic_app.spec"
DEFAULT_BUNDLE = ROOT / "dist" / "clinic_app"
EXE_NAME = "clinic-app"
SHOWN_LINE = "window-shown"
STARTUP_TIMEOUT_S = 30.0
COMMAND_TIMEOUT_S = 120.0
BUILD_TIMEOUT_S = 1800.0
BROKEN_HANDOUT = Path("resources") / "handouts" / "home-care" / "es.yaml"
# stderr lines a start-up run may print without failing: the offscreen platform cannot honour
# size hints and says so once per window.
STDERR_ALLOWED = ("This plugin does not support propagateSizeHints",)


@dataclass
class Report:
    """What the smoke test found: passed and failed checks, and the measurements."""

    failures: list[str] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)

    def ok(self, what: str) -> None:
        """A check passed."""
        print(f"ok    {what}", flush=True)

    def fail(self, what: str) -> None:
        """A check failed."""
        self.failures.append(what)
        print(f"FAIL  {what}", flush=True)

    def figure(self, name: str, value: str) -> None:
        """A measurement for the summary."""
        self.figures.append((name, value))
        print(f"      {name}: {value}", flush=True)


def clean_env(home: Path) -> dict[str, str]:
    """The environment for the app: no CLINIC_* settings, and any fallback folders in home."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("CLINIC_")}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / "data")
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_CACHE_HOME"] = str(home / "cache")
    env["TMPDIR"] = str(home / "tmp")
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return env


def run(
    command: list[str], env: dict[str, str], timeout: float = COMMAND_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion, capturing its output (a timeout counts as exit 124)."""
    try:
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return subprocess.CompletedProcess(command, 124, out, f"timed out after {timeout:.0f} s")


def last_line(text: str) -> str:
    """The last non-empty line of some output, for one-line failure messages."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def build(report: Report) -> bool:
    """Run PyInstaller on the spec; report the build time."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--distpath",
        str(ROOT / "dist"),
        "--workpath",
        str(ROOT / "build"),
        str(SPEC),
    ]
    print(f"building: {' '.join(command[2:])}", flush=True)
    started = time.perf_counter()
    result = run(command, dict(os.environ), timeout=BUILD_TIMEOUT_S)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        report.fail(f"build: PyInstaller exited {result.returncode}: {last_line(result.stderr)}")
        return False
    report.ok("build")
    report.figure("build time", f"{seconds:.0f} s")
    return True


def check_self_test(report: Report, exe: Path, data_dir: Path, env: dict[str, str]) -> None:
    """The bundle's self-test on a new, then on the same (existing) data folder."""
    for label in ("new data folder", "existing database"):
        result = run([str(exe), "--data-dir", str(data_dir), "self-test"], env)
        if result.returncode == 0 and not result.stderr.strip():
            report.ok(f"self-test, {label}")
            for line in result.stdout.strip().splitlines():
                print(f"        {line}")
        else:
            problem = last_line(result.stderr or result.stdout)
            report.fail(f"self-test, {label}: exit {result.returncode}: {problem}")


def check_broken_handout(report: Report, exe: Path, work: Path, env: dict[str, str]) -> None:
    """With one handout file broken, the self-test refuses in one line and exits 2."""
    copy = work / "shipped-copy"
    data_root = exe.parent / "_internal" / "clinic_app" / "_data"
    for folder in ("forms", "resources"):
        shutil.copytree(data_root / folder, copy / folder)
    (copy / BROKEN_HANDOUT).write_text("title: [not closed\n", encoding="utf-8")
    env = {**env, "CLINIC_APP_RESOURCE_ROOT": str(copy)}
    result = run([str(exe), "--data-dir", str(work / "broken-data"), "self-test"], env)
    lines = result.stderr.strip().splitlines()
    output = result.stdout + result.stderr
    if (
        result.returncode == 2
        and len(lines) == 1
        and str(BROKEN_HANDOUT.name) in lines[0]
        and "Traceback" not in output
    ):
        report.ok(f"broken handout refused in one line: {lines[0]}")
    else:
        report.fail(
            f"broken handout: expected exit 2 and one stderr line naming {BROKEN_HANDOUT}, "
            f"got exit {result.returncode} and {len(lines)} line(s): {last_line(result.stderr)}"
        )


@dataclass(frozen=True)
class Launch:
    """One start of the app: wall seconds to the shown line, and the CPU seconds it used."""

    seconds: float | None
    cpu: float
    detail: str


def children_cpu() -> float:
    """User plus system CPU seconds of all waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def launch(command: list[str], env: dict[str, str]) -> Launch:
    """Start the app and time it until it prints the shown line; it must then exit 0.

    The CPU time (the whole run, from start to exit) is steadier than the wall time on a
    shared machine: other work slows the clock, not the amount of work done.
    """
    lines: queue.Queue[tuple[float, str] | None] = queue.Queue()
    cpu_before = children_cpu()
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True, bufsize=1
        )

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put((time.perf_counter(), line.strip()))
            lines.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        shown: float | None = None
        deadline = started + STARTUP_TIMEOUT_S
        while shown is None:
            try:
                item = lines.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                break
            if item is None:
                break
            if item[1] == SHOWN_LINE:
                shown = item[0]
        try:
            status = proc.wait(timeout=10 if shown is not None else 0.1)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
        reader.join(timeout=5)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace").splitlines()
    cpu = children_cpu() - cpu_before
    unexpected = [
        line for line in err if line.strip() and not any(a in line for a in STDERR_ALLOWED)
    ]
    if shown is None or status != 0:
        return Launch(None, cpu, f"exit {status}: {unexpected[-1] if unexpected else '(none)'}")
    if unexpected:
        return Launch(None, cpu, f"unexpected stderr: {unexpected[0]}")
    return Launch(shown - started, cpu, "ok")


def measure_startup(report: Report, exe: Path, work: Path, env: dict[str, str], runs: int) -> None:
    """Median start-up to the main window, bundle against source, on existing empty databases."""
    env = {**env, "QT_QPA_PLATFORM": "offscreen", "CLINIC_APP_EXIT_AFTER_SHOW": "1"}
    commands = {
        "bundle": [str(exe), "--data-dir", str(work / "startup-bundle")],
        "source": [sys.executable, "-m", "clinic_app", "--data-dir", str(work / "startup-source")],
    }
    launches: dict[str, list[Launch]] = {name: [] for name in commands}
    for name, command in commands.items():
        first = launch(command, env)  # creates the database; also the warm-up
        if first.seconds is None:
            report.fail(f"start-up ({name}): the main window was not shown: {first.detail}")
            return
    for _ in range(runs):
        for name, command in commands.items():
            started = launch(command, env)
            if started.seconds is None:
                report.fail(f"start-up ({name}): {started.detail}")
                return
            launches[name].append(started)
    report.ok(f"start-up to the main window, {runs} runs each")
    for name in commands:
        wall = [run.seconds for run in launches[name] if run.seconds is not None]
        cpu = [run.cpu for run in launches[name]]
        samples = ", ".join(f"{s:.2f}" for s in wall)
        report.figure(
            f"start-up median, {name}",
            f"{statistics.median(wall):.2f} s ({samples}); CPU {statistics.median(cpu):.2f} s",
        )


def size_on_disk(folder: Path) -> int:
    """Bytes the folder takes on disk, as ``du`` counts them (symlinks not followed)."""
    if shutil.which("du"):
        result = subprocess.run(
            ["du", "-sk", str(folder)], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return int(result.stdout.split()[0]) * 1024
    return sum(p.lstat().st_size for p in folder.rglob("*") if not p.is_symlink())


def positive_runs(text: str) -> int:
    """A run count from 1 to 50."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"must be between 1 and 50, not {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="check the existing bundle")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="the bundle folder")
    parser.add_argument("--runs", type=positive_runs, default=5, help="measured start-ups each")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up timing")
    args = parser.parse_args(argv)
    if not args.no_build and args.bundle.resolve() != DEFAULT_BUNDLE:
        parser.error("--bundle needs --no-build (a build always goes to dist/clinic_app)")

    report = Report()
    if not args.no_build and not build(report):
        return 1
    exe = args.bundle / EXE_NAME
    if not exe.is_file() or not os.access(exe, os.X_OK):
        report.fail(f"no program at {exe} (build it with `make bundle`)")
        return 1

    with tempfile.TemporaryDirectory(prefix="clinic_app-smoke-") as temp:
        work = Path(temp)
        env = clean_env(work / "home")
        version = run([str(exe), "--version"], env)
        if version.returncode == 0:
            report.ok(f"--version: {version.stdout.strip()}")
        else:
            report.fail(f"--version: exit {version.returncode}: {last_line(version.stderr)}")
        check_self_test(report, exe, work / "data", env)
        check_broken_handout(report, exe, work, env)
        if not args.no_startup:
            measure_startup(report, exe, work, env, args.runs)

    size = size_on_disk(args.bundle)
    report.figure("bundle size", f"{size / 2**20:.0f} MiB ({args.bundle})")

    print()
    print("summary")
    for name, value in report.figures:
        print(f"  {name}: {value}")
    if report.failures:
        print(f"smoke test FAILED: {len(report.failures)} check(s)")
        for failure in report.failures:
            print(f"  {failure}")
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
