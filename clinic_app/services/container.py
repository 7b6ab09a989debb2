"""The set of services the UI and command line use, built over one unit-of-work factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clinic_app.domain.assessment.model import CodeSet
from clinic_app.services.accounts import AccountService
from clinic_app.services.anchor import ChainAnchor
from clinic_app.services.audit_trail import AuditTrailService
from clinic_app.services.backup import BackupPolicy, BackupService
from clinic_app.services.demo import DemoService
from clinic_app.services.encounters import EncounterService
from clinic_app.services.export import ExportService, NoteRenderer
from clinic_app.services.forms import FormCatalog
from clinic_app.services.handouts import HandoutLibrary
from clinic_app.services.key_slots import DatabaseEncryption, KeyRing, PlainDatabaseFile
from clinic_app.services.keys import PracticeKey
from clinic_app.services.patient_import import PatientImportService
from clinic_app.services.patients import PatientService
from clinic_app.services.ports import Clock, DatabaseBackup, UnitOfWorkFactory
from clinic_app.services.practice import PracticeService
from clinic_app.services.print_queue import PrintQueueService


class AnchoredAuditTrail(AuditTrailService):
    """The audit trail service that also keeps the start-up integrity alert on the anchor.

    The alert is shown to whoever logs in (a window, not only a line on stderr), until a
    restore sets the checkpoint again.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        key: PracticeKey | None,
        anchor: ChainAnchor | None,
        clock: Clock,
    ) -> None:
        super().__init__(uow_factory, key, anchor, clock)
        self.anchor = anchor

    def check_anchor(self) -> str | None:
        """As AuditTrailService.check_anchor; an alert is also kept on the anchor."""
        problem = super().check_anchor()
        if problem is not None and self.anchor is not None:
            self.anchor.alert = problem
        return problem


@dataclass(frozen=True)
class Services:
    """Every use case, sharing one clock and one database."""

    accounts: AccountService
    patients: PatientService
    encounters: EncounterService
    audit: AuditTrailService
    clock: Clock
    demo: DemoService
    forms: FormCatalog
    handouts: HandoutLibrary
    print_queue: PrintQueueService
    practice: PracticeService
    patient_import: PatientImportService
    backup: BackupService | None = None
    exports: ExportService | None = None
    """PDF and FHIR export of signed encounters (needs the note renderer app.py passes in)."""
    practice_key: PracticeKey | None = None
    """The practice key (keys the audit chain, authenticates backups); None in some tests."""
    encryption: DatabaseEncryption | None = None
    """Encrypting a plain SQLite database in place (None: PostgreSQL, or no key slots)."""
    anchor: ChainAnchor | None = None
    """The audit chain's checkpoint outside the database (holds a start-up alert)."""

    @property
    def integrity_alert(self) -> str | None:
        """The audit chain's start-up integrity alert, if one was raised (shown at log-in)."""
        return self.anchor.alert if self.anchor is not None else None

    @classmethod
    def build(
        cls,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        forms: FormCatalog | None = None,
        handouts: HandoutLibrary | None = None,
        backup: DatabaseBackup | None = None,
        backup_policy: BackupPolicy | None = None,
        note_renderer: NoteRenderer | None = None,
        export_folder: Path | None = None,
        export_pending: Path | None = None,
        practice_key: PracticeKey | None = None,
        anchor: ChainAnchor | None = None,
        code_set: CodeSet | None = None,
        key_ring: KeyRing | None = None,
    ) -> Services:
        """Wire the services over a storage adapter (and the data files app.py located)."""
        accounts = AccountService(uow_factory, clock, practice_key=practice_key, key_ring=key_ring)
        forms = forms or FormCatalog()
        if handouts is None:
            from clinic_app.resources import handouts_dir

            handouts = HandoutLibrary(handouts_dir())
        encounters = EncounterService(uow_factory, clock, forms.label_of, code_set)
        exports = None
        if note_renderer is not None:
            exports = ExportService(
                encounters, note_renderer, forms.exam_layout, export_folder, export_pending
            )
            if export_folder is not None:
                encounters.after_signing(exports.after_signing)
        return cls(
            forms=forms,
            handouts=handouts,
            print_queue=PrintQueueService(uow_factory, clock, handouts, encounters),
            accounts=accounts,
            patients=PatientService(uow_factory, clock),
            encounters=encounters,
            audit=AnchoredAuditTrail(uow_factory, practice_key, anchor, clock),
            clock=clock,
            demo=DemoService(uow_factory, clock, accounts),
            practice=PracticeService(uow_factory, clock, accounts),
            exports=exports,
            practice_key=practice_key,
            patient_import=PatientImportService(uow_factory, clock),
            encryption=(
                DatabaseEncryption(uow_factory, clock, key_ring, backup, accounts.kdf_cost)
                if key_ring is not None and isinstance(backup, PlainDatabaseFile)
                else None
            ),
            anchor=anchor,
            backup=(
                BackupService(backup, uow_factory, clock, backup_policy, practice_key, anchor)
                if backup is not None and backup_policy is not None
                else None
            ),
        )
