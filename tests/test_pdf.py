"""PDF and image inputs: text layers, Tesseract OCR, replayed and failing OCR engines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pymupdf
import pytest

from extract.ocr import CachedEngine, FailingEngine, TesseractEngine
from pipelines.ingest import ingest
from tests.conftest import SAMPLES
from tests.test_cli_ingest import run_cli

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
REPORT = SAMPLES / "xa-binh-thanh-2025.txt"


def appendix_lines(limit: int | None = None) -> list[str]:
    """The commune report's appendix as its PDF printed it, one visual line each."""
    text = REPORT.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(text) if line.strip() == "PHỤ LỤC I")
    end = next(i for i, line in enumerate(text) if line.strip() == "DANH MỤC")
    lines = [line.strip() for line in text[start:end] if line.strip()]
    return lines[:limit] if limit else lines


def make_pdf(path: Path, lines: list[str], per_page: int = 45, scanned: bool = False) -> Path:
    """A born-digital PDF of ``lines`` (PyMuPDF, DejaVu Sans); ``scanned`` keeps only a 300 dpi
    image of each page, with no text layer, as a scanner would."""
    doc = pymupdf.open()
    for start in range(0, len(lines), per_page):
        page = doc.new_page()
        page.insert_font(fontname="dv", fontfile=FONT)
        for n, line in enumerate(lines[start:start + per_page]):
            page.insert_text((40, 50 + 16 * n), line[:95], fontname="dv", fontsize=8.5)
    if scanned:
        image_doc = pymupdf.open()
        for page in doc:
            pix = page.get_pixmap(dpi=300, colorspace=pymupdf.csGRAY)
            image_doc.new_page(width=page.rect.width, height=page.rect.height).insert_image(
                page.rect, pixmap=pix)
        doc = image_doc
    doc.save(path)
    return path


def values(out: Path, source: str) -> dict[str, float | int | None]:
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    return {r["indicator_id"]: r["value"] for r in rows if r["source"] == source}


def test_text_layer_pdf_gives_the_text_dump_values(tmp_path):
    pdf = make_pdf(tmp_path / "report.pdf", appendix_lines())
    out = tmp_path / "out"
    assert run_cli("ingest", str(pdf), str(REPORT), "--out", str(out)).returncode == 0
    docs = {d["source"]: d for d in map(json.loads,
                                         (out / "documents.jsonl").read_text().splitlines())}
    assert docs["report.pdf"]["kind"] == "pdf-text"
    from_pdf, from_text = values(out, "report.pdf"), values(out, REPORT.name)
    assert len(from_pdf) == 120
    assert from_pdf == {k: v for k, v in from_text.items() if k in from_pdf}
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert {r["page"] for r in rows if r["source"] == "report.pdf"} == set(range(1, 7))
    text = (out / "text" / "report.pdf.txt").read_text(encoding="utf-8")
    assert text.count("\f") == 5 and "Tỷ lệ hoàn thành Chương trình CCHC" in text


@pytest.mark.slow
def test_scanned_page_is_read_by_tesseract(tmp_path):
    pdf = make_pdf(tmp_path / "scan.pdf", appendix_lines(45), scanned=True)
    out = tmp_path / "out"
    assert run_cli("ingest", str(pdf), "--out", str(out)).returncode == 0
    doc = json.loads((out / "documents.jsonl").read_text())
    assert doc["kind"] == "pdf-scan" and doc["catalogs"] == ["tn2025.pl2"]
    got = values(out, "scan.pdf")
    assert got["tn2025.pl2/1.4.1"] == 480
    assert got["tn2025.pl2/1.1.a"] == 50 and got["tn2025.pl2/1.2.3.b"] == 12
    assert "Tỷ lệ hoàn thành Chương trình CCHC" in (out / "text" / "scan.pdf.txt").read_text()


@pytest.mark.slow
def test_cached_engine_replays_and_failing_page_is_reported(tmp_path):
    pdf = make_pdf(tmp_path / "scan.pdf", appendix_lines(90), scanned=True)
    cache = tmp_path / "cache"
    recorder = CachedEngine(cache, inner=TesseractEngine())
    first = ingest([pdf], tmp_path / "a", engine=recorder, workers=1)
    assert first[0].status == "ok" and len(list(cache.glob("*.json"))) == 2
    replay = CachedEngine(cache)  # no Tesseract behind it: answers only from the cache
    second = ingest([pdf], tmp_path / "b", engine=replay, workers=1)
    assert values(tmp_path / "a", "scan.pdf") == values(tmp_path / "b", "scan.pdf")
    failing = FailingEngine(replay, fail_calls={1})
    third = ingest([pdf], tmp_path / "c", engine=failing, workers=1)
    assert third[0].status == "ok"
    assert third[0].page_errors == ["page 1: injected failure"]
    pages = {json.loads(x)["page"] for x in (tmp_path / "c" / "records.jsonl").read_text()
             .splitlines()}
    assert pages == {2}
    shutil.rmtree(cache)
    lost = ingest([pdf], tmp_path / "d", engine=CachedEngine(cache), workers=1)
    assert lost[0].status == "error" and "no page could be read" in lost[0].message
    assert second[0].status == "ok"
