"""Chart the two example exams through the real window with the keyboard only, counting the
key presses; save, restart, and read them back equal.

(a) a normal bilateral exam; (b) a right-sided tarsal tunnel exam with a sensory deficit in
three plantar regions. The counts are printed (`pytest -s`) and quoted in the release notes.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from clinic_app.app import build_services, form_catalog
from clinic_app.domain.exam import NeuroFootExam, SensoryMap
from clinic_app.domain.layout import set_path
from clinic_app.domain.regions import RegionCode
from clinic_app.settings import load_settings
from clinic_app.ui.main_window import MainWindow

pytestmark = pytest.mark.e2e

NO = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
ARROWS = {
    Qt.Key.Key_Left: (-1.0, 0.0),
    Qt.Key.Key_Right: (1.0, 0.0),
    Qt.Key.Key_Up: (0.0, -1.0),
    Qt.Key.Key_Down: (0.0, 1.0),
}
DEFICIT = (RegionCode.PL_ARCH_MED, RegionCode.PL_FORE_MED, RegionCode.PL_HALLUX)


class Keyboard:
    """Sends key chords where the focus is, as a person would, and counts them."""

    def __init__(self, qtbot: Any) -> None:
        self.qtbot = qtbot
        self.count = 0

    def __call__(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = NO, times: int = 1) -> None:
        for _ in range(times):
            target = QApplication.focusWidget()
            assert target is not None, "nothing has keyboard focus"
            self.qtbot.keyClick(target, key, modifiers)
            self.count += 1

    def text(self, text: str) -> None:
        for ch in text:
            self(Qt.Key(ord(ch.upper())))

    def focus_name(self) -> str:
        widget = QApplication.focusWidget()
        return widget.objectName() if widget else ""


def open_draft(logged_in_window: Any) -> MainWindow:
    """Start the app, log in, and open the waiting draft from the start page (Enter)."""
    window = logged_in_window()
    resume = window.findChild(QPushButton, "resume_draft_button")
    QTest.keyClick(resume, Qt.Key.Key_Return)
    assert window.right.currentWidget() is window.encounter_pane
    return window


def read_back(clinic: dict[str, Any]) -> NeuroFootExam:
    """A fresh process's view of the stored exam (new services over the same folder)."""
    services = build_services(load_settings(clinic["data_dir"]))
    view = services.encounters.get(clinic["principal"], clinic["encounter_id"])
    assert view.intact
    return view.encounter.content.exam


def normal_exam() -> dict[str, Any]:
    """Every section's normal preset applied to a blank exam, as the layout defines it."""
    data = NeuroFootExam().model_dump(mode="json")
    normal_map = SensoryMap().charted_normal()
    for path, value in form_catalog().exam_layout().normal_values().items():
        if path.endswith("sensory.regions"):
            value = normal_map.model_dump(mode="json")["regions"]  # a fresh copy per side
        set_path(data, path, value)
    return data


def arrow_path(sensory_map: Any, start: RegionCode, goal: RegionCode) -> list[Qt.Key]:
    """The shortest arrow-key route between two regions of the map, found with its own
    neighbour rule (so the test presses exactly what a user would)."""
    canvas = sensory_map.canvas
    queue: deque[tuple[RegionCode, list[Qt.Key]]] = deque([(start, [])])
    seen = {start}
    while queue:
        code, keys = queue.popleft()
        if code == goal:
            return keys
        for key, direction in ARROWS.items():
            nxt = canvas.neighbour(code, direction)
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*keys, key]))
    raise AssertionError(f"{goal} cannot be reached from {start} with arrow keys")


def test_normal_bilateral_exam_by_keyboard(qtbot, clinic, logged_in_window):
    window = open_draft(logged_in_window)
    press = Keyboard(qtbot)
    assert press.focus_name() == "history.onset"

    press(Qt.Key.Key_PageDown, CTRL, times=2)  # past history and previous release
    assert press.focus_name() == "right.inspection.hindfoot_alignment"
    press(Qt.Key.Key_N, ALT)
    # Tinel, provocation, sensory, intrinsics, pulses, lumbar x2, red flags
    for section in range(8):
        press(Qt.Key.Key_PageDown, CTRL)
        press(Qt.Key.Key_N, ALT)
        assert window.encounter_pane.form.section_of_focus().normal, section
    keys_to_chart = press.count
    press(Qt.Key.Key_S, CTRL)  # save now (autosave would within a second)
    assert window.encounter_pane.save_status.text().startswith("Saved")
    window.close()

    print(f"\nnormal bilateral exam: {keys_to_chart} key presses (+ Ctrl+S)")
    assert keys_to_chart == 19
    expected = normal_exam()
    expected["red_flags"]["age_over_50"]["present"] = "yes"  # answered from the birth date
    assert read_back(clinic) == NeuroFootExam.model_validate(expected)


def test_right_tarsal_tunnel_exam_with_three_plantar_deficits(qtbot, clinic, logged_in_window):
    window = open_draft(logged_in_window)
    pane = window.encounter_pane
    press = Keyboard(qtbot)
    expected = normal_exam()
    expected["red_flags"]["age_over_50"]["present"] = "yes"  # answered from the birth date

    # History: gradual onset, 12 weeks, worse standing and walking.
    press.text("g")
    press(Qt.Key.Key_Tab)
    press.text("12")
    press(Qt.Key.Key_Tab)
    press.text("y")
    press(Qt.Key.Key_Tab)
    press.text("y")
    for path, value in (
        ("history.onset", "gradual"),
        ("history.duration_weeks", 12),
        ("history.worse_standing", "yes"),
        ("history.worse_walking", "yes"),
    ):
        set_path(expected, path, value)

    press(Qt.Key.Key_PageDown, CTRL, times=2)
    press(Qt.Key.Key_N, ALT)  # inspection normal

    # Tinel: normal, then the right tarsal tunnel positive, radiating to arch and hallux.
    press(Qt.Key.Key_PageDown, CTRL)
    press(Qt.Key.Key_N, ALT)
    assert press.focus_name() == "right.tinel.tarsal_tunnel.result"
    press.text("p")
    press(Qt.Key.Key_Tab)
    radiation = pane.form.control("right.tinel.tarsal_tunnel.radiates_distal")
    choices = [radiation.item(i).data(Qt.ItemDataRole.UserRole) for i in range(radiation.count())]
    row = 0
    for code in sorted(("PL-ARCH-MED", "PL-HALLUX"), key=choices.index):
        press(Qt.Key.Key_Down, times=choices.index(code) - row)
        row = choices.index(code)
        press(Qt.Key.Key_Space)
    set_path(expected, "right.tinel.tarsal_tunnel.result", "positive")
    set_path(expected, "right.tinel.tarsal_tunnel.radiates_distal", ["PL-ARCH-MED", "PL-HALLUX"])

    # Provocation: normal, then dorsiflexion-eversion and triple compression positive.
    press(Qt.Key.Key_PageDown, CTRL)
    press(Qt.Key.Key_N, ALT)
    assert press.focus_name() == "right.provocation.dorsiflexion_eversion"
    press.text("p")
    press(Qt.Key.Key_Tab, times=2)
    press.text("p")
    set_path(expected, "right.provocation.dorsiflexion_eversion", "positive")
    set_path(expected, "right.provocation.triple_compression", "positive")

    # Sensory map: normal everywhere, then three plantar regions reduced to light touch and
    # pin-prick, numb and burning.
    press(Qt.Key.Key_PageDown, CTRL)
    press(Qt.Key.Key_N, ALT)
    sensory = pane.form.control("right.sensory.regions")
    for modality, keys in (("1", "r"), ("2", "r"), ("5", "nb")):
        press.text(modality)
        for code in DEFICIT:
            for key in arrow_path(sensory, sensory.selected_region(), code):
                press(key)
            assert sensory.selected_region() == code
            press.text(keys)
    for code in DEFICIT:
        region = expected["right"]["sensory"]["regions"][code.value]
        region.update(light_touch="reduced", pin_prick="reduced", symptoms=["numb", "burning"])

    for _section in range(5):  # intrinsics, pulses, lumbar history, lumbar screen, red flags
        press(Qt.Key.Key_PageDown, CTRL)
        press(Qt.Key.Key_N, ALT)
    keys_to_chart = press.count
    qtbot.waitUntil(lambda: pane.save_status.text().startswith("Saved"), timeout=5000)
    window.close()

    print(f"\nright tarsal tunnel exam, 3 plantar deficits: {keys_to_chart} key presses")
    assert read_back(clinic) == NeuroFootExam.model_validate(expected)
    assert keys_to_chart < 80


def test_addendum_amends_findings_of_a_signed_exam_without_changing_it(
    qtbot, clinic, logged_in_window, monkeypatch
):
    services = build_services(load_settings(clinic["data_dir"]))
    principal = clinic["principal"]
    exam = normal_exam()
    enc = services.encounters.get(principal, clinic["encounter_id"]).encounter
    saved = services.encounters.save_draft(principal, enc.id, {"exam": exam}, enc.version)
    services.encounters.sign(principal, enc.id, saved.version)

    window = logged_in_window()
    # Signing the addendum asks first (answered in test_patient_identity): answer yes here.
    monkeypatch.setattr(window.dialogs, "confirm", lambda *_a, **_k: True)
    window.open_chart(enc.patient_id)
    window.open_encounter(enc.id)
    pane = window.encounter_pane
    press = Keyboard(qtbot)
    slr = pane.form.control("lumbar.right.slr.symptom")
    assert pane.form.read_only

    press(Qt.Key.Key_M, ALT)  # A&mend findings (a mnemonic clicks after a short animation)
    qtbot.waitUntil(lambda: not pane.form.read_only, timeout=2000)
    pane.form.focus_path("lumbar.right.slr.symptom")
    press.text("be")  # "be": below the knee
    press(Qt.Key.Key_Tab)
    press.text("45")
    pane.addendum.editor.setFocus()
    press.text("retested")
    press(Qt.Key.Key_A, CTRL | Qt.KeyboardModifier.ShiftModifier)

    assert pane.form.read_only
    assert slr.value() == "below_knee"
    assert "addendum #1" in slr.parentWidget().toolTip()
    window.close()
    stored = build_services(load_settings(clinic["data_dir"])).encounters.get(principal, enc.id)
    assert stored.intact
    assert stored.encounter.content.exam == NeuroFootExam.model_validate(exam)
    assert stored.encounter.addenda[0].findings == {
        "lumbar.right.slr.symptom": "below_knee",
        "lumbar.right.slr.angle_deg": 45,
    }


def test_invalid_values_are_refused_at_the_field_and_never_saved(qtbot, clinic, logged_in_window):
    window = open_draft(logged_in_window)
    pane = window.encounter_pane
    press = Keyboard(qtbot)
    press.text("g")  # onset: gradual (valid, saved)
    pane.form.focus_path("lumbar.right.slr.angle_deg")
    press.text("120")
    sensory = pane.form.control("right.sensory.regions")
    sensory.focus_region(RegionCode.PL_HEEL_MED)
    press.text("4")  # two-point modality
    press(Qt.Key.Key_Return)  # to the millimetre field
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Minus)
    press.text("3")
    press(Qt.Key.Key_Return)
    press(Qt.Key.Key_S, CTRL)

    errors = pane.form.errors_shown()
    assert "0 to 90" in errors["lumbar.right.slr.angle_deg"]
    assert "except 1 marked field" in pane.save_status.text()
    assert "millimetres" in sensory.findChild(QLabel, "right_sensory_two_point_error").text()
    window.close()
    exam = read_back(clinic)
    assert exam.history.onset == "gradual"
    assert exam.lumbar.right.slr.angle_deg is None
    assert exam.right.sensory.region(RegionCode.PL_HEEL_MED).two_point_mm is None
