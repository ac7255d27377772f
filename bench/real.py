"""Issue 9 figures: real published PDFs (``../shared/real``), read as a new user would.

For every PDF of ``scans/`` and ``pdf-tcvn3/``: the pages read and what each was read from
(documents.jsonl's ``pages``), words per page against plain ``tesseract -l vie`` on the same
page rendered at 300 dpi (PyMuPDF, its rotation flag applied), the share of legible words
(``extract.evidence.legibility``), the records that claim a catalog, and the time per page
against plain tesseract — both with ``OMP_THREAD_LIMIT=1`` and the same number of pages in
parallel (``WORKERS``), in one run.

Words recovered are scored against verified transcripts (``bench/data/real_transcripts``,
see its README): multiset recall of the transcript's words (NFC, case-folded, punctuation
around a word dropped), so reading order and line breaks cost nothing. vnextract is scored
twice: its page lines as read, and its repaired text (``text/``). TCVN3 PDFs are scored
against the transcript beside each (``.txt``), whole document.

Run: ``python -m bench.real`` (``VNEXTRACT_SHARED`` points at the shared folder when it is
not ``../shared``).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pymupdf

from extract.evidence import legibility
from pipelines.ingest import ingest_document, read_document

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VNEXTRACT_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "real"
TRANSCRIPTS = ROOT / "bench" / "data" / "real_transcripts"
WORKERS = 2
DPI = 300
_PUNCT = ".,;:()[]“”\"'‘’!?…*•"


def words(text: str) -> Counter:
    """The words of ``text`` as scored: NFC, case-folded, punctuation around each dropped,
    tokens without a letter or digit left out."""
    out = []
    for word in unicodedata.normalize("NFC", text).split():
        word = word.strip(_PUNCT).casefold()
        if any(c.isalnum() for c in word):
            out.append(word)
    return Counter(out)


def recall(reference: str, got: str) -> tuple[int, int]:
    """(words of ``reference`` found in ``got``, words of ``reference``)."""
    ref = words(reference)
    return sum((ref & words(got)).values()), sum(ref.values())


def plain_tesseract(pdf: Path, pages: list[int]) -> tuple[dict[int, str], float]:
    """``tesseract PAGE.png - -l vie`` on each page (0-based) rendered at 300 dpi, ``WORKERS``
    at a time, ``OMP_THREAD_LIMIT=1``: the text of each page and the seconds tesseract took
    (rendering not counted)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    texts: dict[int, str] = {}
    with tempfile.TemporaryDirectory() as tmp, pymupdf.open(pdf) as doc:
        images = {}
        for i in pages:
            images[i] = Path(tmp) / f"p{i}.png"
            doc[i].get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY).save(images[i])
        start = time.perf_counter()
        running: list[tuple[int, subprocess.Popen]] = []
        for i in pages:
            running.append((i, subprocess.Popen(
                ["tesseract", str(images[i]), "-", "-l", "vie"], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)))
            if len(running) >= WORKERS:
                j, proc = running.pop(0)
                texts[j] = proc.communicate()[0]
        for j, proc in running:
            texts[j] = proc.communicate()[0]
        return texts, time.perf_counter() - start


def read_real(pdf: Path) -> dict:
    """vnextract on one real PDF, as ``vnextract ingest`` reads it, timed."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    start = time.perf_counter()
    document = read_document(pdf, workers=WORKERS)
    read_s = time.perf_counter() - start
    records, status = ingest_document(document)
    total_s = time.perf_counter() - start
    lines: dict[int, list[str]] = {}
    for line in document.lines:
        lines.setdefault(line.page, []).append(line.text)
    repaired = (document.repaired_text or "").split("\f")
    texts_by_page = sorted(lines)
    return {
        "name": pdf.stem, "path": pdf, "pages": status.pages, "read_s": read_s,
        "total_s": total_s, "signatures": status.signatures,
        "lines": {p: "\n".join(v) for p, v in lines.items()},
        "repaired": {p: repaired[k] for k, p in enumerate(texts_by_page) if k < len(repaired)},
        "records": len(records), "claimed": sum(1 for r in records if r.indicator_id),
        "catalogs": status.catalogs,
    }


def run() -> dict:
    scans = sorted((REAL / "scans").glob("*.pdf"))
    tcvn3 = sorted((REAL / "pdf-tcvn3").glob("*.pdf"))
    if not scans:
        return {"missing": str(REAL)}
    docs = []
    for pdf in scans + tcvn3:
        doc = read_real(pdf)
        ocr_pages = [p["number"] - 1 for p in doc["pages"] if p["source"] == "ocr"]
        doc["plain"], doc["plain_s"] = plain_tesseract(pdf, ocr_pages) if ocr_pages else ({}, 0)
        doc["ocr_pages"] = len(ocr_pages)
        docs.append(doc)
    transcripts = []
    for path in sorted(TRANSCRIPTS.glob("*.p*.txt")):
        stem, _, page = path.stem.rpartition(".p")
        doc = next((d for d in docs if d["name"] == stem), None)
        if doc is None or not page.isdigit():
            continue
        n = int(page)
        reference = path.read_text(encoding="utf-8")
        transcripts.append({
            "name": path.stem, "source": doc["pages"][n - 1]["source"],
            "signed": n == 1 and bool(doc["signatures"]),
            "read": recall(reference, doc["lines"].get(n, "")),
            "repaired": recall(reference, doc["repaired"].get(n, "")),
            "plain": recall(reference, doc["plain"].get(n - 1, ""))})
    tcvn3_scores = []
    for pdf in tcvn3:
        doc = next(d for d in docs if d["path"] == pdf)
        reference = pdf.with_suffix(".txt").read_text(encoding="utf-8")
        tcvn3_scores.append({"name": pdf.stem,
                             "read": recall(reference, "\n".join(doc["lines"].values())),
                             "repaired": recall(reference, "\n".join(doc["repaired"].values()))})
    return {"documents": docs, "transcripts": transcripts, "tcvn3": tcvn3_scores}


def _pct(pair: tuple[int, int]) -> str:
    right, total = pair
    return f"{right}/{total} ({right / max(1, total):.1%})"


def _sum(pairs) -> tuple[int, int]:
    pairs = list(pairs)
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(row) + " |" for row in rows]


def _document_row(doc: dict) -> list[str]:
    kinds = Counter(p["source"] for p in doc["pages"])
    ocr = [p["number"] for p in doc["pages"] if p["source"] == "ocr"]
    ours = sum(sum(words(doc["lines"].get(n, "")).values()) for n in ocr)
    plain = sum(sum(words(t).values()) for t in doc["plain"].values())
    legible = legibility([ln for text in doc["lines"].values() for ln in text.split("\n")])
    timing = (["—"] * 3 if not ocr else
              [f"{doc['read_s'] / len(ocr):.2f}", f"{doc['plain_s'] / len(ocr):.2f}",
               f"{doc['read_s'] / max(doc['plain_s'], 1e-9):.2f}×"])
    return [doc["name"], str(len(doc["pages"])),
            ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
            f"{ours / len(ocr):.0f} / {plain / len(ocr):.0f}" if ocr else "—",
            "—" if legible is None else f"{legible:.1%}",
            f"{doc['claimed']}/{doc['records']} {','.join(doc['catalogs'])}", *timing]


def markdown(result: dict) -> str:
    if "missing" in result:
        return f"Real files not found at `{result['missing']}`: section skipped."
    scans = [d for d in result["documents"]
             if d["ocr_pages"] and d["ocr_pages"] == len(d["pages"])]  # every page OCR'd
    ocr_s, plain_s = sum(d["read_s"] for d in scans), sum(d["plain_s"] for d in scans)
    signed = [t for t in result["transcripts"] if t["signed"]]
    transcripts = [[t["name"], t["source"], _pct(t["read"]), _pct(t["repaired"]),
                    _pct(t["plain"])] for t in result["transcripts"]]
    if signed:
        transcripts.append(["**signed scans, page 1**", ""] + [
            _pct(_sum(t[key] for t in signed)) for key in ("read", "repaired", "plain")])
    return "\n".join([
        "Pages read and what each was read from (documents.jsonl), words per OCR'd page "
        "(vnextract / plain `tesseract -l vie`), share of legible words in vnextract's reading, "
        "records that claim a catalog, and time per OCR'd page (page reading, "
        f"{WORKERS} pages in parallel, `OMP_THREAD_LIMIT=1` both):", "",
        *_table(["document", "pages", "read from", "words/page (vnextract / plain)", "legible",
                 "records claiming a catalog", "s/page vnextract", "s/page plain", "ratio"],
                [_document_row(d) for d in result["documents"]]),
        "", f"Scans (every page OCR'd), all together: {ocr_s:.1f} s vnextract against "
        f"{plain_s:.1f} s plain tesseract: **{ocr_s / max(plain_s, 1e-9):.2f}×** (vnextract's "
        "time includes deciding, imaging and reading every page; plain tesseract's only the OCR "
        "of the rendered pages). A document with text-layer pages is timed whole against the "
        "OCR of its OCR'd pages alone.", "",
        "Words of verified transcripts recovered (bench/data/real_transcripts):", "",
        *_table(["page", "read from", "vnextract as read", "vnextract repaired (text/)",
                 "plain tesseract"], transcripts),
        "", "TCVN3 PDFs against the transcript beside each:", "",
        *_table(["document", "as read", "repaired (text/)"],
                [[t["name"], _pct(t["read"]), _pct(t["repaired"])] for t in result["tcvn3"]])])


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
