"""Use cases for patients: register, edit, search, open a chart."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from clinic_app.domain.account import Permission, Principal
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import EncounterSummary, VisitSummary
from clinic_app.domain.errors import ClinicError, DuplicateRecord, FieldErrors, NotFound
from clinic_app.domain.patient import Patient, PatientData, search_key
from clinic_app.services.common import audit, require
from clinic_app.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

# Unambiguous characters only: no 0/O or 1/I in a number read out over the phone.
MRN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MRN_LENGTH = 8
SEARCH_LIMIT = 50
SEARCH_MAX_CHARS = 100
SEARCH_MAX_WORDS = 6
START_PAGE_LIMIT = 12
CLINICAL_FACTS = ("diabetes", "allergy_status", "allergies", "medications")
"""Fields of the patient record that are clinical facts: only a clinician sets them."""
CLINICAL_FACT_REFUSED = "Only a clinician may record or change this."


class LikelyDuplicate(ClinicError):
    """A patient with the same name and date of birth already exists."""

    def __init__(self, matches: Sequence[Patient]) -> None:
        self.matches = tuple(matches)
        who = "; ".join(f"{p.display_name} (MRN {p.mrn})" for p in self.matches)
        super().__init__(f"A patient with the same name and date of birth exists: {who}.")


def changed_fields(before: PatientData, after: PatientData) -> str:
    """The audit detail of an edit: which fields changed, by name only (never the values)."""
    names = [n for n in PatientData.model_fields if getattr(before, n) != getattr(after, n)]
    return f"changed: {', '.join(names)}" if names else "saved unchanged"


class Chart(BaseModel):
    """A patient's chart: demographics and the encounter list."""

    model_config = ConfigDict(frozen=True)

    patient: Patient
    encounters: tuple[EncounterSummary, ...]


class StartLists(BaseModel):
    """The start page's patients: seen today (by anyone) and opened lately by this person."""

    model_config = ConfigDict(frozen=True)

    today: tuple[Patient, ...]
    recent: tuple[Patient, ...]


def without_clinical_reason(chart: Chart, actor: Principal) -> Chart:
    """The chart as the actor may see it: no reason for visit without clinical reading."""
    if actor.can(Permission.CLINICAL_READ):
        return chart
    plain = tuple(
        e.for_front_desk() if isinstance(e, VisitSummary) else e for e in chart.encounters
    )
    return chart.model_copy(update={"encounters": plain})


def refuse_clinical_changes(
    actor: Principal, before: PatientData | None, after: PatientData
) -> None:
    """Raise FieldErrors when someone without clinical writing sets a clinical fact.

    The front desk keeps demographics current; diabetes status, allergies and medications
    are the clinician's to record (new patients keep the "unknown" defaults).
    """
    if actor.can(Permission.CLINICAL_WRITE):
        return
    fields = PatientData.model_fields
    changed = {
        name: CLINICAL_FACT_REFUSED
        for name in CLINICAL_FACTS
        if getattr(after, name)
        != (getattr(before, name) if before is not None else fields[name].default)
    }
    if changed:
        raise FieldErrors(changed)


class PatientService:
    """Register, edit, find and open patients."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def validate(self, raw: Mapping[str, Any]) -> PatientData:
        """Check typed values; raises FieldErrors naming each bad field."""
        try:
            return PatientData.model_validate(dict(raw), context={"today": self._clock.today()})
        except ValidationError as exc:
            raise FieldErrors.from_validation_error(exc) from None

    def register(
        self, actor: Principal, raw: Mapping[str, Any], *, allow_duplicate: bool = False
    ) -> Patient:
        """Register a patient; refuses a taken MRN and warns about a likely duplicate."""
        require(actor, Permission.PATIENT_WRITE)
        data = self.validate(raw)
        refuse_clinical_changes(actor, None, data)
        try:
            return self._register(actor, data, allow_duplicate)
        except DuplicateRecord:
            # Only the MRN is unique; the lock below makes this a last line of defence.
            raise FieldErrors(
                {"mrn": "That MRN was just given to another patient; enter another."}
            ) from None

    def _register(self, actor: Principal, data: PatientData, allow_duplicate: bool) -> Patient:
        with self._uow() as uow:
            # Two workstations registering at once must each see the other's patient (the
            # MRN taken, the same name and birth date): the lock every audited write takes
            # is taken before the checks, so registrations run one after the other.
            uow.audit.lock()
            if data.mrn is not None and uow.patients.mrn_exists(data.mrn):
                raise FieldErrors({"mrn": f"MRN {data.mrn} is already used by another patient."})
            if not allow_duplicate:
                matches = uow.patients.find_same_name_dob(
                    data.family_name, data.given_name, data.date_of_birth
                )
                if matches:
                    raise LikelyDuplicate(matches)
            mrn = data.mrn or self._new_mrn(uow)
            patient = uow.patients.add(data, mrn)
            audit(uow, self._clock, actor, AuditAction.CREATE, "patient", patient.id)
            uow.commit()
            return patient

    def update(
        self, actor: Principal, patient_id: int, raw: Mapping[str, Any], expected_version: int
    ) -> Patient:
        """Edit demographics (ConflictError if someone else saved first)."""
        require(actor, Permission.PATIENT_WRITE)
        data = self.validate(raw)
        with self._uow() as uow:
            before = uow.patients.get(patient_id)
            if before is None:
                raise NotFound(f"Patient #{patient_id} does not exist.")
            if not actor.can(Permission.CLINICAL_WRITE):
                # A form without the clinical facts (the front desk's) keeps them as stored.
                kept = {name: getattr(before, name) for name in CLINICAL_FACTS}
                data = self.validate({**kept, **raw})
            refuse_clinical_changes(actor, before, data)
            if data.mrn is not None and uow.patients.mrn_exists(data.mrn, except_id=patient_id):
                raise FieldErrors({"mrn": f"MRN {data.mrn} is already used by another patient."})
            patient = uow.patients.update(patient_id, data, expected_version)
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.UPDATE,
                "patient",
                patient_id,
                changed_fields(before, patient),
            )
            uow.commit()
            return patient

    def search(self, actor: Principal, text: str, limit: int = SEARCH_LIMIT) -> list[Patient]:
        """Patients matching every word typed (name, MRN or date of birth); empty text: none."""
        require(actor, Permission.PATIENT_READ)
        # Nobody types more than a few words to find a patient; a pasted page of text would
        # otherwise become one index probe per word and freeze the window.
        text = " ".join(text[:SEARCH_MAX_CHARS].split()[:SEARCH_MAX_WORDS])
        if not search_key(text):
            return []
        with self._uow() as uow:
            return list(uow.patients.search(text, limit))

    def get(self, actor: Principal, patient_id: int) -> Patient:
        """Demographics only."""
        require(actor, Permission.PATIENT_READ)
        with self._uow() as uow:
            patient = uow.patients.get(patient_id)
            if patient is None:
                raise NotFound(f"Patient #{patient_id} does not exist.")
            return patient

    def open_chart(self, actor: Principal, patient_id: int) -> Chart:
        """Demographics and the visit list (no clinical content), audited as a chart view."""
        require(actor, Permission.PATIENT_READ)
        require(actor, Permission.ENCOUNTER_LIST)
        with self._uow() as uow:
            patient = uow.patients.get(patient_id)
            if patient is None:
                raise NotFound(f"Patient #{patient_id} does not exist.")
            encounters = tuple(uow.encounters.list_for_patient(patient_id))
            audit(uow, self._clock, actor, AuditAction.VIEW_CHART, "patient", patient_id)
            uow.commit()
            return without_clinical_reason(Chart(patient=patient, encounters=encounters), actor)

    def start_lists(self, actor: Principal, limit: int = START_PAGE_LIMIT) -> StartLists:
        """Patients with a visit today, and the charts this person opened lately (newest first).

        Names and birth dates only, like the search; nothing clinical and nothing audited.
        """
        require(actor, Permission.PATIENT_READ)
        with self._uow() as uow:
            today = tuple(uow.patients.seen_on(self._clock.today(), limit))
            ids = uow.audit.recent_entity_ids(
                actor.user_id, AuditAction.VIEW_CHART.value, "patient", limit
            )
            recent = [p for i in ids if i.isdigit() and (p := uow.patients.get(int(i)))]
            return StartLists(today=today, recent=tuple(recent))

    @staticmethod
    def _new_mrn(uow: UnitOfWork) -> str:
        while True:
            mrn = "".join(secrets.choice(MRN_ALPHABET) for _ in range(MRN_LENGTH))
            if not uow.patients.mrn_exists(mrn):
                return mrn
