"""Held-out measurement (issue #2): the unchanged pipeline on unseen documents OCR'd like 001.

``bench.synth`` makes each document from one seed (catalogs ``tn2025.pl1`` and ``tn2025.pl2``
alternate): filled table → PDF → degraded scan → Tesseract ``eng``. Each OCR text goes through
the same calls as ``vnextract ingest`` (``read_document`` → ``ingest_document``), and the
records are scored against the generator's truth.

Scoring. Line numbers of OCR output are unknown, and the alignment is monotonic in document
order, so a row is right when a record carries its ``indicator_id`` (the first such record is
the row's); every other record (an id not in the truth, no id, a second record for an id) is a
wrong row, so rows right % = right / (truth rows + wrong rows). A value is exact when the row's
record holds the printed value (printed rows only). A row whose record value differs from the
truth (a missed, wrong or invented value; a missing record loses a printed value) is wrong &
flagged when the record has ``needs_review``, else wrong & unflagged.

Generated files are cached under ``bench/out/synth/v<GENERATOR_VERSION>/`` by catalog and seed.

Run: ``python -m bench.generalize [--docs 6] [--seed 2026] [--jobs 1] [--details]``
"""

from __future__ import annotations

import argparse
import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import synth
from pipelines.evaluate import load_expected
from pipelines.ingest import ingest_document, read_document

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench/out/synth" / f"v{synth.GENERATOR_VERSION}"
REPORT_DIR = ROOT / "bench/out/generalize"
CATALOGS = ("tn2025.pl1", "tn2025.pl2")
TARGET_ROWS, TARGET_VALUES = 0.90, 0.85


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


def _ocr_tokens(text: str) -> set[str]:
    """The OCR text's tokens: split at spaces and at the ``|`` ``[`` ``]`` of ruling lines."""
    return set(re.split(r"[\s|\[\]]+", text))


def legible_values(expected: list[dict], ocr_text: str) -> int:
    """Printed values whose exact token is somewhere in the OCR text: a rough upper bound on
    what extraction can get (a value the OCR garbled, ``85%`` → ``* —e``, is lost before it)."""
    tokens = _ocr_tokens(ocr_text)
    return sum(1 for e in expected if e["value_status"] == "printed" and e["value_raw"] in tokens)


def legible_near_row(expected: list[dict], records: list[dict], ocr_text: str) -> int:
    """Printed values whose exact token is on the lines around their row's record (two lines
    before its first line to three after): an estimate of the values the OCR kept legible where
    they belong, tighter than :func:`legible_values`, which also counts a small number that
    happens to be printed anywhere else in the text. (A value printed further away, or a row
    placed on the wrong line, escapes it, so this is not a strict bound.)"""
    lines = ocr_text.splitlines()
    first_line = {}
    for record in records:
        if record.get("indicator_id") and record.get("line"):
            first_line.setdefault(record["indicator_id"], record["line"])
    near = 0
    for exp in expected:
        line = first_line.get(exp["indicator_id"])
        if exp["value_status"] != "printed" or line is None:
            continue
        window = lines[max(0, line - 3):line + 3]
        near += exp["value_raw"] in _ocr_tokens("\n".join(window))
    return near


def score_document(records: list[dict], expected: list[dict]) -> dict:
    """Score one document's records against its truth (see the module docstring)."""
    truth_ids = {e["indicator_id"] for e in expected}
    by_id: dict[str, dict] = {}
    extra: list[dict] = []
    for record in records:
        rid = record.get("indicator_id")
        if rid in truth_ids and rid not in by_id:
            by_id[rid] = record
        else:
            extra.append(record)
    rows_right = values = values_exact = wrong_flagged = 0
    missing: list[str] = []
    wrong: list[dict] = []
    for exp in expected:
        record = by_id.get(exp["indicator_id"])
        if record is None or "row-not-found" in record["reasons"]:
            missing.append(exp["indicator_id"])  # a placeholder for a row not found is no row
        else:
            rows_right += 1
        printed = exp["value_status"] == "printed"
        got = record["value"] if record else None
        if printed:
            values += 1
            values_exact += _same(got, exp["value"])
        if _same(got, exp["value"] if printed else None):
            continue
        flagged = bool(record and record["needs_review"])
        wrong_flagged += flagged
        wrong.append({"id": exp["indicator_id"], "printed": exp["value_raw"], "got": got,
                      "got_raw": record["value_raw"] if record else None,
                      "line": record["line"] if record else None, "flagged": flagged,
                      "reasons": record["reasons"] if record else ["no-record"]})
    rows_total = len(expected) + len(extra)
    return {
        "rows_right": rows_right, "rows_total": rows_total,
        "row_rate": rows_right / rows_total if rows_total else 0.0,
        "values_exact": values_exact, "values": values,
        "value_rate": values_exact / values if values else 0.0,
        "wrong_unflagged": sum(not w["flagged"] for w in wrong), "wrong_flagged": wrong_flagged,
        "records": len(records), "needs_review": sum(r["needs_review"] for r in records),
        "missing": missing,
        "extra": [f"{r.get('indicator_id')}@{r['line']}" for r in extra],
        "wrong": wrong,
    }


def _generate(job: tuple[str, int]) -> tuple[synth.SynthDocument, float]:
    catalog_id, seed = job
    start = time.perf_counter()
    return synth.generate(catalog_id, seed, CACHE), time.perf_counter() - start


def documents(n_docs: int, seed: int, jobs: int = 1) -> tuple[list[synth.SynthDocument], float]:
    """The n held-out documents (generated or from the cache), and the seconds spent."""
    plan = [(CATALOGS[i % len(CATALOGS)], seed + i) for i in range(n_docs)]
    start = time.perf_counter()
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            made = list(pool.map(_generate, plan))
    else:
        made = [_generate(job) for job in plan]
    return [doc for doc, _ in made], time.perf_counter() - start


def run(n_docs: int = 6, seed: int = 2026, jobs: int = 1) -> dict:
    """Generate (or reuse) ``n_docs`` documents, ingest each OCR text as ``vnextract ingest``
    does, and score it. Returns per-document and total figures, and the timings."""
    docs, generate_seconds = documents(n_docs, seed, jobs)
    result: dict = {"documents": {}, "generate_seconds": generate_seconds}
    ingest_seconds = 0.0
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        start = time.perf_counter()
        records, status = ingest_document(read_document(doc.ocr))
        ingest_seconds += time.perf_counter() - start
        rows = [r.to_dict() for r in records]
        (REPORT_DIR / f"{doc.name}.records.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        expected = load_expected(doc.expected)
        scored = score_document(rows, expected)
        ocr_text = doc.ocr.read_text(encoding="utf-8")
        scored["values_legible"] = legible_values(expected, ocr_text)
        scored["values_near_row"] = legible_near_row(expected, rows, ocr_text)
        scored["catalog"] = doc.name.rsplit("-s", 1)[0]
        scored["detected"] = status.catalogs
        result["documents"][doc.name] = scored
    total = {k: sum(d[k] for d in result["documents"].values())
             for k in ("rows_right", "rows_total", "values_exact", "values", "values_legible",
                       "values_near_row", "wrong_unflagged",
                       "wrong_flagged", "records", "needs_review")}
    total["row_rate"] = total["rows_right"] / total["rows_total"] if total["rows_total"] else 0.0
    total["value_rate"] = total["values_exact"] / total["values"] if total["values"] else 0.0
    result["total"] = total
    result["ingest_seconds"] = ingest_seconds
    (REPORT_DIR / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                            encoding="utf-8")
    return result


def markdown(result: dict) -> str:
    lines = ["| document | catalog detected | rows right | row rate | values exact | value rate "
             "| legible in OCR | legible near row | wrong & unflagged | wrong & flagged "
             "| records flagged |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    docs = dict(result["documents"])
    docs["**total**"] = result["total"] | {"detected": ["—"]}
    for name, s in docs.items():
        lines.append(f"| {name} | {','.join(s['detected']) or 'none'} | "
                     f"{s['rows_right']}/{s['rows_total']} | {s['row_rate']:.3f} | "
                     f"{s['values_exact']}/{s['values']} | {s['value_rate']:.3f} | "
                     f"{s['values_legible']}/{s['values']} | "
                     f"{s['values_near_row']}/{s['values']} | "
                     f"{s['wrong_unflagged']} | {s['wrong_flagged']} | "
                     f"{s['needs_review']}/{s['records']} |")
    t = result["total"]
    verdict = "meets" if t["row_rate"] >= TARGET_ROWS and t["value_rate"] >= TARGET_VALUES \
        else "misses"
    lines += ["", f"Target ≥ {TARGET_ROWS:.0%} rows and ≥ {TARGET_VALUES:.0%} values: "
              f"**{verdict}**. \"Legible in OCR\": printed values whose token appears in "
              "the OCR text (an upper bound for extraction); \"legible near row\": those found on "
              "the lines around their row's record, a tighter estimate of what OCR kept. "
              f"Generation {result['generate_seconds']:.1f} s (0 when cached), "
              f"ingest {result['ingest_seconds']:.2f} s."]
    return "\n".join(lines)


def details(result: dict) -> str:
    out = []
    for name, s in result["documents"].items():
        out.append(f"## {name}")
        out.append(f"missing rows: {' '.join(s['missing']) or '-'}")
        out.append(f"wrong rows: {' '.join(s['extra']) or '-'}")
        for w in s["wrong"]:
            out.append(f"  {w['id']}: printed {w['printed']!r}, got {w['got']!r} "
                       f"({w['got_raw']!r}, line {w['line']}) "
                       f"{'flagged' if w['flagged'] else 'UNFLAGGED'} {','.join(w['reasons'])}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="held-out benchmark on synthetic OCR documents")
    parser.add_argument("--docs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=1, help="documents generated in parallel")
    parser.add_argument("--details", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    result = run(args.docs, args.seed, args.jobs)
    print(markdown(result))
    if args.details:
        print()
        print(details(result))


if __name__ == "__main__":
    main()
