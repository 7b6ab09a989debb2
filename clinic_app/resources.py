"""The one module that knows where forms/ and resources/ live.

Order: a folder named by ``CLINIC_APP_RESOURCE_ROOT`` (checking edited content, and tests),
then a PyInstaller bundle (``sys._MEIPASS``), then the installed wheel (``clinic_app/_data``),
then the source tree (the repository root).
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

RESOURCE_ROOT_ENV = "CLINIC_APP_RESOURCE_ROOT"
"""Names a folder holding forms/ and resources/ to use instead of the shipped ones."""
APP_ICON = "clinic_app.png"
"""The window and desktop icon (rendered from clinic_app.svg beside it)."""


@cache
def located() -> tuple[Path, str]:
    """The folder holding forms/ and resources/, and where it was found.

    Returns:
        The folder, and one of ``"override"``, ``"bundle"``, ``"installed"`` or ``"source"``.
    """
    override = os.environ.get(RESOURCE_ROOT_ENV, "").strip()
    if override:
        return Path(override).expanduser().absolute(), "override"
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        # The spec (packaging/clinic_app.spec) copies both folders to the same place the
        # wheel puts them, so the two layouts stay one.
        return Path(bundle) / "clinic_app" / "_data", "bundle"
    installed = Path(__file__).resolve().parent / "_data"
    if (installed / "forms").is_dir():
        return installed, "installed"
    return Path(__file__).resolve().parent.parent, "source"


def data_root() -> Path:
    """The folder holding forms/ and resources/."""
    return located()[0]


def forms_dir() -> Path:
    """Declarative exam layouts and their generated JSON schemas."""
    return data_root() / "forms"


def resources_dir() -> Path:
    """Foot-map geometry, handout content, icons and styles."""
    return data_root() / "resources"


def handouts_dir() -> Path:
    """Patient handout content: one folder per handout id, one YAML file per language."""
    return resources_dir() / "handouts"


def fonts_dir() -> Path:
    """The TrueType fonts embedded in printed PDFs (DejaVu Sans, with its licence)."""
    return resources_dir() / "fonts"


def icons_dir() -> Path:
    """The application icon (SVG source and the PNG rendered from it)."""
    return resources_dir() / "icons"


def icon_path(name: str = APP_ICON) -> Path:
    """One icon file; by default the application icon used for windows."""
    return icons_dir() / name


def form_path(form_id: str) -> Path:
    """The layout file of one form."""
    return forms_dir() / f"{form_id}.yaml"


def exam_schema_path() -> Path:
    """The committed JSON schema of the stored exam."""
    return forms_dir() / "neuro_foot_exam.schema.json"


def foot_map_path() -> Path:
    """The sensory-map geometry, drawn by Qt on screen and by reportlab in print."""
    return resources_dir() / "foot_map" / "geometry.json"
