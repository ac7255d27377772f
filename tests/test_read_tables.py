"""extract.tables: one reading of every layout; headers, periods and labels (issues 10, 11)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.generic import is_running_text, table_rows
from extract.tables import (
    column_period,
    columns_of,
    looks_like_label,
    merge_header,
    period_head,
    read_tables,
)
from extract.textdump import document_from_text
from extract.types import Line
from mapping.labels import label_score, read_label
from mapping.tables import match_tables
from tests.test_outside import DATA


@pytest.mark.parametrize("header, period", [
    ("Thực hiện năm 2001", "2001"), ("Ước TH năm 2002", "2002"), ("Kế hoạch năm 2003", "2003"),
    ("K.H 2005", "2005"), ("TH T1/2005", "2005-01"), ("Tháng 9 năm 2005", "2005-09"),
    ("Ư.TH 2T.2005", "2005"), ("Quý III/2005", "2005-Q3"), ("Năm 2021", "2021"),
    ("Năm 2025 (tính đến 31/3)", "2025-03-31"), ("Tính đến ngày 31 tháng 3 năm 2025", "2025-03-31"),
    ("Giai đoạn 2011-2020 (Thời điểm 31/12/2020)", "2020-12-31"), ("2021-2025", "2021-2025"),
    # comparisons and headers without a period
    ("So sánh (%) T2-2005/ T1-2005", None), ("2T-2005/ 2T-2004", None), ("2T-2005/ KH2005", None),
    ("Tỷ lệ % năm 2005", None), ("Số TT", None), ("Tổng vốn đầu tư", None), ("Năm", None),
])
def test_column_period(header, period):
    assert column_period(header) == period


def test_strict_year_heads_of_catalog_tables_agree_with_column_period():
    for text in ("Năm 2021", "Năm 2025 (tính đến 31/3)"):
        assert period_head(text) == (True, column_period(text))


def test_header_merged_over_rows():
    assert merge_header((("Số TT", "Tên chỉ tiêu", "Đơn vị tính", "Thực hiện", "Ước TH"),
                         ("", "", "", "năm 2001", "năm 2002"))) == (
        "Số TT", "Tên chỉ tiêu", "Đơn vị tính", "Thực hiện năm 2001", "Ước TH năm 2002")
    # a group header over its sub-columns heads each; a row numbering the columns adds nothing
    assert merge_header((("STT", "Cơ quan", "Trong đó", "", ""),
                         ("", "", "nhóm A", "nhóm B", "nhóm C"),
                         ("1", "2", "3", "4", "5"))) == (
        "STT", "Cơ quan", "Trong đó nhóm A", "Trong đó nhóm B", "Trong đó nhóm C")


def test_column_roles_from_the_header_and_the_cells():
    header = ("Số TT", "Tên chỉ tiêu", "Đơn vị tính", "Thực hiện năm 2001", "Nội dung KH 2003",
              "Ghi chú")
    rows = [["1", "Dân số", "Người", "1.200", "Điều tra dân số giữa kỳ", ""],
            ["2", "Số hộ", "Hộ", "300", "Cập nhật hằng năm", "x"]]
    assert [c.role for c in columns_of(header, rows)] == [
        "label", "description", "unit", "period", "other", "note"]
    assert columns_of(header, rows)[3].period == "2001"


def test_a_table_split_over_pages_keeps_its_header_and_each_row_its_lines():
    text = ("PHỤ LỤC\nSTT\tChỉ tiêu\tNăm 2021\tNăm 2022\n1\tSố văn bản\t3\t4\n2\tSố cuộc\t5\t6\n"
            "\f3\tSố lớp\t7\t8\n4\tSố người\t9\t10\n5\tSố hồ sơ\t11\t12\n")
    tables = read_tables(document_from_text(text, "t.txt").lines)
    assert [(t.heading, t.layout, len(t.rows)) for t in tables] == [("PHỤ LỤC", "grid", 5)]
    rows = tables[0].rows
    assert rows[2].page == 2 and rows[2].line_start == 6
    assert rows[2].header == ("STT", "Chỉ tiêu", "Năm 2021", "Năm 2022")
    assert rows[2].header_of(3) == "Năm 2022" and rows[2].header_of(7) is None


def test_running_text_is_told_from_a_cell():
    assert is_running_text("Căn cứ kế hoạch của UBND tỉnh, các Sở, ban, ngành xây dựng báo cáo "
                           "sơ kết. Báo cáo gửi về Sở Nội vụ trước ngày 20/5/2025.")
    assert not is_running_text("Tỷ lệ TTHC được công bố, công khai đúng quy định trên Cổng "
                               "Dịch vụ công quốc gia")


# --- properties ------------------------------------------------------------------------------

WORDS = ["Số", "văn", "bản", "Tỷ", "lệ", "hồ", "sơ", "cuộc", "kiểm", "tra", "Hộ", "12", "3,5",
         "100%", "x", "(a)", "Trong", "Kết", "quả", "tổng", "cộng"]
CELL = st.lists(st.sampled_from(WORDS), min_size=0, max_size=4).map(" ".join)
TEXT_CELL = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)


@st.composite
def printed_tables(draw) -> list[list[str]]:
    """A table's body rows: a label, a description, then value cells (some empty)."""
    width = draw(st.integers(3, 6))
    n = draw(st.integers(5, 12))
    rows = []
    for i in range(n):
        label = draw(st.sampled_from([f"{i + 1}", f"{i + 1}.", f"1.{i + 1}", ""]))
        rows.append([label, draw(TEXT_CELL), *draw(st.lists(CELL, min_size=width - 2,
                                                            max_size=width - 2))])
    return rows


def _grid(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join("\t".join(r) for r in [header, *rows])


def _blocks(header: list[str], rows: list[list[str]]) -> str:
    return "\n\n".join("\n".join(f"\t{c}" for c in r) for r in [header, *rows])


@settings(max_examples=60, deadline=None)
@given(printed_tables(), st.sampled_from([_grid, _blocks]))
def test_a_table_in_any_layout_reads_back_the_same_cells(rows, render):
    header = ["STT", "Chỉ tiêu", *[f"Cột {k}" for k in range(len(rows[0]) - 2)]]
    # (an unindented line under a one-cell-per-line block goes on with its last cell, as a
    # paragraph wrapped inside a cell is exported: the table ends the text here)
    text = f"PHỤ LỤC 1\n{render(header, rows)}"
    tables = read_tables(document_from_text(text, "t.txt").lines)
    assert len(tables) == 1 and tables[0].heading == "PHỤ LỤC 1"
    assert [[c.text for c in row.cells] for row in tables[0].rows] == rows
    assert all(row.header == tuple(header) for row in tables[0].rows)


LINE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                    max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE_TEXT, max_size=25))
def test_arbitrary_lines_never_crash_the_reading(texts):
    lines = [Line(t.replace("\n", " "), 1, n) for n, t in enumerate(texts, start=1)]
    tables = read_tables(lines)
    for table in tables:
        table_rows(table)
    match_tables(tables)


@given(st.lists(st.integers(1, 12), min_size=1, max_size=3).map(
    lambda parts: ".".join(map(str, parts))))
def test_a_row_number_printed_cleanly_is_its_own_exact_label(row):
    """Catalog rows go three levels deep (``6.2.4``); a label token is at most 9 characters."""
    assert looks_like_label(f"{row}.")
    assert label_score(read_label(f"{row}."), row) == (1.0, "exact")


@given(st.text(max_size=9), st.lists(st.integers(1, 9), min_size=1, max_size=3).map(
    lambda parts: ".".join(map(str, parts))))
def test_label_scores_are_bounded_and_need_a_digit(token, row):
    score, how = label_score(read_label(token), row)
    assert 0.0 <= score <= 1.0 and how in {"exact", "confusion", "near", "none"}
    if looks_like_label(token):
        assert any(ch.isdigit() for ch in token)


def test_a_sheet_holding_two_tables_gives_two():
    """A real .xls (2007-74Z4A) as its transcript: a table of provinces and ministries under a
    header printed over four rows, then a second table (``TT | Ngành | Tổng số …``)."""
    path = DATA / "xls-2007-74Z4A-giam-sat-dau-tu.txt"
    tables = read_tables(document_from_text(path.read_text(encoding="utf-8"), path.name).lines)
    assert len(tables) == 2
    first, second = tables
    an_giang = next(r for r in first.rows if r.cells[1].text == "An giang")
    assert an_giang.header[:3] == ("STT", "Cơ quan", "Tổng số")
    assert an_giang.header[13] == "Số D.A. đưa vào HĐ nhưng không hiệu quả"
    assert [(an_giang.header_of(c), an_giang.cells[c].text) for c in (2, 6)] == [
        ("Tổng số", "268"), ("Số D.A. phê duyệt trong kỳ", "184")]
    assert second.header[:3] == ("TT", "Ngành", "Tổng số")
    assert next(r for r in second.rows if r.cells[0].text).cells[1].text == "Nông nghiệp"
