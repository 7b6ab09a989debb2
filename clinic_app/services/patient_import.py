"""Import the practice's existing patients from a CSV patient list or FHIR Patient resources.

A dry run by default: every row is read and checked with the same rules as the registration
form, and the report says which rows would be added, which look like patients already here
(the same MRN, or the same names and date of birth, in the database or earlier in the file)
and which are refused, with the reason per row. ``apply`` writes every good row in one
transaction (audited); likely duplicates and refused rows are never written, and when the write
fails nothing is written.

CSV: UTF-8 (a byte-order mark is fine), a header row, one patient per row. Columns (case and
spaces ignored; the usual EMR export names are accepted):

    family_name (last_name, surname), given_name (first_name), date_of_birth (dob, birth_date;
    YYYY-MM-DD or MM/DD/YYYY), sex (gender), mrn (chart_number, patient_id), phone
    (home_phone, mobile_phone, cell_phone), preferred_language (language: en or es),
    diabetes (yes, no, unknown), allergies (a list, or NKA / none), medications

Unknown columns are named in the report and ignored. FHIR: a Bundle of Patient resources
(JSON) or NDJSON with one Patient per line.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.domain.patient import PatientData, search_key
from clinic_app.services.common import audit, require
from clinic_app.services.patients import MRN_ALPHABET, MRN_LENGTH, refuse_clinical_changes
from clinic_app.services.ports import Clock, UnitOfWorkFactory

MAX_BYTES = 200 * 1024 * 1024
PROGRESS_EVERY = 500
"""Rows checked between two progress reports."""
COLUMNS: dict[str, str] = {
    **dict.fromkeys(("family_name", "last_name", "surname", "family", "lastname"), "family_name"),
    **dict.fromkeys(("given_name", "first_name", "given", "firstname"), "given_name"),
    **dict.fromkeys(("date_of_birth", "dob", "birth_date", "birthdate"), "date_of_birth"),
    **dict.fromkeys(("sex", "gender"), "sex"),
    **dict.fromkeys(("mrn", "chart_number", "patient_id", "medical_record_number"), "mrn"),
    **dict.fromkeys(("phone", "home_phone", "mobile_phone", "cell_phone"), "phone"),
    **dict.fromkeys(("preferred_language", "language"), "preferred_language"),
    "diabetes": "diabetes",
    "allergies": "allergies",
    "medications": "medications",
}
US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
NO_ALLERGY_WORDS = frozenset({"nka", "nkda", "none", "no known allergies"})
SEX_WORDS = {"f": "female", "m": "male", "o": "other", "u": "unknown"}


@dataclass(frozen=True)
class RowResult:
    """One row (or one FHIR resource) and what happens to it."""

    row: int
    name: str
    outcome: str
    """"add", "duplicate" or "refused"."""
    reason: str = ""


@dataclass
class ImportReport:
    """The per-row report of a dry run or an import."""

    file: Path
    applied: bool = False
    rows: list[RowResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: int = 0

    def count(self, outcome: str) -> int:
        """How many rows have this outcome."""
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def ok(self) -> bool:
        """True when no row was refused."""
        return self.count("refused") == 0

    def text(self) -> str:
        """The report as lines: totals first, then each duplicate and refused row."""
        head = (
            f"{self.file}: {len(self.rows)} rows: {self.count('add')} to add, "
            f"{self.count('duplicate')} likely duplicates (not added), "
            f"{self.count('refused')} refused."
        )
        lines = [head, *self.notes]
        for row in self.rows:
            if row.outcome != "add":
                lines.append(f"  row {row.row} {row.outcome}: {row.name} \u2014 {row.reason}")
        if self.applied:
            lines.append(f"Imported {self.written} patients in one transaction.")
        else:
            lines.append("Dry run: nothing was written. Run again with --apply to add them.")
        return "\n".join(lines)


def _fold(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def _dob(text: str) -> str:
    m = US_DATE.fullmatch(text.strip())
    if m:
        return f"{m[3]}-{int(m[1]):02d}-{int(m[2]):02d}"
    return text.strip()


def _row_data(raw: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: v.strip() for k, v in raw.items() if v is not None and v.strip()}
    if "date_of_birth" in data:
        data["date_of_birth"] = _dob(data["date_of_birth"])
    if "sex" in data:
        data["sex"] = SEX_WORDS.get(data["sex"].lower(), data["sex"])
    allergies = data.pop("allergies", "")
    if "allergy_status" in PatientData.model_fields:
        if allergies.lower() in NO_ALLERGY_WORDS:
            data["allergy_status"] = "none_known"
        elif allergies:
            data["allergy_status"] = "listed"
            data["allergies"] = allergies
    if "medications" not in PatientData.model_fields:
        data.pop("medications", None)
    return data


def _csv_rows(blob: bytes, report: ImportReport) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(row number, column -> text) per row, or (row number, why it cannot be read)."""
    lines = blob.removeprefix(b"\xef\xbb\xbf").splitlines()
    if not lines:
        raise ClinicError("the file is empty")
    try:
        header_text = lines[0].decode("utf-8")
    except UnicodeDecodeError:
        raise ClinicError("the header row is not UTF-8 text; save the file as UTF-8 CSV") from None
    header = next(csv.reader([header_text]))
    names = [COLUMNS.get(_fold(h)) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n is None]
    if unknown:
        report.notes.append("Columns not imported (unknown): " + ", ".join(unknown) + ".")
    missing = {"family_name", "given_name", "date_of_birth"} - {n for n in names if n}
    if missing:
        raise ClinicError("the header has no column for " + ", ".join(sorted(missing)))
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield number, "not UTF-8 text (save the file as UTF-8 CSV)"
            continue
        values = next(csv.reader([text]), [])
        if len(values) > len(header):
            yield number, f"{len(values)} values for {len(header)} columns"
            continue
        yield number, {n: v for n, v in zip(names, values, strict=False) if n}


def _fhir_patient(resource: Any) -> dict[str, str] | str:
    """Registration fields from a FHIR Patient, or why it cannot be used."""
    from fhir.resources.R4B.patient import Patient as FhirPatient

    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        return "not a FHIR Patient resource"
    try:
        patient = FhirPatient.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"not a valid FHIR Patient ({'.'.join(map(str, first['loc']))}: {first['msg']})"
    out: dict[str, str] = {}
    if patient.name:
        name = patient.name[0]
        out["family_name"] = name.family or ""
        out["given_name"] = " ".join(g for g in (name.given or []) if g)
    if patient.birthDate is not None:
        out["date_of_birth"] = str(patient.birthDate)
    if patient.gender:
        out["sex"] = str(patient.gender)
    for identifier in patient.identifier or []:
        codes = [c.code for c in (identifier.type.coding or [])] if identifier.type else []
        if identifier.value and ("MR" in codes or "mrn" not in out):
            out["mrn"] = identifier.value
    for telecom in patient.telecom or []:
        if telecom.system == "phone" and telecom.value:
            out["phone"] = telecom.value
            break
    return out


def _fhir_rows(blob: bytes) -> Iterator[tuple[int, dict[str, str] | str]]:
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ClinicError("the file is not UTF-8 text") from None
    stripped = text.lstrip()
    try:
        whole = json.loads(stripped)
    except ValueError:
        whole = None
    if isinstance(whole, dict) and whole.get("resourceType") == "Bundle":
        for number, entry in enumerate(whole.get("entry") or [], 1):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            yield number, _fhir_patient(resource)
        return
    if isinstance(whole, dict):
        yield 1, _fhir_patient(whole)
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, _fhir_patient(json.loads(line))
        except ValueError:
            yield number, "not a JSON line"


class PatientImportService:
    """Reads a patient list, reports what it would do, and imports the good rows."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def run(
        self,
        actor: Principal,
        path: Path,
        *,
        apply: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> ImportReport:
        """Check every row of the file; with apply, add the good rows in one transaction.

        progress, if given, hears ("rows", rows checked, 0) every PROGRESS_EVERY rows and
        ("writing", 0, 0) before the write; it may raise Cancelled, which leaves nothing
        written (the rows go in one transaction at the end).

        Raises:
            ClinicError: the file cannot be read at all (missing, not a patient list).
        """
        require(actor, Permission.PATIENT_WRITE)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ClinicError(f"{path} is larger than {MAX_BYTES // 2**20} MB")
            blob = path.read_bytes()
        except OSError as exc:
            raise ClinicError(f"{path} cannot be read ({exc.strerror or exc})") from None
        report = ImportReport(file=path)
        looks_json = path.suffix.lower() in (".json", ".ndjson") or blob.lstrip()[:1] == b"{"
        rows = _fhir_rows(blob) if looks_json else _csv_rows(blob, report)
        today = self._clock.today()
        good: list[tuple[int, PatientData]] = []
        for checked, (number, raw) in enumerate(rows):
            if progress is not None and checked % PROGRESS_EVERY == 0:
                progress("rows", checked, 0)
            if isinstance(raw, str):
                report.rows.append(RowResult(number, "?", "refused", raw))
                continue
            name = f"{raw.get('family_name', '')}, {raw.get('given_name', '')}".strip(", ")
            try:
                data = PatientData.model_validate(_row_data(raw), context={"today": today})
                # The same rule as registering by hand: diabetes, allergies and medications
                # are a clinician's to record.
                refuse_clinical_changes(actor, None, data)
            except ValidationError as exc:
                errors = FieldErrors.from_validation_error(exc).errors
                reason = "; ".join(f"{k}: {v}" for k, v in errors.items())
                report.rows.append(RowResult(number, name or "?", "refused", reason))
                continue
            except FieldErrors as exc:
                reason = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
                report.rows.append(RowResult(number, name or "?", "refused", reason))
                continue
            good.append((number, data))
        with self._uow() as uow:
            adds = self._sort_duplicates(uow, good, report)
            report.rows.sort(key=lambda r: r.row)
            if not apply or not adds:
                report.applied = apply
                return report
            if progress is not None:
                progress("writing", 0, 0)
            items = list(zip(adds, self._mrns(uow, adds), strict=True))
            uow.patients.add_many(items)
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.CREATE,
                "patient_import",
                path.name[:100],
                f"{len(items)} patients imported from {path}; "
                f"{report.count('duplicate')} likely duplicates and "
                f"{report.count('refused')} refused rows not imported",
            )
            uow.commit()
        report.applied = True
        report.written = len(items)
        return report

    @staticmethod
    def _sort_duplicates(
        uow: Any, good: list[tuple[int, PatientData]], report: ImportReport
    ) -> list[PatientData]:
        taken = uow.patients.taken_mrns({d.mrn for _n, d in good if d.mrn})
        seen_mrn: dict[str, int] = {}
        seen_name: dict[tuple[str, str, date], int] = {}
        adds: list[PatientData] = []
        for number, data in good:
            key = (search_key(data.family_name), search_key(data.given_name), data.date_of_birth)
            reason = ""
            if data.mrn and data.mrn in taken:
                reason = f"MRN {data.mrn} is already a patient here"
            elif data.mrn and data.mrn in seen_mrn:
                reason = f"MRN {data.mrn} is also on row {seen_mrn[data.mrn]}"
            elif key in seen_name:
                reason = f"same name and date of birth as row {seen_name[key]}"
            else:
                same = uow.patients.find_same_name_dob(*key[:2], data.date_of_birth)
                if same:
                    reason = f"same name and date of birth as MRN {same[0].mrn}"
            if data.mrn:
                seen_mrn.setdefault(data.mrn, number)
            seen_name.setdefault(key, number)
            if reason:
                report.rows.append(RowResult(number, data.display_name, "duplicate", reason))
            else:
                report.rows.append(RowResult(number, data.display_name, "add"))
                adds.append(data)
        return adds

    @staticmethod
    def _mrns(uow: Any, adds: list[PatientData]) -> list[str]:
        """The row's MRN, or a new random one (checked free) for rows without."""
        wanted = sum(1 for d in adds if not d.mrn)
        fresh: list[str] = []
        while len(fresh) < wanted:
            batch = {
                "".join(secrets.choice(MRN_ALPHABET) for _ in range(MRN_LENGTH))
                for _ in range(wanted - len(fresh))
            }
            batch -= set(fresh)
            batch -= uow.patients.taken_mrns(batch)
            fresh += sorted(batch)
        out = []
        for data in adds:
            out.append(data.mrn if data.mrn else fresh.pop())
        return out
