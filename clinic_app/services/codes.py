"""The ICD-10-CM code set in force: load a fiscal year's CMS code file and read it back.

CMS publishes the ICD-10-CM code-description files every October (free): one code per line
with its description (``icd10cm_codes_YYYY.txt``, or the order file ``icd10cm_order_YYYY.txt``).
The app offers only codes from its own verified list (clinical-reference.md 5.1); once a year's
file is loaded it offers only those of them found in that file, labelled with its year, and a
code missing from the file is listed and never offered (10.12 Coding, 10.5) [CMS-ICD].

The loaded set is kept in the data folder as ``codes/icd10cm.json`` (written whole or not at
all), so the command line's ``assess`` reads it without opening the database.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from clinic_app.domain.assessment.codes import VERIFIED_CODES
from clinic_app.domain.assessment.model import CodeSet
from clinic_app.domain.errors import ClinicError
from clinic_app.services import files

CODE_SET_FILE = Path("codes") / "icd10cm.json"
MAX_FILE_BYTES = 50_000_000
"""A year's code file is about 10 MB; anything far larger is not one."""
REQUIRED_CHAPTERS = frozenset(string.ascii_uppercase) - {"U"}
"""Every year's file has codes under every letter but U (kept for special purposes): a file
without the late letters was cut short."""

_CODES_LINE = re.compile(r"^([A-Z][0-9][0-9A-Z]{1,5})\s+(\S.*)$")
_ORDER_LINE = re.compile(r"^\d{5} ([A-Z][0-9][0-9A-Z]{1,5})\s+[01] (.*)$")
_YEAR_IN_NAME = re.compile(r"(?:19|20)\d\d")


class CodeFileError(ClinicError):
    """A code file that cannot be loaded: one line naming the file and the problem."""


class LoadedCodeSet(BaseModel):
    """What ``codes import`` keeps: the year, its source and the app's codes found in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: str
    source: str
    sha256: str
    imported_at: datetime
    total_codes: int
    codes: dict[str, str]
    """The app's codes found in the file, with the file's descriptions."""
    missing: tuple[str, ...]
    """The app's codes the file does not hold: never offered while this set is in force."""

    def code_set(self) -> CodeSet:
        """The set the rules filter their codes by."""
        return CodeSet(year=self.year, codes=self.codes)


def with_dot(code: str) -> str:
    """CMS files write codes without the dot: M79671 -> M79.671."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def parse_code_file(name: str, text: str) -> dict[str, str]:
    """Every code (with its dot) and description of a CMS code or order file.

    Raises:
        CodeFileError: a line that is neither format, a code given twice, a file cut short.
    """
    lines = text.splitlines()
    if not lines or not text.strip():
        raise CodeFileError(f"{name}: the file is empty")
    if not text.endswith(("\n", "\r")):
        raise CodeFileError(f"{name}: the last line is cut off (the file looks truncated)")
    first = next(line for line in lines if line.strip())
    pattern = _ORDER_LINE if _ORDER_LINE.match(first) else _CODES_LINE
    codes: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        match = pattern.match(line.rstrip())
        if match is None:
            raise CodeFileError(
                f"{name}: line {number} is not an ICD-10-CM code and description: "
                f"{line[:40]!r} (expected the CMS icd10cm_codes or icd10cm_order file)"
            )
        code = with_dot(match[1])
        if code in codes:
            raise CodeFileError(f"{name}: line {number}: code {code} is given twice")
        codes[code] = " ".join(match[2].split())
    letters = {code[0] for code in codes}
    absent = sorted(REQUIRED_CHAPTERS - letters)
    if absent:
        raise CodeFileError(
            f"{name}: no codes under {', '.join(absent)}: the file is not a whole year's code "
            "set (cut short?)"
        )
    return codes


def fiscal_year(name: str, year: int | None) -> str:
    """The code set's label (FY2026) from --year or from the CMS file name."""
    if year is None:
        found = _YEAR_IN_NAME.findall(name)
        if len(found) != 1:
            raise CodeFileError(
                f"{name}: the fiscal year is not in the file name: give it with --year YYYY"
            )
        year = int(found[0])
    if not 2015 <= year <= 2100:
        raise CodeFileError(f"--year: {year} is not an ICD-10-CM fiscal year")
    return f"FY{year}"


def import_code_file(
    path: Path, data_dir: Path, now: datetime, year: int | None = None
) -> LoadedCodeSet:
    """Load a CMS file, keep the app's codes found in it, and make it the set in force.

    Nothing is written unless the whole file reads cleanly.
    """
    name = path.name
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CodeFileError(f"{path}: too large to be an ICD-10-CM code file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CodeFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CodeFileError(f"{path}: is a folder, not a code file") from None
    except OSError as exc:
        raise CodeFileError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise CodeFileError(f"{path}: not a text file") from None
    label = fiscal_year(name, year)
    codes = parse_code_file(name, text)
    kept = {code: codes[code] for code in VERIFIED_CODES if code in codes}
    if not kept:
        raise CodeFileError(
            f"{name}: none of the codes this app offers is in the file: not an ICD-10-CM file?"
        )
    loaded = LoadedCodeSet(
        year=label,
        source=name,
        sha256=hashlib.sha256(raw).hexdigest(),
        imported_at=now,
        total_codes=len(codes),
        codes=kept,
        missing=tuple(code for code in VERIFIED_CODES if code not in codes),
    )
    target = data_dir / CODE_SET_FILE
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        files.write_atomically(target, loaded.model_dump_json(indent=2).encode("utf-8"))
    except OSError as exc:
        raise CodeFileError(f"{target}: cannot save the code set ({exc.strerror or exc})") from None
    return loaded


def load_code_set(data_dir: Path | None) -> LoadedCodeSet | None:
    """The code set loaded into this data folder, or None (the built-in list stands).

    Raises:
        CodeFileError: the kept file was damaged (one line; re-import the year's file).
    """
    if data_dir is None:
        return None
    path = data_dir / CODE_SET_FILE
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CodeFileError(f"{path}: cannot read the loaded code set ({exc.strerror})") from None
    try:
        data: Any = json.loads(raw)
        return LoadedCodeSet.model_validate(data)
    except (ValueError, RecursionError, ValidationError):
        raise CodeFileError(
            f"{path}: the loaded code set is damaged: import the year's CMS file again"
        ) from None


def summary(loaded: LoadedCodeSet, offered: Iterable[str] = VERIFIED_CODES) -> str:
    """What ``codes import`` prints."""
    count = len(list(offered))
    lines = [
        f"Loaded ICD-10-CM {loaded.year} from {loaded.source} ({loaded.total_codes:,} codes).",
        f"The app offers {len(loaded.codes)} of its {count} codes, labelled {loaded.year}.",
    ]
    if loaded.missing:
        lines.append("Not in this file, so no longer offered: " + ", ".join(loaded.missing) + ".")
    return "\n".join(lines)
