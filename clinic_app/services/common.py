"""Helpers every use case shares: the system clock, permission checks and audit records."""

from __future__ import annotations

from datetime import UTC, date, datetime

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import AuditAction, AuditEvent
from clinic_app.domain.errors import PermissionDenied
from clinic_app.services.ports import Clock, UnitOfWork


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current moment in UTC."""
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's local date."""
        return date.today()


PERMISSION_WORDS: dict[Permission, str] = {
    Permission.PATIENT_READ: "look up patients",
    Permission.PATIENT_WRITE: "register or edit patients",
    Permission.ENCOUNTER_LIST: "see a patient's visit list",
    Permission.CLINICAL_READ: "read exam findings and notes",
    Permission.CLINICAL_WRITE: "chart encounters",
    Permission.SIGN: "sign encounters",
    Permission.ACCOUNTS_MANAGE: "manage accounts",
    Permission.AUDIT_READ: "read the audit trail",
    Permission.HANDOUT_PRINT: "print patient handouts",
    Permission.PRACTICE_MANAGE: "change the practice details",
}


def require(actor: Principal, permission: Permission) -> None:
    """Raise PermissionDenied unless the actor holds the permission."""
    if not actor.can(permission):
        raise PermissionDenied(
            f"{actor.display_name}'s account is not allowed to {PERMISSION_WORDS[permission]}."
        )


def audit(
    uow: UnitOfWork,
    clock: Clock,
    actor: Principal | None,
    action: AuditAction,
    entity_type: str,
    entity_id: object,
    detail: str = "",
    username: str | None = None,
) -> None:
    """Append one audit event inside the caller's unit of work (it commits with the change)."""
    uow.audit.append(
        AuditEvent(
            at=clock.now(),
            user_id=actor.user_id if actor else None,
            username=username if username is not None else (actor.username if actor else ""),
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            detail=detail,
        )
    )
