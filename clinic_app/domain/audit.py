"""The append-only audit trail: every entry carries the hash of the one before it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from clinic_app.domain.encounter import utc_iso
from clinic_app.domain.hashing import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64
Mac = Callable[[str], str]
"""The keyed hash of an entry's canonical JSON (HMAC-SHA256 with the practice key, hex)."""


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
    SIGNING_KEY = "signing_key"


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


def chain_hash(seq: int, prev_hash: str, event: AuditEvent, mac: Mac | None = None) -> str:
    """The hash of an entry at position seq following prev_hash.

    With mac (the keyed chain) it is an HMAC under the practice key, which nobody holding
    only the database can recompute; without, the plain SHA-256 of entries written before
    the chain was keyed.
    """
    text = canonical_json(entry_payload(seq, prev_hash, event))
    return mac(text) if mac is not None else sha256_hex(text)


class Checkpoint(BaseModel):
    """The chain's head as last seen, kept outside the database (a file, a backup manifest).

    Attributes:
        seq: the last entry written.
        entry_hash: its hash.
        keyed_from: the first entry hashed with the practice key (None: not keyed yet).
    """

    model_config = ConfigDict(frozen=True)

    seq: int
    entry_hash: str
    keyed_from: int | None = None


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


def verify_chain(
    entries: Iterable[AuditEntry],
    head: tuple[int, str] | None = None,
    *,
    mac: Mac | None = None,
    keyed_from: int | None = None,
    checkpoint: Checkpoint | None = None,
) -> ChainReport:
    """Walk entries in sequence order; report the first that breaks the chain.

    Args:
        entries: every stored entry, in sequence order (streamed: any iterable).
        head: the (last seq, last hash) kept apart from the entries, which reveals entries
            cut off the end of the chain.
        mac: the keyed hash (the practice key); entries from keyed_from on must match it.
        keyed_from: the first keyed entry, as the database records it.
        checkpoint: the head last seen outside the database; the chain must pass through it
            (same hash at its entry) and be at least as long.
    """
    if checkpoint is not None and checkpoint.keyed_from != keyed_from:
        return ChainReport(
            entries=0,
            first_broken_seq=keyed_from or checkpoint.keyed_from,
            problem=(
                f"the database says the keyed chain starts at entry {keyed_from}, the "
                f"checkpoint outside it says {checkpoint.keyed_from}"
            ),
        )
    if keyed_from is not None and mac is None:
        return ChainReport(
            entries=0,
            first_broken_seq=keyed_from,
            problem="the chain is keyed but the practice key is missing from the data folder",
        )
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
        keyed = keyed_from is not None and entry.seq >= keyed_from
        if chain_hash(entry.seq, entry.prev_hash, entry, mac if keyed else None) != (
            entry.entry_hash
        ):
            return ChainReport(
                entries=count,
                first_broken_seq=entry.seq,
                problem=(
                    "its content does not match its keyed hash (it or the entry before it "
                    "was changed, or written without the practice key)"
                    if keyed
                    else "its content does not match its hash (it or the entry before it was "
                    "changed after it was written)"
                ),
            )
        if (
            checkpoint is not None
            and entry.seq == checkpoint.seq
            and entry.entry_hash != checkpoint.entry_hash
        ):
            return ChainReport(
                entries=count,
                first_broken_seq=entry.seq,
                problem="it differs from the checkpoint kept outside the database",
            )
        prev = entry.entry_hash
        expected_seq += 1
    if checkpoint is not None and expected_seq - 1 < checkpoint.seq:
        return ChainReport(
            entries=count,
            first_broken_seq=expected_seq,
            problem=(
                f"the chain ends at entry {expected_seq - 1} but the checkpoint outside the "
                f"database saw entry {checkpoint.seq}"
            ),
        )
    if head is not None and (head[0] != expected_seq - 1 or head[1] != prev):
        return ChainReport(
            entries=count,
            first_broken_seq=expected_seq,
            problem=f"the chain ends at entry {expected_seq - 1} but entry {head[0]} was written",
        )
    return ChainReport(entries=count)
