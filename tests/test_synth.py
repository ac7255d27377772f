"""The synthetic document generator (bench/synth.py): consistent values, a PDF that prints them,
and (slow) an OCR text like seed 001's."""

from __future__ import annotations

import random

import numpy as np
import pymupdf
import pytest

from bench import synth
from mapping.catalog import get_catalog
from normalize.numbers import parse_vn_number

CATALOGS = ("tn2025.pl1", "tn2025.pl2")


@pytest.fixture(scope="module")
def filled() -> dict[tuple[str, int], list[synth.FilledRow]]:
    return {(cid, seed): synth.fill_catalog(get_catalog(cid), random.Random(seed))
            for cid in CATALOGS for seed in range(8)}


def test_rows_follow_the_catalog(filled):
    for (cid, _), rows in filled.items():
        assert [r.indicator_id for r in rows] == [e.id for e in get_catalog(cid).entries]


def test_printed_values_parse_back_the_vietnamese_way(filled):
    for rows in filled.values():
        for row in rows:
            if row.value_raw is None:
                assert row.value is None
                continue
            parsed = parse_vn_number(row.value_raw)
            assert parsed is not None, row
            assert parsed.value == pytest.approx(row.value), row


def test_values_are_consistent(filled):
    for (cid, _), rows in filled.items():
        catalog = get_catalog(cid)
        by_id = {r.indicator_id: r for r in rows}
        for row in rows:
            entry = catalog.get(row.indicator_id)
            if row.kind == "section":
                assert row.value is None
            if row.value is None:
                continue
            if row.kind == "count":
                assert isinstance(row.value, int) and 0 <= row.value <= 500
            if row.kind == "code":
                assert str(row.value) in entry.codebook
            if row.kind == "rate":
                assert 0 <= row.value <= 100
                num, den = by_id.get(entry.numerator), by_id.get(entry.denominator)
                if num and den and num.value is not None and den.value is not None:
                    assert num.value <= den.value
                    rounding = 0.5 if isinstance(row.value, int) else 0.05  # 0 or 1 decimal
                    assert abs(row.value - 100 * num.value / den.value) <= rounding + 1e-9
        for constraint in catalog.constraints:
            total = by_id[constraint.total].value
            parts = [by_id[p].value for p in constraint.parts]
            if total is not None and all(p is not None for p in parts):
                assert sum(parts) <= total


def test_shares_of_empty_rows_and_notes(filled):
    rows = [r for rs in filled.values() for r in rs if r.kind != "section"]
    empty = sum(r.value is None for r in rows) / len(rows)
    noted = sum(r.note is not None for r in rows) / len(rows)
    assert 0.2 < empty < 0.4
    assert 0.08 < noted < 0.25
    assert any(r.value_raw and r.value_raw.startswith("0") and len(r.value_raw) == 2
               for r in rows)  # 03
    assert any(r.value_raw and "," in r.value_raw for r in rows)  # 98,4
    assert any(r.value_raw and r.value_raw.endswith("%") for r in rows)  # 80%


def test_expected_records_format(filled):
    rows = filled[("tn2025.pl1", 0)]
    records = synth.expected_records(rows)
    assert len(records) == len(rows)
    assert set(records[0]) == {"indicator_id", "line", "row_label_raw", "unit_raw", "value",
                               "value_raw", "note", "value_status"}
    sub = next(r for r in records if r["indicator_id"] == "tn2025.pl1/1.1.a")
    assert sub["row_label_raw"] is None and sub["unit_raw"] == "Nhiệm vụ"
    for record in records:
        assert record["line"] is None
        assert record["value_status"] == ("printed" if record["value_raw"] else "empty")


def test_one_page_pdf_prints_descriptions_and_values(tmp_path, filled):
    catalog = get_catalog("tn2025.pl1")
    rows = filled[("tn2025.pl1", 3)][:14]
    path = tmp_path / "table.pdf"
    pages = synth.render_pdf(rows, catalog, path, rng=random.Random(3), prose=False)
    assert pages == 1
    with pymupdf.open(path) as doc:
        text = doc[0].get_text()
    flat = " ".join(text.split())
    assert "PHỤ LỤC SỐ I" in flat
    assert "Đơn vị tính" in flat and "Số liệu" in flat and "Ghi chú" in flat
    assert "Trong" in flat and "đó" in flat
    for row in rows:
        assert row.description in flat, row.description  # wrapped lines rejoin with spaces
        if row.value_raw:
            assert row.value_raw in text.split(), row.value_raw


def test_long_table_breaks_pages_and_repeats_the_header(tmp_path):
    catalog = get_catalog("tn2025.pl2")
    rows = synth.fill_catalog(catalog, random.Random(5))
    path = tmp_path / "full.pdf"
    pages = synth.render_pdf(rows, catalog, path, rng=random.Random(5))
    with pymupdf.open(path) as doc:
        texts = [page.get_text() for page in doc]
    assert pages == len(texts) >= 4
    assert "BÁO CÁO" in texts[0] and "Các chỉ tiêu" not in texts[0]  # prose page first
    assert all("Các chỉ tiêu" in t for t in texts[1:])
    assert "7.6.2." in texts[-1]


def test_degrade_keeps_the_page_and_changes_it():
    page = np.full((400, 300), 255, dtype=np.uint8)
    page[100:110, 50:250] = 0
    out = synth.degrade(page, random.Random(1))
    assert out.shape == page.shape and out.dtype == np.uint8
    assert not np.array_equal(out, page)
    assert out[105, 150] < 128 < out[300, 150]  # ink stays ink, paper stays paper


@pytest.mark.slow
def test_ocr_like_001_loses_diacritics(tmp_path):
    catalog = get_catalog("tn2025.pl1")
    rows = synth.fill_catalog(catalog, random.Random(2))[:10]
    path = tmp_path / "t.pdf"
    synth.render_pdf(rows, catalog, path, rng=random.Random(2), prose=False)
    text = synth.ocr_like_001(path, random.Random(2), dpi=200)
    assert "\f" not in text
    folded = text.upper()
    assert "PHU LUC" in folded or "PHULUC" in folded
    assert "CCHC" in text
    assert "Kiểm tra" not in text  # the English model has no Vietnamese letters like ể


PERIOD_CATALOGS = ("dc.pl1", "dc.pl2", "dc.pl8")


def test_per_year_rows_are_filled_per_period():
    for cid in PERIOD_CATALOGS:
        catalog = get_catalog(cid)
        rows = synth.fill_periods(catalog, random.Random(4))
        assert [r.indicator_id for r in rows] == [e.id for e in catalog.entries]
        cells = [c for r in rows for c in r.periods]
        for row in rows:
            assert [p for p, _, _ in row.periods] == list(catalog.periods)
            if row.kind == "section":
                assert all(v is None for _, v, _ in row.periods)
        for _, value, raw in cells:
            assert (value is None) == (raw is None)
            if raw is not None:
                assert parse_vn_number(raw).value == pytest.approx(value)
        by_id = {r.indicator_id: dict((p, v) for p, v, _ in r.periods) for r in rows}
        for entry in catalog.entries:  # each period's rate is its own numerator/denominator
            if not (entry.numerator and entry.denominator):
                continue
            for period in catalog.periods:
                rate, num, den = (by_id[i][period] for i in (entry.id, entry.numerator,
                                                             entry.denominator))
                if None not in (rate, num, den):
                    assert abs(rate - 100 * num / den) <= 0.5 + 1e-9
        values = [v for r in rows if r.kind != "section" for _, v, _ in r.periods]
        assert 0.1 < sum(v is None for v in values) / len(values) < 0.5


def test_expected_period_records():
    catalog = get_catalog("dc.pl1")
    rows = synth.fill_periods(catalog, random.Random(1))
    records = synth.expected_period_records(rows)
    assert len(records) == len(catalog.entries) * 6
    assert {r["period"] for r in records} == {"2021", "2022", "2023", "2024", "2025",
                                              "2025-03-31"}
    for record in records:
        assert record["value_status"] == ("printed" if record["value_raw"] else "empty")


def test_per_year_pdf_prints_the_outline_header(tmp_path):
    catalog = get_catalog("dc.pl2")
    rows = synth.fill_periods(catalog, random.Random(2))
    path = tmp_path / "pl2.pdf"
    synth.render_pdf(rows, catalog, path, rng=random.Random(2), prose=False)
    with pymupdf.open(path) as doc:
        flat = " ".join(" ".join(page.get_text() for page in doc).split())
    assert "Phụ lục 2" in flat and "Nhiệm vụ/tiêu chí" in flat
    assert "Các cơ quan, UBND các xã, thị trấn" in flat
    assert "Năm 2021" in flat and "Năm 2025 (tính đến 31/3)" in flat
    assert "Trong đó" in flat  # the 1.a … 1.f group shares one STT cell
    assert synth.period_header("2025-03-31") == "Năm 2025 (tính đến 31/3)"


def test_header_only_on_the_first_page(tmp_path):
    catalog = get_catalog("tn2025.pl2")
    rows = synth.fill_catalog(catalog, random.Random(5))
    path = tmp_path / "nh.pdf"
    pages = synth.render_pdf(rows, catalog, path, rng=random.Random(5), repeat_header=False)
    with pymupdf.open(path) as doc:
        texts = [page.get_text() for page in doc]
    assert pages >= 4 and "Các chỉ tiêu" in texts[1]
    assert not any("Các chỉ tiêu" in t for t in texts[2:])
