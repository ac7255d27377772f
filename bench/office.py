"""Legacy Office files (issue #10): every real file of ``../shared/real/office`` read by
vnextract and by viparse (the baseline, ``pip install -e '.[bench]'``), side by side.

Words against the transcripts (``transcripts/<name>.txt``, each file's text decoded by its font
tables): a word is a run of letters (digits and punctuation left out: numbers are printed
differently by each reader, ``87.23599633`` / ``87,23599633``), NFC, case-folded (the
transcripts give ``.VnTimeH`` capitals in lower case). Words are compared as bags (multisets),
so reading order does not count: ``found`` = words of the transcript the reader gave (the
smaller count of each word), recall = found / transcript words, precision = found / words
given, word accuracy = 2·found / (transcript words + words given) — a missing word and an
extra word each cost. Pooled over the files of each format.

Time per file: vnextract reads every file in this one process, with one LibreOffice started
at the first file (its start is reported apart); viparse runs ``soffice --convert-to`` per
file, as it does. ``ingest`` is our time through the whole pipeline (tables, records, text
repair) for the same file, after reading.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

from extract._exec.soffice import CommandConverter, UnoConverter, uno_python
from extract.office import read_office, sniff_office
from pipelines.ingest import ingest_document

ROOT = Path(__file__).resolve().parents[1]
OFFICE = ROOT.parent / "shared" / "real" / "office"
_WORD = re.compile(r"[^\W\d_]+")
START_SAMPLES = 3  # files converted with a LibreOffice start each, to measure the start


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(unicodedata.normalize("NFC", text).casefold()))


def _files() -> list[Path]:
    return sorted(p for p in OFFICE.iterdir() if p.is_file()) if OFFICE.is_dir() else []


def _viparse_text(path: Path) -> str:
    import viparse  # the baseline; only in the bench extras

    return "\n".join(doc.text for doc in viparse.load(str(path), output="text"))


def run() -> dict:
    files = _files()
    converter = UnoConverter() if uno_python() else None
    readers = {"vnextract": [], "viparse": []}
    try:
        for path in files:
            reference = words((OFFICE / "transcripts" / f"{path.stem}.txt").read_text(
                encoding="utf-8"))
            fmt = sniff_office(path) or path.suffix.lstrip(".")
            started = time.perf_counter()
            try:
                document = read_office(path, converter=converter)
                read_seconds = time.perf_counter() - started
                text, error = document.text, None
                started = time.perf_counter()
                ingest_document(document)
                ingest_seconds = time.perf_counter() - started
            except Exception as exc:  # noqa: BLE001 — counted as not opened
                read_seconds, ingest_seconds = time.perf_counter() - started, None
                text, error = "", f"{type(exc).__name__}: {exc}"
            readers["vnextract"].append(_scored(path, fmt, reference, text, error, read_seconds,
                                                ingest_seconds))
            started = time.perf_counter()
            try:
                text, error = _viparse_text(path), None
            except Exception as exc:  # noqa: BLE001
                text, error = "", f"{type(exc).__name__}: {exc}"
            readers["viparse"].append(_scored(path, fmt, reference, text, error,
                                              time.perf_counter() - started, None))
        start = converter.start_seconds if converter else None
    finally:
        if converter is not None:
            converter.close()
    return {"files": len(files), "readers": readers, "start_seconds": start,
            "per_file_start": _per_file_start(files[:START_SAMPLES])}


def _scored(path: Path, fmt: str, reference: Counter[str], text: str, error: str | None,
            seconds: float, ingest_seconds: float | None) -> dict:
    given = words(text)
    return {"file": path.name, "format": fmt, "error": error, "seconds": seconds,
            "ingest_seconds": ingest_seconds, "reference": sum(reference.values()),
            "given": sum(given.values()), "found": sum((reference & given).values())}


def _per_file_start(files: list[Path]) -> dict:
    """The same files converted by a LibreOffice started for each (``--convert-to``)."""
    seconds = []
    for path in files:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            CommandConverter().convert(path, Path(tmp), "docx" if path.suffix != ".xls"
                                       else "xlsx")
            seconds.append(time.perf_counter() - started)
    return {"files": len(files), "median_seconds": statistics.median(seconds) if seconds
            else None}


def _summary(rows: list[dict]) -> dict:
    reference = sum(r["reference"] for r in rows)
    given = sum(r["given"] for r in rows)
    found = sum(r["found"] for r in rows)
    times = [r["seconds"] for r in rows]
    totals = [r["seconds"] + r["ingest_seconds"] for r in rows
              if r["ingest_seconds"] is not None]
    per_file = [2 * r["found"] / (r["reference"] + r["given"]) if r["reference"] + r["given"]
                else 0.0 for r in rows]
    return {"files": len(rows), "opened": sum(1 for r in rows if r["error"] is None),
            "median_file": statistics.median(per_file) if per_file else 0.0,
            "recall": found / reference if reference else 0.0,
            "precision": found / given if given else 0.0,
            "accuracy": 2 * found / (reference + given) if reference + given else 0.0,
            "median_seconds": statistics.median(times) if times else 0.0,
            "median_total_seconds": statistics.median(totals) if totals else None}


def markdown(result: dict) -> str:
    formats = sorted({r["format"] for r in result["readers"]["vnextract"]})
    lines = [
        f"{result['files']} real files of `../shared/real/office` (2002–2009, TCVN3 and VNI "
        "fonts), words against their transcripts (bags of letter-words, case-folded; "
        "accuracy = 2·found / (transcript + given)).", "",
        "| format | files | opened (ours / viparse) | word accuracy (ours / viparse) "
        "| median file (ours / viparse) | recall | precision | median s/file read (ours / viparse) "
        "| median s/file read + ingest (ours) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt in [*formats, "all"]:
        ours, theirs = (_summary([r for r in result["readers"][name]
                                  if fmt in ("all", r["format"])])
                        for name in ("vnextract", "viparse"))
        lines.append(
            f"| {fmt} | {ours['files']} | {ours['opened']} / {theirs['opened']} | "
            f"{ours['accuracy']:.2%} / {theirs['accuracy']:.2%} | {ours['median_file']:.2%} / "
            f"{theirs['median_file']:.2%} | {ours['recall']:.2%} / "
            f"{theirs['recall']:.2%} | {ours['precision']:.2%} / {theirs['precision']:.2%} | "
            f"{ours['median_seconds']:.2f} / {theirs['median_seconds']:.2f} | "
            f"{ours['median_total_seconds'] or 0:.2f} |")
    start, per_file = result["start_seconds"], result["per_file_start"]
    lines += ["", f"LibreOffice start, paid once per process (worker): "
              f"{start or 0:.2f} s. With a start per file (`soffice --convert-to`, the fallback "
              f"where no Python has `uno`): median {per_file['median_seconds'] or 0:.2f} s per "
              f"file over {per_file['files']} files.", ""]
    for name in ("vnextract", "viparse"):
        for r in result["readers"][name]:
            if r["error"]:
                lines.append(f"- {name} could not read {r['file']}: {r['error'][:160]}")
    worst = sorted(result["readers"]["vnextract"],
                   key=lambda r: 2 * r["found"] / max(1, r["reference"] + r["given"]))[:5]
    lines += ["", "Our five lowest files: " + ", ".join(
        f"{r['file']} {2 * r['found'] / max(1, r['reference'] + r['given']):.1%}"
        for r in worst) + ".", ""]
    lines += ["Where the transcripts differ from the documents: one `.doc` transcript holds the "
              "text of tracked deletions beside the insertions (we give the document as it "
              "reads, without deletions); some transcripts decode cells typed in Unicode as "
              "TCVN3 (`cơng` for `công`) or misread VNI (`hoẵc` for `hoặc`), and hold field codes "
              "(`PAGE`, `EMBED Excel.Sheet`); we count those against us.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
