"""The form renderer: any layout -> bound controls, keys in, model values out."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.layout import FormLayout, get_path
from clinic_app.ui.forms.looks import FOCUS_COLOUR, MARK_LOOKS
from clinic_app.ui.forms.renderer import FormView

LAYOUT = FormLayout.model_validate(
    {
        "form_id": "mini",
        "title": "Mini exam",
        "version": 1,
        "sections": [
            {
                "id": "tinel",
                "title": "Tinel",
                "sided": True,
                "rows": [
                    {"heading": "Tarsal tunnel"},
                    {"path": "{side}.tinel.tarsal_tunnel.result", "label": "Tinel result"},
                    {
                        "path": "{side}.tinel.tarsal_tunnel.radiates_distal",
                        "label": "Radiates distally",
                        "choices": ["PL-HALLUX", "PL-ARCH-MED", "PL-HEEL-MED"],
                    },
                ],
                "normal": {"{side}.tinel.tarsal_tunnel.result": "negative"},
            },
            {
                "id": "slr",
                "title": "Straight leg raise",
                "sided": True,
                "rows": [
                    {"path": "lumbar.{side}.slr.angle_deg", "label": "SLR angle (degrees)"},
                    {"path": "lumbar.{side}.slr.symptom", "label": "SLR symptoms reach"},
                ],
                "normal": {"lumbar.{side}.slr.symptom": "none"},
            },
            {
                "id": "history",
                "title": "History",
                "rows": [
                    {"path": "history.pain_score", "label": "Pain 0-10"},
                    {"path": "red_flags.bladder_change.onset", "label": "Bladder onset"},
                ],
            },
        ],
    }
)


@pytest.fixture
def form(qtbot):
    view = FormView(LAYOUT, NeuroFootExam, {})
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(view)
    qtbot.addWidget(scroll)
    scroll.resize(700, 500)
    scroll.show()
    qtbot.waitExposed(scroll)
    view.set_values(NeuroFootExam().model_dump(mode="json"))
    yield view  # (a yield keeps the scroll area, and so the form, alive)
    scroll.close()


def focused():
    return QApplication.focusWidget()


def test_every_control_is_named_by_its_path_and_starts_not_tested(form):
    for path in form.paths:
        control = form.control(path)
        assert control.objectName() == path
        assert control.accessibleName()
    assert form.control("right.tinel.tarsal_tunnel.result").currentText() == "not tested"
    assert form.control("lumbar.left.slr.angle_deg").placeholderText() == "not tested"
    assert NeuroFootExam.model_validate(form.values()) == NeuroFootExam()


def test_keys_chart_values_and_delete_clears_to_not_tested(qtbot, form):
    changed = []
    form.sig_value_changed.connect(changed.append)
    form.focus_path("right.tinel.tarsal_tunnel.result")
    qtbot.keyClick(focused(), Qt.Key.Key_P)
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is form.control("right.tinel.tarsal_tunnel.radiates_distal")
    qtbot.keyClick(focused(), Qt.Key.Key_Space)  # PL-HALLUX
    qtbot.keyClick(focused(), Qt.Key.Key_Down)
    qtbot.keyClick(focused(), Qt.Key.Key_Space)  # PL-ARCH-MED
    exam = NeuroFootExam.model_validate(form.values())
    assert exam.right.tinel.tarsal_tunnel.result == "positive"
    assert [c.value for c in exam.right.tinel.tarsal_tunnel.radiates_distal] == [
        "PL-ARCH-MED",
        "PL-HALLUX",
    ]
    assert "right.tinel.tarsal_tunnel.result" in changed
    form.focus_path("right.tinel.tarsal_tunnel.result")
    qtbot.keyClick(focused(), Qt.Key.Key_Delete)
    assert form.control("right.tinel.tarsal_tunnel.result").value() == "not_tested"


def test_tab_runs_down_the_right_column_then_the_left(qtbot, form):
    form.focus_path("right.tinel.tarsal_tunnel.result")
    seen = [focused().objectName()]
    for _ in range(3):
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        seen.append(focused().objectName())
    assert seen == [
        "right.tinel.tarsal_tunnel.result",
        "right.tinel.tarsal_tunnel.radiates_distal",
        "left.tinel.tarsal_tunnel.result",
        "left.tinel.tarsal_tunnel.radiates_distal",
    ]


def test_normal_fills_only_its_section_and_undo_restores(qtbot, form):
    form.focus_path("left.tinel.tarsal_tunnel.result")
    qtbot.keyClick(focused(), Qt.Key.Key_P)
    filled = form.apply_normal("slr")
    assert sorted(filled) == ["lumbar.left.slr.symptom", "lumbar.right.slr.symptom"]
    exam = NeuroFootExam.model_validate(form.values())
    assert exam.lumbar.right.slr.symptom == "none"
    assert exam.lumbar.right.slr.angle_deg is None  # never an invented angle
    assert exam.left.tinel.tarsal_tunnel.result == "positive"  # other section untouched
    assert exam.right.tinel.tarsal_tunnel.result == "not_tested"
    assert form.undo()
    exam = NeuroFootExam.model_validate(form.values())
    assert exam.lumbar.right.slr.symptom == "not_tested"
    assert exam.left.tinel.tarsal_tunnel.result == "positive"
    assert form.undo()  # then the edit made before the fill
    assert form.values()["left"]["tinel"]["tarsal_tunnel"]["result"] == "not_tested"
    assert not form.undo()


def test_copy_forward_marks_values_until_changed_or_confirmed(qtbot, form):
    previous = NeuroFootExam.model_validate(
        {
            "right": {"tinel": {"tarsal_tunnel": {"result": "positive"}}},
            "lumbar": {"right": {"slr": {"symptom": "none"}}, "left": {"slr": {"symptom": "none"}}},
        }
    ).model_dump(mode="json")
    changed = form.copy_forward(previous, "the visit of 2026-10-01")
    assert sorted(changed) == [
        "lumbar.left.slr.symptom",
        "lumbar.right.slr.symptom",
        "right.tinel.tarsal_tunnel.result",
    ]
    assert set(form.unconfirmed) == set(changed)
    form.focus_path("right.tinel.tarsal_tunnel.result")
    qtbot.keyClick(focused(), Qt.Key.Key_N)  # the clinician re-tests: negative today
    assert "right.tinel.tarsal_tunnel.result" not in form.unconfirmed
    assert form.confirm_section("slr") == 2
    assert form.unconfirmed == []
    assert form.undo()  # undoes today's re-test: the copied value is back, marked again
    assert form.values()["right"]["tinel"]["tarsal_tunnel"]["result"] == "positive"
    assert form.unconfirmed == ["right.tinel.tarsal_tunnel.result"]  # slr stays confirmed
    assert form.undo()  # undoes the copy itself
    assert NeuroFootExam.model_validate(form.values()) == NeuroFootExam()


def test_errors_land_at_the_field_that_holds_them(qtbot, form):
    form.focus_path("lumbar.right.slr.angle_deg")
    qtbot.keyClicks(focused(), "120")
    form.set_errors({"lumbar.right.slr.angle_deg": "The SLR angle is 0 to 90."})
    assert form.errors_shown() == {"lumbar.right.slr.angle_deg": "The SLR angle is 0 to 90."}
    assert form.control("lumbar.right.slr.angle_deg").accessibleDescription()
    assert form.path_for_error("lumbar.right.slr") == "lumbar.right.slr.angle_deg"
    form.set_errors({})
    assert form.errors_shown() == {}


def test_read_only_form_takes_no_keys(qtbot, form):
    form.set_read_only(True)
    form.focus_path("right.tinel.tarsal_tunnel.result")
    qtbot.keyClick(focused(), Qt.Key.Key_P)
    qtbot.keyClick(focused(), Qt.Key.Key_Delete)
    assert get_path(form.values(), "right.tinel.tarsal_tunnel.result") == "not_tested"
    assert form.apply_normal("tinel") == []
    assert form.control("history.pain_score").isReadOnly()


def test_next_section_moves_focus_to_the_first_field(qtbot, form):
    form.focus_path("right.tinel.tarsal_tunnel.result")
    form.next_section()
    assert focused().objectName() == "lumbar.right.slr.angle_deg"
    form.next_section()
    assert focused().objectName() == "history.pain_score"
    form.next_section(-1)
    assert focused().objectName() == "lumbar.right.slr.angle_deg"


def read_controls(form: FormView) -> dict:
    """The form's values read control by control (what values() takes note of instead)."""
    return {path: form.control(path).value() for path in form.paths}


def test_values_are_what_the_controls_show_after_every_kind_of_change(qtbot, form):
    # values() is read from the values the form takes note of, not from the controls, so
    # every way a control changes must be noted: keys, typing, list ticks, a section fill,
    # a copy, a several-value step (quick entry), undo, redo and a reload.
    def same() -> None:
        shown = read_controls(form)
        got = form.values()
        assert {path: get_path(got, path) for path in shown} == shown

    form.focus_path("right.tinel.tarsal_tunnel.result")
    qtbot.keyClick(focused(), Qt.Key.Key_P)
    same()
    form.focus_path("history.pain_score")
    qtbot.keyClicks(focused(), "7")
    same()
    ticks = form.control("left.tinel.tarsal_tunnel.radiates_distal")
    ticks.item(1).setCheckState(Qt.CheckState.Checked)
    same()
    form.apply_normal("slr")
    same()
    form.apply_values("quick entry", {"lumbar.left.slr.angle_deg": "40"})
    same()
    form.copy_forward(
        NeuroFootExam.model_validate(
            {"left": {"tinel": {"tarsal_tunnel": {"result": "negative"}}}}
        ).model_dump(mode="json"),
        "the visit of 2026-10-01",
    )
    same()
    while form.undo():
        same()
    while form.redo():
        same()
    form.set_values(NeuroFootExam().model_dump(mode="json"))
    same()
    # The copy handed out is the caller's: changing it changes nothing in the form.
    form.values()["right"]["tinel"]["tarsal_tunnel"]["radiates_distal"].append("PL-HALLUX")
    same()


def pixel(widget, x: int, y: int) -> str:
    """The colour painted at a point of a widget, as a user sees it."""
    return widget.grab().toImage().pixelColor(x, y).name()


def test_the_focused_control_is_framed_and_the_frame_follows_the_focus(qtbot, form):
    ring = form.focus_ring
    form.focus_path("right.tinel.tarsal_tunnel.result")
    box = form.control("right.tinel.tarsal_tunnel.result")
    qtbot.waitUntil(ring.isVisible)
    assert ring.target is box
    assert ring.geometry() == box.geometry()
    row = box.parentWidget()
    assert pixel(row, box.x() + box.width() // 2, box.y() + 1) == FOCUS_COLOUR

    qtbot.keyClick(focused(), Qt.Key.Key_Tab)  # on to the next value control: the frame too
    assert ring.target is focused()
    assert ring.target is not box
    assert pixel(row, box.x() + box.width() // 2, box.y() + 1) != FOCUS_COLOUR

    form.set_errors({"right.tinel.tarsal_tunnel.result": "Say which."})  # rows move: frame too
    assert ring.geometry() == focused().geometry()
    focused().clearFocus()  # the focus leaves the form's controls
    assert not ring.isVisible()


def test_marks_are_painted_down_the_row_until_confirmed_and_saved(qtbot, form):
    previous = NeuroFootExam.model_validate(
        {"right": {"tinel": {"tarsal_tunnel": {"result": "positive"}}}}
    ).model_dump(mode="json")
    form.copy_forward(previous, "the visit of 2026-10-01")
    row = form.control("right.tinel.tarsal_tunnel.result").parentWidget()
    untouched = form.control("left.tinel.tarsal_tunnel.result").parentWidget()
    assert pixel(row, 1, row.height() // 2) == MARK_LOOKS["unconfirmed"][1]
    assert pixel(row, row.width() - 2, 1) == MARK_LOOKS["unconfirmed"][0]
    assert pixel(untouched, 1, untouched.height() // 2) != MARK_LOOKS["unconfirmed"][1]
    assert "Copied from a previous visit" in row.toolTip()
    form.confirm_section("tinel")  # confirmed: a change not saved yet
    assert pixel(row, 1, row.height() // 2) == MARK_LOOKS["changed"][1]
    form.mark_saved()
    if focused() is not None:
        focused().clearFocus()  # (the focus ring is blue too)
    assert pixel(row, 1, row.height() // 2) not in {bar for _, bar in MARK_LOOKS.values()}
    assert row.toolTip() == ""


def test_no_style_sheet_is_set_in_the_form(form):
    """Style sheets make Qt keep style data for every widget under them (memory)."""
    styled = [w.objectName() for w in form.findChildren(QWidget) if w.styleSheet()]
    assert form.styleSheet() == ""
    assert styled == []


def test_a_key_typed_into_a_field_scrolled_out_of_sight_brings_it_back(qtbot, form):
    form.focus_path("right.tinel.tarsal_tunnel.result")
    box = form.control("right.tinel.tarsal_tunnel.result")
    scroll = form.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    scroll.resize(700, 150)  # (a view shorter than the form, as the exam form is)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 200)
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())  # the wheel
    qtbot.waitUntil(lambda: box.visibleRegion().isEmpty())

    qtbot.keyClick(focused(), Qt.Key.Key_P)  # still has the focus: positive

    assert get_path(form.values(), "right.tinel.tarsal_tunnel.result") == "positive"
    qtbot.waitUntil(lambda: not box.visibleRegion().isEmpty())
