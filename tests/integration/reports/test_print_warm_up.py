"""After log-in the print machinery is loaded in the background: the first print is not slower."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import sys
    from clinic_app.reports import warm_up
    before = "reportlab.platypus" in sys.modules
    thread = warm_up.start_warm_up()
    again = warm_up.start_warm_up()
    thread.join(30)
    from clinic_app.reports import fonts
    print(before, again is None, warm_up.warmed_up(0), "reportlab.platypus" in sys.modules,
          fonts._loaded is not None)
    """
)


def test_warm_up_loads_reportlab_and_the_fonts_once_on_its_own_thread() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()

    assert out == ["False", "True", "True", "True", "True"]
