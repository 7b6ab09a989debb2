"""Encounter content stored compactly: compressed JSON that reads back to the same dict.

A fully charted encounter is about 12 KB of JSON, rewritten by every autosave and kept for
good once signed. It is stored as raw DEFLATE primed with a fixed dictionary (the JSON of an
empty encounter as of schema 4: every key an exam has), led by a format byte, which brings a
charted visit to about 1.3 KB. Reading returns exactly the dict that was written (JSON in,
JSON out), so the content hash and the signatures computed over it do not change.

Rows written before (JSON text, or JSON bytes on PostgreSQL after migration 0011) start with
"{" and are read as plain JSON. The dictionary below is part of the stored format: it must
never change; a better one would be a new format byte with its own frozen dictionary.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

FORMAT_DEFLATE_1 = 0x01
"""Format byte: raw DEFLATE (window 2**15) with DICTIONARY_1 preset."""

DICTIONARY_1 = (
    b'{"schema_version":4,"exam":{"schema_version":3,"history":{"onset":"not_tested","durati'
    b'on_weeks":null,"worse_standing":"not_tested","worse_walking":"not_tested","worse_runni'
    b'ng":"not_tested","relieved_by_rest":"not_tested","night_symptoms":"not_tested","first_'
    b'step_pain":"not_tested","pain_score":null,"tried_rest":"not_tested","tried_ice":"not_t'
    b'ested","tried_anti_inflammatories":"not_tested","tried_physical_therapy":"not_tested",'
    b'"tried_orthotics_footwear":"not_tested","tried_injection":"not_tested","tried_surgery"'
    b':"not_tested"},"right":{"history":{"previous_release":"not_tested","release_date":null'
    b'},"inspection":{"hindfoot_alignment":"not_tested","arch":"not_tested","overpronation":'
    b'"not_tested","medial_swelling_or_mass":"not_tested","varicosities":"not_tested","wasti'
    b'ng_abductor_hallucis":"not_tested","wasting_abductor_digiti_minimi":"not_tested","foot'
    b'wear_notes":""},"tenderness":{"tarsal_tunnel":"not_tested","medial_calcaneal_tubercle"'
    b':"not_tested","abductor_hallucis_origin":"not_tested"},"tinel":{"tarsal_tunnel":{"resu'
    b'lt":"not_tested","radiates_distal":[],"radiates_proximal_valleix":"not_tested","local_'
    b'pain_only":"not_tested"},"medial_calcaneal":{"result":"not_tested","radiates_distal":['
    b'],"radiates_proximal_valleix":"not_tested","local_pain_only":"not_tested"},"baxter":{"'
    b'result":"not_tested","radiates_distal":[],"radiates_proximal_valleix":"not_tested","lo'
    b'cal_pain_only":"not_tested"},"fibular_head":{"result":"not_tested","radiates_distal":['
    b'],"radiates_proximal_valleix":"not_tested","local_pain_only":"not_tested"}},"provocati'
    b'on":{"dorsiflexion_eversion":"not_tested","dorsiflexion_eversion_reproduced":[],"tripl'
    b'e_compression":"not_tested","windlass":"not_tested"},"sensory":{"regions":{}},"vibrati'
    b'on_hallux":"not_tested","intrinsics":{"toe_flexion":"not_tested","toe_spread":"not_tes'
    b'ted","hallux_abduction":"not_tested","little_toe_abduction":"not_tested"},"pulses":{"d'
    b'orsalis_pedis":"not_tested","posterior_tibial":"not_tested"},"nerve_conduction":{"sura'
    b'l":"not_tested","superficial_peroneal":"not_tested","medial_plantar":"not_tested","lat'
    b'eral_plantar":"not_tested","needle_emg":"not_tested"},"imaging_tunnel":"not_tested"},"'
    b'left":{"history":{"previous_release":"not_tested","release_date":null},"inspection":{"'
    b'hindfoot_alignment":"not_tested","arch":"not_tested","overpronation":"not_tested","med'
    b'ial_swelling_or_mass":"not_tested","varicosities":"not_tested","wasting_abductor_hallu'
    b'cis":"not_tested","wasting_abductor_digiti_minimi":"not_tested","footwear_notes":""},"'
    b'tenderness":{"tarsal_tunnel":"not_tested","medial_calcaneal_tubercle":"not_tested","ab'
    b'ductor_hallucis_origin":"not_tested"},"tinel":{"tarsal_tunnel":{"result":"not_tested",'
    b'"radiates_distal":[],"radiates_proximal_valleix":"not_tested","local_pain_only":"not_t'
    b'ested"},"medial_calcaneal":{"result":"not_tested","radiates_distal":[],"radiates_proxi'
    b'mal_valleix":"not_tested","local_pain_only":"not_tested"},"baxter":{"result":"not_test'
    b'ed","radiates_distal":[],"radiates_proximal_valleix":"not_tested","local_pain_only":"n'
    b'ot_tested"},"fibular_head":{"result":"not_tested","radiates_distal":[],"radiates_proxi'
    b'mal_valleix":"not_tested","local_pain_only":"not_tested"}},"provocation":{"dorsiflexio'
    b'n_eversion":"not_tested","dorsiflexion_eversion_reproduced":[],"triple_compression":"n'
    b'ot_tested","windlass":"not_tested"},"sensory":{"regions":{}},"vibration_hallux":"not_t'
    b'ested","intrinsics":{"toe_flexion":"not_tested","toe_spread":"not_tested","hallux_abdu'
    b'ction":"not_tested","little_toe_abduction":"not_tested"},"pulses":{"dorsalis_pedis":"n'
    b'ot_tested","posterior_tibial":"not_tested"},"nerve_conduction":{"sural":"not_tested","'
    b'superficial_peroneal":"not_tested","medial_plantar":"not_tested","lateral_plantar":"no'
    b't_tested","needle_emg":"not_tested"},"imaging_tunnel":"not_tested"},"lumbar":{"back_pa'
    b'in":"not_tested","worse_leg_or_back":"not_tested","valsalva_worse":"not_tested","pain_'
    b'reaches":"not_tested","claudication":{"symptoms_walking_standing":"not_tested","walk_m'
    b'inutes_to_symptoms":null,"relief_sitting":"not_tested","relief_bending_forward":"not_t'
    b'ested"},"right":{"leg_pain_below_knee":"not_tested","slr":{"angle_deg":null,"symptom":'
    b'"not_tested","bragard_sensitised":"not_tested"},"crossed_slr":"not_tested","slump":{"r'
    b'esult":"not_tested","stage_reproduced":"not_tested","eased_by_neck_release":"not_teste'
    b'd"},"patellar":{"grade":"not_tested","reinforcement":"not_tested"},"achilles":{"grade"'
    b':"not_tested","reinforcement":"not_tested"},"plantar_response":"not_tested","ankle_clo'
    b'nus":"not_tested","myotomes":{"knee_extension":"not_tested","ankle_dorsiflexion":"not_'
    b'tested","heel_walk":"not_tested","ehl":"not_tested","hip_abduction":"not_tested","inve'
    b'rsion":"not_tested","eversion":"not_tested","plantarflexion":"not_tested","toe_walk":"'
    b'not_tested"},"weakness_onset_weeks":null,"weakness_course":"not_tested"},"left":{"leg_'
    b'pain_below_knee":"not_tested","slr":{"angle_deg":null,"symptom":"not_tested","bragard_'
    b'sensitised":"not_tested"},"crossed_slr":"not_tested","slump":{"result":"not_tested","s'
    b'tage_reproduced":"not_tested","eased_by_neck_release":"not_tested"},"patellar":{"grade'
    b'":"not_tested","reinforcement":"not_tested"},"achilles":{"grade":"not_tested","reinfor'
    b'cement":"not_tested"},"plantar_response":"not_tested","ankle_clonus":"not_tested","myo'
    b'tomes":{"knee_extension":"not_tested","ankle_dorsiflexion":"not_tested","heel_walk":"n'
    b'ot_tested","ehl":"not_tested","hip_abduction":"not_tested","inversion":"not_tested","e'
    b'version":"not_tested","plantarflexion":"not_tested","toe_walk":"not_tested"},"weakness'
    b'_onset_weeks":null,"weakness_course":"not_tested"}},"red_flags":{"saddle_numbness":{"p'
    b'resent":"not_tested","onset":null},"bladder_change":{"present":"not_tested","onset":nu'
    b'll},"bowel_change":{"present":"not_tested","onset":null},"sexual_dysfunction":{"presen'
    b't":"not_tested","onset":null},"bilateral_leg_symptoms":{"present":"not_tested","onset"'
    b':null},"progressive_weakness":{"present":"not_tested","onset":null},"cancer_history":{'
    b'"present":"not_tested","onset":null},"fever_or_systemic":{"present":"not_tested","onse'
    b't":null},"iv_drug_or_immunosuppressed":{"present":"not_tested","onset":null},"signific'
    b'ant_trauma":{"present":"not_tested","onset":null},"age_over_50":{"present":"not_tested'
    b'","onset":null},"night_or_rest_pain":{"present":"not_tested","onset":null},"unexplaine'
    b'd_weight_loss":{"present":"not_tested","onset":null}}},"notes":"","plan":"","copied_fr'
    b'om":null,"unconfirmed":[],"release":"none","assessment":{"decisions":{},"red_flags_ack'
    b'nowledged":null,"foot_primary_reason":"","gate_override":null,"studies_acknowledged":n'
    b'ull},"teach_back":{"done":false,"note":""},"signed_assessment":null}'
)
"""Frozen: the JSON of EncounterContent() at content schema 4, exam schema 3."""


def pack(value: Any) -> bytes:
    """Compact JSON of value, compressed, behind the format byte."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_1)
    return bytes((FORMAT_DEFLATE_1,)) + packer.compress(text) + packer.flush()


def unpack(stored: bytes | str | dict[str, Any]) -> Any:
    """The value pack() was given; plain JSON (text or bytes) as older rows hold it."""
    if isinstance(stored, dict):  # a driver that already parsed JSON
        return stored
    if isinstance(stored, str):
        return json.loads(stored)
    data = bytes(stored)
    if data[:1] == bytes((FORMAT_DEFLATE_1,)):
        unpacker = zlib.decompressobj(-15, zdict=DICTIONARY_1)
        text = unpacker.decompress(data[1:]) + unpacker.flush()
        if not unpacker.eof:
            raise ValueError("stored encounter content is cut short")
        return json.loads(text)
    return json.loads(data)
