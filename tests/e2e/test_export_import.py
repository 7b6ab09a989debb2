"""Export of signed encounters (PDF, FHIR R4, the export folder) and the patient import."""

from __future__ import annotations

import base64
import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinic_app.app import build_services
from clinic_app.domain.errors import ClinicError, PermissionDenied
from clinic_app.services import files
from clinic_app.services.export import ExportFormat
from clinic_app.settings import load_settings, save_settings
from clinic_app.storage import compact_json

BOTH_SIDES = {
    "right": {"tinel": {"tarsal_tunnel": {"result": "positive"}}, "vibration_hallux": "reduced"},
    "left": {"tinel": {"tarsal_tunnel": {"result": "negative"}}, "vibration_hallux": "normal"},
    "lumbar": {"right": {"achilles": {"grade": "0"}}, "left": {"achilles": {"grade": "2+"}}},
}


def signed_encounter(clinic: dict[str, Any], services: Any) -> int:
    principal = clinic["principal"]
    enc = services.encounters.get(principal, clinic["encounter_id"]).encounter
    content = enc.content.model_dump(mode="json")
    for key, value in BOTH_SIDES.items():
        for sub, found in value.items():
            content["exam"][key][sub].update(found) if isinstance(found, dict) else None
            if not isinstance(found, dict):
                content["exam"][key][sub] = found
    saved = services.encounters.save_draft(principal, enc.id, content, enc.version)
    services.encounters.sign(principal, enc.id, saved.version)
    return int(enc.id)


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for value in node for r in references(value)]
    return []


def test_fhir_bundle_validates_round_trips_and_carries_laterality(
    clinic: dict[str, Any], tmp_path: Path
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    enc_id = signed_encounter(clinic, services)
    out = services.exports.export(
        clinic["principal"], enc_id, ExportFormat.FHIR, tmp_path / "b.json"
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    bundle = Bundle.model_validate(data)
    assert json.loads(bundle.model_dump_json(exclude_none=True)) == data
    assert data["type"] == "collection"
    urls = {entry["fullUrl"] for entry in data["entry"]}
    refs = references(data)
    assert refs
    assert set(refs) <= urls
    kinds = [entry["resource"]["resourceType"] for entry in data["entry"]]
    assert kinds[:2] == ["Patient", "Encounter"]
    observations = [
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    sided = [o for o in observations if "bodySite" in o]
    assert {o["bodySite"]["coding"][0]["code"] for o in sided} == {"24028007", "7771000"}
    for obs in observations:
        path_code = obs["code"]["coding"][0]
        assert path_code["system"] == "urn:clinic:neurofoot-exam"
    tinel = [o for o in sided if o["code"]["coding"][0]["code"] == "tinel-tarsal-tunnel-result"]
    assert len(tinel) == 2  # one per side
    doc = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "DocumentReference"
    )
    pdf = base64.b64decode(doc["content"][0]["attachment"]["data"])
    note, _stem = services.exports.content(clinic["principal"], enc_id, ExportFormat.PDF)
    assert pdf == note
    assert pdf.startswith(b"%PDF")


def test_the_front_desk_cannot_export_and_drafts_are_refused(
    clinic: dict[str, Any], tmp_path: Path
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    with pytest.raises(ClinicError, match="draft"):
        services.exports.export(
            clinic["principal"], clinic["encounter_id"], ExportFormat.PDF, tmp_path / "x.pdf"
        )
    admin = services.accounts.login("admin", clinic["password"])
    services.accounts.create_account(
        admin,
        {
            "username": "desk",
            "display_name": "Desk",
            "password": clinic["password"],
            "roles": ["front_desk"],
        },
    )
    desk = services.accounts.login("desk", clinic["password"])
    enc_id = signed_encounter(clinic, services)
    with pytest.raises(PermissionDenied):
        services.exports.export(desk, enc_id, ExportFormat.PDF, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_a_tampered_encounter_is_not_exported(clinic: dict[str, Any], tmp_path: Path) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    enc_id = signed_encounter(clinic, services)
    db = sqlite3.connect(clinic["data_dir"] / "clinic.sqlite3")
    row = db.execute("SELECT content FROM encounters WHERE id = ?", (enc_id,)).fetchone()
    content = compact_json.unpack(row[0])  # stored compressed; written back as plain JSON
    content["notes"] = "changed after signing"
    db.execute("UPDATE encounters SET content = ? WHERE id = ?", (json.dumps(content), enc_id))
    db.commit()
    db.close()
    with pytest.raises(ClinicError, match="integrity"):
        services.exports.export(clinic["principal"], enc_id, ExportFormat.FHIR, tmp_path / "t.json")
    assert not (tmp_path / "t.json").exists()


def test_every_export_is_audited_with_where(clinic: dict[str, Any], tmp_path: Path) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    enc_id = signed_encounter(clinic, services)
    out = tmp_path / "note.pdf"
    services.exports.export(clinic["principal"], enc_id, ExportFormat.PDF, out)
    db = sqlite3.connect(clinic["data_dir"] / "clinic.sqlite3")
    details = [r[0] for r in db.execute("SELECT detail FROM audit_log WHERE action = 'export'")]
    db.close()
    assert any(str(out) in detail and detail.startswith("pdf written") for detail in details)


def folder_services(clinic: dict[str, Any], folder: Path) -> Any:
    folder.mkdir(exist_ok=True)
    settings = load_settings(clinic["data_dir"]).model_copy(update={"export_dir": folder})
    save_settings(settings)
    return build_services(load_settings(clinic["data_dir"]))


def test_signing_writes_the_export_folder(clinic: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "to-emr"
    services = folder_services(clinic, folder)
    signed_encounter(clinic, services)
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2
    assert names[0].endswith(".fhir.json")
    assert names[1].endswith(".pdf")
    assert names[0].split("_")[1] == services.clock.today().isoformat()


def test_a_full_disk_is_reported_and_retried(
    clinic: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "to-emr"
    services = folder_services(clinic, folder)
    real = files.write_atomically

    def full(path: Path, data: bytes) -> None:
        if path.parent == folder:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(files, "write_atomically", full)
    enc_id = signed_encounter(clinic, services)  # signing itself succeeds
    assert services.exports.pending == (enc_id,)
    assert list(folder.iterdir()) == []
    monkeypatch.setattr(files, "write_atomically", real)
    result = services.exports.retry(clinic["principal"])
    assert result.problem is None
    assert len(result.written) == 2
    assert services.exports.pending == ()


def test_full_disk_message_is_clear(
    clinic: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "to-emr"
    services = folder_services(clinic, folder)
    monkeypatch.setattr(files, "write_atomically", _no_space)
    enc_id = signed_encounter(clinic, services)
    result = services.exports.after_signing(clinic["principal"], enc_id)
    assert result.problem is not None
    assert "is full" in result.problem
    assert "retried" in result.problem


def _no_space(path: Path, data: bytes) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_kill_minus_nine_mid_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "MRN_2026-05-04_enc000001.pdf"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from clinic_app.services import files\n"
        "os.replace = lambda a, b: (print('written', flush=True), time.sleep(60))\n"
        f"files.write_atomically(Path({str(target)!r}), b'%PDF' * 100000)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "written"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not target.exists()
    leftovers = list(tmp_path.glob(".*.tmp"))
    assert leftovers  # the temporary file, never the export's name
    from clinic_app.services.export import ExportService

    ExportService._sweep(tmp_path)
    assert list(tmp_path.iterdir()) == []


CSV = (
    b"Last Name,First Name,DOB,Sex,MRN,Phone,Insurance\n"
    b"Rivera,Ana,1970-03-02,F,A-100,(218) 555-0100,Acme\n"
    b"Okafor,Grace,1958-05-06,female,,,\n"
    b"Chen,Li,02/30/1980,M,,,\n"
    b"Moss,Kit,2099-01-01,M,,,\n"
    b"Ode,Bo,1966-07-07,M,,12,\n"
    b"Rivera,Ana,1970-03-02,F,,,\n"
    b"Park,Jun,1990-10-10,M,B-200,,\n"
) + "Müller,Jörg,1975-01-01,M,,,\n".encode("latin-1")


def test_import_dry_run_reports_each_row_and_writes_nothing(
    clinic: dict[str, Any], tmp_path: Path
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    source = tmp_path / "patients.csv"
    source.write_bytes(CSV)
    report = services.patient_import.run(clinic["principal"], source)
    outcome = {row.row: (row.outcome, row.reason) for row in report.rows}
    assert outcome[2][0] == "add"
    assert outcome[3] == ("duplicate", outcome[3][1])  # Grace Okafor is already registered
    assert "date of birth" in outcome[3][1]
    assert outcome[4][0] == "refused"  # no such day
    assert "future" in outcome[5][1]
    assert outcome[6][0] == "refused"  # bad phone
    assert "phone" in outcome[6][1]
    assert outcome[7] == ("duplicate", "same name and date of birth as row 2")
    assert outcome[8][0] == "add"
    assert "UTF-8" in outcome[9][1]
    assert "Insurance" in report.text()
    assert "Dry run: nothing was written" in report.text()
    db = sqlite3.connect(clinic["data_dir"] / "clinic.sqlite3")
    assert db.execute("SELECT count(*) FROM patients").fetchone()[0] == 1
    report = services.patient_import.run(clinic["principal"], source, apply=True)
    assert report.written == 2
    assert db.execute("SELECT count(*) FROM patients").fetchone()[0] == 3
    db.close()


def test_import_fhir_ndjson(clinic: dict[str, Any], tmp_path: Path) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    lines = [
        {
            "resourceType": "Patient",
            "name": [{"family": "Lund", "given": ["Eva"]}],
            "birthDate": "1980-01-02",
            "gender": "female",
            "identifier": [{"value": "X-1"}],
        },
        {"resourceType": "Observation"},
    ]
    source = tmp_path / "patients.ndjson"
    source.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    report = services.patient_import.run(clinic["principal"], source)
    assert [r.outcome for r in report.rows] == ["add", "refused"]


def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic_app",
            "export",
            "abc",
            "--format",
            "pdf",
            "--out",
            str(tmp_path / "x.pdf"),
            "--user",
            "u",
            "--temp-data-dir",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_the_front_desk_imports_demographics_but_not_clinical_facts(
    clinic: dict[str, Any], tmp_path: Path
) -> None:
    services = build_services(load_settings(clinic["data_dir"]))
    admin = services.accounts.login("admin", clinic["password"])
    services.accounts.create_account(
        admin,
        {
            "username": "desk",
            "display_name": "Front Desk",
            "password": clinic["password"],
            "roles": ["front_desk"],
        },
    )
    desk = services.accounts.login("desk", clinic["password"])
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "last_name,first_name,dob,diabetes\nReyes,Lucia,1971-02-03,\nOrtiz,Pablo,1966-07-08,yes\n",
        encoding="utf-8",
    )
    report = services.patient_import.run(desk, csv_file)
    outcomes = {r.name: r.outcome for r in report.rows}
    assert outcomes["Reyes, Lucia"] == "add"
    assert outcomes["Ortiz, Pablo"] == "refused"
    refused = next(r for r in report.rows if r.name == "Ortiz, Pablo")
    assert "clinician" in refused.reason
