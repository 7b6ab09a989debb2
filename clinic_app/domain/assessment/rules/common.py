"""What every rule family shares: wording tables, per-side reasons and finding helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from clinic_app.domain.assessment.findings import fired, involved, names, region_findings, weak
from clinic_app.domain.assessment.model import (
    AssessmentContext,
    CodeSuggestion,
    Confidence,
    FiredFinding,
    Reason,
    Severity,
    Suggestion,
)
from clinic_app.domain.exam import (
    FootExam,
    Functional,
    LumbarSide,
    NeuroFootExam,
    PainReach,
    Side,
    SlrSymptom,
    TestResult,
    YesNo,
)
from clinic_app.domain.regions import RegionCode

Rule = Callable[[NeuroFootExam, AssessmentContext], Iterable[Suggestion]]

SideHits = dict[Side, list[Reason]]


@dataclass(frozen=True)
class Wording:
    """What one suggestion says: its title, why, next step and the reference's source tags."""

    rule: str
    severity: Severity
    title: str
    why: str = ""
    next_step: str = ""
    sources: tuple[str, ...] = ()
    coding_note: str = ""

    def suggest(
        self,
        key: str,
        reasons: Iterable[Reason],
        sides: tuple[Side, ...] = (),
        *,
        confidence: Confidence | None = None,
        codes: tuple[CodeSuggestion, ...] = (),
        title: str | None = None,
    ) -> Suggestion:
        """The suggestion with this wording, its reasons and (diagnosis) codes."""
        return Suggestion(
            key=key,
            rule=self.rule,
            severity=self.severity,
            title=title if title is not None else self.title,
            sides=sides,
            confidence=confidence,
            reasons=tuple(reasons),
            why=self.why,
            next_step=self.next_step,
            sources=self.sources,
            codes=codes,
            coding_note=self.coding_note,
        )


def side_word(side: Side) -> str:
    """Right or Left, capitalised, for a reason line."""
    return side.value.capitalize()


def sides_of(hits: SideHits) -> tuple[Side, ...]:
    """The sides with at least one reason, in Side order."""
    return tuple(side for side in Side if hits.get(side))


def reasons_of(hits: SideHits) -> tuple[Reason, ...]:
    """Every reason, right side first."""
    return tuple(reason for side in Side for reason in hits.get(side, ()))


def r(side: Side, text: str, *findings: FiredFinding) -> Reason:
    """A reason about one side."""
    return Reason(text=f"{side_word(side)}: {text}", findings=findings)


def foot(side: Side, path: str, value: object) -> FiredFinding:
    """A finding on one foot."""
    return fired(f"{side.value}.{path}", value)


def leg(side: Side, path: str, value: object) -> FiredFinding:
    """A finding of the sided lumbar screen."""
    return fired(f"lumbar.{side.value}.{path}", value)


def regions_reason(side: Side, found: FootExam, text: str, codes: list[RegionCode]) -> Reason:
    """A reason naming sensory-map regions, with their charted findings."""
    return r(side, f"{text}: {names(codes)}", *region_findings(side, found, codes))


def positive(result: TestResult) -> bool:
    """Charted positive."""
    return result is TestResult.POSITIVE


def short(path: str) -> str:
    """A compact, readable name for a path in a reason line."""
    parts = path.split(".")
    if parts[1:3] == ["sensory", "regions"]:
        return parts[3]
    return " ".join(p.replace("_", " ") for p in parts[1:] if p not in ("grade", "result"))


def motor_reasons(side: Side, lumbar: LumbarSide, *tests: tuple[str, str]) -> list[Reason]:
    """A reason per weak myotome (MRC below 5) or failed heel/toe walk, in the order given."""
    reasons: list[Reason] = []
    for name, label in tests:
        value = getattr(lumbar.myotomes, name)
        if isinstance(value, Functional):
            if value is Functional.UNABLE:
                reasons.append(r(side, f"unable to {label}", leg(side, f"myotomes.{name}", value)))
        elif weak(value):
            reasons.append(
                r(side, f"{label} {value.value}/5", leg(side, f"myotomes.{name}", value))
            )
    return reasons


# --- leg symptoms below the knee, read from every field that says so (10.12 R6) ------------

_BELOW_KNEE_SLR = (SlrSymptom.BELOW_KNEE, SlrSymptom.TO_FOOT)
_BELOW_KNEE_REACH = (PainReach.CALF, PainReach.FOOT)


def _side_has_own_leg_symptoms(exam: NeuroFootExam, side: Side) -> bool:
    lumbar = exam.lumbar.side(side)
    return (
        lumbar.leg_pain_below_knee is YesNo.YES
        or lumbar.slr.symptom in _BELOW_KNEE_SLR
        or bool(involved(exam.foot(side)))
    )


def pain_reach_sides(exam: NeuroFootExam) -> tuple[Side, ...]:
    """The legs "how far the pain reaches" speaks of, when it reaches below the knee.

    The question is asked once, not per leg: it is read as the leg or legs with symptoms of
    their own (leg pain, an SLR leg symptom, nerve findings in the foot), or both when
    neither has any.
    """
    if exam.lumbar.pain_reaches not in _BELOW_KNEE_REACH:
        return ()
    own = tuple(side for side in Side if _side_has_own_leg_symptoms(exam, side))
    return own or tuple(Side)


def leg_symptoms_below_knee(exam: NeuroFootExam, side: Side) -> list[FiredFinding]:
    """The findings saying this leg has symptoms below the knee (any field), or none."""
    lumbar = exam.lumbar
    this = lumbar.side(side)
    found: list[FiredFinding] = []
    if this.leg_pain_below_knee is YesNo.YES:
        found.append(leg(side, "leg_pain_below_knee", YesNo.YES))
    if side in pain_reach_sides(exam):
        found.append(fired("lumbar.pain_reaches", lumbar.pain_reaches))
    if this.slr.symptom in _BELOW_KNEE_SLR:
        found.append(leg(side, "slr.symptom", this.slr.symptom))
    return found


def leg_symptomatic(exam: NeuroFootExam, side: Side) -> bool:
    """This leg has symptoms: below the knee, in the foot, or on a crossed SLR."""
    return bool(
        leg_symptoms_below_knee(exam, side)
        or involved(exam.foot(side))
        or positive(exam.lumbar.side(side).crossed_slr)
    )
