"""The encounter screen's logic without Qt: draft save states, refused fields, signing, amending.

The presenter runs over the real EncounterService on the fake database; no QApplication.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clinic_app.domain.account import Principal
from clinic_app.domain.encounter import MAX_TEXT, Encounter, EncounterContent
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.domain.patient import Patient
from clinic_app.services.encounters import EncounterService
from clinic_app.ui.presenters.encounter import (
    EncounterPresenter,
    EncounterScreen,
    Phase,
    addendum_question,
    stamp,
)
from unit.fakes import FixedClock

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def draft(encounters: EncounterService, clinician: Principal, ana: Patient) -> Encounter:
    """A fresh draft for Ana, its reason with markup in it."""
    return encounters.create(
        clinician,
        {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Burning <sole>"},
    )


@pytest.fixture
def screens() -> list[EncounterScreen]:
    """Every screen state the presenter announced."""
    return []


@pytest.fixture
def presenter(
    encounters: EncounterService,
    clinician: Principal,
    draft: Encounter,
    screens: list[EncounterScreen],
) -> EncounterPresenter:
    """The presenter with the draft open for Dr Rivera."""
    shown = EncounterPresenter(encounters)
    shown.listener = screens.append
    shown.open(clinician, draft)
    return shown


def on_screen(enc: Encounter | None, **changes: Any) -> dict[str, Any]:
    """The encounter's content as the screen sends it, with top-level fields changed."""
    assert enc is not None
    return {**enc.content.model_dump(mode="json"), **changes}


def typed(presenter: EncounterPresenter, **changes: Any) -> Any:
    """Edit the draft on screen; the reader the view hands to save()."""
    assert presenter.edited()
    raw = on_screen(presenter.encounter, **changes)
    return lambda: raw


class FailingStore(EncounterService):
    """The service, with the next draft saves failing as a full disk does."""

    failures = 0

    def save_draft(self, *args: Any, **kwargs: Any) -> Encounter:
        if self.failures:
            self.failures -= 1
            raise ClinicError("The disk is full.")
        return super().save_draft(*args, **kwargs)


def never(*_args: Any) -> bool:
    raise AssertionError("nothing should have been asked")


# --- the draft's save states ----------------------------------------------------------------


def test_nothing_open_saves_nothing(encounters: EncounterService) -> None:
    presenter = EncounterPresenter(encounters)
    assert presenter.screen.phase is Phase.NONE
    assert not presenter.edited()
    assert presenter.save(never, None).ok
    assert not presenter.draft_open


def test_an_opened_draft_is_editable_and_autosaves(
    presenter: EncounterPresenter, draft: Encounter
) -> None:
    screen = presenter.screen
    assert screen.phase is Phase.LOADED
    assert screen.status == "Draft, version 1. Autosaves as you type."
    assert not screen.save_pending
    assert "Burning &lt;sole&gt;" in screen.header
    assert "<b>Status</b> Draft" in screen.header
    assert screen.signature == "<i>Not signed.</i>"
    assert not screen.read_only
    assert not screen.form_read_only
    assert screen.copy_forward
    assert screen.sign_shown
    assert screen.gate_actions
    assert screen.acknowledge
    assert (screen.export_shown, screen.amend_shown, screen.addenda_shown) == (False, False, False)
    assert presenter.draft_open
    assert presenter.encounter == draft


def test_an_edit_is_a_change_to_save(
    presenter: EncounterPresenter, screens: list[EncounterScreen]
) -> None:
    assert presenter.edited()
    assert presenter.screen.phase is Phase.CHANGED
    assert presenter.screen.status == "Unsaved changes..."
    assert presenter.dirty
    assert screens[-1] is presenter.screen


def test_a_save_stores_the_draft_and_says_when(
    presenter: EncounterPresenter, encounters: EncounterService, clinician: Principal
) -> None:
    outcome = presenter.save(typed(presenter, notes="Tinel positive."), None)
    assert outcome.ok
    assert outcome.saved is not None
    assert outcome.saved.version == 2
    assert outcome.held == ()
    assert presenter.screen.phase is Phase.SAVED
    assert presenter.screen.status == f"Saved {stamp(outcome.saved)}."
    assert not presenter.dirty
    assert presenter.encounter == outcome.saved
    stored = encounters.get(clinician, outcome.saved.id).encounter
    assert stored.content.notes == "Tinel positive."
    # Nothing changed since: the next save stores nothing and reads nothing.
    assert presenter.save(never, None) == type(outcome)(ok=True)


def test_refused_fields_keep_their_saved_value_and_stay_marked(
    presenter: EncounterPresenter,
) -> None:
    outcome = presenter.save(typed(presenter, notes="x" * (MAX_TEXT + 1), plan="NCS"), None)
    assert outcome.ok
    assert outcome.held == ("notes",)
    assert outcome.saved is not None
    assert (outcome.saved.content.notes, outcome.saved.content.plan) == ("", "NCS")
    screen = presenter.screen
    assert screen.phase is Phase.REFUSED
    assert set(screen.errors) == {"notes"}
    assert screen.status == (
        f"Saved {stamp(outcome.saved)}, except 1 marked field: fix them to save them."
    )
    assert presenter.dirty  # the refused note is still to save

    fixed = presenter.save(typed(presenter, notes="Short.", plan="NCS"), None)
    assert fixed.saved is not None
    assert fixed.saved.content.notes == "Short."
    assert presenter.screen.errors == {}
    assert presenter.screen.phase is Phase.SAVED


def test_a_draft_nothing_of_which_can_be_held_back_is_not_saved(
    presenter: EncounterPresenter, draft: Encounter
) -> None:
    outcome = presenter.save(typed(presenter, copied_from="yesterday"), None)
    assert not outcome.ok
    assert outcome.saved is None
    assert presenter.screen.phase is Phase.REFUSED
    assert presenter.screen.status == "Not saved: fix the marked fields."
    assert set(presenter.screen.errors) == {"copied_from"}
    assert presenter.dirty
    assert presenter.encounter == draft


def test_the_exam_error_is_held_where_the_screen_shows_it(
    presenter: EncounterPresenter, draft: Encounter
) -> None:
    exam = draft.content.exam.model_dump(mode="json")
    exam["history"]["pain_score"] = 11
    exam["history"]["duration_weeks"] = 6
    outcome = presenter.save(typed(presenter, exam=exam), lambda path: "history")
    assert outcome.held == ("exam.history.pain_score",)
    assert outcome.saved is not None
    assert outcome.saved.content.exam.history == draft.content.exam.history


def test_another_workstation_saving_first_is_a_conflict(
    presenter: EncounterPresenter,
    encounters: EncounterService,
    clinician: Principal,
    draft: Encounter,
) -> None:
    encounters.save_draft(clinician, draft.id, {"notes": "Elsewhere."}, draft.version)
    outcome = presenter.save(typed(presenter, notes="Here."), None)
    assert outcome == type(outcome)(ok=False)
    assert presenter.screen.phase is Phase.FAILED
    assert presenter.screen.status == "NOT SAVED"
    assert presenter.screen.message.startswith("Not saved: ")
    assert presenter.dirty


def test_a_store_fault_is_retried_and_its_message_goes_once_saved(
    db: Any, clock: FixedClock, clinician: Principal, draft: Encounter
) -> None:
    store = FailingStore(db, clock)
    store.failures = 1
    presenter = EncounterPresenter(store)
    presenter.open(clinician, draft)
    raw = typed(presenter, notes="Kept.")
    failed = presenter.save(raw, None)
    assert (failed.ok, failed.retry) == (False, True)
    assert (
        presenter.screen.message
        == "Not saved, kept on screen: The disk is full. It will be retried."
    )
    assert presenter.screen.status == "NOT SAVED"
    assert presenter.save(raw, None).ok
    assert presenter.screen.message == ""
    assert presenter.screen.phase is Phase.SAVED


def test_a_message_not_about_saving_outlives_the_next_save(
    presenter: EncounterPresenter,
) -> None:
    presenter.tell("The visit note was not printed: no printer.")
    status = presenter.screen.status
    assert presenter.screen.message == "The visit note was not printed: no printer."
    assert presenter.screen.status == status
    presenter.save(typed(presenter, notes="More."), None)
    assert presenter.screen.message == "The visit note was not printed: no printer."
    presenter.note("Printed.")
    assert presenter.screen.status == "Printed."


def test_the_draft_is_assessed_as_on_screen_refused_fields_as_saved(
    presenter: EncounterPresenter, clock: FixedClock
) -> None:
    raw = on_screen(presenter.encounter, plan="Release", notes="x" * (MAX_TEXT + 1))
    content, exam = presenter.to_assess(lambda: raw, None, never, clock.today())
    assert (content.plan, content.notes, exam) == ("Release", "", None)
    raw = on_screen(presenter.encounter, copied_from="yesterday")
    content, _exam = presenter.to_assess(lambda: raw, None, never, clock.today())
    assert content == EncounterContent()


# --- signing --------------------------------------------------------------------------------


def sign(presenter: EncounterPresenter) -> Encounter:
    asked: list[bool] = []
    signing = presenter.sign(lambda: asked.append(True) or True)
    assert asked == [True]
    assert signing.signed is not None
    return signing.signed


def test_signing_locks_the_encounter(presenter: EncounterPresenter) -> None:
    signed = sign(presenter)
    screen = presenter.screen
    assert signed.is_signed
    assert screen.phase is Phase.SIGNED
    assert screen.status == "Signed: read-only. Amend with an addendum."
    assert "<b>Status</b> SIGNED (locked)" in screen.header
    assert "<b>Signed</b> by Dr Rivera" in screen.signature
    assert screen.signature_tip == f"SHA-256 {signed.content_hash}"
    assert screen.addenda == "<i>No addenda.</i>"
    assert screen.read_only
    assert screen.form_read_only
    assert (screen.copy_forward, screen.sign_shown, screen.gate_actions) == (False, False, False)
    assert screen.export_shown
    assert screen.amend_shown
    assert screen.amend_enabled
    assert screen.addenda_shown
    assert screen.addendum_enabled
    assert not presenter.draft_open
    assert not presenter.edited()  # a signed encounter has nothing to autosave


def test_signing_asks_first_and_a_no_leaves_the_draft(
    presenter: EncounterPresenter, draft: Encounter
) -> None:
    signing = presenter.sign(lambda: False)
    assert signing.signed is None
    assert presenter.encounter == draft
    assert presenter.screen.phase is Phase.LOADED


def test_unsaved_refused_fields_block_signing_before_anything_is_asked(
    presenter: EncounterPresenter,
) -> None:
    presenter.save(typed(presenter, notes="x" * (MAX_TEXT + 1)), None)
    assert presenter.sign(never).signed is None
    assert (
        presenter.screen.message == "Not signed: fix the marked fields first (they are not saved)."
    )
    assert presenter.screen.status == "NOT SAVED"


def test_a_blocked_signature_names_what_to_fix_and_keeps_the_save_status(
    presenter: EncounterPresenter,
) -> None:
    outcome = presenter.save(typed(presenter, release="right"), None)
    assert outcome.saved is not None
    status = presenter.screen.status
    signing = presenter.sign(never)
    assert signing.signed is None
    assert signing.focus  # the items of the pre-operative gate still open
    assert presenter.screen.message.startswith("Not signed: ")
    assert presenter.screen.status == status
    assert presenter.draft_open


def test_a_refusal_answered_on_the_panel_clears_its_line_only(
    presenter: EncounterPresenter,
) -> None:
    presenter.save(typed(presenter, release="right"), None)
    presenter.sign(never)
    status = presenter.screen.status
    presenter.clear_refusal()  # the panel: every item the refusal named is met now
    assert presenter.screen.message == ""
    assert presenter.screen.status == status

    presenter.save(typed(presenter, notes="x" * (MAX_TEXT + 1)), None)
    presenter.sign(never)
    presenter.clear_refusal()  # the marked fields are not the panel's to answer
    assert presenter.screen.message.startswith("Not signed: fix the marked fields")


def test_someone_who_may_not_sign_or_chart_sees_a_locked_draft(
    encounters: EncounterService, admin: Principal, draft: Encounter
) -> None:
    presenter = EncounterPresenter(encounters)
    presenter.open(admin, draft)
    screen = presenter.screen
    assert screen.read_only
    assert screen.form_read_only
    assert (screen.copy_forward, screen.sign_shown, screen.gate_actions) == (False, False, False)
    assert not screen.acknowledge


# --- amending and addenda -------------------------------------------------------------------


def test_amending_unlocks_the_findings_only(
    presenter: EncounterPresenter, clock: FixedClock
) -> None:
    sign(presenter)
    assert presenter.start_amending()
    screen = presenter.screen
    assert screen.phase is Phase.AMENDING
    assert presenter.amending
    assert not screen.form_read_only
    assert screen.read_only  # notes, plan and decisions stay as signed
    assert not screen.amend_enabled
    # The assessment follows the findings being amended.
    amended = presenter.encounter.content.exam.model_dump(mode="json")  # type: ignore[union-attr]
    amended["history"]["pain_score"] = 7
    _content, exam = presenter.to_assess(never, None, lambda: amended, clock.today())
    assert exam is not None
    assert exam.history.pain_score == 7


def test_a_draft_cannot_be_amended(presenter: EncounterPresenter) -> None:
    assert not presenter.start_amending()
    assert presenter.screen.phase is Phase.LOADED


def test_an_addendum_with_amended_findings_is_asked_then_signed(
    presenter: EncounterPresenter,
) -> None:
    sign(presenter)
    presenter.start_amending()
    questions: list[str] = []
    updated = presenter.add_addendum(
        "Pain re-scored.",
        {"history.pain_score": 7},
        lambda question: questions.append(question) or True,
    )
    assert questions == [addendum_question(1)]
    assert "with 1 amended finding(s)" in questions[0]
    assert updated is not None
    assert len(updated.addenda) == 1
    assert not presenter.amending
    screen = presenter.screen
    assert screen.phase is Phase.SIGNED
    assert screen.form_read_only
    assert screen.amend_enabled
    assert "Pain re-scored." in screen.addenda
    assert "#1 " in screen.addenda


def test_an_empty_addendum_is_refused_at_its_field(presenter: EncounterPresenter) -> None:
    signed = sign(presenter)
    assert presenter.add_addendum("  ", {}, never) is None
    assert presenter.screen.addendum_error == "Write the addendum before signing it."
    assert presenter.encounter == signed
    # The error goes when the next addendum is tried, even if that one is not signed.
    assert presenter.add_addendum("Later.", {}, lambda _question: False) is None
    assert presenter.screen.addendum_error == ""


def test_an_addendum_for_a_draft_fails(presenter: EncounterPresenter) -> None:
    assert presenter.add_addendum("Too early.", {}, lambda _question: True) is None
    assert presenter.screen.phase is Phase.FAILED
    assert presenter.screen.status == "NOT SAVED"
    assert "signed" in presenter.screen.message


# --- gate records and the urgent alert ------------------------------------------------------


def test_a_gate_record_says_it_was_saved(presenter: EncounterPresenter) -> None:
    def record(who: Principal, encounter_id: int, version: int) -> Encounter:
        assert presenter.encounter is not None
        return presenter.encounter.model_copy(update={"version": version + 1})

    saved = presenter.record(record, "Pre-operative gate overridden")
    assert saved is not None
    assert presenter.screen.status == f"Pre-operative gate overridden; saved {stamp(saved)}."
    assert presenter.encounter == saved


def test_a_refused_gate_record_leaves_the_save_status(presenter: EncounterPresenter) -> None:
    def refuse(*_args: Any) -> Encounter:
        raise FieldErrors({"reason": "Write why.", "other": "And this."})

    status = presenter.screen.status
    assert presenter.record(refuse, "Pre-operative gate overridden") is None
    assert presenter.screen.message == (
        "Pre-operative gate overridden: not recorded. Write why. And this."
    )
    assert presenter.screen.status == status


def test_the_urgent_alert_is_acknowledged_after_the_save(
    presenter: EncounterPresenter, draft: Encounter
) -> None:
    assert presenter.acknowledge_red_flags() is None
    assert presenter.screen.message == (
        "Not acknowledged: There are no urgent red flags to acknowledge."
    )
    exam = draft.content.exam.model_dump(mode="json")
    exam["red_flags"]["saddle_numbness"]["present"] = "yes"
    presenter.save(typed(presenter, exam=exam), None)
    saved = presenter.acknowledge_red_flags()
    assert saved is not None
    assert saved.content.assessment.red_flags_acknowledged is not None
    assert presenter.screen.status == f"Urgent alert acknowledged; saved {stamp(saved)}."
    assert presenter.screen.message == ""


def test_a_closed_session_saves_nothing_more(presenter: EncounterPresenter) -> None:
    presenter.edited()
    presenter.close()
    assert presenter.save(never, None).ok
    assert presenter.sign(never).signed is None


# --- no Qt ----------------------------------------------------------------------------------

PRESENTERS_IMPORT = """
import importlib, importlib.abc, json, pkgutil, sys

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"PySide6", "shiboken6", "sqlalchemy"}:
            raise ImportError(name)
        return None

sys.meta_path.insert(0, Blocker())
import clinic_app.ui.presenters as package
names = [i.name for i in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(json.dumps(names))
"""


def test_the_presenters_import_without_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PRESENTERS_IMPORT],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "clinic_app.ui.presenters.encounter" in json.loads(result.stdout)
