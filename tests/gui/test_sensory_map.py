"""The sensory map widget, driven the way a clinician drives it: keys, clicks and hovering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFont, QHelpEvent, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QToolTip,
    QWidget,
)
from pytestqt.qtbot import QtBot

from clinic_app.domain.exam import (
    TWO_POINT_HELP,
    Monofilament,
    RegionFindings,
    SensoryGrade,
    Side,
    Symptom,
)
from clinic_app.domain.foot_map import FootMapGeometry
from clinic_app.domain.regions import REGIONS, RegionCode, describe
from clinic_app.resources import foot_map_path
from clinic_app.services.foot_map import load_foot_map
from clinic_app.ui.forms.sensory_map import KEY_HELP, SensoryMapView

C = RegionCode
MakeMap = Callable[..., SensoryMapView]


@pytest.fixture(scope="module")
def geometry() -> FootMapGeometry:
    return load_foot_map(foot_map_path())


@pytest.fixture
def make_map(qtbot: QtBot, geometry: FootMapGeometry) -> MakeMap:
    def make(side: Side = Side.RIGHT) -> SensoryMapView:
        widget = SensoryMapView(side, geometry)
        qtbot.addWidget(widget)
        widget.resize(330, 440)
        widget.show()
        qtbot.waitExposed(widget)
        widget.activateWindow()
        qtbot.waitUntil(widget.isActiveWindow)
        return widget

    return make


W = TypeVar("W", bound=QWidget)


def child(widget: QWidget, kind: type[W], name: str) -> W:
    found = widget.findChild(kind, name)
    assert isinstance(found, kind), name
    return found


def click(qtbot: QtBot, view: SensoryMapView, code: RegionCode, button: Qt.MouseButton) -> None:
    qtbot.mouseClick(view.canvas, button, pos=view.region_centre(code))


def test_clicks_cycle_the_shown_modality(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    with qtbot.waitSignal(view.sig_value_changed):
        click(qtbot, view, C.PL_HEEL_MED, Qt.MouseButton.LeftButton)
    assert view.selected_region() is C.PL_HEEL_MED
    assert view.value() == {C.PL_HEEL_MED: RegionFindings(light_touch=SensoryGrade.NORMAL)}
    click(qtbot, view, C.PL_HEEL_MED, Qt.MouseButton.LeftButton)
    assert view.value()[C.PL_HEEL_MED].light_touch is SensoryGrade.REDUCED
    click(qtbot, view, C.PL_HEEL_MED, Qt.MouseButton.RightButton)
    assert view.value()[C.PL_HEEL_MED].light_touch is SensoryGrade.NORMAL
    click(qtbot, view, C.PL_HEEL_MED, Qt.MouseButton.RightButton)
    assert view.value() == {}  # back to not tested: nothing charted

    qtbot.keyClick(view.canvas, Qt.Key.Key_3)
    click(qtbot, view, C.BD_LAT, Qt.MouseButton.RightButton)  # a thin strip
    assert view.value() == {C.BD_LAT: RegionFindings(monofilament=Monofilament.NOT_FELT)}


def test_every_region_can_be_clicked_on_both_sides(qtbot: QtBot, make_map: MakeMap) -> None:
    for side in Side:
        view = make_map(side)
        for code in RegionCode:
            click(qtbot, view, code, Qt.MouseButton.LeftButton)
            assert view.selected_region() is code
        assert set(view.value()) == set(RegionCode)


def test_keys_chart_each_modality(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    canvas = view.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert view.selected_region() is C.PL_HEEL_MED
    with qtbot.waitSignal(view.sig_value_changed):
        qtbot.keyClick(canvas, "r")
    qtbot.keyClick(canvas, "2")
    qtbot.keyClick(canvas, "h")
    qtbot.keyClick(canvas, "3")
    qtbot.keyClick(canvas, "a")
    qtbot.keyClick(canvas, "5")
    qtbot.keyClick(canvas, "p")
    qtbot.keyClick(canvas, "n")
    assert view.value()[C.PL_HEEL_MED] == RegionFindings(
        light_touch=SensoryGrade.REDUCED,
        pin_prick=SensoryGrade.HYPERAESTHETIC,
        monofilament=Monofilament.NOT_FELT,
        symptoms=(Symptom.NUMB, Symptom.PAIN),
    )
    qtbot.keyClick(canvas, "p")  # toggles the flag off again
    assert view.value()[C.PL_HEEL_MED].symptoms == (Symptom.NUMB,)
    qtbot.keyClick(canvas, "0")
    assert view.value()[C.PL_HEEL_MED].symptoms == ()
    qtbot.keyClick(canvas, "x")
    assert view.value()[C.PL_HEEL_MED].symptoms is None
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert view.value()[C.PL_HEEL_MED].symptoms == ()
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert view.value()[C.PL_HEEL_MED].symptoms == (Symptom.NUMB,)

    qtbot.keyClick(canvas, "1")
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert view.value()[C.PL_HEEL_MED].light_touch is SensoryGrade.NOT_TESTED
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert view.value()[C.PL_HEEL_MED].light_touch is SensoryGrade.REDUCED
    qtbot.keyClick(canvas, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert view.value()[C.PL_HEEL_MED].light_touch is SensoryGrade.NORMAL
    qtbot.keyClick(canvas, "3")
    qtbot.keyClick(canvas, "n")
    assert view.value()[C.PL_HEEL_MED].monofilament is Monofilament.FELT


def test_letters_the_modality_does_not_use_change_nothing(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    qtbot.keyClick(view.canvas, "3")
    with qtbot.assertNotEmitted(view.sig_value_changed):
        for key in ("r", "h", "t", "q"):
            qtbot.keyClick(view.canvas, key)
        qtbot.keyClick(view.canvas, "n", Qt.KeyboardModifier.ControlModifier)
    assert view.value() == {}


@pytest.mark.parametrize(
    ("side", "sideways", "back"),
    [
        (Side.RIGHT, Qt.Key.Key_Left, Qt.Key.Key_Right),
        (Side.LEFT, Qt.Key.Key_Right, Qt.Key.Key_Left),
    ],
)
def test_arrows_move_to_the_neighbour_as_drawn(
    qtbot: QtBot, make_map: MakeMap, side: Side, sideways: Qt.Key, back: Qt.Key
) -> None:
    # The medial heel is drawn on the medial edge of the sole: right on the right foot, left on
    # the left one, so "towards the lateral heel" is a different arrow on each side.
    view = make_map(side)
    canvas = view.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert view.selected_region() is C.PL_HEEL_MED
    qtbot.keyClick(canvas, sideways)
    assert view.selected_region() is C.PL_HEEL_PAD
    qtbot.keyClick(canvas, sideways)
    assert view.selected_region() is C.PL_HEEL_LAT
    qtbot.keyClick(canvas, Qt.Key.Key_Up)
    assert view.selected_region() is C.PL_MID_LAT
    qtbot.keyClick(canvas, Qt.Key.Key_Down)
    assert view.selected_region() is C.PL_HEEL_LAT
    qtbot.keyClick(canvas, back)
    assert view.selected_region() is C.PL_HEEL_PAD
    qtbot.keyClick(canvas, Qt.Key.Key_End)
    assert view.selected_region() is C.LG_POST
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert view.selected_region() is C.PL_HEEL_MED


def test_arrows_reach_every_region(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map(Side.LEFT)
    arrows = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)
    reached, todo = {C.PL_HEEL_MED}, [C.PL_HEEL_MED]
    while todo:
        start = todo.pop()
        for key in arrows:
            view.focus_region(start)
            qtbot.keyClick(view.canvas, key)
            if view.selected_region() not in reached:
                reached.add(view.selected_region())
                todo.append(view.selected_region())
    assert reached == set(RegionCode)


# The offscreen platform cannot raise the tooltip window and says so; a real screen can.
@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")
def test_hover_names_region_nerve_dermatome_and_findings(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    view.set_value({C.PL_HEEL_LAT: RegionFindings(pin_prick=SensoryGrade.ABSENT)})
    canvas = view.canvas
    pos = view.region_centre(C.PL_HEEL_LAT)
    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, pos, canvas.mapToGlobal(pos)))
    try:
        text = QToolTip.text()
        assert describe(C.PL_HEEL_LAT) in text
        assert "sural nerve" in text
        assert "dermatome S1" in text
        assert "Pin-prick: absent" in text
        assert "Light touch: not tested" in text
        corner = QPoint(2, canvas.height() - 3)  # off every region: the key help
        QApplication.sendEvent(
            canvas, QHelpEvent(QEvent.Type.ToolTip, corner, canvas.mapToGlobal(corner))
        )
        assert QToolTip.text() == KEY_HELP
    finally:
        QToolTip.hideText()


def test_read_only_blocks_every_change(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    charted = {C.PL_HALLUX: RegionFindings(light_touch=SensoryGrade.REDUCED, two_point_mm=9)}
    view.set_value(charted)
    view.set_read_only(True)
    canvas = view.canvas
    with qtbot.assertNotEmitted(view.sig_value_changed):
        click(qtbot, view, C.PL_HALLUX, Qt.MouseButton.LeftButton)
        qtbot.keyClick(canvas, "a")
        qtbot.keyClick(canvas, "5")
        qtbot.keyClick(canvas, "n")
        qtbot.keyClick(canvas, "4")
        qtbot.keyClick(canvas, "x")
        view.apply_preset("normal")
    assert view.selected_region() is C.PL_HALLUX  # selecting still works
    assert view.value() == charted
    assert not child(view, QComboBox, "right_sensory_light_touch").isEnabled()
    assert not child(view, QCheckBox, "right_sensory_symptom_numb").isEnabled()
    edit = child(view, QLineEdit, "right_sensory_two_point")
    assert edit.isReadOnly()
    view.set_read_only(False)
    qtbot.keyClick(canvas, "1")
    qtbot.keyClick(canvas, "a")
    assert view.value()[C.PL_HALLUX].light_touch is SensoryGrade.ABSENT


def test_normal_preset_charts_all_but_two_point(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    view.set_value(
        {
            C.PL_HALLUX: RegionFindings(two_point_mm=12),
            C.PL_ARCH_MED: RegionFindings(light_touch=SensoryGrade.ABSENT),
        }
    )
    emitted: list[None] = []
    view.sig_value_changed.connect(lambda: emitted.append(None))
    view.apply_preset("normal")
    assert len(emitted) == 1
    value = view.value()
    assert set(value) == set(RegionCode)
    normal = RegionFindings(
        light_touch=SensoryGrade.NORMAL,
        pin_prick=SensoryGrade.NORMAL,
        monofilament=Monofilament.FELT,
        symptoms=(),
    )
    assert value[C.PL_HALLUX] == normal.model_copy(update={"two_point_mm": 12})
    assert all(found == normal for code, found in value.items() if code is not C.PL_HALLUX)
    assert frozenset({"normal"}) == view.PRESETS
    with pytest.raises(ValueError, match="Unknown sensory-map preset 'abnormal'"):
        view.apply_preset("abnormal")
    assert len(emitted) == 1


@pytest.mark.parametrize("typed", ["-3", "0", "abc", "101", "4.5"])
def test_two_point_field_refuses_bad_distances(qtbot: QtBot, make_map: MakeMap, typed: str) -> None:
    view = make_map()
    view.set_value({C.PL_HALLUX: RegionFindings(two_point_mm=10)})
    view.focus_region(C.PL_HALLUX)
    qtbot.keyClick(view.canvas, "4")
    qtbot.keyClick(view.canvas, Qt.Key.Key_Return)
    edit = child(view, QLineEdit, "right_sensory_two_point")
    assert QApplication.focusWidget() is edit
    with qtbot.assertNotEmitted(view.sig_value_changed):
        qtbot.keyClicks(edit, typed)  # replaces the selected "10"
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    error = child(view, QLabel, "right_sensory_two_point_error")
    assert error.isVisible()
    assert error.text() == TWO_POINT_HELP
    assert QApplication.focusWidget() is edit  # stays to be corrected
    assert view.value()[C.PL_HALLUX].two_point_mm == 10


def test_two_point_enter_applies_and_escape_cancels(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    canvas = view.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    qtbot.keyClick(canvas, "4")
    qtbot.keyClick(canvas, Qt.Key.Key_Enter)
    edit = child(view, QLineEdit, "right_sensory_two_point")
    qtbot.keyClicks(edit, "abc")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    edit.selectAll()
    with qtbot.waitSignal(view.sig_value_changed):
        qtbot.keyClicks(edit, " 12 ")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert view.value() == {C.PL_HEEL_MED: RegionFindings(two_point_mm=12)}
    assert QApplication.focusWidget() is canvas
    assert not child(view, QLabel, "right_sensory_two_point_error").isVisible()

    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "30")
    with qtbot.assertNotEmitted(view.sig_value_changed):
        qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is canvas
    assert edit.text() == "12"
    assert view.value()[C.PL_HEEL_MED].two_point_mm == 12
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert view.value() == {}

    # In the two-point modality a click opens the field for that region.
    click(qtbot, view, C.PL_HALLUX, Qt.MouseButton.LeftButton)
    assert view.selected_region() is C.PL_HALLUX
    assert QApplication.focusWidget() is edit


def test_detail_editors_chart_the_selected_region(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map(Side.LEFT)
    click(qtbot, view, C.DO_WEB1, Qt.MouseButton.LeftButton)  # light touch -> normal
    selected = child(view, QLabel, "left_sensory_selected")
    assert "DO-WEB1" in selected.text()
    assert REGIONS[C.DO_WEB1].nerve in selected.text()
    assert "dermatome L5" in selected.text()
    pin = child(view, QComboBox, "left_sensory_pin_prick")
    pin.setFocus()
    qtbot.keyClick(pin, Qt.Key.Key_Down)
    qtbot.keyClick(pin, Qt.Key.Key_Down)
    tingling = child(view, QCheckBox, "left_sensory_symptom_tingling")
    qtbot.mouseClick(tingling, Qt.MouseButton.LeftButton)
    assert view.value() == {
        C.DO_WEB1: RegionFindings(
            light_touch=SensoryGrade.NORMAL,
            pin_prick=SensoryGrade.REDUCED,
            symptoms=(Symptom.TINGLING,),
        )
    }
    asked = child(view, QCheckBox, "left_sensory_symptoms_asked")
    assert asked.isChecked()
    qtbot.mouseClick(asked, Qt.MouseButton.LeftButton)  # not asked clears the flags
    assert view.value()[C.DO_WEB1].symptoms is None
    assert not tingling.isChecked()
    qtbot.mouseClick(asked, Qt.MouseButton.LeftButton)
    assert view.value()[C.DO_WEB1].symptoms == ()


def test_set_value_round_trips_without_a_signal(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    regions = {
        C.PL_HEEL_PAD: RegionFindings(symptoms=(Symptom.BURNING, Symptom.PAIN)),
        C.PL_TOE_4: RegionFindings(
            light_touch=SensoryGrade.REDUCED, monofilament=Monofilament.FELT, two_point_mm=25
        ),
        C.LG_POST: RegionFindings(pin_prick=SensoryGrade.HYPERAESTHETIC),
        C.DO_MID: RegionFindings(),  # blank: not part of the value
    }
    with qtbot.assertNotEmitted(view.sig_value_changed):
        view.set_value(regions)
        view.focus_region(C.PL_TOE_4)
    assert view.value() == {code: found for code, found in regions.items() if not found.is_blank}
    assert list(view.value()) == [C.PL_HEEL_PAD, C.PL_TOE_4, C.LG_POST]
    touch = child(view, QComboBox, "right_sensory_light_touch")
    assert touch.currentData() == "reduced"
    edit = child(view, QLineEdit, "right_sensory_two_point")
    assert edit.text() == "25"
    with qtbot.assertNotEmitted(view.sig_value_changed):
        view.set_value({})
    assert view.value() == {}
    assert edit.text() == ""


def test_every_control_is_named_with_its_side(make_map: MakeMap) -> None:
    for side in Side:
        view = make_map(side)
        controls = [
            widget
            for widget in view.findChildren(QWidget)
            if widget.objectName().startswith(f"{side.value}_sensory_")
        ]
        assert len(controls) >= 17
        for widget in controls:
            assert widget.accessibleName().startswith(side.value.capitalize()), widget
        assert view.canvas.focusPolicy() == Qt.FocusPolicy.StrongFocus
        assert view.canvas.whatsThis() == KEY_HELP


def test_focus_region_gives_the_map_focus(qtbot: QtBot, make_map: MakeMap) -> None:
    view = make_map()
    child(view, QLineEdit, "right_sensory_two_point").setFocus()
    view.focus_region(C.DO_LAT)
    assert view.selected_region() is C.DO_LAT
    assert QApplication.focusWidget() is view.canvas
    assert "DO-LAT" in view.canvas.accessibleDescription()
    child(view, QLineEdit, "right_sensory_two_point").setFocus()
    view.setFocus()  # what a form does when Tab reaches the map
    assert QApplication.focusWidget() is view.canvas


def test_error_and_highlight_show_on_the_map(make_map: MakeMap) -> None:
    view = make_map()
    error = child(view, QLabel, "right_sensory_error")
    view.set_error("Chart at least one region.")
    assert error.isVisible()
    assert error.text() == "Chart at least one region."
    assert "Chart at least one region." in view.canvas.accessibleDescription()
    view.set_error(None)
    assert not error.isVisible()

    before = view.canvas.grab().toImage()
    view.highlight([C.PL_ARCH_MED, C.BD_MED])
    assert view.highlighted == {C.PL_ARCH_MED, C.BD_MED}
    assert view.canvas.grab().toImage() != before
    view.highlight([])
    assert view.canvas.grab().toImage() == before


def test_states_are_painted_differently(make_map: MakeMap) -> None:
    view = make_map()
    codes = (C.PL_ARCH_MED, C.DO_MID, C.LG_LAT)
    grades = (SensoryGrade.REDUCED, SensoryGrade.ABSENT, SensoryGrade.NORMAL)
    view.set_value(
        {code: RegionFindings(light_touch=grade) for code, grade in zip(codes, grades, strict=True)}
    )
    view.focus_region(C.PL_TOE_5)
    image = view.canvas.grab().toImage()
    ratio = image.devicePixelRatio()

    def colours_around(code: RegionCode) -> set[int]:
        centre = view.region_centre(code)
        return {
            image.pixel(round((centre.x() + dx) * ratio), round((centre.y() + dy) * ratio))
            for dx in range(-4, 5)
            for dy in range(-4, 5)
        }

    reduced, absent, normal = (colours_around(code) for code in codes)
    blank = colours_around(C.PL_HEEL_PAD)
    assert len(normal) == 1  # a solid fill
    assert len(reduced) > 1  # hatched over the tint
    assert len(absent) > 1
    assert len({frozenset(reduced), frozenset(absent), frozenset(normal), frozenset(blank)}) == 4


@pytest.mark.parametrize("font_scale", [1.0, 1.5])
def test_fits_a_330_px_column(make_map: MakeMap, font_scale: float) -> None:
    # Two maps sit side by side on a 1366 x 768 screen, also with the font at 150 %.
    view = make_map()
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() * font_scale)
    view.setFont(font)
    assert view.minimumSizeHint().width() <= 330
    height = view.heightForWidth(330) if view.hasHeightForWidth() else view.sizeHint().height()
    if font_scale == 1.0:
        assert height <= 440
    view.resize(330, height)
    QApplication.processEvents()
    area = view.rect()
    for widget in view.findChildren(QWidget):
        if widget.isVisible():
            box = widget.geometry().translated(widget.parentWidget().mapTo(view, QPoint(0, 0)))
            assert area.contains(box), widget.objectName() or widget.metaObject().className()
    assert view.canvas.height() >= view.canvas.minimumSizeHint().height()


def test_screenshot(make_map: MakeMap, tmp_path: Path) -> None:
    for side in Side:
        view = make_map(side)
        view.set_value(
            {
                C.PL_ARCH_MED: RegionFindings(light_touch=SensoryGrade.REDUCED),
                C.PL_FORE_MED: RegionFindings(light_touch=SensoryGrade.REDUCED),
                C.PL_HALLUX: RegionFindings(light_touch=SensoryGrade.REDUCED),
                C.PL_TOES_2_3: RegionFindings(light_touch=SensoryGrade.ABSENT),
                C.PL_HEEL_PAD: RegionFindings(symptoms=(Symptom.PAIN,)),
            }
        )
        path = tmp_path / f"sensory_map_{side.value}.png"
        assert view.grab().save(str(path))
        image = QImage(str(path))
        assert image.width() >= 320
        assert image.height() >= 400
