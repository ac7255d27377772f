"""Issue 9 end to end, through the CLI: real PDFs (tests/data/real, see its README) and small
fixtures made the way such PDFs are made — a signature stamp over a scan, an illegible
invisible OCR layer, a page stored sideways, a TCVN3 text layer with U+2212 for ư."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from bench.real import recall
from extract.evidence import legibility
from extract.ocr import CachedEngine, FailingEngine
from pipelines.ingest import ingest
from tests.test_cli_ingest import run_cli

REAL = Path(__file__).parent / "data" / "real"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PROSE = (Path(__file__).parents[1] / "bench" / "data" / "real_transcripts" /
         "qn-23-bc-2025-cchc.p1.txt").read_text(encoding="utf-8").splitlines()[:24]
STAMP = ["Ký bởi: Sở Nội vụ tỉnh Quảng Ngãi", "Cơ quan: Tỉnh Quảng Ngãi",
         "Thời gian ký: 05/01/2021 08:15:24"]
GARBAGE = ["CONG 110A XA HOT CHV NGHIA VItT NAM", "Doc 14p - Ttr do - Hanh pinic",
           "Can ca.Nght clink so 303/2025/ND-CP ngay 19 thcing 11 nom 2025 cna Chinhphn",
           "quy dinh chirc ming, nhiem vy, quydn hgn va ea eciu to chirc cria bo"] * 6


def _ingest(*paths: Path, out: Path) -> dict[str, dict]:
    assert run_cli("ingest", *map(str, paths), "--out", str(out)).returncode == 0
    return {d["source"]: d for d in map(json.loads,
                                         (out / "documents.jsonl").read_text().splitlines())}


def _text(out: Path, name: str) -> str:
    return (out / "text" / f"{name}.txt").read_text(encoding="utf-8")


def _recovered(text: str) -> float:
    """Share of the fixture prose's words found in ``text``."""
    right, total = recall("\n".join(PROSE), text)
    return right / total


def _page_image(lines: list[str], turn: int = 0) -> np.ndarray:
    """A page of ``lines`` printed and scanned at 300 dpi (grey), turned ``turn`` degrees
    counter-clockwise."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="dv", fontfile=FONT)
    for n, line in enumerate(lines):
        page.insert_text((50, 120 + 24 * n), line, fontname="dv", fontsize=11)
    pix = page.get_pixmap(dpi=300, colorspace=pymupdf.csGRAY)
    gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
    return np.ascontiguousarray(np.rot90(gray, turn // 90))


def _scan(path: Path, image: np.ndarray, *, flag: int = 0, stamp: list[str] | None = None,
          layer: list[str] | None = None, header: list[str] | None = None) -> Path:
    """A PDF page holding ``image`` (a scan), with a rotation flag, a stamp drawn over its
    top margin, an invisible text layer (as OCR tools leave one) and/or a visible header typed
    over the image."""
    import cv2

    doc = pymupdf.open()
    height, width = image.shape
    page = doc.new_page(width=width * 72 / 300, height=height * 72 / 300)
    page.insert_image(page.rect, stream=cv2.imencode(".png", image)[1].tobytes())
    page.insert_font(fontname="dv", fontfile=FONT)
    for n, line in enumerate(stamp or []):
        page.insert_text((400, 12 + 7 * n), line, fontname="dv", fontsize=6)
    for n, line in enumerate(layer or []):
        page.insert_text((50, 120 + 24 * n), line, fontname="dv", fontsize=11, render_mode=3)
    for n, line in enumerate(header or []):
        page.insert_text((50, 40 + 14 * n), line, fontname="dv", fontsize=9)
    page.set_rotation(flag)
    doc.save(path)
    return path


@pytest.mark.slow
def test_signed_scan_page_one_read_from_its_image(tmp_path):
    """A real signed scan: page 1's text layer is the signing stamp alone. Page 1 is read
    from its image, the stamp is metadata (with the signature field's certificate), not
    text."""
    pdf = REAL / "qn-07-ct-2018-thi-hanh-an.pdf"
    doc = _ingest(pdf, out=tmp_path)[pdf.name]
    first = doc["pages"][0]
    assert (first["source"], first["stamp_chars"], first["text_chars"]) == ("ocr", 70, 0)
    assert first["reason"].startswith("only a signature stamp (70 characters) over a page image")
    assert doc["signatures"] == [{
        "page": 1, "signer": "Trung tâm Công báo và Tin học", "organisation": "Tỉnh Quảng Ngãi",
        "unit": "Văn phòng Ủy ban Nhân dân", "email": "ttcbth@quangngai.gov.vn",
        "signed_at": "2018-03-21T16:41:00+07:00", "field": "Signature1",
        "source": "stamp+field"}]
    page_one = _text(tmp_path, pdf.name).split("\f")[0]
    assert "ttcbth@quangngai.gov.vn" not in page_one and "16:41:00" not in page_one
    reference = (Path(__file__).parents[1] / "bench" / "data" / "real_transcripts" /
                 "qn-07-ct-2018-thi-hanh-an.p1.txt").read_text(encoding="utf-8")
    right, total = recall(reference, page_one)
    assert right / total > 0.95
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page_one
    # its metadata as documents.jsonl holds it (tests/data/metadata/expected.jsonl): the
    # header as printed; the number and day written in by hand (``07``, ``20``) are no print,
    # and the receipt stamp beside the trích yếu is not part of it
    meta = {name: field["value"] for name, field in doc["metadata"].items()}
    assert (meta["doc_type"], meta["issuer"], meta["place"]) == (
        "Chỉ thị", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", "Quảng Ngãi")
    assert (meta["number"], meta["date"]) == (None, None)
    assert doc["metadata"]["number"]["confidence"] <= 0.6
    assert meta["summary"].startswith("Về việc tăng cường công tác thi hành án hành chính")
    assert meta["summary"].endswith("trên địa bàn tỉnh Quảng Ngãi")
    assert (meta["signed_by"], meta["signed_at"]) == ("Trung tâm Công báo và Tin học",
                                                      "2018-03-21T16:41:00+07:00")


@pytest.mark.slow
def test_stamp_drawn_over_a_scan_without_a_field(tmp_path):
    """A stamp drawn in the page itself (no signature field): metadata all the same, left out
    of the page image, and the body read by OCR."""
    pdf = _scan(tmp_path / "stamped.pdf", _page_image(PROSE), stamp=STAMP)
    doc = _ingest(pdf, out=tmp_path / "out")["stamped.pdf"]
    assert doc["pages"][0]["source"] == "ocr" and doc["pages"][0]["stamp_chars"] > 60
    assert doc["signatures"] == [{
        "page": 1, "signer": "Sở Nội vụ tỉnh Quảng Ngãi", "organisation": "Tỉnh Quảng Ngãi",
        "unit": None, "email": None, "signed_at": "2021-01-05T08:15:24", "field": None,
        "source": "stamp"}]
    text = _text(tmp_path / "out", "stamped.pdf")
    assert "Ký bởi" not in text and "08:15:24" not in text
    assert _recovered(text) > 0.95


def test_born_digital_signed_page_keeps_its_text_layer(tmp_path):
    """A born-digital page with a stamp: its text layer is its text (no OCR: an engine that
    fails on any call proves it), the stamp goes to the signatures."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="dv", fontfile=FONT)
    for n, line in enumerate(STAMP):
        page.insert_text((400, 12 + 7 * n), line, fontname="dv", fontsize=6)
    for n, line in enumerate(PROSE):
        page.insert_text((50, 120 + 24 * n), line, fontname="dv", fontsize=11)
    doc.save(tmp_path / "signed.pdf")
    never = FailingEngine(CachedEngine(tmp_path / "empty"), fail_calls=set(range(1, 99)))
    (status,) = ingest([tmp_path / "signed.pdf"], tmp_path / "a", engine=never, workers=1)
    assert status.status == "ok" and status.page_errors == []
    assert status.pages[0]["source"] == "text-layer"
    assert "no page image" in status.pages[0]["reason"]
    assert [s["signer"] for s in status.signatures] == ["Sở Nội vụ tỉnh Quảng Ngãi"]
    text = _text(tmp_path / "a", "signed.pdf")
    assert "Ký bởi" not in text and text.split("\n")[0] == PROSE[0]
    cli = _ingest(tmp_path / "signed.pdf", out=tmp_path / "b")["signed.pdf"]
    assert cli["pages"][0]["source"] == "text-layer" and len(cli["signatures"]) == 1


@pytest.mark.slow
def test_garbage_text_layer_is_replaced_by_ocr(tmp_path):
    """A scan whose invisible text layer came from a poor OCR: its words are mostly not
    Vietnamese, so the page is read again from its image."""
    pdf = _scan(tmp_path / "garbage.pdf", _page_image(PROSE), layer=GARBAGE)
    doc = _ingest(pdf, out=tmp_path / "out")["garbage.pdf"]
    page = doc["pages"][0]
    assert page["source"] == "ocr" and page["invisible"] == 1.0 and page["legible"] < 0.8
    assert "words legible" in page["reason"]
    text = _text(tmp_path / "out", "garbage.pdf")
    assert "110A" not in text and "Hanh pinic" not in text
    assert _recovered(text) > 0.95


@pytest.mark.slow
def test_header_typed_over_a_scan_is_not_its_text(tmp_path):
    """A legible line typed over a scan (a registry note) lies over few of the lines the page
    prints: the page is read from its image, the note with it."""
    note = ["Bản sao điện tử từ bản chính - Sở Nội vụ tỉnh Quảng Ngãi - ngày 05/01/2021"]
    pdf = _scan(tmp_path / "noted.pdf", _page_image(PROSE), header=note)
    page = _ingest(pdf, out=tmp_path / "out")["noted.pdf"]["pages"][0]
    assert page["source"] == "ocr" and page["print_covered"] < 0.2
    assert "lies over only" in page["reason"]
    text = _text(tmp_path / "out", "noted.pdf")
    assert "Bản sao điện tử" in text
    assert _recovered(text) > 0.95


def test_legible_ocr_layer_is_trusted(tmp_path):
    """The same scan with a good invisible layer keeps it: no OCR runs (an engine that fails
    on any call proves it)."""
    pdf = _scan(tmp_path / "good.pdf", _page_image(PROSE), layer=PROSE)
    never = FailingEngine(CachedEngine(tmp_path / "empty"), fail_calls=set(range(1, 99)))
    (status,) = ingest([pdf], tmp_path / "out", engine=never, workers=1)
    page = status.pages[0]
    assert status.page_errors == [] and page["source"] == "text-layer"
    assert page["legible"] >= 0.95 and page["reason"].startswith("invisible text layer")


@pytest.mark.slow
def test_page_turned_by_its_rotation_flag_is_read_upright(tmp_path):
    """A real landscape-stored scan whose /Rotate 270 makes it upright: read as shown."""
    pdf = REAL / "du-thao-2025-rotated-page1.pdf"
    doc = _ingest(pdf, out=tmp_path)[pdf.name]
    page = doc["pages"][0]
    assert page["source"] == "ocr" and page["rotation"] == 270
    text = _text(tmp_path, pdf.name)
    assert legibility(text.split("\n")) >= 0.9
    assert "THÔNG TƯ" in text and "Căn cứ Luật Giáo dục ngày 14 tháng 6 năm 2019" in text


@pytest.mark.slow
@pytest.mark.parametrize("turn, flag", [(90, 0), (270, 0), (180, 0), (0, 90), (90, 270)])
def test_page_whose_flag_and_image_disagree_is_turned(tmp_path, turn, flag):
    """Scans stored sideways or upside down without the flag that would turn them, or with
    a flag that turns them wrong (an upright scan flagged 90°, one turned 90° flagged 270°:
    shown upside down): orientation detection turns them before OCR."""
    pdf = _scan(tmp_path / "turned.pdf", _page_image(PROSE, turn), flag=flag)
    doc = _ingest(pdf, out=tmp_path / "out")["turned.pdf"]
    page = doc["pages"][0]
    assert page["source"] == "ocr" and "orientation detection" in page["reason"]
    assert page["rotation"] == turn  # degrees clockwise the stored page was turned, in all
    text = _text(tmp_path / "out", "turned.pdf")
    assert legibility(text.split("\n")) >= 0.9
    assert _recovered(text) > 0.9


def _legacy_font_pdf(path: Path) -> Path:
    """A text layer typed in TCVN3 fonts as Word + Acrobat left them: ``.VnTime`` spans of
    look-alike characters with U+2212 for ư, and a ``.VnTimeH`` (capitals) heading typed with
    the lower-case codes. The fonts are DejaVu Sans and Serif renamed (the names are what
    matters)."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="vnh", fontfile=FONT.replace("Sans", "Serif"))
    page.insert_text((60, 80), "céng hoµ x\u2219 héi chñ nghÜa viÖt nam", fontname="vnh",
                     fontsize=12)
    page.insert_font(fontname="vn", fontfile=FONT)
    body = ["Ng©n hµng Nhµ n\u2212íc h\u2212íng dÉn mét sè néi dung vÒ gãp vèn",
            "thµnh lËp Quü b¶o l·nh tÝn dông cho c¸c doanh nghiÖp nhá vµ võa."]
    for n, line in enumerate(body):
        page.insert_text((60, 120 + 20 * n), line, fontname="vn", fontsize=11)
    doc.save(path)
    doc = pymupdf.open(path)
    names = {"vnh": "/ABCDEF+.VnTimeH", "vn": "/ABCDEG+.VnTime"}
    for xref, *_, ref, _encoding in (f[:6] for f in doc[0].get_fonts()):
        doc.xref_set_key(xref, "BaseFont", names[ref])
        kind, descendants = doc.xref_get_key(xref, "DescendantFonts")
        if kind == "array":  # a Type0 font: its CID font carries the name too
            doc.xref_set_key(int(descendants.strip("[]").split()[0]), "BaseFont", names[ref])
    doc.save(path, incremental=True, encryption=pymupdf.PDF_ENCRYPT_KEEP)
    return path


def test_tcvn3_text_layer_decoded_by_its_font_names(tmp_path):
    pdf = _legacy_font_pdf(tmp_path / "tcvn3.pdf")
    with pymupdf.open(pdf) as doc:
        assert {s["font"] for b in doc[0].get_text("dict")["blocks"] for line in b["lines"]
                for s in line["spans"]} == {".VnTimeH", ".VnTime"}
    doc = _ingest(pdf, out=tmp_path / "out")["tcvn3.pdf"]
    assert doc["pages"][0]["fonts_decoded"] == "tcvn3"
    assert "TCVN3 fonts decoded" in doc["pages"][0]["reason"]
    assert _text(tmp_path / "out", "tcvn3.pdf").split("\n") == [
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Ngân hàng Nhà nước hướng dẫn một số nội dung về góp vốn",
        "thành lập Quỹ bảo lãnh tín dụng cho các doanh nghiệp nhỏ và vừa."]


def test_real_tcvn3_pdf_against_its_transcript(tmp_path):
    """A real TCVN3 PDF (``.VnTime``, ``VnTimeHBold`` capitals, U+2212 for ư): at least 99% of
    its transcript's words, and no U+2212 left."""
    pdf = REAL / "2006-16EZE_TT01.06GopvonDNNVV.pdf"
    doc = _ingest(pdf, out=tmp_path)[pdf.name]
    assert [p["source"] for p in doc["pages"]][:2] == ["text-layer", "text-layer"]
    text = _text(tmp_path, pdf.name)
    right, total = recall(pdf.with_suffix(".txt").read_text(encoding="utf-8"), text)
    assert right / total >= 0.99
    assert "\u2212" not in text and "NGÂN HÀNG NHÀ NƯỚC" in text
