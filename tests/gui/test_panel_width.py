"""The assessment panel keeps the width it was dragged to, across encounters and starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSplitter
from pytestqt.qtbot import QtBot

from clinic_app.domain.account import Principal
from clinic_app.services.container import Services
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.views.encounter_view import PANEL_WIDTH, PANEL_WIDTH_KEY, EncounterPane

pytestmark = pytest.mark.usefixtures("sqlite_only")


@pytest.fixture
def sqlite_only(db_url: str) -> None:
    """The width is kept in the window's ini file, whatever the database; SQLite is enough."""
    if not db_url.startswith("sqlite"):
        pytest.skip("GUI checks run on SQLite")


def window_state(path: Path) -> QSettings:
    """The window-state file as the application opens it at start-up."""
    return QSettings(str(path), QSettings.Format.IniFormat)


def open_pane(
    qtbot: QtBot, services: Services, state: QSettings, width: int = 1366
) -> EncounterPane:
    pane = EncounterPane(services, Dialogs(), window_state=state)
    qtbot.addWidget(pane)
    pane.resize(width, 768)
    pane.show()
    qtbot.waitExposed(pane)
    return pane


def open_encounter(services: Services, who: Principal, pane: EncounterPane, reason: str) -> None:
    patient = services.patients.register(
        who,
        {"family_name": "Okafor", "given_name": "Grace", "date_of_birth": "1958-05-06"},
        allow_duplicate=True,
    )
    enc = services.encounters.create(
        who,
        {"patient_id": patient.id, "encounter_date": services.clock.today(), "reason": reason},
    )
    pane.load(who, services.encounters.get(who, enc.id))


def drag(qtbot: QtBot, splitter: QSplitter, dx: int) -> None:
    """Drag the handle between the form and the panel by dx pixels, as with the mouse."""
    handle = splitter.handle(1)
    start = handle.rect().center()
    end = start + QPoint(dx, 0)
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(handle, end)
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    qtbot.wait(10)


def panel_width(pane: EncounterPane) -> int:
    return pane.splitter.sizes()[1]


def test_the_panel_starts_at_its_default_width(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    pane = open_pane(qtbot, services, window_state(tmp_path / "window.ini"))
    assert panel_width(pane) == PANEL_WIDTH


def test_a_wide_screen_gives_the_panel_a_share_of_the_width(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    pane = open_pane(qtbot, services, window_state(tmp_path / "window.ini"), width=1920)
    form, panel = pane.splitter.sizes()
    assert panel > PANEL_WIDTH + 150  # about 30% of the width
    assert form > 2 * panel


def test_a_dragged_width_is_kept_across_encounters_and_restarts(
    qtbot: QtBot, services: Services, clinician: Principal, tmp_path: Path
) -> None:
    ini = tmp_path / "window.ini"
    state = window_state(ini)
    pane = open_pane(qtbot, services, state)
    open_encounter(services, clinician, pane, "Numb sole")
    drag(qtbot, pane.splitter, -120)
    chosen = panel_width(pane)
    assert chosen == pytest.approx(PANEL_WIDTH + 120, abs=4)

    open_encounter(services, clinician, pane, "Burning heel")
    assert panel_width(pane) == chosen

    # Closed and started again: a new pane over the same file.
    pane.close()
    state.sync()
    del state
    restarted = open_pane(qtbot, services, window_state(ini))
    assert panel_width(restarted) == chosen
    open_encounter(services, clinician, restarted, "Again")
    assert panel_width(restarted) == chosen


def test_the_main_window_keeps_the_width_with_its_placement(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    state = window_state(tmp_path / "window.ini")
    window = MainWindow(services, idle_lock_minutes=10, dialogs=Dialogs(), window_state=state)
    qtbot.addWidget(window)
    pane = window.encounter_pane
    pane.splitter.setSizes([900, 466])
    pane.splitter.splitterMoved.emit(900, 1)  # as a drag reports it
    window.close()  # the window writes its placement file on closing
    assert int(window_state(tmp_path / "window.ini").value(PANEL_WIDTH_KEY)) == 466
