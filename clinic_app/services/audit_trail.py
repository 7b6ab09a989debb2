"""Reading and checking the audit trail."""

from __future__ import annotations

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import AuditEntry, ChainReport, verify_chain
from clinic_app.services.common import require
from clinic_app.services.ports import UnitOfWorkFactory


class AuditTrailService:
    """Check the hash chain; show recent entries to an admin."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    def verify(self) -> ChainReport:
        """Walk the whole chain (used by `clinic-app audit verify`, run by whoever holds the DB)."""
        with self._uow() as uow:
            return verify_chain(uow.audit.all(), uow.audit.head())

    def recent(self, actor: Principal, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first (admin only)."""
        require(actor, Permission.AUDIT_READ)
        with self._uow() as uow:
            return list(uow.audit.recent(limit))
