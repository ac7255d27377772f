"""Catalogs from a user's own template (``vnextract catalog build``), end to end through the CLI.

A province's ``Phụ lục 01A`` (STT | Chỉ tiêu | ĐVT | Kết quả | Ghi chú, numbered rows 1, 1.1 …
with "Trong đó" parts) is written here as a Word table, an Excel sheet in ``.VnTime`` (TCVN3)
and a TCVN3 text dump; its catalog is built into a user folder, then a filled copy is ingested
with and without that folder. ``make catalogs`` is the same command over data/samples: it must
give the shipped catalogs.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import cv2
import docx
import openpyxl
import pymupdf
import pytest
from openpyxl.styles import Font
from typer.testing import CliRunner

from bench import synth
from mapping.catalog import CATALOG_DIR, Catalog, get_catalog
from normalize.encodings import encode_legacy
from pipelines.catalogs import ENV_CATALOGS
from pipelines.cli import app
from tests.conftest import ROOT

HEADER = ["STT", "Chỉ tiêu", "ĐVT", "Kết quả", "Ghi chú"]
# label, description, unit, the value a filled copy prints
ROWS = [
    ("1", "Công tác chỉ đạo, điều hành cải cách hành chính", "", ""),
    ("1.1", "Số văn bản chỉ đạo, điều hành về cải cách hành chính đã ban hành", "Văn bản", "14"),
    ("1.2", "Tỷ lệ hoàn thành kế hoạch cải cách hành chính năm", "%", "90"),
    ("Trong đó", "Số nhiệm vụ được giao trong kế hoạch", "Nhiệm vụ", "10"),
    ("", "Số nhiệm vụ đã hoàn thành đúng tiến độ", "Nhiệm vụ", "9"),
    ("1.3", "Số cuộc kiểm tra công tác cải cách hành chính tại các thôn, tổ dân phố", "Cuộc",
     "6"),
    ("2", "Cải cách thủ tục hành chính", "", ""),
    ("2.1", "Số thủ tục hành chính được niêm yết công khai tại bộ phận một cửa", "Thủ tục",
     "212"),
    ("2.2", "Số hồ sơ thủ tục hành chính tiếp nhận trong năm", "Hồ sơ", "1.250"),
    ("Trong đó", "Số hồ sơ tiếp nhận qua dịch vụ bưu chính công ích", "Hồ sơ", "180"),
    ("", "Số hồ sơ tiếp nhận trực tuyến", "Hồ sơ", "840"),
    ("2.3", "Tổ chức đối thoại với người dân về thủ tục hành chính", "Không = 0; Có = 1", "1"),
    ("3", "Chuyển đổi số của xã", "", ""),
    ("3.1", "Tỷ lệ văn bản đi được ký số của xã", "%", "97,5"),
    ("3.2", "Số thôn, tổ dân phố có tổ công nghệ số cộng đồng", "Thôn", "11"),
]
TITLE = ["PHỤ LỤC 01A", "BIỂU TỔNG HỢP KẾT QUẢ CẢI CÁCH HÀNH CHÍNH CẤP XÃ NĂM 2024"]
EXPECTED_IDS = ["qn01a/1", "qn01a/1.1", "qn01a/1.2", "qn01a/1.2.a", "qn01a/1.2.b", "qn01a/1.3",
                "qn01a/2", "qn01a/2.1", "qn01a/2.2", "qn01a/2.2.a", "qn01a/2.2.b", "qn01a/2.3",
                "qn01a/3", "qn01a/3.1", "qn01a/3.2"]
runner = CliRunner()


def _cells(filled: bool) -> list[list[str]]:
    return [HEADER] + [[label, desc, unit, value if filled else "", ""]
                       for label, desc, unit, value in ROWS]


def write_docx(path: Path, filled: bool = False) -> Path:
    document = docx.Document()
    for line in TITLE:
        document.add_paragraph(line)
    table = document.add_table(rows=len(ROWS) + 1, cols=len(HEADER))
    for row, texts in zip(table.rows, _cells(filled), strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    document.add_paragraph("Người lập biểu")
    document.save(path)
    return path


def write_xlsx(path: Path, filled: bool = False) -> Path:
    """The sheet typed in ``.VnTime``: TCVN3 bytes, decoded by the font."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    vntime = Font(name=".VnTime")
    for r, line in enumerate(TITLE, start=1):
        sheet.cell(r, 1, encode_legacy(line, "tcvn3").decode("latin-1")).font = vntime
    for r, texts in enumerate(_cells(filled), start=len(TITLE) + 2):
        for c, text in enumerate(texts, start=1):
            if text:
                sheet.cell(r, c, encode_legacy(text, "tcvn3").decode("latin-1")).font = vntime
    workbook.save(path)
    return path


def write_tcvn3_dump(path: Path, filled: bool = False) -> Path:
    text = "\n".join(TITLE + [""] + ["\t".join(cells) for cells in _cells(filled)]) + "\n"
    path.write_bytes(encode_legacy(text, "tcvn3"))
    return path


def build(template: Path, folder: Path, catalog_id: str = "qn01a", *extra: str):
    return runner.invoke(app, ["catalog", "build", str(template), "--id", catalog_id,
                               "--catalogs", str(folder), *extra])


@pytest.mark.parametrize("writer", [write_docx, write_xlsx, write_tcvn3_dump],
                         ids=["docx", "xlsx-vntime", "text-tcvn3"])
def test_catalog_built_from_a_template_in_any_format(tmp_path, writer):
    suffix = {"write_docx": ".docx", "write_xlsx": ".xlsx"}.get(writer.__name__, ".txt")
    template = writer(tmp_path / f"phu-luc-01a{suffix}")
    result = build(template, tmp_path / "catalogs")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "catalogs" / "qn01a.json").read_text(encoding="utf-8"))
    entries = {e["id"]: e for e in data["entries"]}
    assert list(entries) == EXPECTED_IDS
    assert data["title"] == " ".join(TITLE)
    assert data["periods"] == ["2024"]
    assert data["source"] == template.name
    assert entries["qn01a/1.1"]["description"] == ROWS[1][1]
    assert entries["qn01a/1.1"]["unit"] == "Văn bản"
    assert entries["qn01a/1.1"]["kind"] == "count"
    assert entries["qn01a/1"]["kind"] == "section"
    # "Trong đó" parts: the parent's id plus .a, .b, no printed label
    part = entries["qn01a/2.2.a"]
    assert (part["parent"], part["label"], part["description"]) == (
        "qn01a/2.2", None, "Số hồ sơ tiếp nhận qua dịch vụ bưu chính công ích")
    rate = entries["qn01a/1.2"]
    assert (rate["kind"], rate["unit"], rate["denominator"], rate["numerator"]) == (
        "rate", "%", "qn01a/1.2.a", "qn01a/1.2.b")
    assert entries["qn01a/2.3"]["codebook"] == {"0": "Không", "1": "Có"}
    assert data["constraints"] == [{"kind": "parts_le_total",
                                    "parts": ["qn01a/2.2.a", "qn01a/2.2.b"],
                                    "total": "qn01a/2.2"}]


def blank_pdf(catalog: Catalog, path: Path, ruled: bool = True) -> Path:
    """A shipped catalog printed as its blank template: a ruled table (text layer) under its
    appendix heading, as ``bench.synth`` prints filled ones, with no value or note."""
    rows = [replace(r, value=None, value_raw=None, note=None)
            for r in synth.fill_catalog(catalog, random.Random(3))]
    synth.render_pdf(rows, catalog, path, rng=random.Random(3), prose=False, ruled=ruled)
    return path


def _entries(catalog_json: dict) -> list[tuple]:
    """Entries without their catalog's name: row, label, parent row, wording, unit, kind."""
    def row(entry_id: str | None) -> str | None:
        return entry_id.split("/", 1)[1] if entry_id else None
    return [(e["row"], e["label"], row(e["parent"]), e["description"], e["unit"], e["kind"],
             e["codebook"], row(e["numerator"]), row(e["denominator"]))
            for e in catalog_json["entries"]]


def test_catalog_built_from_a_ruled_pdf_template(tmp_path):
    """PDF text layer: Phụ lục I printed blank (112 rows over 3 pages, "Trong đó" groups under
    one merged STT cell) gives back the shipped catalog's entries, one for one."""
    shipped = get_catalog("tn2025.pl1")
    result = build(blank_pdf(shipped, tmp_path / "phu-luc-1.pdf"), tmp_path / "c", "pdf01")
    assert result.exit_code == 0, result.output
    built = json.loads((tmp_path / "c" / "pdf01.json").read_text(encoding="utf-8"))
    assert _entries(built) == _entries(shipped.to_json())


@pytest.mark.slow
def test_catalog_built_from_a_scanned_template(tmp_path):
    """A scan (OCR with Tesseract vie, its grid found): Bảng số 2 gives back its entries."""
    shipped = get_catalog("tn2025.pl3.b2")
    page = pymupdf.open(blank_pdf(shipped, tmp_path / "bang-2.pdf"))[0]
    cv2.imwrite(str(tmp_path / "bang-2.png"), synth.render_page(page, 300))
    result = build(tmp_path / "bang-2.png", tmp_path / "c", "scan02")
    assert result.exit_code == 0, result.output
    built = json.loads((tmp_path / "c" / "scan02.json").read_text(encoding="utf-8"))
    assert _entries(built) == _entries(shipped.to_json())


def test_template_without_cells_is_refused(tmp_path):
    """A borderless PDF prints hard-wrapped lines: which make up one row, no blank template
    says; the build says so rather than guess."""
    pdf = blank_pdf(get_catalog("tn2025.pl3.b2"), tmp_path / "borderless.pdf", ruled=False)
    result = build(pdf, tmp_path / "c")
    assert result.exit_code == 1
    assert "its table has no cells" in result.output and ".docx, .xlsx" in result.output


def test_filled_copy_ingested_with_the_user_catalog(tmp_path):
    folder = tmp_path / "catalogs"
    assert build(write_docx(tmp_path / "mau-01a.docx"), folder).exit_code == 0
    (tmp_path / "in").mkdir()
    filled = write_docx(tmp_path / "in" / "xa-an-binh-01a.docx", filled=True)

    listed = runner.invoke(app, ["catalogs", "--catalogs", str(folder)])
    assert listed.exit_code == 0
    line = next(x for x in listed.output.splitlines() if x.startswith("qn01a\t"))
    assert line.split("\t")[1:3] == ["15 entries", str(folder / "qn01a.json")]
    assert "tn2025.pl1\t112 entries\tshipped\t" in listed.output

    result = runner.invoke(app, ["ingest", str(filled), "--out", str(tmp_path / "out"),
                                 "--catalogs", str(folder), "--workers", "1"])
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in
               (tmp_path / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {r["indicator_id"]: r for r in records}
    assert {r["catalog"] for r in records} == {"qn01a"}
    expected = {f"qn01a/{key}": value for key, value in [
        ("1.1", 14), ("1.2", 90), ("1.2.a", 10), ("1.2.b", 9), ("1.3", 6), ("2.1", 212),
        ("2.2", 1250), ("2.2.a", 180), ("2.2.b", 840), ("2.3", 1), ("3.1", 97.5),
        ("3.2", 11)]}
    assert {k: by_id[k]["value"] for k in expected} == expected
    assert by_id["qn01a/2.2.a"]["row_label_raw"] is None  # a part prints no STT
    assert by_id["qn01a/3.1"]["unit"] == "%"
    assert by_id["qn01a/3.1"]["period"] == "2024"
    flagged = {k: by_id[k]["reasons"] for k in expected if by_id[k]["needs_review"]}
    assert flagged == {}

    # the same file without the user catalog claims no catalog row: generic records
    plain = runner.invoke(app, ["ingest", str(filled), "--out", str(tmp_path / "plain"),
                                "--workers", "1"])
    assert plain.exit_code == 0, plain.output
    records = [json.loads(x) for x in
               (tmp_path / "plain" / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records and all(r["catalog"] is None and r["indicator_id"] is None for r in records)
    assert all("no-catalog-match" in r["reasons"] for r in records)


def test_user_catalogs_from_the_environment(tmp_path, monkeypatch):
    folder = tmp_path / "env-catalogs"
    monkeypatch.setenv(ENV_CATALOGS, str(folder))
    template = write_xlsx(tmp_path / "mau-01a.xlsx")
    result = runner.invoke(app, ["catalog", "build", str(template), "--id", "qn01a"])
    assert result.exit_code == 0, result.output
    assert (folder / "qn01a.json").is_file()
    listed = runner.invoke(app, ["catalogs"])
    assert f"qn01a\t15 entries\t{folder / 'qn01a.json'}" in listed.output
    # --catalogs, when given, is used instead of the environment
    other = tmp_path / "other"
    other.mkdir()
    listed = runner.invoke(app, ["catalogs", "--catalogs", str(other)])
    assert "qn01a" not in listed.output


def test_bad_templates_and_ids_are_refused(tmp_path):
    folder = tmp_path / "catalogs"
    prose = tmp_path / "cong-van.txt"
    prose.write_text("UBND XÃ AN BÌNH\nV/v báo cáo kết quả cải cách hành chính\n"
                     "Kính gửi: UBND huyện.\nĐề nghị các thôn báo cáo trước ngày 15/12.\n",
                     encoding="utf-8")
    result = build(prose, folder)
    assert result.exit_code == 1
    assert "no numbered indicator rows found" in result.output
    assert "STT | Chỉ tiêu | Đơn vị tính" in result.output
    assert not folder.exists() or not list(folder.glob("*.json"))

    template = write_docx(tmp_path / "mau.docx")
    taken = build(template, folder, "tn2025.pl1")
    assert taken.exit_code == 1
    assert "the shipped catalogs already hold tn2025.pl1" in taken.output
    bad = build(template, folder, "qn/01a")
    assert bad.exit_code == 1 and "bad catalog id" in bad.output
    missing = build(tmp_path / "nothing.docx", folder)
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_a_user_catalog_that_takes_a_shipped_id_is_an_error(tmp_path):
    folder = tmp_path / "catalogs"
    folder.mkdir()
    shipped = json.loads((CATALOG_DIR / "dc.pl4.json").read_text(encoding="utf-8"))
    (folder / "copy.json").write_text(json.dumps(shipped), encoding="utf-8")
    filled = write_docx(tmp_path / "x.docx", filled=True)
    for args in (["catalogs"], ["ingest", str(filled), "--out", str(tmp_path / "o")]):
        result = runner.invoke(app, [*args, "--catalogs", str(folder)])
        assert result.exit_code == 2
        assert "catalog id 'dc.pl4'" in result.output and "is taken by" in result.output


def test_make_catalogs_regenerates_the_shipped_catalogs(tmp_path):
    """`make catalogs` runs `vnextract catalog build` over the templates of data/samples; into
    a fresh folder the same commands must give the committed catalogs, file for file."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    commands = [line.strip().split()[1:] for line in makefile.splitlines()
                if "vnextract catalog build" in line and line.startswith("\t")]
    assert len(commands) == 2
    out = tmp_path / "catalogs"
    for args in commands:
        args = [str(ROOT / a) if a.startswith("data/") else a.replace("$(CATALOGS)", str(out))
                for a in args]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    generated = sorted(p.name for p in out.glob("*.json"))
    assert generated == sorted(p.name for p in CATALOG_DIR.glob("*.json"))
    for name in generated:
        assert json.loads((out / name).read_text(encoding="utf-8")) == json.loads(
            (CATALOG_DIR / name).read_text(encoding="utf-8")), name


def test_per_year_template_gives_one_record_per_period(tmp_path):
    """A header of year columns (``Năm 2023 | Năm 2024``) makes a per-year catalog: a filled
    copy gives one record per row and year."""
    def sheet(path: Path, filled: bool) -> Path:
        workbook = openpyxl.Workbook()
        rows = [["PHỤ LỤC 02B"], ["STT", "Chỉ tiêu", "ĐVT", "Năm 2023", "Năm 2024"]]
        rows += [[label, desc, unit, *(values if filled else ("", ""))]
                 for label, desc, unit, values in [
                     ("1", "Số thủ tục hành chính được cắt giảm, đơn giản hóa", "Thủ tục",
                      (12, 15)),
                     ("2", "Số hồ sơ giải quyết quá hạn", "Hồ sơ", (7, 3)),
                     ("3", "Số cuộc họp trực tuyến với thôn, tổ dân phố", "Cuộc", (20, 26)),
                     ("4", "Số cán bộ, công chức cấp xã được bồi dưỡng", "Người", (18, 22)),
                     ("5", "Số phản ánh, kiến nghị của người dân được xử lý", "Phản ánh",
                      (41, 37))]]
        for row in rows:
            workbook.active.append(row)
        workbook.save(path)
        return path

    folder = tmp_path / "catalogs"
    result = build(sheet(tmp_path / "mau-02b.xlsx", False), folder, "qn02b")
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "qn02b.json").read_text(encoding="utf-8"))
    assert data["periods"] == ["2023", "2024"]
    assert [e["id"] for e in data["entries"]] == [f"qn02b/{n}" for n in range(1, 6)]
    (tmp_path / "in").mkdir()
    filled = sheet(tmp_path / "in" / "xa-02b.xlsx", True)
    result = runner.invoke(app, ["ingest", str(filled), "--out", str(tmp_path / "out"),
                                 "--catalogs", str(folder), "--workers", "1"])
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in
               (tmp_path / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    got = {(r["indicator_id"], r["period"]): (r["value"], r["needs_review"]) for r in records}
    assert got == {("qn02b/1", "2023"): (12, False), ("qn02b/1", "2024"): (15, False),
                   ("qn02b/2", "2023"): (7, False), ("qn02b/2", "2024"): (3, False),
                   ("qn02b/3", "2023"): (20, False), ("qn02b/3", "2024"): (26, False),
                   ("qn02b/4", "2023"): (18, False), ("qn02b/4", "2024"): (22, False),
                   ("qn02b/5", "2023"): (41, False), ("qn02b/5", "2024"): (37, False)}
