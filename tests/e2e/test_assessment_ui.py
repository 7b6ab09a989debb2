"""The live assessment through the real window: cards follow the findings, reasons lead to
them, choices are saved, the urgent banner waits for its (audited) acknowledgement, and the
pre-operative gate (R11) holds the Sign button until the lumbar screen and the reason are in.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_exam_charting import ALT, CTRL, NO, Keyboard, normal_exam

from clinic_app.app import build_services
from clinic_app.domain.assessment.record import Choice, Decision
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import Encounter, EncounterStatus
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.layout import set_path
from clinic_app.domain.regions import RegionCode
from clinic_app.settings import load_settings
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.views.encounter_view import EncounterPane

pytestmark = pytest.mark.e2e

DEFICIT = ("PL-ARCH-MED", "PL-FORE-MED", "PL-HALLUX")
REASON = "Plantar nerve conduction abnormal; the S1 reflex loss is old and painless."


def right_tarsal_tunnel_exam() -> dict[str, Any]:
    """Every section normal, then a right tarsal tunnel pattern (R1 and R2 fire)."""
    exam = normal_exam()
    for code in DEFICIT:
        exam["right"]["sensory"]["regions"][code].update(
            light_touch="reduced", pin_prick="reduced", symptoms=["numb", "burning"]
        )
    set_path(exam, "right.tinel.tarsal_tunnel.result", "positive")
    return exam


def store(clinic: dict[str, Any], content: dict[str, Any]) -> None:
    """Save draft content as another workstation would, before the window opens."""
    services = build_services(load_settings(clinic["data_dir"]))
    enc = services.encounters.get(clinic["principal"], clinic["encounter_id"]).encounter
    services.encounters.save_draft(clinic["principal"], enc.id, content, enc.version)


def stored(clinic: dict[str, Any]) -> Encounter:
    """A fresh process's view of the encounter."""
    services = build_services(load_settings(clinic["data_dir"]))
    view = services.encounters.get(clinic["principal"], clinic["encounter_id"])
    assert view.intact
    return view.encounter


def open_encounter(
    logged_in_window: Any, clinic: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[MainWindow, EncounterPane]:
    window = logged_in_window()
    # Signing asks "Sign and lock?" through the dialogs seam: answer yes.
    monkeypatch.setattr(window.dialogs, "confirm", lambda *_a, **_k: True)
    window.open_chart(clinic["patient_id"])
    window.open_encounter(clinic["encounter_id"])
    assert window.right.currentWidget() is window.encounter_pane
    return window, window.encounter_pane


class Keys(Keyboard):
    """Key presses with the event loop running between them, as between a person's keys.

    The pane assesses a change at once and the rest of a burst (a section filled as normal)
    when the event loop next runs.
    """

    def __call__(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = NO, times: int = 1) -> None:
        for _ in range(times):
            super().__call__(key, modifiers)
            settle(self.qtbot)


def settle(qtbot: Any) -> None:
    qtbot.wait(1)


def chart(qtbot: Any, pane: EncounterPane, path: str, keys: str) -> None:
    """Put the cursor on a finding and type its value, as the clinician would."""
    pane.form.focus_path(path)
    Keys(qtbot).text(keys)


def click(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    settle(qtbot)


def test_panel_follows_findings_and_reasons_lead_to_them(
    qtbot, clinic, logged_in_window, monkeypatch
):
    window, pane = open_encounter(logged_in_window, clinic, monkeypatch)
    assert pane.panel.keys == []
    assert pane.panel.empty.isVisible()

    chart(qtbot, pane, "right.tinel.tarsal_tunnel.result", "p")
    assert pane.panel.keys == []  # a Tinel alone fires nothing
    pane.form.focus_path("right.sensory.regions")
    sensory = pane.form.control("right.sensory.regions")
    sensory.focus_region(RegionCode.PL_ARCH_MED)
    Keys(qtbot).text("1r")  # light touch reduced in the arch
    assert "R1-CHECK" in pane.panel.keys  # tibial evidence, rule-outs not tested yet

    chart(qtbot, pane, "lumbar.left.achilles.grade", "0")
    assert "R6" in pane.panel.keys
    assert "R10" in pane.panel.keys

    # The R6 reason names the left Achilles reflex: a click puts the cursor there.
    pane.form.focus_path("history.onset")
    click(qtbot, pane.panel.card("R6").reasons.links()[0])
    assert pane.form.bound_path_of(QApplication.focusWidget()) == "lumbar.left.achilles.grade"

    # R10's first reason names sensory regions: the map gets the cursor on the first one
    # and outlines the others; by keyboard (Tab to the link, Enter) as well as by click.
    link = pane.panel.card("R10").reasons.links()[0]
    link.setFocus()
    Keys(qtbot)(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is sensory.canvas
    assert sensory.selected_region() == RegionCode.PL_ARCH_MED
    assert RegionCode.PL_ARCH_MED in sensory.highlighted

    # Taking the finding back (Delete: not tested) takes the warning away.
    pane.form.focus_path("lumbar.left.achilles.grade")
    Keys(qtbot)(Qt.Key.Key_Delete)
    assert "R6" not in pane.panel.keys
    window.close()


def test_accept_with_comment_is_saved_read_back_and_signed(
    qtbot, clinic, logged_in_window, monkeypatch
):
    exam = right_tarsal_tunnel_exam()
    set_path(exam, "lumbar.left.achilles.grade", "0")
    store(clinic, {"exam": exam})
    window, pane = open_encounter(logged_in_window, clinic, monkeypatch)
    card = pane.panel.card("R6")
    assert card is not None

    pane.panel.focus_first()
    qtbot.keyClicks(card.comment, "MRI lumbar spine requested")
    settle(qtbot)
    card.accept_button.setFocus()
    Keys(qtbot)(Qt.Key.Key_Space)
    Keys(qtbot)(Qt.Key.Key_S, CTRL)
    assert pane.save_status.text().startswith("Saved")
    window.close()

    expected = Decision(choice=Choice.WORKING, comment="MRI lumbar spine requested")
    assert stored(clinic).content.assessment.decisions == {"R6": expected}

    window, pane = open_encounter(logged_in_window, clinic, monkeypatch)
    card = pane.panel.card("R6")
    assert card.state.text() == "✓ Working"  # a closed card's line; the sentence opened
    assert card.state.toolTip() == "✓ Kept as a working impression"
    assert card.comment.text() == "MRI lumbar spine requested"
    assert card.change_button.isVisible()
    click(qtbot, pane.sign_button)
    assert pane.encounter.is_signed
    card = pane.panel.card("R6")
    assert card.state.text() == "✓ Working"
    assert (
        card.state.toolTip()
        == "✓ Kept as a working impression when signed: MRI lumbar spine requested"
    )
    assert not card.change_button.isVisible()
    assert not card.comment.isVisible()
    window.close()
    assert stored(clinic).content.assessment.decisions == {"R6": expected}


def test_urgent_banner_holds_routine_suggestions_until_acknowledged_and_is_audited(
    qtbot, clinic, logged_in_window, monkeypatch
):
    store(clinic, {"exam": right_tarsal_tunnel_exam()})
    window, pane = open_encounter(logged_in_window, clinic, monkeypatch)
    banner = pane.red_flags
    assert {"R1", "R2"} <= set(pane.panel.keys)
    assert not banner.isVisible()

    chart(qtbot, pane, "red_flags.bladder_change.present", "y")
    assert banner.alerting
    assert banner.title.text().startswith("URGENT: Possible cauda equina syndrome")
    assert "Bladder change: yes" in [line.text() for line in banner.reasons.items]
    assert "R0-CES" in pane.panel.keys
    assert "R1" not in pane.panel.keys
    assert pane.panel.held_back.isVisible()
    assert pane.panel.held_back.text().startswith("2 routine suggestions held back")

    # The banner stays through a save, a restart, and a refused signature.
    Keys(qtbot)(Qt.Key.Key_S, CTRL)
    window.close()
    window, pane = open_encounter(logged_in_window, clinic, monkeypatch)
    banner = pane.red_flags
    assert banner.alerting
    click(qtbot, pane.sign_button)
    assert not pane.encounter.is_signed
    assert "Acknowledge the urgent alert" in pane.message.text()
    assert pane.form.bound_path_of(QApplication.focusWidget()) == (
        "red_flags.bladder_change.present"
    )
    assert banner.alerting

    Keys(qtbot)(Qt.Key.Key_K, ALT)  # Ac&knowledge
    qtbot.waitUntil(lambda: not banner.alerting, timeout=2000)
    assert "acknowledged by Dr Lee" in banner.acknowledged.text()
    assert {"R1", "R2"} <= set(pane.panel.keys)
    assert not pane.panel.held_back.isVisible()
    ack = stored(clinic).content.assessment.red_flags_acknowledged
    assert ack is not None
    assert ack.flags == ("bladder_change",)
    assert ack.by_name == "Dr Lee"

    services = build_services(load_settings(clinic["data_dir"]))
    admin = services.accounts.login("admin", clinic["password"])
    acknowledged = [
        e for e in services.audit.recent(admin) if e.action is AuditAction.ACKNOWLEDGE_RED_FLAGS
    ]
    assert len(acknowledged) == 1
    assert acknowledged[0].entity_id == str(clinic["encounter_id"])
    assert acknowledged[0].detail == "bladder_change"
    assert acknowledged[0].username == "drlee"

    # A new cauda equina flag brings the banner back, for that flag too.
    chart(qtbot, pane, "red_flags.saddle_numbness.present", "y")
    assert banner.alerting
    assert "Saddle numbness: yes" in [line.text() for line in banner.reasons.items]
    assert "R1" not in pane.panel.keys
    window.close()


def test_release_plan_is_refused_until_lumbar_screen_and_reason_then_signs(
    qtbot, clinic, logged_in_window, monkeypatch
):
    exam = right_tarsal_tunnel_exam()
    exam["lumbar"] = NeuroFootExam().model_dump(mode="json")["lumbar"]  # not done at all
    store(clinic, {"exam": exam})
    window, pane = open_encounter(logged_in_window, clinic, monkeypatch)
    press = Keys(qtbot)
    assert not pane.panel.gate.isVisible()
    assert not pane.reason_box.isVisible()

    # Plan: a right tarsal tunnel release (Alt+R goes to the box, R picks right).
    press(Qt.Key.Key_R, ALT)
    assert QApplication.focusWidget() is pane.release
    press.text("r")
    assert pane.release.value() == "right"
    gate = pane.panel.gate
    assert gate.isVisible()
    assert "signing is blocked" in gate.title.text()
    first = gate.items.links()[0]
    assert first.text() == "Not tested: Back pain"

    click(qtbot, pane.sign_button)
    assert not pane.encounter.is_signed
    message = pane.message.text()
    assert message.startswith("Not signed:")
    # Only the signature was refused: the draft itself is saved, and says so.
    assert pane.save_status.text().startswith("Saved"), pane.save_status.text()
    assert "Lumbar screen incomplete" in message
    for item in ("Back pain", "Right Leg pain below the knee", "Left Reflexes: Achilles reflex"):
        assert item in message
    assert pane.form.bound_path_of(QApplication.focusWidget()) == "lumbar.back_pain"

    # Following a gate link also goes to the item.
    click(qtbot, gate.items.links()[1])
    assert pane.form.bound_path_of(QApplication.focusWidget()) == (
        "lumbar.right.leg_pain_below_knee"
    )

    # The lumbar and pulse sections filled as normal (Alt+N), an abnormal right medial plantar
    # study, then an absent right Achilles reflex (R6 on the planned side).
    for section in (
        "lumbar.back_pain",
        "lumbar.right.leg_pain_below_knee",
        "right.pulses.dorsalis_pedis",
    ):
        pane.form.focus_path(section)
        press(Qt.Key.Key_N, ALT)
    assert pane.assessment.lumbar_missing == ()
    chart(qtbot, pane, "right.nerve_conduction.medial_plantar", "abnormal")
    chart(qtbot, pane, "lumbar.right.achilles.grade", "0")
    assert pane.assessment.foot_primary_reason_needed
    assert pane.reason_box.isVisible()
    reason_link = next(link for link in gate.items.links() if "write why the foot" in link.text())
    assert reason_link.text().startswith("Right: Competing causes active (R6)")

    click(qtbot, pane.sign_button)
    assert not pane.encounter.is_signed
    assert "write why the foot is the primary source" in pane.message.text()
    assert QApplication.focusWidget() is pane.reason.editor

    qtbot.keyClicks(pane.reason.editor, REASON)
    settle(qtbot)
    assert not pane.assessment.foot_primary_reason_needed
    assert "open" in gate.title.text()
    # What the refusal asked for is done: its red line does not stay to mislead.
    assert pane.message.text() == ""

    # With a release planned, each warning needs a decision: one key on its card.
    click(qtbot, pane.sign_button)
    assert not pane.encounter.is_signed
    assert "decide on each warning" in pane.message.text()
    for key in ("R6", "R10"):
        card = pane.panel.card(key)
        assert card is not None
        card.confirm_button.setFocus()
        press.text("w")
    settle(qtbot)
    assert pane.message.text() == ""
    click(qtbot, pane.sign_button)
    assert pane.encounter.is_signed
    assert pane.panel.gate.isVisible()
    assert pane.reason.editor.isReadOnly()
    pane.release.setFocus()
    press.text("l")  # a signed plan takes no change
    assert pane.release.value() == "right"
    window.close()

    signed = stored(clinic)
    assert signed.status is EncounterStatus.SIGNED
    assert signed.content.release.value == "right"
    assert signed.content.assessment.foot_primary_reason == REASON


def test_everything_in_the_panel_is_reached_with_tab_after_the_plan(
    qtbot, clinic, logged_in_window, monkeypatch
):
    exam = right_tarsal_tunnel_exam()
    set_path(exam, "lumbar.left.achilles.grade", "0")
    store(clinic, {"exam": exam, "release": "right"})
    window, pane = open_encounter(logged_in_window, clinic, monkeypatch)
    press = Keys(qtbot)
    stops = pane.panel.tab_widgets()
    assert stops[0] is pane.panel.gate.items.links()[0]
    assert pane.panel.card("R6").accept_button in stops

    press(Qt.Key.Key_T, ALT)  # straight to the first card waiting for a decision
    waiting = next(k for k in pane.panel.keys if k not in pane.panel.decisions())
    assert QApplication.focusWidget() is pane.panel.card(waiting).confirm_button

    pane.plan.editor.setFocus()
    seen = []
    for _ in range(len(stops) + 3):
        press(Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert seen[:2] == [pane.release, pane.reason.editor]
    assert seen[2 : 2 + len(stops)] == stops
    # After the assessment: the handout picker, the visit note, then Sign.
    assert seen[2 + len(stops)] is pane.handouts.handout
    handout_stops = pane.handouts.tab_widgets()
    for _ in range(len(handout_stops)):
        press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is pane.note_button
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is pane.sign_button

    # Accept by keyboard: the card's state changes and the cursor stays on the card.
    card = pane.panel.card("R6")
    card.accept_button.setFocus()
    press(Qt.Key.Key_Space)
    assert card.state.text() == "✓ Kept as a working impression"
    assert QApplication.focusWidget() is card.change_button
    window.close()
