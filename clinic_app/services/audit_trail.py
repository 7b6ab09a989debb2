"""Reading and checking the audit trail, and re-checking every signed record."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from pydantic import BaseModel, ConfigDict

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    ChainReport,
    verify_chain,
)
from clinic_app.domain.encounter import integrity_problems
from clinic_app.services.anchor import ChainAnchor, CheckpointInvalid
from clinic_app.services.common import SystemClock, audit, require
from clinic_app.services.keys import PracticeKey, signature_problems
from clinic_app.services.ports import Clock, UnitOfWorkFactory

KEY_ACTIONS = frozenset({AuditAction.SIGNING_KEY, AuditAction.CREATE, AuditAction.ACCOUNT_CHANGE})
KEY_IN_DETAIL = re.compile(r"signing key #(\d+) ([0-9a-f]{64})")
"""How an audit entry records a new signing key (AccountService writes it)."""

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total) while a check runs: "chain" counts entries, "records" signed
encounters. It may raise Cancelled to stop the check (nothing is written either way)."""
PAGE = 5000
"""Entries read per short transaction while the trail is walked (and between progress calls)."""


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

    def verify(self, progress: Progress | None = None) -> ChainReport:
        """Walk the whole chain (used by `clinic-app audit verify`, run by whoever holds the DB).

        Entries from where the chain was keyed on must match their HMAC under the practice
        key; the chain must pass through the checkpoint kept outside the database.

        The entries are read a page at a time, each page in its own short transaction, so
        memory stays flat at any length and the app's other users are not held up while a
        long trail is checked; the last page and the head are read in one transaction, and
        the head is compared there exactly as verify_chain compares it. progress, if given,
        hears ("chain", entries checked, entries at the start) after each page.
        """
        with self._uow() as uow:
            keyed_from, key_check = uow.audit.keying()
            start_head = uow.audit.head()
        key = self._key if self._key is not None and self._key.present else None
        if key is not None and key_check is not None and key_check != key.check_value():
            return ChainReport(
                entries=0,
                first_broken_seq=keyed_from,
                problem="the practice key in this data folder is not the one it was written with",
            )
        try:
            checkpoint = self._anchor.read() if self._anchor is not None else None
        except CheckpointInvalid as exc:
            return ChainReport(entries=0, first_broken_seq=0, problem=str(exc))
        end: list[tuple[int, str] | None] = []
        last: list[AuditEntry] = []
        total = start_head[0] if start_head is not None else 0
        report = verify_chain(
            self._walk(end, last, progress, total),
            None,  # compared below, with the head read together with the last page
            mac=key.mac if key is not None else None,
            keyed_from=keyed_from,
            checkpoint=checkpoint,
        )
        head = end[0] if end else None
        if not report.intact or head is None:
            return report
        # verify_chain's own last step, on the head of the last page's snapshot.
        seq, prev = (last[0].seq, last[0].entry_hash) if last else (0, GENESIS_HASH)
        if head[0] != seq or head[1] != prev:
            return ChainReport(
                entries=report.entries,
                first_broken_seq=seq + 1,
                problem=f"the chain ends at entry {seq} but entry {head[0]} was written",
            )
        return report

    def _walk(
        self,
        end: list[tuple[int, str] | None],
        last: list[AuditEntry],
        progress: Progress | None,
        total: int,
    ) -> Iterator[AuditEntry]:
        """Every entry in order, a page per short transaction.

        The page that reaches the end is read with the head, which goes into end; the last
        entry handed out is kept in last (both for the caller, once the walk is over).
        """
        after = done = 0
        if progress is not None:
            progress("chain", 0, total)
        while True:
            with self._uow() as uow:
                page = uow.audit.page(after, PAGE)
                if len(page) < PAGE:
                    end.append(uow.audit.head())
            for entry in page:
                last[:] = [entry]
                yield entry
            done += len(page)
            if progress is not None:
                progress("chain", done, max(total, done))
            if len(page) < PAGE:
                return
            after = page[-1].seq

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

    def _entries_of(self, actions: frozenset[AuditAction]) -> Iterator[AuditEntry]:
        """The entries of some actions, in order, a page per short transaction."""
        after = 0
        while True:
            with self._uow() as uow:
                page = uow.audit.page(after, PAGE, actions=actions)
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1].seq

    def verify_records(self, progress: Progress | None = None) -> RecordsReport:
        """Re-check every signed encounter and addendum; report the first that fails.

        The encounters are those stored as signed or carrying a signature hash, and every
        encounter the audit trail says was signed (so one turned back into a draft in the
        database is found too). Only the trail's signing and key entries are read, streamed;
        progress, if given, hears ("records", checked, total).
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
        for e in self._entries_of(KEY_ACTIONS | {AuditAction.SIGN}):
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
        todo = sorted(ids | signed_in_trail)
        for done, encounter_id in enumerate(todo):
            if progress is not None and done % 100 == 0:
                progress("records", done, len(todo))
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
        if progress is not None:
            progress("records", len(todo), len(todo))
        return RecordsReport(checked=checked, addenda=addenda, unsigned=unsigned)

    def recent(self, actor: Principal, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first (admin only)."""
        require(actor, Permission.AUDIT_READ)
        with self._uow() as uow:
            return list(uow.audit.recent(limit))
