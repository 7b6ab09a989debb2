"""Loading the sensory-map geometry: JSON in, a validated FootMapGeometry out."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from clinic_app.domain.errors import ClinicError
from clinic_app.domain.foot_map import FootMapGeometry


class FootMapError(ClinicError):
    """The foot-map geometry file is missing, is not JSON, or does not match the model."""


def load_foot_map(path: Path) -> FootMapGeometry:
    """Read and validate the geometry file (``resources.foot_map_path()`` in the app).

    Raises:
        FootMapError: one line naming the file and the first problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FootMapError(f"cannot read foot-map geometry {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FootMapError(f"foot-map geometry {path} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FootMapError(
            f"foot-map geometry {path} is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from None
    try:
        return FootMapGeometry.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        message = " ".join(str(first["msg"]).removeprefix("Value error, ").split())
        raise FootMapError(f"foot-map geometry {path}: {where}: {message}") from None
