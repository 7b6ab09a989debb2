"""Properties of the rule engine that hold for every exam (the vignettes test each rule)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from clinic_app.domain.assessment.codes import CODE_VERSION, SYMPTOM_CODES, VERIFIED_CODES
from clinic_app.domain.assessment.model import (
    Assessment,
    AssessmentContext,
    GateState,
    Laterality,
    PatientFacts,
    ReportWhen,
    Severity,
)
from clinic_app.domain.assessment.rules import ROUTINE_FOOT_RULES, assess
from clinic_app.domain.exam import NeuroFootExam, SensoryGrade, Side, Symptom
from clinic_app.domain.layout import field_spec, get_path, leaf_paths, set_path
from clinic_app.domain.regions import RegionCode

CHOICE_PATHS = [
    p for p in leaf_paths(NeuroFootExam) if field_spec(NeuroFootExam, p).kind == "choice"
]
REGION_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "light_touch": st.sampled_from([g.value for g in SensoryGrade]),
        "pin_prick": st.sampled_from([g.value for g in SensoryGrade]),
        "monofilament": st.sampled_from(["not_tested", "felt", "not_felt"]),
        "symptoms": st.none() | st.lists(st.sampled_from([s.value for s in Symptom]), max_size=4),
    },
)


@st.composite
def exams(draw: st.DrawFn) -> NeuroFootExam:
    """Random charted exams: any choice findings, regions, SLR angles and reflexes."""
    data: dict[str, Any] = NeuroFootExam().model_dump(mode="json")
    for path in draw(st.lists(st.sampled_from(CHOICE_PATHS), max_size=60, unique=True)):
        choices = field_spec(NeuroFootExam, path).choices
        set_path(data, path, draw(st.sampled_from(choices)))
    for side in Side:
        codes = draw(st.lists(st.sampled_from(list(RegionCode)), max_size=19, unique=True))
        data[side.value]["sensory"]["regions"] = {c.value: draw(REGION_VALUES) for c in codes}
        angle = draw(st.none() | st.integers(0, 90))
        data["lumbar"][side.value]["slr"]["angle_deg"] = angle
    try:
        return NeuroFootExam.model_validate(data)
    except ValidationError:
        # Cross-field rules (radiation only with a positive Tinel, ...) refuse some draws.
        return NeuroFootExam()


CONTEXTS = st.builds(
    AssessmentContext,
    patient=st.builds(
        PatientFacts,
        diabetes=st.none() | st.booleans(),
        age=st.none() | st.integers(0, 110),
    ),
    release_sides=st.sampled_from([(), (Side.RIGHT,), (Side.LEFT,), (Side.RIGHT, Side.LEFT)]),
    foot_primary_reason=st.sampled_from(["", "Plantar studies abnormal, MRI clear of roots."]),
    acknowledged_red_flags=st.sampled_from([(), ("saddle_numbness", "bladder_change")]),
    gate_overridden=st.booleans(),
    no_studies_acknowledged=st.booleans(),
)


def check_invariants(found: Assessment) -> None:
    """What every assessment must satisfy, whatever the findings."""
    keys = found.keys
    assert len(keys) == len(set(keys)), keys
    for s in found.suggestions:
        assert s.title
        assert s.sources, s.key
        assert s.reasons, s.key
        for c in s.codes:
            assert c.code in VERIFIED_CODES, c.code
            assert c.version == CODE_VERSION
            if c.code[:5] in ("G57.5", "G57.3"):
                assert c.laterality is not Laterality.NOT_APPLICABLE
            # Outpatient coding (10.12): no diagnosis code is ever reported now.
            assert (c.report_when is ReportWhen.NOW) == (c.code in SYMPTOM_CODES), c.code
        if s.rule in ("R3", "R4"):
            assert all(c.report_when is ReportWhen.NOW for c in s.codes), (
                "unverified branch diagnosis codes are never suggested"
            )
        if s.held_back:
            assert s.rule in ROUTINE_FOOT_RULES
            assert not found.urgent_acknowledged
    if found.urgent_flags and not found.urgent_acknowledged:
        assert found.get("R0-CES") is not None or found.get("R16") is not None
        assert all(s.held_back for s in found.suggestions if s.rule in ROUTINE_FOOT_RULES)
    if found.get("R1") is not None or found.get("R1-CHECK") is not None:
        lumbar = [s for s in found.suggestions if s.rule in ("R6", "R7", "R8", "R9")]
        assert (found.get("R10") is not None) == bool(lumbar), "R10 is never suppressed"
    if found.get("R10") is not None:
        assert found.get("R10").severity is Severity.WARNING  # type: ignore[union-attr]
    gate = found.gate
    assert (gate.state is GateState.BLOCKED) == bool(gate.unmet)
    assert (found.get("R11") is not None) == (gate.state is GateState.BLOCKED)
    severities = [s.severity for s in found.suggestions]
    order = [Severity.URGENT, Severity.WARNING, Severity.SUGGESTION]
    assert severities == sorted(severities, key=order.index)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exam=exams(), ctx=CONTEXTS)
def test_every_exam_assesses_without_error_and_keeps_the_invariants(
    exam: NeuroFootExam, ctx: AssessmentContext
) -> None:
    before = exam.model_dump(mode="json")
    found = assess(exam, ctx)
    check_invariants(found)
    assert assess(exam, ctx) == found, "the rules are pure"
    assert exam.model_dump(mode="json") == before, "the rules never change the exam"


LATERAL_PLANTAR = [
    RegionCode.PL_MID_LAT,
    RegionCode.PL_FORE_LAT,
    RegionCode.PL_TOE_4,
    RegionCode.PL_TOE_5,
]


@settings(max_examples=200, deadline=None)
@given(
    side=st.sampled_from(list(Side)),
    codes=st.lists(st.sampled_from(LATERAL_PLANTAR), min_size=1, unique=True),
    charts=st.lists(REGION_VALUES, min_size=4, max_size=4),
    tinel=st.sampled_from(["not_tested", "negative", "positive", "equivocal"]),
    lumbar_normal=st.booleans(),
)
def test_lateral_plantar_skin_alone_never_raises_s1_or_double_crush(
    side: Side,
    codes: list[RegionCode],
    charts: list[dict[str, Any]],
    tinel: str,
    lumbar_normal: bool,
) -> None:
    """10.12 R1: the lateral plantar nerve's skin (toe 5, toe 4, lateral forefoot and mid-sole)
    is part of the tibial pattern and never, by itself, an S1 sign."""
    data: dict[str, Any] = NeuroFootExam().model_dump(mode="json")
    data[side.value]["sensory"]["regions"] = {c.value: charts[i] for i, c in enumerate(codes)}
    data[side.value]["tinel"]["tarsal_tunnel"]["result"] = tinel
    if lumbar_normal:
        data["lumbar"]["back_pain"] = "no"
        for s in Side:
            leg = data["lumbar"][s.value]
            leg["leg_pain_below_knee"] = "no"
            leg["slr"]["symptom"] = "none"
            leg["achilles"]["grade"] = "2+"
    found = assess(NeuroFootExam.model_validate(data))
    assert found.get("R6") is None
    assert found.get("R10") is None


@settings(max_examples=150, deadline=None)
@given(exam=exams())
def test_every_path_a_reason_points_at_exists(exam: NeuroFootExam) -> None:
    data = exam.model_dump(mode="json")
    ctx = AssessmentContext(release_sides=(Side.RIGHT,))
    for s in assess(exam, ctx).suggestions:
        for f in s.findings:
            if f.path.startswith("assessment."):
                continue
            parts = f.path.split(".")
            if parts[1:3] == ["sensory", "regions"] and len(parts) == 4:
                # A region never charted is left out of the map: the path names its code.
                RegionCode(parts[3])
                get_path(data, ".".join(parts[:3]))
                continue
            get_path(data, f.path)  # raises KeyError for a path the exam does not have


def test_a_blank_exam_fires_nothing() -> None:
    """Blank is never read as normal, nor as abnormal."""
    found = assess(NeuroFootExam())
    assert found.suggestions == ()
    assert found.gate_open


def test_a_blank_exam_with_a_planned_release_lists_the_whole_lumbar_screen() -> None:
    found = assess(NeuroFootExam(), AssessmentContext(release_sides=(Side.LEFT,)))
    assert found.keys == ("R11",)
    assert len(found.lumbar_missing) == 1 + 2 * 15
    assert found.lumbar_missing[0] == "lumbar.back_pain"
    assert not found.foot_primary_reason_needed
