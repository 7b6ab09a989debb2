"""Reading and checking the audit trail, and re-checking every signed record."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import AuditAction, AuditEntry, ChainReport, verify_chain
from clinic_app.domain.encounter import integrity_problems
from clinic_app.services.anchor import ChainAnchor, CheckpointInvalid
from clinic_app.services.common import SystemClock, audit, require
from clinic_app.services.keys import PracticeKey, signature_problems
from clinic_app.services.ports import Clock, UnitOfWorkFactory

KEY_ACTIONS = frozenset({AuditAction.SIGNING_KEY, AuditAction.CREATE, AuditAction.ACCOUNT_CHANGE})
KEY_IN_DETAIL = re.compile(r"signing key #(\d+) ([0-9a-f]{64})")
"""How an audit entry records a new signing key (AccountService writes it)."""


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
    unsigned: int = 0
    """Encounters and addenda signed before signing keys: they verify by hash alone."""

    @property
    def intact(self) -> bool:
        """True when every signed record matches its hash."""
        return self.first_broken_id is None


class AuditTrailService:
    """Check the hash chain and the signed records; show recent entries to an admin."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        key: PracticeKey | None = None,
        anchor: ChainAnchor | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._uow = uow_factory
        self._key = key
        self._anchor = anchor
        self._clock = clock or SystemClock()

    def verify(self) -> ChainReport:
        """Walk the whole chain (used by `clinic-app audit verify`, run by whoever holds the DB).

        Entries from where the chain was keyed on must match their HMAC under the practice
        key; the chain must pass through the checkpoint kept outside the database.
        """
        with self._uow() as uow:
            keyed_from, key_check = uow.audit.keying()
            key = self._key if self._key is not None and self._key.present else None
            if key is not None and key_check is not None and key_check != key.check_value():
                return ChainReport(
                    entries=0,
                    first_broken_seq=keyed_from,
                    problem="the practice key in this data folder is not the one it was written "
                    "with",
                )
            try:
                checkpoint = self._anchor.read() if self._anchor is not None else None
            except CheckpointInvalid as exc:
                return ChainReport(entries=0, first_broken_seq=0, problem=str(exc))
            return verify_chain(
                uow.audit.all(),
                uow.audit.head(),
                mac=key.mac if key is not None else None,
                keyed_from=keyed_from,
                checkpoint=checkpoint,
            )

    def check_anchor(self) -> str | None:
        """At start: the chain against the checkpoint outside the database (cheap, no walk).

        A chain shorter than the checkpoint, or with another hash at the checkpoint's entry,
        is an integrity alert: audited, returned, and the checkpoint then holds still so the
        evidence stays until someone looks (a restore sets it again). None when all is well.
        A chain not keyed yet is keyed by its next entry (the repository records where); a
        command that only reads, such as `audit verify`, writes nothing to the database.
        """
        if self._anchor is None or self._key is None or not self._key.present:
            return None
        with self._uow() as uow:
            keyed_from, _check = uow.audit.keying()
            head = uow.audit.head()
            problem: str | None = None
            try:
                saved = self._anchor.read()
            except CheckpointInvalid as exc:
                saved, problem = None, str(exc)
            if saved is not None:
                last = head[0] if head is not None else 0
                entry = uow.audit.entry_at(saved.seq) if last >= saved.seq else None
                if last < saved.seq:
                    problem = (
                        f"the audit trail ends at entry {last}, but the checkpoint outside the "
                        f"database saw entry {saved.seq}: entries were removed"
                    )
                elif entry is None or entry.entry_hash != saved.entry_hash:
                    problem = (
                        f"audit entry {saved.seq} differs from the checkpoint outside the "
                        "database: the trail was rewritten"
                    )
                elif saved.keyed_from != keyed_from:
                    problem = "the audit trail's keyed start differs from the checkpoint"
            if problem is not None:
                self._anchor.held = True
                audit(uow, self._clock, None, AuditAction.INTEGRITY_ALERT, "audit", "-", problem)
                uow.commit()
                return problem
            current = uow.audit.checkpoint()
        if current is not None:
            self._anchor.advance(current)
        return None

    def verify_records(self) -> RecordsReport:
        """Re-check every signed encounter and addendum; report the first that fails.

        The encounters are those stored as signed or carrying a signature hash, and every
        encounter the audit trail says was signed (so one turned back into a draft in the
        database is found too).
        """
        with self._uow() as uow:
            ids = set(uow.audit.signed_encounter_ids())
            keys = {k.id: k for k in uow.accounts.signing_keys()}
            # The hash each SIGN entry recorded: the keyed chain vouches for it, so a signed
            # note re-hashed in the database no longer matches its entry.
            # And the public half of every signing key as the trail recorded it when made, so
            # a key swapped in the database (to re-sign an altered note) is found too.
            trail_hash: dict[int, str] = {}
            anchored: dict[int, str] = {}
            for e in uow.audit.all():
                if (
                    e.action == AuditAction.SIGN
                    and e.entity_type == "encounter"
                    and e.entity_id.isdigit()
                ):
                    trail_hash[int(e.entity_id)] = e.detail
                elif e.action in KEY_ACTIONS:
                    for number, public in KEY_IN_DETAIL.findall(e.detail):
                        anchored[int(number)] = public
            signed_in_trail = set(trail_hash)
        checked = addenda = unsigned = 0
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
            recorded = trail_hash.get(encounter_id)
            if recorded is not None and len(recorded) == 64 and recorded != enc.content_hash:
                problems.append(
                    "The signed encounter's hash differs from the one the audit trail recorded "
                    "when it was signed."
                )
            bad_signatures, count = signature_problems(enc, keys, anchored)
            problems.extend(bad_signatures)
            unsigned += count
            if problems:
                return RecordsReport(
                    checked=checked,
                    addenda=addenda,
                    first_broken_id=encounter_id,
                    problem=problems[0].rstrip("."),
                    unsigned=unsigned,
                )
        return RecordsReport(checked=checked, addenda=addenda, unsigned=unsigned)

    def recent(self, actor: Principal, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first (admin only)."""
        require(actor, Permission.AUDIT_READ)
        with self._uow() as uow:
            return list(uow.audit.recent(limit))
