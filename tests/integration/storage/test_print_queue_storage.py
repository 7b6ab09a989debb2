"""The print queue and print log on both databases: stored, read back, in order."""

from __future__ import annotations

from clinic_app.domain.account import Principal
from clinic_app.domain.encounter import Encounter
from clinic_app.domain.print_queue import HandoutChoice, PrintAction
from clinic_app.resources import resources_dir
from clinic_app.services.container import Services
from clinic_app.services.handouts import HandoutLibrary


def test_requests_and_prints_round_trip(
    services: Services, clinician: Principal, front_desk: Principal, draft: Encounter
) -> None:
    queue = services.print_queue
    first = queue.request(
        clinician,
        draft.id,
        HandoutChoice(handout_id="tarsal-tunnel-release", language="es", copies=2),
    )
    second = queue.request(
        clinician, draft.id, HandoutChoice(handout_id="foot-or-back", language="en")
    )
    lines = queue.queue(front_desk)
    assert [(line.request_id, line.patient_name, line.copies) for line in lines] == [
        (first.id, "Núñez, José", 2),
        (second.id, "Núñez, José", 1),
    ]
    printed = queue.record_print(front_desk, first.id)
    reprinted = queue.record_print(front_desk, first.id)
    assert reprinted.action is PrintAction.REPRINT
    assert printed.at.tzinfo is not None
    log = queue.log(front_desk)
    shipped = HandoutLibrary(resources_dir() / "handouts").get("tarsal-tunnel-release", "es")
    assert [(r.id, r.handout_id, r.version, r.language.value) for r in log] == [
        (reprinted.id, "tarsal-tunnel-release", shipped.version, "es"),
        (printed.id, "tarsal-tunnel-release", shipped.version, "es"),
    ]
    done = queue.mark_done(front_desk, first.id)
    assert done.done_by_name == front_desk.display_name
    assert [line.request_id for line in queue.queue(front_desk)] == [second.id]
    assert [r.id for r in queue.for_encounter(clinician, draft.id)] == [first.id, second.id]
