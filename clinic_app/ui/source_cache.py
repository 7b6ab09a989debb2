"""PySide6 reads every imported module's source; keep it from holding all of them in memory.

Once PySide6 is loaded, its import hook asks of every module imported after it whether the
module uses PySide6 (for its optional ``__feature__`` switches), by searching the module's
source with ``inspect.getsource``. That reads the source through ``linecache``, which keeps
every line of every module read for the rest of the process: about 30 MB for the 770 modules
a working session imports (SQLAlchemy, pydantic, reportlab and the app itself).

The same question is answered here by reading the file and keeping nothing, and the sources
cached before the hook was replaced are dropped (a traceback reads its lines again when it is
printed). Modules without a ``.py`` file (extensions, a bundle's compiled modules) still go
to PySide6's own check, which keeps nothing for them either.

The app calls this first thing when it starts (``ui.application.run``), before the data
layer and the workspace are imported. The hook's module is PySide6's own
(``shibokensupport.feature``); if a release renames it or the function, this does nothing
and the app works as before, only with the larger cache.
"""

from __future__ import annotations

import linecache
import sys
from collections.abc import Callable
from types import ModuleType

import PySide6.QtCore  # noqa: F401  (loads shiboken's import hook, replaced below)

_HOOK_MODULE = "shibokensupport.feature"
_HOOK_NAME = "_mod_uses_pyside"


def keep_module_sources_out_of_memory() -> bool:
    """Replace PySide6's per-import source check with one that caches nothing (idempotent).

    Returns True when the check is (now) the replacement, False when PySide6 has no such hook.
    """
    feature = sys.modules.get(_HOOK_MODULE)
    original = getattr(feature, _HOOK_NAME, None)
    if feature is None or not callable(original):
        return False
    if getattr(original, "keeps_no_source", False):
        return True
    setattr(feature, _HOOK_NAME, _file_check(original))
    _drop_cached_sources()
    return True


def _file_check(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def uses_pyside(module: ModuleType) -> bool:
        """Whether the module's source names PySide6, read from its file and not kept."""
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return False

    uses_pyside.keeps_no_source = True  # type: ignore[attr-defined]
    return uses_pyside


def _drop_cached_sources() -> None:
    """Forget the module sources read so far; keep generated code's (it has no file to reread).

    A cache entry read from a file is (size, mtime, lines, name); generated code registered
    by a library has no mtime, and a lazy entry is a 1-tuple: both stay.
    """
    for name, entry in list(linecache.cache.items()):
        if len(entry) == 4 and entry[1] is not None:
            linecache.cache.pop(name, None)
