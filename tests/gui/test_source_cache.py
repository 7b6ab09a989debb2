"""PySide6's import hook does not leave every imported module's source in memory."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Imports PySide6, optionally replaces its check, then imports a large library module and one
# of the app's Qt modules; prints how many module sources linecache holds and the hook's
# answers for both modules (0: uses PySide6; -1: ignored by its switches).
PROBE = """
import linecache, sys
import PySide6.QtCore
if {replace}:
    from clinic_app.ui.source_cache import keep_module_sources_out_of_memory
    assert keep_module_sources_out_of_memory()
    assert keep_module_sources_out_of_memory()  # idempotent
import sqlalchemy.sql.compiler
from clinic_app.ui import flow_layout
kept = [n for n, e in linecache.cache.items() if len(e) == 4 and e[1] is not None]
answers = sys.modules["shibokensupport.feature"].pyside_feature_dict
print(len(kept), any("sqlalchemy" in n for n in kept),
      answers["sqlalchemy.sql.compiler"], answers["clinic_app.ui"])
"""


def probe(replace: bool) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(replace=replace)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("replace", [False, True])
def test_imported_module_sources_are_not_kept(replace: bool) -> None:
    kept, sqlalchemy_kept, library, app_module = probe(replace)
    if replace:
        assert (kept, sqlalchemy_kept) == ("0", "False")
    else:  # PySide6's own check keeps every module's source (if this fails, it stopped)
        assert int(kept) > 50
        assert sqlalchemy_kept == "True"
    # The hook's answers are the same either way.
    assert (library, app_module) == ("-1", "0")
