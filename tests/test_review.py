"""The review workbook, end to end through the CLI on the real samples: ingest, export the
workbook, correct it as a reviewer does in Excel, apply, re-run the batch, export again."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from mapping.catalog import get_catalog
from pipelines.review import (
    CORRECTED_FILL,
    INPUT_COLUMNS,
    RECORD_COLUMNS,
    VALUE_FILL,
    Edit,
    Rejected,
    check_edit,
    check_indicator,
    check_value,
    held_twice,
    parse_corrected_value,
)
from tests.conftest import SAMPLES
from tests.test_cli_ingest import OCR_SAMPLE, PDF_TEXT_SAMPLE, run_cli

HEADERS = [h for h, *_ in RECORD_COLUMNS] + [h for h, *_ in INPUT_COLUMNS]


def records(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]


def by_indicator(out: Path) -> dict[str, dict]:
    return {r["indicator_id"]: r for r in records(out)}


def corrections(out: Path) -> list[tuple]:
    with duckdb.connect(str(out / "vnextract.duckdb"), read_only=True) as con:
        return con.execute("SELECT record_id, field, original, corrected, typed, corrected_by, "
                           "corrected_at, workbook, sheet, sheet_row, note, run "
                           "FROM corrections ORDER BY seq").fetchall()


def sheet_rows(path: Path, sheet: str) -> dict[str, int]:
    """indicator_id → row of a sheet of the workbook."""
    ws = load_workbook(path, read_only=True)[sheet]
    col = HEADERS.index("indicator_id")
    return {row[col]: n for n, row in enumerate(ws.iter_rows(min_row=2, values_only=True), 2)}


def write(path: Path, out: Path, edits: list[tuple[str, str | int, dict]]) -> None:
    """Fill the reviewer's columns of the rows named by (sheet, indicator_id or row)."""
    workbook = load_workbook(path)
    for sheet, where, cells in edits:
        row = where if isinstance(where, int) else sheet_rows(path, sheet)[where]
        headers = [c.value for c in workbook[sheet][1]]
        for title, value in cells.items():
            workbook[sheet].cell(row, headers.index(title) + 1, value)
    workbook.save(out)


@pytest.fixture
def batch(tmp_path) -> tuple[Path, Path]:
    """The two samples (an OCR dump with many records to review, a PDF text layer), copied so
    that the test may touch and change them, ingested into ``out``."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in (OCR_SAMPLE, PDF_TEXT_SAMPLE):
        shutil.copy(SAMPLES / f"{name}.txt", inputs / f"{name}.txt")
    out = tmp_path / "out"
    result = run_cli("ingest", str(inputs), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return inputs, out


def test_round_trip(batch, tmp_path):
    inputs, out = batch
    before = records(out)
    flagged = {r["record_id"] for r in before if r["needs_review"]}
    assert 60 <= len(flagged) < len(before)  # the OCR dump has many, the text layer few

    # -- export: a sheet per catalog, flagged values highlighted, reasons as comments --
    workbook = tmp_path / "review.xlsx"
    result = run_cli("review", "export", str(out), "-o", str(workbook))
    assert result.returncode == 0, result.stderr
    # the text layer's list of tasks is a table no catalog matched: its rows as printed
    assert "245 records; tn2025.pl1 (110), tn2025.pl2 (120), no-catalog (15)" in result.stderr
    wb = load_workbook(workbook)
    assert wb.sheetnames == ["tn2025.pl1", "tn2025.pl2", "no-catalog"]
    seen = set()
    for ws in wb.worksheets:
        headers = [c.value for c in ws[1]]
        generic = ws.title == "no-catalog"
        assert headers == (HEADERS[:16] + ["cells"] + HEADERS[16:] if generic else HEADERS)
        assert ws.freeze_panes == "C2" and ws.auto_filter.ref.startswith("A1:")
        for row in ws.iter_rows(min_row=2):
            cells = dict(zip(headers, row, strict=True))
            seen.add(cells["record_id"].value)
            indicator = cells["indicator_id"].value
            assert indicator is None if generic else indicator.startswith(ws.title + "/")
            value = cells["value"]
            if cells["record_id"].value in flagged:
                assert cells["needs_review"].value is True
                assert value.fill.fgColor.rgb == "00" + VALUE_FILL
                for reason in cells["reasons"].value.split("; "):
                    assert reason in value.comment.text
            else:
                assert value.comment is None and value.fill.fgColor.rgb == "00000000"
            assert cells["corrected value"].value is None
            assert cells["corrected value"].number_format == "@"
    assert seen == {r["record_id"] for r in before}
    wb.close()

    # -- a reviewer corrects three values and mistypes two --
    edited = tmp_path / "review-edited.xlsx"
    write(workbook, edited, [
        ("tn2025.pl1", "tn2025.pl1/1.3.3", {  # printed `Z`: 141 − 134 = 7
            "corrected value": "7", "corrected by": "Trần Bình",
            "corrected at": "04/12/2026 09:30", "reviewer note": "Z = 7 (141 − 134)"}),
        ("tn2025.pl1", "tn2025.pl1/3.2.3.b", {"corrected value": "trống"}),  # `P o`: noise
        ("tn2025.pl2", "tn2025.pl2/3.4.2.a", {"corrected value": "16.870"}),
        ("tn2025.pl1", "tn2025.pl1/1.1", {"corrected value": "120"}),  # a rate over 100
        ("tn2025.pl2", "tn2025.pl2/1.5", {"corrected value": 2}),  # Không = 0, Có = 1
        ("tn2025.pl2", "tn2025.pl2/6.1", {"reviewer note": "đã xem"}),  # no correction
        # a row of the list of tasks named as a catalog row the document's appendix holds
        ("no-catalog", 2, {"corrected indicator_id": "tn2025.pl2/1.2"}),
    ])
    result = run_cli("review", "apply", str(out), str(edited), "--by", "Lê Chi", "--dry-run")
    assert "would apply 3 corrections to 3 records; 0 unchanged; 3 rejected" in result.stderr
    assert corrections(out) == [] and records(out) == before
    result = run_cli("review", "apply", str(out), str(edited), "--by", "Lê Chi")
    assert result.returncode == 1  # rows were rejected
    rows = sheet_rows(workbook, "tn2025.pl1")
    assert (f"rejected review-edited.xlsx, sheet 'tn2025.pl1' row {rows['tn2025.pl1/1.1']} "
            "(tn2025.pl1/1.1): 120 is not a rate: a value in % is within 0–100") in result.stderr
    assert ("(tn2025.pl2/1.5): 2 is not in the code book of tn2025.pl2/1.5: 0 (Không), 1 (Có)"
            in result.stderr)
    line = by_indicator(out)["tn2025.pl2/1.2"]["line"]
    assert (f"sheet 'no-catalog' row 2 (row 1): tn2025.pl2/1.2 is already the row of the record of "
            f"line {line} of this document: correct that one too") in result.stderr
    assert "applied 3 corrections to 3 records (run 2); 0 unchanged; 3 rejected" \
        in result.stderr

    def check(out: Path) -> None:
        after = by_indicator(out)
        assert after["tn2025.pl1/1.3.3"]["value"] == 7
        assert after["tn2025.pl1/1.3.3"]["original"] == {"value": None}
        assert after["tn2025.pl1/1.3.3"]["corrected_by"] == "Trần Bình"
        assert after["tn2025.pl1/1.3.3"]["corrected_at"] == "2026-12-04T09:30:00"
        assert after["tn2025.pl1/3.2.3.b"]["value"] is None
        assert after["tn2025.pl1/3.2.3.b"]["original"] == {"value": 27}
        assert after["tn2025.pl2/3.4.2.a"]["value"] == 16870
        assert after["tn2025.pl2/3.4.2.a"]["original"] == {"value": 16807}
        assert after["tn2025.pl2/3.4.2.a"]["corrected_by"] == "Lê Chi"
        assert after["tn2025.pl2/3.4.2.a"]["value_raw"] == "16.807"  # as printed, kept
        assert after["tn2025.pl1/1.1"]["value"] == 80 and not after["tn2025.pl1/1.1"]["corrected"]
        assert sum(r["corrected"] for r in after.values()) == 3
        ids = [r["record_id"] for r in records(out)]
        assert len(ids) == len(before) == len(set(ids))  # no record twice

    check(out)
    history = corrections(out)
    assert [(field, original, corrected, typed, by, sheet) for
            _, field, original, corrected, typed, by, _, _, sheet, _, _, _ in history] == [
        ("value", "null", "7", "7", "Trần Bình", "tn2025.pl1"),
        ("value", "27", "null", "trống", "Lê Chi", "tn2025.pl1"),
        ("value", "16807", "16870", "16.870", "Lê Chi", "tn2025.pl2")]
    assert history[0][7] == "review-edited.xlsx" and history[0][10] == "Z = 7 (141 − 134)"
    assert history[0][9] == sheet_rows(workbook, "tn2025.pl1")["tn2025.pl1/1.3.3"]

    # -- applying the same workbook again stores nothing new --
    result = run_cli("review", "apply", str(out), str(edited), "--by", "Lê Chi")
    assert "applied 0 corrections to 0 records; 3 unchanged; 3 rejected" in result.stderr
    assert len(corrections(out)) == 3

    # -- re-runs of the batch keep them: an input touched, an input read again (new settings)
    ocr = inputs / f"{OCR_SAMPLE}.txt"
    os.utime(ocr, (ocr.stat().st_atime, ocr.stat().st_mtime + 60))
    assert run_cli("ingest", str(inputs), "--out", str(out)).returncode == 0
    check(out)
    result = run_cli("ingest", str(ocr), "--out", str(out), "--catalog", "tn2025.pl1")
    assert result.returncode == 0, result.stderr
    assert "│ text-ocr │         1 │  1 │" in result.stderr  # read again, not skipped
    check(out)
    assert len(corrections(out)) == 3

    # -- the workbook exported now shows the corrections; a newer one supersedes --
    again = tmp_path / "review-2.xlsx"
    assert run_cli("review", "export", str(out), "-o", str(again)).returncode == 0
    ws = load_workbook(again)["tn2025.pl1"]
    row = sheet_rows(again, "tn2025.pl1")["tn2025.pl1/1.3.3"]
    value = ws.cell(row, HEADERS.index("value") + 1)
    assert value.value == 7 and value.fill.fgColor.rgb == "00" + CORRECTED_FILL
    assert "corrected by Trần Bình at 2026-12-04T09:30:00: value was None" in value.comment.text
    write(again, again, [("tn2025.pl1", "tn2025.pl1/1.3.3", {"corrected value": "8"})])
    result = run_cli("review", "apply", str(out), str(again), "--by", "Phạm Dũng")
    assert result.returncode == 0, result.stderr
    latest = by_indicator(out)["tn2025.pl1/1.3.3"]
    assert (latest["value"], latest["corrected_by"], latest["original"]) == (
        8, "Phạm Dũng", {"value": None})
    history = corrections(out)
    assert [(h[3], h[5], h[11]) for h in history if h[0] == latest["record_id"]] == [
        ("7", "Trần Bình", 2), ("8", "Phạm Dũng", 5)]  # the older kept as history
    assert len(records(out)) == len(before)

    # -- an input whose content changed is another document: its corrections do not apply --
    with ocr.open("a", encoding="utf-8") as fh:
        fh.write("\n")
    assert run_cli("ingest", str(inputs), "--out", str(out)).returncode == 0
    after = by_indicator(out)
    assert after["tn2025.pl1/1.3.3"]["corrected"] is False
    assert after["tn2025.pl2/3.4.2.a"]["value"] == 16870  # the unchanged input's still do
    assert len(records(out)) == len(before)
    result = run_cli("review", "export", str(out), "-o", str(again))
    assert "2 corrected records are no longer in the store" in result.stderr


def test_review_needs_a_store(tmp_path):
    result = run_cli("review", "export", str(tmp_path), "-o", str(tmp_path / "r.xlsx"))
    assert result.returncode == 2
    assert "no vnextract.duckdb here; run `vnextract ingest" in result.stderr


def test_values_are_read_the_vietnamese_way():
    assert parse_corrected_value("16.807") == (16807, False)
    assert parse_corrected_value("98,37") == (98.37, False)
    assert parse_corrected_value("29,3%") == (29.3, True)
    assert parse_corrected_value(0.293, is_percent=True) == (29.3, True)  # an Excel percentage
    assert parse_corrected_value(12.0) == (12, False)
    assert parse_corrected_value("Trống") == (None, False)
    assert parse_corrected_value("tro\u0302\u0301ng") == (None, False)  # typed decomposed
    for bad in ("abc", "12/41", "1,2,3.4.5", True):
        with pytest.raises(Rejected, match="not a number"):
            parse_corrected_value(bad)


def test_values_are_checked_against_the_catalog():
    pl2 = get_catalog("tn2025.pl2")
    rate, code, count = pl2.get("tn2025.pl2/6.1"), pl2.get("tn2025.pl2/1.5"), \
        pl2.get("tn2025.pl2/3.4.2.a")
    check_value(98.37, False, "%", rate)
    check_value(1, False, code.unit, code)
    check_value(16807, False, count.unit, count)
    check_value(None, False, "%", rate)  # nothing printed: always possible
    check_value(250, False, "Hồ sơ", None)  # a generic row: only its unit is known
    for value, percent, unit, entry, message in [
        (100.5, False, "%", rate, "not a rate"),
        (-1, False, "%", None, "not a rate"),
        (2, False, code.unit, code, r"not in the code book of tn2025.pl2/1.5: 0 \(Không\)"),
        (3.5, False, count.unit, count, "not a count"),
        (-4, False, count.unit, count, "not a count"),
        (30, True, "Hồ sơ", count, "a percentage, but the unit is 'Hồ sơ'"),
    ]:
        with pytest.raises(Rejected, match=message):
            check_value(value, percent, unit, entry)


def test_indicators_must_be_rows_of_their_catalog():
    assert check_indicator("3.2.1", "tn2025.pl1").id == "tn2025.pl1/3.2.1"
    assert check_indicator("tn2025.pl2/1.1", None).id == "tn2025.pl2/1.1"  # a generic row
    for typed, catalog, message in [("tn2025.pl2/1.1", "tn2025.pl1", "not a row of tn2025.pl1"),
                                    ("9.9.9", "tn2025.pl1", "not a row of catalog tn2025.pl1"),
                                    ("xx.pl1/1", None, "no catalog 'xx.pl1'")]:
        with pytest.raises(Rejected, match=message):
            check_indicator(typed, catalog)


def test_a_row_sets_the_fields_it_names():
    generic = {"catalog": None, "indicator_id": None, "unit": "%", "value": 41,
               "description": "Tỷ lệ hồ sơ trực tuyến"}
    edit = Edit("no-catalog", 7, "ab", "29,3", False, "tn2025.pl1/3.2.1", None, None, None)
    changes = check_edit(edit, generic, "An", "2026-12-04T03:00:00+00:00")
    entry = get_catalog("tn2025.pl1").get("tn2025.pl1/3.2.1")
    assert changes == [("indicator_id", entry.id, "tn2025.pl1/3.2.1"),
                       ("catalog", "tn2025.pl1", "tn2025.pl1/3.2.1"),
                       ("description", entry.description, "tn2025.pl1/3.2.1"),
                       ("unit", "%", "tn2025.pl1/3.2.1"), ("value", 29.3, "29,3")]
    with pytest.raises(Rejected, match="no reviewer"):
        check_edit(edit, generic, None, "now")
    late = Edit("no-catalog", 7, "ab", "3", False, None, "An", "tomorrow", None)
    with pytest.raises(Rejected, match="'corrected at' 'tomorrow' is not a time"):
        check_edit(late, generic, None, "now")


def test_a_catalog_row_is_held_once_per_document_and_period():
    records = {"a": ("f", {"indicator_id": "c/1", "period": "2025", "line": 4}),
               "b": ("f", {"indicator_id": "c/2", "period": "2025", "line": 9}),
               "c": ("f", {"indicator_id": "c/3", "period": "2024", "line": 12}),
               "d": ("g", {"indicator_id": "c/3", "period": "2025", "line": 3})}
    assert held_twice({"a": "c/2"}, records) == {"a": records["b"][1]}
    assert held_twice({"a": "c/2", "b": "c/1"}, records) == {}  # a swap
    assert held_twice({"a": "c/3"}, records) == {}  # another period, another document
    assert held_twice({"a": "c/1"}, records) == {}  # its own row
    records["e"] = ("f", {"indicator_id": None, "period": None, "line": 40})  # a printed row
    assert held_twice({"e": "c/3"}, records) == {"e": records["c"][1]}
