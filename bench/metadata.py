"""Issue 12 item 1: document metadata read right, per field and per document set.

Each input goes through the pipeline end to end, as ``vnextract ingest`` takes it: read
(text dump decoded; PDF pages from their text layer or OCR'd, signature stamps taken out),
repaired, and its metadata read as documents.jsonl holds it (``ingest_document``). Inputs,
each scored against ``tests/data/metadata/expected.jsonl`` (written by reading the page images
and the seeds; see the README there):

- the seeds 000–004 as text dumps (001 is OCR without diacritics, 002 a PDF text extract);
- the real PDFs of ``../shared/real/scans`` (signed scans, a garbage text layer, a rotated
  draft, a born-digital notice).

The PDFs' readings (OCR included) are cached in ``bench/out/metadata`` under the file's
content, the code of extract/ and normalize/ and Tesseract's version, so a re-run after a change
to mapping/ costs seconds; any change to the reading reads again.

A field is right when its value equals the expected one (NFC, spaces squeezed, case ignored
for the issuer, its parent and the signer's title, which are printed in capitals); an expected
``null`` is right only when the reader leaves the field empty (nothing invented); ``?`` (not
legible on the page) is not scored. The summary is scored by words: the share of the expected
trích yếu's words found, in order, in the one read (a longer reading is not rewarded).

``--ocr`` writes ``tests/data/metadata/<name>.p1.ocr.jsonl`` again from the PDFs (plain
Tesseract on page 1: the unit tests' input).

Run: ``python -m bench.metadata [--ocr]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import pickle
import re
import subprocess
import tempfile
import unicodedata
from dataclasses import asdict
from pathlib import Path

import pymupdf
from rapidfuzz.distance import Indel

from extract.types import Document, Line
from pipelines.ingest import ingest_document, read_document

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests/data/metadata"
SHARED = ROOT.parent / "shared"
SEEDS = {"000": "000_8e0836a6b84d16fa.txt", "001": "001_4c37be2720e523e8.txt",
         "002": "002_e4b55ce9320d5ddc.txt", "003": "003_2e8591458536c317.txt",
         "004": "004_a443131aaef807c1.txt"}
SCORED = ("doc_type", "number", "date", "place", "issuer", "issuer_parent", "summary", "signer",
          "signer_title", "signed_by", "signing_body", "signed_at")
TARGETS = {"number": 0.95, "date": 0.95, "doc_type": 0.95, "issuer": 0.95, "summary": 0.90}
CAPITALS = ("issuer", "issuer_parent", "signer_title")


CACHE = ROOT / "bench" / "out" / "metadata"


def _reader_key() -> str:
    """What a document's reading depends on besides its bytes: the code of the floors that
    read it (extract/, normalize/) and Tesseract's version."""
    digest = hashlib.sha256(subprocess.run(["tesseract", "--version"], capture_output=True,
                                           text=True).stdout.encode())
    for path in sorted([*(ROOT / "extract").rglob("*.py"), *(ROOT / "normalize").rglob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_cached(path: Path, key: str) -> Document:
    """``read_document`` of ``path`` (OCR included), kept in ``bench/out/metadata`` under its
    content and ``key``: a re-run of the bench after a change to mapping/ reads nothing again."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    cached = CACHE / f"{path.stem}-{digest}-{key}.pickle"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    document = read_document(path, workers=2)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(document))
    tmp.replace(cached)
    return document


def ingested_metadata(path: Path, key: str) -> dict:
    """The metadata ``vnextract ingest`` writes into documents.jsonl for ``path``: the document
    read (cached), repaired and taken through ``ingest_document``."""
    _, status = ingest_document(read_cached(path, key))
    return status.metadata


def ocr_path(pdf: Path) -> Path:
    return DATA / f"{pdf.stem}.p1.ocr.jsonl"


def make_ocr(pdf: Path) -> None:
    """Plain ``tesseract -l vie`` (its default page segmentation) on page 1 rendered at 300 dpi,
    grey — not vnextract's table-minded page OCR — kept as lines with their words'
    confidences (Tesseract's TSV: block, paragraph and line group the words)."""
    with tempfile.TemporaryDirectory() as tmp, pymupdf.open(pdf) as doc:
        image = Path(tmp) / "p1.png"
        doc[0].get_pixmap(dpi=300, colorspace=pymupdf.csGRAY).save(image)
        tsv = subprocess.run(["tesseract", str(image), "-", "-l", "vie", "tsv"], check=True,
                             capture_output=True, text=True).stdout
    groups: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    for row in list(csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)):
        if row["level"] == "5" and row["text"].strip():
            key = (row["block_num"], row["par_num"], row["line_num"])
            groups.setdefault(key, []).append((row["text"], max(0.0, float(row["conf"])) / 100))
    lines = []
    for number, words in enumerate(groups.values(), start=1):
        confidences = tuple(round(c, 3) for _, c in words)
        lines.append(Line(" ".join(w for w, _ in words), 1, number,
                          confidence=round(sum(confidences) / len(confidences), 3),
                          word_confidences=confidences))
    ocr_path(pdf).write_text("".join(json.dumps(asdict(line), ensure_ascii=False) + "\n"
                                     for line in lines), encoding="utf-8")


def inputs() -> list[tuple[str, str, Path, bool]]:
    """(set, document, path, whole document?) for every input of the bench; the signer is
    scored only where the whole document is read by hand (the seeds, the born-digital
    notice; the scans' signers are ``?``)."""
    out = [("seeds (text dumps)", f"seed:{key}", SHARED / "seeds" / name, True)
           for key, name in SEEDS.items()]
    out += [("real PDFs (scans/)", f"real:{pdf.stem}", pdf, True)
            for pdf in sorted((SHARED / "real" / "scans").glob("*.pdf"))]
    return out


def _norm(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    value = " ".join(unicodedata.normalize("NFC", value).split())
    if field == "signed_at":  # the local time the stamp prints; a signature field adds its zone
        value = re.sub(r"(?:[+-]\d{2}:\d{2}|Z)$", "", value)
    return value.upper() if field in CAPITALS else value


def summary_words(expected: str, got: str | None) -> tuple[int, int]:
    """(expected words found in order in ``got``, expected words): an alignment of the two
    word sequences, so words added or lost both count against it."""
    exp = expected.split()
    if not got:
        return 0, len(exp)
    words = got.split()
    vocab: dict[str, str] = {}
    enc = lambda ws: "".join(vocab.setdefault(w, chr(0x4E00 + len(vocab))) for w in ws)  # noqa: E731
    a, b = enc(exp), enc(words)
    matched = sum(block.size for block in Indel.opcodes(a, b).as_matching_blocks())
    return min(matched, len(exp), len(words)), max(len(exp), len(words))


def score(meta: dict, expected: dict, whole: bool = True
          ) -> dict[str, tuple[int, int, float, bool]]:
    """Per field: (right, out of, confidence, invented) — ``invented`` when the document has
    no such field and the reader gave one."""
    out = {}
    for name in SCORED:
        exp = expected.get(name)
        if exp == "?" or name in ("signer", "signer_title") and not whole:
            continue
        got = meta[name]
        if name == "summary" and exp is not None:
            right, total = summary_words(exp, got["value"])
            out[name] = (right, total, got["confidence"], False)
            continue
        right = _norm(got["value"], name) == _norm(exp, name)
        out[name] = (int(right), 1, got["confidence"], exp is None and got["value"] is not None)
    return out


def run() -> dict:
    expected = {row["document"]: row for row in map(json.loads, (
        DATA / "expected.jsonl").read_text(encoding="utf-8").splitlines())}
    result: dict = {"sets": {}, "documents": []}
    key = _reader_key()
    for set_name, document, path, whole in inputs():
        meta = ingested_metadata(path, key)
        scores = score(meta, expected[document], whole)
        result["documents"].append({"set": set_name, "document": document, "scores": scores,
                                    "read": {k: v["value"] for k, v in meta.items()}})
        fields = result["sets"].setdefault(set_name, {})
        for name, (right, total, _, invented) in scores.items():
            agg = fields.setdefault(name, [0, 0, 0])
            agg[0] += right
            agg[1] += total
            agg[2] += invented
    return result


def markdown(result: dict) -> str:
    lines = ["| set | " + " | ".join(SCORED) + " |", "|---|" + "---|" * len(SCORED)]
    total: dict[str, list[int]] = {}
    for fields in result["sets"].values():
        for name, agg in fields.items():
            total[name] = [x + y for x, y in zip(total.get(name, [0, 0, 0]), agg, strict=True)]
    for set_name, fields in [*result["sets"].items(), ("**all**", total)]:
        cells = []
        for name in SCORED:
            if name not in fields:
                cells.append("—")
                continue
            right, total, invented = fields[name]
            target = TARGETS.get(name)
            mark = "" if target is None else " ✓" if right / total >= target else " ✗"
            cells.append(f"{right}/{total}{mark}" + (f" ({invented} invented)" if invented else ""))
        lines.append(f"| {set_name} | " + " | ".join(cells) + " |")
    lines += ["", "Right / scored (summary: words). ✓/✗: the target (≥ 95% of number, date, "
              "doc_type and issuer exactly right; summary ≥ 90% of words). \"invented\": a "
              "value where the document prints none. Misses:", ""]
    for doc in result["documents"]:
        for name, (right, total, conf, _) in doc["scores"].items():
            if right < total:
                lines.append(f"- {doc['set']} · {doc['document']} · {name}: read "
                             f"{doc['read'][name]!r} (confidence {conf:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="document metadata against the hand-read truth")
    parser.add_argument("--ocr", action="store_true",
                        help="write the unit tests' page-1 OCR of the real PDFs again")
    args = parser.parse_args(argv)
    if args.ocr:
        for pdf in sorted((SHARED / "real" / "scans").glob("*.pdf")):
            make_ocr(pdf)
    print(markdown(run()))


if __name__ == "__main__":
    main()
