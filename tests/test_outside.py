"""Documents outside the catalogs (issue 9): no record claims a catalog row; tables no catalog
fits are kept as printed (generic records with their cells and headers); prose is no table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipelines.ingest import ingest_document, read_document
from tests.test_cli_ingest import run_cli

DATA = Path(__file__).resolve().parent / "data"


def records(path: Path) -> list[dict]:
    found, _ = ingest_document(read_document(path))
    return [r.to_dict() for r in found]


def test_textbook_list_is_no_catalog(tmp_path):
    """qd-3588's Danh mục of textbooks (pages 2–3, a ruled table numbered 1, 2, 3 …) once
    came out as catalog rows with full confidence; it is a table of its own: STT, Tên sách,
    Tác giả, each row kept with its cells."""
    out = tmp_path / "o"
    assert run_cli("ingest", str(DATA / "qd-3588-danh-muc-sgk-p2-3.pdf"), "--out",
                   str(out)).returncode == 0
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert rows and not any(r["indicator_id"] or r["catalog"] for r in rows)
    assert all(r["needs_review"] and "no-catalog-match" in r["reasons"] for r in rows)
    first = next(r for r in rows if r["row_label_raw"] == "1.")
    assert first["description"] == "Tiếng Việt 1, tập một"
    assert first["cells"][:2] == [{"header": "STT", "text": "1."},
                                  {"header": "Tên sách", "text": "Tiếng Việt 1, tập một"}]
    assert first["cells"][2]["header"] == "Tác giả"
    assert first["cells"][2]["text"].startswith("Bùi Mạnh Hùng")
    second_book = rows[rows.index(first) + 1]  # "tập hai": a row of its own, no number
    assert second_book["row_label_raw"] is None
    assert second_book["description"] == "Tiếng Việt 1, tập hai"
    assert {"LỚP 1", "LỚP 2"} <= {r["description"] for r in rows}  # section rows kept
    assert sum(1 for r in rows if r["row_label_raw"]) == 23  # books 1 … 23
    # the CSV and Parquet outputs hold the cells as one JSON text
    frame = pd.read_parquet(out / "records.parquet")
    assert json.loads(frame["cells"].iloc[rows.index(first)]) == first["cells"]


def test_numbered_paragraphs_are_not_table_rows():
    """Seed 004 (a plan in prose, sections numbered 1., 2. …) has no table."""
    assert records(DATA / "seed004-ke-hoach-205-nghe-an-p1.txt") == []


def test_sheet_with_a_header_over_two_rows_gives_a_record_per_row_and_period():
    """A real .xls (2005-4E4ZD, export figures) as its transcript: the header is printed over
    two rows (``K.H`` / ``2005``, ``TH`` / ``T1/2005`` …), units are ditto marks, and three
    columns compare periods. One record per row and period column; the comparisons stay cells."""
    rows = records(DATA / "xls-2005-4E4ZD-xuat-khau.txt")
    assert not any(r["indicator_id"] for r in rows)
    oil = [r for r in rows if r["description"] == "Dầu thô"]
    assert [(r["period"], r["value"]) for r in oil] == [
        ("2005", 18500), ("2005-01", 1730), ("2005-02", 1400), ("2005", 3130), ("2004", 3304)]
    assert {r["unit"] for r in oil} == {"Ng. tấn"} and {r["row_label_raw"] for r in oil} == {"1"}
    assert [r["cells"][-1]["header"] for r in oil] == [
        "K.H 2005", "TH T1/2005", "Ư.TH T2/2005", "Ư.TH 2T.2005", "TH 2T/2004"]
    assert {"header": "So sánh (%) T2-2005/ T1-2005", "text": "80.92485549"} in oil[0]["cells"]
    coal = [r for r in rows if r["description"] == "Than đá"]
    assert {r["unit"] for r in coal} == {"Ng. tấn"}  # printed '"': the unit above
    assert {"header": "Đơn vị tính", "text": '"'} in coal[0]["cells"]
    assert len({r["description"] for r in rows}) == 24  # every row of the sheet, no title


SHEET = """\tBIỂU TỔNG HỢP MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI\t\t\t\t
\t\t\t\t\t
Số TT\tTên chỉ tiêu\tĐơn vị tính\tThực hiện\tƯớc TH\tKế hoạch
\t\t\tnăm 2001\tnăm 2002\tnăm 2003
1\tGiá trị sản xuất công nghiệp\tTỷ đồng\t1.250,5\t1.380\t1.520
2\tSản lượng lương thực\tNghìn tấn\t312\t325\t330
\tTrong đó: lúa\t"\t290\t301\t305
3\tSố hộ nghèo\tHộ\t4.120\t3.800\t3.500
4\tTỷ lệ hộ nghèo\t%\t12,4\t11,2\t10
5\tDiện tích trồng rừng mới\tha\t-\t450\t500
"""


def test_period_and_unit_come_from_the_headers(tmp_path):
    """``Số TT | Tên chỉ tiêu | Đơn vị tính | Thực hiện năm 2001 | Ước TH năm 2002 | Kế hoạch
    năm 2003``, the qualifier over the year: period from the header, its qualifier kept in the
    value cell's header; a dash is no value."""
    path = tmp_path / "bieu.txt"
    path.write_text(SHEET, encoding="utf-8")
    rows = records(path)
    assert not any(r["indicator_id"] for r in rows)
    by_key = {(r["description"], r["period"]): r for r in rows}
    record = by_key[("Giá trị sản xuất công nghiệp", "2001")]
    assert (record["value"], record["unit"], record["row_label_raw"]) == (1250.5, "Tỷ đồng", "1")
    assert record["cells"] == [{"header": "Số TT", "text": "1"},
                               {"header": "Tên chỉ tiêu", "text": "Giá trị sản xuất công nghiệp"},
                               {"header": "Đơn vị tính", "text": "Tỷ đồng"},
                               {"header": "Thực hiện năm 2001", "text": "1.250,5"}]
    assert by_key[("Số hộ nghèo", "2002")]["value"] == 3800
    assert by_key[("Tỷ lệ hộ nghèo", "2003")]["value"] == 10
    assert by_key[("Trong đó: lúa", "2003")]["unit"] == "Nghìn tấn"
    assert ("Diện tích trồng rừng mới", "2001") not in by_key  # "-": nothing printed
    assert len(rows) == 6 * 3 - 1
    assert all(r["needs_review"] and r["reasons"] == ["no-catalog-match"] for r in rows)
