"""A layout that puts widgets side by side and wraps them onto another row as width runs out.

Used where a large font or a narrow column would otherwise cut buttons or fields off: the
assessment panel's decision buttons and the sensory map's editors and symptom boxes.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Items left to right, wrapped to the width (the layout follows the font).

    Args:
        parent: the widget laid out.
        spacing: room between items on a row.
        line_spacing: room between rows (default: ``spacing``).
        uniform: every item gets the same width (the widest minimum), in as many columns
            as fit, stretched to fill the row: a grid that becomes one column when space is
            short.
        hint_width: the width the size hint assumes (its height is the rows needed there);
            None: everything on one row.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        spacing: int = 4,
        line_spacing: int | None = None,
        uniform: bool = False,
        hint_width: int | None = None,
    ) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._uniform = uniform
        self._line_spacing = spacing if line_spacing is None else line_spacing
        self._hint_width = hint_width
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        """Take an item (addWidget comes here)."""
        self._items.append(item)

    def count(self) -> int:
        """How many items the layout holds."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        """The item at an index, or None."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        """Remove and return the item at an index, or None."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        """It never asks for more room than its rows need."""
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        """Its height depends on its width (rows wrap)."""
        return True

    def heightForWidth(self, width: int) -> int:
        """The height the rows need at this width."""
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        """Place the items in rows inside the rectangle."""
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        """Everything on one row, or the rows needed at ``hint_width``."""
        shown = [item.sizeHint() for item in self._items if not item.isEmpty()]
        if not shown:
            return QSize(0, 0)
        if self._hint_width is not None:
            width = self.minimumSize().width()
            return QSize(width, self.heightForWidth(max(width, self._hint_width)))
        width = sum(hint.width() for hint in shown) + self.spacing() * (len(shown) - 1)
        return QSize(width, max(hint.height() for hint in shown))

    def minimumSize(self) -> QSize:
        """The widest single item (anything wider wraps) and the tallest item's height."""
        shown = [item for item in self._items if not item.isEmpty()]
        width = max((item.minimumSize().width() for item in shown), default=0)
        height = max((item.sizeHint().height() for item in shown), default=0)
        return QSize(width, height)

    def _widths(self, items: list[QLayoutItem], room: int) -> list[int]:
        if not self._uniform or not items:
            return [min(item.sizeHint().width(), room) for item in items]
        spacing = self.spacing()
        cell = max(item.minimumSize().width() for item in items)
        columns = max(1, (room + spacing) // (cell + spacing))
        cell = max(cell, (room - (columns - 1) * spacing) // columns)
        return [min(cell, room) if columns == 1 else cell] * len(items)

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        items = [item for item in self._items if not item.isEmpty()]  # hidden: no room
        spacing = self.spacing()
        x, y, row_height = rect.x(), rect.y(), 0
        for item, width in zip(items, self._widths(items, rect.width()), strict=True):
            if x > rect.x() and x + width > rect.right() + 1:
                x, y, row_height = rect.x(), y + row_height + self._line_spacing, 0
            height = item.sizeHint().height()
            if move:
                item.setGeometry(QRect(x, y, width, height))
            x += width + spacing
            row_height = max(row_height, height)
        return y + row_height - rect.y()
