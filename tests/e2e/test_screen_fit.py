"""The encounter fits a 1366 x 768 screen, also with the font at 150 %.

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


@pytest.fixture(params=[1.0, 1.5], ids=["font-100", "font-150"])
def font_scale(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[float]:
    """The whole application's font scaled, as a user's desktop setting would, then restored."""
    before = QFont(qapp.font())
    scaled = QFont(before)
    scaled.setPointSizeF(before.pointSizeF() * request.param)
    qapp.setFont(scaled)
    yield request.param
    qapp.setFont(before)


def on_screen(window: QWidget, widget: QWidget) -> bool:
    """True when the widget is shown and lies wholly inside the window."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    box = QRect(top_left, widget.size())
    return widget.isVisible() and window.rect().contains(box)


def test_the_encounter_needs_no_sideways_scrolling_and_keeps_sign_in_view(
    qtbot: Any, clinic: dict[str, Any], logged_in_window: Any, font_scale: float
) -> None:
    window = open_draft(logged_in_window)
    pane = window.encounter_pane
    qtbot.waitUntil(lambda: pane.exam_scroll.widget() is not None, timeout=5000)
    QApplication.processEvents()
    assert window.width() <= 1366
    assert window.height() <= 768

    scroll = pane.exam_scroll
    body = scroll.widget()
    # Every section, the sensory maps and the handout picker included, fits the width.
    assert body.minimumSizeHint().width() <= scroll.viewport().width(), font_scale
    assert not scroll.horizontalScrollBar().isVisible()
    for part in (pane.patient_banner, pane.panel, pane.sign_button):
        assert on_screen(window, part), part.objectName() or type(part).__name__
    window.close()
