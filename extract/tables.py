"""Lines → tables: the one place where a document's tables are read.

Every reader gives lines with provenance; a table row whose cells the reader knows (a PDF's
ruled table, a scan's grid, a Word table or a sheet, a tab-separated text dump) is one line of
tab-separated cells, with each cell's OCR confidence in ``Line.cell_confidences``. Here those
lines become ``Table``s (``extract.types``): rows of cells split and cleaned once, each with the
header text of its column and the lines it came from. Tables are what ``mapping`` aligns to
catalogs; a table no catalog fits is kept as it is printed.

A document is cut at its appendix headings (``PHỤ LỤC`` / ``BẢNG SỐ`` / ``DANH MỤC``): each
part holds one table, laid out in one of three ways (``Table.layout``):

* ``grid``: one row per line, tab-separated cells (``1.1.\\tSố văn bản\\tVăn bản\\t12``);
* ``blocks``: one cell per line, each indented by a tab, rows apart (seed 003's DOCX export);
* ``lined``: text with hard line breaks and no cells (PDF text layers and OCR without a grid):
  each line is a row of one cell, and the catalog aligner decides which lines make up one
  indicator row.

Header rows (``STT | Chỉ tiêu | Đơn vị tính …``, ``Năm 2021 | Năm 2022 …``) are not rows: the
rows below them carry them as ``TableRow.header_rows``, and a header printed over two rows gives
one text per column (``Thực hiện`` over ``năm 2001`` → ``Thực hiện năm 2001``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.types import Cell, Line, Table, TableRow
from normalize.diacritics import strip_diacritics
from normalize.fold import fold

HEADING = re.compile(r"^(phu ?luc|bang ?so|danh ?muc)")
_TAG = re.compile(r"</?(?:b|i|u|strong|em)>", re.IGNORECASE)
_MD_EMPHASIS = re.compile(r"\*\*|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)")
_SPACES = re.compile(r"[ \u00a0]+")
LABEL_TOKEN = re.compile(r"^[\dZz>?SsOoIl|\]\[.,:;']{1,9}$")


def clean_cell(text: str) -> str:
    """Drop inline markup (``<b>``, ``<i>``, markdown ``**``) and squeeze spaces.

    >>> clean_cell("<b>1.1. </b> Số  văn bản")
    '1.1. Số văn bản'
    """
    text = _TAG.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def is_bold_cell(text: str) -> bool:
    return bool(re.match(r"\s*<b>", text, re.IGNORECASE))


def looks_like_label(token: str) -> bool:
    """A first token that could be a printed STT: digits, dots and digit look-alikes,
    with at least one real digit (``1.2.1.``, ``300``, ``Z25``, ``>1.1``, ``393,``); never
    words (``Trong``) or values (``80%``)."""
    token = token.strip("|")
    return bool(LABEL_TOKEN.match(token)) and any(ch.isdigit() for ch in token) and (
        token[0].isdigit() or token[0] in "Z>"
    )


# --- regions and layouts ---------------------------------------------------------------------

@dataclass
class _Region:
    heading: str
    lines: list[Line] = field(default_factory=list)

    @property
    def layout(self) -> str:
        tabbed = [line.text for line in self.lines if "\t" in line.text]
        if len(tabbed) < 5:
            return "lined"
        single = sum(1 for t in tabbed if t.startswith("\t") and t.count("\t") == 1)
        return "blocks" if single >= 0.8 * len(tabbed) else "grid"


def _regions(lines: list[Line]) -> list[_Region]:
    """Split a document at appendix headings; text before the first heading is one region
    only when there is no heading at all (then the table may be anywhere)."""
    regions: list[_Region] = []
    for line in lines:
        folded = fold(clean_cell(line.text))
        if len(line.text.strip()) < 90 and HEADING.match(folded) and "\t" not in line.text:
            regions.append(_Region(heading=clean_cell(line.text)))
            continue
        if regions:
            regions[-1].lines.append(line)
    if not regions:
        regions.append(_Region(heading="", lines=list(lines)))
    return regions


def read_tables(lines: list[Line]) -> list[Table]:
    """A document's lines → its tables, one per appendix (see the module docstring). Parts
    with no row are left out; nothing else is."""
    tables = []
    for region in _regions(lines):
        layout = region.layout
        if layout == "grid":
            parts = _by_table(_grid_rows(region.lines))
        elif layout == "blocks":
            parts = [_block_rows(region.lines)]
        else:
            parts = [_lined_rows(region.lines)]
        tables.extend(Table(rows=rows, heading=region.heading, layout=layout)
                      for rows in parts if rows)
    return tables


SAME_HEADER = 0.5  # share of words two headers share when one is the other printed again


def _by_table(rows: list[TableRow]) -> list[list[TableRow]]:
    """Rows in columns → one list per table: a header printed again on a new page (the same
    words, OCR's misreadings aside) goes on with its table; another header (a sheet's second
    table, ``TT | Ngành | Tổng số …`` under ``STT | Cơ quan | Tổng số …``) starts a new one."""
    parts: list[list[TableRow]] = []
    for row in rows:
        if parts and not _another_header(parts[-1][-1].header, row.header):
            parts[-1].append(row)
        else:
            parts.append([row])
    return parts


def _another_header(before: tuple[str, ...], after: tuple[str, ...]) -> bool:
    if not before or not after or before is after:
        return False
    words = [set(fold(" ".join(h)).split()) for h in (before, after)]
    return len(words[0] & words[1]) < SAME_HEADER * len(words[0] | words[1])


# --- header rows -----------------------------------------------------------------------------

HEADER_WORDS = frozenset("stt tt ket qua cac chi tieu don vi tinh so lieu ghi chu".split())
PERIOD_HEAD = re.compile(r"^n\w{1,2}m\s*(\S{4})\b")  # "Năm 2021", OCR's "Nam 2021"
PERIOD_DATE = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\s*\)?\s*$")  # "(tính đến 31/3)"


def is_header_row(cells: list[str]) -> bool:
    """A table's header row, also when a page repeats it: STT / Các chỉ tiêu / Đơn vị tính."""
    first = fold(cells[0]) if cells else ""
    joined = fold(" ".join(cells))
    return first in {"stt", "so tt", "tt"} or (not first and "don vi tinh" in joined)


def period_head(text: str) -> tuple[bool, str | None]:
    """A header cell naming a year column: (is one, its period). ``Năm 2021`` → "2021",
    ``Năm 2025 (tính đến 31/3)`` → "2025-03-31"; a misread year, or words besides the year
    that are not understood, give (True, None)."""
    match = PERIOD_HEAD.match(fold(text))
    if not match:
        return False, None
    year = match.group(1)
    if not re.fullmatch(r"(19|20)\d\d", year):
        return True, None
    date = PERIOD_DATE.search(text)
    if date and ("đến" in text.lower() or "den" in fold(text)):
        day, month = int(date.group(1)), int(date.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            return True, f"{year}-{month:02d}-{day:02d}"
        return True, None
    if len(fold(text).split()) > 2:  # more than "Năm 2021": a qualifier not understood
        return True, None
    return True, year


def period_columns(cells: list[str]) -> tuple[list[int], list[str | None]] | None:
    """A header row of a per-year table: the columns headed by years (at least two), and the
    period each names (None where it could not be read as one)."""
    found = [(i, period_head(c)) for i, c in enumerate(cells) if i > 0 and c.strip()]
    columns = [(i, period) for i, (is_period, period) in found if is_period]
    if len(columns) < 2:
        return None
    return [i for i, _ in columns], [period for _, period in columns]


def _column_numbers(cells: list[str]) -> bool:
    """A row that only numbers the columns (``1 | 2 | 3 …`` or ``(1) | (2) …``)."""
    numbers = [c.strip("() ") for c in cells if c.strip()]
    return len(numbers) >= 3 and numbers == [str(i) for i in range(1, len(numbers) + 1)]


def _continues_header(cells: list[str]) -> bool:
    """A row printed right under a header row that goes on with it: the second line of a
    header merged over two rows (``| | tính | 2005 | T1/2005``), with no row label and no
    description of its own, or the row numbering the columns."""
    if _column_numbers(cells):
        return True
    return len(cells) > 2 and not cells[0] and not cells[1] and any(cells[2:])


def merge_header(rows: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """Header rows → one text per column, upper rows first. A cell merged over the columns to
    its right (its text in the first of them, the others empty, each with text below) heads
    each of them; a row numbering the columns adds nothing.

    >>> merge_header((("Số TT", "Tên chỉ tiêu", "Thực hiện", "Ước TH"),
    ...               ("", "", "năm 2001", "năm 2002")))
    ('Số TT', 'Tên chỉ tiêu', 'Thực hiện năm 2001', 'Ước TH năm 2002')
    >>> merge_header((("Stt", "Tên", "So sánh (%)", ""), ("", "", "T2/T1", "2T/KH")))
    ('Stt', 'Tên', 'So sánh (%) T2/T1', 'So sánh (%) 2T/KH')
    """
    rows = tuple(r for r in rows if not _column_numbers(list(r)))
    width = max((len(r) for r in rows), default=0)
    grid = [list(r) + [""] * (width - len(r)) for r in rows]
    for r, row in enumerate(grid[:-1]):
        below = [any(lower[c] for lower in grid[r + 1:]) for c in range(width)]
        for c in range(1, width):
            if not row[c] and row[c - 1] and below[c] and below[c - 1]:
                row[c] = row[c - 1]
    return tuple(" ".join(row[c] for row in grid if row[c]) for c in range(width))


def _header_lines(lines: list[Line]) -> set[int]:
    """Indexes of a table header printed as lines (a page repeating it, in text without cell
    borders): the line naming STT with the indicators or notes column, and the lines next to
    it made only of header words (``Kết quả`` / ``Đơn vị`` / ``Số liệu`` / ``tính``). Left
    in, they would read as the row above's note and hide the next row's description."""
    out: set[int] = set()
    for n, line in enumerate(lines):
        words = fold(line.text).split()
        if "stt" not in words[:2] or not ("tieu" in words or "chu" in words):
            continue
        out.add(n)
        for step in (-1, 1):
            k = n + step
            while 0 <= k < len(lines) and abs(k - n) <= 3 and (
                    set(fold(lines[k].text).split()) <= HEADER_WORDS and lines[k].text.strip()):
                out.add(k)
                k += step
    return out


# --- rows of each layout ---------------------------------------------------------------------

def _split(text: str) -> list[str]:
    return [clean_cell(c) for c in text.split("\t")]


def _grid_cells(line: Line) -> tuple[Cell, ...]:
    """A tab-separated line's cells, each with its text as read (when the line was repaired)
    and its OCR confidence (when the reader measured one)."""
    texts = _split(line.text)
    read = _split(line.as_read) if line.as_read is not None and "\t" in line.as_read else None
    confidences = line.cell_confidences or ()
    cells = []
    for i, text in enumerate(texts):
        as_read = (read[i] if i < len(read) else "") if read is not None else None
        cells.append(Cell(text, as_read if as_read != text else None,
                          confidences[i] if i < len(confidences) else None))
    return tuple(cells)


def _grid_rows(lines: list[Line]) -> list[TableRow]:
    """Tab-separated lines → rows; header rows (a repeated header starts again) become the
    header of the rows below them. Lines without a tab (titles, notes) are not rows."""
    rows: list[TableRow] = []
    header = _Header()
    for line in lines:
        if "\t" not in line.text:
            continue
        cells = _grid_cells(line)
        if header.takes([c.text for c in cells], continuation=True):
            continue
        rows.append(TableRow(cells, (line,), header.rows, header.merged))
    return rows


class _Header:
    """The header in force while a table's rows are read: header rows printed one under the
    other make one header; a header printed again after body rows starts a new one."""

    def __init__(self) -> None:
        self.rows: tuple[tuple[str, ...], ...] = ()
        self.merged: tuple[str, ...] = ()
        self._open = False  # the last row read was a header row

    def takes(self, texts: list[str], continuation: bool = False) -> bool:
        """Whether ``texts`` is a header row (then it joins or starts the header)."""
        starts = period_columns(texts) is not None or is_header_row(texts)
        if not starts and not (continuation and self._open and _continues_header(texts)):
            self._open = False
            return False
        self.rows = (*self.rows, tuple(texts)) if self._open else (tuple(texts),)
        self.merged = merge_header(self.rows)
        self._open = True
        return True


def cell_blocks(lines: list[Line]) -> list[tuple[list[Line], list[str] | None]]:
    """Group one-cell-per-line blocks (each cell a line starting with a tab; a new row starts at
    a tab line after a blank line). An unindented line continues the description cell of a
    block that has no empty cell yet (``Xây dựng ... họp trực tuyến`` / ``Liên thông 2 cấp …``);
    any other unindented line is returned on its own with ``None`` for cells (headings).
    Each block comes with its lines, first to last."""
    out: list[tuple[list[Line], list[str] | None]] = []
    current: list[str] = []
    block_lines: list[Line] = []
    after_blank = False

    def close() -> None:
        nonlocal current, block_lines
        if current and block_lines:
            out.append((block_lines, current))
        current, block_lines = [], []

    for line in lines:
        if not line.text.strip() and not line.text.startswith("\t"):
            after_blank = True
            continue
        if line.text.startswith("\t"):
            if after_blank or not block_lines:
                close()
            block_lines.append(line)
            current.append(line.text[1:].strip())
        elif current and all(current[1:]) and len(current) <= 3:
            current[-1] = f"{current[-1]} {line.text.strip()}".strip()
            block_lines.append(line)
        else:
            close()
            out.append(([line], None))
        after_blank = False
    close()
    return out


def _block_rows(lines: list[Line]) -> list[TableRow]:
    """One-cell-per-line blocks → rows; header blocks become the header of the rows below."""
    rows: list[TableRow] = []
    header = _Header()
    for block_lines, block in cell_blocks(lines):
        if block is None or not any(block):
            continue
        texts = [clean_cell(c) for c in block]
        if header.takes(texts):
            continue
        rows.append(TableRow(tuple(Cell(text) for text in texts), tuple(block_lines),
                             header.rows, header.merged))
    return rows


def _lined_rows(lines: list[Line]) -> list[TableRow]:
    """Text with hard line breaks: each line with text is a row of one cell; the header lines
    a page repeats are left out."""
    header = _header_lines(lines)
    rows = []
    for n, line in enumerate(lines):
        if not line.text.strip() or n in header:
            continue
        cell = Cell(line.text, line.as_read, line.confidence, line.bbox)
        rows.append(TableRow((cell,), (line,)))
    return rows


# --- what the columns hold -------------------------------------------------------------------

_YEAR = r"(?:19|20)\d\d"
_RANGE = re.compile(rf"(?<!\d)({_YEAR})\s*[-–]\s*({_YEAR})(?!\d)")
_FULL_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})\s*/\s*(\d{{1,2}})\s*/\s*({_YEAR})(?!\d)")
_LONG_DATE = re.compile(rf"ngay\s*(\d{{1,2}})\s*thang\s*(\d{{1,2}})\s*nam\s*({_YEAR})(?!\d)")
_UNTIL = re.compile(r"den\s*(?:ngay\s*)?(\d{1,2})\s*/\s*(\d{1,2})(?!\s*/?\s*\d)")
_MONTH = re.compile(rf"(?<![\d\w])(?:t|thang)\s*(\d{{1,2}})\s*(?:/|-|\.|nam)\s*({_YEAR})(?!\d)")
_QUARTER = re.compile(rf"\bquy\s*(i{{1,3}}|iv|[1-4])\b\s*(?:/|-|nam)?\s*({_YEAR})(?!\d)")
_COMPARISON = re.compile(r"so sanh|ty le|%|\bso voi\b")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def column_period(header: str) -> str | None:
    """The period a column's header names, or None: ``Thực hiện năm 2001`` → "2001",
    ``Ước TH T2/2005`` → "2005-02", ``Quý III/2005`` → "2005-Q3", ``Năm 2025 (tính đến
    31/3)`` → "2025-03-31", ``2021-2025`` → "2021-2025". What qualifies the period (``Thực
    hiện``, ``Ước TH``, ``Kế hoạch``, ``2T`` for two months so far) stays in the header text.
    A comparison of two periods (``So sánh (%) T2-2005/ T1-2005``) names none.

    >>> column_period("Kế hoạch năm 2003"), column_period("Số TT")
    ('2003', None)
    """
    folded = " ".join(strip_diacritics(header).lower().split())
    years = re.findall(rf"(?<!\d){_YEAR}(?!\d)", folded)
    if not years or _COMPARISON.search(folded):
        return None
    if found := _FULL_DATE.search(folded) or _LONG_DATE.search(folded):
        return _date(found.group(3), found.group(2), found.group(1))
    if (found := _RANGE.search(folded)) and len(years) == 2:
        return f"{found.group(1)}-{found.group(2)}"
    if len(years) > 1:
        return None  # one period over another: a comparison
    if (found := _UNTIL.search(folded)) and (date := _date(years[0], found.group(2),
                                                           found.group(1))):
        return date
    if found := _QUARTER.search(folded):
        quarter = _ROMAN.get(found.group(1)) or int(found.group(1))
        return f"{found.group(2)}-Q{quarter}"
    if (found := _MONTH.search(folded)) and 1 <= int(found.group(1)) <= 12:
        return f"{found.group(2)}-{int(found.group(1)):02d}"
    return years[0]


def _date(year: str, month: str, day: str) -> str | None:
    if 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return None


@dataclass(frozen=True)
class Column:
    """What a column holds, as its header says: ``label`` (STT), ``description``, ``unit``,
    ``value`` (Số liệu, Kết quả), ``period`` (a value for the period it names), ``note``
    (Ghi chú) or ``other``."""

    role: str
    period: str | None = None


_LABEL_HEADS = {"stt", "tt", "so tt", "so thu tu", "s tt"}
_UNIT_HEADS = re.compile(r"^(?:don vi tinh|dvt|d\.v\.t|don vi)\b(?!\s+(?:chu|thuc|phoi|quan))")
_VALUE_HEADS = re.compile(r"^(?:so lieu|gia tri|ket qua)\b")
_DESCRIPTION_HEADS = re.compile(
    r"chi tieu|noi dung|\bten\b|danh muc|nhiem vu|muc tieu|hang muc|cong trinh|du an|"
    r"linh vuc|co quan|don vi\b|nganh|dien giai|loai")


def columns_of(header: tuple[str, ...], rows: list[list[str]]) -> list[Column]:
    """The role of each column of ``rows`` (their cells' texts) under ``header`` (one text per
    column). A column headed by a period or a value holds numbers: one whose cells are mostly
    words is not one (``Nội dung KH 2003``). The description is the column a header names so
    (``Tên chỉ tiêu``, ``Nội dung`` …), else the first column after the row label that holds no
    unit, value, period or note."""
    width = max([len(header), *(len(r) for r in rows)])
    roles = []
    for c in range(width):
        text = header[c] if c < len(header) else ""
        folded = fold(text).strip(" .:")
        period = column_period(text) if text else None
        numbers = _mostly_numbers([r[c] for r in rows if c < len(r) and r[c]])
        if folded in _LABEL_HEADS and c <= 1:
            roles.append(Column("label"))
        elif _UNIT_HEADS.match(folded):
            roles.append(Column("unit"))
        elif folded.startswith("ghi chu"):
            roles.append(Column("note"))
        elif period is not None and numbers:
            roles.append(Column("period", period))
        elif _VALUE_HEADS.match(folded) and numbers:
            roles.append(Column("value"))
        else:
            roles.append(Column("other"))
    others = [c for c in range(width) if roles[c].role == "other"]
    named = [c for c in others if c < len(header) and _DESCRIPTION_HEADS.search(fold(header[c]))]
    after_label = [c for c in others if not any(r.role == "label" for r in roles[c:])]
    for c in (named or after_label)[:1]:
        roles[c] = Column("description")
    return roles


def _mostly_numbers(cells: list[str]) -> bool:
    """Whether most of a column's filled cells are numbers (or a dash for none)."""
    numbers = sum(1 for c in cells if _NUMBER_CELL.match(c.replace(" ", "")) or c in "-–x")
    return not cells or numbers >= 0.5 * len(cells)


_NUMBER_CELL = re.compile(r"^[-+(]?\d[\d.,]*%?\)?$")
