"""The assessment panel's screen state, without a QApplication: the gate card and the cards."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from clinic_app.domain.assessment.model import (
    Assessment,
    CodeSuggestion,
    Confidence,
    FiredFinding,
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
from clinic_app.ui.presenters.assessment_panel import (
    GATE_LINKS_SHOWN,
    MET_TEXT,
    AssessmentPanelPresenter,
    GateRecord,
    Line,
    banner_state,
    card_state,
    decision_state,
    gate_card_state,
    open_items,
    panel_state,
)

RIGHT = (Side.RIGHT,)
AT = datetime(2026, 3, 14, 15, 9, tzinfo=UTC)
LOCAL = f"{AT.astimezone():%Y-%m-%d %H:%M}"
REASON_PATH = "assessment.foot_primary_reason"

TTS = Suggestion(
    key="R1",
    rule="R1",
    severity=Severity.SUGGESTION,
    title="Pattern consistent with tarsal tunnel syndrome",
    sides=RIGHT,
    confidence=Confidence.MODERATE,
    reasons=(
        Reason(
            text="Right: numb arch and hallux",
            findings=(
                FiredFinding(path="right.sensory.regions.PL-ARCH-MED"),
                FiredFinding(path="right.sensory.regions.PL-HALLUX"),
                FiredFinding(path="right.sensory.regions.PL-ARCH-MED"),
            ),
        ),
        Reason(text="Right: positive Tinel at the tarsal tunnel"),
    ),
    why="Plantar-nerve skin only, with a positive local provocation.",
    next_step="Nerve conduction of the plantar nerves.",
    sources=("DELLON", "PATEL"),
    codes=(
        CodeSuggestion(
            code="R20.2",
            description="Paresthesia of skin",
            laterality=Laterality.NOT_APPLICABLE,
            system="ICD-10-CM",
            version="FY2024",
            report_when=ReportWhen.NOW,
        ),
        CodeSuggestion(
            code="G57.51",
            description="Tarsal tunnel syndrome, right lower limb",
            laterality=Laterality.RIGHT,
            system="ICD-10-CM",
            version="FY2024",
            note="right side",
        ),
    ),
    coding_note="Code the side examined.",
)
S1 = Suggestion(
    key="R6",
    rule="R6",
    severity=Severity.WARNING,
    title="Possible S1 radiculopathy",
    sides=RIGHT,
    next_step="Lumbar assessment, with MRI or EMG as indicated.",
)
DOUBLE_CRUSH = Suggestion(
    key="R10",
    rule="R10",
    severity=Severity.WARNING,
    title="Possible coexisting lumbar radiculopathy or polyneuropathy (double crush)",
    sides=RIGHT,
    next_step="Complete the lumbar screen and electrodiagnosis before a surgical referral.",
)
CES = Suggestion(
    key="R0-CES", rule="R0", severity=Severity.URGENT, title="Possible cauda equina syndrome"
)
GATE = Suggestion(
    key="R11",
    rule="R11",
    severity=Severity.WARNING,
    title="Pre-operative gate: tarsal tunnel release planned",
    why="Double crush causes failed surgery.",
    next_step="Signing waits until every item of the gate is met for each planned side.",
    sources=("DOWNEY", "MISJ"),
)


def check(item: GateItem, label: str, *paths: str, side: Side = Side.RIGHT) -> GateCheck:
    return GateCheck(item=item, side=side, label=label, paths=paths)


LUMBAR = tuple(f"lumbar.right.myotomes.m{i}" for i in range(GATE_LINKS_SHOWN + 2))
EVERY_ITEM = (
    check(GateItem.LUMBAR_SCREEN, "Lumbar screen incomplete: 10 items not tested", *LUMBAR),
    check(
        GateItem.LUMBAR_SCREEN, "Lumbar screen incomplete: 10 items not tested", *LUMBAR
    ).model_copy(update={"side": Side.LEFT}),
    check(GateItem.VASCULAR_SCREEN, "Foot pulses not charted", "right.pulses.dorsalis_pedis"),
    check(GateItem.TUNNEL_EVIDENCE, "No evidence for the tarsal tunnel", "right.tinel"),
    check(GateItem.COMPETING_CAUSES, "Competing causes active (R6): write why", REASON_PATH),
    check(GateItem.NERVE_STUDIES, "No electrodiagnostic confirmation", "right.ncs"),
)


def assessment(*suggestions: Suggestion, **fields: object) -> Assessment:
    return Assessment(
        suggestions=suggestions, code_system="ICD-10-CM", code_version="FY2024", **fields
    )


def blocked(*checks: GateCheck, sides: tuple[Side, ...] = RIGHT, **fields: object) -> Gate:
    return Gate(state=GateState.BLOCKED, sides=sides, unmet=checks, **fields)


def label_of(path: str) -> str:
    return f"label of {path}"


ACTING = GateRecord(can_act=True)


def gate_of(found: Assessment, record: GateRecord = ACTING):
    return gate_card_state(found, release_planned=True, record=record, label_of=label_of)


# --- the gate -------------------------------------------------------------------------------


def test_the_presenter_needs_no_qt():
    code = (
        "import sys, clinic_app.ui.presenters.assessment_panel; "
        "print([m for m in sys.modules if m.startswith('PySide6')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_no_gate_without_a_planned_release():
    state = gate_card_state(
        assessment(S1, gate=blocked(*EVERY_ITEM)),
        release_planned=False,
        record=GateRecord(can_act=True),
        label_of=label_of,
    )
    assert not state.shown
    assert not state.is_open


def test_each_unmet_item_is_a_line_that_links_to_its_field():
    gate = gate_of(assessment(S1, GATE, gate=blocked(*EVERY_ITEM, sides=(Side.RIGHT, Side.LEFT))))
    assert gate.shown
    assert gate.state is GateState.BLOCKED
    assert not gate.is_open
    assert gate.severity == "warning"
    assert gate.badge == "BLOCKED"
    assert gate.title == "Pre-operative gate: signing is blocked"
    assert gate.meta == "R11 · tarsal tunnel release · right and left"
    # The lumbar screen reads the same on both sides: one item, named once for both.
    assert [(u.item, u.where) for u in gate.unmet] == [
        (GateItem.LUMBAR_SCREEN, "Right and left"),
        (GateItem.VASCULAR_SCREEN, "Right"),
        (GateItem.TUNNEL_EVIDENCE, "Right"),
        (GateItem.COMPETING_CAUSES, "Right"),
        (GateItem.NERVE_STUDIES, "Right"),
    ]
    lines = gate.lines
    assert lines[0] == Line(
        "Right and left: Lumbar screen incomplete: 10 items not tested "
        "(Alt+N in a section fills its normal)"
    )
    untested = lines[1 : 1 + GATE_LINKS_SHOWN]
    assert [line.paths for line in untested] == [(path,) for path in LUMBAR[:GATE_LINKS_SHOWN]]
    assert untested[0].text == f"Not tested: label of {LUMBAR[0]}"
    more = lines[1 + GATE_LINKS_SHOWN]
    assert more.text == "…and 2 more untested items"
    assert more.paths == (LUMBAR[GATE_LINKS_SHOWN],)
    assert more.tip == "\n".join(label_of(p) for p in LUMBAR[GATE_LINKS_SHOWN:])
    rest = {line.text: line for line in lines[2 + GATE_LINKS_SHOWN :]}
    assert rest["Right: Foot pulses not charted"].paths == ("right.pulses.dorsalis_pedis",)
    assert rest["Right: No evidence for the tarsal tunnel"].paths == ("right.tinel",)
    reason = rest["Right: Competing causes active (R6): write why"]
    assert reason.paths == (REASON_PATH,)
    assert reason.tip == "Go to the written reason (Enter)"
    assert rest["Right: No electrodiagnostic confirmation"].paths == ("right.ncs",)
    # A closed gate says why and what next; the refusal is the title, no extra line.
    assert gate.why == "Double crush causes failed surgery."
    assert gate.next_step.startswith("Signing waits")
    assert gate.sources == "[DOWNEY] [MISJ]"
    assert gate.text == ""


def test_advisories_follow_the_items_as_plain_lines():
    found = assessment(gate=blocked(EVERY_ITEM[2], advisories=("Reduced pulse: pressures",)))
    assert gate_of(found).lines[-1] == Line("Reduced pulse: pressures")


def test_the_two_actions_are_offered_only_for_their_items_and_to_who_may_act():
    found = assessment(gate=blocked(*EVERY_ITEM))
    gate = gate_of(found)
    assert gate.can_acknowledge_studies
    assert gate.can_override
    nobody = gate_of(found, GateRecord(can_act=False))
    assert not nobody.can_acknowledge_studies
    assert not nobody.can_override
    lumbar_only = gate_of(assessment(gate=blocked(EVERY_ITEM[0])))
    assert not lumbar_only.can_acknowledge_studies
    assert not lumbar_only.can_override  # the lumbar screen is never overridden


def test_an_acknowledgement_is_said_with_who_and_when_and_not_offered_again():
    studies = StudiesAcknowledgement(by_name="Dr Lee", at=AT)
    found = assessment(gate=blocked(EVERY_ITEM[-1]))
    gate = gate_of(found, GateRecord(studies=studies, can_act=True))
    assert not gate.can_acknowledge_studies
    assert gate.record == (f"No nerve studies: acknowledged by Dr Lee on {LOCAL}.",)


def test_an_override_passes_the_gate_and_is_said_with_its_reason():
    override = GateOverride(reason="Ganglion on ultrasound; spine clear.", by_name="Dr Lee", at=AT)
    passed = Gate(state=GateState.OVERRIDDEN, sides=RIGHT, overridden=(EVERY_ITEM[3],))
    gate = gate_of(assessment(gate=passed), GateRecord(override=override, can_act=True))
    assert gate.is_open
    assert gate.badge == "OVERRIDDEN"
    assert gate.severity == "ok"
    assert gate.title == "Pre-operative gate: passed by override"
    assert gate.text == "Signing may go ahead; the override prints on the visit note."
    assert gate.record == (
        f"Overridden by Dr Lee on {LOCAL}: Ganglion on ultrasound; spine clear.",
    )
    assert not gate.can_override
    assert gate.lines == ()


def test_an_open_gate_keeps_no_refusal_wording():
    # R11 still fires (the assessment is a step behind), yet the gate is open: no "signing
    # waits" line and no reason to act stays on the card.
    gate = gate_of(assessment(S1, GATE, gate=Gate(state=GateState.OPEN, sides=RIGHT)))
    assert gate.is_open
    assert gate.badge == "GATE OPEN"
    assert gate.title == "Pre-operative gate: open"
    assert gate.lines == ()
    assert gate.why == ""
    assert gate.next_step == ""
    assert gate.met == MET_TEXT
    assert not gate.can_acknowledge_studies
    assert not gate.can_override
    assert "blocked" not in " ".join((gate.title, gate.text, gate.met))


def test_a_planned_release_before_the_rules_see_it_shows_an_open_gate():
    gate = gate_of(assessment(S1))
    assert gate.shown
    assert gate.is_open


# --- cards ----------------------------------------------------------------------------------


def test_a_card_is_a_one_line_head_and_a_body():
    card = card_state(TTS, "ICD-10-CM FY2024")
    assert card.one_line == "Suggestion: Pattern consistent with tarsal tunnel syndrome"
    assert card.severity_word == "SUGGESTION"
    assert card.meta == "R1 · Right · confidence moderate"
    assert card.reasons == (
        Line(
            "Right: numb arch and hallux",
            ("right.sensory.regions.PL-ARCH-MED", "right.sensory.regions.PL-HALLUX"),
            "Go to right.sensory.regions.PL-ARCH-MED, right.sensory.regions.PL-HALLUX (Enter)",
        ),
        Line("Right: positive Tinel at the tarsal tunnel"),
    )
    assert card.why.startswith("Plantar-nerve skin only")
    assert card.next_step == "Nerve conduction of the plantar nerves."
    assert not card.next_done
    assert card.sources == "[DELLON] [PATEL]"
    assert card.coding_note == "Code the side examined."
    assert card_state(S1, "").meta == "R6 · Right"
    both = S1.model_copy(update={"sides": (Side.RIGHT, Side.LEFT)})
    assert card_state(both, "").meta == "R6 · Both sides"
    assert card_state(CES, "").meta == "R0-CES"


def test_codes_are_grouped_by_when_they_are_reported():
    now, confirmed = card_state(TTS, "ICD-10-CM FY2024").code_groups
    assert now.when is ReportWhen.NOW
    assert now.heading == "Report now (signs and symptoms)"
    assert now.code_set == "ICD-10-CM FY2024"
    assert [(c.code, c.side) for c in now.codes] == [("R20.2", "")]
    assert confirmed.when is ReportWhen.CONFIRMED
    assert confirmed.heading == "Only once confirmed (diagnosis)"
    assert [(c.code, c.side, c.note) for c in confirmed.codes] == [
        ("G57.51", "right", "right side")
    ]
    assert card_state(S1, "ICD-10-CM FY2024").code_groups == ()


CONFIRMED = Decision(choice=Choice.CONFIRMED)
WORKING = Decision(choice=Choice.WORKING)
DISMISSED = Decision(choice=Choice.DISMISSED)
COMMENTED = Decision(choice=Choice.WORKING, comment="MRI requested")


@pytest.mark.parametrize(
    ("decision", "read_only", "state", "text", "can_decide", "can_change", "folded"),
    [
        (None, False, "undecided", "", True, False, False),
        (CONFIRMED, False, "accepted", "✓ Confirmed as a diagnosis", False, True, False),
        (WORKING, False, "accepted", "✓ Kept as a working impression", False, True, False),
        (DISMISSED, False, "dismissed", "✗ Dismissed", False, True, True),
        (None, True, "undecided", "No decision recorded when signed.", False, False, False),
        (
            COMMENTED,
            True,
            "accepted",
            "✓ Kept as a working impression when signed: MRI requested",
            False,
            False,
            False,
        ),
        (DISMISSED, True, "dismissed", "✗ Dismissed when signed", False, False, True),
    ],
)
def test_each_decision_reads_and_acts_as_it_should(
    decision, read_only, state, text, can_decide, can_change, folded
):
    shown = decision_state(decision, read_only)
    assert (shown.state, shown.text) == (state, text)
    assert (shown.can_decide, shown.can_change, shown.folded) == (can_decide, can_change, folded)
    assert shown.comment_editable is not read_only


@pytest.mark.parametrize(
    ("decision", "read_only", "short"),
    [
        (None, False, ""),
        (None, True, "no decision"),
        (CONFIRMED, False, "✓ Confirmed"),
        (WORKING, False, "✓ Working"),
        (COMMENTED, True, "✓ Working"),
        (DISMISSED, True, "✗ Dismissed"),
    ],
)
def test_a_closed_card_reads_its_decision_in_a_word(decision, read_only, short):
    assert decision_state(decision, read_only).short == short


def test_the_double_crush_next_step_reads_as_done_once_the_gate_has_it():
    lumbar = EVERY_ITEM[0]
    studies = EVERY_ITEM[-1]
    for still in (lumbar, studies):
        card = card_state(DOUBLE_CRUSH, "", blocked(still))
        assert card.next_step.startswith("Complete the lumbar screen")
        assert not card.next_done
    # Blocked only by the written reason: the lumbar screen and studies are in.
    card = card_state(DOUBLE_CRUSH, "", blocked(EVERY_ITEM[4]))
    assert card.next_done
    assert card.next_step == (
        "The lumbar screen is complete and the nerve studies are in (pre-operative gate)."
    )
    acknowledged = Gate(state=GateState.OPEN, sides=RIGHT, acknowledged=(studies,))
    card = card_state(DOUBLE_CRUSH, "", acknowledged)
    assert card.next_done
    assert "signing without nerve studies is acknowledged" in card.next_step
    # Without a release, or with one on the other side only, the gate says nothing of it.
    assert not card_state(DOUBLE_CRUSH, "", Gate()).next_done
    left_only = Gate(state=GateState.OPEN, sides=(Side.LEFT,))
    assert not card_state(DOUBLE_CRUSH, "", left_only).next_done
    # Other rules' next steps are theirs alone.
    assert not card_state(S1, "", Gate(state=GateState.OPEN, sides=RIGHT)).next_done


def test_no_stale_next_line_after_the_gate_opens():
    presenter = AssessmentPanelPresenter(label_of)
    closed = blocked(EVERY_ITEM[0], EVERY_ITEM[4])
    state = presenter.show(assessment(S1, DOUBLE_CRUSH, GATE, gate=closed), release_planned=True)
    assert state is not None
    r10 = {card.key: card for card in state.cards}["R10"]
    assert r10.next_step.startswith("Complete the lumbar screen")
    assert state.gate.next_step.startswith("Signing waits")

    opened = Gate(state=GateState.OPEN, sides=RIGHT)
    state = presenter.show(assessment(S1, DOUBLE_CRUSH, gate=opened), release_planned=True)
    assert state is not None
    r10 = {card.key: card for card in state.cards}["R10"]
    assert r10.next_done
    shown = [card.next_step for card in state.cards] + [state.gate.next_step, state.gate.text]
    assert not any("Complete the lumbar screen" in text for text in shown)
    assert not any("Signing waits" in text for text in shown)


# --- the whole panel ------------------------------------------------------------------------


def test_the_gate_is_not_a_card_and_urgent_cards_come_first():
    found = assessment(S1, GATE, CES, TTS, gate=blocked(EVERY_ITEM[4]))
    state = panel_state(found, release_planned=True, label_of=label_of)
    assert state.keys == ("R0-CES", "R6", "R1")
    assert [card.key for card in state.cards] == list(state.keys)
    assert state.gate.shown
    assert not state.empty
    assert state.code_note == (
        "Codes are ICD-10-CM FY2024: check them against the current code set before billing."
    )


def test_held_back_suggestions_are_counted_and_an_empty_panel_says_so():
    held = TTS.model_copy(update={"held_back": True})
    state = panel_state(assessment(CES, held), release_planned=False)
    assert state.keys == ("R0-CES",)
    assert state.held_back == (
        "1 routine suggestion held back until the urgent alert is acknowledged."
    )
    assert not state.empty
    empty = panel_state(assessment(), release_planned=False)
    assert empty.empty
    assert empty.held_back == ""
    assert empty.code_note == ""
    assert not panel_state(assessment(), release_planned=True).empty  # the gate is there


def test_the_same_assessment_gives_no_new_state_until_something_changes():
    presenter = AssessmentPanelPresenter(label_of)
    found = assessment(S1, gate=blocked(EVERY_ITEM[-1]))
    assert presenter.show(found, release_planned=True) is not None
    assert presenter.show(found, release_planned=True) is None
    assert presenter.show(found, release_planned=False) is not None
    presenter.set_gate_record(GateRecord(can_act=True))
    state = presenter.show(found, release_planned=False)
    assert state is not None
    assert presenter.show(found, release_planned=True) is not None


def test_labels_are_asked_once_per_path():
    asked: list[str] = []

    def counting(path: str) -> str:
        asked.append(path)
        return path.upper()

    presenter = AssessmentPanelPresenter(counting)
    for planned in (True, False, True):
        presenter.show(assessment(gate=blocked(EVERY_ITEM[0])), release_planned=planned)
    assert sorted(asked) == sorted(LUMBAR)


def test_decisions_are_kept_and_orphans_said():
    presenter = AssessmentPanelPresenter(label_of)
    presenter.show(assessment(S1, TTS), release_planned=False)
    presenter.decide("R6", Decision(choice=Choice.WORKING))
    assert presenter.decision_state("R6").text == "✓ Kept as a working impression"
    assert presenter.orphans() == ""
    presenter.show(assessment(TTS), release_planned=False)
    assert presenter.orphans() == (
        "Decisions kept on suggestions that do not apply now: R6: kept as a working impression"
    )
    presenter.decide("R6", None)
    assert presenter.decisions == {}
    presenter.set_decisions({"R1": Decision(choice=Choice.DISMISSED)}, read_only=True)
    assert presenter.read_only
    assert presenter.decision_state("R1").text == "✗ Dismissed when signed"


# --- a refused signature --------------------------------------------------------------------


def test_open_items_name_what_a_refusal_can_name():
    found = assessment(
        CES,
        S1,
        TTS,
        GATE,
        urgent_flags=("bladder_change",),
        urgent_paths=("red_flags.bladder_change.present",),
        urgent_acknowledged=False,
        gate=blocked(EVERY_ITEM[4]),
    )
    assert open_items(found, {"R0-CES"}) == {
        "red_flags.bladder_change.present",
        REASON_PATH,
        "assessment.decisions.R6",  # warnings and urgent only; R1 is a suggestion
    }
    no_release = assessment(S1)
    assert open_items(no_release, set()) == frozenset()


def test_a_gate_refusal_is_answered_when_the_gate_opens():
    presenter = AssessmentPanelPresenter(label_of)
    presenter.show(assessment(S1, GATE, gate=blocked(EVERY_ITEM[4])), release_planned=True)
    presenter.note_refusal([REASON_PATH])
    assert not presenter.refusal_answered()
    presenter.show(
        assessment(S1, gate=Gate(state=GateState.OPEN, sides=RIGHT)), release_planned=True
    )
    assert presenter.refusal_answered()
    assert not presenter.refusal_answered()  # said once


def test_a_refusal_of_several_items_waits_for_all_of_them():
    presenter = AssessmentPanelPresenter(label_of)
    both = blocked(EVERY_ITEM[0], EVERY_ITEM[4])
    presenter.show(assessment(GATE, gate=both), release_planned=True)
    presenter.note_refusal([*LUMBAR, REASON_PATH])
    presenter.show(assessment(GATE, gate=blocked(EVERY_ITEM[0])), release_planned=True)
    assert not presenter.refusal_answered()
    presenter.show(assessment(gate=Gate(state=GateState.OPEN, sides=RIGHT)), release_planned=True)
    assert presenter.refusal_answered()


def test_a_decisions_refusal_is_answered_by_the_last_decision():
    presenter = AssessmentPanelPresenter(label_of)
    opened = Gate(state=GateState.OPEN, sides=RIGHT)
    presenter.show(assessment(S1, DOUBLE_CRUSH, gate=opened), release_planned=True)
    presenter.note_refusal(["assessment.decisions.R6", "assessment.decisions.R10"])
    presenter.decide("R6", Decision(choice=Choice.WORKING))
    assert not presenter.refusal_answered()
    presenter.decide("R10", Decision(choice=Choice.DISMISSED))
    assert presenter.refusal_answered()


def test_an_urgent_refusal_is_answered_by_the_acknowledgement():
    presenter = AssessmentPanelPresenter(label_of)
    flag = {"urgent_flags": ("bladder_change",), "urgent_paths": ("red_flags.bladder",)}
    presenter.show(assessment(CES, urgent_acknowledged=False, **flag), release_planned=False)
    presenter.note_refusal(["red_flags.bladder"])
    assert not presenter.refusal_answered()
    presenter.show(assessment(CES, urgent_acknowledged=True, **flag), release_planned=False)
    assert presenter.refusal_answered()


def test_a_refusal_the_panel_cannot_judge_is_left_alone():
    presenter = AssessmentPanelPresenter(label_of)
    presenter.show(assessment(S1, gate=blocked(EVERY_ITEM[4])), release_planned=True)
    # Copied-forward findings not confirmed: nothing the panel shows; never said answered.
    presenter.note_refusal(["right.tinel.tarsal_tunnel.result"])
    presenter.show(
        assessment(S1, gate=Gate(state=GateState.OPEN, sides=RIGHT)), release_planned=True
    )
    assert not presenter.refusal_answered()
    presenter.note_refusal([])
    assert not presenter.refusal_answered()


# --- the urgent red-flag banner -------------------------------------------------------------

BLADDER = Reason(
    text="Bladder change: yes",
    findings=(FiredFinding(path="red_flags.bladder_change.present", value="yes"),),
)
WEAKNESS = Suggestion(
    key="R16-RIGHT",
    rule="R16",
    severity=Severity.URGENT,
    title="Acute major weakness",
    reasons=(Reason(text="Right: dorsiflexion 2/5"),),
    next_step="Arrange a same-week spinal opinion.",
)
URGENT = {"urgent_flags": ("bladder_change",), "urgent_paths": ("red_flags.bladder",)}


def test_no_banner_without_urgent_flags():
    assert not banner_state(assessment(S1), None, can_acknowledge=True).shown


def test_the_banner_alerts_with_each_urgent_finding_and_next_step():
    ces = CES.model_copy(update={"reasons": (BLADDER,), "next_step": "Same-day emergency."})
    alone = banner_state(
        assessment(ces, urgent_acknowledged=False, **URGENT), None, can_acknowledge=True
    )
    assert alone.alert
    assert alone.title == "URGENT: Possible cauda equina syndrome"
    assert alone.accessible_name == "Urgent alert: Possible cauda equina syndrome"
    assert alone.lines == (
        Line(
            "Bladder change: yes",
            ("red_flags.bladder_change.present",),
            "Go to the finding (Enter)",
        ),
    )
    assert alone.next_steps == ("Same-day emergency.",)
    assert alone.can_acknowledge
    both = banner_state(
        assessment(ces, WEAKNESS, urgent_acknowledged=False, **URGENT), None, can_acknowledge=False
    )
    assert both.title == "URGENT: Possible cauda equina syndrome / Acute major weakness"
    assert [line.text for line in both.lines] == [
        "R0-CES: Possible cauda equina syndrome",
        "Bladder change: yes",
        "R16-RIGHT: Acute major weakness",
        "Right: dorsiflexion 2/5",
    ]
    assert both.next_steps == ("Same-day emergency.", "Arrange a same-week spinal opinion.")
    assert not both.can_acknowledge


def test_flags_without_a_suggestion_are_listed_by_name():
    state = banner_state(
        assessment(urgent_acknowledged=False, **URGENT), None, can_acknowledge=True
    )
    assert state.title == "URGENT: Urgent red flags"
    assert state.lines == (Line("bladder change", ("red_flags.bladder",)),)


def test_once_acknowledged_a_quiet_line_says_who_and_when():
    ack = RedFlagAcknowledgement(flags=("bladder_change",), by_name="Dr Lee", at=AT)
    state = banner_state(assessment(CES, **URGENT), ack, can_acknowledge=True)
    assert state.shown
    assert not state.alert
    assert not state.can_acknowledge
    assert state.acknowledged == (
        f"Urgent red-flag alert (bladder change) acknowledged by Dr Lee on {LOCAL}."
    )
    assert state.accessible_name == "Urgent alert acknowledged"
