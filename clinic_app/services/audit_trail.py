"""Reading and checking the audit trail, and re-checking every signed record."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import AuditAction, AuditEntry, ChainReport, verify_chain
from clinic_app.domain.encounter import integrity_problems
from clinic_app.services.common import require
from clinic_app.services.ports import UnitOfWorkFactory


class RecordsReport(BaseModel):
    """Result of re-checking every signed encounter and addendum against its hash.

    Attributes:
        checked: signed encounters checked.
        addenda: addenda checked with them.
        first_broken_id: the first encounter that failed, or None.
        problem: what failed there.
    """

    model_config = ConfigDict(frozen=True)

    checked: int
    addenda: int
    first_broken_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        """True when every signed record matches its hash."""
        return self.first_broken_id is None


class AuditTrailService:
    """Check the hash chain and the signed records; show recent entries to an admin."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    def verify(self) -> ChainReport:
        """Walk the whole chain (used by `clinic-app audit verify`, run by whoever holds the DB)."""
        with self._uow() as uow:
            return verify_chain(uow.audit.all(), uow.audit.head())

    def verify_records(self) -> RecordsReport:
        """Re-check every signed encounter and addendum; report the first that fails.

        The encounters are those stored as signed or carrying a signature hash, and every
        encounter the audit trail says was signed (so one turned back into a draft in the
        database is found too).
        """
        with self._uow() as uow:
            ids = set(uow.audit.signed_encounter_ids())
            signed_in_trail = {
                int(e.entity_id)
                for e in uow.audit.all()
                if e.action == AuditAction.SIGN
                and e.entity_type == "encounter"
                and e.entity_id.isdigit()
            }
        checked = addenda = 0
        for encounter_id in sorted(ids | signed_in_trail):
            with self._uow() as uow:
                enc = uow.encounters.get(encounter_id)
            if enc is None:
                return RecordsReport(
                    checked=checked,
                    addenda=addenda,
                    first_broken_id=encounter_id,
                    problem="the audit trail says it was signed, but it is gone",
                )
            if not enc.is_signed:
                return RecordsReport(
                    checked=checked,
                    addenda=addenda,
                    first_broken_id=encounter_id,
                    problem="it was signed, but it is stored as a draft again",
                )
            checked += 1
            addenda += len(enc.addenda)
            problems = integrity_problems(enc)
            if problems:
                return RecordsReport(
                    checked=checked,
                    addenda=addenda,
                    first_broken_id=encounter_id,
                    problem=problems[0].rstrip("."),
                )
        return RecordsReport(checked=checked, addenda=addenda)

    def recent(self, actor: Principal, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first (admin only)."""
        require(actor, Permission.AUDIT_READ)
        with self._uow() as uow:
            return list(uow.audit.recent(limit))
