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
    # PDF pages: the evidence the choice rests on (None where it was not needed)
    text_chars: int | None = None  # characters of the text layer, signature stamps left out
    stamp_chars: int | None = None  # characters of signature stamps (metadata, not text)
    text_cover: float | None = None  # share of the page under the text layer's lines
    image_cover: float | None = None  # share of the page under images
    invisible: float | None = None  # share of the text layer drawn invisibly (an OCR layer)
    print_covered: float | None = None  # share of the lines printed on a page image under text
    legible: float | None = None  # share of the text layer's words legible as Vietnamese
    fonts_decoded: str | None = None  # legacy font encoding its text layer was decoded from
    rotation: int = 0  # degrees the page image was turned (clockwise) before OCR


@dataclass(frozen=True)
class Signature:
    """A digital signature of a document: the stamp its signing tool drew on a page (``Ký
    bởi: …``, ``Cơ quan: …``, ``Thời gian ký: …``) and/or the PDF signature field behind it
    (the signer's certificate, the signing time). Metadata, never body text."""

    page: int  # 1-based page the signature is drawn on
    signer: str | None = None  # who signed: the stamp's "Ký bởi", else the certificate's name
    organisation: str | None = None  # "Cơ quan", else the certificate's organisation (O)
    unit: str | None = None  # the certificate's organisational unit (OU)
    email: str | None = None
    signed_at: str | None = None  # ISO 8601, with the UTC offset when it is known
    field: str | None = None  # the PDF signature field's name
    source: str = "stamp"  # "stamp", "field" (no stamp drawn) or "stamp+field"


@dataclass
class OfficeInfo:
    """What reading an Office file found: in documents.jsonl as ``office``.

    ``fonts``: each font of the text with the encoding it was decoded by (None: read as typed,
    by content detection), whether the font said so (``by``: ``font``) or the text overruled
    it (``content``), and how many letters it held; ``sheets`` and
    ``hidden_sheets`` name a workbook's sheets (each sheet is a page, a hidden one is left
    unread). No timings: documents.jsonl is the same however fast a run was (the store's
    ``documents.seconds`` has each document's time)."""

    format: str  # what the content is: "doc", "xls", "ppt", "rtf", "docx", "xlsx", "odt", ...
    converted_by: str | None = None  # "libreoffice": converted to OOXML first
    import_filter: str | None = None  # what LibreOffice opened it as ("MS Word 97", ...)
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
    signatures: list[Signature] = field(default_factory=list)  # digital signatures (PDF)
    ocr_confidence: float | None = None  # mean OCR word confidence over OCR'd pages
    repaired_text: str | None = None  # the whole text after repair (pipelines fill it)
    # the document's tables, read from its lines by ``extract.tables.read_tables`` (pipelines
    # fill it from the repaired lines, so each cell holds its repaired text and the text as read)
    tables: list[Table] = field(default_factory=list)
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
    style: str = ""  # "tab", "lined", "missing" (a catalog row not found); else the layout
    values_by_period: dict[str, str] | None = None  # per-year tables: period → printed value
    # per-year tables read cell by cell: period → what was unsure about that cell alone
    period_reasons: dict[str, list[str]] | None = None
    reasons: list[str] = field(default_factory=list)  # what extraction was unsure of
    confidence: float | None = None  # OCR confidence of the row's text, when known
    bbox: tuple[float, float, float, float] | None = None  # union of the row's line boxes
    value_confidence: float | None = None  # OCR confidence of the value cell's words
    description_repaired: str | None = None  # the printed description after text repair
    text_confidence: float | None = None  # lowest confidence of a word the repair changed
    # a row of a table no catalog matched: its cells as (header text or None, text), and the
    # period of the one value it holds (a per-period table gives one row per period column)
    cells: list[tuple[str | None, str]] | None = None
    period: str | None = None


@dataclass(frozen=True)
class Cell:
    """One cell of a table row as printed.

    ``text`` is the cell's text (repaired, when the document's text was), ``as_read`` the text
    as read when that differs; ``confidence`` is OCR's confidence in the cell's weakest word.
    A cell merged over several grid cells is held once, in its first (top-left) position, with
    its spans; the positions it covers hold empty cells."""

    text: str
    as_read: str | None = None
    confidence: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    row_span: int = 1
    col_span: int = 1


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its cells left to right, the header over them, and the lines it
    was read from (page, line numbers, boxes, OCR confidences).

    ``header_rows`` are the header rows in force where the row stands, as printed (a table may
    print its header again on each page, with other columns); ``header`` is one text per
    column, the header rows merged (``Thực hiện`` over ``năm 2001`` → ``Thực hiện năm 2001``).
    Both are empty when the table prints no header. A row of a ``lined`` table is one line,
    its one cell the line's text."""

    cells: tuple[Cell, ...]
    lines: tuple[Line, ...]
    header_rows: tuple[tuple[str, ...], ...] = ()
    header: tuple[str, ...] = ()

    @property
    def page(self) -> int:
        return self.lines[0].page if self.lines else 1

    @property
    def line_start(self) -> int:
        return self.lines[0].number if self.lines else 0

    @property
    def line_end(self) -> int:
        return self.lines[-1].number if self.lines else 0

    def header_of(self, column: int) -> str | None:
        """The header text over ``column``; None where the table prints none."""
        if column < len(self.header) and self.header[column]:
            return self.header[column]
        return None


@dataclass
class Table:
    """A table as the document prints it, before any catalog is matched to it.

    ``layout`` says how its cells reached us: ``grid`` (each row's cells in their columns: a
    ruled PDF table, a scan's grid, a tab-separated row, a Word table or a sheet), ``blocks``
    (one cell per line, rows apart: some DOCX/ODT exports, where a merged cell is not held in
    place) or ``lined`` (hard-wrapped text, a PDF text layer or OCR without cells: each row is
    one line, its one cell the line's text; which lines make up one indicator row is for the
    catalog aligner to say). ``heading`` is the title printed above it (``PHỤ LỤC SỐ I`` …)."""

    rows: list[TableRow] = field(default_factory=list)
    heading: str = ""
    layout: str = "grid"

    @property
    def header(self) -> tuple[str, ...]:
        """The header of the table's first row (see ``TableRow.header``); where the table
        starts is its first row's ``page`` and ``line_start``."""
        return self.rows[0].header if self.rows else ()
