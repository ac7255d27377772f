"""Office files: found by content, converted by LibreOffice, read run by run and cell by cell.

Real files (``tests/data/office``, from ``../shared/real/office``): a Word 97 ``.doc`` with a
table, an RTF, an ``.xls`` indicator sheet whose totals are formulas, a VNI ``.xls`` and an
``.xls`` with a hidden sheet. The ``.docx``, ``.xlsx`` and ``.pptx`` are written here, with
``.VnTime`` (TCVN3), ``.VnTimeH`` (TCVN3 capitals) and ``VNI-Times`` runs.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from lxml import etree
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Font

from extract._exec.soffice import CommandConverter, ConversionError, UnoConverter
from extract.office import OfficeError, _value_text, read_office, sniff_office
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "office"
DOC = DATA / "2005-1DCA4_3b.doc"  # industrial zones of Bình Dương, a Word table, .VnTime
RTF = DATA / "2003-A06.rtf"  # a circular of the Ministry of Finance, .VnTime / .VnTimeH
XLS = DATA / "2006-1B4B5_DTRNN_07-2005_NEW.xls"  # investment abroad by sector; totals =SUM()
VNI_XLS = DATA / "2006-Mau21_CKTC_NSH-1.xls"  # a district budget, VNI-Times
HIDDEN_XLS = DATA / "2005-2942C_Detai2003.xls"  # research tasks, with a hidden sheet
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.styles["Normal"].font.name = ".VnTime"  # runs without a font inherit it
    title = document.add_paragraph()
    title.add_run("céng hßa x· héi chñ nghÜa viÖt nam").font.name = ".VnTimeH"
    mixed = document.add_paragraph("B¸o c¸o sè 12 cña ")  # Normal's .VnTime
    mixed.add_run("UÛy ban nhaân daân").font.name = "VNI-Times"
    mixed.add_run(" tØnh Th¸i Nguyªn").font.name = "Times New Roman"  # TCVN3 bytes, no hint
    deleted = etree.SubElement(mixed._p, f"{W}del")  # a tracked deletion: not in the text
    etree.SubElement(etree.SubElement(deleted, f"{W}r"), f"{W}delText").text = "xo¸ bá"
    table = document.add_table(rows=3, cols=5)
    for row, cells in zip(table.rows, [
            ["Sè TT", "ChØ tiªu", "§¬n vÞ tÝnh", "N¨m 2021", "N¨m 2022"],
            ["1", "Sè hå s¬ tiÕp nhËn", "hå s¬", "120", "135"],
            ["2", "Ghi chó chung", "", "", ""]], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    table.cell(2, 1).merge(table.cell(2, 3))  # one cell over three columns
    document.sections[0].header.paragraphs[0].text = "Së Néi vô"
    document.save(path)
    return path


def make_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Bieu 1"
    vntime, capitals, vni = Font(name=".VnTime"), Font(name=".VnTimeH"), Font(name="VNI-Times")
    sheet["A1"] = "b¸o c¸o kÕt qu¶ n¨m 2022"
    sheet["A1"].font = capitals
    sheet.merge_cells("A1:E1")
    rows = [["Sè TT", "ChØ tiªu", "§¬n vÞ tÝnh", "N¨m 2021", "N¨m 2022"],
            [1, "Sè hå s¬ tiÕp nhËn", "hå s¬", 120, 135.5],
            [2, "Tû lÖ gi¶i quyÕt ®óng h¹n", "%", 0.9, 0.983]]
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c, value).font = vntime
    sheet["D5"].number_format = sheet["E5"].number_format = "0.0%"
    sheet["B6"] = "Toång soá hoà sô"
    sheet["B6"].font = vni
    sheet["B7"] = CellRichText([TextBlock(InlineFont(rFont=".VnTimeH"), "tæng"),
                                TextBlock(InlineFont(rFont=".VnTime"), " céng")])
    sheet.row_dimensions[6].hidden = True  # read, and said on the sheet's page
    hidden = workbook.create_sheet("An")
    hidden["A1"] = "Sè liÖu nh¸p"
    hidden["A1"].font = vntime
    hidden.sheet_state = "hidden"
    workbook.save(path)
    return path


def make_pptx(path: Path) -> Path:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])
    box = slide.shapes.add_textbox(0, 0, 5000000, 1000000)
    run = box.text_frame.paragraphs[0].add_run()
    run.text = "Caùc vaên baûn phaùp quy"
    run.font.name = "VNI-Times"
    presentation.save(path)
    return path


# --- finding the format from the content ------------------------------------------------


def test_formats_are_found_from_the_content(tmp_path):
    assert [sniff_office(p) for p in (DOC, RTF, XLS)] == ["doc", "rtf", "xls"]
    rtf_as_doc = tmp_path / "really-rtf.doc"
    shutil.copy(RTF, rtf_as_doc)
    docx_as_xls = tmp_path / "odd-name.xls"
    make_docx(docx_as_xls)
    web = tmp_path / "web.xls"
    web.write_text("<html><body><table><tr><td>1</td></tr></table></body></html>")
    plain = tmp_path / "plain.doc"
    plain.write_text("Báo cáo số 12\n")
    assert sniff_office(rtf_as_doc) == "rtf"
    assert sniff_office(docx_as_xls) == "docx"
    assert sniff_office(make_xlsx(tmp_path / "a.xlsx")) == "xlsx"
    assert sniff_office(make_pptx(tmp_path / "a.pptx")) == "pptx"
    assert sniff_office(web) == "html-xls"
    assert sniff_office(plain) is None  # a text dump named .doc stays a text dump
    broken = tmp_path / "broken.doc"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(OfficeError, match="damaged"):
        sniff_office(broken)


# --- reading OOXML directly (no LibreOffice) --------------------------------------------


def test_docx_runs_are_decoded_by_their_fonts(tmp_path):
    document = read_office(make_docx(tmp_path / "report.docx"))
    lines = [line.text for line in document.lines]
    assert lines[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                         "Báo cáo số 12 của Ủy ban nhân dân tỉnh Thái Nguyên"]
    assert lines[2:5] == ["Số TT\tChỉ tiêu\tĐơn vị tính\tNăm 2021\tNăm 2022",
                          "1\tSố hồ sơ tiếp nhận\thồ sơ\t120\t135",
                          "2\tGhi chú chung\t\t\t"]  # the merged cell keeps its columns
    assert lines[-1] == "Sở Nội vụ"  # the header, after the body
    assert "xoá" not in document.text and "bỏ" not in document.text
    assert document.kind == "office-docx" and document.office.converted_by is None
    fonts = {(f["font"], f["encoding"], f["by"]) for f in document.office.fonts}
    assert {(".VnTime", "tcvn3", "font"), (".VnTimeH", "tcvn3-capitals", "font"),
            ("VNI-Times", "vni", "font"), ("Times New Roman", None, "content")} <= fonts
    assert document.encoding == "tcvn3+tcvn3-capitals+vni"
    assert [(p.number, p.source, p.reason) for p in document.pages] == [
        (1, "office", "document")]


def test_xlsx_cells_sheets_and_numbers(tmp_path):
    document = read_office(make_xlsx(tmp_path / "report.xlsx"))
    assert [(line.page, line.number, line.text) for line in document.lines] == [
        (1, 1, "BÁO CÁO KẾT QUẢ NĂM 2022"),
        (1, 2, ""),
        (1, 3, "Số TT\tChỉ tiêu\tĐơn vị tính\tNăm 2021\tNăm 2022"),
        (1, 4, "1\tSố hồ sơ tiếp nhận\thồ sơ\t120\t135,5"),
        (1, 5, "2\tTỷ lệ giải quyết đúng hạn\t%\t90,0%\t98,3%"),
        (1, 6, "\tTổng số hồ sơ"),
        (1, 7, "\tTỔNG cộng")]
    assert document.office.sheets == ["Bieu 1", "An"]
    assert document.office.hidden_sheets == ["An"]
    assert "nháp" not in document.text  # a hidden sheet is reported, not read
    assert [(p.number, p.source, p.lines) for p in document.pages] == [
        (1, "office", 7), (2, "hidden-sheet", 0)]
    assert document.pages[0].reason == (
        "sheet 'Bieu 1' (1 hidden rows and 0 hidden columns with text, read)")


def test_pptx_runs_are_decoded_by_their_fonts(tmp_path):
    document = read_office(make_pptx(tmp_path / "slides.pptx"))
    assert [line.text for line in document.lines] == ["Các văn bản pháp quy"]
    assert document.pages[0].reason == "slide 1"


@pytest.mark.parametrize(("value", "number_format", "printed"), [
    (0.293, "0.0%", "29,3%"), (1234.5, "General", "1234,5"), (1.5, "0.000", "1,500"),
    (2.25, "0.0#", "2,25"), (2.5, "0.0#", "2,5"), (28996154868, "#,##0", "28996154868"),
    (87.2359963269054, "0.0", "87,2"), (3, "General", "3"), (7.4, "#,##0", "7"),
    (1e-7, "General", "0,0000001"), (True, "General", "TRUE")])
def test_numbers_are_printed_the_vietnamese_way(value, number_format, printed):
    # decimal comma, no thousands marks: normalize.numbers reads them back exactly
    assert _value_text(value, number_format) == printed


# --- LibreOffice ----------------------------------------------------------------------


@pytest.mark.slow
def test_one_libreoffice_serves_every_conversion_and_leaves_nothing(tmp_path):
    converter = UnoConverter()
    try:
        first = converter.convert(RTF, tmp_path, "docx")
        (tmp_path / "second").mkdir()
        second = converter.convert(DOC, tmp_path / "second", "docx")
        assert (first.format, first.import_filter) == ("docx", "Rich Text Format")
        assert (second.format, second.import_filter) == ("docx", "MS Word 97")
        assert first.path.is_file() and second.path.is_file()
        assert converter.starts == 1 and converter.start_seconds is not None
        helper = converter._process.pid
        profile = Path(converter._profile)
    finally:
        converter.close()
    assert not profile.exists()
    assert not _group_alive(helper)


@pytest.mark.slow
def test_a_conversion_past_its_time_limit_is_killed_and_the_next_starts_afresh(tmp_path):
    converter = UnoConverter(timeout=0.01)
    try:
        with pytest.raises(ConversionError, match="longer than"):
            converter.convert(DOC, tmp_path, "docx")
        assert converter._process is None  # killed, with its whole process group
        converter.timeout = 120
        assert converter.convert(DOC, tmp_path, "docx").path.is_file()
        assert converter.starts == 2
    finally:
        converter.close()


@pytest.mark.slow
def test_one_soffice_run_per_file_where_no_python_has_uno(tmp_path):
    converted = CommandConverter().convert(RTF, tmp_path, "docx")
    assert converted.path.suffix == ".docx" and converted.path.is_file()
    assert not (tmp_path / "profile").exists()
    document = read_office(RTF, converter=CommandConverter())
    assert document.lines[0].text.startswith("BỘ TÀI CHÍNH")


@pytest.mark.slow
def test_a_file_libreoffice_cannot_open_is_an_error(tmp_path):
    fake = tmp_path / "fake.odt"
    fake.write_bytes(b"PK\x03\x04" + b"\x00" * 100)  # a zip header and nothing else
    with pytest.raises(OfficeError, match="not an Office file"):
        read_office(fake)
    converter = UnoConverter()
    try:
        junk = tmp_path / "junk.doc"
        junk.write_bytes(bytes(random.Random(0).randrange(256) for _ in range(4000)))
        with pytest.raises(OfficeError, match="damaged doc file"):  # opened as "Text"
            read_office(junk, "doc", converter)
    finally:
        converter.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --- end to end through the CLI ----------------------------------------------------------


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    inputs = tmp_path_factory.mktemp("inputs")
    for path in (DOC, RTF, XLS, VNI_XLS, HIDDEN_XLS):
        shutil.copy(path, inputs / path.name)
    shutil.copy(RTF, inputs / "rtf-named.doc")
    make_docx(inputs / "report.docx")
    make_xlsx(inputs / "report.xlsx")
    (inputs / "broken.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 900)
    out = tmp_path_factory.mktemp("out")
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", str(inputs),
                             "--out", str(out), "--workers", "2"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    documents = {d["source"]: d for d in map(
        json.loads, (out / "documents.jsonl").read_text(encoding="utf-8").splitlines())}
    return out, documents


def text_of(out: Path, name: str) -> list[str]:
    return (out / "text" / f"{name}.txt").read_text(encoding="utf-8").split("\n")


@pytest.mark.slow
def test_every_input_has_its_status_and_kind(ingested):
    _, documents = ingested
    assert {name: (d["status"], d["kind"]) for name, d in documents.items()} == {
        DOC.name: ("ok", "office-doc"), RTF.name: ("ok", "office-rtf"),
        XLS.name: ("ok", "office-xls"), VNI_XLS.name: ("ok", "office-xls"),
        HIDDEN_XLS.name: ("ok", "office-xls"), "rtf-named.doc": ("ok", "office-rtf"),
        "report.docx": ("ok", "office-docx"), "report.xlsx": ("ok", "office-xlsx"),
        "broken.xls": ("error", "office")}
    assert "damaged OLE2" in documents["broken.xls"]["message"]
    office = documents[DOC.name]["office"]
    assert office["converted_by"] == "libreoffice" and office["import_filter"] == "MS Word 97"
    assert "conversion_seconds" not in office  # outputs hold no timings: runs compare equal


@pytest.mark.slow
def test_word_doc_and_its_table(ingested):
    out, documents = ingested
    lines = text_of(out, DOC.name)
    assert lines[:3] == [
        "STT\tKhu công nghiệp\tĐịa điểm\tTổng diện tích (ha)\tTỷ lệ diện tích đã phủ kín",
        "1\tViệt Nam - Xingapo\tXã Bình Hòa, huyện Thuận An\t300/500\t90% (giai đoạn 1)",
        "2\tTân Đông Hiệp A Dapark(*)\tXã Tân Đông Hiệp, huyện Dĩ An\t54,7\t"
        "Thủ tướng CP quyết định thành lập năm 2002"]
    assert documents[DOC.name]["office"]["fonts"][0]["font"] == ".VnTime"
    assert documents[DOC.name]["encoding"].startswith("tcvn3")


@pytest.mark.slow
def test_rtf_by_content_whatever_its_name(ingested):
    out, documents = ingested
    lines = text_of(out, RTF.name)
    assert lines[0].split() == "BỘ TÀI CHÍNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".split()
    assert "Hướng dẫn bổ sung quy định về thuế thu nhập doanh nghiệp áp dụng đối với" in lines
    assert text_of(out, "rtf-named.doc") == lines


@pytest.mark.slow
def test_indicator_sheet_rows_formulas_and_records(ingested):
    out, documents = ingested
    lines = text_of(out, XLS.name)
    assert lines[3:6] == ["STT\tChuyên ngành\tSố dự án\tTVĐT\tVốn pháp định\tĐầu tư thực hiện",
                          "I\tCông nghiệp\t56\t193180435\t172223059\t7217449",  # =SUM(...)
                          "\tCN dầu khí\t5\t130200000\t130200000\t0"]
    records = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    rows = [r for r in records if r["source"] == XLS.name]
    assert [(r["page"], r["line"], r["row_label_raw"], r["description_raw"])
            for r in rows[:2]] == [(1, 5, "I", "Công nghiệp"), (1, 6, None, "CN dầu khí")]
    assert all(r["catalog"] is None and r["needs_review"] for r in rows)  # no catalog claimed
    assert documents[XLS.name]["pages"][0]["reason"] == "sheet 'DTRNN'"


@pytest.mark.slow
def test_vni_sheet_and_hidden_sheet(ingested):
    out, documents = ingested
    assert "\tCÂN ĐỐI DỰ TOÁN NGÂN SÁCH HUYỆN NĂM 2006" in text_of(out, VNI_XLS.name)
    assert "A\tTổng thu NSNN trên địa bàn\t12730000" in text_of(out, VNI_XLS.name)
    fonts = documents[VNI_XLS.name]["office"]["fonts"]
    assert {f["encoding"] for f in fonts if f["font"].lower() == "vni-times"} == {"vni"}
    hidden = documents[HIDDEN_XLS.name]
    assert hidden["office"]["hidden_sheets"] == ["00000000"]
    assert [p["source"] for p in hidden["pages"]] == ["office", "hidden-sheet"]


@pytest.mark.slow
def test_written_docx_and_xlsx_end_to_end(ingested):
    out, documents = ingested
    assert text_of(out, "report.docx")[:2] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Báo cáo số 12 của Ủy ban nhân dân tỉnh Thái Nguyên"]
    assert "2\tTỷ lệ giải quyết đúng hạn\t%\t90,0%\t98,3%" in text_of(out, "report.xlsx")
    assert documents["report.xlsx"]["office"]["hidden_sheets"] == ["An"]


@pytest.mark.slow
def test_indicator_sheet_gives_a_record_per_row_and_period(tmp_path):
    """A real export sheet (2005, TCVN3): `Stt | | Đơn vị tính | K.H 2005 | TH T1/2005 |
    Ư.TH T2/2005 | …`, its headers on two rows: one record per row and period, the unit and
    the period from the headers, each value's own header kept in its cells."""
    sheet = DATA / "2005-4E4ZD_XKT2.05.xls"
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", str(sheet),
                             "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    records = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    export = [r for r in records if r["description"] == "Kim ngạch xuất khẩu"]
    assert {r["unit"] for r in export} == {"Tr. USD"}
    by_period = {(r["period"], r["value"]) for r in export}
    assert {("2005-01", 2178), ("2005-02", 1900), ("2005", 30700)} <= by_period
    plan = next(r for r in export if r["value"] == 30700)
    assert any(c["header"] == "K.H 2005" and c["text"] == "30700" for c in plan["cells"])
    crude = [r for r in records if r["description"] == "Dầu thô"]
    assert {r["unit"] for r in crude} == {"Ng. tấn"} and ("2005-01", 1730) in {
        (r["period"], r["value"]) for r in crude}
    assert all(r["indicator_id"] is None and "no-catalog-match" in r["reasons"] for r in records)
