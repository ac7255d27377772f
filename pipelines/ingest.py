"""Batch ingest: paths in, records and one status line per input out.

One bad file never stops a batch: its error becomes a status record in documents.jsonl.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from extract.ocr import OcrEngine, TesseractEngine
from extract.office import OfficeError, read_office, sniff_office
from extract.pdf import read_page
from extract.tables import read_tables
from extract.textdump import document_from_text
from extract.types import Document
from mapping.metadata import read_metadata
from mapping.tables import match_tables
from normalize.encodings import decode_bytes
from pipelines.paged import InputError, PagePlan, display_name, plan_pages, sniff
from pipelines.records import (
    OCR_TEXT_QUALITY,
    IndicatorRecord,
    document_records,
    text_quality,
)
from pipelines.textmap import repair_document

if TYPE_CHECKING:
    from pipelines.batch import BatchProgress

MAX_NUL_SHARE = 0.01  # more NUL or control characters than this: not a text dump
NOT_TEXT = ("binary file, not a text dump, PDF, image or Office file (vnextract reads text in "
            "any encoding, PDF, PNG, JPEG, TIFF, Word, Excel, PowerPoint, RTF and ODF)")


@dataclass
class DocumentStatus:
    source: str
    kind: str | None
    status: str  # "ok" or "error"
    message: str | None = None
    catalogs: list[str] = field(default_factory=list)
    tables: int = 0
    records: int = 0
    matched: int = 0
    needs_review: int = 0
    text_quality: float | None = None
    encoding: str | None = None
    encoding_fixes: int = 0
    page_errors: list[str] = field(default_factory=list)
    pages: list[dict] = field(default_factory=list)  # per page: how it was read, and why
    office: dict | None = None  # Office files: format, fonts and encodings, sheets, conversion
    signatures: list[dict] = field(default_factory=list)  # digital signatures (metadata)
    # the document's kind, number, date, issuer, trích yếu, signer: each {value, confidence, …}
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def read_document(path: Path, engine: OcrEngine | None = None, workers: int | None = None,
                  password: str | None = None) -> Document:
    """Any input → Document: PDFs and images page by page (text layer or OCR; pages in
    parallel across ``workers`` processes), text dumps decoded from their detected encoding.
    The batch (``ingest``) runs the same steps in its supervised workers instead."""
    plan = plan_document(path, password)
    if isinstance(plan, Document):
        return plan
    engine = engine or TesseractEngine()
    # Tesseract's own OpenMP threads fight the page workers (and make it several times slower
    # on small machines): one thread each, pages in parallel.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    workers = max(1, min(workers or os.cpu_count() or 1, len(plan.jobs)))
    if workers == 1:
        results = [read_page(job, engine) for job in plan.jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(read_page, plan.jobs, [engine] * len(plan.jobs)))
    return plan.merge(results)


def plan_document(path: Path, password: str | None = None) -> PagePlan | Document:
    """A PDF or an image → the plan of its pages (``pipelines.paged``); an Office file or a
    text dump is read whole. ``InputError`` for an input that cannot be read."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    try:
        kind = sniff(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc
    if kind is not None:
        return plan_pages(path, kind, password)
    try:
        office = sniff_office(path)
        if office is not None:
            document = read_office(path, office)
            document.source = display_name(path)
            return document
    except OfficeError as exc:
        raise InputError(f"{path}: cannot read this Office file: {exc}", "office") from exc
    return read_text_dump(path)


# control characters (Unicode category Cc) but for tab, LF, VT, FF and CR
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def read_text_dump(path: Path) -> Document:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: file is empty", "text")
    nuls = 0
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        nuls = data.count(b"\x00")
        if nuls > MAX_NUL_SHARE * len(data):
            raise InputError(f"{path}: {NOT_TEXT}", "text")
        data = data.replace(b"\x00", b"")  # stray NULs of a bad export: dropped, counted
    decoded = decode_bytes(data)
    controls = len(_CONTROL.findall(decoded.text))
    if controls > MAX_NUL_SHARE * len(decoded.text):
        raise InputError(f"{path}: {NOT_TEXT}", "text")
    document = document_from_text(decoded.text, display_name(path), kind="text")
    document.encoding = decoded.encoding
    document.encoding_fixes = len(decoded.steps) + (nuls > 0)
    return document


def ingest_document(document: Document, catalog_id: str | None = None,
                    catalog_dirs: tuple[str, ...] = ()
                    ) -> tuple[list[IndicatorRecord], DocumentStatus]:
    repaired = repair_document(document)
    # Tables are read from the repaired text (units and descriptions recognised where OCR
    # noise hid them); each changed line keeps what was read, for the raw fields and a
    # second reading of the values.
    as_repaired = replace(document, lines=[
        replace(line, text=text, as_read=line.text) if text != line.text else line
        for line, text in zip(document.lines, repaired.lines, strict=True)])
    document.tables = read_tables(as_repaired.lines)
    tables = match_tables(document.tables, catalog_id, catalog_dirs)
    for table in tables:
        for row in table.rows:
            raw = row.raw
            if raw.description_repaired is None:  # no line of the row was changed
                raw.description_repaired = raw.description_raw
            note_conf = repaired.doubt(raw.page, raw.line_start, raw.line_end, raw.note_raw)
            desc_conf = repaired.doubt(raw.page, raw.line_start, raw.line_end,
                                       raw.description_repaired)
            confs = [c for c in (note_conf, desc_conf) if c is not None]
            raw.text_confidence = min(confs) if confs else None
    document.repaired_text = repaired.text
    quality = text_quality(document)
    records = document_records(document, tables, quality)
    kind = document.kind if document.kind != "text" else (
        "text-ocr" if quality < OCR_TEXT_QUALITY else "text")
    status = DocumentStatus(
        source=document.source,
        kind=kind,
        page_errors=list(document.page_errors),
        pages=[asdict(page) for page in document.pages],
        signatures=[asdict(signature) for signature in document.signatures],
        status="ok",
        catalogs=sorted({t.catalog.id for t in tables if t.catalog}),
        tables=len(tables),
        records=len(records),
        matched=sum(1 for r in records if r.indicator_id),
        needs_review=sum(1 for r in records if r.needs_review),
        text_quality=round(quality, 3),
        encoding=document.encoding,
        encoding_fixes=document.encoding_fixes,
        office=asdict(document.office) if document.office else None,
        metadata=read_metadata(as_repaired.lines, document.signatures).to_dict(),
    )
    return records, status


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; directories walked recursively (hidden files and folders under them
    skipped: the folder's own path may hold ``..`` or ``.``), sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(path).parts)))
        else:
            out.append(path)
    return out


def ingest(paths: list[Path], out_dir: Path, catalog_id: str | None = None,
           progress: BatchProgress | None = None, engine: OcrEngine | None = None,
           workers: int | None = None, **limits) -> list[DocumentStatus]:
    """Ingest every input into the store ``out_dir/vnextract.duckdb`` and write the outputs
    from it: records.{jsonl,csv,parquet}, documents.jsonl and text/. Each document is
    committed as soon as it is done; a re-run skips unchanged inputs. ``limits`` are
    ``pipelines.batch.run_batch``'s keywords: ``timeout``, ``page_timeout``, ``memory_mb``,
    ``password``, ``executor``, ``ray_address``, ``catalog_dirs`` (user catalog folders)."""
    from pipelines.batch import run_batch  # the batch runs this module's steps: imported late

    return run_batch(paths, out_dir, catalog_id, progress, engine, workers, **limits)
