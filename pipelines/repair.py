"""``vnextract repair``: read a file, repair the text, write it and the explanation.

The I/O around :func:`normalize.repair.repair_text`: outputs are UTF-8 NFC and written
atomically; ``--explain`` is a JSON list with one object per change. A text file is repaired
from its bytes (any encoding); a PDF or an image is read as ingest reads it
(:func:`pipelines.ingest.read_document`: text layer or OCR, page by page) and repaired as ingest
repairs it (:func:`pipelines.textmap.repair_document`), so the lines Tesseract read get their
marks corrected, each change with its reason and its page.
"""

from __future__ import annotations

import bisect
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from extract.office import OfficeError, sniff_office
from extract.types import Line
from normalize.repair import RepairResult, repair_text
from pipelines.ingest import InputError, read_document
from pipelines.outputs import write_text
from pipelines.paged import sniff
from pipelines.textmap import RepairedDocument, repair_document


class RepairError(Exception):
    """A file that cannot be repaired, with a message a user can act on."""


@dataclass
class RepairedFile:
    """What ``repair_file`` wrote: the text, the changes (as ``--explain`` lists them) and what
    the input was read as (an encoding, or the kind of a paged document)."""

    text: str
    changes: list[dict] = field(default_factory=list)
    read_as: str = ""


def explain(result: RepairResult) -> list[dict]:
    """The changes of ``result`` as JSON-ready objects, in the order they were applied.

    Each has ``line`` (1-based), ``start``/``end`` (0-based columns of the line as it was when
    the change was made), ``before``, ``after``, ``fix`` (which repair), ``confidence`` and
    ``reason`` (why, in words, where the fix's name does not say enough; else empty).
    """
    return [asdict(step) for step in result.steps]


def explain_document(document_lines: list[Line], repaired: RepairedDocument) -> list[dict]:
    """The changes of a repaired document, as :func:`explain`, each also with the ``page`` and
    the ``page_line`` (1-based line of that page) it was made on."""
    out = []
    for step in repaired.steps:
        line = document_lines[bisect.bisect_right(repaired.starts, step.line) - 1]
        out.append({**asdict(step), "page": line.page, "page_line": line.number})
    return out


def repair_file(path: Path, out: Path | None = None, explain_to: Path | None = None, *,
                encoding: str | None = None, tone_style: str | None = None) -> RepairedFile:
    """Repair the file at ``path``; write the text to ``out`` (stdout when None) and, with
    ``explain_to``, the list of changes as JSON. Raises :class:`RepairError`."""
    try:
        paged = sniff(path) is not None or sniff_office(path) is not None
    except OSError as exc:
        raise RepairError(f"cannot read {path}: {exc.strerror or exc}") from None
    except OfficeError:
        paged = True  # an Office file that will not open: read_document says why
    if paged:
        if encoding is not None:
            raise RepairError(f"{path}: --encoding applies to text files, not to PDFs, images "
                              "or Office files")
        repaired = _repair_paged(path, tone_style)
    else:
        repaired = _repair_bytes(path, encoding, tone_style)
    try:
        if explain_to is not None:
            write_text(explain_to, json.dumps(repaired.changes, ensure_ascii=False, indent=1)
                       + "\n")
        if out is not None:
            write_text(out, repaired.text)
        else:
            sys.stdout.write(repaired.text)
            sys.stdout.flush()
    except OSError as exc:
        raise RepairError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None
    return repaired


def _repair_bytes(path: Path, encoding: str | None, tone_style: str | None) -> RepairedFile:
    try:
        result = repair_text(path.read_bytes(), encoding=encoding, tone_style=tone_style)
    except OSError as exc:
        raise RepairError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, LookupError) as exc:
        raise RepairError(f"{path}: {exc}") from None
    return RepairedFile(result.text, explain(result), result.encoding)


def _repair_paged(path: Path, tone_style: str | None) -> RepairedFile:
    try:
        document = read_document(path)
        repaired = repair_document(document, tone_style=tone_style)
    except InputError as exc:
        raise RepairError(str(exc)) from None
    except ValueError as exc:
        raise RepairError(f"{path}: {exc}") from None
    return RepairedFile(repaired.text, explain_document(document.lines, repaired), document.kind)

