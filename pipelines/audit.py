"""``vnextract audit OUT``: the batch's audit page, ``OUT/audit.html``, a view of its store.

A reviewer opens one file, offline, from a mail or a USB stick: everything it shows is inside it
(CSS, a little plain JavaScript for the filters, the charts as SVG, the crops of scanned rows as
``data:`` images), and it asks nothing of any server. It holds, per document, how each page was
read and why, its catalogs, metadata, signatures, counts and the checks that failed; then every
record to review, worst first (lowest confidence first), with its reasons in Vietnamese and
English (``data/reasons.json``), the raw text it was read from and, for a row of an OCR'd page,
the row cut out of the page image; and the confidences of the batch beside what the calibration
bench observed at each confidence (``data/reliability.json``, written by
``python -m bench.calibration``: a batch has no truth of its own to measure against).

The store is opened read-only, so an audit never changes a batch. Crops are rendered from the
input files themselves, only where a file is still the one that was read (same size and
modification time), at most :data:`MAX_CROPS_PER_DOCUMENT` per document, so the page's size stays
bounded however many rows a bad scan flags.

    >>> audit(Path("out"))  # doctest: +SKIP
    AuditResult(path=PosixPath('out/audit.html'), documents=2, flagged=71, crops=1, ...)
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import pymupdf

from pipelines.outputs import write_text
from pipelines.store import STORE_NAME

AUDIT_NAME = "audit.html"
DATA = Path(__file__).parent / "data"
REASONS_PATH = DATA / "reasons.json"  # reason code → {"vi": …, "en": …}
RELIABILITY_PATH = DATA / "reliability.json"  # the calibration bench's bins (bench.calibration)
TEMPLATE = "audit.html.j2"
MAX_CROPS_PER_DOCUMENT = 20  # the first (worst) flagged rows of each document get a crop
CROP_DPI = 100  # enough to read a printed row; a row of an A4 page is ~700 × 30 pixels
CROP_MARGIN = 4.0  # points around the row's box: the strokes that touch its edge stay in
CROP_QUALITY = 70  # JPEG quality of a crop (grey)
HISTOGRAM_BINS = 10
NO_CATALOG = "(none)"  # the filter's value for records of tables no catalog matched
# the text a record was read from, as the page shows it (label: record field)
RAW_FIELDS = (("số TT / label", "row_label_raw"), ("mô tả / description", "description_raw"),
              ("giá trị / value", "value_raw"), ("ghi chú / note", "note"))
META_FIELDS = ("doc_type", "number", "date", "place", "issuer", "issuer_parent", "summary",
               "signer", "signer_title", "signed_by", "signing_body", "signed_at")


class AuditError(Exception):
    """An output folder that cannot be audited, with a message a user can act on."""


@dataclass
class AuditResult:
    """What ``audit`` wrote."""

    path: Path
    documents: int
    flagged: int
    crops: int
    size: int  # bytes of the page


@dataclass
class Crop:
    """A flagged row's image, or why it has none."""

    uri: str | None = None
    why_not: str | None = None


@dataclass
class DocumentView:
    key: str  # the input's path, as the store keys it
    anchor: str  # "d1", "d2" …: the filter's value and the section's id
    status: dict  # as documents.jsonl prints it
    pages: list[dict] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)  # among its flagged records
    crops: int = 0
    unchanged: bool = False  # the input is still the file that was read


@cache
def reason_texts() -> dict[str, dict[str, str]]:
    """Reason code → its explanation in Vietnamese (``vi``) and English (``en``)."""
    return json.loads(REASONS_PATH.read_text(encoding="utf-8"))


def reliability() -> dict | None:
    """The calibration bench's reliability bins (see the module docstring), or None."""
    if not RELIABILITY_PATH.exists():
        return None
    return json.loads(RELIABILITY_PATH.read_text(encoding="utf-8"))


def _connect(out_dir: Path) -> duckdb.DuckDBPyConnection:
    path = out_dir / STORE_NAME
    if not path.is_file():
        raise AuditError(f"{out_dir} holds no store ({STORE_NAME}): run `vnextract ingest FILES "
                         f"--out {out_dir}` first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise AuditError(f"{path}: cannot open the store ({exc}); is an ingest still writing "
                         "it?") from None


def _documents(con: duckdb.DuckDBPyConnection) -> list[DocumentView]:
    rows = con.execute("SELECT input, size, mtime_ns, data FROM documents ORDER BY input"
                       ).fetchall()
    views = {}
    for n, (key, size, mtime_ns, data) in enumerate(rows, start=1):
        try:
            stat = os.stat(key)
            unchanged = (stat.st_size, stat.st_mtime_ns) == (size, mtime_ns)
        except (OSError, ValueError):
            unchanged = False
        views[key] = DocumentView(key, f"d{n}", json.loads(data), unchanged=unchanged)
    for key, data in con.execute("SELECT input, data FROM pages ORDER BY input, number"
                                 ).fetchall():
        if key in views:
            views[key].pages.append(json.loads(data))
    return list(views.values())


def _flagged(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, dict]]:
    """(input, record_id, record) of every record to review, worst first."""
    rows = con.execute("SELECT input, record_id, data FROM records WHERE needs_review "
                       "ORDER BY confidence NULLS FIRST, input, seq").fetchall()
    return [(key, rid, json.loads(data)) for key, rid, data in rows]


def _histogram(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The batch's records by confidence bin: how many, and how many of them are flagged."""
    counts = {b: (n, f) for b, n, f in con.execute(
        f"SELECT least(floor(confidence * {HISTOGRAM_BINS}), {HISTOGRAM_BINS - 1})::INT AS b, "
        "count(*), count(*) FILTER (WHERE needs_review) FROM records "
        "WHERE confidence IS NOT NULL GROUP BY b").fetchall()}
    return [{"lo": b / HISTOGRAM_BINS, "hi": (b + 1) / HISTOGRAM_BINS,
             "records": counts.get(b, (0, 0))[0], "flagged": counts.get(b, (0, 0))[1]}
            for b in range(HISTOGRAM_BINS)]


def render_crop(page: pymupdf.Page, bbox: list[float], dpi: int = CROP_DPI) -> str:
    """The region ``bbox`` (PDF points) of ``page``, a little wider, as a grey JPEG
    ``data:`` URI."""
    clip = pymupdf.Rect(bbox) + (-CROP_MARGIN, -CROP_MARGIN, CROP_MARGIN, CROP_MARGIN)
    clip &= page.rect
    if clip.is_empty:
        raise ValueError("the row's box lies outside its page")
    pix = page.get_pixmap(dpi=dpi, clip=clip, colorspace=pymupdf.csGRAY)
    data = pix.tobytes("jpeg", jpg_quality=CROP_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _crops(doc: DocumentView, records: list[dict], limit: int) -> list[Crop | None]:
    """A crop (or why none) for each flagged record of ``doc`` read from an OCR'd page with
    a box, the first ``limit`` of them; None for a record that is not from a scan."""
    pages = {p["number"]: p for p in doc.pages}
    scanned = [r.get("bbox") and pages.get(r["page"], {}).get("source") == "ocr"
               for r in records]
    out: list[Crop | None] = [Crop() if s else None for s in scanned]
    if not any(scanned):
        return out
    if not doc.unchanged:
        for crop in filter(None, out):
            crop.why_not = "the input file is gone or changed since it was read"
        return out
    try:
        pdf = pymupdf.open(doc.key)
    except (RuntimeError, ValueError, OSError) as exc:
        for crop in filter(None, out):
            crop.why_not = f"the input cannot be opened again: {exc}"
        return out
    with pdf:
        for record, crop in zip(records, out, strict=True):
            if crop is None:
                continue
            if doc.crops >= limit:
                crop.why_not = f"past the first {limit} rows of this document"
            elif pages[record["page"]].get("rotation"):
                crop.why_not = "the page was turned before OCR"
            else:
                try:
                    crop.uri = render_crop(pdf[record["page"] - 1], record["bbox"])
                    doc.crops += 1
                except (RuntimeError, ValueError, IndexError) as exc:
                    crop.why_not = f"the row could not be rendered: {exc}"
    return out


def _checks(doc: DocumentView) -> list[str]:
    """What failed for a document, in words: its error, its pages' errors, its flagged
    records' reasons (most frequent first)."""
    status = doc.status
    out = []
    if status.get("status") == "error":
        out.append(f"error: {status.get('message') or 'unknown'}")
    out += [f"page error: {e}" for e in status.get("page_errors") or []]
    out += [f"{code}: {n} record{'s' if n > 1 else ''}" for code, n in doc.reasons.most_common()]
    return out


def _bar_chart(bins: list[dict], value: str, width: int = 360, height: int = 200) -> dict:
    """Geometry of a chart over [0, 1] (SVG user units): one bar per bin, scaled to the
    tallest, the y axis 0 … 1 for shares (``right``) and 0 … max for counts."""
    top = 1.0 if value == "right" else max([b[value] for b in bins] + [1])
    pad = 36
    w, h = width - 2 * pad, height - 2 * pad

    def x(c: float) -> float:
        return round(pad + c * w, 1)

    def y(v: float) -> float:
        return round(pad + h - v / top * h, 1)

    bars = []
    for b in bins:
        bars.append({**b, "x": x(b["lo"]), "w": round(x(b["hi"]) - x(b["lo"]) - 1, 1),
                     "y": y(b[value]), "h": round(pad + h - y(b[value]), 1),
                     "fy": y(b.get("flagged", 0)), "fh": round(pad + h - y(b.get("flagged", 0)),
                                                               1),
                     "cx": x(b.get("confidence", 0)), "cy": y(b[value])})
    return {"width": width, "height": height, "pad": pad, "bottom": pad + h, "right": pad + w,
            "top": top, "bars": bars,
            "ticks": [{"x": x(t / 5), "label": f"{t / 5:.1f}"} for t in range(6)],
            "yticks": [{"y": y(top * t / 4), "label": f"{top * t / 4:g}" if value == "right"
                        else f"{round(top * t / 4)}"} for t in range(5)]}


def _document_context(doc: DocumentView, rows: list[dict]) -> dict:
    """What the page shows of one document: its checks that failed, the catalogs its
    records belong to (for the catalog filter), the metadata fields it prints."""
    metadata = doc.status.get("metadata") or {}
    return {"view": doc, "checks": _checks(doc),
            "catalogs": sorted(set(doc.status.get("catalogs") or [])
                               | {row["catalog"] for row in rows if row["doc"] == doc.anchor}),
            "meta": {name: metadata[name] for name in META_FIELDS
                     if (metadata.get(name) or {}).get("value") is not None}}


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(DATA), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return env.get_template(TEMPLATE)


def audit(out_dir: Path, max_crops: int = MAX_CROPS_PER_DOCUMENT) -> AuditResult:
    """Write ``out_dir/audit.html`` from the store in ``out_dir`` (see the module docstring);
    ``AuditError`` when there is no store to read."""
    con = _connect(out_dir)
    try:
        documents = _documents(con)
        flagged = _flagged(con)
        histogram = _histogram(con)
    finally:
        con.close()
    by_key = {d.key: d for d in documents}
    per_doc: dict[str, list[int]] = {}
    for i, (key, _, record) in enumerate(flagged):
        per_doc.setdefault(key, []).append(i)
        if key in by_key:
            by_key[key].reasons.update(record.get("reasons") or [])
    crops: list[Crop | None] = [None] * len(flagged)
    for key, indices in per_doc.items():
        if key in by_key:
            made = _crops(by_key[key], [flagged[i][2] for i in indices], max_crops)
            for i, crop in zip(indices, made, strict=True):
                crops[i] = crop
    texts = reason_texts()
    rows = []
    for rank, ((key, rid, record), crop) in enumerate(zip(flagged, crops, strict=True), 1):
        doc = by_key.get(key)
        rows.append({"rank": rank, "id": rid, "r": record, "crop": crop,
                     "doc": doc.anchor if doc else "", "name": record.get("source") or key,
                     "catalog": record.get("catalog") or NO_CATALOG,
                     "reasons": [(code, texts.get(code)) for code in record.get("reasons") or []],
                     "raw": [(label, record[name]) for label, name in RAW_FIELDS
                             if record.get(name) is not None]})
    catalogs = sorted({c for d in documents for c in d.status.get("catalogs") or []}
                      | {row["catalog"] for row in rows})
    calibration = reliability()
    html = _template().render(
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), out_dir=str(out_dir),
        documents=[_document_context(d, rows) for d in documents], rows=rows,
        catalogs=catalogs, reasons=sorted({c for row in rows for c, _ in row["reasons"]}),
        texts=texts, records=sum(b["records"] for b in histogram), max_crops=max_crops,
        crops=sum(d.crops for d in documents), scan_rows=sum(c is not None for c in crops),
        histogram=_bar_chart(histogram, "records"), calibration=calibration,
        reliability=_bar_chart(calibration["bins"], "right") if calibration else None)
    path = out_dir / AUDIT_NAME
    write_text(path, html)
    return AuditResult(path, len(documents), len(flagged), sum(d.crops for d in documents),
                       path.stat().st_size)
