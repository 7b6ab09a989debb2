"""Table model over a list of patients (search results)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt

from clinic_app.domain.patient import Patient
from clinic_app.ui.models.flat_table_model import AnyIndex, FlatTableModel

COLUMNS = ("Name", "Date of birth", "Age", "Sex", "MRN", "Phone")


class PatientTableModel(FlatTableModel[Patient]):
    """Read-only rows of patients; the Patient is available under Qt.UserRole."""

    def __init__(self, today: date) -> None:
        super().__init__(COLUMNS)
        self._today = today

    def set_patients(self, patients: Sequence[Patient]) -> None:
        """Replace all rows."""
        self.replace_rows(patients)

    def patient_at(self, row: int) -> Patient | None:
        """The patient on a row, or None."""
        return self.row_at(row)

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
