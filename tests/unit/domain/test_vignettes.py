"""Clinical vignettes run through the live assessment (tests/fixtures/vignettes/assessment.yaml).

Each vignette builds an exam from the shipped form's normal presets (or a blank exam) plus its
findings, runs ``assess`` with its patient facts, planned release, foot-primary reason and
acknowledged red flags, and checks what must and must not fire. The data lint tests keep the
file itself honest: required keys, unique ids, known paths and rule keys, and every rule key
covered by at least one vignette that fires it and one near miss that must not.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from clinic_app.domain.assessment.model import (
    Assessment,
    AssessmentContext,
    PatientFacts,
    ReportWhen,
)
from clinic_app.domain.assessment.record import ReleasePlan
from clinic_app.domain.assessment.rules import assess
from clinic_app.domain.exam import NeuroFootExam, RedFlags, SensoryMap, Side
from clinic_app.domain.layout import FormLayout, error_path, leaf_paths, set_path
from clinic_app.domain.regions import RegionCode
from clinic_app.resources import form_path
from clinic_app.services.forms import NEURO_FOOT_EXAM, load_form_layout

VIGNETTES_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "vignettes" / "assessment.yaml"

RULE_KEYS: tuple[str, ...] = (
    "R0-CES",
    "R0-SERIOUS",
    "R1",
    "R1-CHECK",
    "R2",
    "R3",
    "R4",
    "R5",
    "R5-NERVE",
    "R6",
    "R7-L5",
    "R7-PERONEAL",
    "R7-CHECK",
    "R8-L4",
    "R8-SAPHENOUS",
    "R9",
    "R10",
    "R11",
    "R12",
    "R13",
    "R14-ROOT",
    "R14-POLY",
    "R14-TTS",
    "R15",
    "R16",
    "R16-CHART",
    "R17",
    "R18",
)
"""Every suggestion key the rules emit (the rule semantics the engine implements)."""

TOP_KEYS = frozenset({"charts", "vignettes"})
REQUIRED = frozenset({"id", "rule", "title", "story", "start", "findings", "expect"})
OPTIONAL = frozenset(
    {
        "patient",
        "release",
        "foot_primary_reason",
        "acknowledged",
        "not_done",
        "override",
        "studies_acknowledged",
    }
)
EXPECT_REQUIRED = frozenset({"fires", "not"})
EXPECT_OPTIONAL = frozenset(
    {
        "held_back",
        "codes",
        "codes_now",
        "no_codes",
        "gate_state",
        "gate_unmet",
        "lops",
        "urgent",
        "sides",
        "confidence",
        "gate_open",
        "lumbar_missing_includes",
        "reason_needed",
    }
)
DIABETES = {"yes": True, "no": False, "unknown": None}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ENDS_WITH_TAGS = re.compile(r"(\[[A-Z0-9][A-Z0-9-]*\])+$")
REGION_PATH = re.compile(r"^(right|left)\.sensory\.regions\.(?P<code>[A-Z0-9-]+)$")
BOTH = "both"
LEAVES = frozenset(leaf_paths(NeuroFootExam))
RED_FLAG_NAMES = frozenset(RedFlags.model_fields)
SENSORY_MAP_WIDGET = "sensory_map"


# --- loading -----------------------------------------------------------------------------------


class _VignetteLoader(yaml.SafeLoader):
    """Safe loading that refuses a key given twice and reads only true/false as booleans.

    In YAML 1.1 ``yes``/``no``/``on``/``off`` are booleans; in this file they are the words a
    clinician charts ("history.first_step_pain: no"), so only ``true``/``false`` are booleans.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_BOOL_TAG = "tag:yaml.org,2002:bool"
_VignetteLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_VignetteLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|false)$"), list("tf"))


@cache
def load_document() -> dict[str, Any]:
    """The whole vignette file (raises on unreadable YAML or a duplicate key)."""
    data = yaml.load(VIGNETTES_FILE.read_text(encoding="utf-8"), Loader=_VignetteLoader)
    if not isinstance(data, dict):
        raise TypeError(f"{VIGNETTES_FILE.name}: the top level must be a mapping")
    return data


def vignettes() -> list[dict[str, Any]]:
    """Every vignette as loaded."""
    found = load_document().get("vignettes")
    if not isinstance(found, list):
        raise TypeError(f"{VIGNETTES_FILE.name}: 'vignettes' must be a list")
    return found


def vignette_params() -> list[Any]:
    """One pytest case per vignette; none when the file cannot be read (the lint says why)."""
    try:
        found = vignettes()
    except (OSError, yaml.YAMLError, TypeError):
        return []
    return [
        pytest.param(v, id=str(v.get("id", f"vignette-{i}")) if isinstance(v, dict) else str(i))
        for i, v in enumerate(found)
    ]


@cache
def layout() -> FormLayout:
    """The shipped exam form, whose normal presets make a normal start."""
    return load_form_layout(form_path(NEURO_FOOT_EXAM))


# --- building the exam and the context ---------------------------------------------------------


def expand_both(path: str) -> list[str]:
    """A path with a ``both`` side, as its right and left paths; any other path unchanged."""
    parts = path.split(".")
    if BOTH not in parts:
        return [path]
    at = parts.index(BOTH)
    return [".".join([*parts[:at], side.value, *parts[at + 1 :]]) for side in Side]


def normal_start(skip_sections: frozenset[str]) -> dict[str, Any]:
    """Every section's normal preset on both sides, except the sections left not done."""
    data: dict[str, Any] = {}
    normal_regions = SensoryMap().charted_normal().model_dump(mode="json")["regions"]
    for section in layout().sections:
        if section.id in skip_sections:
            continue
        widgets = {
            path: row.widget
            for row in section.fields()
            if row.widget is not None
            for path in row.paths(section.sided)
        }
        for path, value in section.normal_values().items():
            widget = widgets.get(path)
            if widget is None:
                set_path(data, path, copy.deepcopy(value))
            elif widget == SENSORY_MAP_WIDGET and value == "normal":
                set_path(data, path, copy.deepcopy(normal_regions))
            else:
                raise AssertionError(f"unknown preset {value!r} for widget {widget!r} at {path}")
    return data


def exam_data(vignette: dict[str, Any]) -> dict[str, Any]:
    """The exam as nested dicts: the start, then each finding in order."""
    if vignette["start"] == "normal":
        data = normal_start(frozenset(vignette.get("not_done", ())))
    else:
        data = {}
    for path, value in (vignette.get("findings") or {}).items():
        for target in expand_both(path):
            set_path(data, target, copy.deepcopy(value))
    return data


def build_exam(vignette: dict[str, Any]) -> NeuroFootExam:
    """The validated exam of a vignette; a clear failure naming the vignette otherwise."""
    try:
        return NeuroFootExam.model_validate(exam_data(vignette))
    except ValidationError as exc:
        problems = "; ".join(
            f"{error_path(err['loc'])}: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        )
        pytest.fail(f"{vignette.get('id')}: the findings are not a valid exam: {problems}")


def build_context(vignette: dict[str, Any]) -> AssessmentContext:
    """What the rules read besides the exam, as the encounter would give it."""
    patient = vignette.get("patient") or {}
    return AssessmentContext(
        patient=PatientFacts(
            diabetes=DIABETES[patient.get("diabetes", "unknown")], age=patient.get("age")
        ),
        release_sides=ReleasePlan(vignette.get("release", "none")).sides,
        foot_primary_reason=(vignette.get("foot_primary_reason") or "").strip(),
        acknowledged_red_flags=tuple(vignette.get("acknowledged", ())),
        gate_overridden=bool(vignette.get("override", False)),
        no_studies_acknowledged=bool(vignette.get("studies_acknowledged", False)),
    )


# --- checking ----------------------------------------------------------------------------------


def describe(result: Assessment) -> str:
    """What fired, one suggestion per item: key, sides, confidence, codes, held back."""
    if not result.suggestions:
        return "nothing"
    items = []
    for s in result.suggestions:
        detail = [",".join(side.value for side in s.sides) or "no side"]
        if s.confidence is not None:
            detail.append(s.confidence.value)
        if s.codes:
            detail.append("codes " + ",".join(c.code for c in s.codes))
        if s.held_back:
            detail.append("held back")
        items.append(f"{s.key} ({'; '.join(detail)})")
    return ", ".join(items)


def check(vignette: dict[str, Any], result: Assessment) -> list[str]:
    """Every expectation the assessment does not meet, in words."""
    expect = vignette["expect"]
    fired = set(result.keys)
    by_key: dict[str, list[Any]] = {}
    for s in result.suggestions:
        by_key.setdefault(s.key, []).append(s)
    problems: list[str] = []

    problems += [
        f"expected {key} to fire; it did not" for key in expect["fires"] if key not in fired
    ]
    problems += [f"expected {key} not to fire; it did" for key in expect["not"] if key in fired]

    if "held_back" in expect:
        held = {s.key for s in result.held_back}
        wanted = set(expect["held_back"])
        if held != wanted:
            problems.append(
                f"held back: expected {sorted(wanted) or 'nothing'}, "
                f"got {sorted(held) or 'nothing'}"
            )

    for field, when in (("codes", ReportWhen.CONFIRMED), ("codes_now", ReportWhen.NOW)):
        for key, codes in (expect.get(field) or {}).items():
            got = {c.code for s in by_key.get(key, ()) for c in s.codes if c.report_when is when}
            if key in fired and got != set(codes):
                problems.append(
                    f"{key} {field}: expected {sorted(codes)}, got {sorted(got) or 'none'}"
                )

    for key in expect.get("no_codes", ()):
        got = {
            c.code
            for s in by_key.get(key, ())
            for c in s.codes
            if c.report_when is ReportWhen.CONFIRMED
        }
        if got:
            problems.append(f"{key} must suggest no diagnosis code; it suggested {sorted(got)}")

    if "gate_state" in expect and result.gate.state.value != expect["gate_state"]:
        problems.append(f"gate_state: expected {expect['gate_state']}, got {result.gate.state}")
    if "gate_unmet" in expect:
        got_unmet = sorted(f"{c.item.value} {c.side.value}" for c in result.gate.unmet)
        if got_unmet != sorted(expect["gate_unmet"]):
            problems.append(f"gate_unmet: expected {sorted(expect['gate_unmet'])}, got {got_unmet}")
    for side, value in (expect.get("lops") or {}).items():
        got_lops = result.lops.get(Side(side))
        if got_lops is None or got_lops.value != value:
            problems.append(f"lops {side}: expected {value}, got {got_lops}")
    if "urgent" in expect and sorted(result.urgent_flags) != sorted(expect["urgent"]):
        problems.append(f"urgent: expected {sorted(expect['urgent'])}, got {result.urgent_flags}")

    for key, sides in (expect.get("sides") or {}).items():
        got_sides = {side.value for s in by_key.get(key, ()) for side in s.sides}
        if key in fired and got_sides != set(sides):
            problems.append(
                f"{key} sides: expected {sorted(sides)}, got {sorted(got_sides) or 'none'}"
            )

    for key, level in (expect.get("confidence") or {}).items():
        got_levels = [s.confidence.value if s.confidence else None for s in by_key.get(key, ())]
        if key in fired and any(got != level for got in got_levels):
            problems.append(f"{key} confidence: expected {level}, got {got_levels}")

    if "gate_open" in expect and result.gate_open is not expect["gate_open"]:
        problems.append(
            f"gate_open: expected {expect['gate_open']}, got {result.gate_open} "
            f"(unmet {[f'{c.item.value} {c.side.value}' for c in result.gate.unmet]})"
        )
    if (
        "reason_needed" in expect
        and result.foot_primary_reason_needed is not expect["reason_needed"]
    ):
        problems.append(
            f"reason_needed: expected {expect['reason_needed']}, "
            f"got {result.foot_primary_reason_needed}"
        )
    absent = [
        p for p in expect.get("lumbar_missing_includes", ()) if p not in result.lumbar_missing
    ]
    if absent:
        problems.append(
            f"lumbar_missing lacks {absent}; it lists {list(result.lumbar_missing) or 'nothing'}"
        )
    return problems


@pytest.mark.parametrize("vignette", vignette_params())
def test_vignette(vignette: dict[str, Any]) -> None:
    exam = build_exam(vignette)
    result = assess(exam, build_context(vignette))
    problems = check(vignette, result)
    assert not problems, (
        f"vignette {vignette['id']} ({vignette['rule']}: {vignette['title']})\n  "
        + "\n  ".join(problems)
        + f"\n  fired: {describe(result)}"
    )


# --- data lint ---------------------------------------------------------------------------------


def test_the_vignette_file_loads() -> None:
    document = load_document()
    assert set(document) <= TOP_KEYS, f"unknown top-level keys: {sorted(set(document) - TOP_KEYS)}"
    assert vignettes(), "no vignettes"


def _shape_problems(v: Any, index: int) -> list[str]:
    if not isinstance(v, dict):
        return [f"vignette #{index} is not a mapping"]
    vid = v.get("id", f"#{index}")
    problems = [f"{vid}: missing {key}" for key in sorted(REQUIRED - set(v))]
    problems += [f"{vid}: unknown key {key}" for key in sorted(set(v) - REQUIRED - OPTIONAL)]
    if not isinstance(v.get("id"), str) or not KEBAB.match(v["id"]):
        problems.append(f"{vid}: id must be kebab-case")
    if v.get("rule") not in RULE_KEYS:
        problems.append(f"{vid}: rule {v.get('rule')!r} is not a rule key")
    title = v.get("title")
    if not isinstance(title, str) or not title.strip() or "\n" in title:
        problems.append(f"{vid}: title must be one line")
    story = v.get("story")
    if not isinstance(story, str) or not ENDS_WITH_TAGS.search(story.strip()):
        problems.append(f"{vid}: story must end with the reference's source tags")
    if v.get("start") not in ("normal", "blank"):
        problems.append(f"{vid}: start must be normal or blank")
    if v.get("not_done") and v.get("start") != "normal":
        problems.append(f"{vid}: not_done needs start: normal")
    sections = {s.id for s in layout().sections}
    problems += [
        f"{vid}: not_done names no form section: {sid}"
        for sid in v.get("not_done", ())
        if sid not in sections
    ]
    if not isinstance(v.get("findings"), dict):
        problems.append(f"{vid}: findings must be a mapping (use {{}} for none)")
    patient = v.get("patient", {})
    if not isinstance(patient, dict) or set(patient) - {"diabetes", "age"}:
        problems.append(f"{vid}: patient takes diabetes and age only")
    elif patient.get("diabetes", "unknown") not in DIABETES:
        problems.append(f"{vid}: diabetes must be yes, no or unknown")
    elif "age" in patient and not isinstance(patient["age"], int):
        problems.append(f"{vid}: age must be a whole number")
    if v.get("release", "none") not in {plan.value for plan in ReleasePlan}:
        problems.append(f"{vid}: release must be none, right, left or both")
    problems += [
        f"{vid}: acknowledged names no red flag: {flag}"
        for flag in v.get("acknowledged", ())
        if flag not in RED_FLAG_NAMES
    ]
    return problems


def _expect_problems(v: dict[str, Any]) -> list[str]:
    vid = v.get("id")
    expect = v.get("expect")
    if not isinstance(expect, dict):
        return [f"{vid}: expect must be a mapping"]
    problems = [f"{vid}: expect lacks {key}" for key in sorted(EXPECT_REQUIRED - set(expect))]
    problems += [
        f"{vid}: expect has unknown {key}"
        for key in sorted(set(expect) - EXPECT_REQUIRED - EXPECT_OPTIONAL)
    ]
    fires = set(expect.get("fires", ()))
    named: list[str] = [
        *expect.get("fires", ()),
        *expect.get("not", ()),
        *expect.get("held_back", ()),
        *expect.get("no_codes", ()),
        *(expect.get("codes") or {}),
        *(expect.get("sides") or {}),
        *(expect.get("confidence") or {}),
    ]
    problems += [f"{vid}: unknown rule key {key}" for key in named if key not in RULE_KEYS]
    both = fires & set(expect.get("not", ()))
    if both:
        problems.append(f"{vid}: {sorted(both)} both fire and must not")
    for field in ("held_back", "no_codes", "codes", "codes_now", "sides", "confidence"):
        unfired = [key for key in (expect.get(field) or ()) if key not in fires]
        if unfired:
            problems.append(f"{vid}: {field} names keys not in fires: {unfired}")
    for field in ("gate_open", "reason_needed"):
        if field in expect and not isinstance(expect[field], bool):
            problems.append(f"{vid}: {field} must be true or false")
    problems += [
        f"{vid}: sides of {key} must be right/left"
        for key, sides in (expect.get("sides") or {}).items()
        if not set(sides) <= {"right", "left"}
    ]
    problems += [
        f"{vid}: confidence of {key} must be low, moderate or high"
        for key, level in (expect.get("confidence") or {}).items()
        if level not in ("low", "moderate", "high")
    ]
    return problems


def test_every_vignette_has_the_required_shape() -> None:
    problems: list[str] = []
    for index, v in enumerate(vignettes()):
        problems += _shape_problems(v, index)
        if isinstance(v, dict):
            problems += _expect_problems(v)
    assert not problems, "\n".join(problems)


def test_vignette_ids_are_unique() -> None:
    counts = Counter(v.get("id") for v in vignettes())
    assert not [vid for vid, n in counts.items() if n > 1], f"duplicate ids: {counts}"


def test_every_rule_key_has_a_firing_vignette_and_a_near_miss() -> None:
    fires = {key for v in vignettes() for key in v["expect"].get("fires", ())}
    misses = {key for v in vignettes() for key in v["expect"].get("not", ())}
    assert not [k for k in RULE_KEYS if k not in fires], (
        f"rule keys no vignette fires: {[k for k in RULE_KEYS if k not in fires]}"
    )
    assert not [k for k in RULE_KEYS if k not in misses], (
        f"rule keys with no near miss: {[k for k in RULE_KEYS if k not in misses]}"
    )


def _path_problem(vid: str, path: str, value: Any) -> str | None:
    region = REGION_PATH.match(path)
    if region is not None:
        if region["code"] not in {code.value for code in RegionCode}:
            return f"{vid}: {path}: {region['code']} is not a sensory-map region"
        if not isinstance(value, dict):
            return f"{vid}: {path}: a region takes a mapping of its findings"
        return None
    if path not in LEAVES:
        return f"{vid}: {path} is not a path of the exam"
    if isinstance(value, bool):
        return f"{vid}: {path}: a boolean is never a finding (write yes or no)"
    return None


def test_every_finding_path_exists() -> None:
    problems = []
    for v in vignettes():
        for path, value in (v.get("findings") or {}).items():
            for target in expand_both(path):
                problem = _path_problem(v["id"], target, value)
                if problem:
                    problems.append(problem)
    assert not problems, "\n".join(problems)


def test_every_vignette_is_a_valid_exam() -> None:
    problems = []
    for v in vignettes():
        try:
            NeuroFootExam.model_validate(exam_data(v))
        except ValidationError as exc:
            problems += [f"{v['id']}: {error_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
    assert not problems, "\n".join(problems)
