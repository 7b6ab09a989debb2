"""Table model over a chart's visit list, and the proxy that sorts and filters it."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt

from clinic_app.domain.encounter import EncounterStatus, EncounterSummary, VisitSummary
from clinic_app.ui.models.flat_table_model import AnyIndex, FlatTableModel

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
"""A value that sorts the column the way people expect (dates as dates, names folded)."""
ID_ROLE = Qt.ItemDataRole.UserRole
"""The encounter id of the row."""


class VisitColumn(IntEnum):
    """The visit list's columns, in order."""

    DATE = 0
    REASON = 1
    STATUS = 2
    CLINICIAN = 3
    ADDENDA = 4


HEADERS = {
    VisitColumn.DATE: "Date",
    VisitColumn.REASON: "Reason",
    VisitColumn.STATUS: "Status",
    VisitColumn.CLINICIAN: "Clinician",
    VisitColumn.ADDENDA: "Addenda",
}
# Drafts first when sorting by status: they are the ones waiting for someone.
STATUS_ORDER = {EncounterStatus.DRAFT: 0, EncounterStatus.SIGNED: 1}


def reason_of(visit: EncounterSummary) -> str:
    """The reason for the visit, or empty for a line without one (the front desk's)."""
    return visit.reason if isinstance(visit, VisitSummary) else ""


class VisitTableModel(FlatTableModel[EncounterSummary]):
    """Read-only rows of EncounterSummary; the id under ID_ROLE, a sort key under SORT_ROLE."""

    def __init__(self) -> None:
        super().__init__([HEADERS[column] for column in VisitColumn])

    def set_visits(self, visits: Sequence[EncounterSummary]) -> None:
        """Replace all rows."""
        self.replace_rows(visits)

    def visit_at(self, row: int) -> EncounterSummary | None:
        """The visit on a (source) row, or None."""
        return self.row_at(row)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, the encounter id (ID_ROLE) or a sort key (SORT_ROLE)."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        visit = self._rows[index.row()]
        column = VisitColumn(index.column())
        if role == ID_ROLE:
            return visit.id
        if role == SORT_ROLE:
            return self._sort_key(visit, column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(visit, column)
        return None

    @staticmethod
    def _text(visit: EncounterSummary, column: VisitColumn) -> str:
        if column is VisitColumn.DATE:
            return visit.encounter_date.isoformat()
        if column is VisitColumn.REASON:
            return reason_of(visit)
        if column is VisitColumn.STATUS:
            return visit.status.value.capitalize()
        if column is VisitColumn.CLINICIAN:
            return visit.clinician_name
        return str(visit.addenda_count) if visit.addenda_count else ""

    @staticmethod
    def _sort_key(visit: EncounterSummary, column: VisitColumn) -> str:
        # Ties fall back on date and id, so a sort never shuffles equal rows at random.
        tail = f"{visit.encounter_date.isoformat()}|{visit.id:012d}"
        if column is VisitColumn.DATE:
            return tail
        if column is VisitColumn.REASON:
            return f"{reason_of(visit).casefold()}|{tail}"
        if column is VisitColumn.STATUS:
            return f"{STATUS_ORDER.get(visit.status, 9)}|{tail}"
        if column is VisitColumn.CLINICIAN:
            return f"{visit.clinician_name.casefold()}|{tail}"
        return f"{visit.addenda_count:06d}|{tail}"


class VisitFilterModel(QSortFilterProxyModel):
    """Sorts by SORT_ROLE and keeps rows where any shown column contains the typed text."""

    def __init__(self, source: VisitTableModel) -> None:
        super().__init__()
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.hidden_columns: set[int] = set()
        self._words: tuple[str, ...] = ()

    def set_text(self, text: str) -> None:
        """Filter on this text: every word must appear in some visible column (empty: all)."""
        words = tuple(text.casefold().split())
        if words != self._words:
            self.beginFilterChange()
            self._words = words
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        """Whether the row holds every word typed."""
        if not self._words:
            return True
        source = self.sourceModel()
        texts = " ".join(
            str(source.data(source.index(source_row, column, source_parent)) or "")
            for column in range(source.columnCount(source_parent))
            if column not in self.hidden_columns
        ).casefold()
        return all(word in texts for word in self._words)
