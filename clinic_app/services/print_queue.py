"""The print queue: the clinician picks handouts, the front desk prints them, every print logged.

The front desk's calls return patient names, handout titles, languages and counts, never a
finding or a note (enforced here, not only hidden on screen). Handouts of a visit with an
unacknowledged urgent red flag are held until the clinician acknowledges it (R0).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import effective_exam
from clinic_app.domain.errors import ClinicError, FieldErrors, NotFound
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.handouts import (
    Handout,
    HandoutContext,
    HandoutLanguage,
    HandoutSide,
    VisitFact,
    personalise,
)
from clinic_app.domain.print_queue import (
    HandoutChoice,
    HandoutRequest,
    PrintAction,
    PrintRecord,
    QueueLine,
)
from clinic_app.services.common import audit, require
from clinic_app.services.encounters import EncounterService
from clinic_app.services.handouts import HandoutError, HandoutLibrary, visit_facts
from clinic_app.services.ports import Clock, UnitOfWorkFactory


class PrintHeld(ClinicError):
    """The visit's handouts wait for the clinician to acknowledge an urgent alert."""


class PrintJob(BaseModel):
    """What the front desk needs to print one request: the handout and whom it is for.

    The handout is already personalised for the visit (the wording the visit calls for, the
    practice's fever threshold, the surgeon's plan and driving words): the front desk prints
    it without ever seeing why a sentence was chosen.
    """

    model_config = ConfigDict(frozen=True)

    request: HandoutRequest
    handout: Handout
    patient_name: str
    next_steps: tuple[str, ...] = ()
    """The ticked next steps, worded in the handout's language."""


class PrintLogLine(BaseModel):
    """One line of "Recent prints" as people read it: whom for, which handout, who, when."""

    model_config = ConfigDict(frozen=True)

    record: PrintRecord
    patient_name: str
    """Empty for a library print made for nobody in particular."""
    mrn: str = ""
    title: str
    gloss: str = ""


class PrintQueueService:
    """Queue, print and log patient handouts."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        library: HandoutLibrary,
        encounters: EncounterService,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._library = library
        self._encounters = encounters

    def request(self, actor: Principal, encounter_id: int, choice: HandoutChoice) -> HandoutRequest:
        """The clinician queues a handout for the visit's patient (audited)."""
        require(actor, Permission.CLINICAL_WRITE)
        try:
            self._library.get(choice.handout_id, choice.language.value)
            catalog = self._library.next_steps()
        except HandoutError as exc:
            raise FieldErrors({"handout": str(exc)}) from None
        unknown = [step for step in choice.next_steps if catalog.get(step) is None]
        if unknown:
            raise FieldErrors({"next_steps": f"Unknown next step: {', '.join(unknown)}."})
        with self._uow() as uow:
            enc = uow.encounters.get(encounter_id)
            if enc is None:
                raise NotFound(f"Encounter #{encounter_id} does not exist.")
            for earlier in uow.print_queue.requests_for_encounter(encounter_id):
                if (earlier.handout_id, earlier.language) == (
                    choice.handout_id,
                    choice.language,
                ) and not earlier.done:
                    raise FieldErrors({"handout": "This handout is already in the queue."})
            made = uow.print_queue.add_request(
                encounter_id,
                enc.patient_id,
                choice,
                actor.user_id,
                actor.display_name,
                self._clock.now(),
            )
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.CREATE,
                "handout_request",
                made.id,
                f"{choice.handout_id} ({choice.language.value}) x{choice.copies} "
                f"for encounter {encounter_id}",
            )
            uow.commit()
            return made

    def for_encounter(self, actor: Principal, encounter_id: int) -> list[HandoutRequest]:
        """The handouts queued during a visit (for the clinician's list)."""
        require(actor, Permission.HANDOUT_PRINT)
        with self._uow() as uow:
            return list(uow.print_queue.requests_for_encounter(encounter_id))

    def queue(self, actor: Principal) -> list[QueueLine]:
        """Open requests as the front desk sees them: no clinical content."""
        require(actor, Permission.HANDOUT_PRINT)
        with self._uow() as uow:
            lines: list[QueueLine] = []
            for request in uow.print_queue.open_requests():
                patient = uow.patients.get(request.patient_id)
                name = patient.display_name if patient is not None else "(unknown patient)"
                title, gloss = self._titles(request.handout_id, request.language)
                lines.append(
                    QueueLine(
                        request_id=request.id,
                        patient_id=request.patient_id,
                        patient_name=name,
                        handout_id=request.handout_id,
                        title=title,
                        language=request.language,
                        copies=request.copies,
                        requested_at=request.requested_at,
                        times_printed=len(uow.print_queue.prints(request.id)),
                        date_of_birth=patient.date_of_birth if patient is not None else None,
                        mrn=patient.mrn if patient is not None else "",
                        gloss=gloss,
                    )
                )
            return lines

    def job(self, actor: Principal, request_id: int) -> PrintJob:
        """What to render for one request; PrintHeld while the visit's alert is open."""
        require(actor, Permission.HANDOUT_PRINT)
        with self._uow() as uow:
            request = uow.print_queue.get_request(request_id)
            if request is None:
                raise NotFound(f"Handout request #{request_id} does not exist.")
            patient = uow.patients.get(request.patient_id)
            encounter = uow.encounters.get(request.encounter_id)
        held = self._encounters.handout_block(actor, request.encounter_id)
        if held:
            raise PrintHeld(held)
        exam = effective_exam(encounter)[0] if encounter is not None else None
        handout = self._as_printed(
            self._library.get(request.handout_id, request.language),
            request.side,
            visit_facts(exam),
        )
        return PrintJob(
            request=request,
            handout=handout,
            patient_name=patient.display_name if patient is not None else "",
            next_steps=self._library.next_steps().wording(request.next_steps, handout.language),
        )

    def record_print(
        self, actor: Principal, request_id: int, action: PrintAction = PrintAction.PRINT
    ) -> PrintRecord:
        """Log a print of a queued handout (id, version, language, who, when); audited."""
        job = self.job(actor, request_id)
        with self._uow() as uow:
            if action is PrintAction.PRINT and uow.print_queue.prints(request_id, 1):
                action = PrintAction.REPRINT
            record = uow.print_queue.add_print(
                request_id,
                job.request.patient_id,
                job.handout.id,
                job.handout.version,
                job.handout.language.value,
                action,
                actor.user_id,
                actor.display_name,
                self._clock.now(),
            )
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.PRINT,
                "handout_request",
                request_id,
                f"{job.handout.id} v{job.handout.version} ({job.handout.language.value}) "
                f"{action.value}",
            )
            uow.commit()
            return record

    def library_handout(
        self,
        actor: Principal,
        handout_id: str,
        language: str,
        *,
        side: HandoutSide | None = None,
        exam: NeuroFootExam | None = None,
    ) -> Handout:
        """A handout as the practice prints it, for the visit whose exam is given (if any).

        Without an exam (a reprint at the desk) the neutral wording prints.
        """
        require(actor, Permission.HANDOUT_PRINT)
        return self._as_printed(self._library.get(handout_id, language), side, visit_facts(exam))

    def context(
        self,
        handout: Handout,
        side: HandoutSide | None = None,
        facts: frozenset[VisitFact] = frozenset(),
    ) -> HandoutContext:
        """What a copy of this handout takes from the visit and the practice's settings."""
        with self._uow() as uow:
            practice = uow.practice.get()
        if practice is None:
            return HandoutContext(facts=facts, side=side)
        return practice.handout_context(handout.language, side, facts)

    def _as_printed(
        self, handout: Handout, side: HandoutSide | None, facts: frozenset[VisitFact]
    ) -> Handout:
        """The handout personalised for the visit and the practice (see ``personalise``)."""
        return personalise(handout, self.context(handout, side, facts))

    def record_library_print(
        self,
        actor: Principal,
        handout_id: str,
        language: str,
        action: PrintAction = PrintAction.PRINT,
        patient_id: int | None = None,
    ) -> PrintRecord:
        """Log a print straight from the library (a reprint at the desk); audited."""
        require(actor, Permission.HANDOUT_PRINT)
        handout = self._library.get(handout_id, language)
        with self._uow() as uow:
            record = uow.print_queue.add_print(
                None,
                patient_id,
                handout.id,
                handout.version,
                handout.language.value,
                action,
                actor.user_id,
                actor.display_name,
                self._clock.now(),
            )
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.PRINT,
                "handout",
                handout.id,
                f"v{handout.version} ({handout.language.value}) {action.value} from the library",
            )
            uow.commit()
            return record

    def mark_done(self, actor: Principal, request_id: int) -> HandoutRequest:
        """Close a request once it is handed over."""
        require(actor, Permission.HANDOUT_PRINT)
        with self._uow() as uow:
            if uow.print_queue.get_request(request_id) is None:
                raise NotFound(f"Handout request #{request_id} does not exist.")
            done = uow.print_queue.mark_done(request_id, actor.display_name, self._clock.now())
            audit(
                uow, self._clock, actor, AuditAction.UPDATE, "handout_request", request_id, "done"
            )
            uow.commit()
            return done

    def log(self, actor: Principal, limit: int = 200) -> list[PrintRecord]:
        """The print log, newest first."""
        require(actor, Permission.HANDOUT_PRINT)
        with self._uow() as uow:
            return list(uow.print_queue.prints(None, limit))

    def log_lines(self, actor: Principal, limit: int = 200) -> list[PrintLogLine]:
        """The print log, newest first, with patient names and handout titles."""
        require(actor, Permission.HANDOUT_PRINT)
        with self._uow() as uow:
            records = list(uow.print_queue.prints(None, limit))
            people = {
                pid: uow.patients.get(pid)
                for pid in {r.patient_id for r in records if r.patient_id is not None}
            }
        out: list[PrintLogLine] = []
        for record in records:
            patient = people.get(record.patient_id) if record.patient_id is not None else None
            title, gloss = self._titles(record.handout_id, record.language)
            out.append(
                PrintLogLine(
                    record=record,
                    patient_name=patient.display_name if patient is not None else "",
                    mrn=patient.mrn if patient is not None else "",
                    title=title,
                    gloss=gloss,
                )
            )
        return out

    def _titles(self, handout_id: str, language: HandoutLanguage) -> tuple[str, str]:
        """The handout's title in its language, and the English one beside another language."""
        try:
            title = self._library.get(handout_id, language.value).title
        except HandoutError:
            return f"{handout_id} (no longer in the library)", ""
        if language is HandoutLanguage.EN:
            return title, ""
        try:
            return title, self._library.get(handout_id, HandoutLanguage.EN.value).title
        except HandoutError:
            return title, ""
