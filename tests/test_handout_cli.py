"""`clinic-app handout`, run as a subprocess: the list, a printed PDF, one-line refusals."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_cli import assert_one_line_refusal, run_cli, written_files

from clinic_app import resources
from clinic_app.services.handouts import HandoutLibrary

LIBRARY = HandoutLibrary(resources.handouts_dir())


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def out_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "prints"
    folder.mkdir()
    return folder


def test_list_shows_id_languages_version_and_title(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "handout", "--list")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == len(LIBRARY.ids())
    for handout_id, line in zip(LIBRARY.ids(), lines, strict=True):
        english = LIBRARY.get(handout_id, "en")
        assert line.split()[:3] == [handout_id, "en,es", f"v{english.version}"]
        assert line.endswith(english.title)
    assert not (tmp_path / "data").exists(), "handout needs no data folder"


def test_a_handout_is_printed_to_the_file_and_its_path_printed(tmp_path: Path) -> None:
    out = out_folder(tmp_path) / "home care.pdf"
    result = run_cli(
        tmp_path,
        "handout",
        "tarsal-tunnel-release",
        "--lang",
        "es",
        "--out",
        str(out),
        "--patient",
        "José Peña",
        "--side",
        "left",
        "--large-print",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == f"{out}\n"
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    handout = LIBRARY.get("tarsal-tunnel-release", "es")
    for word in (
        handout.title,
        "José Peña",
        "Pie izquierdo",
        "Página 1 de",
        f"versión {handout.version}",
    ):
        assert word in text
    # Only the PDF: no temporary file left beside it, no data folder made.
    assert sorted(p.name for p in out.parent.iterdir()) == ["home care.pdf"]
    assert not (tmp_path / "data").exists()


def test_an_existing_file_is_replaced(tmp_path: Path) -> None:
    out = out_folder(tmp_path) / "handout.pdf"
    out.write_bytes(b"old")
    result = run_cli(tmp_path, "handout", "home-care", "--lang", "en", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert "Caring for your foot at home" in pdf_text(out)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["xyz", "--lang", "en"], ["unknown handout 'xyz'", "known: foot-or-back"]),
        (["home-care", "--lang", "fr"], ["unknown language 'fr'", "known: en, es"]),
        (["home-care", "--lang", "en", "--side", "middle"], ["--side", "invalid choice"]),
    ],
)
def test_unknown_handouts_languages_and_options_are_refused(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    folder = out_folder(tmp_path)
    before = written_files(tmp_path)
    result = run_cli(tmp_path, "handout", *args, "--out", str(folder / "h.pdf"))
    assert_one_line_refusal(result, *words)
    assert result.stdout == ""
    assert written_files(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["home-care", "--out", "h.pdf"], ["--lang is required"]),
        (["home-care", "--lang", "en"], ["--out FILE.pdf is required"]),
        (["--lang", "en", "--out", "h.pdf"], ["give a handout ID"]),
        (["home-care", "--list"], ["either --list or a handout ID"]),
    ],
)
def test_missing_parts_of_the_command_are_named(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    before = written_files(tmp_path)
    assert_one_line_refusal(run_cli(tmp_path, "handout", *args), *words)
    assert written_files(tmp_path) == before


def test_an_out_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    before = written_files(tmp_path)
    out = tmp_path / "nowhere" / "h.pdf"
    result = run_cli(tmp_path, "handout", "home-care", "--lang", "en", "--out", str(out))
    assert_one_line_refusal(result, "--out", "does not exist", str(out.parent))
    assert written_files(tmp_path) == before


def test_an_out_path_under_a_file_or_at_a_folder_is_refused(tmp_path: Path) -> None:
    folder = out_folder(tmp_path)
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    before = written_files(tmp_path)
    under_file = folder / "notes.txt" / "h.pdf"
    result = run_cli(tmp_path, "handout", "home-care", "--lang", "en", "--out", str(under_file))
    assert_one_line_refusal(result, "--out", "is not a folder")
    result = run_cli(tmp_path, "handout", "home-care", "--lang", "en", "--out", str(folder))
    assert_one_line_refusal(result, "--out", "is a folder")
    assert written_files(tmp_path) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes to read-only folders"
)
def test_an_out_folder_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    folder = out_folder(tmp_path)
    folder.chmod(0o555)
    try:
        before = written_files(tmp_path)
        out = folder / "h.pdf"
        result = run_cli(tmp_path, "handout", "home-care", "--lang", "en", "--out", str(out))
        assert_one_line_refusal(result, "--out", "not writable")
        assert written_files(tmp_path) == before
    finally:
        folder.chmod(0o755)
