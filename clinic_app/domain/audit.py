"""The append-only audit trail: every entry carries the hash of the one before it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from clinic_app.domain.encounter import utc_iso
from clinic_app.domain.hashing import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64


class AuditAction(StrEnum):
    """What was done."""

    CREATE = "create"
    UPDATE = "update"
    VIEW_CHART = "view_chart"
    VIEW_ENCOUNTER = "view_encounter"
    EDIT_DRAFT = "edit_draft"
    SIGN = "sign"
    ADDENDUM = "addendum"
    PRINT = "print"
    EXPORT = "export"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_DELAYED = "login_delayed"
    LOGOUT = "logout"
    LOCK = "lock"
    ACCOUNT_CHANGE = "account_change"
    INTEGRITY_ALERT = "integrity_alert"
    ACKNOWLEDGE_RED_FLAGS = "acknowledge_red_flags"
    OVERRIDE_GATE = "override_gate"
    ACKNOWLEDGE_NO_STUDIES = "acknowledge_no_studies"
    BACKUP = "backup"
    RESTORE_BACKUP = "restore_backup"
    PRACTICE_CHANGE = "practice_change"


class AuditEvent(BaseModel):
    """An event about to be appended (no sequence or hash yet)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    user_id: int | None
    username: str
    action: AuditAction
    entity_type: str
    entity_id: str
    detail: str = ""


class AuditEntry(AuditEvent):
    """A stored entry, chained to its predecessor."""

    seq: int
    prev_hash: str
    entry_hash: str


def entry_payload(seq: int, prev_hash: str, event: AuditEvent) -> dict[str, Any]:
    """Everything an audit entry's hash covers."""
    return {
        "seq": seq,
        "prev_hash": prev_hash,
        "at": utc_iso(event.at),
        "user_id": event.user_id,
        "username": event.username,
        "action": event.action.value,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "detail": event.detail,
    }


def chain_hash(seq: int, prev_hash: str, event: AuditEvent) -> str:
    """The hash of an entry at position seq following prev_hash."""
    return sha256_hex(canonical_json(entry_payload(seq, prev_hash, event)))


class ChainReport(BaseModel):
    """Result of checking the whole chain."""

    model_config = ConfigDict(frozen=True)

    entries: int
    first_broken_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        """True when every link checks out."""
        return self.first_broken_seq is None


def verify_chain(entries: Iterable[AuditEntry], head: tuple[int, str] | None = None) -> ChainReport:
    """Walk entries in sequence order; report the first that breaks the chain.

    Args:
        entries: every stored entry, in sequence order.
        head: the (last seq, last hash) kept apart from the entries, which reveals entries
            cut off the end of the chain.
    """
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(
                entries=count,
                first_broken_seq=entry.seq,
                problem=f"entry {expected_seq} is missing (found {entry.seq} next)",
            )
        if entry.prev_hash != prev:
            return ChainReport(
                entries=count,
                first_broken_seq=entry.seq,
                problem="its link to the previous entry does not match",
            )
        if chain_hash(entry.seq, entry.prev_hash, entry) != entry.entry_hash:
            return ChainReport(
                entries=count,
                first_broken_seq=entry.seq,
                problem="its content does not match its hash (changed after it was written)",
            )
        prev = entry.entry_hash
        expected_seq += 1
    if head is not None and (head[0] != expected_seq - 1 or head[1] != prev):
        return ChainReport(
            entries=count,
            first_broken_seq=expected_seq,
            problem=f"the chain ends at entry {expected_seq - 1} but entry {head[0]} was written",
        )
    return ChainReport(entries=count)
