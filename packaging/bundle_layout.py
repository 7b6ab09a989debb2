"""What goes into the desktop build: data files, hidden imports, exclusions, plugin pruning.

Read by packaging/clinic_app.spec (PyInstaller) and by tests/test_packaging.py, so the test
checks the same lists the build uses without running PyInstaller.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "clinic_app"  # the folder: dist/clinic_app/
EXE_NAME = "clinic-app"  # the program in it, named like the installed script
DATA_DEST = "clinic_app/_data"  # where the wheel puts forms/ and resources/ too
MIGRATIONS = ROOT / "clinic_app" / "storage" / "migrations"
ICON_PNG = ROOT / "resources" / "icons" / "clinic_app.png"

# (destination, source, kind) as PyInstaller's TOC lists hold them.
TocEntry = tuple[str, str, str]

# Imported by the Alembic environment and the migration scripts, which PyInstaller does not
# scan because they ship as data files (Alembic reads them from disk).
HIDDEN_IMPORTS = (
    "alembic",
    "alembic.op",
    "alembic.context",
    "alembic.runtime.migration",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.postgresql.psycopg",
    "clinic_app.storage.rows",
)

# The app uses QtCore, QtGui, QtWidgets and QtPrintSupport. The rest of Qt, and the test and
# development tools installed beside the app, stay out of the bundle.
EXCLUDES = (
    "tkinter",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickTest",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel",
    "PySide6.QtWebSockets",
    "PySide6.Qt3DCore",
    "PySide6.Qt3DRender",
    "PySide6.Qt3DExtras",
    "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets",
    "PySide6.QtSpatialAudio",
    "PySide6.QtTextToSpeech",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtTest",
    "PySide6.QtSql",
    "PySide6.QtNetwork",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtConcurrent",
    "PySide6.QtBluetooth",
    "PySide6.QtPositioning",
    "PySide6.QtLocation",
    "PySide6.QtSerialPort",
    "PySide6.QtSensors",
    # The Python binding only: libQt6DBus itself stays, the xcb platform needs it.
    "PySide6.QtDBus",
    # Optional hyphenation of reportlab paragraphs; the printed documents do not hyphenate.
    "pyphen",
    "readline",
    "tests",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "ruff",
    "importlinter",
    "grimp",
    "textstat",
    "pypdf",
    "IPython",
)

# Qt plugins nothing here uses: framebuffer, VNC and embedded platforms and their input
# plugins, the GTK theme (it drags GTK's cairo/pango/gdk stack in from the build machine,
# which can clash with the desktop's own copies), and image formats the app never reads.
# Kept: the xcb, Wayland, offscreen and minimal platforms, the desktop-portal theme, and
# SVG, JPEG, GIF and ICO images (PNG is built into Qt).
UNUSED_QT_PLUGINS = (
    "platforms/libqvnc",
    "platforms/libqlinuxfb",
    "platforms/libqeglfs",
    "platforms/libqminimalegl",
    "platforms/libqvkkhrdisplay",
    "egldeviceintegrations/",
    "generic/",
    "platformthemes/libqgtk3",
    "imageformats/libqtiff",
    "imageformats/libqwebp",
    "imageformats/libqtga",
    "imageformats/libqicns",
    "imageformats/libqwbmp",
)
# The interface is English only and installs no Qt translator.
UNUSED_QT_DATA = ("PySide6/Qt/translations/",)


def tree(source: Path, target: str, suffixes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(file, destination folder) pairs for every file under ``source``, without caches."""
    wanted = set(suffixes) if suffixes is not None else None
    pairs = []
    for path in sorted(source.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        if wanted is not None and path.suffix not in wanted:
            continue
        folder = Path(target) / path.parent.relative_to(source)
        pairs.append((str(path), folder.as_posix()))
    return pairs


def datas() -> list[tuple[str, str]]:
    """The data files: forms/ and resources/ where the wheel puts them, and the migrations.

    Alembic reads the migration scripts as files at run time, so they sit beside the compiled
    clinic_app.storage modules, where clinic_app/storage/db.py looks for them.
    """
    return [
        *tree(ROOT / "forms", f"{DATA_DEST}/forms"),
        *tree(ROOT / "resources", f"{DATA_DEST}/resources"),
        *tree(MIGRATIONS, "clinic_app/storage/migrations", suffixes={".py", ".mako"}),
    ]


def _posix(dest: str) -> str:
    return dest.replace(os.sep, "/")


def unused_plugin(dest: str) -> bool:
    """Whether a collected file is one of the Qt plugins the bundle leaves out."""
    dest = _posix(dest)
    return any(f"/Qt/plugins/{plugin}" in dest for plugin in UNUSED_QT_PLUGINS)


def unused_data(dest: str) -> bool:
    """Whether a collected data file is Qt data the bundle leaves out."""
    return any(_posix(dest).startswith(prefix) for prefix in UNUSED_QT_DATA)


def _is_library(dest: str) -> bool:
    """A shared library collected as a dependency (not an extension, plugin or libpython)."""
    dest = _posix(dest)
    name = dest.rsplit("/", 1)[-1]
    where_ok = "/" not in dest or dest.startswith("PySide6/Qt/lib/")
    return where_ok and name.startswith("lib") and ".so" in name and "python" not in name


def prune_libraries(
    binaries: list[TocEntry], imports_of: Callable[[str], Iterable[tuple[str, str | None]]]
) -> list[TocEntry]:
    """Drop the shared libraries that only removed plugins needed.

    Everything but the dependency libraries themselves (Python extensions, Qt plugins,
    libpython) is a root; a library stays when a root needs it, directly or through another
    library that stays.

    Args:
        binaries: PyInstaller's binaries list, after removing the unused plugins.
        imports_of: the link-time imports of a file, as PyInstaller's
            ``bindepend.get_imports`` gives them (name, resolved path).
    """
    libraries = {Path(dest).name: src for dest, src, _kind in binaries if _is_library(dest)}
    wanted: set[str] = set()
    todo = [src for dest, src, _kind in binaries if not _is_library(dest)]
    while todo:
        for name, _path in imports_of(todo.pop()):
            base = Path(name).name
            if base in libraries and base not in wanted:
                wanted.add(base)
                todo.append(libraries[base])
    return [
        entry for entry in binaries if not _is_library(entry[0]) or Path(entry[0]).name in wanted
    ]


def lean_binaries(binaries: list[TocEntry]) -> list[TocEntry]:
    """The binaries without the unused Qt plugins and (on Linux) the libraries only they used."""
    kept = [entry for entry in binaries if not unused_plugin(entry[0])]
    if not sys.platform.startswith("linux"):
        return kept
    from PyInstaller.depend.bindepend import get_imports

    return prune_libraries(kept, get_imports)


def lean_datas(collected: list[TocEntry]) -> list[TocEntry]:
    """The data files without the unused Qt data (translations)."""
    return [entry for entry in collected if not unused_data(entry[0])]
