"""Write the stored exam's JSON schema next to the form: ``python -m clinic_app.schema``.

The schema is generated from the typed exam model and committed, so a change to the model
shows up in review as a change to ``forms/neuro_foot_exam.schema.json``; a unit test fails
while the committed file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from clinic_app.domain.exam import exam_json_schema
from clinic_app.resources import exam_schema_path


def render_schema() -> str:
    """The exam schema as committed: indented by 2, keys sorted, one trailing newline."""
    return json.dumps(exam_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path) -> None:
    """Write the exam schema to ``path``: UTF-8 with Unix line ends on every platform."""
    path.write_text(render_schema(), encoding="utf-8", newline="\n")


def main() -> None:
    """Regenerate the committed exam schema."""
    write_schema(exam_schema_path())


if __name__ == "__main__":
    main()
