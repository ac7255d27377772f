"""Batch ingest: paths in, records and one status line per input out.

One bad file never stops a batch: its error becomes a status record in documents.jsonl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from extract.textdump import document_from_text
from extract.types import Document
from mapping.tables import match_document
from normalize.encodings import decode_bytes
from pipelines.outputs import write_jsonl, write_tables, write_text
from pipelines.records import IndicatorRecord, document_records, text_quality

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

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def read_document(path: Path) -> Document:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    if data.startswith(b"%PDF"):
        raise InputError(f"{path}: PDF input is not supported yet (text dumps only)")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: binary file, not a text dump")
    decoded = decode_bytes(data)
    document = document_from_text(decoded.text, path.name, kind="text")
    document.encoding = decoded.encoding
    document.encoding_fixes = len(decoded.steps)
    return document


def ingest_document(document: Document, catalog_id: str | None = None
                    ) -> tuple[list[IndicatorRecord], DocumentStatus]:
    tables = match_document(document, catalog_id)
    records = document_records(document, tables)
    quality = text_quality(document)
    status = DocumentStatus(
        source=document.source,
        kind="text-ocr" if quality < 0.25 else "text",
        status="ok",
        catalogs=sorted({t.catalog.id for t in tables if t.catalog}),
        tables=len(tables),
        records=len(records),
        matched=sum(1 for r in records if r.indicator_id),
        needs_review=sum(1 for r in records if r.needs_review),
        text_quality=round(quality, 3),
        encoding=document.encoding,
        encoding_fixes=document.encoding_fixes,
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


def ingest(paths: list[Path], out_dir: Path, catalog_id: str | None = None,
           progress=None) -> list[DocumentStatus]:
    """Ingest every input; write records.{jsonl,csv,parquet}, documents.jsonl and text/."""
    records: list[dict] = []
    statuses: list[DocumentStatus] = []
    for path in expand_paths(paths):
        try:
            document = read_document(path)
            doc_records, status = ingest_document(document, catalog_id)
        except InputError as exc:
            status = DocumentStatus(source=path.name, kind=None, status="error",
                                    message=str(exc))
        except KeyError:  # unknown --catalog: the same for every file
            raise
        except Exception as exc:  # noqa: BLE001 — one bad file never stops a batch
            status = DocumentStatus(source=path.name, kind=None, status="error",
                                    message=f"{type(exc).__name__}: {exc}")
        else:
            records.extend(r.to_dict() for r in doc_records)
            write_text(out_dir / "text" / f"{path.name}.txt", document.text)
        statuses.append(status)
        if progress:
            progress(status)
    write_tables(out_dir, records)
    write_jsonl(out_dir / "documents.jsonl", [s.to_dict() for s in statuses])
    return statuses
