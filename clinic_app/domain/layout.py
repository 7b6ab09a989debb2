"""Declarative form layouts (forms/*.yaml) and the model paths they bind to.

A layout says which sections exist, their order (which is also the keyboard order), labels,
help and the "normal" preset of each section, and binds every control to a dotted path of the
exam model (``right.tinel.tarsal_tunnel.result``). A row in a *sided* section uses ``{side}``
in its path and is drawn once per side. There are no expressions in a layout; a special
control (the sensory map) is named with ``widget`` and resolved by a registry in the UI.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from clinic_app.domain.exam import Side

SIDE_TOKEN = "{side}"
NOT_PLACED = frozenset({"schema_version"})
"""Model fields that are bookkeeping, not findings, and have no control."""


class _Strict(BaseModel):
    # Strict scalar fields catch YAML traps such as an unquoted `no` becoming False. Strictness
    # is per field, not model-wide: a strict model would refuse the YAML lists given for the
    # tuple fields (rows, sections, choices).
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldRow(_Strict):
    """One control bound to a model path."""

    path: StrictStr
    label: StrictStr
    help: StrictStr = ""
    widget: StrictStr | None = None
    choices: tuple[StrictStr, ...] | None = None
    """Offer only these values (each must be one of the model's)."""

    def paths(self, sided: bool) -> tuple[str, ...]:
        """The concrete model paths of this row (one per side in a sided section)."""
        if sided:
            return tuple(self.path.replace(SIDE_TOKEN, side.value) for side in Side)
        return (self.path,)


class HeadingRow(_Strict):
    """A sub-heading inside a section."""

    heading: StrictStr


Row = Annotated[Union[FieldRow, HeadingRow], Field(union_mode="smart")]  # noqa: UP007
PresetValue = StrictStr | list[StrictStr]


class Section(_Strict):
    """A titled block of the form."""

    id: StrictStr
    title: StrictStr
    help: StrictStr = ""
    sided: StrictBool = False
    rows: tuple[Row, ...]
    normal: dict[StrictStr, PresetValue] = Field(default_factory=dict)
    """Path (with {side} in sided sections) -> value; a special widget takes a preset name."""

    @model_validator(mode="after")
    def _side_token(self) -> Section:
        for row in self.fields():
            if self.sided != (SIDE_TOKEN in row.path):
                raise ValueError(
                    f"Section {self.id!r}: path {row.path!r} must "
                    + ("use" if self.sided else "not use")
                    + f" {SIDE_TOKEN}."
                )
        return self

    def fields(self) -> Iterator[FieldRow]:
        """The field rows, in order."""
        return (row for row in self.rows if isinstance(row, FieldRow))

    def paths(self) -> list[str]:
        """Every concrete model path placed in this section, in order."""
        return [path for row in self.fields() for path in row.paths(self.sided)]

    def normal_values(self) -> dict[str, PresetValue]:
        """The normal preset with {side} expanded to both sides."""
        out: dict[str, PresetValue] = {}
        for path, value in self.normal.items():
            targets = (
                [path.replace(SIDE_TOKEN, side.value) for side in Side]
                if SIDE_TOKEN in path
                else [path]
            )
            for target in targets:
                out[target] = value
        return out


class FormLayout(_Strict):
    """A whole form."""

    form_id: StrictStr
    title: StrictStr
    version: StrictInt
    tab_order: Literal["by_side", "by_row"] = "by_side"
    sections: tuple[Section, ...]

    @field_validator("sections")
    @classmethod
    def _unique_ids(cls, value: tuple[Section, ...]) -> tuple[Section, ...]:
        ids = [s.id for s in value]
        if len(ids) != len(set(ids)):
            raise ValueError("Section ids must be unique.")
        return value

    def normal_values(self) -> dict[str, PresetValue]:
        """Every section's normal preset, {side} expanded (what Alt+N fills, section by section)."""
        return {p: v for section in self.sections for p, v in section.normal_values().items()}

    def paths(self) -> list[str]:
        """Every concrete path placed by the layout (duplicates kept, for the coverage test)."""
        return [path for section in self.sections for path in section.paths()]

    def section_of(self, path: str) -> Section | None:
        """The section placing a concrete path."""
        for section in self.sections:
            if path in section.paths():
                return section
        return None

    def label_of(self, path: str) -> str:
        """A unique label for a concrete path: side, sub-heading and row label."""
        for section in self.sections:
            heading = ""
            for row in section.rows:
                if isinstance(row, HeadingRow):
                    heading = row.heading
                    continue
                name = f"{heading}: {row.label}" if heading else row.label
                if not section.sided:
                    if row.path == path:
                        return name
                    continue
                for side in Side:
                    if row.path.replace(SIDE_TOKEN, side.value) == path:
                        return f"{side.value.capitalize()} {name}"
        return path


# --- model paths -------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the core type."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _submodel(annotation: Any) -> type[BaseModel] | None:
    core = _unwrap(annotation)
    if isinstance(core, type) and issubclass(core, BaseModel):
        return core
    return None


def leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf field path of a model, recursing into nested models (not into dicts)."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        if not prefix and name in NOT_PLACED:
            continue
        path = f"{prefix}{name}"
        sub = _submodel(info.annotation)
        if sub is None:
            out.append(path)
        else:
            out.extend(leaf_paths(sub, f"{path}."))
    return out


FieldKind = Literal["choice", "multi_choice", "integer", "date", "text", "other"]


class FieldSpec(BaseModel):
    """What kind of control a leaf path needs, read from the model's type annotation."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: str
    kind: FieldKind
    choices: tuple[str, ...] = ()
    optional: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None


def field_spec(model: type[BaseModel], path: str) -> FieldSpec:
    """The control kind of a leaf path; KeyError if the path is not in the model."""
    parts = path.split(".")
    current: type[BaseModel] = model
    for i, part in enumerate(parts):
        if part not in current.model_fields:
            raise KeyError(path)
        info = current.model_fields[part]
        if i < len(parts) - 1:
            sub = _submodel(info.annotation)
            if sub is None:
                raise KeyError(path)
            current = sub
            continue
        if _submodel(info.annotation) is not None:
            raise KeyError(path)  # a group, not a leaf
        annotation = info.annotation
        args = typing.get_args(annotation)
        optional = typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in args
        core = _unwrap(annotation)
        minimum = maximum = max_length = None
        for meta in info.metadata:
            minimum = getattr(meta, "ge", minimum)
            maximum = getattr(meta, "le", maximum)
            max_length = getattr(meta, "max_length", max_length)
        if isinstance(core, type) and issubclass(core, StrEnum):
            return FieldSpec(path=path, kind="choice", choices=tuple(m.value for m in core))
        if typing.get_origin(core) is tuple:
            item = typing.get_args(core)[0]
            if isinstance(item, type) and issubclass(item, StrEnum):
                return FieldSpec(
                    path=path,
                    kind="multi_choice",
                    choices=tuple(m.value for m in item),
                    optional=optional,
                )
        if core is int:
            return FieldSpec(
                path=path, kind="integer", optional=optional, minimum=minimum, maximum=maximum
            )
        if core is date:
            return FieldSpec(path=path, kind="date", optional=optional)
        if core is str:
            return FieldSpec(path=path, kind="text", max_length=max_length)
        return FieldSpec(path=path, kind="other", optional=optional)
    raise KeyError(path)


def get_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of nested dicts; KeyError when absent."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            raise KeyError(path)
        current = current[part]
    return current


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path of nested dicts, creating dicts on the way."""
    parts = path.split(".")
    current = data
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    current[parts[-1]] = value


def error_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a dotted model path (list indexes and tags dropped)."""
    return ".".join(str(part) for part in loc if isinstance(part, str))
