"""PDF and image inputs: text layers, Tesseract OCR, replayed and failing OCR engines."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pymupdf
import pytest

from bench.synth import degrade, fill_catalog, render_page, render_pdf
from extract.ocr import CachedEngine, FailingEngine, OcrWord, TesseractEngine
from extract.pdf import DISAGREE_CONFIDENCE, PageJob, _vote_value, read_page
from mapping.catalog import get_catalog
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
    assert [p["source"] for p in docs["report.pdf"]["pages"]] == ["text-layer"] * 6
    assert docs[REPORT.name]["pages"][0]["source"] == "text"
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
    assert [(p["number"], p["source"], p["reason"]) for p in doc["pages"]] == [
        (1, "ocr", "no text layer over a page image covering 100%")]
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
    # one reading of each page's layout (a value column's re-readings would be cached beside)
    assert first[0].status == "ok" and len(list(cache.glob("*.vie.page.json"))) == 2
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


def _word(text: str, y: int, conf: float = 0.95, line: int = 1) -> OcrWord:
    return OcrWord(text, (10, y, 60, y + 30), conf, (1, 1, line))


def test_value_cell_vote():
    rect = (0, 0, 100, 80)
    agree = _vote_value([[_word("98,37", 5, 0.93)], [_word("98,37", 5, 0.6)], []], rect)
    assert [(w.text, w.confidence) for w in agree] == [("98,37", 0.93)]
    # the binary reading lost the comma, the text reading misread, the grey one agrees with it
    third = _vote_value([[_word("91", 5)], [_word("9,1", 5, 0.7)], [_word("9,1", 5, 0.9)]],
                        rect)
    assert [(w.text, w.confidence) for w in third] == [("9,1", 0.9)]
    split = _vote_value([[_word("77", 5)], [_word("7ï", 5)], [_word("71", 5)]], rect)
    assert [(w.text, w.confidence) for w in split] == [("77", DISAGREE_CONFIDENCE)]
    wrapped = [_word("44142,5", 5, line=1), _word("2", 40, line=2)]
    assert [w.text for w in _vote_value([wrapped, [_word("44142,52", 5)], []], rect)] == [
        "44142,52"]
    unread = _vote_value([[], [], []], rect)
    assert [(w.text, w.confidence, w.bbox) for w in unread] == [("?", 0.0, rect)]
    words = [_word("Không", 5), _word("có", 5)]
    assert _vote_value([[_word("0", 5)], words, [_word("0", 5)]], rect) == words


@pytest.mark.slow
def test_in_process_tesseract_reads_regions_as_the_command_line_does(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=120)
    page.insert_font(fontname="dv", fontfile=FONT)
    page.insert_text((20, 40), "Tổng số hồ sơ", fontname="dv", fontsize=12)
    page.insert_text((200, 40), "16.807", fontname="dv", fontsize=12)
    page.insert_text((20, 90), "Tỷ lệ văn bản", fontname="dv", fontsize=12)
    page.insert_text((200, 90), "98,37", fontname="dv", fontsize=12)
    pix = page.get_pixmap(dpi=300, colorspace=pymupdf.csGRAY)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
    engine = TesseractEngine()
    left, right = (0, 0, 700, pix.height), (780, 0, pix.width, pix.height)
    text, numbers = engine.recognize_regions(image, [left, right], "vie")
    assert " ".join(w.text for w in text) == "Tổng số hồ sơ Tỷ lệ văn bản"
    assert [w.text for w in numbers] == ["16.807", "98,37"]
    assert all(w.bbox[0] >= 780 for w in numbers)  # boxes in page pixels
    assert [w.text for w in engine.recognize_regions(image, [right], "eng", digits=True)[0]] \
        == ["16.807", "98,37"]
    ok, png = cv2.imencode(".png", np.ascontiguousarray(image[:, 780:]))
    assert [w.text for w in engine.recognize(png.tobytes(), "vie")] == ["16.807", "98,37"]


@pytest.mark.slow
def test_degraded_scan_of_a_filled_table_gives_its_printed_cells(tmp_path):
    """A table page of a generated report, scanned at 200 dpi with tilt, blur, noise, specks
    and JPEG (``bench.synth.degrade``), read as a scanned PDF: every value and row number
    as the born-digital text layer prints it."""
    catalog = get_catalog("tn2025.pl1")
    born = tmp_path / "born.pdf"
    render_pdf(fill_catalog(catalog, random.Random(11)), catalog, born)
    scan = tmp_path / "scan.pdf"
    with pymupdf.open(born) as src, pymupdf.open() as out:
        image = degrade(render_page(src[1], 200), random.Random(12))
        ok, png = cv2.imencode(".png", image)
        out.new_page(width=src[1].rect.width, height=src[1].rect.height).insert_image(
            src[1].rect, stream=png.tobytes())
        out.save(scan)
    printed = [line.text.split("\t") for line in
               read_page(PageJob(str(born), 1, "pdf"), TesseractEngine()).lines
               if "\t" in line.text]
    result = read_page(PageJob(str(scan), 0, "pdf"), TesseractEngine())
    assert result.mode == "ocr"
    read = [line.text.split("\t") for line in result.lines if "\t" in line.text]
    values = [(r[0], r[3]) for r in printed if len(r) == 5 and re.match(r"\d", r[3])]
    assert len(values) >= 10
    got = {(r[0], r[3]) for r in read if len(r) == 5}
    assert [v for v in values if v not in got] == []


@pytest.mark.parametrize("catalog_id, seed", [("tn2025.pl1", 7700), ("tn2025.pl2", 7703)])
def test_table_without_ruling_lines_from_its_text_layer(tmp_path, catalog_id, seed):
    """A borderless table: no grid to find, so rows are visual lines whose cells are centred
    on each other. A value cut after its decimal comma (``46204,`` / ``81``), a code book cut
    after its ``=`` (``Chưa có =`` / ``0``) and the page number at the top of a page (``4``)
    must not become another row's value: every printed value is read exactly, and no wrong
    value goes unflagged."""
    from bench.generalize import score_document
    from bench.synth import expected_records

    catalog = get_catalog(catalog_id)
    rows = fill_catalog(catalog, random.Random(seed))
    pdf = tmp_path / "borderless.pdf"
    render_pdf(rows, catalog, pdf, rng=random.Random(seed), ruled=False)
    with pymupdf.open(pdf) as doc:
        assert not doc[1].find_tables().tables  # nothing for the grid reader
    out = tmp_path / "out"
    assert run_cli("ingest", str(pdf), "--out", str(out)).returncode == 0
    records = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    score = score_document(records, expected_records(rows))
    assert score["rows_right"] == len(catalog.entries)
    assert score["values_exact"] >= score["values"] - 1
    assert score["wrong_unflagged"] == 0, score["wrong"]


@pytest.mark.slow
def test_degraded_scan_of_a_table_without_ruling_lines(tmp_path):
    """The same borderless table scanned (200 dpi, degraded): no grid, so each page is read
    whole, and each number read again digits-only from its own box. Rows whose value cell
    was read as nothing are flagged (``value-not-found``: empty and lost look the same), so
    no wrong value goes unflagged."""
    from bench.generalize import score_document
    from bench.scans import scan_of
    from bench.synth import expected_records

    catalog = get_catalog("tn2025.pl2")
    rows = fill_catalog(catalog, random.Random(7701))
    pdf = tmp_path / "borderless.pdf"
    render_pdf(rows, catalog, pdf, rng=random.Random(7701), ruled=False)
    out = tmp_path / "out"
    assert run_cli("ingest", str(scan_of(pdf, 7701)), "--out", str(out)).returncode == 0
    records = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    score = score_document(records, expected_records(rows))
    assert score["rows_right"] >= len(catalog.entries) - 1
    assert score["values_exact"] >= 0.95 * score["values"]
    assert score["wrong_unflagged"] == 0, score["wrong"]
