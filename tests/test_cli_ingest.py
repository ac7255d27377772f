"""End to end through the `vnextract` CLI on the real samples, against hand-read records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines.evaluate import load_expected, score
from tests.conftest import ROOT, SAMPLES

CLI = [sys.executable, "-m", "pipelines.cli"]
OCR_SAMPLE = "so-dan-toc-thai-nguyen-432-2025"
PDF_TEXT_SAMPLE = "xa-binh-thanh-2025"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = run_cli("ingest", str(SAMPLES / f"{OCR_SAMPLE}.txt"),
                     str(SAMPLES / f"{PDF_TEXT_SAMPLE}.txt"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def records_of(out: Path, source: str) -> list[dict]:
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    return [r for r in rows if r["source"] == f"{source}.txt"]


def test_outputs_and_contract(ingested):
    for name in ("records.jsonl", "records.csv", "records.parquet", "documents.jsonl"):
        assert (ingested / name).is_file()
    assert not list(ingested.glob(".*.tmp"))  # atomic writes leave no temporaries
    frame = pd.read_parquet(ingested / "records.parquet")
    assert list(frame.columns) == ["source", "page", "line", "bbox", "catalog", "indicator_id",
                                   "period", "row_label_raw", "description_raw", "description",
                                   "unit", "value", "value_raw", "note", "confidence",
                                   "needs_review", "reasons", "cells", "record_id",
                                   "corrected", "original", "corrected_by", "corrected_at"]
    assert not frame["corrected"].any() and frame["original"].isna().all()  # none reviewed
    assert frame["record_id"].is_unique
    matched = frame[frame["catalog"].notna()]
    assert set(matched["period"]) == {"2021-2025"}  # one-period tables: the report period
    assert len(frame) == len(pd.read_csv(ingested / "records.csv"))
    docs = [json.loads(x) for x in (ingested / "documents.jsonl").read_text().splitlines()]
    assert {d["source"]: d["catalogs"] for d in docs} == {
        f"{OCR_SAMPLE}.txt": ["tn2025.pl1"], f"{PDF_TEXT_SAMPLE}.txt": ["tn2025.pl2"]}
    assert all(d["status"] == "ok" for d in docs)
    assert (ingested / "text" / f"{OCR_SAMPLE}.txt.txt").is_file()


def test_pdf_text_report_matches_hand_read_records(ingested):
    result = score(records_of(ingested, PDF_TEXT_SAMPLE),
                   load_expected(SAMPLES / "expected" / f"{PDF_TEXT_SAMPLE}.records.jsonl"))
    assert result.row_rate >= 0.98
    assert result.value_rate >= 0.97
    assert result.wrong_unflagged == []


def test_ocr_report_matches_hand_read_records(ingested):
    result = score(records_of(ingested, OCR_SAMPLE),
                   load_expected(SAMPLES / "expected" / f"{OCR_SAMPLE}.records.jsonl"))
    assert result.row_rate >= 0.95
    assert result.value_rate >= 0.90
    assert len(result.wrong_unflagged) <= 2


def test_specific_values_and_audit_fields(ingested):
    by_id = {r["indicator_id"]: r for r in records_of(ingested, PDF_TEXT_SAMPLE)}
    assert by_id["tn2025.pl2/3.4.2.a"]["value"] == 16807
    assert by_id["tn2025.pl2/6.1"]["value"] == pytest.approx(98.37)
    assert by_id["tn2025.pl2/6.1.a"]["value"] == pytest.approx(17759.720212)
    assert by_id["tn2025.pl2/1.5"]["needs_review"]  # 6 is outside "Không = 0 Có = 1"
    assert "code-out-of-range" in by_id["tn2025.pl2/1.5"]["reasons"]
    assert by_id["tn2025.pl2/1.1"]["description"].startswith("Tỷ lệ hoàn thành")
    ocr = {r["indicator_id"]: r for r in records_of(ingested, OCR_SAMPLE)}
    assert ocr["tn2025.pl1/3.2.2"]["row_label_raw"] == "300"
    garbled = ocr["tn2025.pl1/1.3.3"]
    assert garbled["needs_review"]
    # a code read among the digits of its code book in OCR'd text is not trusted; a code in a
    # text layer is
    assert ocr["tn2025.pl1/1.5"]["value"] == 1
    assert ocr["tn2025.pl1/1.5"]["needs_review"]
    assert "code-among-code-book" in ocr["tn2025.pl1/1.5"]["reasons"]
    assert not any("code-among-code-book" in r["reasons"] for r in by_id.values())
    for record in ocr.values():
        assert 0.0 <= record["confidence"] <= 1.0


def test_bad_inputs_give_status_lines_not_a_crash(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    out = tmp_path / "out"
    result = run_cli("ingest", str(empty), str(tmp_path / "missing.txt"),
                     str(SAMPLES / f"{PDF_TEXT_SAMPLE}.txt"), "--out", str(out))
    assert result.returncode == 0, result.stderr  # one good file: the batch succeeds
    docs = {d["source"]: d for d in map(json.loads,
                                         (out / "documents.jsonl").read_text().splitlines())}
    assert docs["empty.txt"]["status"] == "error" and "empty" in docs["empty.txt"]["message"]
    assert docs["missing.txt"]["status"] == "error"
    assert docs[f"{PDF_TEXT_SAMPLE}.txt"]["status"] == "ok"


def test_every_input_failing_exits_non_zero(tmp_path):
    result = run_cli("ingest", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "no such file" in result.stderr


def test_forced_catalog_and_unknown_catalog(tmp_path):
    out = tmp_path / "o"
    result = run_cli("ingest", str(SAMPLES / f"{PDF_TEXT_SAMPLE}.txt"), "--out", str(out),
                     "--catalog", "tn2025.pl1")
    assert result.returncode == 0
    catalogs = {json.loads(x)["catalog"] for x in (out / "records.jsonl").read_text().splitlines()}
    assert catalogs == {"tn2025.pl1"}
    bad = run_cli("ingest", str(SAMPLES / f"{PDF_TEXT_SAMPLE}.txt"), "--out", str(out),
                  "--catalog", "nope")
    assert bad.returncode == 2 and "unknown catalog" in bad.stderr


def test_unmatched_table_is_kept_with_a_reason(tmp_path):
    doc = tmp_path / "other.txt"
    doc.write_text("PHỤ LỤC\n1. Số cây xanh đã trồng trong năm Cây 120\n"
                   "2. Số km đường bê tông hóa Km 3\n", encoding="utf-8")
    out = tmp_path / "o"
    assert run_cli("ingest", str(doc), "--out", str(out)).returncode == 0
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    assert all(r["indicator_id"] is None and "no-catalog-match" in r["reasons"] for r in rows)
    assert all(r["needs_review"] for r in rows)


def test_catalogs_command_lists_catalogs():
    result = run_cli("catalogs")
    assert result.returncode == 0 and "tn2025.pl1" in result.stdout


def test_tab_separated_report_reads_every_row(tmp_path):
    """A report typed into the DOCX template (tab-separated cells, as seed 000 is exported):
    every row keeps its printed label's id and the value typed in its Số liệu cell."""
    template = (SAMPLES / "template-thai-nguyen-ke-hoach-73-2025.txt").read_text(
        encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(template) if line.startswith("## PHỤ LỤC SỐ II"))
    end = next(i for i, line in enumerate(template) if line.startswith("## PHỤ LỤC SỐ III"))
    lines, typed = [], {}
    for line in template[start:end]:
        cells = line.split("\t")
        if len(cells) >= 5 and cells[1] and cells[2] and cells[0] != "STT":
            cells[3] = f"{len(typed) + 1},5" if len(typed) % 7 == 3 else str(len(typed) + 1)
            typed[len(typed)] = cells
            line = "\t".join(cells)
        lines.append(line)
    report = tmp_path / "filled.txt"
    report.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "o"
    assert run_cli("ingest", str(report), "--out", str(out)).returncode == 0
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert {r["catalog"] for r in rows} == {"tn2025.pl2"}
    with_values = [r for r in rows if r["value_raw"] is not None]
    assert len(with_values) == len(typed)
    for record, cells in zip(with_values, typed.values(), strict=True):
        assert record["value_raw"] == cells[3]
        label = cells[0].replace("<b>", "").replace("</b>", "").strip().rstrip(".")
        if label and label not in ("Trong đó", "Trong", "đó"):
            assert record["indicator_id"] == f"tn2025.pl2/{label}"
    assert next(r for r in rows if r["indicator_id"] == "tn2025.pl2/3.1.3.b")["row_label_raw"] \
        is None


def test_legacy_encoded_report_gives_the_same_records(tmp_path):
    """The same report saved as TCVN3 (.VnTime) bytes is decoded and read identically."""
    from normalize.encodings import encode_legacy

    text = (SAMPLES / f"{PDF_TEXT_SAMPLE}.txt").read_text(encoding="utf-8")
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes(encode_legacy(text, "tcvn3"))
    out_legacy, out_utf8 = tmp_path / "a", tmp_path / "b"
    assert run_cli("ingest", str(legacy), "--out", str(out_legacy)).returncode == 0
    assert run_cli("ingest", str(SAMPLES / f"{PDF_TEXT_SAMPLE}.txt"), "--out",
                   str(out_utf8)).returncode == 0
    doc = json.loads((out_legacy / "documents.jsonl").read_text())
    assert doc["encoding"] == "tcvn3" and doc["encoding_fixes"] > 0

    def values(out: Path) -> list:
        return [(r["indicator_id"], r["value"]) for r in map(
            json.loads, (out / "records.jsonl").read_text().splitlines()) if r["indicator_id"]]

    assert values(out_legacy) == values(out_utf8)


def test_ingest_repairs_text_and_notes(ingested):
    """The OCR'd report's text comes out repaired, line for line; notes are repaired too,
    while description_raw keeps what the document printed."""
    text = (ingested / "text" / f"{OCR_SAMPLE}.txt.txt").read_text(encoding="utf-8")
    original = (SAMPLES / f"{OCR_SAMPLE}.txt").read_text(encoding="utf-8")
    assert len(text.split("\n")) == len(original.split("\n"))
    assert "1.3.1. |Tổng số nhiệm vụ được giao Nhiệm vụ 141" in text
    by_id = {r["indicator_id"]: r for r in records_of(ingested, OCR_SAMPLE)}
    notes = " ".join(by_id[i]["note"] or "" for i in ("tn2025.pl1/3.2.4.a", "tn2025.pl1/3.2.4.b"))
    assert "tiếp nhận từ 01.1.2025" in notes  # printed "tiép nhan tur"; its row is unsure
    assert "tiép nhan tur" not in notes
    pdf_text = {r["indicator_id"]: r for r in records_of(ingested, PDF_TEXT_SAMPLE)}
    assert pdf_text["tn2025.pl2/1.2.1"]["note"] == "3 cuộc"  # correct text: untouched


def test_document_metadata_in_documents_jsonl(ingested):
    """001's header, read from its repaired OCR text: number, date and issuing bodies, each
    with its confidence and line."""
    statuses = [json.loads(x) for x in (ingested / "documents.jsonl").read_text().splitlines()]
    meta = next(s for s in statuses if s["source"] == f"{OCR_SAMPLE}.txt")["metadata"]
    assert meta["number"]["value"] == "432/BC-SDT&TG"
    assert meta["date"]["value"] == "2025-04-29"
    assert meta["issuer_parent"]["value"] == "UBND TỈNH THÁI NGUYÊN"
    assert 0 < meta["number"]["confidence"] <= 1 and meta["number"]["line"] == 4
    other = next(s for s in statuses if s["source"] == f"{PDF_TEXT_SAMPLE}.txt")["metadata"]
    assert other["doc_type"]["value"] == "Báo cáo" and other["number"]["value"] is None
