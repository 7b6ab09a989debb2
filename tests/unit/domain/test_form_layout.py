"""Lint every shipped form layout against the exam model, and refuse broken layouts clearly."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.layout import (
    FormLayout,
    Section,
    field_spec,
    get_path,
    leaf_paths,
    set_path,
)
from clinic_app.domain.regions import REGIONS, RegionGroup
from clinic_app.resources import form_path, forms_dir
from clinic_app.services.forms import NEURO_FOOT_EXAM, FormLayoutError, load_form_layout

LAYOUT_FILES = sorted(forms_dir().glob("*.yaml"))
SOURCE_TAGS = re.compile(r"(\[[A-Z0-9][A-Z0-9-]*\])+$")


@pytest.fixture(scope="module")
def layout() -> FormLayout:
    return load_form_layout(form_path(NEURO_FOOT_EXAM))


def test_the_exam_layout_is_shipped() -> None:
    assert form_path(NEURO_FOOT_EXAM) in LAYOUT_FILES


@pytest.mark.parametrize("path", LAYOUT_FILES, ids=lambda p: p.name)
def test_every_shipped_layout_loads(path: Path) -> None:
    loaded = load_form_layout(path)
    assert loaded.form_id == path.stem
    assert loaded.sections


# --- the exam layout against the exam model ---------------------------------------------------


def test_every_placed_path_is_a_leaf_of_the_model(layout: FormLayout) -> None:
    unknown = []
    for path in layout.paths():
        try:
            field_spec(NeuroFootExam, path)
        except KeyError:
            unknown.append(path)
    assert not unknown, f"paths not in NeuroFootExam: {unknown}"


def test_every_model_leaf_is_placed_exactly_once(layout: FormLayout) -> None:
    placed = Counter(layout.paths())
    missing = [path for path in leaf_paths(NeuroFootExam) if path not in placed]
    duplicated = sorted(path for path, count in placed.items() if count > 1)
    report = f"missing: {missing}\nplaced twice: {duplicated}"
    assert (missing, duplicated) == ([], []), report


def test_every_offered_choice_is_a_value_of_its_field(layout: FormLayout) -> None:
    wrong = []
    for section in layout.sections:
        for row in section.fields():
            for path in row.paths(section.sided):
                allowed = field_spec(NeuroFootExam, path).choices
                wrong += [f"{path}: {c!r}" for c in row.choices or () if c not in allowed]
    assert not wrong, f"choices the model does not have: {wrong}"


def test_tinel_radiation_offers_exactly_the_sole_regions(layout: FormLayout) -> None:
    sole = tuple(code.value for code, info in REGIONS.items() if info.group is RegionGroup.PLANTAR)
    rows = [
        row
        for section in layout.sections
        for row in section.fields()
        if row.path.endswith(".radiates_distal")
    ]
    assert len(rows) == 4
    for row in rows:
        assert row.choices == sole, row.path


def test_widget_rows_bind_to_whole_structures(layout: FormLayout) -> None:
    # A special widget edits a whole structure (the sensory map), never a plain value.
    for section in layout.sections:
        for row in section.fields():
            if row.widget is not None:
                for path in row.paths(section.sided):
                    assert field_spec(NeuroFootExam, path).kind == "other", path


def test_help_ends_with_its_source_tags(layout: FormLayout) -> None:
    texts = [(section.id, section.help) for section in layout.sections]
    texts += [(row.path, row.help) for section in layout.sections for row in section.fields()]
    untagged = [where for where, text in texts if text and not SOURCE_TAGS.search(text)]
    assert not untagged, f"help without source tags at the end: {untagged}"


# --- normal presets ---------------------------------------------------------------------------


def widget_paths(section: Section) -> set[str]:
    return {
        path
        for row in section.fields()
        if row.widget is not None
        for path in row.paths(section.sided)
    }


def apply_preset(data: dict[str, Any], section: Section) -> dict[str, Any]:
    """Set a section's preset values (widgets excluded); returns what was set."""
    applied: dict[str, Any] = {}
    skip = widget_paths(section)
    for path, value in section.normal_values().items():
        if path in skip:
            continue
        set_path(data, path, value)
        applied[path] = value
    return applied


def assert_only_preset_findings(exam: NeuroFootExam, applied: dict[str, Any]) -> None:
    blank = NeuroFootExam().model_dump(mode="json")
    charted = exam.model_dump(mode="json")
    extra = [
        path
        for path in leaf_paths(NeuroFootExam)
        if path not in applied and get_path(charted, path) != get_path(blank, path)
    ]
    assert not extra, f"the preset changed more than it says: {extra}"
    changed = {path: get_path(charted, path) for path in applied}
    assert changed == applied


def sections_with_presets() -> list[Any]:
    try:
        found = load_form_layout(form_path(NEURO_FOOT_EXAM))
    except FormLayoutError:
        return []  # test_every_shipped_layout_loads reports why
    return [pytest.param(s, id=s.id) for s in found.sections if s.normal]


@pytest.mark.parametrize("section", sections_with_presets())
def test_a_normal_preset_only_fills_its_own_section(section: Section) -> None:
    outside = sorted(set(section.normal_values()) - set(section.paths()))
    assert not outside, f"{section.id}: preset paths outside the section: {outside}"


@pytest.mark.parametrize("section", sections_with_presets())
def test_a_normal_preset_alone_is_a_valid_exam_with_only_its_findings(section: Section) -> None:
    data: dict[str, Any] = {}
    applied = apply_preset(data, section)
    assert_only_preset_findings(NeuroFootExam.model_validate(data), applied)


def test_all_normal_presets_together_are_a_valid_exam(layout: FormLayout) -> None:
    data: dict[str, Any] = {}
    applied: dict[str, Any] = {}
    for section in layout.sections:
        applied |= apply_preset(data, section)
    assert_only_preset_findings(NeuroFootExam.model_validate(data), applied)


def test_a_widget_preset_is_a_preset_name(layout: FormLayout) -> None:
    named = 0
    for section in layout.sections:
        skip = widget_paths(section)
        for path, value in section.normal_values().items():
            if path in skip:
                assert isinstance(value, str), path
                named += 1
    assert named == 2  # the sensory map, once per side


def test_no_preset_sets_a_date_a_number_a_note_or_the_patients_age(layout: FormLayout) -> None:
    wrong = []
    for section in layout.sections:
        for path in section.normal_values():
            kind = field_spec(NeuroFootExam, path).kind
            if kind in ("date", "integer", "text") or path.startswith("red_flags.age_over_50."):
                wrong.append(f"{path} ({kind})")
    assert not wrong, f"presets that must not exist: {wrong}"


def test_history_and_previous_release_have_no_normal(layout: FormLayout) -> None:
    by_id = {section.id: section for section in layout.sections}
    assert by_id["history"].normal == {}
    assert by_id["previous_release"].normal == {}


# --- broken layouts are refused with a clear FormLayoutError ----------------------------------

GOOD = """\
form_id: tiny
title: Tiny form
version: 1
sections:
  - id: history
    title: History
    rows:
      - heading: Onset
      - path: history.onset
        label: Onset
      - path: history.worse_standing
        label: Worse standing
    normal:
      history.worse_standing: "no"
  - id: inspection
    title: Inspection
    sided: true
    rows:
      - path: "{side}.inspection.arch"
        label: Arch
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_small_layout_used_below_is_valid(tmp_path: Path) -> None:
    loaded = load_form_layout(write(tmp_path, GOOD))
    assert loaded.paths() == [
        "history.onset",
        "history.worse_standing",
        "right.inspection.arch",
        "left.inspection.arch",
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "    title: History\n",
            "    title: History\n    colour: red\n",
            r"sections\.0\.colour: Extra inputs are not permitted",
            id="unknown-section-key",
        ),
        pytest.param(
            "        label: Onset\n",
            "        label: Onset\n        tooltip: when\n",
            r"sections\.0\.rows\.1\.FieldRow\.tooltip: Extra inputs are not permitted",
            id="unknown-row-key",
        ),
        pytest.param(
            "        label: Onset\n",
            "        label: no\n",
            r"sections\.0\.rows\.1\.FieldRow\.label: Input should be a valid string",
            id="unquoted-no-label",
        ),
        pytest.param(
            'history.worse_standing: "no"',
            "history.worse_standing: no",
            r"sections\.0\.normal\.history\.worse_standing\.str: Input should be a valid string",
            id="unquoted-no-preset",
        ),
        pytest.param(
            "      - path: history.onset\n",
            '      - path: "{side}.history.previous_release"\n',
            r"path '\{side\}\.history\.previous_release' must not use \{side\}",
            id="side-in-unsided-section",
        ),
        pytest.param(
            '      - path: "{side}.inspection.arch"\n',
            "      - path: right.inspection.arch\n",
            r"path 'right\.inspection\.arch' must use \{side\}",
            id="no-side-in-sided-section",
        ),
        pytest.param(
            "    sided: true\n",
            "    sided: maybe\n",
            r"sections\.1\.sided: Input should be a valid boolean",
            id="sided-not-a-boolean",
        ),
        pytest.param(
            "version: 1\n",
            'version: "1"\n',
            r"version: Input should be a valid integer",
            id="quoted-version",
        ),
        pytest.param(
            "  - id: inspection\n",
            "  - id: history\n",
            r"Section ids must be unique",
            id="duplicate-section-id",
        ),
    ],
)
def test_a_broken_layout_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(FormLayoutError, match=message) as exc:
        load_form_layout(path)
    assert str(path) in str(exc.value)


def test_a_layout_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "  - id: [unclosed\n")
    with pytest.raises(FormLayoutError, match="is not valid YAML"):
        load_form_layout(path)


def test_a_missing_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(FormLayoutError, match=f"cannot read form layout {re.escape(str(path))}"):
        load_form_layout(path)


def test_an_empty_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormLayoutError, match="valid dictionary"):
        load_form_layout(write(tmp_path, ""))


def test_a_list_used_as_a_key_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "layout.yaml"
    path.write_text("form_id: x\n? [a, b]\n: c\n", encoding="utf-8")
    with pytest.raises(FormLayoutError, match="a key must be a plain word") as caught:
        load_form_layout(path)
    assert "\n" not in str(caught.value)
