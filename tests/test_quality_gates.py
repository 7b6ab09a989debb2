"""Quality gates run as part of the suite: ruff lint, ruff format and mypy (strict core).

Each tool runs from the repository root with the configuration in pyproject.toml; a failure
shows the tool's own output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a tool installed next to this interpreter, from the repository root."""
    return subprocess.run(
        [str(VENV_BIN / command[0]), *command[1:]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    """Exit status 0, or fail showing what the tool said."""
    assert result.returncode == 0, (
        f"{' '.join(result.args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )


def test_ruff_lint() -> None:
    assert_clean(run_tool("ruff", "check", "."))


def test_ruff_format() -> None:
    assert_clean(run_tool("ruff", "format", "--check", "."))


@pytest.mark.slow
def test_mypy() -> None:
    # Strict for domain, services, storage and settings (see [tool.mypy] overrides).
    assert_clean(run_tool("mypy"))


@pytest.mark.slow
def test_fakes_fit_the_ports() -> None:
    # The unit tests' fakes must keep implementing the service ports as they change.
    assert_clean(run_tool("mypy", "--strict", "tests/unit/fakes.py"))
