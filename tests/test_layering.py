"""The dependency rule, enforced: import-linter contracts and a Qt-free, SQL-free core.

domain <- services <- storage | reports <- ui <- app. The contracts live in pyproject.toml
([tool.importlinter]); these tests run them and prove that they fail on a wrong import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
HEAVY = ("PySide6", "sqlalchemy", "alembic", "reportlab")


def lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the contracts in the repository's pyproject.toml."""
    return subprocess.run(
        [
            str(VENV_BIN / "lint-imports"),
            "--no-cache",  # no cache folder left in the repository
            "--no-logo",
            "--config",
            str(REPO_ROOT / "pyproject.toml"),
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_contracts_are_kept() -> None:
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("layer", "statement", "contract"),
    [
        ("domain", "import PySide6", "Core imports no Qt, SQLAlchemy or reportlab"),
        ("domain", "import sqlalchemy", "Core imports no Qt, SQLAlchemy or reportlab"),
        ("services", "from PySide6 import QtCore", "Core imports no Qt, SQLAlchemy or reportlab"),
        ("services", "import alembic", "Core imports no Qt, SQLAlchemy or reportlab"),
        ("domain", "import clinic_app.services.ports", "app > ui > adapters > services > domain"),
        ("services", "import clinic_app.storage.db", "app > ui > adapters > services > domain"),
        ("ui", "import clinic_app.storage.db", "UI reaches storage only through services"),
        ("domain", "import platformdirs", "Domain imports only stdlib and pydantic"),
    ],
)
def test_contracts_fail_on_a_wrong_import(
    tmp_path: Path, layer: str, statement: str, contract: str
) -> None:
    # A copy of the package, first on the path, with one offending module added.
    copy = tmp_path / "clinic_app"
    shutil.copytree(REPO_ROOT / "clinic_app", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / layer / "wrong_import.py").write_text(
        f'"""A module that breaks the layering."""\n\n{statement}\n', encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = lint_imports(tmp_path, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"{contract} BROKEN" in output
    assert f"clinic_app.{layer}.wrong_import" in output


# Imports every module of the core with Qt, SQLAlchemy, Alembic and reportlab made
# unimportable, then reports what ended up in sys.modules.
CORE_IMPORT_SCRIPT = """
import importlib
import importlib.abc
import json
import pkgutil
import sys

HEAVY = {heavy!r}


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            raise ImportError(f"the core imported {{name}}")
        return None


sys.meta_path.insert(0, Blocker())
imported = []
for package_name in ("clinic_app.domain", "clinic_app.services"):
    package = importlib.import_module(package_name)
    imported.append(package_name)
    for info in pkgutil.walk_packages(package.__path__, package_name + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({{"imported": imported, "heavy": heavy}}))
"""


def test_core_imports_without_qt_or_sql() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CORE_IMPORT_SCRIPT.format(heavy=HEAVY)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["heavy"] == []
    for module in (
        "clinic_app.domain.patient",
        "clinic_app.domain.encounter",
        "clinic_app.domain.audit",
        "clinic_app.services.ports",
        "clinic_app.services.patients",
        "clinic_app.services.encounters",
        "clinic_app.services.accounts",
    ):
        assert module in report["imported"]
