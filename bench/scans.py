"""Issue #4 figures: born-digital PDFs and degraded scans of filled catalogs, and the cost of a
scanned page against plain ``tesseract -l vie --psm 6`` on the same page images, in one run.

Documents come from ``bench.synth`` (seeds from 7000, never used while developing); the scan
of each is made the way a user's scanner would (200 dpi, ±1° tilt, blur, noise, JPEG).
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2
import pymupdf
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from bench import synth
from bench.generalize import _same, score_document
from mapping.catalog import get_catalog
from pipelines.ingest import ingest_document, read_document
from pipelines.textmap import repair_document

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "scans"
CATALOGS = ("tn2025.pl1", "tn2025.pl2")


def scan_of(pdf: Path, seed: int, dpi: int = 200) -> Path:
    """An image-only PDF of ``pdf``'s pages, degraded like a scan."""
    out = pdf.with_suffix(".scan.pdf")
    if out.exists():
        return out
    rng = random.Random(seed)
    with pymupdf.open(pdf) as src:
        scan = pymupdf.open()
        for page in src:
            image = synth.degrade(synth.render_page(page, dpi), rng)
            ok, png = cv2.imencode(".png", image)
            target = scan.new_page(width=page.rect.width, height=page.rect.height)
            target.insert_image(target.rect, stream=png.tobytes())
        scan.save(out)
    return out


def _records(path: Path, workers: int | None = None) -> tuple[list[dict], dict]:
    document = read_document(path, workers=workers)
    records, status = ingest_document(document)
    return [r.to_dict() for r in records], status.to_dict()


def plain_tesseract_seconds(scan: Path) -> float:
    """Plain ``tesseract -l vie --psm 6`` on each page image (300 dpi), pages in parallel on
    the same number of workers as ingest uses (2 here)."""
    with tempfile.TemporaryDirectory() as tmp, pymupdf.open(scan) as doc:
        images = []
        for i, page in enumerate(doc):
            path = Path(tmp) / f"p{i}.png"
            page.get_pixmap(dpi=300).save(path)
            images.append(path)
        start = time.perf_counter()
        procs = []
        for image in images:
            procs.append(subprocess.Popen(["tesseract", str(image), "-", "-l", "vie", "--psm", "6"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if len(procs) >= 2:
                procs.pop(0).wait()
        for p in procs:
            p.wait()
        return time.perf_counter() - start


def prose_scores(reference: list[str], got: list[str]) -> dict:
    """Words right (multiset overlap, so a different reading order of the two-column header
    costs nothing) and character error rate (each reference line against its best OCR line)."""
    ref_words = Counter(w for line in reference for w in line.split())
    got_words = Counter(w for line in got for w in line.split())
    right = sum((ref_words & got_words).values())
    errors = chars = 0
    for line in reference:  # the OCR may join lines (two-column header): align to a substring
        best = len(line)
        for candidate in got:
            al = fuzz.partial_ratio_alignment(line, candidate)
            if al is not None:
                best = min(best, Levenshtein.distance(line, candidate[al.dest_start:al.dest_end]))
        errors += best
        chars += len(line)
    return {"words": sum(ref_words.values()), "words_right": right,
            "word_rate": right / max(1, sum(ref_words.values())), "cer": errors / max(1, chars)}


def _prose_reference(pdf: Path) -> list[str]:
    with pymupdf.open(pdf) as doc:
        return [" ".join(line.split()) for line in doc[0].get_text().splitlines() if line.strip()]


def _prose_read(pdf: Path, page: int = 0) -> list[str]:
    """vnextract's reading of page 1 of an image-only PDF, repaired: its text/ output."""
    document = read_document(pdf, workers=1)
    return repair_document(document).text.split("\f")[page].split("\n")


def clean_image_pdf(pdf: Path, dpi: int = 300) -> Path:
    """Page 1 of ``pdf`` as an image-only PDF without degradation (a clean scan)."""
    out = pdf.with_suffix(".clean.pdf")
    if not out.exists():
        with pymupdf.open(pdf) as src:
            doc = pymupdf.open()
            pix = src[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            doc.new_page(width=src[0].rect.width, height=src[0].rect.height).insert_image(
                src[0].rect, pixmap=pix)
            doc.save(out)
    return out


def run(n_docs: int = 2, seed: int = 7000) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    result: dict = {"documents": []}
    ingest_s = plain_s = pages = 0.0
    for i in range(n_docs):
        catalog_id = CATALOGS[i % len(CATALOGS)]
        doc = synth.generate(catalog_id, seed + i, OUT, ocr=False)
        expected = [json.loads(x) for x in doc.expected.read_text().splitlines()]
        born, _ = _records(doc.pdf)
        scan = scan_of(doc.pdf, seed + i)
        start = time.perf_counter()
        scanned, status = _records(scan, workers=2)
        ingest_s += time.perf_counter() - start
        plain_s += plain_tesseract_seconds(scan)
        with pymupdf.open(scan) as d:
            pages += d.page_count
        reference = _prose_reference(doc.pdf)
        result["documents"].append({
            "name": doc.name, "born_digital": score_document(born, expected),
            "scan": score_document(scanned, expected), "scan_kind": status["kind"],
            "prose_degraded": prose_scores(reference, _prose_read(scan)),
            "prose_clean": prose_scores(reference, _prose_read(clean_image_pdf(doc.pdf)))})
    result["seconds_per_scanned_page"] = ingest_s / pages
    result["plain_tesseract_seconds_per_page"] = plain_s / pages
    result["cost_ratio"] = ingest_s / plain_s if plain_s else None
    return result


def score_periods(records: list[dict], expected: list[dict]) -> dict:
    """Records against a per-year truth, keyed by (indicator, period)."""
    by_key: dict[tuple[str, str], dict] = {}
    for record in records:
        by_key.setdefault((record["indicator_id"], record["period"]), record)
    out = {"rows": len(expected), "rows_found": 0, "values": 0, "exact": 0,
           "wrong_unflagged": [], "extra": len(set(by_key) - {
               (e["indicator_id"], e["period"]) for e in expected})}
    for exp in expected:
        record = by_key.get((exp["indicator_id"], exp["period"]))
        if record is not None and "row-not-found" not in record["reasons"]:
            out["rows_found"] += 1
        got = record["value"] if record else None
        printed = exp["value_status"] == "printed"
        if printed:
            out["values"] += 1
            out["exact"] += _same(got, exp["value"])
        if not _same(got, exp["value"] if printed else None) and not (
                record and record["needs_review"]):
            out["wrong_unflagged"].append((exp["indicator_id"], exp["period"], exp["value_raw"],
                                           record and record["value_raw"]))
    return out


PER_YEAR = (("dc.pl1", True), ("dc.pl2", True), ("dc.pl4", False), ("dc.pl6", False),
            ("tn2025.pl1", False), ("tn2025.pl2", False))  # (catalog, header on every page)


def run_per_year(seed: int = 7000) -> list[dict]:
    """Per-year appendices (one record per indicator and period) and tables whose header is not
    repeated on continuation pages: born-digital and degraded scan of each."""
    out = []
    for i, (catalog_id, repeat) in enumerate(PER_YEAR):
        doc = synth.generate(catalog_id, seed + i, OUT, ocr=False, repeat_header=repeat)
        expected = [json.loads(x) for x in doc.expected.read_text().splitlines()]
        per_period = any("period" in e for e in expected)
        score = score_periods if per_period else score_document
        born, _ = _records(doc.pdf)
        scanned, _ = _records(scan_of(doc.pdf, seed + i), workers=2)
        out.append({"name": doc.name, "per_year": per_period, "repeat_header": repeat,
                    "born_digital": _summary(score(born, expected)),
                    "scan": _summary(score(scanned, expected))})
    return out


# Borderless tables (no ruling lines: no grid, so visual lines and whole-page OCR). Seeds
# 7700-7703, 7710-7713 and 7720-7723 were used to develop their reading; these were scored
# as they came.
BORDERLESS = (("tn2025.pl1", 7730), ("tn2025.pl2", 7731), ("tn2025.pl1", 7732),
              ("tn2025.pl2", 7733))


def run_borderless() -> list[dict]:
    """Filled Phụ lục I/II printed as a table without ruling lines (a borderless Word table):
    its text layer, and a degraded scan of it."""
    out = []
    for catalog_id, seed in BORDERLESS:
        catalog = get_catalog(catalog_id)
        rows = synth.fill_catalog(catalog, random.Random(seed))
        OUT.mkdir(parents=True, exist_ok=True)
        pdf = OUT / f"{catalog_id}-s{seed}-borderless.pdf"
        if not pdf.exists():
            synth.render_pdf(rows, catalog, pdf, rng=random.Random(seed), ruled=False)
        expected = synth.expected_records(rows)
        born, _ = _records(pdf)
        scanned, _ = _records(scan_of(pdf, seed), workers=2)
        out.append({"name": pdf.stem,
                    "born_digital": _summary(score_document(born, expected)),
                    "scan": _summary(score_document(scanned, expected))})
    return out


def borderless_markdown(docs: list[dict]) -> str:
    lines = ["| document | input | rows | values exact | wrong & unflagged | records flagged |",
             "|---|---|---|---|---|---|"]
    for d in docs:
        for key in ("born_digital", "scan"):
            s = d[key]
            lines.append(f"| {d['name']} | {key.replace('_', '-')} | {s['rows']} | "
                         f"{s['values']} | {s['wrong_unflagged']} | {s['flagged']} |")
    return "\n".join(lines)


def _summary(s: dict) -> dict:
    """score_document's or score_periods' figures in one shape."""
    if "rows_found" in s:
        return {"rows": f"{s['rows_found']}/{s['rows']}", "values": f"{s['exact']}/{s['values']}",
                "wrong_unflagged": len(s["wrong_unflagged"])}
    return {"rows": f"{s['rows_right']}/{s['rows_total']}",
            "values": f"{s['values_exact']}/{s['values']}",
            "wrong_unflagged": s["wrong_unflagged"],
            "flagged": f"{s['needs_review']}/{s['records']}"}


def per_year_markdown(docs: list[dict]) -> str:
    lines = ["| document | table | header on each page | input | rows | values exact "
             "| wrong & unflagged |", "|---|---|---|---|---|---|---|"]
    for d in docs:
        for key in ("born_digital", "scan"):
            s = d[key]
            lines.append(f"| {d['name']} | {'per-year' if d['per_year'] else 'one period'} | "
                         f"{'yes' if d['repeat_header'] else 'no'} | {key.replace('_', '-')} | "
                         f"{s['rows']} | {s['values']} | {s['wrong_unflagged']} |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    lines = ["| document | input | rows right | values exact | wrong & unflagged |",
             "|---|---|---|---|---|"]
    for d in result["documents"]:
        for key in ("born_digital", "scan"):
            s = d[key]
            lines.append(f"| {d['name']} | {key.replace('_', '-')} | {s['rows_right']}/"
                         f"{s['rows_total']} ({s['row_rate']:.3f}) | {s['values_exact']}/"
                         f"{s['values']} ({s['value_rate']:.3f}) | {s['wrong_unflagged']} |")
    lines += ["", "Prose page (page 1, OCR with Tesseract `vie` through vnextract):", "",
              "| document | scan | words right | CER |", "|---|---|---|---|"]
    for d in result["documents"]:
        for key in ("prose_clean", "prose_degraded"):
            p = d[key]
            lines.append(f"| {d['name']} | {key.split('_')[1]} | {p['words_right']}/{p['words']} "
                         f"({p['word_rate']:.4f}) | {p['cer']:.4f} |")
    lines += ["", f"Scanned page: {result['seconds_per_scanned_page']:.2f} s with vnextract vs "
              f"{result['plain_tesseract_seconds_per_page']:.2f} s plain `tesseract -l vie "
              f"--psm 6` (ratio **{result['cost_ratio']:.2f}×**, both 2 pages in parallel)."]
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))
    print()
    print(per_year_markdown(run_per_year()))


if __name__ == "__main__":
    main()
