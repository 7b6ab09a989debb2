"""The Qt binding itself must not leak: a long charting session makes millions of Qt calls."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QWidget


def test_void_qt_calls_do_not_leak_references_to_none(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(20_000):
        widget.setObjectName("region")
        widget.update()
    # A binding that drops a reference per call (PySide6 6.12.0 on Python 3.11) loses 40,000
    # here and aborts the process later with "deallocating None".
    assert sys.getrefcount(None) - before > -1000
