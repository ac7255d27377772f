"""Post-correction of the marks Tesseract ``vie`` drops or swaps (normalize.postocr; issue 9).

Cases from real pages (the issue's ``sô PAKN``, ``Hệ thông``, ``Quyêt định``, ``Kê hoạch``,
``tông hợp``), negative cases that must come back unchanged (correct text, text that was not
OCR'd, words Tesseract read with confidence), the ingest path, and ``vnextract repair`` on a
crop of a real scanned page (``tests/data/qn-23-p2-top.pdf``: the top of page 2 of
``qn-23-bc-2025-cchc.pdf``, binarized; Tesseract ``vie`` reads ``sô PAKN`` and ``gôm có`` there).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import unicodedata

import pytest

from bench.postocr import compare, generated_lines, perturb
from extract.types import Document, Line
from normalize import repair_text
from normalize.diacritics import strip_diacritics
from normalize.postocr import correct_marks, load_mark_costs, mark_cost
from pipelines.textmap import repair_document
from tests.conftest import ROOT, SAMPLES

FIXTURE = ROOT / "tests" / "data" / "qn-23-p2-top.pdf"
CLI = [sys.executable, "-m", "pipelines.cli", "repair"]


def corrected(line: str, confidences: list[tuple[int, int, float]] | tuple = ()) -> str:
    """``line`` with the mark corrections of its words (as OCR'd with ``vie``)."""
    out = line
    for fix in reversed(correct_marks([line], {1: confidences})):
        out = out[: fix.start] + fix.after + out[fix.end :]
    return out


@pytest.mark.parametrize("ocr, expected", [
    ("lý: 21, trong đó, đúng hạn: 21; sô PAKN đang tiếp tục xử lý: 28; gôm có: 47",
     "lý: 21, trong đó, đúng hạn: 21; số PAKN đang tiếp tục xử lý: 28; gồm có: 47"),
    ("Kê hoạch rà soát, đơn giản hóa TTHC nội bộ trong hệ thông hành chính nhà nước",
     "Kế hoạch rà soát, đơn giản hóa TTHC nội bộ trong hệ thống hành chính nhà nước"),
    ("Quyêt định số 1648/QĐ-UBND ngày 30/11/2022", "Quyết định số 1648/QĐ-UBND ngày 30/11/2022"),
    ("Chính phủ theo dõi, tông hợp./.", "Chính phủ theo dõi, tổng hợp./."),
    ("HỌI ĐÔNG NHÂN DẦN TỈNH QUẢNG NGÃI", "HỘI ĐỒNG NHÂN DÂN TỈNH QUẢNG NGÃI"),
])
def test_marks_vie_dropped_or_swapped(ocr, expected):
    assert corrected(ocr) == expected


def test_each_change_keeps_its_reason_and_confidence():
    fixes = correct_marks(["Kê hoạch tông hợp năm 2025"], {1: [(0, 2, 0.41), (9, 13, 0.93)]})
    assert [(f.start, f.end, f.before, f.after) for f in fixes] == [
        (0, 2, "Kê", "Kế"), (9, 13, "tông", "tổng")]
    assert [f.ocr_confidence for f in fixes] == [0.41, 0.93]
    assert all(f.confidence > 0.9 for f in fixes)
    assert "tone ngang→sắc" in fixes[0].reason and "OCR word confidence 0.41" in fixes[0].reason
    assert "tone ngang→hỏi" in fixes[1].reason


def test_only_marks_change():
    lines = generated_lines()[:200]
    noisy = perturb(lines, random.Random(5))
    fixes = correct_marks(noisy, dict.fromkeys(range(1, len(noisy) + 1), ()))
    assert len(fixes) > 20
    assert all(strip_diacritics(f.before).lower() == strip_diacritics(f.after).lower()
               for f in fixes)


def test_generated_errors_are_fixed_far_more_than_correct_words_broken():
    lines = generated_lines()[:300]
    noisy = "\n".join(perturb(lines, random.Random(7)))
    every_line = dict.fromkeys(range(1, len(lines) + 1))
    scored = compare("\n".join(lines), noisy, repair_text(noisy, ocr_lines=every_line).text)
    assert scored["fixes"] >= 100 and scored["breaks"] <= scored["fixes"] // 50


# --- negative: what must come back unchanged ----------------------------------------------------


def test_correct_ocr_text_is_unchanged():
    text = unicodedata.normalize(
        "NFC", (SAMPLES / "template-thai-nguyen-ke-hoach-73-2025.txt").read_text("utf-8"))
    lines = text.split("\n")
    result = repair_text(text, ocr_lines=dict.fromkeys(range(1, len(lines) + 1)))
    assert result.text == text and result.steps == []


def test_text_not_ocrd_is_never_post_corrected():
    text = "Kê hoạch rà soát trong hệ thông hành chính\nKê hoạch tông hợp năm 2025"
    assert repair_text(text).text == text
    only_second = repair_text(text, ocr_lines={2: None})
    assert only_second.text.split("\n") == [
        "Kê hoạch rà soát trong hệ thông hành chính", "Kế hoạch tổng hợp năm 2025"]
    assert {step.line for step in only_second.steps} == {2}


def test_a_word_read_with_confidence_needs_a_larger_margin():
    line = "PAKN qua Hệ thông PAKN của Chính phủ"
    assert corrected(line, [(12, 17, 0.1)]) == "PAKN qua Hệ thống PAKN của Chính phủ"
    assert corrected(line, [(12, 17, 0.9)]) == line


def test_abbreviations_codes_numbers_and_foreign_words_are_kept():
    line = "Cổng TTĐT tỉnh, Email: vpub@quangngai.gov.vn, số 08/QĐ-TTg, 7.269,10 triệu, iOffice"
    assert correct_marks([line], {1: ()}) == []


def test_mark_costs():
    costs = load_mark_costs()
    assert mark_cost("kê", "kế", costs) == costs.tone_added
    assert mark_cost("chỉ", "chi", costs) == costs.tone_dropped
    assert mark_cost("đễ", "để", costs) == costs.tone_changed
    assert mark_cost("dạo", "đạo", costs) == costs.shape
    assert mark_cost("ngắn", "ngân", costs) == costs.shape + costs.tone_dropped


# --- the ingest path: OCR'd lines of a document ------------------------------------------------


def test_repair_document_corrects_only_the_ocrd_lines():
    text = "Kê hoạch tông hợp năm 2025"
    document = Document("scan.pdf", "pdf-mixed", lines=[
        Line(text, 1, 1),  # a text layer
        Line(text, 2, 1, confidence=0.8, word_confidences=(0.5, 0.9, 0.6, 0.9, 0.9)),
    ])
    repaired = repair_document(document)
    assert repaired.lines == [text, "Kế hoạch tổng hợp năm 2025"]
    assert [(s.line, s.fix) for s in repaired.steps] == [(2, "correct_ocr_marks")] * 2
    assert repaired.doubt(2, 1, 1, "Kế hoạch tổng hợp") is not None  # the words it wrote
    assert repaired.doubt(1, 1, 1, text) is None


# --- the command line, end to end, on a real page ----------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_cli_repairs_the_marks_of_a_scanned_page(tmp_path):
    out, explain = tmp_path / "out.txt", tmp_path / "changes.json"
    result = run_cli(str(FIXTURE), "-o", str(out), "--explain", str(explain))
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[1] == "lý: 21, trong đó, đúng hạn: 21; số PAKN đang tiếp tục xử lý: 28; gồm có: 47"
    assert lines[4:6] == ["1. Ban hành các kế hoạch: Truyền thông và kiểm tra hoạt động kiểm soát",
                          "TTHC năm 2025 trên địa bàn tỉnh."]
    changes = json.loads(explain.read_text(encoding="utf-8"))
    marks = [c for c in changes if c["fix"] == "correct_ocr_marks"]
    assert {(c["before"], c["after"], c["page"], c["page_line"]) for c in marks} >= {
        ("sô", "số", 1, 2), ("gôm", "gồm", 1, 2)}
    assert all(c["reason"].startswith("OCR mark error") and 0 < c["confidence"] <= 1
               for c in marks)
    assert "2 changes" in result.stderr or "changes" in result.stderr


@pytest.mark.slow
def test_cli_leaves_the_same_text_alone_when_it_was_not_ocrd(tmp_path):
    source = tmp_path / "page.txt"
    text = "lý: 21, trong đó, đúng hạn: 21; sô PAKN đang tiếp tục xử lý: 28; gôm có: 47\n"
    source.write_text(text, encoding="utf-8")
    out, explain = tmp_path / "out.txt", tmp_path / "changes.json"
    result = run_cli(str(source), "-o", str(out), "--explain", str(explain))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == text
    assert json.loads(explain.read_text(encoding="utf-8")) == []


def test_cli_refuses_an_encoding_for_a_pdf(tmp_path):
    result = run_cli(str(FIXTURE), "--encoding", "tcvn3")
    assert result.returncode == 1 and "applies to text files" in result.stderr
