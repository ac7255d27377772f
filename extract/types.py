"""Typed records that flow out of extraction. Picklable; every piece keeps its provenance."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One line of a document as read, with where it came from."""

    text: str
    page: int  # 1-based
    number: int  # 1-based line number within the whole input (text dumps) or page (PDF)
    bbox: tuple[float, float, float, float] | None = None
    confidence: float | None = None  # OCR word-confidence mean, 0–1, when OCR made it
    cell_confidences: tuple[float | None, ...] | None = None  # table rows: per cell, lowest word
    as_read: str | None = None  # the text as read, when ``text`` is its repair (OCR noise)
    # OCR: each word's confidence, in the order of ``text.split()`` as read
    word_confidences: tuple[float, ...] | None = None


@dataclass(frozen=True)
class PageInfo:
    """How one page of an input was read, and why: the page's provenance in documents.jsonl.

    ``source`` is ``"text-layer"`` (a PDF page's own text), ``"ocr"`` (rendered and OCR'd),
    ``"text"`` (a page of a text dump, pages split at form feeds) or ``"error"``."""

    number: int  # 1-based
    source: str
    reason: str = ""  # the evidence for ``source``, or the error
    lines: int = 0
    ocr_confidence: float | None = None


@dataclass
class OfficeInfo:
    """What reading an Office file found: in documents.jsonl as ``office``.

    ``fonts``: each font of the text with the encoding it was decoded by (None: read as typed,
    by content detection), whether the font said so (``by``: ``font``) or the text overruled
    it (``content``), and how many letters it held; ``sheets`` and
    ``hidden_sheets`` name a workbook's sheets (each sheet is a page, a hidden one is left
    unread); ``conversion_seconds``: LibreOffice's time on a legacy file (None: read as it
    was)."""

    format: str  # what the content is: "doc", "xls", "ppt", "rtf", "docx", "xlsx", "odt", ...
    converted_by: str | None = None  # "libreoffice": converted to OOXML first
    import_filter: str | None = None  # what LibreOffice opened it as ("MS Word 97", ...)
    conversion_seconds: float | None = None
    fonts: list[dict] = field(default_factory=list)  # {"font", "encoding", "by", "letters"}
    sheets: list[str] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)


@dataclass
class Document:
    """A whole input: its lines (all pages) and what kind of input it was."""

    source: str
    kind: str  # "text", "pdf-text", "pdf-scan", "pdf-mixed", "image", "office-doc", ...
    lines: list[Line] = field(default_factory=list)
    encoding: str | None = None  # the input's detected encoding
    encoding_fixes: int = 0  # how many repairs decoding it took (legacy lines, mojibake)
    page_errors: list[str] = field(default_factory=list)  # pages that could not be read
    pages: list[PageInfo] = field(default_factory=list)  # how each page was read
    ocr_confidence: float | None = None  # mean OCR word confidence over OCR'd pages
    repaired_text: str | None = None  # the whole text after repair (pipelines fill it)
    office: OfficeInfo | None = None  # Office files: formats, fonts, sheets, conversion

    @property
    def text(self) -> str:
        """The document's text in reading order, pages separated by form feeds."""
        pages: dict[int, list[str]] = {}
        for line in self.lines:
            pages.setdefault(line.page, []).append(line.text)
        return "\f".join("\n".join(pages[p]) for p in sorted(pages))


@dataclass
class RawRow:
    """A table row as the document prints it, before matching to a catalog.

    ``label_raw`` is the STT cell as printed (``3.2.1.``, ``300``, ``Trong``) or None;
    ``value_raw`` the Số liệu cell; ``unit_raw`` the Đơn vị tính cell; ``note_raw`` Ghi chú.
    ``trong_do`` marks rows printed under a "Trong đó" cell (no STT of their own).
    """

    label_raw: str | None
    description_raw: str
    unit_raw: str | None = None
    value_raw: str | None = None
    note_raw: str | None = None
    page: int = 1
    line_start: int = 0
    line_end: int = 0
    trong_do: bool = False
    style: str = ""  # "tab", "pdf-text", "ocr", "cells"
    values_by_period: dict[str, str] | None = None  # per-year tables: period → printed value
    # per-year tables read cell by cell: period → what was unsure about that cell alone
    period_reasons: dict[str, list[str]] | None = None
    reasons: list[str] = field(default_factory=list)  # what extraction was unsure of
    confidence: float | None = None  # OCR confidence of the row's text, when known
    bbox: tuple[float, float, float, float] | None = None  # union of the row's line boxes
    value_confidence: float | None = None  # OCR confidence of the value cell's words
    description_repaired: str | None = None  # the printed description after text repair
    text_confidence: float | None = None  # lowest confidence of a word the repair changed


@dataclass
class RawTable:
    """Rows of one table (one appendix), with the heading printed above it."""

    heading: str
    rows: list[RawRow] = field(default_factory=list)
    page: int = 1
    line_start: int = 0
    periods: list[str] = field(default_factory=list)
