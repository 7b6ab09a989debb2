"""The typed neuro-foot exam: not-tested defaults, refusals, SLR derivation, round trips."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from clinic_app.domain.assessment.record import AssessmentRecord, ReleasePlan
from clinic_app.domain.encounter import CONTENT_SCHEMA_VERSION, EncounterContent
from clinic_app.domain.exam import (
    EXAM_SCHEMA_VERSION,
    SLR_HELP,
    TWO_POINT_HELP,
    Claudication,
    Clonus,
    Monofilament,
    NcsResult,
    NeedleEmg,
    NerveConduction,
    NeuroFootExam,
    PlantarResponse,
    Pulses,
    RegionFindings,
    SensoryGrade,
    SensoryMap,
    SlrSymptom,
    StraightLegRaise,
    Symptom,
    TestResult,
    TunnelImaging,
    WeaknessCourse,
)
from clinic_app.domain.layout import error_path, field_spec, get_path, leaf_paths, set_path
from clinic_app.domain.regions import REGIONS, RegionCode, RegionGroup

TODAY = date(2026, 3, 14)
LEAVES = leaf_paths(NeuroFootExam)
SOLE = [code for code in RegionCode if REGIONS[code].group is RegionGroup.PLANTAR]
NOT_SOLE = [code for code in RegionCode if REGIONS[code].group is not RegionGroup.PLANTAR]


def exam_with(path: str, value: Any, **more: Any) -> dict[str, Any]:
    """Exam JSON with one value set (plus more, given as path__with__underscores=value)."""
    data: dict[str, Any] = {}
    set_path(data, path, value)
    for key, extra in more.items():
        set_path(data, key.replace("__", "."), extra)
    return data


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    """Each error's dotted location -> message."""
    return {error_path(err["loc"]): err["msg"] for err in exc.value.errors()}


# --- a blank exam has no finding --------------------------------------------------------------


def test_every_leaf_starts_in_its_explicit_not_tested_state() -> None:
    blank = NeuroFootExam().model_dump(mode="json")
    wrong = []
    for path in LEAVES:
        spec = field_spec(NeuroFootExam, path)
        expected: Any = {
            "choice": "not_tested",
            "multi_choice": [],
            "integer": None,
            "date": None,
            "text": "",
            "other": {},
        }[spec.kind]
        if spec.kind == "choice" and spec.choices[0] != "not_tested":
            wrong.append(f"{path}: the scale does not start with not_tested {spec.choices}")
        if get_path(blank, path) != expected:
            wrong.append(f"{path}: default {get_path(blank, path)!r}, expected {expected!r}")
    assert not wrong, "\n".join(wrong)


def test_an_empty_document_is_the_blank_exam() -> None:
    assert NeuroFootExam.model_validate({}) == NeuroFootExam()


# --- refusals with the messages the form shows ------------------------------------------------


@pytest.mark.parametrize("angle", [120, -1, "abc", 91, 4.5, True])
def test_slr_angle_out_of_range_is_refused_on_the_angle_field(angle: object) -> None:
    with pytest.raises(ValidationError) as exc:
        NeuroFootExam.model_validate(exam_with("lumbar.right.slr.angle_deg", angle))
    found = messages(exc)
    assert list(found) == ["lumbar.right.slr.angle_deg"]
    assert SLR_HELP in found["lumbar.right.slr.angle_deg"]


@pytest.mark.parametrize(
    ("typed", "stored"), [(0, 0), (90, 90), ("45", 45), (" 30 ", 30), ("", None)]
)
def test_slr_angle_accepts_whole_degrees_as_typed(typed: object, stored: int | None) -> None:
    exam = NeuroFootExam.model_validate(exam_with("lumbar.left.slr.angle_deg", typed))
    assert exam.lumbar.left.slr.angle_deg == stored


@pytest.mark.parametrize("distance", [-3, 0, 101, "x", 2.5])
def test_two_point_distance_out_of_range_is_refused(distance: object) -> None:
    path = "right.sensory.regions.PL-HALLUX.two_point_mm"
    with pytest.raises(ValidationError) as exc:
        NeuroFootExam.model_validate(exam_with(path, distance))
    found = messages(exc)
    assert list(found) == [path]
    assert TWO_POINT_HELP in found[path]


def test_two_point_distance_accepts_whole_millimetres() -> None:
    assert RegionFindings.model_validate({"two_point_mm": "12"}).two_point_mm == 12
    assert RegionFindings.model_validate({"two_point_mm": 1}).two_point_mm == 1
    assert RegionFindings.model_validate({"two_point_mm": 100}).two_point_mm == 100


FUTURE_DATES = [
    pytest.param(
        exam_with("red_flags.saddle_numbness.onset", "2026-03-15"),
        "red_flags.saddle_numbness.present",
        "onset date is in the future",
        id="red-flag-onset",
    ),
    pytest.param(
        exam_with("left.history.release_date", "2026-04-01"),
        "left.history.previous_release",
        "release date is in the future",
        id="release-date",
    ),
]


@pytest.mark.parametrize(("data", "yes_path", "message"), FUTURE_DATES)
def test_a_future_date_is_refused_only_when_today_is_known(
    data: dict[str, Any], yes_path: str, message: str
) -> None:
    data = copy.deepcopy(data)
    set_path(data, yes_path, "yes")
    with pytest.raises(ValidationError, match=message):
        NeuroFootExam.model_validate(data, context={"today": TODAY})
    # Without a clock (e.g. reading a stored exam) the date stands.
    NeuroFootExam.model_validate(data)


def test_today_itself_is_not_the_future() -> None:
    data = exam_with(
        "red_flags.bladder_change.onset",
        TODAY.isoformat(),
        red_flags__bladder_change__present="yes",
    )
    exam = NeuroFootExam.model_validate(data, context={"today": TODAY})
    assert exam.red_flags.bladder_change.onset == TODAY


@pytest.mark.parametrize("present", ["no", "not_tested", None])
def test_an_onset_date_needs_the_red_flag_answered_yes(present: str | None) -> None:
    data = exam_with("red_flags.bowel_change.onset", "2026-03-01")
    if present is not None:
        set_path(data, "red_flags.bowel_change.present", present)
    with pytest.raises(ValidationError, match="onset date needs the red flag answered yes"):
        NeuroFootExam.model_validate(data)


def test_a_release_date_needs_a_previous_release() -> None:
    data = exam_with(
        "right.history.release_date", "2020-05-01", right__history__previous_release="no"
    )
    with pytest.raises(ValidationError, match="release date needs 'previous release'"):
        NeuroFootExam.model_validate(data)


@pytest.mark.parametrize("code", NOT_SOLE)
def test_distal_tinel_radiation_off_the_sole_is_refused(code: RegionCode) -> None:
    data = exam_with(
        "left.tinel.tarsal_tunnel.radiates_distal",
        [code.value],
        left__tinel__tarsal_tunnel__result="positive",
    )
    with pytest.raises(ValidationError, match=f"{code.value} is not one"):
        NeuroFootExam.model_validate(data)


@pytest.mark.parametrize("result", ["negative", "not_tested"])
def test_distal_tinel_radiation_needs_a_positive_or_equivocal_tinel(result: str) -> None:
    data = exam_with(
        "right.tinel.medial_calcaneal.radiates_distal",
        ["PL-HEEL-MED"],
        right__tinel__medial_calcaneal__result=result,
    )
    with pytest.raises(ValidationError, match="only for a positive or equivocal Tinel"):
        NeuroFootExam.model_validate(data)


@pytest.mark.parametrize("result", ["positive", "equivocal"])
def test_distal_tinel_radiation_is_kept_once_in_map_order(result: str) -> None:
    data = exam_with(
        "right.tinel.tarsal_tunnel.radiates_distal",
        ["PL-TOE-5", "PL-HEEL-MED", "PL-TOE-5"],
        right__tinel__tarsal_tunnel__result=result,
    )
    tinel = NeuroFootExam.model_validate(data).right.tinel.tarsal_tunnel
    assert tinel.radiates_distal == (RegionCode.PL_HEEL_MED, RegionCode.PL_TOE_5)


def test_reproduced_symptoms_need_a_positive_dorsiflexion_eversion_test() -> None:
    data = exam_with(
        "left.provocation.dorsiflexion_eversion_reproduced",
        ["pain"],
        left__provocation__dorsiflexion_eversion="negative",
    )
    with pytest.raises(ValidationError, match="dorsiflexion-eversion"):
        NeuroFootExam.model_validate(data)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        NeuroFootExam.model_validate(exam_with("right.tinel.tarsal_tunnel.valleix", "yes"))


# --- SLR positivity is derived (R13) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("symptom", "angle", "positive"),
    [
        (SlrSymptom.BELOW_KNEE, 45, True),
        (SlrSymptom.TO_FOOT, 30, True),
        (SlrSymptom.TO_FOOT, 70, True),
        (SlrSymptom.TO_FOOT, 80, False),
        (SlrSymptom.BELOW_KNEE, 20, False),
        (SlrSymptom.BELOW_KNEE, 29, False),
        (SlrSymptom.BELOW_KNEE, 71, False),
        (SlrSymptom.BACK_ONLY, 45, False),
        (SlrSymptom.BUTTOCK_THIGH, 45, False),
        (SlrSymptom.NONE, None, False),
        (SlrSymptom.NOT_TESTED, 45, None),
        (SlrSymptom.NOT_TESTED, None, None),
        (SlrSymptom.BELOW_KNEE, None, None),
    ],
)
def test_slr_positive_follows_r13(
    symptom: SlrSymptom, angle: int | None, positive: bool | None
) -> None:
    assert StraightLegRaise(symptom=symptom, angle_deg=angle).positive is positive


# --- the sensory map --------------------------------------------------------------------------


def test_regions_charted_back_to_not_tested_are_dropped() -> None:
    numb = RegionFindings(light_touch=SensoryGrade.REDUCED, symptoms=(Symptom.NUMB,))
    clicked_about = SensoryMap(
        regions={
            RegionCode.PL_TOE_5: RegionFindings(),
            RegionCode.PL_HALLUX: numb,
            RegionCode.DO_MID: RegionFindings(monofilament=Monofilament.NOT_TESTED),
        }
    )
    straight = SensoryMap(regions={RegionCode.PL_HALLUX: numb})
    assert clicked_about == straight
    assert list(clicked_about.regions) == [RegionCode.PL_HALLUX]
    assert clicked_about.region(RegionCode.PL_TOE_5).is_blank
    assert SensoryMap(regions={RegionCode.LG_MED: RegionFindings()}) == SensoryMap()


def test_region_order_does_not_depend_on_charting_order() -> None:
    felt = RegionFindings(monofilament=Monofilament.FELT)
    first = SensoryMap(regions={RegionCode.LG_POST: felt, RegionCode.PL_HEEL_MED: felt})
    second = SensoryMap(regions={RegionCode.PL_HEEL_MED: felt, RegionCode.LG_POST: felt})
    assert first.model_dump_json() == second.model_dump_json()


def test_asked_and_no_symptom_differs_from_not_asked() -> None:
    assert RegionFindings(symptoms=()).is_blank is False
    assert RegionFindings(symptoms=None).is_blank is True


# --- JSON round trips and versions ------------------------------------------------------------


def _integers(path: str) -> st.SearchStrategy[int | None]:
    spec = field_spec(NeuroFootExam, path)
    low, high = (0, 90) if path.endswith("slr.angle_deg") else (spec.minimum, spec.maximum)
    return st.none() | st.integers(min_value=low, max_value=high)


region_findings = st.builds(
    RegionFindings,
    light_touch=st.sampled_from(SensoryGrade),
    pin_prick=st.sampled_from(SensoryGrade),
    monofilament=st.sampled_from(Monofilament),
    two_point_mm=st.none() | st.integers(min_value=1, max_value=100),
    symptoms=st.none() | st.lists(st.sampled_from(Symptom)).map(tuple),
)


@st.composite
def exam_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Exam JSON with every leaf drawn from what its field accepts, kept consistent."""
    data: dict[str, Any] = {}
    for path in LEAVES:
        spec = field_spec(NeuroFootExam, path)
        value: Any
        if spec.kind == "choice":
            value = draw(st.sampled_from(spec.choices))
        elif spec.kind == "multi_choice":
            options = SOLE if path.endswith("radiates_distal") else spec.choices
            value = draw(st.lists(st.sampled_from([str(o) for o in options]), max_size=4))
        elif spec.kind == "integer":
            value = draw(_integers(path))
        elif spec.kind == "date":
            value = draw(st.none() | st.dates(max_value=TODAY).map(date.isoformat))
        elif spec.kind == "text":
            value = draw(st.text(max_size=30))
        else:
            found = draw(st.dictionaries(st.sampled_from(RegionCode), region_findings, max_size=5))
            value = {code.value: f.model_dump(mode="json") for code, f in found.items()}
        set_path(data, path, value)
    # Drop what the cross-field rules would refuse, so every drawn document is valid.
    for path in LEAVES:
        parent, _, name = path.rpartition(".")
        siblings = get_path(data, parent)
        if name == "radiates_distal" and siblings["result"] not in ("positive", "equivocal"):
            siblings[name] = []
        if name == "dorsiflexion_eversion_reproduced" and siblings["dorsiflexion_eversion"] not in (
            "positive",
            "equivocal",
        ):
            siblings[name] = []
        if path.startswith("red_flags.") and name == "onset" and siblings["present"] != "yes":
            siblings[name] = None
        if name == "release_date" and siblings["previous_release"] != "yes":
            siblings[name] = None
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exam_documents())
def test_any_valid_exam_round_trips_through_json(document: dict[str, Any]) -> None:
    exam = NeuroFootExam.model_validate(document, context={"today": TODAY})
    assert NeuroFootExam.model_validate(exam.model_dump(mode="json")) == exam
    assert NeuroFootExam.model_validate_json(exam.model_dump_json()) == exam


def test_a_full_exam_round_trips_through_json() -> None:
    exam = NeuroFootExam.model_validate(
        exam_with(
            "right.tinel.tarsal_tunnel.result",
            TestResult.POSITIVE.value,
            right__tinel__tarsal_tunnel__radiates_distal=["PL-ARCH-MED", "PL-HALLUX"],
            right__tinel__tarsal_tunnel__radiates_proximal_valleix="yes",
            right__sensory__regions={"PL-ARCH-MED": {"light_touch": "reduced", "symptoms": []}},
            lumbar__left__slr={"angle_deg": 40, "symptom": "to_foot"},
            red_flags__saddle_numbness={"present": "yes", "onset": "2026-03-10"},
            history__pain_score=7,
        )
    )
    assert exam.lumbar.left.slr.positive is True
    assert NeuroFootExam.model_validate(exam.model_dump(mode="json")) == exam


def test_a_newer_exam_schema_version_is_refused_clearly() -> None:
    with pytest.raises(ValidationError, match=r"version 4 is newer than this app understands"):
        NeuroFootExam.model_validate({"schema_version": 4})


def test_a_version_1_exam_opens_with_nerve_conduction_not_tested() -> None:
    stored = {"schema_version": 1, "right": {"tinel": {"tarsal_tunnel": {"result": "positive"}}}}
    exam = NeuroFootExam.model_validate(stored)
    assert exam.schema_version == EXAM_SCHEMA_VERSION
    assert exam.right.tinel.tarsal_tunnel.result is TestResult.POSITIVE
    assert exam.right.nerve_conduction == NerveConduction()


def test_a_version_2_exam_opens_with_the_2026_12_items_not_tested() -> None:
    stored = {
        "schema_version": 2,
        "right": {"nerve_conduction": {"medial_plantar": "abnormal"}},
        "lumbar": {"left": {"achilles": {"grade": "1+"}}},
    }
    exam = NeuroFootExam.model_validate(stored)
    assert exam.schema_version == 3
    assert exam.right.nerve_conduction.medial_plantar is NcsResult.ABNORMAL
    assert exam.right.nerve_conduction.needle_emg is NeedleEmg.NOT_TESTED
    assert exam.right.imaging_tunnel is TunnelImaging.NOT_TESTED
    assert exam.right.pulses == Pulses()
    assert exam.lumbar.left.plantar_response is PlantarResponse.NOT_TESTED
    assert exam.lumbar.left.ankle_clonus is Clonus.NOT_TESTED
    assert exam.lumbar.left.weakness_onset_weeks is None
    assert exam.lumbar.left.weakness_course is WeaknessCourse.NOT_TESTED
    assert exam.lumbar.claudication == Claudication()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("lumbar", "right", "weakness_onset_weeks"), -1),
        (("lumbar", "right", "weakness_onset_weeks"), "soon"),
        (("lumbar", "claudication", "walk_minutes_to_symptoms"), 601),
        (("right", "pulses", "dorsalis_pedis"), "weak"),
        (("left", "imaging_tunnel"), "ganglion"),
        (("left", "nerve_conduction", "needle_emg"), "l5"),
        (("lumbar", "left", "plantar_response"), "upgoing"),
        (("lumbar", "left", "ankle_clonus"), "3 beats"),
    ],
)
def test_the_2026_12_items_refuse_a_bad_value_at_the_field(
    path: tuple[str, ...], value: object
) -> None:
    data: dict[str, object] = {}
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})  # type: ignore[assignment]
    node[path[-1]] = value
    with pytest.raises(ValidationError) as caught:
        NeuroFootExam.model_validate(data)
    assert tuple(caught.value.errors()[0]["loc"]) == path


def test_version_1_encounter_content_opens_with_a_blank_exam() -> None:
    content = EncounterContent.model_validate({"schema_version": 1, "notes": "x", "plan": "y"})
    assert content.schema_version == CONTENT_SCHEMA_VERSION == 4
    assert content.exam == NeuroFootExam()
    assert content.release is ReleasePlan.NONE
    assert content.assessment == AssessmentRecord()
    assert (content.notes, content.plan) == ("x", "y")


def test_version_1_encounter_content_opens_from_stored_json() -> None:
    content = EncounterContent.model_validate_json(
        '{"schema_version": 1, "notes": "x", "plan": "y"}'
    )
    assert content.exam == NeuroFootExam()
    assert content.model_dump(mode="json")["schema_version"] == 4


def test_version_2_encounter_content_opens_with_no_release_and_no_decisions() -> None:
    content = EncounterContent.model_validate(
        {"schema_version": 2, "plan": "orthotics", "exam": {"schema_version": 1}}
    )
    assert content.schema_version == 4
    assert content.plan == "orthotics"
    assert content.release is ReleasePlan.NONE
    assert content.assessment.decisions == {}


def test_a_newer_encounter_content_version_is_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="version 5 is not one this app understands"):
        EncounterContent.model_validate({"schema_version": 5})


def test_version_3_encounter_content_opens_with_no_teach_back_and_no_signed_assessment() -> None:
    content = EncounterContent.model_validate(
        {"schema_version": 3, "plan": "orthotics", "release": "right"}
    )
    assert content.schema_version == 4
    assert content.release is ReleasePlan.RIGHT
    assert content.teach_back.done is False
    assert content.signed_assessment is None
