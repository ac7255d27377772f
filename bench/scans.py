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
from pathlib import Path

import cv2
import pymupdf

from bench import synth
from bench.generalize import score_document
from pipelines.ingest import ingest_document, read_document

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
        result["documents"].append({
            "name": doc.name, "born_digital": score_document(born, expected),
            "scan": score_document(scanned, expected), "scan_kind": status["kind"]})
    result["seconds_per_scanned_page"] = ingest_s / pages
    result["plain_tesseract_seconds_per_page"] = plain_s / pages
    result["cost_ratio"] = ingest_s / plain_s if plain_s else None
    return result


def markdown(result: dict) -> str:
    lines = ["| document | input | rows right | values exact | wrong & unflagged |",
             "|---|---|---|---|---|"]
    for d in result["documents"]:
        for key in ("born_digital", "scan"):
            s = d[key]
            lines.append(f"| {d['name']} | {key.replace('_', '-')} | {s['rows_right']}/"
                         f"{s['rows_total']} ({s['row_rate']:.3f}) | {s['values_exact']}/"
                         f"{s['values']} ({s['value_rate']:.3f}) | {s['wrong_unflagged']} |")
    lines += ["", f"Scanned page: {result['seconds_per_scanned_page']:.2f} s with vnextract vs "
              f"{result['plain_tesseract_seconds_per_page']:.2f} s plain `tesseract -l vie "
              f"--psm 6` (ratio **{result['cost_ratio']:.2f}×**, both 2 pages in parallel)."]
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
