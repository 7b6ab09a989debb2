"""The encounter fits a 1366 x 768 screen, also with the font at 150 % or the display at 150 %.

A display scaled to 150 % leaves Qt a 911 x 512 screen (device pixel ratio 1.5): the same
layout as a window of that size at the normal font, which is how it is tested here.

What "fits" means here is what a clinician needs without hunting: the form scrolls only
up and down (never sideways), and the patient banner, the live assessment and the Sign
button are inside the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget
from test_exam_charting import open_draft

from clinic_app.ui.start_page import StartLoginWindow

SCREENS = {
    "font-100": (1.0, 1366, 768),
    "font-150": (1.5, 1366, 768),
    # 911 x 512 less the room the window keeps for its frame (window_size.FRAME_ALLOWANCE).
    "display-150": (1.0, 871, 472),
}


@pytest.fixture(params=list(SCREENS), ids=list(SCREENS))
def screen(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[tuple[int, int]]:
    """The whole application's font scaled, as a user's desktop setting would, then restored;
    yields the screen's size in Qt's pixels."""
    scale, width, height = SCREENS[request.param]
    before = QFont(qapp.font())
    scaled = QFont(before)
    scaled.setPointSizeF(before.pointSizeF() * scale)
    qapp.setFont(scaled)
    yield width, height
    qapp.setFont(before)


def on_screen(window: QWidget, widget: QWidget) -> bool:
    """True when the widget is shown and lies wholly inside the window."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    box = QRect(top_left, widget.size())
    return widget.isVisible() and window.rect().contains(box)


def test_the_encounter_needs_no_sideways_scrolling_and_keeps_sign_in_view(
    qtbot: Any, clinic: dict[str, Any], logged_in_window: Any, screen: tuple[int, int]
) -> None:
    window = open_draft(logged_in_window)
    window.resize(*screen)
    pane = window.encounter_pane
    qtbot.waitUntil(lambda: pane.exam_scroll.widget() is not None, timeout=5000)
    QApplication.processEvents()
    assert window.width() <= screen[0]
    assert window.height() <= screen[1]

    scroll = pane.exam_scroll
    body = scroll.widget()
    # Every section, the sensory maps and the handout picker included, fits the width.
    assert body.minimumSizeHint().width() <= scroll.viewport().width(), screen
    assert not scroll.horizontalScrollBar().isVisible()
    for part in (pane.patient_banner, pane.panel, pane.sign_button):
        assert on_screen(window, part), part.objectName() or type(part).__name__
    window.close()


def test_the_log_in_window_opens_inside_the_screen(qtbot: Any) -> None:
    # It used to open at a fixed 1200 x 760: past the edges of a 150%-scaled laptop screen
    # (911 x 512 for Qt), and the main window took its size from it.
    available = QApplication.primaryScreen().availableGeometry()
    window = StartLoginWindow()
    qtbot.addWidget(window)
    assert window.width() <= min(1200, available.width())
    assert window.height() <= min(760, available.height())
