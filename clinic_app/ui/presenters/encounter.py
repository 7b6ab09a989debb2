"""One encounter's screen logic without Qt: the draft's save states, signing and amending.

The presenter holds the encounter as stored and what the screen says about it. Each step
(an edit, a save, a signature, an addendum, a gate record) updates one frozen
``EncounterScreen``; the view draws that state and wires the widgets' signals to these steps.
Dialogs stay in the view: a step that asks first takes a ``confirm`` callable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from html import escape
from typing import Any

from pydantic import ValidationError

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.encounter import Encounter, EncounterContent, effective_exam, short_hash
from clinic_app.domain.errors import ClinicError, ConflictError, FieldErrors, SigningBlocked
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.services.encounters import EncounterService

ShownAt = Callable[[str], str | None]
"""For an exam error path, the charted path that shows it (None: not on screen)."""
GateCall = Callable[[Principal, int, int], Encounter]
"""One audited gate record: (who, encounter id, expected version) -> the encounter stored."""


REFUSED = "Not signed: "
"""How the message line starts when a signature is refused."""


class Phase(Enum):
    """Where the encounter on screen stands."""

    NONE = "none"
    """Nothing open yet."""
    LOADED = "loaded"
    """A draft as stored."""
    CHANGED = "changed"
    """Changed since the last save; the autosave is due."""
    SAVED = "saved"
    """Everything on screen is stored."""
    REFUSED = "refused"
    """Fields were refused: saved without them, or not saved; they are marked."""
    FAILED = "failed"
    """Not saved (another workstation, a store fault, a step that needed a save)."""
    SIGNED = "signed"
    """Signed and locked; amended only with addenda."""
    AMENDING = "amending"
    """Signed, with the findings unlocked for the next addendum."""


@dataclass(frozen=True)
class EncounterScreen:
    """What the encounter screen shows and allows, as plain values.

    Texts with markup (``header``, ``signature``, ``addenda``) are escaped rich text.
    """

    phase: Phase = Phase.NONE
    status: str = ""
    """The save status line."""
    message: str = ""
    """The error line under it ("" hides it)."""
    errors: Mapping[str, str] = field(default_factory=dict)
    """Field -> message for refused draft fields (``exam.<path>``, notes, plan, reason)."""
    addendum_error: str = ""
    header: str = ""
    signature: str = ""
    signature_tip: str = ""
    addenda: str = ""
    read_only: bool = True
    """Notes, plan, reason, release, decisions and teach-back take no input."""
    form_read_only: bool = True
    """The exam takes no input (read-only, unless a signed exam is being amended)."""
    copy_forward: bool = False
    sign_shown: bool = False
    export_shown: bool = False
    amend_shown: bool = False
    amend_enabled: bool = False
    addenda_shown: bool = False
    addendum_enabled: bool = False
    """The addendum can be written and signed."""
    gate_actions: bool = False
    """The pre-operative gate's override and no-studies acknowledgement can be made."""
    acknowledge: bool = False
    """The urgent alert can be acknowledged."""
    save_pending: bool = False
    """Something on screen is not stored yet (changed, refused or failed)."""


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: ``ok`` unless nothing could be saved."""

    ok: bool
    saved: Encounter | None = None
    """The encounter as now stored, when a save happened."""
    held: tuple[str, ...] = ()
    """Fields refused and kept changed on screen (``exam.<path>`` for findings)."""
    retry: bool = False
    """A store fault (full disk, busy database): try again after the autosave delay."""


@dataclass(frozen=True)
class Signing:
    """What Sign did: the signed encounter, or the findings a refusal names."""

    signed: Encounter | None = None
    focus: tuple[str, ...] = ()


def stamp(enc: Encounter) -> str:
    """When and as which version a draft was stored, for the status line."""
    return f"{enc.updated_at.astimezone():%H:%M:%S} (version {enc.version})"


def addendum_question(amended: int) -> str:
    """The question asked before an addendum is signed."""
    findings = f" with {amended} amended finding(s)" if amended else ""
    return f"Sign this addendum{findings}? A signed addendum can never be changed or removed."


class EncounterPresenter:
    """The draft state machine, signing and amending of the encounter on screen.

    ``listener`` (set by the view) is called with every new screen state.
    """

    def __init__(self, store: EncounterService) -> None:
        self._store = store
        self._principal: Principal | None = None
        self._encounter: Encounter | None = None
        self._amending = False
        self._failure_shown = False
        self._screen = EncounterScreen()
        self.listener: Callable[[EncounterScreen], None] | None = None

    @property
    def screen(self) -> EncounterScreen:
        """The screen state now."""
        return self._screen

    @property
    def encounter(self) -> Encounter | None:
        """The encounter as last stored (or read back)."""
        return self._encounter

    @property
    def principal(self) -> Principal | None:
        """Who is charting."""
        return self._principal

    @property
    def dirty(self) -> bool:
        """Something on screen is not stored yet."""
        return self._screen.save_pending

    @property
    def amending(self) -> bool:
        """The findings of the signed exam are unlocked for the next addendum."""
        return self._amending

    @property
    def draft_open(self) -> bool:
        """A draft is open for someone (saving, signing and gate records apply)."""
        return (
            self._encounter is not None
            and self._principal is not None
            and not self._encounter.is_signed
        )

    def _set(self, **changes: Any) -> None:
        self._screen = replace(self._screen, **changes)
        if self.listener is not None:
            self.listener(self._screen)

    # --- opening and showing --------------------------------------------------------------

    def open(self, principal: Principal, enc: Encounter) -> None:
        """An encounter as read back: nothing changed, not amending, no field errors."""
        self._principal = principal
        self._amending = False
        self._screen = replace(self._screen, save_pending=False, errors={})
        self.show(enc)

    def close(self) -> None:
        """The session ended: the screen stays as it is, but nothing more is saved or signed."""
        self._encounter = None

    def show(self, enc: Encounter) -> None:
        """Show the encounter as stored: its status, locks, signature and addenda."""
        self._encounter = enc
        signed_at = enc.signed_at.astimezone() if enc.is_signed and enc.signed_at else None
        if signed_at is not None:
            signature = (
                f"<b>Signed</b> by {escape(enc.signed_by_name or '')} on "
                f"{signed_at:%Y-%m-%d %H:%M} &nbsp; <b>Content hash</b> "
                f"<tt>{short_hash(enc.content_hash)}</tt> &nbsp; Read-only: amend with an addendum."
            )
            tip, status = (
                f"SHA-256 {enc.content_hash}",
                "Signed: read-only. Amend with an addendum.",
            )
        else:
            signature, tip = "<i>Not signed.</i>", ""
            status = f"Draft, version {enc.version}. Autosaves as you type."
        self._set(
            phase=Phase.SIGNED if enc.is_signed else Phase.LOADED,
            status=status,
            message="",
            header=(
                # One line: the room above the exam goes to the patient banner and the form.
                f'<span style="font-size: large; font-weight: 600">'
                f"Encounter {enc.encounter_date.isoformat()}</span> &nbsp; "
                f"<b>Reason</b> {escape(enc.reason)} &nbsp; "
                f"<b>Clinician</b> {escape(enc.clinician_name)} &nbsp; "
                f"<b>Status</b> {'SIGNED (locked)' if enc.is_signed else 'Draft'}"
            ),
            signature=signature,
            signature_tip=tip,
            addenda="<br>".join(
                f"<b>#{i} {a.signed_at.astimezone():%Y-%m-%d %H:%M} {escape(a.author_name)}</b> "
                f"(hash <tt>{short_hash(a.content_hash)}</tt>): "
                f"{escape(a.text).replace(chr(10), '<br>')}"
                for i, a in enumerate(enc.addenda, 1)
            )
            or "<i>No addenda.</i>",
            **self._locks(enc),
        )

    def _locks(self, enc: Encounter) -> dict[str, bool]:
        """What may be changed or pressed, by the encounter's state and the person's roles."""
        who = self._principal
        can_write = bool(who and who.can(Permission.CLINICAL_WRITE))
        can_sign = bool(who and who.can(Permission.SIGN))
        signed = enc.is_signed
        read_only = signed or not can_write
        return {
            "read_only": read_only,
            "form_read_only": read_only and not self._amending,
            "copy_forward": not read_only,
            "sign_shown": not signed and can_sign,
            "export_shown": signed,
            "amend_shown": signed,
            "amend_enabled": signed and can_write and can_sign and not self._amending,
            "addenda_shown": signed,
            "addendum_enabled": can_write and can_sign,
            "gate_actions": not signed and can_sign,
            "acknowledge": not signed and can_write,
        }

    # --- editing and saving ---------------------------------------------------------------

    def edited(self) -> bool:
        """The draft was changed on screen; True when that is a change to save."""
        if self._encounter is None or self._encounter.is_signed:
            return False
        self._set(phase=Phase.CHANGED, status="Unsaved changes...", save_pending=True)
        return True

    def save(self, raw: Callable[[], Mapping[str, Any]], shown_at: ShownAt | None) -> SaveOutcome:
        """Save the draft if it changed; refused fields keep their saved value, marked.

        Args:
            raw: reads the draft as on screen (called only when there is something to save).
            shown_at: where an exam error is shown on screen.
        """
        enc, who = self._encounter, self._principal
        if not self.dirty or enc is None or who is None:
            return SaveOutcome(ok=True)
        try:
            part = self._store.valid_part(raw(), enc.content, shown_at)
            saved = self._store.save_draft(who, enc.id, part.content, enc.version)
        except FieldErrors as exc:
            self._set(
                phase=Phase.REFUSED, errors=exc.errors, status="Not saved: fix the marked fields."
            )
            return SaveOutcome(ok=False)
        except ConflictError as exc:
            self._failure_shown = True
            self.fail(f"Not saved: {exc}")
            return SaveOutcome(ok=False)
        except ClinicError as exc:
            self._failure_shown = True
            self.fail(f"Not saved, kept on screen: {exc} It will be retried.")
            return SaveOutcome(ok=False, retry=True)
        self._encounter = saved
        held = part.held
        # A failure reported earlier (full disk, busy database) is over.
        message = "" if self._failure_shown else self._screen.message
        self._failure_shown = False
        if held:
            fields = f"{len(held)} marked field{'s' if len(held) != 1 else ''}"
            status = f"Saved {stamp(saved)}, except {fields}: fix them to save them."
        else:
            status = f"Saved {stamp(saved)}."
        self._set(
            phase=Phase.REFUSED if held else Phase.SAVED,
            errors=held,
            save_pending=bool(held),
            message=message,
            status=status,
        )
        return SaveOutcome(ok=True, saved=saved, held=tuple(held))

    def fail(self, text: str) -> None:
        """A step failed and the draft is not saved by it: say why, and NOT SAVED."""
        self._set(phase=Phase.FAILED, message=text, status="NOT SAVED")

    def tell(self, text: str) -> None:
        """Say why a step was refused on the message line; the save status stays."""
        self._set(message=text)

    def clear_refusal(self) -> None:
        """What a refused signature asked for is done: its "Not signed" line goes."""
        if self._screen.message.startswith(REFUSED) and self._screen.phase is not Phase.FAILED:
            self._set(message="")

    def note(self, status: str) -> None:
        """Put a step's result on the status line (a visit note printed, saved or opened)."""
        self._set(status=status)

    def to_assess(
        self,
        raw: Callable[[], Mapping[str, Any]],
        shown_at: ShownAt | None,
        findings: Callable[[], Mapping[str, Any]],
        today: date,
    ) -> tuple[EncounterContent, NeuroFootExam | None]:
        """The content to assess, and the exam to assess instead of its own (if any).

        A draft is assessed as on screen, refused fields counting as last saved (their
        errors are the save's to show); a signed exam reads with its addenda applied, or
        as the findings being amended read.

        Args:
            raw: reads the draft as on screen.
            shown_at: where an exam error is shown on screen.
            findings: reads the exam's findings as on screen (while amending).
            today: the day dates are checked against.
        """
        enc = self._encounter
        assert enc is not None
        if not enc.is_signed:
            try:
                return self._store.valid_part(raw(), enc.content, shown_at).content, None
            except FieldErrors:
                return enc.content, None
        exam = effective_exam(enc)[0]
        if self._amending:
            with contextlib.suppress(ValidationError):
                exam = NeuroFootExam.model_validate(findings(), context={"today": today})
        return enc.content, exam

    # --- gate records -----------------------------------------------------------------------

    def _recorded(self, done: str, saved: Encounter) -> Encounter:
        self._encounter = saved
        phase = self._screen.phase if self.dirty else Phase.SAVED
        self._set(phase=phase, message="", status=f"{done}; saved {stamp(saved)}.")
        return saved

    def acknowledge_red_flags(self) -> Encounter | None:
        """After the save: record that the urgent alert was seen (audited)."""
        enc, who = self._encounter, self._principal
        if enc is None or who is None:
            return None
        try:
            saved = self._store.acknowledge_red_flags(who, enc.id, enc.version)
        except ClinicError as exc:
            self.fail(f"Not acknowledged: {exc}")
            return None
        return self._recorded("Urgent alert acknowledged", saved)

    def record(self, call: GateCall, done: str) -> Encounter | None:
        """After the save: make one audited gate record; a refusal leaves the save status."""
        enc, who = self._encounter, self._principal
        if enc is None or who is None:
            return None
        try:
            saved = call(who, enc.id, enc.version)
        except FieldErrors as exc:
            self.tell(f"{done}: not recorded. " + " ".join(exc.errors.values()))
            return None
        except ClinicError as exc:
            self.tell(f"{done}: not recorded. {exc}")
            return None
        return self._recorded(done, saved)

    # --- signing and addenda ----------------------------------------------------------------

    def sign(self, confirm: Callable[[], bool]) -> Signing:
        """After the save: check the stored draft, ask (``confirm``), then sign and lock it.

        A refusal is said on the message line, before anything is asked.
        """
        enc, who = self._encounter, self._principal
        if enc is None or who is None or enc.is_signed:
            return Signing()
        if self.dirty:
            self.fail("Not signed: fix the marked fields first (they are not saved).")
            return Signing()
        try:
            self._store.check_signable(who, enc.id)
        except ClinicError as exc:
            return self._refuse_signing(exc)
        if not confirm():
            return Signing()
        try:
            signed = self._store.sign(who, enc.id, enc.version)
        except ClinicError as exc:
            return self._refuse_signing(exc)
        self.show(signed)
        return Signing(signed=signed)

    def _refuse_signing(self, exc: ClinicError) -> Signing:
        # The draft itself is saved: only the signature is refused, so the save status stays.
        self.tell(f"{REFUSED}{exc}")
        return Signing(focus=tuple(exc.paths) if isinstance(exc, SigningBlocked) else ())

    def start_amending(self) -> bool:
        """Unlock a signed exam's findings for the next addendum; False when not allowed."""
        enc = self._encounter
        if enc is None or not enc.is_signed or not self._screen.addendum_enabled:
            return False
        self._amending = True
        self._set(phase=Phase.AMENDING, **self._locks(enc))
        return True

    def add_addendum(
        self, text: str, findings: Mapping[str, Any], confirm: Callable[[str], bool]
    ) -> Encounter | None:
        """Ask (``confirm`` with the question), then sign the addendum with amended findings."""
        enc, who = self._encounter, self._principal
        if enc is None or who is None:
            return None
        self._set(addendum_error="")
        if text.strip() and not confirm(addendum_question(len(findings))):
            return None
        try:
            updated = self._store.add_addendum(who, enc.id, text, findings)
        except FieldErrors as exc:
            self._set(addendum_error=exc.errors.get("addendum", ""), errors=exc.errors)
            return None
        except ClinicError as exc:
            self.fail(str(exc))
            return None
        self._amending = False
        self.show(updated)
        return updated
