"""`clinic-app codes import FILE`: a fiscal year's CMS code file becomes the code set in force."""

from __future__ import annotations

import json
import string
from pathlib import Path

from test_assess_cli import tibial_with_absent_achilles, write
from test_cli import assert_one_line_refusal, run_cli

from clinic_app.app import build_services
from clinic_app.domain.assessment.codes import VERIFIED_CODES
from clinic_app.settings import load_settings


def cms_line(code: str, description: str) -> str:
    """One line of the CMS icd10cm_codes file: the code without its dot, padded, then text."""
    return f"{code.replace('.', ''):<8}{description}"


def code_file(tmp_path: Path, name: str, *, drop: tuple[str, ...] = (), cut: bool = False) -> Path:
    """A small file in the CMS layout: the app's codes and one code under every letter.

    Real files hold about 74,000 codes; the parser reads the layout, not the size.
    """
    lines = [
        cms_line(code, f"{description} (FY2026 text)")
        for code, description in VERIFIED_CODES.items()
        if code not in drop
    ]
    lines += [
        cms_line(f"{letter}999", f"Filler under {letter}") for letter in string.ascii_uppercase
    ]
    text = "\n".join(sorted(lines)) + "\n"
    if cut:
        text = text[: len(text) // 3]
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="ascii")
    return path


def test_importing_a_year_offers_only_its_codes_labelled_with_its_year(tmp_path: Path) -> None:
    cms = code_file(tmp_path, "icd10cm_codes_2026.txt", drop=("M54.17",))
    result = run_cli(tmp_path, "codes", "import", str(cms))
    assert result.returncode == 0, result.stderr
    assert "Loaded ICD-10-CM FY2026" in result.stdout
    assert "M54.17" in result.stdout  # listed as missing
    exam = write(tmp_path, "exam.json", json.dumps(tibial_with_absent_achilles()))
    out = json.loads(run_cli(tmp_path, "assess", str(exam)).stdout)
    assert out["code_set"] == {"system": "ICD-10-CM", "year": "FY2026"}
    r6 = next(s for s in out["suggestions"] if s["key"] == "R6")
    codes = {c["code"]: c for c in r6["codes"]}
    assert "M54.17" not in codes
    assert codes["M54.16"]["version"] == "FY2026"
    assert codes["M54.16"]["description"].endswith("(FY2026 text)")


def test_a_truncated_or_wrong_file_changes_nothing(tmp_path: Path) -> None:
    good = code_file(tmp_path, "icd10cm_codes_2025.txt")
    assert run_cli(tmp_path, "codes", "import", str(good)).returncode == 0
    kept = (tmp_path / "data" / "codes" / "icd10cm.json").read_bytes()

    cut = code_file(tmp_path, "icd10cm_codes_2026.txt", cut=True)
    assert_one_line_refusal(run_cli(tmp_path, "codes", "import", str(cut)), "2026")
    wrong = tmp_path / "input" / "patients_2026.csv"
    wrong.write_text("name,dob\nAna,1968-04-30\n", encoding="utf-8")
    assert_one_line_refusal(
        run_cli(tmp_path, "codes", "import", str(wrong)), "line 1", "not an ICD-10-CM code"
    )
    no_year = code_file(tmp_path, "codes.txt")
    assert_one_line_refusal(run_cli(tmp_path, "codes", "import", str(no_year)), "--year")
    missing = tmp_path / "input" / "nope_2026.txt"
    assert_one_line_refusal(run_cli(tmp_path, "codes", "import", str(missing)), "no such file")
    assert (tmp_path / "data" / "codes" / "icd10cm.json").read_bytes() == kept


def test_the_year_can_be_given_when_the_name_lacks_it(tmp_path: Path) -> None:
    cms = code_file(tmp_path, "codes.txt")
    result = run_cli(tmp_path, "codes", "import", str(cms), "--year", "2027")
    assert result.returncode == 0, result.stderr
    assert "FY2027" in result.stdout


def test_the_app_offers_the_loaded_year_too(tmp_path: Path, fast_password_hashing: None) -> None:
    cms = code_file(tmp_path, "icd10cm_codes_2026.txt", drop=("M54.17",))
    assert run_cli(tmp_path, "codes", "import", str(cms)).returncode == 0
    services = build_services(load_settings(tmp_path / "data"))
    services.accounts.create_first_admin(
        {
            "username": "owner",
            "display_name": "Dr Owner",
            "password": "codes-year-password",
            "roles": ["admin", "clinician"],
        }
    )
    owner = services.accounts.login("owner", "codes-year-password")
    patient = services.patients.register(
        owner, {"family_name": "Okafor", "given_name": "Grace", "date_of_birth": "1958-05-06"}
    )
    enc = services.encounters.create(
        owner, {"patient_id": patient.id, "encounter_date": "2026-03-02", "reason": "Numb sole"}
    )
    services.encounters.save_draft(
        owner, enc.id, {"exam": tibial_with_absent_achilles()}, enc.version
    )
    found = services.encounters.assessment(owner, enc.id)
    assert found.code_version == "FY2026"
    r6 = found.get("R6")
    assert r6 is not None
    assert "M54.17" not in {c.code for c in r6.codes}
    assert {c.version for c in r6.codes} == {"FY2026"}
