"""Issue 12 item 4: does a record's confidence mean what it says?

Every record of the bench sets is scored right or wrong against its truth, its confidence is
binned, and each bin's share of right records is set against its mean confidence (a reliability
table). The sets are those of the other sections: OCR dumps like 001 (``bench.generalize``),
born-digital PDFs and their degraded scans (``bench.scans``: one-period, per-year and
borderless tables) and the two real samples with hand-read truth. The calibration map
(``pipelines/data/calibration.json``) is fitted on the DEVELOPMENT sets only
(``python -m bench.calibration --fit``) and reported on the held-out ones.

A record is right when it is the first record of a row the truth holds (keyed by indicator, and
period where the truth has periods) and its value is the truth's (the printed value, or none
where nothing is printed). Every other record — a second record for a row, a row the document
does not hold, a record without a catalog row — is wrong. Rows whose truth is ``uncertain`` (the
printed value cannot be known) are left out.

Reading a scan is slow (OCR), so each PDF's read :class:`~extract.types.Document` is kept
under ``bench/out/calibration/``; records are made again from it on every run, so a change to
``pipelines/records.py`` is measured in seconds.

Run: ``python -m bench.calibration [--fit]``; it also writes the held-out sets' reliability bins
to ``pipelines/data/reliability.json``, the chart of the audit page (``vnextract audit``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench import generalize, scans, synth
from pipelines.audit import RELIABILITY_PATH
from pipelines.evaluate import load_expected
from pipelines.ingest import ingest_document, read_document
from pipelines.records import (
    CALIBRATION_PATH,
    REVIEW_THRESHOLD,
    calibration_knots,
    fit_calibration,
)

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench/out/calibration"
SAMPLES = ROOT / "data/samples"
BINS = tuple(i / 10 for i in range(11))  # [0, .1), [.1, .2) … [.9, 1.0]
MIN_BIN = 50  # the target: no bin with at least this many records off by more than 0.1


@dataclass(frozen=True)
class Scored:
    """One record's confidence, review flag and whether its value is right."""

    confidence: float
    needs_review: bool
    right: bool
    reasons: tuple[str, ...]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


def label_records(records: list[dict], expected: list[dict], lines: bool = False
                  ) -> list[Scored]:
    """Each record right or wrong against the truth (see the module docstring). With
    ``lines`` (a hand-read truth of one table of a longer document), only the records of the
    truth's catalog or, without one, on the table's lines are scored."""
    if lines:
        catalogs = {e["indicator_id"].split("/")[0] for e in expected}
        first, last = min(e["line"] for e in expected), max(e["line"] for e in expected)
        records = [r for r in records if r["catalog"] in catalogs or (
            r["catalog"] is None and first <= r["line"] <= last)]
    periods = any("period" in e for e in expected)
    truth = {(e["indicator_id"], e.get("period") if periods else None): e for e in expected}
    seen: set[tuple] = set()
    out: list[Scored] = []
    for record in records:
        k = (record.get("indicator_id"), record.get("period") if periods else None)
        exp = truth.get(k) if k not in seen else None
        seen.add(k)
        if exp is not None and exp["value_status"] == "uncertain":
            continue
        right = exp is not None and _same(
            record["value"], exp["value"] if exp["value_status"] == "printed" else None)
        out.append(Scored(record["confidence"], record["needs_review"], right,
                          tuple(record["reasons"])))
    return out


def _records(document) -> list[dict]:
    records, _ = ingest_document(document)
    return [r.to_dict() for r in records]


def _cached_document(pdf: Path):
    """``read_document(pdf)``, kept as a pickle beside the bench's other outputs."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{pdf.name}.document.pkl"
    if path.exists():
        document = pickle.loads(path.read_bytes())
        # a pickle made before a field was added to Document is stale: read the PDF again
        if all(hasattr(document, f.name) for f in dataclasses.fields(document)):
            return document
    document = read_document(pdf, workers=2)
    path.write_bytes(pickle.dumps(document))
    return document


# OCR dumps like 001: (first seed, documents), the development set first (bench.run's SETS)
OCR_DUMP_SETS = ((2026, 12), (9100, 6), (9200, 6), (9300, 6), (9400, 12))


def _ocr_dump_sets(dev_only: bool = False) -> Iterator[tuple[str, bool, str, list[Scored]]]:
    """(set, development?, input kind, records) for the OCR dumps like 001."""
    for seed, n_docs in OCR_DUMP_SETS[:1] if dev_only else OCR_DUMP_SETS:
        dev = seed == OCR_DUMP_SETS[0][0]
        label = f"OCR dumps {seed}–{seed + n_docs - 1} ({'dev' if dev else 'held-out'})"
        docs, _ = generalize.documents(n_docs, seed)
        scored: list[Scored] = []
        for doc in docs:
            scored += label_records(_records(read_document(doc.ocr)), load_expected(doc.expected))
        yield label, dev, "ocr-dump", scored


def _sample_sets() -> Iterator[tuple[str, bool, str, list[Scored]]]:
    for name, kind in (("so-dan-toc-thai-nguyen-432-2025", "ocr-dump"),
                       ("xa-binh-thanh-2025", "clean-text")):
        expected = load_expected(SAMPLES / "expected" / f"{name}.records.jsonl")
        records = _records(read_document(SAMPLES / f"{name}.txt"))
        yield f"sample {name} (dev)", True, kind, label_records(records, expected, lines=True)


def _pdf_documents(seeds: tuple[int, ...] | None = None) -> Iterator[tuple[str, Path, list]]:
    """(name, born-digital PDF, truth) of the PDF benches, or of borderless ``seeds``."""
    out = scans.OUT
    if seeds is not None:
        for seed in seeds:
            catalog_id = scans.CATALOGS[seed % 2]
            rows = synth.fill_catalog(scans.get_catalog(catalog_id), random.Random(seed))
            pdf = out / f"{catalog_id}-s{seed}-borderless.pdf"
            if not pdf.exists():
                synth.render_pdf(rows, scans.get_catalog(catalog_id), pdf,
                                 rng=random.Random(seed), ruled=False)
            yield pdf.stem, pdf, synth.expected_records(rows)
        return
    for i in range(2):
        doc = synth.generate(scans.CATALOGS[i % 2], 7000 + i, out, ocr=False)
        yield doc.name, doc.pdf, load_expected(doc.expected)
    for i, (catalog_id, repeat) in enumerate(scans.PER_YEAR):
        doc = synth.generate(catalog_id, 7000 + i, out, ocr=False, repeat_header=repeat)
        yield doc.name, doc.pdf, load_expected(doc.expected)
    yield from _pdf_documents(tuple(seed for _, seed in scans.BORDERLESS))


def _pdf_sets() -> Iterator[tuple[str, bool, str, list[Scored]]]:
    for label, dev, seeds in (("PDFs 7000-7005, borderless 7730-7733 (held-out)", False, None),
                              ("borderless PDFs 7700-7703 (dev)", True,
                               (7700, 7701, 7702, 7703))):
        born: list[Scored] = []
        scanned: list[Scored] = []
        for _name, pdf, expected in _pdf_documents(seeds):
            scans.OUT.mkdir(parents=True, exist_ok=True)
            born += label_records(_records(_cached_document(pdf)), expected)
            seed = int(pdf.stem.split("-s")[1].split("-")[0])
            scanned += label_records(_records(_cached_document(scans.scan_of(pdf, seed))),
                                     expected)
        yield f"{label}, born-digital", dev, "born-digital", born
        yield f"{label}, scans", dev, "scan", scanned


def collect(dev_only: bool = False) -> list[tuple[str, bool, str, list[Scored]]]:
    """Every bench set (or the development sets): (name, development?, input kind, scored
    records)."""
    sets = [*_sample_sets(), *_pdf_sets(), *_ocr_dump_sets(dev_only)]
    return [s for s in sets if s[1] or not dev_only]


def reliability(scored: list[Scored]) -> list[dict]:
    """Per confidence bin: records, mean confidence, share right, and the gap between them."""
    rows = []
    for lo, hi in zip(BINS, BINS[1:], strict=False):
        inside = [s for s in scored if lo <= s.confidence < hi or (hi == 1.0 and s.confidence == 1)]
        if not inside:
            continue
        mean = sum(s.confidence for s in inside) / len(inside)
        right = sum(s.right for s in inside) / len(inside)
        rows.append({"bin": f"{lo:.1f}–{hi:.1f}", "lo": lo, "hi": hi, "records": len(inside),
                     "confidence": mean, "right": right, "gap": right - mean})
    return rows


def summary(scored: list[Scored]) -> dict:
    return {"records": len(scored), "right": sum(s.right for s in scored),
            "flagged": sum(s.needs_review for s in scored),
            "wrong_unflagged": sum(not s.right and not s.needs_review for s in scored),
            "right_flagged": sum(s.right and s.needs_review for s in scored)}


def _table(scored: list[Scored]) -> list[str]:
    lines = ["| confidence | records | mean confidence | share right | gap |",
             "|---|---|---|---|---|"]
    for row in reliability(scored):
        off = abs(row["gap"]) > 0.1 and row["records"] >= MIN_BIN
        lines.append(f"| {row['bin']} | {row['records']} | {row['confidence']:.3f} | "
                     f"{row['right']:.3f} | {row['gap']:+.3f}{' **off**' if off else ''} |")
    return lines


def markdown(sets: list[tuple[str, bool, str, list[Scored]]]) -> str:
    dev = [s for _, d, _, group in sets if d for s in group]
    held = [s for _, d, _, group in sets if not d for s in group]
    out = ["Per set (right: value as printed on a row the document holds; flagged: "
           "`needs_review`):", "",
           "| set | input | records | right | flagged | wrong & unflagged | right & flagged |",
           "|---|---|---|---|---|---|---|"]
    for name, _, kind, group in sets:
        s = summary(group)
        out.append(f"| {name} | {kind} | {s['records']} | {s['right']} | "
                   f"{s['flagged']} ({s['flagged'] / max(1, s['records']):.1%}) | "
                   f"{s['wrong_unflagged']} | {s['right_flagged']} |")
    clean = [s for _, _, kind, group in sets if kind in ("born-digital", "clean-text")
             for s in group]
    c = summary(clean)
    out += ["", f"Clean input (born-digital PDFs and seed 002's text): "
            f"**{c['flagged']}/{c['records']} = {c['flagged'] / max(1, c['records']):.1%}** "
            f"records flagged (target ≤ 15%); {c['right_flagged']} of them right.", "",
            f"Reliability on the held-out sets ({len(held)} records; a bin of ≥ {MIN_BIN} "
            "records whose share right is more than 0.1 from its mean confidence is **off**):",
            "", *_table(held), "",
            f"The same on the development sets the map was fitted on ({len(dev)} records):", "",
            *_table(dev), "",
            f"Review threshold: confidence < {REVIEW_THRESHOLD} or a hard doubt. Calibration map: "
            f"`{CALIBRATION_PATH.relative_to(ROOT)}`."]
    return "\n".join(out)


def save_reliability(sets: list[tuple[str, bool, str, list[Scored]]]) -> None:
    """The held-out sets' reliability bins, for the audit page's chart
    (``pipelines/data/reliability.json``, read by :mod:`pipelines.audit`)."""
    held = [(name, group) for name, dev, _, group in sets if not dev]
    scored = [s for _, group in held for s in group]
    bins = [{k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()
             if k not in ("bin", "gap")} for row in reliability(scored)]
    RELIABILITY_PATH.write_text(json.dumps({
        "measured": date.today().isoformat(), "records": len(scored),
        "sets": "; ".join(name for name, _ in held), "bins": bins}, ensure_ascii=False,
        indent=1) + "\n", encoding="utf-8")


def report() -> str:
    """The section of ``make bench``; the audit page's reliability bins are saved with it."""
    sets = collect()
    save_reliability(sets)
    return markdown(sets)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="confidence against the share right")
    parser.add_argument("--fit", action="store_true",
                        help="fit the calibration map on the development sets and write it")
    args = parser.parse_args(argv)
    if args.fit:  # fitted on the raw confidences: without the map in place
        CALIBRATION_PATH.unlink(missing_ok=True)
        calibration_knots.cache_clear()
        raw = [s for _, _, _, group in collect(dev_only=True) for s in group]
        CALIBRATION_PATH.write_text(json.dumps(fit_calibration(
            [(s.confidence, s.right) for s in raw]), indent=1) + "\n", encoding="utf-8")
        calibration_knots.cache_clear()
    print(report())


if __name__ == "__main__":
    main()
