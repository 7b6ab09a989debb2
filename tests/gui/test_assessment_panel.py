"""The assessment panel and red-flag banner on their own: cards, links, choices, reuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget

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
    Severity,
    Suggestion,
)
from clinic_app.domain.assessment.record import (
    Choice,
    Decision,
    GateOverride,
    RedFlagAcknowledgement,
)
from clinic_app.domain.exam import Side
from clinic_app.domain.regions import RegionCode
from clinic_app.resources import foot_map_path
from clinic_app.services.foot_map import load_foot_map
from clinic_app.ui.forms.sensory_map import Modality, SensoryMapView
from clinic_app.ui.views.assessment_panel import (
    GATE_LINKS_SHOWN,
    AssessmentPanel,
    RedFlagBanner,
)

F = Qt.FocusReason

TTS = Suggestion(
    key="R1",
    rule="R1",
    severity=Severity.SUGGESTION,
    title="Pattern consistent with tarsal tunnel syndrome",
    sides=(Side.RIGHT,),
    confidence=Confidence.MODERATE,
    reasons=(
        Reason(
            text="Right: numb arch and hallux",
            findings=(
                FiredFinding(path="right.sensory.regions.PL-ARCH-MED"),
                FiredFinding(path="right.sensory.regions.PL-HALLUX"),
            ),
        ),
        Reason(text="Right: positive Tinel at the tarsal tunnel", findings=()),
    ),
    why="Plantar-nerve skin only, with a positive local provocation.",
    next_step="Nerve conduction of the plantar nerves.",
    sources=("DELLON", "PATEL"),
    codes=(
        CodeSuggestion(
            code="G57.51",
            description="Tarsal tunnel syndrome, right lower limb",
            laterality=Laterality.RIGHT,
            system="ICD-10-CM",
            version="FY2024",
        ),
    ),
    coding_note="Code the side examined.",
)
S1 = Suggestion(
    key="R6",
    rule="R6",
    severity=Severity.WARNING,
    title="Possible S1 radiculopathy",
    sides=(Side.LEFT,),
    reasons=(
        Reason(
            text="Left: Achilles reflex absent",
            findings=(FiredFinding(path="lumbar.left.achilles.grade", value="0"),),
        ),
    ),
)
CES = Suggestion(
    key="R0-CES",
    rule="R0",
    severity=Severity.URGENT,
    title="Possible cauda equina syndrome",
    reasons=(
        Reason(
            text="Bladder change: yes",
            findings=(FiredFinding(path="red_flags.bladder_change.present", value="yes"),),
        ),
    ),
    next_step="Same-day emergency assessment.",
)


def assessment(*suggestions: Suggestion, **fields: object) -> Assessment:
    return Assessment(
        suggestions=suggestions, code_system="ICD-10-CM", code_version="FY2024", **fields
    )


@pytest.fixture
def panel(qtbot):
    view = AssessmentPanel(lambda path: f"label of {path}")
    qtbot.addWidget(view)
    view.resize(340, 700)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=3000)
    return view


def texts(widget) -> str:
    return " | ".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


def test_each_card_says_its_severity_in_words_with_sides_confidence_codes_and_sources(panel, qtbot):
    panel.show_assessment(assessment(S1, TTS), release_planned=False)

    assert panel.keys == ["R6", "R1"]
    card = panel.card("R1")
    assert card.badge.text() == "SUGGESTION"
    assert panel.card("R6").badge.text() == "WARNING"
    # Closed, a card is its severity and title on one line, with its three answers.
    assert texts(card) == "SUGGESTION | Pattern consistent with tarsal tunnel syndrome"
    assert card.confirm_button.isVisible()
    card.expand_button.setFocus()
    qtbot.keyClick(card.expand_button, Qt.Key.Key_Return)
    assert card.expanded
    assert card.meta.text() == "R1 · Right · confidence moderate"
    shown = texts(card)
    for expected in (
        "Right: numb arch and hallux",
        "Plantar-nerve skin only",
        "Nerve conduction of the plantar nerves",
        "G57.51",
        "Tarsal tunnel syndrome, right lower limb",
        "(right)",
        "ICD-10-CM FY2024",
        "Code the side examined.",
        "[DELLON] [PATEL]",
    ):
        assert expected in shown
    assert "confidence" not in panel.card("R6").meta.text()


def test_a_reason_with_findings_is_a_link_and_one_without_is_plain_text(panel, qtbot):
    panel.show_assessment(assessment(TTS), release_planned=False)
    panel.card("R1").set_expanded(True)
    reasons = panel.card("R1").reasons.items
    assert reasons[0].is_link
    assert not reasons[1].is_link
    assert reasons[1].focusPolicy() is Qt.FocusPolicy.NoFocus
    assert panel.card("R1").reasons.links() == [reasons[0]]

    with qtbot.waitSignal(panel.sig_finding_requested) as clicked:
        qtbot.mouseClick(reasons[0], Qt.MouseButton.LeftButton)
    assert clicked.args == [
        ["right.sensory.regions.PL-ARCH-MED", "right.sensory.regions.PL-HALLUX"]
    ]

    reasons[0].setFocus()
    with qtbot.waitSignal(panel.sig_finding_requested) as entered:
        qtbot.keyClick(reasons[0], Qt.Key.Key_Return)
    assert entered.args[0][0] == "right.sensory.regions.PL-ARCH-MED"


def test_accept_with_comment_dismiss_and_change_back(panel, qtbot):
    panel.show_assessment(assessment(S1, TTS), release_planned=False)
    card = panel.card("R1")
    assert not card.comment.isVisible()  # the comment box is in the opened card
    qtbot.mouseClick(card.title, Qt.MouseButton.LeftButton)  # a click on the head opens it
    assert card.comment.isVisible()
    qtbot.keyClicks(card.comment, "Plantar NCS booked")
    assert panel.decisions() == {}  # a comment alone is not a decision

    with qtbot.waitSignal(panel.sig_decision_changed) as decided:
        qtbot.mouseClick(card.accept_button, Qt.MouseButton.LeftButton)
    assert decided.args == ["R1"]
    assert panel.decisions() == {
        "R1": Decision(choice=Choice.WORKING, comment="Plantar NCS booked")
    }
    assert card.state.text() == "✓ Kept as a working impression"
    assert not card.accept_button.isVisible()
    assert QApplication.focusWidget() is card.change_button

    qtbot.keyClick(card.change_button, Qt.Key.Key_Space)
    assert panel.decisions() == {}
    assert card.accept_button.isVisible()
    assert card.dismiss_button.isVisible()

    panel.card("R6").set_expanded(True)
    assert panel.card("R6").details.isVisible()
    dismiss = panel.card("R6").dismiss_button
    qtbot.mouseClick(dismiss, Qt.MouseButton.LeftButton)
    assert panel.decisions()["R6"].choice is Choice.DISMISSED
    assert not panel.card("R6").details.isVisible()  # a dismissed card folds away
    assert not panel.card("R6").expand_button.isVisible()
    assert not panel.card("R6").meta.isVisible()  # its title back on the head's line


def test_the_same_assessment_is_not_redrawn_and_kept_cards_are_reused(panel):
    first = assessment(S1, TTS)
    assert panel.show_assessment(first, release_planned=False)
    card = panel.card("R1")
    link = card.reasons.items[0]

    assert not panel.show_assessment(assessment(S1, TTS), release_planned=False)
    changed = S1.model_copy(update={"title": "Possible S1 radiculopathy (both reflexes)"})
    assert panel.show_assessment(assessment(changed, TTS), release_planned=False)
    assert panel.card("R1") is card
    assert card.reasons.items[0] is link
    assert panel.card("R6").title.text() == "Possible S1 radiculopathy (both reflexes)"

    panel.show_assessment(assessment(TTS), release_planned=False)
    assert panel.keys == ["R1"]
    assert panel.card("R1") is card


def test_decisions_survive_a_suggestion_going_away_and_coming_back(panel, qtbot):
    panel.show_assessment(assessment(S1), release_planned=False)
    qtbot.mouseClick(panel.card("R6").accept_button, Qt.MouseButton.LeftButton)
    panel.show_assessment(assessment(), release_planned=False)
    assert panel.orphans.isVisible()
    assert "R6: kept as a working impression" in panel.orphans.text()

    panel.show_assessment(assessment(S1), release_planned=False)
    card = panel.card("R6")
    assert card.state.text() == "✓ Working"  # closed: one line; the sentence in the tip
    assert card.state.toolTip() == "✓ Kept as a working impression"
    assert not panel.orphans.isVisible()


def test_held_back_suggestions_are_only_counted(panel):
    held = TTS.model_copy(update={"held_back": True})
    panel.show_assessment(
        assessment(CES, held, urgent_flags=("bladder_change",), urgent_acknowledged=False),
        release_planned=False,
    )
    assert panel.keys == ["R0-CES"]
    assert panel.held_back.isVisible()
    assert panel.held_back.text() == (
        "1 routine suggestion held back until the urgent alert is acknowledged."
    )


def test_signed_decisions_are_shown_read_only(panel):
    panel.show_assessment(assessment(S1, TTS), release_planned=False)
    panel.set_decisions(
        {"R6": Decision(choice=Choice.WORKING, comment="MRI requested")}, read_only=True
    )
    card = panel.card("R6")
    assert card.state.text() == "✓ Working"
    assert card.state.toolTip() == "✓ Kept as a working impression when signed: MRI requested"
    for widget in (card.accept_button, card.dismiss_button, card.change_button, card.comment):
        assert not widget.isVisible()
    assert panel.card("R1").state.text() == "no decision"
    card.set_expanded(True)  # opened, the whole sentence
    assert card.state.text() == "✓ Kept as a working impression when signed: MRI requested"
    panel.card("R1").set_expanded(True)
    assert panel.card("R1").state.text() == "No decision recorded when signed."


def blocked_gate(missing: tuple[str, ...]) -> Gate:
    """A right release blocked by the lumbar screen, competing causes and nerve studies."""
    return Gate(
        state=GateState.BLOCKED,
        sides=(Side.RIGHT,),
        unmet=(
            GateCheck(
                item=GateItem.LUMBAR_SCREEN,
                side=Side.RIGHT,
                label=f"Lumbar screen incomplete: {len(missing)} items not tested",
                paths=missing,
            ),
            GateCheck(
                item=GateItem.COMPETING_CAUSES,
                side=Side.RIGHT,
                label="Competing causes active (R6): write why the foot is the primary source",
                paths=("assessment.foot_primary_reason",),
            ),
            GateCheck(
                item=GateItem.NERVE_STUDIES,
                side=Side.RIGHT,
                label="No electrodiagnostic confirmation: acknowledge to sign without it",
                paths=("right.nerve_conduction.needle_emg",),
            ),
        ),
    )


def test_gate_card_lists_every_unmet_item_by_label_and_offers_the_audited_actions(panel, qtbot):
    missing = tuple(f"lumbar.right.myotomes.m{i}" for i in range(GATE_LINKS_SHOWN + 3))
    gate = Suggestion(
        key="R11", rule="R11", severity=Severity.WARNING, title="Pre-operative gate", why="W"
    )
    panel.set_gate_record(None, None, can_act=True)
    panel.show_assessment(
        assessment(S1, gate, lumbar_missing=missing, gate=blocked_gate(missing)),
        release_planned=True,
    )
    assert "R11" not in panel.keys  # the gate card is R11's card
    links = panel.gate.items.links()
    assert [link.text() for link in links[:2]] == [
        "Not tested: label of lumbar.right.myotomes.m0",
        "Not tested: label of lumbar.right.myotomes.m1",
    ]
    assert links[GATE_LINKS_SHOWN].text() == "…and 3 more untested items"
    reason_link = next(link for link in links if "(R6)" in link.text())
    assert reason_link.text().startswith("Right: Competing causes")
    assert "signing is blocked" in panel.gate.title.text()
    with qtbot.waitSignal(panel.sig_finding_requested) as clicked:
        qtbot.mouseClick(reason_link, Qt.MouseButton.LeftButton)
    assert clicked.args == [["assessment.foot_primary_reason"]]
    assert panel.tab_widgets()[0] is links[0]
    assert panel.gate.studies_button.isVisibleTo(panel)
    assert panel.gate.override_button.isVisibleTo(panel)
    with qtbot.waitSignal(panel.sig_acknowledge_studies_requested):
        qtbot.mouseClick(panel.gate.studies_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.sig_override_requested):
        qtbot.mouseClick(panel.gate.override_button, Qt.MouseButton.LeftButton)

    override = GateOverride(
        reason="Ganglion on ultrasound; spine imaging clear.",
        by_name="Dr Lee",
        at=datetime(2026, 3, 14, 15, 9, tzinfo=UTC),
    )
    panel.set_gate_record(override, None, can_act=True)
    passed = Gate(state=GateState.OVERRIDDEN, sides=(Side.RIGHT,))
    panel.show_assessment(assessment(gate=passed), release_planned=True)
    assert "passed by override" in panel.gate.title.text()
    assert "Overridden by Dr Lee" in panel.gate.record.text()
    assert not panel.gate.override_button.isVisibleTo(panel)

    panel.set_gate_record(None, None, can_act=True)
    panel.show_assessment(assessment(gate=Gate(state=GateState.OPEN)), release_planned=True)
    assert "open" in panel.gate.title.text()
    assert panel.gate.items.links() == []
    panel.show_assessment(assessment(), release_planned=False)
    assert not panel.gate.isVisible()


def test_a_card_decides_with_one_key(panel, qtbot):
    panel.show_assessment(assessment(S1, TTS), release_planned=True)
    card = panel.card("R6")
    card.set_expanded(True)
    card.reasons.links()[0].setFocus()
    with qtbot.waitSignal(panel.sig_decision_changed):
        qtbot.keyClick(card.reasons.links()[0], Qt.Key.Key_C)
    assert panel.decisions()["R6"].choice is Choice.CONFIRMED
    assert card.state.text() == "✓ Confirmed as a diagnosis"
    qtbot.keyClick(card.change_button, Qt.Key.Key_X)
    assert "R6" not in panel.decisions()
    qtbot.keyClick(card.confirm_button, Qt.Key.Key_D)
    assert panel.decisions()["R6"].choice is Choice.DISMISSED
    qtbot.keyClick(card.change_button, Qt.Key.Key_X)
    qtbot.keyClick(card.confirm_button, Qt.Key.Key_W)
    assert panel.decisions()["R6"].choice is Choice.WORKING


def test_banner_alerts_until_acknowledged_then_says_who_and_when(qtbot):
    banner = RedFlagBanner()
    qtbot.addWidget(banner)
    banner.show()
    urgent = assessment(CES, urgent_flags=("bladder_change",), urgent_acknowledged=False)
    banner.show_state(urgent, None, can_acknowledge=True)
    assert banner.alerting
    assert banner.title.text() == "URGENT: Possible cauda equina syndrome"
    assert banner.acknowledge_button.isVisible()
    with qtbot.waitSignal(banner.sig_acknowledge_requested):
        qtbot.mouseClick(banner.acknowledge_button, Qt.MouseButton.LeftButton)

    ack = RedFlagAcknowledgement(
        flags=("bladder_change",), by_name="Dr Lee", at=datetime(2025, 3, 14, 15, 9, tzinfo=UTC)
    )
    done = assessment(CES, urgent_flags=("bladder_change",), urgent_acknowledged=True)
    banner.show_state(done, ack, can_acknowledge=True)
    assert not banner.alerting
    assert banner.isVisible()
    assert "acknowledged by Dr Lee" in banner.acknowledged.text()
    assert "bladder change" in banner.acknowledged.text()

    banner.show_state(assessment(), ack, can_acknowledge=True)
    assert not banner.isVisible()


def test_a_finding_path_inside_the_sensory_map_selects_its_region_and_modality(qtbot):
    view = SensoryMapView(Side.LEFT, load_foot_map(foot_map_path()))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=3000)

    assert view.focus_part("PL-HALLUX.pin_prick")
    assert view.selected_region() == RegionCode.PL_HALLUX
    assert view.modality is Modality.PIN_PRICK
    assert QApplication.focusWidget() is view.canvas

    assert view.focus_part("BD-LAT")
    assert view.selected_region() == RegionCode.BD_LAT
    assert view.modality is Modality.PIN_PRICK  # a bare region keeps the modality shown
    assert not view.focus_part("NOT-A-REGION")
    assert view.selected_region() == RegionCode.BD_LAT


# --- one line per card, the gate pinned, nothing cut ------------------------------------------

DOUBLE_CRUSH = Suggestion(
    key="R10",
    rule="R10",
    severity=Severity.WARNING,
    title="Possible coexisting lumbar radiculopathy or polyneuropathy (double crush)",
    sides=(Side.RIGHT,),
    next_step="Complete the lumbar screen and electrodiagnosis before a surgical referral.",
)


def many(count: int) -> tuple[Suggestion, ...]:
    return tuple(
        S1.model_copy(update={"key": f"R6-{i}", "title": f"Possible S1 radiculopathy {i}"})
        for i in range(count)
    )


def test_a_closed_card_is_one_line_and_opens_with_enter_space_or_a_click(panel, qtbot):
    panel.show_assessment(assessment(S1, TTS), release_planned=False)
    card = panel.card("R1")
    assert not card.expanded
    assert not card.details.isVisible()
    assert card.title.toolTip() == TTS.title  # cut with "…" on one line, whole in the tip
    # One line: severity, title and the three answers (one letter each) side by side.
    head_height = card.head.height()
    assert head_height <= max(card.fontMetrics().lineSpacing() * 2, card.confirm_button.height())
    assert card.head.isAncestorOf(card.confirm_button)
    assert card.height() <= head_height + 12  # nothing under the line
    assert [b.text() for b in (card.confirm_button, card.accept_button, card.dismiss_button)] == [
        "C",
        "W",
        "D",
    ]
    assert card.tab_widgets() == [
        card.expand_button,
        card.confirm_button,
        card.accept_button,
        card.dismiss_button,
    ]

    card.expand_button.setFocus()
    with qtbot.waitSignal(panel.sig_cards_changed):
        qtbot.keyClick(card.expand_button, Qt.Key.Key_Space)
    assert card.expanded
    assert card.details.isVisible()
    # Opened, the head reads key, sides and confidence; the whole title wraps under it.
    QApplication.processEvents()
    assert card.meta.isVisible()
    assert card.title.mapTo(card, card.title.rect().topLeft()).y() >= card.head.geometry().bottom()
    assert card.title.toolTip() == ""
    assert card.tab_widgets() == [
        card.expand_button,
        card.reasons.links()[0],
        card.comment,
        card.confirm_button,
        card.accept_button,
        card.dismiss_button,
    ]
    qtbot.keyClick(card.expand_button, Qt.Key.Key_Enter)
    assert not card.expanded
    qtbot.mouseClick(card.badge, Qt.MouseButton.LeftButton)
    assert card.expanded
    qtbot.mouseClick(card.title, Qt.MouseButton.LeftButton)
    assert not card.expanded


def test_the_focused_closed_card_decides_with_its_keys(panel, qtbot):
    panel.show_assessment(assessment(S1, TTS), release_planned=False)
    card = panel.card("R6")
    card.expand_button.setFocus()
    with qtbot.waitSignal(panel.sig_decision_changed):
        qtbot.keyClick(card.expand_button, Qt.Key.Key_W)
    assert panel.decisions()["R6"].choice is Choice.WORKING
    assert not card.expanded  # deciding does not open the card
    assert QApplication.focusWidget() is card.change_button
    assert card.state.isVisible()
    qtbot.keyClick(card.change_button, Qt.Key.Key_X)
    assert "R6" not in panel.decisions()
    assert QApplication.focusWidget() is card.confirm_button
    assert not card.expanded


def test_enter_on_a_decision_opens_the_card_and_space_presses_it(panel, qtbot):
    panel.show_assessment(assessment(S1, TTS), release_planned=False)
    card = panel.card("R6")
    card.confirm_button.setFocus(F.ShortcutFocusReason)  # where Alt+T puts the cursor
    qtbot.keyClick(card.confirm_button, Qt.Key.Key_Return)
    assert card.expanded
    assert panel.decisions() == {}
    assert QApplication.focusWidget() is card.confirm_button
    qtbot.keyClick(card.confirm_button, Qt.Key.Key_Enter)
    assert not card.expanded
    card.set_expanded(True)
    card.comment.setFocus()
    qtbot.keyClick(card.comment, Qt.Key.Key_Return)  # Enter in the comment keeps it open
    assert card.expanded
    qtbot.keyClick(card.accept_button, Qt.Key.Key_Space)
    assert panel.decisions()["R6"].choice is Choice.WORKING


def test_a_signed_card_still_opens_to_show_why(panel, qtbot):
    panel.show_assessment(assessment(TTS), release_planned=False)
    panel.set_decisions({}, read_only=True)
    card = panel.card("R1")
    assert card.tab_widgets() == [card.expand_button]
    card.expand_button.setFocus()
    qtbot.keyClick(card.expand_button, Qt.Key.Key_Return)
    assert card.why.isVisible()
    assert not card.comment.isVisible()
    assert card.state.text() == "No decision recorded when signed."


def test_a_card_the_cursor_is_sent_to_opens_but_tab_and_alt_t_pass_by(panel, qtbot):
    panel.show_assessment(assessment(S1, TTS), release_planned=True)
    tabbed, shortcut, sent = panel.card("R6"), panel.card("R1"), panel.card("R6")
    tabbed.confirm_button.setFocus(F.TabFocusReason)
    assert not tabbed.expanded
    shortcut.confirm_button.setFocus(F.ShortcutFocusReason)  # Alt+T
    assert not shortcut.expanded
    # A refused signature puts the cursor on the card's Confirm (encounter pane).
    with qtbot.waitSignal(panel.sig_cards_changed):
        sent.dismiss_button.setFocus()
        sent.confirm_button.setFocus(F.OtherFocusReason)
    assert sent.expanded
    assert sent.why.isVisible() or sent.reasons.isVisible()


def test_the_gate_is_pinned_above_the_cards_and_stays_when_they_scroll(panel, qtbot):
    missing = tuple(f"lumbar.right.myotomes.m{i}" for i in range(3))
    panel.set_gate_record(None, None, can_act=True)
    panel.show_assessment(assessment(*many(12), gate=blocked_gate(missing)), release_planned=True)
    qtbot.waitUntil(lambda: panel.scroll_area.verticalScrollBar().maximum() > 0)
    assert not panel.scroll_area.isAncestorOf(panel.gate)
    assert panel.gate.geometry().bottom() < panel.scroll_area.geometry().top()
    where = panel.gate.mapTo(panel, panel.gate.rect().topLeft())
    last = panel.card(panel.keys[-1])
    last.confirm_button.setFocus(F.TabFocusReason)  # Tab to a card far below
    qtbot.waitUntil(lambda: panel.scroll_area.verticalScrollBar().value() > 0)
    assert panel.gate.isVisible()
    assert panel.gate.mapTo(panel, panel.gate.rect().topLeft()) == where
    assert panel.tab_widgets()[0] is panel.gate.items.links()[0]


def test_a_long_gate_list_scrolls_inside_the_gate_and_leaves_room_for_cards(panel, qtbot):
    missing = tuple(f"lumbar.right.myotomes.m{i}" for i in range(GATE_LINKS_SHOWN + 20))
    panel.set_gate_record(None, None, can_act=True)
    panel.show_assessment(assessment(S1, TTS, gate=blocked_gate(missing)), release_planned=True)
    QApplication.processEvents()
    scroll = panel.gate.items_scroll
    assert scroll.height() <= panel.height() // 3
    assert scroll.verticalScrollBar().maximum() > 0
    assert panel.scroll_area.height() >= panel.height() // 3
    last = panel.gate.items.links()[-1]
    last.setFocus(F.TabFocusReason)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().value() > 0)
    top = last.mapTo(scroll.viewport(), last.rect().topLeft()).y()
    assert top >= 0
    assert top + last.height() <= scroll.viewport().height()


def test_a_short_gate_list_is_shown_whole(panel):
    panel.set_gate_record(None, None, can_act=True)
    blocked = blocked_gate(("lumbar.back_pain",))
    panel.show_assessment(assessment(S1, gate=blocked), release_planned=True)
    QApplication.processEvents()
    scroll = panel.gate.items_scroll
    assert scroll.verticalScrollBar().maximum() == 0
    for line in panel.gate.items.items:
        assert line.geometry().bottom() <= scroll.viewport().height()


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_nothing_is_cut_at_a_normal_or_a_large_font(panel, qtbot, scale):
    font = QFont(panel.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    panel.setFont(font)
    panel.set_gate_record(None, None, can_act=True)
    missing = ("lumbar.back_pain", "lumbar.right.slr.symptom")
    panel.show_assessment(assessment(S1, TTS, gate=blocked_gate(missing)), release_planned=True)
    panel.set_decisions({"R1": Decision(choice=Choice.WORKING)}, read_only=False)
    panel.card("R6").set_expanded(True)
    QApplication.processEvents()
    width = panel.scroll_area.viewport().width()
    assert panel.body.minimumSizeHint().width() <= width
    assert panel.gate.minimumSizeHint().width() <= panel.width()
    for container in (panel.gate, *(panel.card(k) for k in panel.keys)):
        for widget in container.findChildren(QWidget):
            if not widget.isVisible() or widget.width() == 0:
                continue
            box = widget.rect().translated(widget.mapTo(container, widget.rect().topLeft()))
            assert container.rect().contains(box), (scale, widget.objectName(), box)
    for key in panel.keys:
        for button in (panel.card(key).confirm_button, panel.card(key).change_button):
            if button.isVisible():
                text_width = button.fontMetrics().horizontalAdvance(button.text())
                assert button.width() > text_width, (scale, button.text())


def test_a_refusal_is_answered_once_every_item_it_named_is_met(panel, qtbot):
    reason = ("assessment.foot_primary_reason",)
    blocked = Gate(
        state=GateState.BLOCKED,
        sides=(Side.RIGHT,),
        unmet=(
            GateCheck(
                item=GateItem.COMPETING_CAUSES,
                side=Side.RIGHT,
                label="Competing causes active (R6): write why the foot is the primary source",
                paths=reason,
            ),
        ),
    )
    panel.show_assessment(assessment(S1, gate=blocked), release_planned=True)
    panel.note_refusal(reason)
    answered = []
    panel.sig_refusal_answered.connect(lambda: answered.append(True))
    panel.show_assessment(assessment(S1, DOUBLE_CRUSH, gate=blocked), release_planned=True)
    assert answered == []
    opened = Gate(state=GateState.OPEN, sides=(Side.RIGHT,))
    panel.show_assessment(assessment(S1, gate=opened), release_planned=True)
    assert answered == [True]

    # A refusal naming undecided warnings is answered by the last decision.
    panel.note_refusal(["assessment.decisions.R6"])
    qtbot.mouseClick(panel.card("R6").accept_button, Qt.MouseButton.LeftButton)
    assert answered == [True, True]


def test_a_next_step_the_gate_has_met_reads_as_done(panel):
    card_of = panel.card
    blocked = blocked_gate(("lumbar.back_pain",))
    panel.show_assessment(assessment(DOUBLE_CRUSH, gate=blocked), release_planned=True)
    card_of("R10").set_expanded(True)
    assert card_of("R10").next_step.text().startswith("<b>Next:</b> Complete the lumbar screen")
    opened = Gate(state=GateState.OPEN, sides=(Side.RIGHT,))
    panel.show_assessment(assessment(DOUBLE_CRUSH, gate=opened), release_planned=True)
    shown = card_of("R10").next_step.text()
    assert shown.startswith("<b>Done:</b> The lumbar screen is complete")
    assert "Complete the lumbar screen" not in texts(panel)
