"""Loading declarative form layouts: YAML in, a validated FormLayout out."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from clinic_app.domain.errors import ClinicError
from clinic_app.domain.layout import FormLayout

NEURO_FOOT_EXAM = "neuro_foot_exam"


class FormLayoutError(ClinicError):
    """A layout file is missing, is not YAML, or does not match the FormLayout model."""


def load_form_layout(path: Path) -> FormLayout:
    """Read and validate one layout file.

    Raises:
        FormLayoutError: naming the file and the first problem.
    """
    try:
        # The C loader when PyYAML has it: the exam layout is read at every start-up.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except OSError as exc:
        raise FormLayoutError(f"cannot read form layout {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FormLayoutError(f"form layout {path} is not valid YAML: {exc}") from None
    try:
        return FormLayout.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FormLayoutError(f"form layout {path}: {where}: {first['msg']}") from None
