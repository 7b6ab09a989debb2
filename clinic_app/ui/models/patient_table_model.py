"""Table model over a list of patients (search results)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from clinic_app.domain.patient import Patient

COLUMNS = ("Name", "Date of birth", "Age", "Sex", "MRN", "Phone")
AnyIndex = QModelIndex | QPersistentModelIndex


class PatientTableModel(QAbstractTableModel):
    """Read-only rows of patients; the Patient is available under Qt.UserRole."""

    def __init__(self, today: date) -> None:
        super().__init__()
        self._rows: list[Patient] = []
        self._today = today

    def set_patients(self, patients: Sequence[Patient]) -> None:
        """Replace all rows."""
        self.beginResetModel()
        self._rows = list(patients)
        self.endResetModel()

    def patient_at(self, row: int) -> Patient | None:
        """The patient on a row, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        """Rows (zero under any parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        """Columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text; the whole Patient under UserRole."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        patient = self._rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return patient
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        return (
            patient.display_name,
            patient.date_of_birth.isoformat(),
            str(patient.age_on(self._today)),
            patient.sex.value.capitalize(),
            patient.mrn,
            patient.phone or "",
        )[index.column()]
