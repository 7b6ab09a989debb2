"""Clearly synthetic demo patients and encounters, stored in bulk (`clinic-app demo`).

Every demo patient carries an MRN starting ``DEMO-`` and a phone number in the 555-01xx range
that is reserved for fiction; every demo note says it is synthetic. Names come from Faker,
seeded, so the same seed gives the same people. Patients and encounters go in through the bulk
repository methods, a few thousand per transaction, with one audit entry per batch.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from clinic_app.domain.account import Account, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import (
    CONTENT_SCHEMA_VERSION,
    Encounter,
    EncounterContent,
    EncounterStatus,
    addendum_payload,
    hash_payload,
    signed_payload,
)
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.domain.patient import Language, PatientData, Sex, TriState
from clinic_app.services.accounts import AccountService
from clinic_app.services.common import audit
from clinic_app.services.keys import SessionSigner, payload_bytes
from clinic_app.services.ports import (
    AddendumImport,
    Clock,
    EncounterImport,
    SignatureImport,
    UnitOfWork,
    UnitOfWorkFactory,
)

if TYPE_CHECKING:
    from clinic_app.services.container import Services

DEMO_MRN_PREFIX = "DEMO-"
DEMO_CLINICIAN = "demo.clinician"
DEMO_ADMIN = "demo.admin"
MAX_DEMO_PATIENTS = 1_000_000
# Patients per transaction: big enough that commits (each an fsync) are rare, small enough
# that one batch's rows and parameters stay a few megabytes.
BATCH_SIZE = 5_000
# Share of patients who get encounters, and how many each.
ENCOUNTER_SHARE = 0.12
ENCOUNTERS_PER_PATIENT = (1, 2, 3, 4, 6)
ENCOUNTER_WEIGHTS = (40, 25, 15, 12, 8)
SIGNED_SHARE = 0.75
ADDENDUM_SHARE = 0.2
MARKER = "Synthetic demo record: not a real patient."

_SEXES = (Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN)
_SEX_WEIGHTS = (50, 46, 1, 3)
_DIABETES = (TriState.YES, TriState.NO, TriState.UNKNOWN)
_DIABETES_WEIGHTS = (18, 62, 20)
_SPANISH_SHARE = 0.25
# Area codes only shape the number; 555-0100 to 555-0199 are reserved for fiction.
_AREA_CODES = ("202", "305", "312", "415", "512", "602", "617", "713", "787", "915")

_REASONS = (
    "Burning pain in the sole",
    "Heel pain, worse with the first steps in the morning",
    "Numbness in the toes",
    "Tingling behind the inner ankle",
    "Follow-up of tarsal tunnel symptoms",
    "Diabetic foot check",
    "Back and leg pain with foot numbness",
    "Medial heel pain after running",
    "Review after nerve conduction studies",
)
_SYMPTOMS = (
    "burning and tingling along the sole",
    "sharp pain at the medial heel",
    "numbness of the big toe and the first two toes",
    "pain behind the medial malleolus radiating to the arch",
    "aching of the heel that spreads up the calf",
    "pins and needles in both feet, worse at night",
)
_FINDINGS = (
    "Tinel at the tarsal tunnel positive with distal radiation.",
    "Tinel at the tarsal tunnel negative; tender over the first branch of the lateral "
    "plantar nerve.",
    "Dorsiflexion-eversion test reproduces the symptoms.",
    "10 g monofilament felt at {felt} of 10 sites.",
    "Straight leg raise positive at {angle} degrees with pain below the knee.",
    "Straight leg raise negative to 80 degrees; slump test negative.",
    "Achilles reflex {reflex}; patellar reflexes 2+ and equal.",
    "Great toe extension MRC {mrc}/5.",
)
_PLANS = (
    "Night splint and calf stretching; review in 6 weeks.",
    "Nerve conduction studies of both legs.",
    "Lumbar spine MRI before any foot surgery is considered.",
    "Custom orthoses with medial arch support.",
    "Diabetes review with primary care; daily foot checks at home.",
    "Home care handout given in the patient's language.",
    "Ultrasound-guided injection discussed; patient will consider it.",
)
_ADDENDA = (
    "Nerve conduction study reviewed: prolonged medial plantar latency on the affected side.",
    "Patient called: symptoms improving with the night splint.",
    "Correction: the symptoms are on the other side; the exam findings stand.",
    "Lumbar MRI report received: no root compression.",
)


class NotDemoDatabase(ClinicError):
    """The database holds the practice's records; demo data is refused there."""


@dataclass(frozen=True)
class DemoResult:
    """What a demo fill added, and how to log in to see it.

    Attributes:
        patients: patients added.
        encounters: encounters added (drafts and signed).
        signed: how many of them are signed.
        addenda: signed addenda added.
        where: the database, for messages.
        seconds: wall time of the whole fill.
        username: the demo login that charted the encounters.
        password: its new password; None when an existing demo account was reused.
    """

    patients: int
    encounters: int
    signed: int
    addenda: int
    where: str
    seconds: float
    username: str
    password: str | None  # None when an existing demo account was reused

    def summary(self) -> str:
        """One line for the command line, with the demo login."""
        line = (
            f"Added {self.patients} synthetic patients and {self.encounters} encounters "
            f"to {self.where} in {self.seconds:.1f} s"
        )
        if self.password is not None:
            return f"{line}; log in as {self.username} with password {self.password}"
        return f"{line}; log in as {self.username} (existing account, password unchanged)"


class _NamePools:
    """Seeded Faker names, drawn once and then sampled (a Faker call per patient is slow)."""

    POOL = 1500

    def __init__(self, seed: int) -> None:
        # Faker costs a tenth of a second to import: only `clinic-app demo` pays for it.
        from faker import Faker

        self.family: dict[Language, list[str]] = {}
        self.given: dict[tuple[Language, Sex], list[str]] = {}
        for language, locale in ((Language.ENGLISH, "en_US"), (Language.SPANISH, "es_MX")):
            fake = Faker(locale)
            fake.seed_instance(seed)
            self.family[language] = [str(fake.last_name()) for _ in range(self.POOL)]
            female = [str(fake.first_name_female()) for _ in range(self.POOL)]
            male = [str(fake.first_name_male()) for _ in range(self.POOL)]
            self.given[(language, Sex.FEMALE)] = female
            self.given[(language, Sex.MALE)] = male
            self.given[(language, Sex.OTHER)] = female + male
            self.given[(language, Sex.UNKNOWN)] = female + male


class DemoService:
    """Fill a database with synthetic patients, encounters and a demo login."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, accounts: AccountService
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._accounts = accounts

    @property
    def where(self) -> str:
        """Where the demo data goes, for the summary line."""
        location = getattr(self._uow, "location", None)
        return location if isinstance(location, str) else "the database"

    def fill(self, patients: int, seed: int) -> DemoResult:
        """Add synthetic patients (some with encounters); same seed, same people.

        Args:
            patients: how many patients to add (1 to 1,000,000).
            seed: seeds names, dates and every other random choice.

        Raises:
            FieldErrors: patients is out of range.
        """
        if not 1 <= patients <= MAX_DEMO_PATIENTS:
            raise FieldErrors({"patients": f"Add between 1 and {MAX_DEMO_PATIENTS} demo patients."})
        self._refuse_practice_database()
        started = time.perf_counter()
        account, password = self._demo_account()
        actor = account.principal()
        signer = self._accounts.signer_for_import(account, password)
        rng = random.Random(seed)
        names = _NamePools(seed)
        today = self._clock.today()
        now = self._clock.now()
        with self._uow() as uow:
            next_number = uow.patients.count() + 1
        totals = [0, 0, 0]  # encounters, signed, addenda
        done = 0
        while done < patients:
            size = min(BATCH_SIZE, patients - done)
            # Generated and validated before the transaction, so the write lock is held briefly.
            data = [_patient(rng, names, today) for _ in range(size)]
            with self._uow() as uow:
                mrns, next_number = self._free_mrns(uow, size, next_number)
                batch = list(zip(data, mrns, strict=True))
                ids = uow.patients.add_many(batch)
                counts = self._add_encounters(uow, rng, batch, ids, account, today, now, signer)
                audit(
                    uow,
                    self._clock,
                    actor,
                    AuditAction.CREATE,
                    "demo",
                    f"{mrns[0]}..{mrns[-1]}",
                    f"{size} synthetic patients, {counts[0]} encounters "
                    f"({counts[1]} signed, {counts[2]} addenda)",
                )
                uow.commit()
            done += size
            totals = [total + n for total, n in zip(totals, counts, strict=True)]
        return DemoResult(
            patients=patients,
            encounters=totals[0],
            signed=totals[1],
            addenda=totals[2],
            where=self.where,
            seconds=time.perf_counter() - started,
            username=account.username,
            password=password,
        )

    def _refuse_practice_database(self) -> None:
        """Demo data goes only into an empty database or one that holds demo data alone.

        A practice's database (any patient whose MRN is not a DEMO- one, or accounts without
        a demo login) is refused before anything is written: demo patients must never mix
        with real ones, and a demo login with a printed password must never open real notes.
        """
        with self._uow() as uow:
            if uow.patients.any_mrn_outside(DEMO_MRN_PREFIX):
                raise NotDemoDatabase(
                    f"{self.where} holds the practice's own patients; demo data goes only into "
                    "an empty data folder (use --data-dir NEW_FOLDER). Nothing was added."
                )
            if uow.accounts.count() and not self._find_demo_account(uow):
                raise NotDemoDatabase(
                    f"{self.where} has the practice's accounts and no demo login; demo data "
                    "goes only into an empty data folder (use --data-dir NEW_FOLDER). "
                    "Nothing was added."
                )

    @staticmethod
    def _find_demo_account(uow: UnitOfWork) -> Account | None:
        for username in (DEMO_CLINICIAN, DEMO_ADMIN):
            found = uow.accounts.by_username(username)
            if found is not None and Role.CLINICIAN in found[0].roles:
                return found[0]
        return None

    def _demo_account(self) -> tuple[Account, str | None]:
        """The account that charts the demo encounters: reused, or created with a new password.

        Only ever created on a database without accounts, where it becomes the first admin
        (admin and clinician), so a fresh demo database can be opened at once.
        """
        with self._uow() as uow:
            existing = self._find_demo_account(uow)
            if existing is not None:
                return existing, None
            if uow.accounts.count():
                raise NotDemoDatabase(
                    "This database has the practice's accounts; nothing was added."
                )
            # token_urlsafe(12) is 16 random characters: long enough, never a common one.
            password = secrets.token_urlsafe(12)
            new = self._accounts.validate(
                {
                    "username": DEMO_ADMIN,
                    "display_name": "Demo Admin",
                    "password": password,
                    "roles": {Role.ADMIN, Role.CLINICIAN},
                }
            )
            account = self._accounts.store_account(
                uow, new, None, AuditAction.CREATE, "demo first admin"
            )
            uow.commit()
            return account, password

    @staticmethod
    def _free_mrns(uow: UnitOfWork, count: int, start: int) -> tuple[list[str], int]:
        """Count unused DEMO- MRNs numbered from start; and the number to continue from."""
        mrns: list[str] = []
        number = start
        while len(mrns) < count:
            wanted = count - len(mrns)
            candidates = [f"{DEMO_MRN_PREFIX}{n:07d}" for n in range(number, number + wanted)]
            number += wanted
            taken = uow.patients.taken_mrns(candidates)
            mrns.extend(mrn for mrn in candidates if mrn not in taken)
        return mrns, number

    def _add_encounters(
        self,
        uow: UnitOfWork,
        rng: random.Random,
        batch: Sequence[tuple[PatientData, str]],
        patient_ids: Sequence[int],
        clinician: Account,
        today: date,
        now: datetime,
        signer: SessionSigner | None = None,
    ) -> tuple[int, int, int]:
        """Drafts for some patients; most signed (hashed as sign() would), some with addenda.

        Returns:
            How many encounters, signatures and addenda were stored.
        """
        drafts: list[EncounterImport] = []
        for (data, _mrn), patient_id in zip(batch, patient_ids, strict=True):
            if rng.random() >= ENCOUNTER_SHARE:
                continue
            first_day = max(data.date_of_birth, today - timedelta(days=3 * 365))
            span = (today - first_day).days
            count = rng.choices(ENCOUNTERS_PER_PATIENT, ENCOUNTER_WEIGHTS)[0]
            for offset in sorted(rng.randint(0, span) for _ in range(count)):
                day = first_day + timedelta(days=offset)
                drafts.append(
                    EncounterImport(
                        patient_id=patient_id,
                        encounter_date=day,
                        clinician_id=clinician.id,
                        clinician_name=clinician.display_name,
                        reason=rng.choice(_REASONS),
                        content=_content(rng),
                        created_at=_at(day, rng.randint(0, 9 * 60), now),
                    )
                )
        if not drafts:
            return 0, 0, 0
        ids = uow.encounters.add_many(drafts)
        signatures: list[SignatureImport] = []
        addenda: list[AddendumImport] = []
        for draft, encounter_id in zip(drafts, ids, strict=True):
            if rng.random() >= SIGNED_SHARE:
                continue
            signed_at = min(draft.created_at + timedelta(minutes=rng.randint(15, 240)), now)
            # Exactly what EncounterService.sign hashes and signs, so the demo reads back intact.
            payload = signed_payload(
                _as_encounter(draft, encounter_id),
                clinician.id,
                clinician.display_name,
                signed_at,
            )
            digest = hash_payload(payload)
            signatures.append(
                SignatureImport(
                    encounter_id,
                    clinician.id,
                    clinician.display_name,
                    signed_at,
                    digest,
                    _sign(signer, payload),
                    signer.key_id if signer else None,
                )
            )
            if rng.random() < ADDENDUM_SHARE:
                text = f"{rng.choice(_ADDENDA)} {MARKER}"
                added_at = min(signed_at + timedelta(days=rng.randint(1, 30)), now)
                added = addendum_payload(
                    encounter_id,
                    digest,
                    text,
                    clinician.id,
                    clinician.display_name,
                    added_at,
                )
                addenda.append(
                    AddendumImport(
                        encounter_id=encounter_id,
                        text=text,
                        author_id=clinician.id,
                        author_name=clinician.display_name,
                        signed_at=added_at,
                        content_hash=hash_payload(added),
                        signature=_sign(signer, added),
                        signing_key_id=signer.key_id if signer else None,
                    )
                )
        return (
            len(ids),
            uow.encounters.sign_many(signatures),
            uow.encounters.add_addenda_many(addenda),
        )


def _sign(signer: SessionSigner | None, payload: dict[str, Any]) -> str | None:
    """The hex signature of a payload (None without a signer)."""
    return signer.sign(payload_bytes(payload)).hex() if signer is not None else None


def _patient(rng: random.Random, names: _NamePools, today: date) -> PatientData:
    """One synthetic patient, validated like any typed registration."""
    language = Language.SPANISH if rng.random() < _SPANISH_SHARE else Language.ENGLISH
    sex = rng.choices(_SEXES, _SEX_WEIGHTS)[0]
    # A foot clinic sees mostly adults; ages spread from 2 to 98, peaking in the sixties.
    age_days = int(rng.triangular(2, 98, 64) * 365.25)
    raw = {
        "family_name": rng.choice(names.family[language]),
        "given_name": rng.choice(names.given[(language, sex)]),
        "date_of_birth": today - timedelta(days=age_days),
        "sex": sex,
        "phone": f"({rng.choice(_AREA_CODES)}) 555-01{rng.randrange(100):02d}",
        "preferred_language": language,
        "diabetes": rng.choices(_DIABETES, _DIABETES_WEIGHTS)[0],
    }
    try:
        return PatientData.model_validate(raw, context={"today": today})
    except ValidationError as exc:  # pragma: no cover - generated values are valid
        raise FieldErrors.from_validation_error(exc) from None


def _at(day: date, minutes_after_eight: int, now: datetime) -> datetime:
    """A clinic-hours moment on the day (UTC), never later than now."""
    moment = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    return min(moment + timedelta(minutes=minutes_after_eight), now)


def _content(rng: random.Random) -> EncounterContent:
    """A short, plausible neuro-foot note that says it is synthetic."""
    side = rng.choice(("Left", "Right", "Both"))
    weeks = rng.randint(2, 52)
    findings = " ".join(
        finding.format(
            felt=rng.randint(4, 10),
            angle=rng.choice((35, 40, 45, 50, 60)),
            reflex=rng.choice(("0", "1+", "2+")),
            mrc=rng.randint(3, 5),
        )
        for finding in rng.sample(_FINDINGS, 3)
    )
    notes = (
        f"{side} foot: {rng.choice(_SYMPTOMS)} for {weeks} weeks, worse after standing. "
        f"{findings} {MARKER}"
    )
    plan = " ".join(rng.sample(_PLANS, rng.randint(1, 3)))
    return EncounterContent(schema_version=CONTENT_SCHEMA_VERSION, notes=notes, plan=plan)


def _as_encounter(draft: EncounterImport, encounter_id: int) -> Encounter:
    """The stored draft as the domain sees it, for hashing its signature."""
    return Encounter(
        id=encounter_id,
        patient_id=draft.patient_id,
        encounter_date=draft.encounter_date,
        clinician_id=draft.clinician_id,
        clinician_name=draft.clinician_name,
        reason=draft.reason,
        status=EncounterStatus.DRAFT,
        content=draft.content,
        version=1,
        created_at=draft.created_at,
        updated_at=draft.created_at,
    )


def fill_demo(services: Services, patients: int, seed: int) -> DemoResult:
    """Fill the services' database with synthetic demo data (`clinic-app demo`).

    Args:
        services: the wired services; their demo service does the work.
        patients: how many patients to add.
        seed: the same seed gives the same people.

    Returns:
        What was added, where, how long it took and the demo login.
    """
    return services.demo.fill(patients, seed)
