"""The one module that knows where forms/ and resources/ live.

Order: a PyInstaller bundle (``sys._MEIPASS``), then the installed wheel
(``clinic_app/_data``), then the source tree (the repository root).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def data_root() -> Path:
    """The folder holding forms/ and resources/."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "clinic_app" / "_data"
    installed = Path(__file__).resolve().parent / "_data"
    if (installed / "forms").is_dir():
        return installed
    return Path(__file__).resolve().parent.parent


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


def form_path(form_id: str) -> Path:
    """The layout file of one form."""
    return forms_dir() / f"{form_id}.yaml"


def exam_schema_path() -> Path:
    """The committed JSON schema of the stored exam."""
    return forms_dir() / "neuro_foot_exam.schema.json"


def foot_map_path() -> Path:
    """The sensory-map geometry, drawn by Qt on screen and by reportlab in print."""
    return resources_dir() / "foot_map" / "geometry.json"
