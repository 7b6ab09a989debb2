"""The typed neuro-foot exam: history, both feet, the lumbar screen and the red flags.

Fields follow clinical-reference.md sections 1-3 (source tags beside each block). Every finding
has an explicit *not tested* state and starts in it: a blank is never read as normal. Numbers
that were not measured are ``None`` and shown as "not tested".

Stored exams carry ``schema_version``; older versions are migrated step by step in
``_MIGRATIONS`` before validation, so an exam charted years ago still opens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from clinic_app.domain.regions import REGIONS, RegionCode, RegionGroup

EXAM_SCHEMA_VERSION = 3
MAX_NOTE = 2_000


class Side(StrEnum):
    """Which limb."""

    RIGHT = "right"
    LEFT = "left"


# --- choice scales ---------------------------------------------------------------------------
# Every scale's first member is NOT_TESTED ("not_tested"), the default of every finding.


class TestResult(StrEnum):
    """A provocation test result [ORTHOFIXAR][KIN][TCST]."""

    __test__ = False  # not a pytest test class, whatever its name says

    NOT_TESTED = "not_tested"
    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"


class YesNo(StrEnum):
    """A yes/no finding or history answer that may not have been asked."""

    NOT_TESTED = "not_tested"
    YES = "yes"
    NO = "no"


class Alignment(StrEnum):
    """Hindfoot alignment [MED]."""

    NOT_TESTED = "not_tested"
    NEUTRAL = "neutral"
    VALGUS = "valgus"
    VARUS = "varus"


class Arch(StrEnum):
    """Arch type [MED]."""

    NOT_TESTED = "not_tested"
    PLANUS = "planus"
    NORMAL = "normal"
    CAVUS = "cavus"


class SensoryGrade(StrEnum):
    """Light touch or pin-prick in one region (section 1.6)."""

    NOT_TESTED = "not_tested"
    NORMAL = "normal"
    REDUCED = "reduced"
    ABSENT = "absent"
    HYPERAESTHETIC = "hyperaesthetic"


class Monofilament(StrEnum):
    """Semmes-Weinstein 5.07 / 10 g: felt means 2 of 3 correct [SWM-PROC][HRSA]."""

    NOT_TESTED = "not_tested"
    FELT = "felt"
    NOT_FELT = "not_felt"


class Vibration(StrEnum):
    """128 Hz tuning fork at the hallux [DSPN-FIG]."""

    NOT_TESTED = "not_tested"
    NORMAL = "normal"
    REDUCED = "reduced"
    ABSENT = "absent"


class Symptom(StrEnum):
    """What the patient feels in a region (section 2.3 symptom flags)."""

    NUMB = "numb"
    TINGLING = "tingling"
    BURNING = "burning"
    PAIN = "pain"


class ProvokedSymptom(StrEnum):
    """What the dorsiflexion-eversion test reproduced [KIN]."""

    PAIN = "pain"
    NUMBNESS = "numbness"
    PARESTHESIA = "paresthesia"


class MrcGrade(StrEnum):
    """MRC muscle power, 0-5 [MRC][WJO-MRC]."""

    NOT_TESTED = "not_tested"
    G0 = "0"
    G1 = "1"
    G2 = "2"
    G3 = "3"
    G4 = "4"
    G5 = "5"

    @property
    def weak(self) -> bool | None:
        """True below 5/5, None when not tested."""
        if self is MrcGrade.NOT_TESTED:
            return None
        return self is not MrcGrade.G5


class ReflexGrade(StrEnum):
    """NINDS myotatic reflex scale [NINDS-CDE]."""

    NOT_TESTED = "not_tested"
    ABSENT = "0"
    TRACE = "1+"
    NORMAL = "2+"
    BRISK = "3+"
    CLONUS = "4+"


class Functional(StrEnum):
    """Heel walk / toe walk [ACEP][HARR]."""

    NOT_TESTED = "not_tested"
    ABLE = "able"
    UNABLE = "unable"


class Onset(StrEnum):
    """How the symptoms began."""

    NOT_TESTED = "not_tested"
    SUDDEN = "sudden"
    GRADUAL = "gradual"


class WorseOf(StrEnum):
    """Which is worse, leg or back [MSD]."""

    NOT_TESTED = "not_tested"
    LEG = "leg"
    BACK = "back"
    EQUAL = "equal"


class PainReach(StrEnum):
    """How far the pain path goes: buttock -> thigh -> calf -> foot [MSD]."""

    NOT_TESTED = "not_tested"
    NONE = "none"
    BUTTOCK = "buttock"
    THIGH = "thigh"
    CALF = "calf"
    FOOT = "foot"


class SlrSymptom(StrEnum):
    """How far the straight leg raise sent the symptoms [WIKI-SLR][PESONEN]."""

    NOT_TESTED = "not_tested"
    NONE = "none"
    BACK_ONLY = "back_only"
    BUTTOCK_THIGH = "buttock_thigh"
    BELOW_KNEE = "below_knee"
    TO_FOOT = "to_foot"


class SlumpStage(StrEnum):
    """The slump stage at which the symptoms appeared [APTEI]."""

    NOT_TESTED = "not_tested"
    NONE = "none"
    SLUMP = "slump"
    NECK_FLEXION = "neck_flexion"
    KNEE_EXTENSION = "knee_extension"
    DORSIFLEXION = "dorsiflexion"


class PlantarResponse(StrEnum):
    """The plantar (Babinski) response [BABINSKI-SPR].

    Extensor (upgoing) signals an upper motor neuron lesion; indifferent (no response) can be
    normal or a peripheral sign.
    """

    NOT_TESTED = "not_tested"
    FLEXOR = "flexor"
    EXTENSOR = "extensor"
    INDIFFERENT = "indifferent"


class Clonus(StrEnum):
    """Ankle clonus: sustained clonus is always abnormal [NINDS-CDE][JABFM-CSM]."""

    NOT_TESTED = "not_tested"
    NONE = "none"
    UNSUSTAINED = "unsustained"
    SUSTAINED = "sustained"


class WeaknessCourse(StrEnum):
    """Whether a motor weakness is getting better, staying the same or getting worse."""

    NOT_TESTED = "not_tested"
    IMPROVING = "improving"
    STABLE = "stable"
    WORSE = "worse"


class Pulse(StrEnum):
    """A foot pulse on palpation [IWGDF-PAD-SUM][RHEUM-LSS]."""

    NOT_TESTED = "not_tested"
    PALPABLE = "palpable"
    REDUCED = "reduced"
    ABSENT = "absent"


class TunnelImaging(StrEnum):
    """Ultrasound or MRI of the tarsal tunnel (10.9) [POM][ANTON]; not tested = not done."""

    NOT_TESTED = "not_tested"
    NORMAL = "normal"
    SPACE_OCCUPYING_LESION = "space_occupying_lesion"
    OTHER_FINDING = "other_finding"


class NeedleEmg(StrEnum):
    """Needle EMG of the leg and paraspinals (10.8) [MED-WORKUP]; not tested = not done."""

    NOT_TESTED = "not_tested"
    NORMAL = "normal"
    S1_ROOT_PATTERN = "s1_root_pattern"
    OTHER = "other"


# --- building blocks -----------------------------------------------------------------------


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _not_future(value: date | None, info: ValidationInfo, what: str) -> date | None:
    today = info.context.get("today") if isinstance(info.context, dict) else None
    if value is not None and today is not None and value > today:
        raise ValueError(f"The {what} is in the future.")
    return value


Note = Annotated[str, Field(max_length=MAX_NOTE)]
PainScore = Annotated[int | None, Field(default=None, ge=0, le=10)]


class History(_Part):
    """Onset, aggravating factors, pain score and treatments tried (sections 1.1, 1.8).

    Where the symptoms are and what they feel like is charted on the sensory map (symptom
    flags per region), so it is recorded once, by region.
    """

    onset: Onset = Onset.NOT_TESTED
    duration_weeks: int | None = Field(default=None, ge=0, le=5200)
    worse_standing: YesNo = YesNo.NOT_TESTED
    worse_walking: YesNo = YesNo.NOT_TESTED
    worse_running: YesNo = YesNo.NOT_TESTED
    relieved_by_rest: YesNo = YesNo.NOT_TESTED
    night_symptoms: YesNo = YesNo.NOT_TESTED
    first_step_pain: YesNo = YesNo.NOT_TESTED
    pain_score: PainScore = None
    tried_rest: YesNo = YesNo.NOT_TESTED
    tried_ice: YesNo = YesNo.NOT_TESTED
    tried_anti_inflammatories: YesNo = YesNo.NOT_TESTED
    tried_physical_therapy: YesNo = YesNo.NOT_TESTED
    tried_orthotics_footwear: YesNo = YesNo.NOT_TESTED
    tried_injection: YesNo = YesNo.NOT_TESTED
    tried_surgery: YesNo = YesNo.NOT_TESTED


class SideHistory(_Part):
    """A previous tarsal tunnel release on this side (feeds R12)."""

    previous_release: YesNo = YesNo.NOT_TESTED
    release_date: date | None = None

    @field_validator("release_date")
    @classmethod
    def _release_date(cls, value: date | None, info: ValidationInfo) -> date | None:
        # Field-level (not model-level) so the message lands on the date field itself.
        if value is not None and info.data.get("previous_release") is not YesNo.YES:
            raise ValueError("A release date needs 'previous release' answered yes.")
        return _not_future(value, info, "release date")


class Inspection(_Part):
    """Inspection (section 1.2) [MED][SKY][RADSRC]."""

    hindfoot_alignment: Alignment = Alignment.NOT_TESTED
    arch: Arch = Arch.NOT_TESTED
    overpronation: YesNo = YesNo.NOT_TESTED
    medial_swelling_or_mass: YesNo = YesNo.NOT_TESTED
    varicosities: YesNo = YesNo.NOT_TESTED
    wasting_abductor_hallucis: YesNo = YesNo.NOT_TESTED
    wasting_abductor_digiti_minimi: YesNo = YesNo.NOT_TESTED
    footwear_notes: Note = ""


class Tenderness(_Part):
    """Points of maximal tenderness, recorded separately (section 1.2) [CMDT][ONEPOINT-C]."""

    tarsal_tunnel: YesNo = YesNo.NOT_TESTED
    medial_calcaneal_tubercle: YesNo = YesNo.NOT_TESTED
    abductor_hallucis_origin: YesNo = YesNo.NOT_TESTED


class Tinel(_Part):
    """Tinel at one site (section 1.3).

    Distal radiation (into the sole) and proximal radiation up the calf (the Valleix
    phenomenon) are separate fields [SKY][MTM][ORTHOFIXAR].
    """

    result: TestResult = TestResult.NOT_TESTED
    radiates_distal: tuple[RegionCode, ...] = ()
    radiates_proximal_valleix: YesNo = YesNo.NOT_TESTED
    local_pain_only: YesNo = YesNo.NOT_TESTED

    @field_validator("radiates_distal")
    @classmethod
    def _plantar_only(
        cls, value: tuple[RegionCode, ...], info: ValidationInfo
    ) -> tuple[RegionCode, ...]:
        for code in value:
            if REGIONS[code].group is not RegionGroup.PLANTAR:
                raise ValueError(f"Distal radiation is charted on sole regions; {code} is not one.")
        if value and info.data.get("result") not in (TestResult.POSITIVE, TestResult.EQUIVOCAL):
            raise ValueError("Distal radiation is recorded only for a positive or equivocal Tinel.")
        return tuple(sorted(set(value), key=list(RegionCode).index))

    @property
    def is_response(self) -> bool:
        """Charted positive and not "pain on tapping only": a true Tinel response.

        Pain alone on tapping points to neuroma-type tenderness, not a Tinel response; a
        response that radiates only up the calf (Valleix) still counts [ORTHOFIXAR][HSR][MED].
        """
        return self.result is TestResult.POSITIVE and self.local_pain_only is not YesNo.YES


class TinelSites(_Part):
    """Tinel per site (section 1.3)."""

    tarsal_tunnel: Tinel = Tinel()
    medial_calcaneal: Tinel = Tinel()
    baxter: Tinel = Tinel()
    fibular_head: Tinel = Tinel()


class Provocation(_Part):
    """Dorsiflexion-eversion [KIN], triple compression [TCST] and windlass [CMDT] tests."""

    dorsiflexion_eversion: TestResult = TestResult.NOT_TESTED
    dorsiflexion_eversion_reproduced: tuple[ProvokedSymptom, ...] = ()
    triple_compression: TestResult = TestResult.NOT_TESTED
    windlass: TestResult = TestResult.NOT_TESTED

    @field_validator("dorsiflexion_eversion_reproduced")
    @classmethod
    def _reproduced(
        cls, value: tuple[ProvokedSymptom, ...], info: ValidationInfo
    ) -> tuple[ProvokedSymptom, ...]:
        if value and info.data.get("dorsiflexion_eversion") not in (
            TestResult.POSITIVE,
            TestResult.EQUIVOCAL,
        ):
            raise ValueError(
                "Reproduced symptoms are recorded only for a positive or equivocal "
                "dorsiflexion-eversion test."
            )
        return tuple(sorted(set(value), key=list(ProvokedSymptom).index))


TWO_POINT_MIN_MM = 1
TWO_POINT_MAX_MM = 100
TWO_POINT_HELP = (
    f"Two-point distance is a whole number of millimetres from {TWO_POINT_MIN_MM} to "
    f"{TWO_POINT_MAX_MM}."
)


class RegionFindings(_Part):
    """One region on the sensory map (section 2.3): each modality and the symptom flags.

    ``symptoms`` is None when not asked and empty when asked and none are felt. No plantar
    two-point normal is hard-coded: compare with the other foot [JAPMA-2PD].
    """

    light_touch: SensoryGrade = SensoryGrade.NOT_TESTED
    pin_prick: SensoryGrade = SensoryGrade.NOT_TESTED
    monofilament: Monofilament = Monofilament.NOT_TESTED
    two_point_mm: int | None = None
    symptoms: tuple[Symptom, ...] | None = None

    @field_validator("two_point_mm", mode="before")
    @classmethod
    def _two_point(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(TWO_POINT_HELP)
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(TWO_POINT_HELP) from None
        if not TWO_POINT_MIN_MM <= number <= TWO_POINT_MAX_MM:
            raise ValueError(TWO_POINT_HELP)
        return number

    @field_validator("symptoms")
    @classmethod
    def _symptoms(cls, value: tuple[Symptom, ...] | None) -> tuple[Symptom, ...] | None:
        if value is None:
            return None
        return tuple(sorted(set(value), key=list(Symptom).index))

    @property
    def is_blank(self) -> bool:
        """True when nothing at all was charted here."""
        return self == _BLANK_REGION

    @property
    def abnormal_sensation(self) -> bool:
        """Reduced, absent or altered on any modality, or a symptom felt here."""
        return (
            self.light_touch
            in (SensoryGrade.REDUCED, SensoryGrade.ABSENT, SensoryGrade.HYPERAESTHETIC)
            or self.pin_prick
            in (SensoryGrade.REDUCED, SensoryGrade.ABSENT, SensoryGrade.HYPERAESTHETIC)
            or self.monofilament is Monofilament.NOT_FELT
            or bool(self.symptoms)
        )


_BLANK_REGION = RegionFindings()

NORMAL_SENSATION: dict[str, Any] = {
    "light_touch": SensoryGrade.NORMAL,
    "pin_prick": SensoryGrade.NORMAL,
    "monofilament": Monofilament.FELT,
    "symptoms": (),
}
"""What the sensory map's "normal" preset charts in a region. Two-point distance is not part
of it: there is no plantar normal to fill in, only the other foot to compare with."""


class SensoryMap(_Part):
    """The sensory map of one side: region code -> findings (regions left out: not tested)."""

    regions: dict[RegionCode, RegionFindings] = Field(default_factory=dict)

    @field_validator("regions")
    @classmethod
    def _drop_blank(
        cls, value: dict[RegionCode, RegionFindings]
    ) -> dict[RegionCode, RegionFindings]:
        # A region charted back to "not tested" is the same as one never touched; dropping it
        # keeps equality (and the stored JSON) independent of the clicking history.
        ordered = sorted(value.items(), key=lambda item: list(RegionCode).index(item[0]))
        return {code: found for code, found in ordered if not found.is_blank}

    def region(self, code: RegionCode) -> RegionFindings:
        """Findings of one region (all not tested when never charted)."""
        return self.regions.get(code, _BLANK_REGION)

    def charted_normal(self) -> SensoryMap:
        """Every region charted as normal sensation, two-point distances kept."""
        return SensoryMap(
            regions={
                code: self.region(code).model_copy(update=NORMAL_SENSATION) for code in RegionCode
            }
        )


class IntrinsicStrength(_Part):
    """Intrinsic foot muscles, MRC 0-5 (section 1.7) [MED][MITCH][HARR]."""

    toe_flexion: MrcGrade = MrcGrade.NOT_TESTED
    toe_spread: MrcGrade = MrcGrade.NOT_TESTED
    hallux_abduction: MrcGrade = MrcGrade.NOT_TESTED
    little_toe_abduction: MrcGrade = MrcGrade.NOT_TESTED


class NcsResult(StrEnum):
    """A nerve conduction result entered from the report (R14)."""

    NOT_TESTED = "not_tested"
    NORMAL = "normal"
    ABNORMAL = "abnormal"


class NerveConduction(_Part):
    """Nerve conduction results of one leg, when a study was done (R14).

    Sensory responses (sural, superficial peroneal) are "abnormal" when reduced or absent
    [SNAP-OPN][SURAL]; plantar studies when the sensory or mixed study is abnormal [MONDELLI].
    """

    sural: NcsResult = NcsResult.NOT_TESTED
    superficial_peroneal: NcsResult = NcsResult.NOT_TESTED
    medial_plantar: NcsResult = NcsResult.NOT_TESTED
    lateral_plantar: NcsResult = NcsResult.NOT_TESTED
    needle_emg: NeedleEmg = NeedleEmg.NOT_TESTED
    """Needle EMG: an S1 root pattern, or normal (S1 excluded) [MED-WORKUP]."""


class Pulses(_Part):
    """Dorsalis pedis and posterior tibial pulses (10.9) [IWGDF-PAD-SUM][ETG-PAD].

    Palpable pulses do not exclude arterial disease; a reduced or absent pulse asks for
    ankle-brachial or toe pressures before surgery.
    """

    dorsalis_pedis: Pulse = Pulse.NOT_TESTED
    posterior_tibial: Pulse = Pulse.NOT_TESTED

    @property
    def charted(self) -> bool:
        """Both pulses recorded."""
        return Pulse.NOT_TESTED not in (self.dorsalis_pedis, self.posterior_tibial)

    @property
    def diminished(self) -> bool:
        """Either pulse reduced or absent."""
        return bool({self.dorsalis_pedis, self.posterior_tibial} & {Pulse.REDUCED, Pulse.ABSENT})


class FootExam(_Part):
    """Everything charted on one foot."""

    history: SideHistory = SideHistory()
    inspection: Inspection = Inspection()
    tenderness: Tenderness = Tenderness()
    tinel: TinelSites = TinelSites()
    provocation: Provocation = Provocation()
    sensory: SensoryMap = SensoryMap()
    vibration_hallux: Vibration = Vibration.NOT_TESTED
    intrinsics: IntrinsicStrength = IntrinsicStrength()
    pulses: Pulses = Pulses()
    nerve_conduction: NerveConduction = NerveConduction()
    imaging_tunnel: TunnelImaging = TunnelImaging.NOT_TESTED
    """Ultrasound or MRI of the tarsal tunnel: a space-occupying lesion supports release."""


# --- lumbar screen (section 3) ---------------------------------------------------------------

SLR_HELP = "The SLR angle is a whole number of degrees from 0 to 90."
SLR_POSITIVE_MIN_DEG = 30  # [WIKI-SLR][PESONEN]: 30-70 degrees of hip flexion
SLR_POSITIVE_MAX_DEG = 70


class StraightLegRaise(_Part):
    """Straight leg raise (section 3.2, R13).

    ``positive`` is derived, never typed: the symptom reaches below the knee AND the angle is
    30-70 degrees; back pain alone is negative [WIKI-SLR][PESONEN].
    """

    angle_deg: int | None = None
    symptom: SlrSymptom = SlrSymptom.NOT_TESTED
    bragard_sensitised: YesNo = YesNo.NOT_TESTED

    @field_validator("angle_deg", mode="before")
    @classmethod
    def _angle(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(SLR_HELP)
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(SLR_HELP) from None
        if not 0 <= number <= 90:
            raise ValueError(SLR_HELP)
        return number

    @property
    def tested(self) -> bool:
        """True once the symptom response was recorded."""
        return self.symptom is not SlrSymptom.NOT_TESTED

    @property
    def positive(self) -> bool | None:
        """Derived result; None when not tested (or the angle is missing for a leg symptom)."""
        if not self.tested:
            return None
        reaches = self.symptom in (SlrSymptom.BELOW_KNEE, SlrSymptom.TO_FOOT)
        if not reaches:
            return False
        if self.angle_deg is None:
            return None
        return SLR_POSITIVE_MIN_DEG <= self.angle_deg <= SLR_POSITIVE_MAX_DEG


class Slump(_Part):
    """Slump test (section 3.3) [APTEI][PHYSIOWARZISH]."""

    result: TestResult = TestResult.NOT_TESTED
    stage_reproduced: SlumpStage = SlumpStage.NOT_TESTED
    eased_by_neck_release: YesNo = YesNo.NOT_TESTED


class Reflex(_Part):
    """A tendon reflex on the NINDS scale, with reinforcement (section 3.4)."""

    grade: ReflexGrade = ReflexGrade.NOT_TESTED
    reinforcement: YesNo = YesNo.NOT_TESTED


class Myotomes(_Part):
    """MRC 0-5 myotomes and functional tests (section 3.5) [HARR][ETOIMS][ACEP][NEUPSY].

    Ankle dorsiflexion / heel walk is recorded as L4/L5, never one root [ETOIMS][HARR][ACEP].
    """

    knee_extension: MrcGrade = MrcGrade.NOT_TESTED
    ankle_dorsiflexion: MrcGrade = MrcGrade.NOT_TESTED
    heel_walk: Functional = Functional.NOT_TESTED
    ehl: MrcGrade = MrcGrade.NOT_TESTED
    hip_abduction: MrcGrade = MrcGrade.NOT_TESTED
    inversion: MrcGrade = MrcGrade.NOT_TESTED
    eversion: MrcGrade = MrcGrade.NOT_TESTED
    plantarflexion: MrcGrade = MrcGrade.NOT_TESTED
    toe_walk: Functional = Functional.NOT_TESTED


class LumbarSide(_Part):
    """The sided part of the lumbar screen."""

    leg_pain_below_knee: YesNo = YesNo.NOT_TESTED
    slr: StraightLegRaise = StraightLegRaise()
    crossed_slr: TestResult = TestResult.NOT_TESTED
    slump: Slump = Slump()
    patellar: Reflex = Reflex()
    achilles: Reflex = Reflex()
    plantar_response: PlantarResponse = PlantarResponse.NOT_TESTED
    """Extensor (upgoing) is an upper motor neuron sign (R15) [BABINSKI-SPR]."""
    ankle_clonus: Clonus = Clonus.NOT_TESTED
    """Sustained ankle clonus is an upper motor neuron sign (R15) [NINDS-CDE][JABFM-CSM]."""
    myotomes: Myotomes = Myotomes()
    weakness_onset_weeks: int | None = Field(default=None, ge=0, le=5200)
    """How many weeks ago the leg or foot weakness began (R16: new within 6 weeks)."""
    weakness_course: WeaknessCourse = WeaknessCourse.NOT_TESTED
    """Whether the weakness is improving, stable or getting worse (R16)."""


class Claudication(_Part):
    """Neurogenic claudication (10.7) [NASS-LSS][MSD-LSS][SURI-JAMA].

    Leg symptoms brought on by walking or standing and relieved by sitting or bending
    forward; a negative SLR does not exclude lumbar stenosis.
    """

    symptoms_walking_standing: YesNo = YesNo.NOT_TESTED
    """Buttock or leg pain, numbness or fatigue that comes on with walking or standing."""
    walk_minutes_to_symptoms: int | None = Field(default=None, ge=0, le=600)
    """Minutes of walking before the symptoms start."""
    relief_sitting: YesNo = YesNo.NOT_TESTED
    relief_bending_forward: YesNo = YesNo.NOT_TESTED


class LumbarScreen(_Part):
    """Lumbar radiculopathy screen (section 3.1) [MSD][NICE-CES]."""

    back_pain: YesNo = YesNo.NOT_TESTED
    worse_leg_or_back: WorseOf = WorseOf.NOT_TESTED
    valsalva_worse: YesNo = YesNo.NOT_TESTED
    pain_reaches: PainReach = PainReach.NOT_TESTED
    claudication: Claudication = Claudication()
    right: LumbarSide = LumbarSide()
    left: LumbarSide = LumbarSide()

    def side(self, side: Side) -> LumbarSide:
        """The sided screen."""
        return self.right if side is Side.RIGHT else self.left


# --- red flags (section 3.6) -----------------------------------------------------------------


class RedFlag(_Part):
    """One red flag: yes/no with an onset date."""

    present: YesNo = YesNo.NOT_TESTED
    onset: date | None = None

    @field_validator("onset")
    @classmethod
    def _onset(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("present") is not YesNo.YES:
            raise ValueError("An onset date needs the red flag answered yes.")
        return _not_future(value, info, "onset date")


class RedFlags(_Part):
    """The red-flag block [AHCPR][BMJBP][NICE-CES]."""

    saddle_numbness: RedFlag = RedFlag()
    bladder_change: RedFlag = RedFlag()
    bowel_change: RedFlag = RedFlag()
    sexual_dysfunction: RedFlag = RedFlag()
    bilateral_leg_symptoms: RedFlag = RedFlag()
    progressive_weakness: RedFlag = RedFlag()
    cancer_history: RedFlag = RedFlag()
    fever_or_systemic: RedFlag = RedFlag()
    iv_drug_or_immunosuppressed: RedFlag = RedFlag()
    significant_trauma: RedFlag = RedFlag()
    age_over_50: RedFlag = RedFlag()
    night_or_rest_pain: RedFlag = RedFlag()
    unexplained_weight_loss: RedFlag = RedFlag()


# --- the exam --------------------------------------------------------------------------------


class NeuroFootExam(_Part):
    """The whole structured exam of one encounter."""

    schema_version: int = EXAM_SCHEMA_VERSION
    history: History = History()
    right: FootExam = FootExam()
    left: FootExam = FootExam()
    lumbar: LumbarScreen = LumbarScreen()
    red_flags: RedFlags = RedFlags()

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return migrate_exam(data)
        return data

    @field_validator("schema_version")
    @classmethod
    def _current(cls, value: int) -> int:
        if value != EXAM_SCHEMA_VERSION:
            raise ValueError(
                f"Exam schema version {value} is newer than this app understands "
                f"({EXAM_SCHEMA_VERSION}); update clinic_app."
            )
        return value

    def foot(self, side: Side) -> FootExam:
        """The exam of one foot."""
        return self.right if side is Side.RIGHT else self.left


Migration = Callable[[dict[str, Any]], dict[str, Any]]

_MIGRATIONS: dict[int, Migration] = {
    # Version 2 added nerve conduction results; version-1 exams had none (all not tested).
    1: lambda data: data,
    # Version 3 added the plantar response, ankle clonus, the weakness's onset and course,
    # neurogenic claudication, foot pulses, tunnel imaging and needle EMG: all not tested.
    2: lambda data: data,
}
"""from_version -> function returning the data at from_version + 1."""


def migrate_exam(data: dict[str, Any]) -> dict[str, Any]:
    """Bring stored exam JSON up to the current schema version, one step at a time."""
    version = data.get("schema_version", EXAM_SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        return data  # the field validator reports it
    while version < EXAM_SCHEMA_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"No migration from exam schema version {version}.")
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data


def exam_json_schema() -> dict[str, Any]:
    """The JSON schema of a stored exam (committed beside the form; a test keeps it current)."""
    schema = NeuroFootExam.model_json_schema(mode="validation")
    schema["$id"] = f"urn:clinic-app:neuro-foot-exam:v{EXAM_SCHEMA_VERSION}"
    return schema
