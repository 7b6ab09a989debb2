"""Loading declarative form layouts: YAML in, a validated FormLayout out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from clinic_app.domain.errors import ClinicError
from clinic_app.domain.layout import FormLayout

if TYPE_CHECKING:
    from clinic_app.domain.foot_map import FootMapGeometry

NEURO_FOOT_EXAM = "neuro_foot_exam"


class FormLayoutError(ClinicError):
    """A layout file is missing, is not YAML, or does not match the FormLayout model."""


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice (PyYAML would silently keep the last one).

    A list or mapping used as a key is refused too: PyYAML only checks that after the
    duplicate check has already tried to hash it. Used for every shipped data file.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing duplicate and unhashable keys."""
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "a key must be a plain word, not a list or mapping",
                    key_node.start_mark,
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_form_layout(path: Path) -> FormLayout:
    """Read and validate one layout file.

    Raises:
        FormLayoutError: naming the file and the first problem.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except OSError as exc:
        raise FormLayoutError(f"cannot read form layout {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FormLayoutError(
            f"form layout {path} is not valid YAML: {' '.join(str(exc).split())}"
        ) from None
    try:
        return FormLayout.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise FormLayoutError(f"form layout {path}: {where}: {first['msg']}") from None


class FormCatalog:
    """The exam layout and the sensory-map geometry, read once from the paths app.py gives."""

    def __init__(self, exam_layout: Path | None = None, foot_map: Path | None = None) -> None:
        self._exam_layout_path = exam_layout
        self._foot_map_path = foot_map
        self._layout: FormLayout | None = None
        self._geometry: FootMapGeometry | None = None

    def exam_layout(self) -> FormLayout:
        """The neuro-foot exam layout (read on first use)."""
        if self._layout is None:
            if self._exam_layout_path is None:
                raise FormLayoutError("no exam form layout is configured")
            self._layout = load_form_layout(self._exam_layout_path)
        return self._layout

    def label_of(self, path: str) -> str:
        """The printed label of an exam path; the path itself when no layout is configured."""
        if self._exam_layout_path is None and self._layout is None:
            return path
        return self.exam_layout().label_of(path)

    def foot_map(self) -> FootMapGeometry:
        """The sensory-map geometry (read on first use)."""
        if self._geometry is None:
            if self._foot_map_path is None:
                raise FormLayoutError("no sensory-map geometry is configured")
            from clinic_app.services.foot_map import load_foot_map

            self._geometry = load_foot_map(self._foot_map_path)
        return self._geometry
