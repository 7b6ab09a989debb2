"""The print warm-up's rehearsal renders and paints a blank note without touching the records."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from clinic_app.ui.views.printouts import rehearse_visit_note

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rehearsal_renders_and_paints_and_writes_nothing(qtbot: QtBot, services, admin) -> None:
    before = services.audit.verify().entries

    rehearse_visit_note(services)

    assert services.audit.verify().entries == before
