"""Batch ingest: paths in, records and one status line per input out.

One bad file never stops a batch: its error becomes a status record in documents.jsonl.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

from extract.ocr import OcrEngine, TesseractEngine
from extract.office import OfficeError, read_office, sniff_office
from extract.pdf import PageJob, page_count, read_page
from extract.tables import read_tables
from extract.textdump import document_from_text
from extract.types import Document
from mapping.catalog import get_catalog
from mapping.metadata import metadata_pipeline, read_metadata
from mapping.tables import match_tables
from normalize.diacritics import load_model
from normalize.encodings import decode_bytes
from pipelines.outputs import write_jsonl, write_tables, write_text
from pipelines.records import (
    OCR_TEXT_QUALITY,
    IndicatorRecord,
    document_records,
    text_quality,
)
from pipelines.textmap import repair_document

TEXT_SUFFIXES = {".txt", ".text", ".md", ".csv", ".tsv"}


class InputError(Exception):
    """An input that cannot be read, with a message a user can act on."""


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


IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def read_document(path: Path, engine: OcrEngine | None = None, workers: int | None = None
                  ) -> Document:
    """Any input → Document: PDFs and images page by page (text layer or OCR), Office files
    run by run (``extract.office``), text dumps decoded from their detected encoding."""
    if path.is_file():
        head = path.open("rb").read(8)
        if head.startswith(b"%PDF") or head.startswith(IMAGE_MAGIC):
            return read_paged(path, "pdf" if head.startswith(b"%PDF") else "image",
                              engine or TesseractEngine(), workers)
        try:
            office = sniff_office(path)
            if office is not None:
                return read_office(path, office)
        except OfficeError as exc:
            raise InputError(f"{path}: cannot read this Office file: {exc}") from exc
    return read_text_dump(path)


def read_paged(path: Path, kind: str, engine: OcrEngine, workers: int | None) -> Document:
    """Pages run in parallel across cores; a page that fails is reported, the rest land."""
    try:
        count = page_count(str(path), kind)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{path}: cannot open as {kind.upper()}: {exc}") from exc
    jobs = [PageJob(str(path), i, kind) for i in range(count)]
    # Tesseract's own OpenMP threads fight the page workers (and make it several times slower
    # on small machines): one thread each, pages in parallel.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        results = [read_page(job, engine) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(read_page, jobs, [engine] * len(jobs)))
    modes = {r.mode for r in results if r.mode != "error"}
    if not modes:
        errors = "; ".join(f"page {r.index + 1}: {r.error}" for r in results)
        raise InputError(f"{path}: no page could be read ({errors})")
    doc_kind = "image" if kind == "image" else (
        "pdf-text" if modes == {"text-layer"} else "pdf-scan" if modes == {"ocr"}
        else "pdf-mixed")
    document = Document(source=path.name, kind=doc_kind,
                        lines=[line for r in results for line in r.lines])
    document.page_errors = [f"page {r.index + 1}: {r.error}" for r in results
                            if r.mode == "error"]
    document.pages = [r.info() for r in results]
    document.signatures = [s for r in results for s in r.signatures]
    confidences = [r.ocr_confidence for r in results if r.ocr_confidence is not None]
    document.ocr_confidence = (sum(confidences) / len(confidences)) if confidences else None
    return document


def read_text_dump(path: Path) -> Document:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: binary file, not a text dump")
    decoded = decode_bytes(data)
    document = document_from_text(decoded.text, path.name, kind="text")
    document.encoding = decoded.encoding
    document.encoding_fixes = len(decoded.steps)
    return document


def ingest_document(document: Document, catalog_id: str | None = None
                    ) -> tuple[list[IndicatorRecord], DocumentStatus]:
    repaired = repair_document(document)
    # Tables are read from the repaired text (units and descriptions recognised where OCR
    # noise hid them); each changed line keeps what was read, for the raw fields and a
    # second reading of the values.
    as_repaired = replace(document, lines=[
        replace(line, text=text, as_read=line.text) if text != line.text else line
        for line, text in zip(document.lines, repaired.lines, strict=True)])
    document.tables = read_tables(as_repaired.lines)
    tables = match_tables(document.tables, catalog_id)
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
    records = document_records(document, tables)
    quality = text_quality(document)
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
    """Files as given; directories walked recursively (hidden files skipped), sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file()
                              and not any(part.startswith(".") for part in p.parts)))
        else:
            out.append(path)
    return out


def _ingest_one(job: tuple[Path, str | None, OcrEngine | None, int | None]
                ) -> tuple[DocumentStatus, list[dict], str | None]:
    """One input → (status, records, repaired text). Never raises for a bad input."""
    path, catalog_id, engine, page_workers = job
    try:
        document = read_document(path, engine, page_workers)
        doc_records, status = ingest_document(document, catalog_id)
    except InputError as exc:
        return DocumentStatus(source=path.name, kind=None, status="error",
                              message=str(exc)), [], None
    except Exception as exc:  # noqa: BLE001 — one bad file never stops a batch
        return DocumentStatus(source=path.name, kind=None, status="error",
                              message=f"{type(exc).__name__}: {exc}"), [], None
    return status, [r.to_dict() for r in doc_records], document.repaired_text


def ingest(paths: list[Path], out_dir: Path, catalog_id: str | None = None,
           progress=None, engine: OcrEngine | None = None,
           workers: int | None = None) -> list[DocumentStatus]:
    """Ingest every input; write records.{jsonl,csv,parquet}, documents.jsonl and text/.

    Several inputs run in parallel, one per worker (their pages one after another); a single
    PDF runs its pages in parallel. Outputs keep the order of the inputs."""
    if catalog_id is not None:
        get_catalog(catalog_id)  # an unknown --catalog fails the whole run, before any work
    files = expand_paths(paths)
    workers = workers or os.cpu_count() or 1
    records: list[dict] = []
    statuses: list[DocumentStatus] = []
    if len(files) > 1 and workers > 1:
        load_model()  # loaded once here; forked workers share it
        metadata_pipeline()
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        jobs = [(path, catalog_id, engine, 1) for path in files]
        with ProcessPoolExecutor(max_workers=min(workers, len(files)),
                                 mp_context=get_context("fork")) as pool:
            results = pool.map(_ingest_one, jobs)
            outcomes = list(_report(zip(files, results, strict=True), progress))
    else:
        outcomes = list(_report(((path, _ingest_one((path, catalog_id, engine, workers)))
                                 for path in files), progress))
    for path, (status, doc_records, text) in outcomes:
        statuses.append(status)
        records.extend(doc_records)
        if text is not None:
            write_text(out_dir / "text" / f"{path.name}.txt", text)
    write_tables(out_dir, records)
    write_jsonl(out_dir / "documents.jsonl", [s.to_dict() for s in statuses])
    return statuses


def _report(outcomes, progress):
    for path, outcome in outcomes:
        if progress:
            progress(outcome[0])
        yield path, outcome
