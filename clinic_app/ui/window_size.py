"""The size a top-level window opens at: its default, shrunk to fit the screen it opens on.

Light on purpose (Qt only): the log-in and set-up pages use it before the data layer loads.
On a small screen, or with the display scaled (150% makes a 1366 x 768 screen 911 x 512 for
Qt), a fixed default would open the window past the screen's edges, its buttons unreachable.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication

DEFAULT_SIZE = (1200, 760)
"""What a window opens at where the screen has room."""
FRAME_ALLOWANCE = 40
"""Pixels kept free for window decorations until the real frame is known (after showing)."""


def fitting_size(width: int = DEFAULT_SIZE[0], height: int = DEFAULT_SIZE[1]) -> QSize:
    """The wanted size, no larger than the primary screen's free area less the frame."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    available = screen.availableGeometry()
    return QSize(
        max(min(width, available.width() - FRAME_ALLOWANCE), 200),
        max(min(height, available.height() - FRAME_ALLOWANCE), 200),
    )
