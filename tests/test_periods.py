"""Per-year appendices (seed 003's layout: one cell per line, columns Năm 2021 … Năm 2025)."""

from __future__ import annotations

import json
import re

from tests.conftest import SAMPLES
from tests.test_cli_ingest import run_cli


def filled_outline(limit_appendix: int = 1) -> tuple[str, dict[tuple[str, int], str]]:
    """Seed 003's appendices 1..limit with every value cell typed in (some left empty)."""
    text = (SAMPLES / "template-de-cuong-09-phu-luc.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == "Phụ lục 1")
    end = next(i for i, line in enumerate(lines)
               if line.strip() == f"Phụ lục {limit_appendix + 1}")
    out, typed = lines[:start], {}
    block: list[str] = []
    label = None
    for line in lines[start:end] + [""]:
        if line.startswith("\t"):
            block.append(line)
            continue
        if block and re.match(r"^\t\d", block[0]):
            label = block[0].strip()
            cells = [c for c in block[1:] if c.strip()]
            empties = [i for i, c in enumerate(block) if not c.strip()]
            for n, i in enumerate(empties):
                value = "" if (len(typed) + n) % 9 == 4 else str(10 + len(typed) + n)
                typed[(label, n)] = value
                block[i] = f"\t{value}"
            del cells
        out.extend(block)
        block = []
        out.append(line)
    return "\n".join(out), typed


def test_per_year_table_gives_one_record_per_period(tmp_path):
    text, typed = filled_outline()
    report = tmp_path / "outline.txt"
    report.write_text(text, encoding="utf-8")
    out = tmp_path / "o"
    assert run_cli("ingest", str(report), "--out", str(out)).returncode == 0
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    pl1 = [r for r in rows if r["catalog"] == "dc.pl1"]
    periods = ["2021", "2022", "2023", "2024", "2025", "2025-03-31"]
    by_key = {(r["indicator_id"].split("/")[1], r["period"]): r for r in pl1}
    assert by_key[("1.1", "2021")]["value_raw"] == typed[("1.1", 0)]
    for (label, n), value in typed.items():
        record = by_key[(label, periods[n])]
        assert record["value_raw"] == (value or None)
        assert record["value"] == (int(value) if value else None)
    assert {r["period"] for r in pl1} == set(periods)


def test_a_doubtful_cell_flags_its_own_period_only():
    """A per-year row read cell by cell (a scan) whose 2023 cell Tesseract was unsure of: the
    2023 record needs review, the other periods of the row do not."""
    from extract.types import RawRow
    from mapping.catalog import get_catalog
    from mapping.tables import MatchedRow, TableResult
    from pipelines.records import records_for_table

    catalog = get_catalog("dc.pl1")
    entry = next(e for e in catalog.entries if e.kind == "count")
    cells = {p: str(10 + i) for i, p in enumerate(catalog.periods)}
    doubtful = catalog.periods[2]
    raw = RawRow(label_raw=entry.label, description_raw=entry.description, unit_raw=entry.unit,
                 value_raw=cells[catalog.periods[0]], values_by_period=cells,
                 period_reasons={p: ["ocr-value-uncertain"] if p == doubtful else []
                                 for p in catalog.periods})
    row = MatchedRow(raw=raw, catalog=catalog, entry=entry, label_how="exact", desc_score=0.9)
    records = records_for_table(TableResult("Phụ lục 1", catalog, 1.0, [row]), "scan.pdf", 1.0)
    by_period = {r.period: r for r in records}
    assert [by_period[p].value for p in catalog.periods] == [10 + i for i in range(
        len(catalog.periods))]
    assert by_period[doubtful].needs_review
    assert "ocr-value-uncertain" in by_period[doubtful].reasons
    assert not any(by_period[p].needs_review for p in catalog.periods if p != doubtful)
