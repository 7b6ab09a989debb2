"""The live assessment panel's screen state: the pre-operative gate card and the suggestion cards.

Plain Python, no Qt: ``AssessmentPanelPresenter`` turns an ``Assessment`` (with the release
plan, the stored decisions and the gate's records) into frozen states the view only draws,
and the tests check without a QApplication. It also knows when a refused signature's line has
been answered (every item it named is now met), so the screen can take the red line away.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from clinic_app.domain.assessment.model import (
    OVERRIDABLE_ITEMS,
    Assessment,
    Gate,
    GateCheck,
    GateItem,
    GateState,
    Laterality,
    Reason,
    ReportWhen,
    Severity,
    Suggestion,
)
from clinic_app.domain.assessment.record import (
    Choice,
    Decision,
    GateOverride,
    RedFlagAcknowledgement,
    StudiesAcknowledgement,
)
from clinic_app.domain.exam import Side

SEVERITY_WORD: dict[Severity, str] = {
    Severity.URGENT: "URGENT",
    Severity.WARNING: "WARNING",
    Severity.SUGGESTION: "SUGGESTION",
}
"""Severity is always written as well as coloured: colour alone is not enough."""

REASON_FOR_GATE = "assessment.foot_primary_reason"
"""The path the R11 card (and a refused signature) point at for the written reason."""
GATE_RULE = "R11"
"""Its suggestion is shown by the gate card, which lists the unmet items one by one."""
GATE_LINKS_SHOWN = 8
"""Untested lumbar items listed one by one; the rest are summed up in one more link."""
DECISION_PREFIX = "assessment.decisions."
"""A refused signature names an undecided card by this prefix and the suggestion key."""

NEXT_STEP_ASKS_FOR: dict[str, frozenset[GateItem]] = {
    "R10": frozenset({GateItem.LUMBAR_SCREEN, GateItem.NERVE_STUDIES}),
}
"""Rules whose next step asks for what the gate checks: once the gate has it, that line is
done, not a step still to take (R10: "complete the lumbar screen and electrodiagnosis")."""

CODE_HEADINGS: tuple[tuple[ReportWhen, str], ...] = (
    (ReportWhen.NOW, "Report now (signs and symptoms)"),
    (ReportWhen.CONFIRMED, "Only once confirmed (diagnosis)"),
)
"""Codes to report now apart from those reported once the diagnosis is confirmed (10.12)."""


@dataclass(frozen=True)
class Line:
    """A line of text; with paths it is a link that takes the cursor to those findings."""

    text: str
    paths: tuple[str, ...] = ()
    tip: str = ""


@dataclass(frozen=True)
class CodeLine:
    """One suggested code as it reads on a card."""

    code: str
    description: str
    side: str = ""
    """'right', 'left' or 'bilateral'; empty when the code names no limb."""
    note: str = ""


@dataclass(frozen=True)
class CodeGroup:
    """The codes reported at one moment (now, or once confirmed), under their heading."""

    when: ReportWhen
    heading: str
    code_set: str
    codes: tuple[CodeLine, ...]


@dataclass(frozen=True)
class CardState:
    """One suggestion card: a one-line head (severity and title) and the body shown expanded."""

    key: str
    severity: Severity
    title: str
    meta: str
    """Key, sides and confidence: 'R1 · Right · confidence moderate'."""
    reasons: tuple[Line, ...] = ()
    why: str = ""
    next_step: str = ""
    next_done: bool = False
    """True when the rule's next step is already met (the gate has it): said as done."""
    code_groups: tuple[CodeGroup, ...] = ()
    coding_note: str = ""
    sources: str = ""
    """Source tags as '[DELLON] [PATEL]'."""

    @property
    def severity_word(self) -> str:
        """The severity in capitals, as the badge reads."""
        return SEVERITY_WORD[self.severity]

    @property
    def one_line(self) -> str:
        """The whole head on one line (tooltips and screen readers): 'Warning: title'."""
        return f"{self.severity_word.capitalize()}: {self.title}"


@dataclass(frozen=True)
class DecisionState:
    """What a card shows of the clinician's choice, and which keys and buttons act."""

    state: str
    """'undecided', 'accepted' (confirmed or working) or 'dismissed': the style to use."""
    text: str
    short: str
    """The choice in a word or two, as a closed card's line shows it (the tooltip: text)."""
    can_decide: bool
    """Confirm (C), Working (W) and Dismiss (D) are offered."""
    can_change: bool
    """Change decision (X) is offered."""
    comment_editable: bool
    folded: bool
    """A dismissed card keeps only its head and choice: its body stays folded."""


@dataclass(frozen=True)
class UnmetItem:
    """One unmet gate item, the sides it is unmet on (once when it reads the same on both)."""

    item: GateItem
    sides: tuple[Side, ...]
    label: str
    paths: tuple[str, ...]

    @property
    def where(self) -> str:
        """'Right', 'Left' or 'Right and left'."""
        return " and ".join(side.value for side in self.sides).capitalize()


@dataclass(frozen=True)
class GateRecord:
    """The gate's stored override and acknowledgement, and whether this user may act."""

    override: GateOverride | None = None
    studies: StudiesAcknowledgement | None = None
    can_act: bool = False


@dataclass(frozen=True)
class GateCardState:
    """The pre-operative gate card (R11), pinned above the suggestion cards."""

    shown: bool
    state: GateState = GateState.NOT_APPLICABLE
    title: str = ""
    meta: str = ""
    text: str = ""
    """A line under the title (the override's effect); the unmet items speak for themselves."""
    met: str = ""
    """What an open gate found met (shown with its details)."""
    unmet: tuple[UnmetItem, ...] = ()
    lines: tuple[Line, ...] = ()
    """The unmet items (untested lumbar items one by one), then the advisories."""
    record: tuple[str, ...] = ()
    can_acknowledge_studies: bool = False
    can_override: bool = False
    why: str = ""
    next_step: str = ""
    sources: str = ""

    @property
    def is_open(self) -> bool:
        """True when the gate no longer refuses signing (open, or passed by override)."""
        return self.shown and self.state is not GateState.BLOCKED

    @property
    def severity(self) -> str:
        """'warning' while blocked, 'ok' once open: the colour to use."""
        return "warning" if self.state is GateState.BLOCKED else "ok"

    @property
    def badge(self) -> str:
        """The state in capitals."""
        return {
            GateState.BLOCKED: "BLOCKED",
            GateState.OVERRIDDEN: "OVERRIDDEN",
        }.get(self.state, "GATE OPEN")


HIDDEN_GATE = GateCardState(shown=False)


@dataclass(frozen=True)
class PanelState:
    """Everything the panel shows for one assessment, besides the decisions."""

    gate: GateCardState = HIDDEN_GATE
    cards: tuple[CardState, ...] = ()
    held_back: str = ""
    empty: bool = True
    code_note: str = ""
    keys: tuple[str, ...] = field(default=())
    """The cards' keys in the order shown: urgent first, then the assessment's order."""


# --- cards ------------------------------------------------------------------------------------


def sides_text(suggestion: Suggestion) -> str:
    """'Right', 'Left', 'Both sides' or '' for a suggestion about the patient as a whole."""
    if len(suggestion.sides) == 2:
        return "Both sides"
    return " ".join(side.value.capitalize() for side in suggestion.sides)


def paths_of(reason: Reason) -> tuple[str, ...]:
    """The exam paths a reason points at, each once, in order."""
    return tuple(dict.fromkeys(found.path for found in reason.findings))


def sources_text(tags: Sequence[str]) -> str:
    """Source tags as they read on screen: '[DELLON] [PATEL]'."""
    return " ".join(f"[{tag}]" for tag in tags)


def code_groups(suggestion: Suggestion, code_set: str) -> tuple[CodeGroup, ...]:
    """The card's codes by when they may be reported: now, then once confirmed."""
    groups: list[CodeGroup] = []
    for when, heading in CODE_HEADINGS:
        codes = tuple(
            CodeLine(
                code=code.code,
                description=code.description,
                side="" if code.laterality is Laterality.NOT_APPLICABLE else code.laterality.value,
                note=code.note,
            )
            for code in suggestion.codes
            if code.report_when is when
        )
        if codes:
            groups.append(CodeGroup(when=when, heading=heading, code_set=code_set, codes=codes))
    return tuple(groups)


def next_step_met(suggestion: Suggestion, gate: Gate) -> str:
    """What replaces a next step the gate already has, or '' while it is still to do.

    Only for rules whose step asks for gate items (``NEXT_STEP_ASKS_FOR``), only while a
    release is planned on every side the suggestion names, and only once none of those items
    is unmet on any planned side.
    """
    asks = NEXT_STEP_ASKS_FOR.get(suggestion.rule)
    if not asks or not gate.sides or not set(suggestion.sides) <= set(gate.sides):
        return ""
    if any(check.item in asks for check in gate.unmet):
        return ""
    acknowledged = any(check.item is GateItem.NERVE_STUDIES for check in gate.acknowledged)
    studies = (
        "signing without nerve studies is acknowledged"
        if acknowledged
        else "the nerve studies are in"
    )
    return f"The lumbar screen is complete and {studies} (pre-operative gate)."


def card_state(suggestion: Suggestion, code_set: str, gate: Gate | None = None) -> CardState:
    """One suggestion as its card shows it; ``gate`` tells a next step already met."""
    meta = [suggestion.key]
    if suggestion.sides:
        meta.append(sides_text(suggestion))
    if suggestion.confidence is not None:
        meta.append(f"confidence {suggestion.confidence.value}")
    done = next_step_met(suggestion, gate) if gate is not None else ""
    return CardState(
        key=suggestion.key,
        severity=suggestion.severity,
        title=suggestion.title,
        meta=" · ".join(meta),
        reasons=tuple(
            Line(
                reason.text,
                paths_of(reason),
                "Go to " + ", ".join(paths_of(reason)) + " (Enter)" if reason.findings else "",
            )
            for reason in suggestion.reasons
        ),
        why=suggestion.why,
        next_step=done or suggestion.next_step,
        next_done=bool(done),
        code_groups=code_groups(suggestion, code_set),
        coding_note=suggestion.coding_note,
        sources=sources_text(suggestion.sources),
    )


def decision_state(decision: Decision | None, read_only: bool) -> DecisionState:
    """What a card shows of a choice (made or not), editable or as signed."""
    when_signed = " when signed" if read_only else ""
    if decision is None:
        state = "undecided"
        text = "No decision recorded when signed." if read_only else ""
        short = "no decision" if read_only else ""
    elif decision.choice is Choice.DISMISSED:
        state = "dismissed"
        text = f"✗ Dismissed{when_signed}"
        short = "✗ Dismissed"
    else:
        state = "accepted"
        text = f"✓ {decision.choice.sentence}{when_signed}"
        short = "✓ Confirmed" if decision.choice is Choice.CONFIRMED else "✓ Working"
    if decision is not None and decision.comment and read_only:
        text += f": {decision.comment}"
    return DecisionState(
        state=state,
        text=text,
        short=short,
        can_decide=not read_only and decision is None,
        can_change=not read_only and decision is not None,
        comment_editable=not read_only,
        folded=state == "dismissed",
    )


# --- the gate ---------------------------------------------------------------------------------


def unmet_items(checks: Sequence[GateCheck]) -> tuple[UnmetItem, ...]:
    """Unmet checks grouped: an item that reads the same on both sides is one item."""
    grouped: dict[tuple[GateItem, str, tuple[str, ...]], list[Side]] = {}
    for check in checks:
        grouped.setdefault((check.item, check.label, check.paths), []).append(check.side)
    return tuple(
        UnmetItem(item=item, sides=tuple(sides), label=label, paths=paths)
        for (item, label, paths), sides in grouped.items()
    )


def item_lines(items: Sequence[UnmetItem], label_of: Callable[[str], str]) -> list[Line]:
    """A line per unmet item; the untested lumbar items each get their own link."""
    lines: list[Line] = []
    for unmet in items:
        if unmet.item is GateItem.LUMBAR_SCREEN:
            lines.append(
                Line(f"{unmet.where}: {unmet.label} (Alt+N in a section fills its normal)")
            )
            lines += [
                Line(f"Not tested: {label_of(path)}", (path,), f"Go to {path} (Enter)")
                for path in unmet.paths[:GATE_LINKS_SHOWN]
            ]
            rest = unmet.paths[GATE_LINKS_SHOWN:]
            if rest:
                tip = "\n".join(label_of(path) for path in rest)
                lines.append(Line(f"…and {len(rest)} more untested items", (rest[0],), tip))
            continue
        tip = (
            "Go to the written reason (Enter)"
            if unmet.item is GateItem.COMPETING_CAUSES
            else "Go to the finding (Enter)"
        )
        lines.append(Line(f"{unmet.where}: {unmet.label}", unmet.paths, tip))
    return lines


def record_lines(record: GateRecord) -> tuple[str, ...]:
    """Who overrode or acknowledged what, and when (local time)."""
    lines: list[str] = []
    if record.override is not None:
        override = record.override
        lines.append(
            f"Overridden by {override.by_name} on {override.at.astimezone():%Y-%m-%d %H:%M}: "
            f"{override.reason}"
        )
    if record.studies is not None:
        studies = record.studies
        lines.append(
            f"No nerve studies: acknowledged by {studies.by_name} on "
            f"{studies.at.astimezone():%Y-%m-%d %H:%M}."
        )
    return tuple(lines)


GATE_TITLE = "Pre-operative gate"
GATE_TITLE_STATE: dict[GateState, str] = {
    GateState.BLOCKED: "signing is blocked",
    GateState.OVERRIDDEN: "passed by override",
}
OVERRIDDEN_TEXT = "Signing may go ahead; the override prints on the visit note."
MET_TEXT = (
    "Met: the lumbar screen and the pulses are charted, the tunnel has its evidence, every "
    "competing cause has its written reason, and the nerve studies are in (or their absence "
    "acknowledged)."
)


def gate_card_state(
    assessment: Assessment,
    *,
    release_planned: bool,
    record: GateRecord,
    label_of: Callable[[str], str],
) -> GateCardState:
    """The gate card while a release is planned: every unmet item, records and actions.

    The gate's reason, next step and refusal wording belong to a closed gate only: once it
    opens they go, so nothing on the card still says signing is refused.
    """
    if not release_planned:
        return HIDDEN_GATE
    gate = assessment.gate
    state = gate.state if gate.state is not GateState.NOT_APPLICABLE else GateState.OPEN
    blocked = state is GateState.BLOCKED
    suggestion = next((s for s in assessment.shown if s.rule == GATE_RULE), None)
    items = unmet_items(gate.unmet)
    kinds = {unmet.item for unmet in items}
    sides = " and ".join(side.value for side in gate.sides)
    return GateCardState(
        shown=True,
        state=state,
        title=f"{GATE_TITLE}: {GATE_TITLE_STATE.get(state, 'open')}",
        meta=" · ".join(["R11", "tarsal tunnel release", *([sides] if sides else [])]),
        text=OVERRIDDEN_TEXT if state is GateState.OVERRIDDEN else "",
        met=MET_TEXT if state is GateState.OPEN else "",
        unmet=items,
        lines=(*item_lines(items, label_of), *(Line(note) for note in gate.advisories)),
        record=record_lines(record),
        can_acknowledge_studies=record.can_act
        and GateItem.NERVE_STUDIES in kinds
        and record.studies is None,
        can_override=record.can_act and bool(kinds & OVERRIDABLE_ITEMS) and record.override is None,
        why=suggestion.why if suggestion and blocked else "",
        next_step=suggestion.next_step if suggestion and blocked else "",
        sources=sources_text(suggestion.sources) if suggestion else "",
    )


# --- the urgent red-flag banner ---------------------------------------------------------------


@dataclass(frozen=True)
class BannerState:
    """The urgent red-flag banner: a red alert until acknowledged, then a quiet line."""

    shown: bool
    alert: bool = False
    title: str = ""
    lines: tuple[Line, ...] = ()
    """Each urgent suggestion's findings (headed by its key when there are several)."""
    next_steps: tuple[str, ...] = ()
    can_acknowledge: bool = False
    acknowledged: str = ""
    """Who acknowledged which flags, and when (once acknowledged)."""

    @property
    def accessible_name(self) -> str:
        """What a screen reader says of the banner."""
        if self.alert:
            return f"Urgent alert: {self.title.removeprefix('URGENT: ')}"
        return "Urgent alert acknowledged"


def _flag_words(flag: str) -> str:
    return flag.replace("_", " ")


def banner_state(
    assessment: Assessment,
    acknowledgement: RedFlagAcknowledgement | None,
    *,
    can_acknowledge: bool,
) -> BannerState:
    """Alert while urgent flags are unacknowledged, a quiet line once they are, else nothing.

    One block per urgent suggestion (cauda equina R0, major weakness R16), each with its own
    findings and next step.
    """
    if not assessment.urgent_flags:
        return BannerState(shown=False)
    if assessment.urgent_acknowledged:
        said = ""
        if acknowledgement is not None:
            flags = ", ".join(_flag_words(flag) for flag in acknowledgement.flags)
            said = (
                f"Urgent red-flag alert ({flags}) acknowledged by {acknowledgement.by_name} "
                f"on {acknowledgement.at.astimezone():%Y-%m-%d %H:%M}."
            )
        return BannerState(shown=True, acknowledged=said)
    urgent = [s for s in assessment.suggestions if s.severity is Severity.URGENT]
    lines: list[Line] = []
    for suggestion in urgent:
        if len(urgent) > 1:
            lines.append(Line(f"{suggestion.key}: {suggestion.title}"))
        lines += [
            Line(reason.text, paths_of(reason), "Go to the finding (Enter)")
            for reason in suggestion.reasons
        ]
    if not urgent:
        pairs = zip(assessment.urgent_flags, assessment.urgent_paths, strict=False)
        lines = [Line(_flag_words(flag), (path,)) for flag, path in pairs]
    title = " / ".join(s.title for s in urgent) or "Urgent red flags"
    return BannerState(
        shown=True,
        alert=True,
        title=f"URGENT: {title}",
        lines=tuple(lines),
        next_steps=tuple(s.next_step for s in urgent if s.next_step),
        can_acknowledge=can_acknowledge,
    )


# --- the whole panel --------------------------------------------------------------------------


def code_set_of(assessment: Assessment) -> str:
    """'ICD-10-CM FY2024', or '' when the assessment names none."""
    return " ".join(p for p in (assessment.code_system, assessment.code_version) if p)


def panel_state(
    assessment: Assessment,
    *,
    release_planned: bool,
    record: GateRecord = GateRecord(),
    label_of: Callable[[str], str] = str,
) -> PanelState:
    """The gate card and the suggestion cards for an assessment (R11 is the gate's card)."""
    code_set = code_set_of(assessment)
    shown = [s for s in assessment.shown if s.rule != GATE_RULE]
    # Urgent cards first (they hold the rest back), then the assessment's order.
    shown.sort(key=lambda s: s.severity is not Severity.URGENT)
    held = len(assessment.held_back)
    return PanelState(
        gate=gate_card_state(
            assessment, release_planned=release_planned, record=record, label_of=label_of
        ),
        cards=tuple(card_state(s, code_set, assessment.gate) for s in shown),
        held_back=(
            f"{held} routine suggestion{'s' if held != 1 else ''} held back until the urgent "
            "alert is acknowledged."
            if held
            else ""
        ),
        empty=not shown and not held and not release_planned,
        code_note=(
            f"Codes are {code_set}: check them against the current code set before billing."
            if code_set and any(s.codes for s in shown)
            else ""
        ),
        keys=tuple(s.key for s in shown),
    )


def orphans_text(decisions: Mapping[str, Decision], fired: Collection[str]) -> str:
    """Choices on suggestions that no longer fire are kept, and said so ('' when none)."""
    orphans = [(key, d) for key, d in decisions.items() if key not in fired]
    if not orphans:
        return ""
    return "Decisions kept on suggestions that do not apply now: " + "; ".join(
        f"{key}: {d.choice.sentence.lower()}" for key, d in orphans
    )


def open_items(assessment: Assessment, decisions: Collection[str]) -> frozenset[str]:
    """What a refused signature can name that is still open, as the refusal names it.

    The urgent flags not acknowledged, the gate's unmet items, and (with a release planned)
    every urgent or warning card without a decision, as ``assessment.decisions.<key>``.
    """
    paths: set[str] = set()
    if assessment.urgent_flags and not assessment.urgent_acknowledged:
        paths.update(assessment.urgent_paths)
    for check in assessment.gate.unmet:
        paths.update(check.paths)
    if assessment.gate.sides:
        paths.update(
            DECISION_PREFIX + s.key
            for s in assessment.shown
            if s.severity in (Severity.URGENT, Severity.WARNING)
            and s.rule != GATE_RULE
            and s.key not in decisions
        )
    return frozenset(paths)


class AssessmentPanelPresenter:
    """The panel's logic: what to show, the clinician's choices, and refusals answered.

    Args:
        label_of: the form's label for an exam path (the gate lists untested items by label).
    """

    def __init__(self, label_of: Callable[[str], str]) -> None:
        self._label_of = label_of
        self._labels: dict[str, str] = {}
        self.assessment: Assessment | None = None
        self.release_planned = False
        self.record = GateRecord()
        self._shown_record = self.record
        self.state = PanelState()
        self._decisions: dict[str, Decision] = {}
        self.read_only = False
        self._refused: frozenset[str] | None = None

    def label(self, path: str) -> str:
        """The form's label for a path (asked once per path)."""
        label = self._labels.get(path)
        if label is None:
            label = self._labels[path] = self._label_of(path)
        return label

    # --- the assessment ---------------------------------------------------------------------

    def set_gate_record(self, record: GateRecord) -> None:
        """The gate's override and acknowledgement as stored; shown with the next assessment."""
        self.record = record

    def show(self, assessment: Assessment, *, release_planned: bool) -> PanelState | None:
        """The new screen state, or None when this is what is already shown."""
        if (
            assessment == self.assessment
            and release_planned == self.release_planned
            and self.record == self._shown_record
        ):
            return None
        self.assessment = assessment
        self.release_planned = release_planned
        self._shown_record = self.record
        self.state = panel_state(
            assessment, release_planned=release_planned, record=self.record, label_of=self.label
        )
        return self.state

    # --- decisions --------------------------------------------------------------------------

    @property
    def decisions(self) -> dict[str, Decision]:
        """Suggestion key -> the clinician's choice (including suggestions no longer shown)."""
        return dict(self._decisions)

    def set_decisions(self, decisions: Mapping[str, Decision], *, read_only: bool) -> None:
        """Stored choices, read-only for signed encounters and read-only accounts."""
        self._decisions = dict(decisions)
        self.read_only = read_only

    def decide(self, key: str, decision: Decision | None) -> None:
        """The clinician's choice on a card (None: cleared to undecided)."""
        if decision is None:
            self._decisions.pop(key, None)
        else:
            self._decisions[key] = decision

    def decision_state(self, key: str) -> DecisionState:
        """What the card of this key shows of its choice."""
        return decision_state(self._decisions.get(key), self.read_only)

    def orphans(self) -> str:
        """The line about choices kept on suggestions that do not fire now."""
        fired = set(self.assessment.keys) if self.assessment is not None else set()
        return orphans_text(self._decisions, fired)

    # --- a refused signature ----------------------------------------------------------------

    def note_refusal(self, paths: Sequence[str]) -> None:
        """A signature was refused naming these paths.

        Only a refusal the panel can judge is watched: the urgent alert, the gate's items or
        undecided cards, each still open now. Any other refusal stays until the next one.
        """
        refused = frozenset(paths)
        current = self._open_items()
        self._refused = refused if refused and refused <= current else None

    def refusal_answered(self) -> bool:
        """True once nothing the watched refusal named is still open; then it is forgotten."""
        if self._refused is None or self._refused & self._open_items():
            return False
        self._refused = None
        return True

    def _open_items(self) -> frozenset[str]:
        if self.assessment is None:
            return frozenset()
        return open_items(self.assessment, self._decisions)
