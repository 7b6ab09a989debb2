"""Keys counted from the encounter open to signed, with real key presses in the real window.

(a) A normal bilateral exam: every untested item normal (Alt+Shift+N), sign (Ctrl+Shift+S),
Enter in the sign dialog. (b) The 58-year-old with a right tarsal tunnel picture plus S1 signs,
a right release planned and the reason written: typed findings in the quick-entry line, the
rest normal (the nerve study report shows an abnormal medial plantar study), the release,
the reason, a decision on each card, sign. Text typed (the quick-entry line and the reason)
is counted apart from the other keys. The counts are printed (`pytest -s`).
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from test_exam_charting import Keyboard, normal_exam, open_draft

from clinic_app.app import build_services
from clinic_app.settings import load_settings

pytestmark = pytest.mark.e2e

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
NO = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


class CountingKeyboard(Keyboard):
    """Counts typed text apart from the other keys."""

    def __init__(self, qtbot: Any) -> None:
        super().__init__(qtbot)
        self.typed = 0

    def __call__(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = NO, times: int = 1) -> None:
        for _ in range(times):
            super().__call__(key, modifiers)
            QApplication.processEvents()  # a person's next key comes after the screen updates

    def text(self, text: str) -> None:
        for ch in text:
            target = QApplication.focusWidget()
            assert target is not None
            self.qtbot.keyClicks(target, ch)
            self.typed += 1


def enter_in_next_question(qtbot: Any, press: Keyboard, seen: list[str]) -> None:
    """When the sign question opens, press Enter in it (counted as a key)."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)  # not open yet
            return
        seen.append(box.windowTitle())
        qtbot.keyClick(box, Qt.Key.Key_Return)  # as the identity test does: Enter in the box
        press.count += 1

    QTimer.singleShot(0, answer)


def stored(clinic: dict[str, Any]) -> Any:
    services = build_services(load_settings(clinic["data_dir"]))
    view = services.encounters.get(clinic["principal"], clinic["encounter_id"])
    assert view.intact
    return view.encounter


def test_normal_bilateral_exam_to_signed_in_three_keys(qtbot, clinic, logged_in_window):
    window = open_draft(logged_in_window)
    pane = window.encounter_pane
    press = CountingKeyboard(qtbot)
    assert press.focus_name() == "history.onset"
    press(Qt.Key.Key_N, ALT | SHIFT)
    seen: list[str] = []
    enter_in_next_question(qtbot, press, seen)
    press(Qt.Key.Key_S, CTRL | SHIFT)
    assert seen == ["Sign encounter"]
    assert pane.encounter is not None
    assert pane.encounter.is_signed, pane.message.text()
    print(f"\nnormal bilateral exam, open to signed: {press.count} keys")
    assert press.count <= 8
    window.close()

    expected = normal_exam()
    expected["red_flags"]["age_over_50"]["present"] = "yes"  # born 1958: from the birth date
    enc = stored(clinic)
    assert enc.is_signed
    assert enc.content.exam.model_dump(mode="json") == expected


QUICK = (
    "tinel r pos arch hallux; lt r arch hallux reduced; pin r arch hallux reduced; "
    "de r pos; tcst r pos; legpain r yes; aj r 0; slr r 40 foot; pf r 4; mps r abn"
)
REASON = "Sole-only numbness with a positive Tinel at the tunnel; S1 left to nerve studies."


def test_right_tarsal_tunnel_with_s1_signs_release_planned_to_signed(
    qtbot, clinic, logged_in_window
):
    window = open_draft(logged_in_window)
    pane = window.encounter_pane
    press = CountingKeyboard(qtbot)

    press(Qt.Key.Key_K, CTRL)
    assert press.focus_name() == "quick_entry"
    press.text(QUICK)
    preview = pane.quick_preview.text()
    assert preview.startswith("Enter sets:"), preview
    assert "medial mid-sole (arch)" in preview
    assert "PL-" not in preview
    press(Qt.Key.Key_Return)
    press(Qt.Key.Key_Escape)
    press(Qt.Key.Key_N, ALT | SHIFT)  # the rest of the exam normal, charted items kept

    press(Qt.Key.Key_R, ALT)  # Tarsal tunnel release planned
    assert press.focus_name() == "release_plan"
    press(Qt.Key.Key_R)  # right
    press(Qt.Key.Key_W, ALT)  # why the foot is the primary source
    assert press.focus_name() == "foot_primary_reason"
    press.text(REASON)

    decided = []
    while pane._undecided():
        press(Qt.Key.Key_T, ALT)  # the next card waiting for a decision
        card_key = next(k for k in pane.panel.keys if k not in pane.panel.decisions())
        assert QApplication.focusWidget() is pane.panel.card(card_key).confirm_button
        press(Qt.Key.Key_C if card_key == "R14-TTS" else Qt.Key.Key_W)
        decided.append(card_key)
    seen: list[str] = []
    enter_in_next_question(qtbot, press, seen)
    press(Qt.Key.Key_S, CTRL | SHIFT)
    assert pane.encounter is not None
    assert pane.encounter.is_signed, pane.message.text()
    print(
        f"\nright tarsal tunnel + S1, release planned, reason written: {press.count} non-text "
        f"keys, {press.typed} typed characters; cards decided: {decided}"
    )
    assert press.count <= 40
    window.close()

    enc = stored(clinic)
    exam = enc.content.exam
    assert exam.right.tinel.tarsal_tunnel.result == "positive"
    assert [r.value for r in exam.right.tinel.tarsal_tunnel.radiates_distal] == [
        "PL-ARCH-MED",
        "PL-HALLUX",
    ]
    assert exam.lumbar.right.achilles.grade == "0"
    assert exam.lumbar.right.slr.angle_deg == 40
    assert exam.lumbar.right.myotomes.plantarflexion == "4"
    arch = exam.right.sensory.regions["PL-ARCH-MED"]
    assert (arch.light_touch, arch.pin_prick) == ("reduced", "reduced")
    assert exam.left.tinel.tarsal_tunnel.result == "negative"  # filled as normal
    assert enc.content.release == "right"
    assert enc.content.assessment.foot_primary_reason == REASON
    assert exam.right.nerve_conduction.medial_plantar == "abnormal"
    assert set(enc.content.assessment.decisions) == set(decided)
