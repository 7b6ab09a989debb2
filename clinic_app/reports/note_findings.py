"""The exam in short clinical phrases: what page 1 of the visit note prints.

A clinician's note says "normal bilaterally except:" and then only what is abnormal, in the
words clinicians write ("R Tinel + at tarsal tunnel → arch, hallux; ↓ pin R medial arch; R
Achilles 0; R plantarflexion 4/5; R SLR + 40° to foot"). What was not tested is named in one
line, so a blank is never read as normal. The history sections (history, lumbar history, red
flags) are answers, not findings: they print as one compact line each.

Pure functions of the exam and the form layout; no reportlab here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from clinic_app.domain.exam import (
    Alignment,
    Arch,
    Clonus,
    FootExam,
    Functional,
    LumbarSide,
    Monofilament,
    MrcGrade,
    NcsResult,
    NeedleEmg,
    NeuroFootExam,
    PlantarResponse,
    Pulse,
    ReflexGrade,
    SensoryGrade,
    Side,
    SlrSymptom,
    TestResult,
    Tinel,
    TunnelImaging,
    Vibration,
    WeaknessCourse,
    YesNo,
)
from clinic_app.domain.layout import SIDE_TOKEN, FormLayout, HeadingRow, get_path
from clinic_app.domain.layout import Section as FormSection
from clinic_app.domain.regions import RegionCode

HISTORY_SECTIONS = ("history", "lumbar_history")
RED_FLAGS = "red_flags"
SIDE_LETTER = {Side.RIGHT: "R", Side.LEFT: "L"}

SHORT_REGION: dict[RegionCode, str] = {
    RegionCode.PL_HEEL_MED: "medial heel",
    RegionCode.PL_HEEL_PAD: "heel pad",
    RegionCode.PL_HEEL_LAT: "lateral heel",
    RegionCode.PL_ARCH_MED: "medial arch",
    RegionCode.PL_MID_LAT: "lateral midsole",
    RegionCode.PL_FORE_MED: "medial forefoot",
    RegionCode.PL_FORE_LAT: "lateral forefoot",
    RegionCode.PL_HALLUX: "hallux",
    RegionCode.PL_TOES_2_3: "toes 2–3",
    RegionCode.PL_TOE_4: "toe 4",
    RegionCode.PL_TOE_5: "toe 5",
    RegionCode.BD_MED: "medial border",
    RegionCode.BD_LAT: "lateral border",
    RegionCode.DO_WEB1: "first web space",
    RegionCode.DO_MID: "mid dorsum",
    RegionCode.DO_LAT: "lateral dorsum",
    RegionCode.LG_MED: "medial leg",
    RegionCode.LG_LAT: "lateral leg",
    RegionCode.LG_POST: "posterior calf",
}
"""Region names as a clinician writes them in a note (the map's codes name them exactly)."""

_RADIATION_SHORT = {
    RegionCode.PL_ARCH_MED: "arch",
    RegionCode.PL_FORE_MED: "forefoot",
    RegionCode.PL_FORE_LAT: "lateral forefoot",
}
_TINEL_SITE = {
    "tarsal_tunnel": "tarsal tunnel",
    "medial_calcaneal": "medial calcaneal branch",
    "baxter": "Baxter site",
    "fibular_head": "fibular head",
}
_MYOTOME = {
    "knee_extension": "knee extension",
    "ankle_dorsiflexion": "ankle dorsiflexion",
    "ehl": "EHL",
    "hip_abduction": "hip abduction",
    "inversion": "inversion",
    "eversion": "eversion",
    "plantarflexion": "plantarflexion",
}
_INTRINSIC = {
    "toe_flexion": "toe flexion",
    "toe_spread": "toe spread",
    "hallux_abduction": "hallux abduction",
    "little_toe_abduction": "little-toe abduction",
}
_NCS = {
    "sural": "sural",
    "superficial_peroneal": "superficial peroneal",
    "medial_plantar": "medial plantar",
    "lateral_plantar": "lateral plantar",
}


@dataclass(frozen=True)
class SectionFindings:
    """The abnormal findings of one exam section, as phrases (right side first)."""

    title: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class ExamSummary:
    """Page 1's exam: history lines, abnormal findings by section, and what was not tested."""

    history: tuple[str, ...]
    """One line per history section charted ("Lumbar history: back pain; pain reaches calf")."""
    red_flags: str | None
    """The red-flag answers in one line, None when none was asked."""
    abnormal: tuple[SectionFindings, ...]
    tested_any: bool
    """True when at least one examination finding (not history) was charted."""
    not_tested: tuple[str, ...]
    """Exam sections with nothing charted, or charted on one side only ("Foot pulses (left)")."""


# --- words ---------------------------------------------------------------------------------


def charted(value: Any) -> bool:
    """True when a stored value is a finding (not "not tested", not blank)."""
    if isinstance(value, Enum):
        value = value.value
    return value not in (None, "", "not_tested", [], (), {})


def _regions(codes: Iterable[RegionCode], short: Mapping[RegionCode, str] = SHORT_REGION) -> str:
    return ", ".join(short.get(code, SHORT_REGION[code]) for code in codes)


def _words(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    return str(value).replace("_", " ")


# --- one foot --------------------------------------------------------------------------------


def _tinel(s: str, site: str, tinel: Tinel) -> str | None:
    if tinel.result not in (TestResult.POSITIVE, TestResult.EQUIVOCAL):
        return None
    sign = "+" if tinel.result is TestResult.POSITIVE else "±"
    text = f"{s} Tinel {sign} at {_TINEL_SITE[site]}"
    if tinel.radiates_distal:
        short = {**SHORT_REGION, **_RADIATION_SHORT}
        text += f" → {_regions(tinel.radiates_distal, short)}"
    if tinel.radiates_proximal_valleix is YesNo.YES:
        text += ", Valleix +"
    if tinel.local_pain_only is YesNo.YES:
        text += " (pain on tapping only)"
    return text


def _inspection(s: str, foot: FootExam) -> list[str]:
    out: list[str] = []
    ins, tender = foot.inspection, foot.tenderness
    if ins.hindfoot_alignment in (Alignment.VALGUS, Alignment.VARUS):
        out.append(f"{s} hindfoot {ins.hindfoot_alignment.value}")
    if ins.arch in (Arch.PLANUS, Arch.CAVUS):
        out.append(f"{s} pes {ins.arch.value}")
    yes_words = (
        (ins.overpronation, "over-pronation"),
        (ins.medial_swelling_or_mass, "medial ankle swelling or mass"),
        (ins.varicosities, "varicosities"),
        (ins.wasting_abductor_hallucis, "wasting of abductor hallucis"),
        (ins.wasting_abductor_digiti_minimi, "wasting of abductor digiti minimi"),
        (tender.tarsal_tunnel, "tender at tarsal tunnel"),
        (tender.medial_calcaneal_tubercle, "tender at medial calcaneal tubercle"),
        (tender.abductor_hallucis_origin, "tender at abductor hallucis origin"),
    )
    out += [f"{s} {words}" for answer, words in yes_words if answer is YesNo.YES]
    if ins.footwear_notes:
        out.append(f"{s} footwear: {ins.footwear_notes}")
    return out


def _provocation(s: str, foot: FootExam) -> list[str]:
    out: list[str] = []
    prov = foot.provocation
    for result, name in (
        (prov.dorsiflexion_eversion, "dorsiflexion–eversion"),
        (prov.triple_compression, "triple compression"),
        (prov.windlass, "windlass"),
    ):
        if result in (TestResult.POSITIVE, TestResult.EQUIVOCAL):
            sign = "+" if result is TestResult.POSITIVE else "±"
            text = f"{s} {name} {sign}"
            if name.startswith("dorsiflexion") and prov.dorsiflexion_eversion_reproduced:
                text += f" ({', '.join(_words(p) for p in prov.dorsiflexion_eversion_reproduced)})"
            out.append(text)
    return out


_GRADE_WORD = {
    SensoryGrade.REDUCED: "↓",
    SensoryGrade.ABSENT: "absent",
    SensoryGrade.HYPERAESTHETIC: "↑",
}


def _sensory(s: str, foot: FootExam) -> list[str]:
    out: list[str] = []
    regions = foot.sensory.regions
    for modality, name in (("light_touch", "light touch"), ("pin_prick", "pin")):
        for grade, word in _GRADE_WORD.items():
            codes = [code for code, f in regions.items() if getattr(f, modality) is grade]
            if codes:
                out.append(f"{word} {name} {s} {_regions(codes)}")
    missed = [code for code, f in regions.items() if f.monofilament is Monofilament.NOT_FELT]
    if missed:
        out.append(f"monofilament not felt {s} {_regions(missed)}")
    felt: dict[str, list[RegionCode]] = {}
    for code, found in regions.items():
        for symptom in found.symptoms or ():
            felt.setdefault(symptom.value, []).append(code)
    out += [f"{s} {symptom} {_regions(codes)}" for symptom, codes in felt.items()]
    two_point = [
        f"{SHORT_REGION[c]} {f.two_point_mm} mm" for c, f in regions.items() if f.two_point_mm
    ]
    if two_point:
        out.append(f"{s} two-point {', '.join(two_point)}")
    if foot.vibration_hallux in (Vibration.REDUCED, Vibration.ABSENT):
        word = "↓" if foot.vibration_hallux is Vibration.REDUCED else "absent"
        out.append(f"{word} vibration {s} hallux")
    return out


def _strength(s: str, grades: Mapping[str, MrcGrade], names: Mapping[str, str]) -> list[str]:
    return [f"{s} {names[key]} {grade.value}/5" for key, grade in grades.items() if grade.weak]


def _pulses(s: str, foot: FootExam) -> list[str]:
    out = []
    for pulse, name in (
        (foot.pulses.dorsalis_pedis, "DP pulse"),
        (foot.pulses.posterior_tibial, "PT pulse"),
    ):
        if pulse in (Pulse.REDUCED, Pulse.ABSENT):
            out.append(f"{s} {name} {pulse.value}")
    return out


def _studies(s: str, foot: FootExam) -> list[str]:
    ncs = foot.nerve_conduction
    out = [
        f"{s} {name} NCS abnormal"
        for key, name in _NCS.items()
        if getattr(ncs, key) is NcsResult.ABNORMAL
    ]
    if ncs.needle_emg in (NeedleEmg.S1_ROOT_PATTERN, NeedleEmg.OTHER):
        word = "S1 root pattern" if ncs.needle_emg is NeedleEmg.S1_ROOT_PATTERN else "abnormal"
        out.append(f"{s} needle EMG {word}")
    if foot.imaging_tunnel in (TunnelImaging.SPACE_OCCUPYING_LESION, TunnelImaging.OTHER_FINDING):
        out.append(f"{s} tunnel imaging: {_words(foot.imaging_tunnel)}")
    return out


def _previous_release(s: str, foot: FootExam) -> list[str]:
    if foot.history.previous_release is not YesNo.YES:
        return []
    when = f" ({foot.history.release_date.isoformat()})" if foot.history.release_date else ""
    return [f"{s} previous tarsal tunnel release{when}"]


# --- the lumbar screen, one side ----------------------------------------------------------------


def _slr(s: str, side: LumbarSide) -> list[str]:
    slr = side.slr
    out: list[str] = []
    if slr.symptom in (SlrSymptom.BELOW_KNEE, SlrSymptom.TO_FOOT):
        angle = f" {slr.angle_deg}°" if slr.angle_deg is not None else ""
        reach = "to foot" if slr.symptom is SlrSymptom.TO_FOOT else "below knee"
        if slr.positive:
            out.append(f"{s} SLR +{angle} {reach}")
        elif slr.positive is None:
            out.append(f"{s} SLR leg symptoms {reach}, angle not recorded")
        else:
            out.append(f"{s} SLR leg symptoms {reach} at{angle} (outside 30–70°)")
    if slr.bragard_sensitised is YesNo.YES:
        out.append(f"{s} Bragard +")
    return out


def _reflex(s: str, name: str, grade: ReflexGrade, reinforced: YesNo) -> str | None:
    if grade in (ReflexGrade.NOT_TESTED, ReflexGrade.NORMAL):
        return None
    return f"{s} {name} {grade.value}" + (" (reinforced)" if reinforced is YesNo.YES else "")


def _lumbar(s: str, side: LumbarSide) -> list[str]:
    out: list[str] = []
    if side.leg_pain_below_knee is YesNo.YES:
        out.append(f"{s} leg pain below knee")
    out += _slr(s, side)
    if side.crossed_slr in (TestResult.POSITIVE, TestResult.EQUIVOCAL):
        out.append(f"{s} crossed SLR {'+' if side.crossed_slr is TestResult.POSITIVE else '±'}")
    slump = side.slump
    if slump.result in (TestResult.POSITIVE, TestResult.EQUIVOCAL):
        text = f"{s} slump {'+' if slump.result is TestResult.POSITIVE else '±'}"
        if charted(slump.stage_reproduced) and slump.stage_reproduced.value != "none":
            text += f" at {_words(slump.stage_reproduced)}"
        if slump.eased_by_neck_release is YesNo.YES:
            text += ", eased by neck release"
        out.append(text)
    for reflex in (
        _reflex(s, "patellar", side.patellar.grade, side.patellar.reinforcement),
        _reflex(s, "Achilles", side.achilles.grade, side.achilles.reinforcement),
    ):
        if reflex:
            out.append(reflex)
    if side.plantar_response is PlantarResponse.EXTENSOR:
        out.append(f"{s} plantar response extensor (upgoing)")
    elif side.plantar_response is PlantarResponse.INDIFFERENT:
        out.append(f"{s} plantar response indifferent")
    if side.ankle_clonus in (Clonus.SUSTAINED, Clonus.UNSUSTAINED):
        out.append(f"{s} {side.ankle_clonus.value} ankle clonus")
    grades = {key: getattr(side.myotomes, key) for key in _MYOTOME}
    out += _strength(s, grades, _MYOTOME)
    for walk, name in ((side.myotomes.heel_walk, "heel"), (side.myotomes.toe_walk, "toe")):
        if walk is Functional.UNABLE:
            out.append(f"{s} unable to {name} walk")
    if side.weakness_onset_weeks is not None:
        out.append(f"{s} weakness began {side.weakness_onset_weeks} weeks ago")
    if side.weakness_course is not WeaknessCourse.NOT_TESTED:
        out.append(f"{s} weakness {side.weakness_course.value}")
    return out


def _side_phrases(section_id: str, exam: NeuroFootExam, side: Side) -> list[str]:
    s = SIDE_LETTER[side]
    foot = exam.foot(side)
    if section_id == "previous_release":
        return _previous_release(s, foot)
    if section_id == "inspection":
        return _inspection(s, foot)
    if section_id == "tinel":
        sites = foot.tinel
        found = (_tinel(s, name, getattr(sites, name)) for name in _TINEL_SITE)
        return [text for text in found if text]
    if section_id == "provocation":
        return _provocation(s, foot)
    if section_id == "sensory":
        return _sensory(s, foot)
    if section_id == "intrinsics":
        grades = {key: getattr(foot.intrinsics, key) for key in _INTRINSIC}
        return _strength(s, grades, _INTRINSIC)
    if section_id == "pulses":
        return _pulses(s, foot)
    if section_id == "nerve_conduction":
        return _studies(s, foot)
    if section_id == "lumbar_screen":
        return _lumbar(s, exam.lumbar.side(side))
    return []


# --- history lines -----------------------------------------------------------------------------


def _history_line(section: FormSection, data: Mapping[str, Any]) -> str | None:
    """A history section's answers: yes-answers by heading, denials after, other values."""
    parts: list[str] = []
    heading = ""
    yes: list[str] = []
    no: list[str] = []

    def flush() -> None:
        if yes:
            lead = heading[:1].lower() + heading[1:]
            parts.append(f"{lead}: {', '.join(yes)}" if heading else ", ".join(yes))
        if no:
            parts.append(f"no: {', '.join(no)}")
        yes.clear()
        no.clear()

    for row in section.rows:
        if isinstance(row, HeadingRow):
            flush()
            heading = row.heading
            continue
        value = get_path(data, row.path)
        if not charted(value):
            continue
        label = row.label[:1].lower() + row.label[1:]
        if value == YesNo.YES.value:
            yes.append(label)
        elif value == YesNo.NO.value:
            no.append(label)
        else:
            flush()
            parts.append(f"{label} {_words(value)}")
    flush()
    if not parts:
        return None
    return f"{section.title}: " + "; ".join(parts) + "."


def _red_flag_line(exam: NeuroFootExam, section: FormSection) -> str | None:
    flags = exam.red_flags
    names = list(type(flags).model_fields)
    labels = {row.path.split(".")[1]: row.label for row in section.fields()}
    asked = [n for n in names if getattr(flags, n).present is not YesNo.NOT_TESTED]
    present = [n for n in asked if getattr(flags, n).present is YesNo.YES]
    if not asked:
        return None
    if present:
        items = []
        for name in present:
            onset = getattr(flags, name).onset
            items.append(labels.get(name, _words(name)) + (f" (onset {onset})" if onset else ""))
        return "Red flags PRESENT: " + "; ".join(items) + "."
    counted = "all asked" if len(asked) == len(names) else f"{len(asked)} of {len(names)} asked"
    return f"Red flags: none ({counted})."


# --- the summary -------------------------------------------------------------------------------


def _tested_sides(section: FormSection, data: Mapping[str, Any]) -> list[Side]:
    sides = []
    for side in Side:
        paths = [row.path.replace(SIDE_TOKEN, side.value) for row in section.fields()]
        if any(charted(get_path(data, path)) for path in paths):
            sides.append(side)
    return sides


def summarise(exam: NeuroFootExam, layout: FormLayout) -> ExamSummary:
    """The exam as page 1 prints it."""
    data = exam.model_dump(mode="json")
    history: list[str] = []
    red_flags: str | None = None
    abnormal: list[SectionFindings] = []
    not_tested: list[str] = []
    tested_any = False
    for section in layout.sections:
        if section.id in HISTORY_SECTIONS:
            line = _history_line(section, data)
            if line:
                history.append(line)
            continue
        if section.id == RED_FLAGS:
            red_flags = _red_flag_line(exam, section)
            continue
        if not section.sided:
            continue  # every examination section is sided; a new unsided one prints on page 2
        sides = _tested_sides(section, data)
        if not sides:
            not_tested.append(section.title)
            continue
        tested_any = True
        if len(sides) == 1:
            missing = Side.LEFT if sides[0] is Side.RIGHT else Side.RIGHT
            not_tested.append(f"{section.title} ({missing.value})")
        phrases = [p for side in sides for p in _side_phrases(section.id, exam, side)]
        if phrases:
            abnormal.append(SectionFindings(section.title, tuple(phrases)))
    return ExamSummary(
        history=tuple(history),
        red_flags=red_flags,
        abnormal=tuple(abnormal),
        tested_any=tested_any,
        not_tested=tuple(not_tested),
    )


def has_abnormal_regions(exam: NeuroFootExam) -> bool:
    """True when any sensory-map region on either side is abnormal (page 2 is then printed)."""
    return any(
        found.abnormal_sensation
        for side in Side
        for found in exam.foot(side).sensory.regions.values()
    )
