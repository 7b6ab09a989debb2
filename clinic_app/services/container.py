"""The set of services the UI and command line use, built over one unit-of-work factory."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_app.services.accounts import AccountService
from clinic_app.services.audit_trail import AuditTrailService
from clinic_app.services.backup import BackupPolicy, BackupService
from clinic_app.services.demo import DemoService
from clinic_app.services.encounters import EncounterService
from clinic_app.services.forms import FormCatalog
from clinic_app.services.handouts import HandoutLibrary
from clinic_app.services.patients import PatientService
from clinic_app.services.ports import Clock, DatabaseBackup, UnitOfWorkFactory
from clinic_app.services.practice import PracticeService
from clinic_app.services.print_queue import PrintQueueService


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
    backup: BackupService | None = None

    @classmethod
    def build(
        cls,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        forms: FormCatalog | None = None,
        handouts: HandoutLibrary | None = None,
        backup: DatabaseBackup | None = None,
        backup_policy: BackupPolicy | None = None,
    ) -> Services:
        """Wire the services over a storage adapter (and the data files app.py located)."""
        accounts = AccountService(uow_factory, clock)
        forms = forms or FormCatalog()
        if handouts is None:
            from clinic_app.resources import handouts_dir

            handouts = HandoutLibrary(handouts_dir())
        encounters = EncounterService(uow_factory, clock, forms.label_of)
        return cls(
            forms=forms,
            handouts=handouts,
            print_queue=PrintQueueService(uow_factory, clock, handouts, encounters),
            accounts=accounts,
            patients=PatientService(uow_factory, clock),
            encounters=encounters,
            audit=AuditTrailService(uow_factory),
            clock=clock,
            demo=DemoService(uow_factory, clock, accounts),
            practice=PracticeService(uow_factory, clock, accounts),
            backup=(
                BackupService(backup, uow_factory, clock, backup_policy)
                if backup is not None and backup_policy is not None
                else None
            ),
        )
