"""Export of signed encounters for the practice's main record: a PDF or a FHIR R4 Bundle.

``export`` writes one encounter where the user asks (the command line, the Export action).
The optional export folder receives every encounter when it is signed and again when an
addendum is signed, which is how many EMRs import documents: ``<MRN>_<visit date>_enc<id>.pdf``
and ``.fhir.json``, so the files sort by patient and then date. Every file is written through
a temporary file and renamed into place (nothing partial after a crash); a write that fails
(a full disk, a folder gone) is remembered and retried at the next signing or on request.

Every export is audited with what was written and where; the front desk cannot export, drafts
are not exported, and an encounter that fails its hash check is refused.
"""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from clinic_app.domain.account import Principal
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.layout import FormLayout
from clinic_app.services import files
from clinic_app.services.encounters import EncounterService, VisitNoteData
from clinic_app.services.fhir_export import encounter_bundle

NoteRenderer = Callable[[VisitNoteData], bytes]
"""Renders the visit note of an encounter (clinic_app.reports.visit_note_pdf)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


class ExportFormat(StrEnum):
    """What an export writes."""

    PDF = "pdf"
    FHIR = "fhir"

    @property
    def suffix(self) -> str:
        """The file-name ending."""
        return ".pdf" if self is ExportFormat.PDF else ".fhir.json"


@dataclass(frozen=True)
class FolderResult:
    """What one export-folder run wrote, and what failed (retried later)."""

    written: tuple[Path, ...] = ()
    problem: str | None = None


def file_stem(data: VisitNoteData) -> str:
    """``<MRN>_<visit date>_enc<id>``: sorts by patient, then date, then encounter."""
    mrn = _UNSAFE.sub("-", data.patient.mrn).strip("-") or f"patient{data.patient.id}"
    return f"{mrn}_{data.encounter.encounter_date.isoformat()}_enc{data.encounter.id:06d}"


def _os_problem(exc: OSError, where: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk holding {where} is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where} cannot be written to (permission denied)"
    return f"{where} cannot be written ({exc.strerror or exc})"


class ExportService:
    """Writes signed encounters as PDF or FHIR, to a chosen file or the export folder."""

    def __init__(
        self,
        encounters: EncounterService,
        render_note: NoteRenderer,
        layout: Callable[[], FormLayout],
        folder: Path | None = None,
        pending_file: Path | None = None,
    ) -> None:
        self._encounters = encounters
        self._render = render_note
        self._layout = layout
        self.folder = folder
        self._pending_file = pending_file
        self._pending: set[int] = self._read_pending()

    # --- one encounter -------------------------------------------------------------------------

    def content(self, actor: Principal, encounter_id: int, fmt: ExportFormat) -> tuple[bytes, str]:
        """The bytes of an export and its file-name stem (nothing written, nothing audited)."""
        data = self._encounters.export_data(actor, encounter_id)
        pdf = self._render(data)
        if fmt is ExportFormat.PDF:
            return pdf, file_stem(data)
        stored = data.encounter.content.signed_assessment
        assessment = stored.assessment if stored is not None else data.assessment
        bundle = encounter_bundle(data.encounter, data.patient, assessment, self._layout(), pdf)
        return bundle, file_stem(data)

    def export(self, actor: Principal, encounter_id: int, fmt: ExportFormat, out: Path) -> Path:
        """Write one encounter to out, whole or not at all (audited; raises ClinicError)."""
        payload, _stem = self.content(actor, encounter_id, fmt)
        try:
            files.write_atomically(out, payload)
        except OSError as exc:
            problem = _os_problem(exc, out)
            self._encounters.record_export(
                actor, encounter_id, f"{fmt.value} export to {out} FAILED: {problem}"
            )
            raise ClinicError(f"{problem}: nothing was written.") from None
        self._encounters.record_export(
            actor, encounter_id, f"{fmt.value} written to {out} ({len(payload)} bytes)"
        )
        return out

    # --- the export folder ---------------------------------------------------------------------

    @property
    def pending(self) -> tuple[int, ...]:
        """Encounters whose folder export failed and waits for a retry."""
        return tuple(sorted(self._pending))

    def after_signing(self, actor: Principal, encounter_id: int) -> FolderResult:
        """Write a newly signed encounter (and any waiting ones) to the export folder.

        Never raises: a failure is kept for a retry and returned as a one-line problem.
        """
        if self.folder is None:
            return FolderResult()
        self._pending.add(encounter_id)
        return self.retry(actor)

    def retry(self, actor: Principal) -> FolderResult:
        """Write every waiting encounter to the export folder; keep the ones that fail."""
        folder = self.folder
        if folder is None or not self._pending:
            return FolderResult()
        self._sweep(folder)
        written: list[Path] = []
        problem: str | None = None
        for encounter_id in sorted(self._pending):
            try:
                written += self._to_folder(actor, encounter_id, folder)
            except ClinicError as exc:
                problem = f"Encounter #{encounter_id} was not exported: {exc}"
                if "integrity" in str(exc) or "draft" in str(exc):
                    self._pending.discard(encounter_id)  # retrying would not help
                continue
            self._pending.discard(encounter_id)
        self._write_pending()
        if problem and self._pending:
            problem += f" It will be retried ({len(self._pending)} waiting)."
        return FolderResult(tuple(written), problem)

    @staticmethod
    def _sweep(folder: Path) -> None:
        """Remove temporary files a crash left behind mid-write (never a finished export)."""
        with suppress(OSError):
            for leftover in folder.glob(".*.tmp"):
                if any(suffix in leftover.name for suffix in (".pdf.", ".fhir.json.")):
                    leftover.unlink(missing_ok=True)

    def _to_folder(self, actor: Principal, encounter_id: int, folder: Path) -> list[Path]:
        if not folder.is_dir():
            raise ClinicError(f"the export folder {folder} does not exist or is not a folder")
        written = []
        for fmt in ExportFormat:
            payload, stem = self.content(actor, encounter_id, fmt)
            path = folder / f"{stem}{fmt.suffix}"
            try:
                files.write_atomically(path, payload)
            except OSError as exc:
                problem = _os_problem(exc, folder)
                self._encounters.record_export(
                    actor, encounter_id, f"{fmt.value} export to {path} FAILED: {problem}"
                )
                raise ClinicError(problem) from None
            self._encounters.record_export(
                actor, encounter_id, f"{fmt.value} written to {path} ({len(payload)} bytes)"
            )
            written.append(path)
        return written

    def _read_pending(self) -> set[int]:
        if self._pending_file is None:
            return set()
        try:
            raw = json.loads(self._pending_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        return {int(x) for x in raw if isinstance(x, int)} if isinstance(raw, list) else set()

    def _write_pending(self) -> None:
        if self._pending_file is None:
            return
        # On failure the list stays in memory; the next successful run writes it.
        with suppress(OSError):
            files.write_atomically(
                self._pending_file, json.dumps(sorted(self._pending)).encode("utf-8")
            )
