"""Document metadata (mapping.metadata) on real pages: seeds, OCR'd page 1 of real scans,
text layers (through the CLI into documents.jsonl: tests/test_cli_ingest.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import pytest

from extract.types import Document, Line
from mapping.metadata import legible_text, read_metadata
from pipelines.ingest import read_document
from pipelines.textmap import repair_document
from tests.conftest import ROOT, SAMPLES

DATA = ROOT / "tests" / "data" / "metadata"
EXPECTED = {row["document"]: row for row in map(json.loads, (
    DATA / "expected.jsonl").read_text(encoding="utf-8").splitlines())}


def lines_of(*texts: str) -> list[Line]:
    return [Line(text, 1, i + 1) for i, text in enumerate(texts)]


def repaired(lines: list[Line]) -> list[Line]:
    fixed = repair_document(Document("x", "text", lines=lines))
    return [replace(line, text=text) for line, text in zip(lines, fixed.lines, strict=True)]


def ocr_lines(name: str) -> list[Line]:
    rows = map(json.loads, (DATA / f"{name}.p1.ocr.jsonl").read_text(encoding="utf-8").split(
        "\n")[:-1])
    return [Line(**{k: tuple(v) if isinstance(v, list) else v for k, v in row.items()})
            for row in rows]


@cache
def sample_lines(name: str) -> list[Line]:
    document = read_document(SAMPLES / f"{name}.txt")
    return repaired(document.lines)


def test_seed_001_ocr_without_diacritics():
    """001: OCR without a Vietnamese model, two columns joined on each line, repaired."""
    meta = read_metadata(sample_lines("so-dan-toc-thai-nguyen-432-2025"))
    expected = EXPECTED["seed:001"]
    for field in ("doc_type", "number", "date", "place", "issuer", "issuer_parent",
                  "signer_title"):
        assert getattr(meta, field).value == expected[field], field
    assert meta.number.line == 4 and meta.date.line == 4  # provenance: the line read
    assert meta.summary.value.startswith("Tổng kết Chương trình CCHC nhà nước")
    assert meta.summary.value.endswith("giai đoạn 2026 - 2030 của Số Dân tộc và Tôn giáo")


def test_seed_002_fields_absent_stay_empty():
    """002's text starts at its title: no number, date or issuer printed, none invented."""
    meta = read_metadata(sample_lines("xa-binh-thanh-2025"))
    expected = EXPECTED["seed:002"]
    assert meta.doc_type.value == "Báo cáo"
    assert meta.summary.value == expected["summary"]
    assert (meta.number.value, meta.date.value, meta.issuer.value) == (None, None, None)
    assert (meta.signer.value, meta.signer_title.value) == ("Ma Khánh Sơn", "CHỦ TỊCH")


def test_template_000_markdown_and_signature_block():
    meta = read_metadata(sample_lines("template-thai-nguyen-ke-hoach-73-2025"))
    expected = EXPECTED["seed:000"]
    assert meta.doc_type.value == "Kế hoạch"
    assert meta.summary.value == expected["summary"]
    assert meta.signer.value == "Nguyễn Thị Loan"
    assert meta.signer_title.value == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    assert meta.number.value is None  # the converted template lost its header


@pytest.mark.parametrize("name", ["qd-3588-bgddt-2025-garbage-text-layer",
                                  "qn-299-ubnd-tthc", "qn-23-bc-2025-cchc"])
def test_real_scans_page_1_ocr(name):
    """Page 1 of real scans, OCR'd by Tesseract vie: kind, place and issuer as printed."""
    meta = read_metadata(repaired(ocr_lines(name)))
    expected = EXPECTED[f"real:{name}"]
    for field in ("doc_type", "place", "issuer"):
        assert getattr(meta, field).value == expected[field], field


@pytest.mark.parametrize("name", ["qn-23-bc-2025-cchc", "qn-280-bc-2024-du-toan",
                                  "qn-22-ttr-2025-du-toan", "qn-299-ubnd-tthc",
                                  "qn-07-ct-2018-thi-hanh-an", "qn-01-ct-2021-hoa-don-dien-tu"])
def test_number_and_day_written_in_by_hand_are_not_print(name):
    """``Số: 23 /BC-UBND`` and ``ngày 23`` written in by hand at registration (the page
    prints ``Số:    /BC-UBND``): OCR reads them ``22``, ``@3``; number and date stay empty,
    nothing is invented. The rest of the header is read as printed."""
    meta = read_metadata(repaired(ocr_lines(name)))
    expected = EXPECTED[f"real:{name}"]
    assert expected["number"] is None and expected["written_in"]["number"]  # the hand-read truth
    assert (meta.number.value, meta.date.value) == (None, None)
    assert meta.number.confidence <= 0.6  # not sure the page prints none: it holds handwriting
    for field in ("doc_type", "issuer"):
        assert getattr(meta, field).value == expected[field], field


@pytest.mark.xfail(strict=True, reason="QĐ 2229's drawn 2229, 09 and 10 are OCR'd by plain "
                   "Tesseract at 0.86-0.91 and glued to the code: nothing on the text tells "
                   "them from print (vnextract's own OCR of the page reads the day at 0.57)")
def test_number_drawn_glued_to_its_code_and_confident_day():
    meta = read_metadata(repaired(ocr_lines("qd-2229-ttg-2025-appendix-table")))
    assert (meta.number.value, meta.date.value) == (None, None)


def test_illegible_figures_and_specks_are_left_out_of_ocr_lines():
    """Word confidences decide: the handwritten day goes, the printed code stays even when
    Tesseract doubts it, specks and pen strokes read as ``^``/``k4`` go; a text layer's line
    is kept as it is."""
    line = Line("Số: 22 /BC-UBND Quảng Ngãi, ngày⁄{5 tháng 01 năm 2025", 1, 1,
                word_confidences=(0.97, 0.42, 0.92, 0.96, 0.97, 0.22, 0.97, 0.55, 0.97, 0.96))
    assert legible_text(line) == "Số: /BC-UBND Quảng Ngãi, ngày tháng năm 2025"
    speckled = Line("Về ^ việc điều k4 chỉnh 3588/QĐ-BGDĐT", 1, 1,
                    word_confidences=(0.97, 0.73, 0.97, 0.97, 0.63, 0.97, 0.59))
    assert legible_text(speckled) == "Về việc điều chỉnh 3588/QĐ-BGDĐT"
    assert legible_text(Line("Số: 22 /BC-UBND", 1, 1)) == "Số: 22 /BC-UBND"


def test_printed_number_on_a_scan_with_its_code_misread():
    """A typed number is glued to its code; Tesseract's doubled Đ (``QĐÐ``) is one Đ."""
    meta = read_metadata([
        Line("BỘ GIÁO DỤC VÀ ĐÀO TẠO", 1, 1, word_confidences=(0.97,) * 5),
        Line("Số: 3588/QĐÐ-BGDĐT", 1, 2, word_confidences=(0.93, 0.59)),
        Line("Hà Nội, ngày 26 tháng 12 năm 2025", 1, 3, word_confidences=(0.96,) * 8),
        Line("QUYẾT ĐỊNH", 1, 4, word_confidences=(0.91, 0.95))])
    assert (meta.number.value, meta.date.value) == ("3588/QĐ-BGDĐT", "2025-12-26")
    assert meta.issuer.value == "BỘ GIÁO DỤC VÀ ĐÀO TẠO"


def test_draft_has_no_number_or_date():
    """A draft prints ``Số:   /2025/TT-BGDĐT`` and ``ngày   tháng   năm 2025``: empty."""
    meta = read_metadata(repaired(ocr_lines("du-thao-2025-rotated-pages")))
    assert meta.number.value is None and meta.date.value is None
    assert meta.doc_type.value == "Thông tư"
    assert meta.issuer.value == "BỘ GIÁO DỤC VÀ ĐÀO TẠO"  # letter-spaced OCR rejoined


def test_cong_van_and_signature_stamp():
    meta = read_metadata(lines_of(
        "Ký bởi: Ủy ban nhân dân", "tỉnh Quảng Ngãi", "Thời gian ký: 05/01/2021", "08:15:24",
        "UBND HUYỆN ĐỊNH HÓA CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "UBND XÃ BÌNH THÀNH Độc lập - Tự do - Hạnh phúc",
        "Số: 12 /UBND-VP Bình Thành, ngày 3 tháng 02 năm 2025",
        "V/v báo cáo kết quả", "cải cách hành chính", "Kính gửi: UBND huyện"))
    assert meta.doc_type.value == "Công văn"
    assert meta.number.value == "12/UBND-VP"
    assert (meta.date.value, meta.place.value) == ("2025-02-03", "Bình Thành")
    assert (meta.issuer.value, meta.issuer_parent.value) == ("UBND XÃ BÌNH THÀNH",
                                                             "UBND HUYỆN ĐỊNH HÓA")
    assert meta.summary.value == "V/v báo cáo kết quả cải cách hành chính"
    assert meta.signed_by.value == "Ủy ban nhân dân tỉnh Quảng Ngãi"
    assert meta.signed_at.value == "2021-01-05T08:15:24"


def test_ocr_noise_in_date_words_and_digits():
    meta = read_metadata(lines_of("Số: 7 /KH-UBND Ha Noi, ngay 2O thang 0I nam 2024", "KẾ HOẠCH",
                                  "Triển khai công tác năm 2024"))
    assert meta.date.value == "2024-01-20"
    assert meta.date.confidence < read_metadata(lines_of(
        "Số: 7 /KH-UBND Hà Nội, ngày 20 tháng 01 năm 2024")).date.confidence
    assert meta.place.value == "Hà Nội"
    assert meta.doc_type.value == "Kế hoạch" and meta.doc_type.confidence > 0.9  # KH agrees


def test_body_dates_are_not_the_document_date():
    """A date cited in the body (``Căn cứ … ngày 15 tháng 7 năm 2021``) is no header date."""
    meta = read_metadata(lines_of("QUYẾT ĐỊNH", "Về việc ban hành quy chế",
                                  "Căn cứ Nghị quyết ngày 15 tháng 7 năm 2021 của Chính phủ"))
    assert meta.date.value is None
    assert meta.summary.value == "Về việc ban hành quy chế"
