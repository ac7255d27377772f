"""Ingest speed and accuracy on the two real samples (part of ``make bench``)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from normalize.diacritics import load_model
from pipelines.evaluate import load_expected, score
from pipelines.ingest import ingest, ingest_document, read_document

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ["so-dan-toc-thai-nguyen-432-2025", "xa-binh-thanh-2025"]


def run(repeat: int = 5) -> dict:
    """The whole per-document path a user runs (decode, tables, records, text repair), after
    the language model is loaded once."""
    load_model()
    timings = []
    results = {}
    for _ in range(repeat):
        start = time.perf_counter()
        for name in SAMPLES:
            document = read_document(ROOT / "data/samples" / f"{name}.txt")
            records, _status = ingest_document(document)
            results[name] = [r.to_dict() for r in records]
        timings.append(time.perf_counter() - start)
    batch = []
    paths = [ROOT / "data/samples" / f"{name}.txt" for name in SAMPLES]
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(repeat):  # a fresh output folder each time: a re-run would skip both
            start = time.perf_counter()
            ingest(paths, Path(tmp) / str(n))  # the CLI's call: documents in parallel, stored
            batch.append(time.perf_counter() - start)
    out = {"ingest_seconds_both": min(batch), "sequential_seconds_both": min(timings),
           "samples": {}}
    for name in SAMPLES:
        s = score(results[name], load_expected(ROOT / "data/samples/expected" /
                                               f"{name}.records.jsonl"))
        out["samples"][name] = {
            "rows": f"{s.rows_right}/{s.rows}", "row_rate": round(s.row_rate, 3),
            "values": f"{s.values_exact}/{s.values}", "value_rate": round(s.value_rate, 3),
            "wrong_unflagged": len(s.wrong_unflagged), "wrong_flagged": s.wrong_flagged,
            "needs_review": sum(r["needs_review"] for r in results[name]),
            "records": len(results[name]),
        }
    return out
