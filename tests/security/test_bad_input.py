"""Bad input contained: crafted files and input get one line (or a field message), no traceback.

Each test is an attack with a crafted file or input; each asserts that it is refused in one
line or at the field, that nothing was written or extracted, and that the data is intact.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.domain.practice import PNG_MAGIC
from clinic_app.services.backup import BackupInvalid
from clinic_app.services.container import Services
from clinic_app.services.patients import LikelyDuplicate
from clinic_app.storage.backup import MANIFEST_TABLE, ZIP_DUMP, ZIP_MANIFEST, PostgresBackup
from clinic_app.storage.db import make_engine, sqlite_url
from clinic_app.storage.repositories import SqlPatientRepository
from security.helpers import ADMIN_PASSWORD, make_practice, refused, rows, run_cli

DEEP = 100_000


def deep_json() -> str:
    """JSON nested far deeper than Python's recursion limit."""
    return "[" * DEEP + "]" * DEEP


# --------------------------------------------------------------------------- nested JSON


def test_a_deeply_nested_settings_file_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    (data / "settings.json").write_text('{"backup_keep": ' + deep_json() + "}")

    refused(run_cli(tmp_path, data, "audit", "verify"), "settings file", "nested")


def test_a_backup_with_a_deeply_nested_manifest_is_refused_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    backup = tmp_path / "crafted.sqlite3"
    made = run_cli(
        tmp_path, data, "backup", "--out", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )
    assert made.returncode == 0, made.stderr
    conn = sqlite3.connect(backup)
    conn.execute(f"UPDATE {MANIFEST_TABLE} SET value = ? WHERE key = 'row_counts'", (deep_json(),))
    conn.commit()
    conn.close()
    before = rows(data, "SELECT * FROM patients")

    result = run_cli(
        tmp_path, data, "restore", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )

    refused(result, "manifest cannot be read")
    assert rows(data, "SELECT * FROM patients") == before
    assert not (data / "replaced").exists()


# --------------------------------------------------------------------------- zip archives


@pytest.fixture
def pg_adapter(tmp_path: Path) -> Iterator[PostgresBackup]:
    """The PostgreSQL backup reader (its checks of the archive need no server)."""
    engine = make_engine(sqlite_url(tmp_path / "unused.sqlite3"))
    yield PostgresBackup(engine)
    engine.dispose()


def manifest_json() -> str:
    """A manifest as clinic_app writes one."""
    return json.dumps(
        {
            "format": "clinic_app-backup",
            "format_version": "1",
            "app_version": "0",
            "schema_revision": "0001",
            "created_at": "2026-01-01T00:00:00+00:00",
            "backend": "postgresql",
            "row_counts": "{}",
        }
    )


def temp_leftovers(tmp: Path) -> list[Path]:
    """Anything the reader extracted into the temporary folder."""
    return [p for p in tmp.rglob("*") if p.is_file()]


def test_a_zip_bomb_is_refused_before_anything_is_extracted(
    tmp_path: Path, pg_adapter: PostgresBackup, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ZIP_MANIFEST, manifest_json())
        with archive.open(ZIP_DUMP, "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(300):  # 300 MB of zeros, a few hundred KB packed
                member.write(block)
    assert bomb.stat().st_size < 2 << 20

    with pytest.raises(BackupInvalid, match="packed") as err:  # from the sizes in the header
        pg_adapter.verify(bomb)

    assert "\n" not in str(err.value)
    assert temp_leftovers(tmp) == []


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({ZIP_MANIFEST: deep_json(), ZIP_DUMP: "x"}, "manifest cannot be read"),
        ({ZIP_MANIFEST: manifest_json(), ZIP_DUMP: "x", "../evil.sh": "rm -rf"}, "other files"),
        ({ZIP_MANIFEST: " " * (2 << 20), ZIP_DUMP: "x"}, "too big"),
    ],
)
def test_crafted_archives_are_refused_in_one_line(
    tmp_path: Path,
    pg_adapter: PostgresBackup,
    monkeypatch: pytest.MonkeyPatch,
    members: dict[str, str],
    words: str,
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    crafted = tmp_path / "crafted.zip"
    with zipfile.ZipFile(crafted, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)

    with pytest.raises(BackupInvalid, match=words) as err:
        pg_adapter.verify(crafted)

    assert "\n" not in str(err.value)
    assert temp_leftovers(tmp) == []
    assert not (tmp_path / "evil.sh").exists()


# --------------------------------------------------------------------------- images


def png_header(width: int, height: int) -> bytes:
    """The start of a PNG claiming this size (nothing after the header is needed)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return PNG_MAGIC + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a JPEG claiming this size: SOI, an APP0 segment, then SOF0."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0


@pytest.mark.parametrize("header", [png_header, jpeg_header])
def test_a_logo_that_decodes_to_a_huge_image_is_refused_at_the_field(
    services: Services, admin: Principal, header: Callable[[int, int], bytes]
) -> None:
    details = {
        "name": "Heel Clinic",
        "address": ["1 Main St"],
        "phone": "555 0100",
        "logo": header(30_000, 30_000) + bytes(1000),
    }

    with pytest.raises(FieldErrors) as err:
        services.practice.update(admin, details, 0)

    assert "30000 x 30000 pixels" in err.value.errors["logo"]
    assert services.practice.get() is None
    ok = services.practice.update(admin, {**details, "logo": header(400, 200) + bytes(100)}, 0)
    assert ok.logo is not None


# --------------------------------------------------------------------------- search


def test_a_pasted_page_in_the_search_box_answers_at_once(
    services: Services, front_desk: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.patients.register(
        front_desk,
        {"family_name": "Realperson", "given_name": "Ana", "date_of_birth": date(1970, 1, 2)},
    )
    pasted = "realperson ana " + " ".join(f"w{i}" for i in range(6000))
    pasted = (pasted + "x" * 32_767)[:32_767]
    asked: list[str] = []
    real_search = SqlPatientRepository.search

    def recorded(self: SqlPatientRepository, text: str, limit: int) -> Any:
        asked.append(text)
        return real_search(self, text, limit)

    monkeypatch.setattr(SqlPatientRepository, "search", recorded)

    found = services.patients.search(front_desk, pasted)

    # What reaches the database is a few words, not one index probe per pasted word (a
    # clock here would only measure how busy the machine is).
    assert asked == ["realperson ana w0 w1 w2 w3"]
    assert found == []  # the first six words are kept: realperson, ana, w0..w3
    assert [p.family_name for p in services.patients.search(front_desk, "realperson ana")] == [
        "Realperson"
    ]


# --------------------------------------------------------------------------- registration races


def at_once(count: int, work: Callable[[int], object]) -> list[object]:
    """Run work(i) in count threads released together; each result or raised error."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def workstation_desks(
    workstations: object, services: Services, admin: Principal, count: int
) -> list[tuple[Services, Principal]]:
    """Front-desk people at count workstations sharing one database."""
    services.accounts.create_account(
        admin,
        {
            "username": "desk",
            "display_name": "Desk",
            "password": "front-desk-stapler",
            "roles": {Role.FRONT_DESK},
        },
    )
    out = []
    for _ in range(count):
        station = workstations.open()  # type: ignore[attr-defined]
        out.append((station, station.accounts.login("desk", "front-desk-stapler")))
    return out


def test_three_workstations_registering_the_same_person_make_one_patient(
    workstations: object, services: Services, admin: Principal
) -> None:
    desks = workstation_desks(workstations, services, admin, 3)
    person = {"family_name": "Twin", "given_name": "Ana", "date_of_birth": date(1980, 5, 6)}

    results = at_once(3, lambda i: desks[i][0].patients.register(desks[i][1], person))

    made = [r for r in results if not isinstance(r, Exception)]
    assert len(made) == 1, results
    assert all(isinstance(r, LikelyDuplicate) for r in results if isinstance(r, Exception))
    desk = desks[0]
    assert len(desk[0].patients.search(desk[1], "twin ana")) == 1


def test_two_workstations_taking_the_same_mrn_get_a_message_at_the_field(
    workstations: object, services: Services, admin: Principal
) -> None:
    desks = workstation_desks(workstations, services, admin, 2)
    people = [
        {
            "family_name": name,
            "given_name": "Bo",
            "date_of_birth": date(1990, 1, 1),
            "mrn": "MRN-777",
        }
        for name in ("First", "Second")
    ]

    results = at_once(2, lambda i: desks[i][0].patients.register(desks[i][1], people[i]))

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], FieldErrors)
    assert "MRN" in errors[0].errors["mrn"]
    assert not isinstance(errors[0], ClinicError) or "Traceback" not in str(errors[0])
