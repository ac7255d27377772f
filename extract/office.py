"""Office files → lines, each run and cell decoded by its font.

Legacy submissions are Word and Excel files typed in TCVN3 (``.VnTime``) or VNI fonts. Their
format is found from the content (:func:`sniff_office`: OLE2 streams, ``{\\rtf``, the parts of a
ZIP), not from the extension. Legacy formats (doc, xls, ppt, rtf, ODF, HTML saved as ``.doc``)
are converted by LibreOffice to OOXML (``extract._exec.soffice``), which keeps every run's and
cell's font; docx/xlsx/pptx are read as they are (python-docx, openpyxl, python-pptx).

Every run (Word, PowerPoint) and cell (Excel; rich-text cells run by run) is decoded by the
encoding its font names (:func:`normalize.fonts.encoding_for_font`); runs of one encoding that
follow each other are decoded together, so TCVN3's case restoration sees the words around.
Text whose font says nothing (``Times New Roman``), or whose letters show it was typed in
Unicode whatever its font, is read by content detection
(:func:`normalize.encodings.repair_encoding`), all of a document's such pieces in one pass.

Provenance: a Word or RTF document is one page (its page breaks depend on the printer); each
sheet of a workbook is a page, in workbook order, and a row is the line of its row number; each
slide is a page. A hidden sheet is a page with no lines, named in ``OfficeInfo.hidden_sheets``.
Word table rows and sheet rows are one line each, their cells separated by tabs (the "tab"
layout of ``mapping.tables``); a merged cell is followed by empty cells for the columns it
covers, so that every row keeps its header's columns.
"""

from __future__ import annotations

import datetime
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docx
import olefile
import openpyxl
import pptx
from docx.opc.exceptions import PackageNotFoundError as DocxPackageNotFound
from lxml import etree
from openpyxl.cell.rich_text import CellRichText
from openpyxl.utils.exceptions import InvalidFileException
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.exc import PackageNotFoundError as PptxPackageNotFound

from extract._exec.soffice import ConversionError, Converter, default_converter
from extract.types import Document, Line, OfficeInfo, PageInfo
from normalize.encodings import compose_nfc, repair_encoding
from normalize.fonts import encoding_for_font, read_font_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_SHEET_ROWS = 200_000  # rows read from one sheet; more is reported on its page
MAX_SHEET_COLUMNS = 2_000
# the OOXML each format is read as (legacy ones converted to it first)
TARGETS = {"doc": "docx", "rtf": "docx", "odt": "docx", "html-doc": "docx", "xml-doc": "docx",
           "xls": "xlsx", "ods": "xlsx", "html-xls": "xlsx", "xml-xls": "xlsx",
           "ppt": "pptx", "odp": "pptx", "ole": "docx",
           "docx": "docx", "xlsx": "xlsx", "pptx": "pptx"}
# LibreOffice's import filter where its type detection would pick the wrong application
IMPORT_FILTERS = {"html-doc": "HTML (StarWriter)", "html-xls": "HTML (StarCalc)"}
_WORD_SUFFIXES = {".doc", ".dot", ".docx", ".rtf", ".wri"}
_SHEET_SUFFIXES = {".xls", ".xlt", ".xlsx"}
_ODF_TYPES = {"application/vnd.oasis.opendocument.text": "odt",
              "application/vnd.oasis.opendocument.spreadsheet": "ods",
              "application/vnd.oasis.opendocument.presentation": "odp"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LEFT_OVER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u00ad]")  # and soft hyphens, once decoded
_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")  # typographic spaces too
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


class OfficeError(Exception):
    """An Office file that cannot be read, in words a user can act on."""


def sniff_office(path: Path) -> str | None:
    """The Office format of a file, found from its content (the extension only tells an HTML
    or XML export saved as ``.doc``/``.xls`` from a web page): ``doc``, ``xls``, ``ppt`` (OLE2
    compound files, told apart by their streams), ``ole`` (another compound file),
    ``encrypted`` (a password-protected OOXML file), ``rtf``, ``docx``, ``xlsx``, ``pptx``,
    ``odt``, ``ods``, ``odp``, ``html-doc``, ``html-xls``, ``xml-doc``, ``xml-xls``; None for
    anything else."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(OLE_MAGIC):
        return _ole_format(path)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(path)
    suffix = path.suffix.lower()
    family = "doc" if suffix in _WORD_SUFFIXES else "xls" if suffix in _SHEET_SUFFIXES else None
    lowered = text[:2048].lower()
    if family and lowered.startswith(b"<"):
        if b"<html" in lowered or b"<!doctype html" in lowered:
            return f"html-{family}"
        if b"mso-application" in lowered or b"urn:schemas-microsoft-com:office" in lowered:
            return f"xml-{family}"
    return None


def _ole_format(path: Path) -> str:
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {entry[0] for entry in ole.listdir()}
    except Exception as exc:  # noqa: BLE001 — olefile raises many kinds on damaged files
        raise OfficeError(f"damaged OLE2 (Office 97) file: {exc}") from exc
    if "WordDocument" in streams:
        return "doc"
    if streams & {"Workbook", "Book"}:
        return "xls"
    if "PowerPoint Document" in streams:
        return "ppt"
    if "EncryptedPackage" in streams:
        return "encrypted"
    return "ole"


def _zip_format(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = (archive.read("mimetype").decode("ascii", "replace").strip()
                        if "mimetype" in names else "")
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    if "[Content_Types].xml" in names:
        for part, fmt in (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"),
                          ("ppt/presentation.xml", "pptx")):
            if part in names:
                return fmt
    return _ODF_TYPES.get(mimetype.split(";")[0])


def read_office(path: Path, fmt: str | None = None, converter: Converter | None = None
                ) -> Document:
    """An Office file → Document (``kind`` ``office-<format>``), its text decoded by font.

    Legacy formats are converted by ``converter`` (default: this process's LibreOffice);
    ``OfficeError`` when the file cannot be read."""
    fmt = fmt or sniff_office(path)
    if fmt is None:
        raise OfficeError("not an Office file")
    if fmt == "encrypted":
        raise OfficeError("password-protected Office file: save it without a password")
    target = TARGETS[fmt]
    if fmt in ("docx", "xlsx", "pptx"):
        try:
            return _read_ooxml(path, target, path.name, OfficeInfo(format=fmt))
        except _NotReadable:
            pass  # macro-enabled, template, strict: LibreOffice reads what python-docx won't
    with tempfile.TemporaryDirectory(prefix="vnextract-office-") as tmp:
        try:
            converted = (converter or default_converter()).convert(
                path, Path(tmp), target, IMPORT_FILTERS.get(fmt))
        except ConversionError as exc:
            raise OfficeError(f"LibreOffice cannot convert it: {exc}") from exc
        if (converted.import_filter or "").startswith("Text"):
            # LibreOffice's last resort for what it does not recognise
            raise OfficeError(f"damaged {fmt} file: LibreOffice could only read it as text")
        info = OfficeInfo(format=fmt, converted_by="libreoffice",
                          import_filter=converted.import_filter)
        try:
            return _read_ooxml(converted.path, converted.format, path.name, info)
        except _NotReadable as exc:
            raise OfficeError(f"its conversion cannot be read: {exc}") from exc


class _NotReadable(Exception):
    """python-docx, openpyxl or python-pptx refused a file (its content type, its zip)."""


def _read_ooxml(path: Path, fmt: str, source: str, info: OfficeInfo) -> Document:
    text = _Text()
    try:
        if fmt == "docx":
            pages = [("document", _docx_lines(docx.Document(str(path))))]
        elif fmt == "xlsx":
            pages = _xlsx_pages(path, info)
        else:
            pages = _pptx_pages(pptx.Presentation(str(path)))
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, etree.XMLSyntaxError,
            InvalidFileException, DocxPackageNotFound, PptxPackageNotFound) as exc:
        raise _NotReadable(f"{type(exc).__name__}: {exc}") from exc
    lines: list[Line] = []
    page_infos: list[PageInfo] = []
    for number, (reason, page_lines) in enumerate(pages, start=1):
        texts = [text.line(cells) for cells in page_lines]
        while texts and not texts[-1].strip():
            texts.pop()
        source_kind = "hidden-sheet" if reason.startswith("hidden") else "office"
        page_infos.append(PageInfo(number, source_kind, reason, len(texts)))
        lines.extend(Line(t, number, n) for n, t in enumerate(texts, start=1))
    info.fonts = text.font_report()
    encodings = sorted({f["encoding"] for f in info.fonts if f["encoding"]})
    document = Document(source=source, kind=f"office-{info.format}", lines=text.finish(lines),
                        pages=page_infos, office=info)
    document.encoding = "+".join(encodings) if encodings else "unicode"
    document.encoding_fixes = text.fixes
    return document


# --- decoding by font ---------------------------------------------------------------------

Span = tuple[str, "str | None"]  # a run's text and its font name
Cells = list[list[Span]]  # a line: its cells (one for a paragraph), each a list of spans
Page = tuple[str, list[Cells]]  # how the page was read (PageInfo.reason), and its lines


@dataclass
class _Text:
    """Decodes spans by font; collects the pieces no font speaks for, to be read by content
    detection together (a line next to a decoded line needs less evidence) in :meth:`finish`."""

    pending: list[str] = field(default_factory=list)
    fonts: dict[tuple[str, str | None, str], int] = field(default_factory=dict)
    fixes: int = 0

    def line(self, cells: Cells) -> str:
        """Cells of spans → the line's text; content-detected pieces stand as placeholders
        ``\\x00N\\x00`` until :meth:`finish`."""
        return "\t".join(self._cell(spans) for spans in cells)

    def _cell(self, spans: list[Span]) -> str:
        out = []
        for font, piece in _groups(spans):
            claimed = encoding_for_font(font)
            reading, decoded = read_font_text(piece, claimed) if claimed else (None, piece)
            if reading is not None:
                self.fixes += decoded != piece
                out.append(_clean(decoded))
            elif piece.strip():
                self.pending.append(_CONTROL.sub("", piece))
                out.append(f"\x00{len(self.pending) - 1}\x00")
            else:
                out.append(piece)
            letters = sum(c.isalpha() for c in piece)
            if letters:
                by = "font" if claimed and reading == claimed else "content"
                key = (font or "(none)", reading, by)
                self.fonts[key] = self.fonts.get(key, 0) + letters
        return _SPACES.sub(" ", "".join(out)).strip()

    def finish(self, lines: list[Line]) -> list[Line]:
        """The lines with their content-detected pieces in place."""
        if not self.pending:
            return lines
        repaired = repair_encoding("\n".join(self.pending))
        self.fixes += sum(step.fix != "compose_nfc" for step in repaired.steps)
        texts = repaired.text.split("\n")

        def fill(match: re.Match[str]) -> str:
            return texts[int(match.group(1))]

        return [Line(_clean(_PLACEHOLDER.sub(fill, line.text)), line.page, line.number)
                for line in lines]

    def font_report(self) -> list[dict]:
        """Each font with the reading its text was decoded by (None: as typed, content
        detection) and whether the font said so (``by``: ``font`` or ``content``)."""
        return [{"font": font, "encoding": encoding, "by": by, "letters": letters}
                for (font, encoding, by), letters in sorted(self.fonts.items(),
                                                            key=lambda kv: -kv[1])]


def _groups(spans: list[Span]) -> Iterator[tuple[str | None, str]]:
    """Consecutive spans whose fonts name one encoding, joined: (first font, text). A
    whitespace-only span joins the group it stands in."""
    group: list[str] = []
    font: str | None = None
    for text, span_font in spans:
        if not text:
            continue
        if group and (not text.strip() or
                      encoding_for_font(span_font) == encoding_for_font(font)):
            group.append(text)
            continue
        if group:
            yield font, "".join(group)
        group, font = [text], span_font
    if group:
        yield font, "".join(group)


def _clean(text: str) -> str:
    return compose_nfc(_LEFT_OVER.sub("", text))


# --- Word -------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_CONTAINERS = {_W + t for t in ("hyperlink", "ins", "smartTag", "customXml", "fldSimple",
                                  "moveTo", "bdo", "dir", "sdtContent")}
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_FONT_ATTRIBUTES = ("hAnsi", "ascii")  # high-ANSI letters carry the Vietnamese ones


class _WordFonts:
    """A run's font, resolved as Word does: the run's own ``rFonts``, then its character
    style, the paragraph style (each with its ``basedOn`` chain), the table style, and the
    document defaults; attribute by attribute (a run naming only ``eastAsia`` still inherits
    its ``hAnsi`` font)."""

    def __init__(self, document: docx.document.Document):
        styles = document.styles.element
        self.styles: dict[str, tuple[str | None, dict[str, str]]] = {}
        self.default_paragraph: str | None = None
        for style in styles.findall(_W + "style"):
            style_id = style.get(_W + "styleId")
            based = style.find(_W + "basedOn")
            self.styles[style_id] = (based.get(_W + "val") if based is not None else None,
                                     _rfonts(style.find(_W + "rPr")))
            if style.get(_W + "type") == "paragraph" and style.get(_W + "default") in (
                    "1", "true"):
                self.default_paragraph = style_id
        defaults = styles.find(_W + "docDefaults")
        rpr = None if defaults is None else defaults.find(f"{_W}rPrDefault/{_W}rPr")
        self.defaults = _rfonts(rpr)
        self._cache: dict[tuple, str | None] = {}

    def font(self, run: etree._Element, paragraph_style: str | None,
             table_style: str | None) -> str | None:
        own = _rfonts(run.find(_W + "rPr"))
        rstyle = run.find(f"{_W}rPr/{_W}rStyle")
        key = (tuple(sorted(own.items())), None if rstyle is None else rstyle.get(_W + "val"),
               paragraph_style, table_style)
        if key not in self._cache:
            chain = [own, *self._chain(key[1]),
                     *self._chain(paragraph_style or self.default_paragraph),
                     *self._chain(table_style), self.defaults]
            self._cache[key] = next((level[a] for a in _FONT_ATTRIBUTES for level in chain
                                     if a in level), None)
        return self._cache[key]

    def _chain(self, style_id: str | None) -> Iterator[dict[str, str]]:
        seen: set[str] = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            based, fonts = self.styles[style_id]
            yield fonts
            style_id = based


def _rfonts(rpr: etree._Element | None) -> dict[str, str]:
    """A ``w:rPr``'s ``rFonts`` as {attribute: font}; a theme font stands as ``(theme)``."""
    element = None if rpr is None else rpr.find(_W + "rFonts")
    if element is None:
        return {}
    out = {}
    for attribute in _FONT_ATTRIBUTES:
        if element.get(_W + attribute):
            out[attribute] = element.get(_W + attribute)
        elif element.get(f"{_W}{attribute}Theme"):
            out[attribute] = f"({element.get(f'{_W}{attribute}Theme')})"
    return out


@dataclass
class _WordWalk:
    fonts: _WordFonts
    table_style: str | None = None


_AFTER_BODY = ("footnotes", "endnotes", "header", "footer")  # parts read after the body
_NOT_NOTES = {"separator", "continuationSeparator", "continuationNotice"}


def _docx_lines(document: docx.document.Document) -> list[Cells]:
    """The body's lines, then the footnotes', endnotes', headers' and footers' (a header or
    footer repeated by several sections once)."""
    walk = _WordWalk(_WordFonts(document))
    lines = list(_blocks(document.element.body, walk))
    seen: set[str] = set()
    rels = sorted((rel for rel in document.part.rels.values() if not rel.is_external),
                  key=lambda rel: str(rel.target_part.partname))
    for kind in _AFTER_BODY:
        for rel in rels:
            if not rel.reltype.endswith(f"/{kind}"):
                continue
            root = etree.fromstring(rel.target_part.blob)
            if kind.endswith("notes"):
                part_lines = [line for note in root
                              if note.get(_W + "type") not in _NOT_NOTES
                              for line in _blocks(note, walk)]
            else:
                part_lines = list(_blocks(root, walk))
            key = repr(part_lines)
            if key not in seen and any(t.strip() for cells in part_lines for cell in cells
                                       for t, _ in cell):
                seen.add(key)
                lines.extend(part_lines)
    return lines


def _blocks(parent: etree._Element, walk: _WordWalk) -> Iterator[Cells]:
    """The lines of a body, cell or text box, in order: one per paragraph line, one per
    table row (cells as lists of spans)."""
    for child in parent:
        if child.tag == _W + "p":
            yield from _paragraph(child, walk)
        elif child.tag == _W + "tbl":
            yield from _table(child, walk)
        elif child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent")
            yield from _blocks(content if content is not None else child, walk)


def _paragraph(p: etree._Element, walk: _WordWalk) -> Iterator[Cells]:
    style = p.find(f"{_W}pPr/{_W}pStyle")
    style_id = None if style is None else style.get(_W + "val")
    lines: Cells = [[]]
    boxes: list[etree._Element] = []
    _inline(p, style_id, walk, lines, boxes)
    for spans in lines:
        yield [spans]
    for box in boxes:  # text boxes anchored in the paragraph: their lines after it
        yield from _blocks(box, walk)


def _inline(parent: etree._Element, style_id: str | None, walk: _WordWalk,
            lines: list[list[Span]], boxes: list[etree._Element]) -> None:
    for child in parent:
        if child.tag == _W + "r":
            _run(child, walk.fonts.font(child, style_id, walk.table_style), lines, boxes)
        elif child.tag in _W_CONTAINERS:
            _inline(child, style_id, walk, lines, boxes)
        elif child.tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                _inline(content, style_id, walk, lines, boxes)
        elif child.tag == f"{_MC}AlternateContent":
            _inline(_alternate(child), style_id, walk, lines, boxes)


def _alternate(element: etree._Element) -> etree._Element:
    """``mc:AlternateContent``: its first choice (the fallback repeats it in older markup)."""
    for tag in ("Choice", "Fallback"):
        found = element.find(f"{_MC}{tag}")
        if found is not None:
            return found
    return element


def _run(run: etree._Element, font: str | None, lines: list[list[Span]],
         boxes: list[etree._Element]) -> None:
    for child in run:
        tag = child.tag
        if tag == _W + "t":
            lines[-1].append((child.text or "", font))
        elif tag in (_W + "tab", _W + "ptab"):
            lines[-1].append(("\t", None))
        elif tag in (_W + "br", _W + "cr"):
            lines.append([])
        elif tag == _W + "noBreakHyphen":
            lines[-1].append(("-", font))
        elif tag == _W + "softHyphen":  # byte AD: TCVN3's "ư", VNI's nothing
            lines[-1].append(("\u00ad", font))
        elif tag == _W + "sym":
            char = child.get(_W + "char") or ""
            if re.fullmatch(r"[0-9A-Fa-f]{2,4}", char):
                code = int(char, 16)
                code = code - 0xF000 if code >= 0xF000 else code
                lines[-1].append((chr(code), child.get(_W + "font") or font))
        elif tag in (_W + "drawing", _W + "pict", f"{_MC}AlternateContent"):
            root = _alternate(child) if tag == f"{_MC}AlternateContent" else child
            boxes.extend(root.iter(_W + "txbxContent"))


def _table(table: etree._Element, walk: _WordWalk) -> Iterator[Cells]:
    style = table.find(f"{_W}tblPr/{_W}tblStyle")
    outer, walk.table_style = walk.table_style, (
        style.get(_W + "val") if style is not None else walk.table_style)
    rows: list[Cells] = []
    cell_lines: list[Cells] = []  # every cell's own lines, in reading order
    for tr in _children(table, "tr"):
        cells: Cells = [[] for _ in range(_int(tr.find(f"{_W}trPr/{_W}gridBefore"), 0))]
        for tc in _children(tr, "tc"):
            props = tc.find(_W + "tcPr")
            span = max(1, _int(None if props is None else props.find(_W + "gridSpan"), 1))
            merge = None if props is None else props.find(_W + "vMerge")
            continued = merge is not None and merge.get(_W + "val", "continue") == "continue"
            lines = [] if continued else list(_blocks(tc, walk))
            cell_lines.extend(lines)
            cell: list[Span] = []
            for spans in (spans for line in lines for spans in line):
                if cell and spans:
                    cell.append((" ", None))
                cell.extend(spans)
            cells.append(cell)
            cells.extend([] for _ in range(span - 1))
        rows.append(cells)
    walk.table_style = outer
    if all(sum(1 for c in row if c) <= 1 for row in rows):
        yield from cell_lines  # a frame around text, not a grid: its lines as they are
    else:
        yield from rows


def _children(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with ``tag``, also inside content controls and custom XML around them."""
    for child in parent:
        if child.tag == _W + tag:
            yield child
        elif child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent")
            yield from _children(content if content is not None else child, tag)


def _int(element: etree._Element | None, default: int) -> int:
    """A ``w:val`` count (``gridSpan``, ``gridBefore``), never below 0."""
    try:
        return max(0, int(element.get(_W + "val"))) if element is not None else default
    except (TypeError, ValueError):
        return default


# --- Excel ------------------------------------------------------------------------------


def _xlsx_pages(path: Path, info: OfficeInfo) -> list[Page]:
    """Each sheet a page: its rows as lines (row N is line N), columns empty in every row left
    out. Formulas give their cached values; hidden sheets are named, not read."""
    with path.open("rb") as fh:  # a file object: openpyxl judges a path by its extension
        workbook = openpyxl.load_workbook(fh, data_only=True, rich_text=True)
    pages: list[Page] = []
    try:
        for sheet in workbook.worksheets:
            info.sheets.append(sheet.title)
            if sheet.sheet_state != "visible":
                info.hidden_sheets.append(sheet.title)
                pages.append((f"hidden sheet {sheet.title!r} ({sheet.sheet_state}): not read",
                              []))
                continue
            pages.append(_sheet_rows(sheet))
    finally:
        workbook.close()
    return pages


def _sheet_rows(sheet) -> Page:
    rows = min(sheet.max_row or 0, MAX_SHEET_ROWS)
    columns = min(sheet.max_column or 0, MAX_SHEET_COLUMNS)
    grid: list[Cells] = []
    used: set[int] = set()
    for row in sheet.iter_rows(min_row=1, max_row=rows, max_col=columns):
        cells = [_cell_spans(cell) for cell in row]
        used.update(i for i, spans in enumerate(cells) if any(t.strip() for t, _ in spans))
        grid.append(cells)
    keep = sorted(used)
    lines: list[Cells] = []
    for cells in grid:
        kept = [cells[i] for i in keep]
        while kept and not any(t.strip() for t, _ in kept[-1]):
            kept.pop()
        lines.append(kept)
    notes = []
    hidden_rows = sum(1 for number, dimension in sheet.row_dimensions.items()
                      if dimension.hidden and number <= len(lines) and lines[number - 1])
    hidden_columns = {i for dimension in sheet.column_dimensions.values() if dimension.hidden
                      for i in range(dimension.min - 1, dimension.max) if i in used}
    if hidden_rows or hidden_columns:  # read with the rest (totals count them), but said
        notes.append(f"{hidden_rows} hidden rows and {len(hidden_columns)} hidden columns "
                     "with text, read")
    if (sheet.max_row or 0) > rows or (sheet.max_column or 0) > columns:
        notes.append(f"only its first {rows} rows and {columns} columns read")
    return f"sheet {sheet.title!r}" + "".join(f" ({note})" for note in notes), lines


def _cell_spans(cell) -> list[Span]:
    value = cell.value
    if value is None:
        return []
    font = cell.font.name if cell.font is not None else None
    if isinstance(value, CellRichText):
        return [(part, font) if isinstance(part, str) else
                (part.text, part.font.rFont if part.font is not None and part.font.rFont
                 else font) for part in value]
    if isinstance(value, str):
        return [(value.replace("\n", " "), font)]
    return [(_value_text(value, cell.number_format or "General"), None)]


def _value_text(value: object, number_format: str) -> str:
    """A cell's number as a Vietnamese report prints it: decimal comma, no thousands marks
    (so that ``normalize.numbers`` reads it back exactly), a percentage format times 100 with
    ``%``, decimals as the format asks (``0.00``) or as many as the number has.

    >>> _value_text(0.293, "0.0%"), _value_text(1234.5, "General"), _value_text(1.5, "0.000")
    ('29,3%', '1234,5', '1,500')
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.strftime("%d/%m/%Y" if isinstance(value, datetime.date) else "%H:%M")
    if not isinstance(value, (int, float)):
        return str(value)
    code = number_format.split(";")[0]
    percent = "%" in code
    number = value * 100 if percent else value
    places = re.search(r"\.([0#]+)", code)
    if places:  # "0.00": two decimals; "0.0#": one or two
        most, least = len(places.group(1)), len(places.group(1).rstrip("#"))
        whole, _, fraction = f"{number:.{most}f}".partition(".")
        fraction = fraction.rstrip("0").ljust(least, "0")
        out = f"{whole}.{fraction}" if fraction else whole
    elif re.search(r"[0#]", code):  # an integer format (0, #,##0): printed rounded
        out = str(round(number))
    elif float(number).is_integer():
        out = str(int(number))
    else:  # General: the digits Excel shows (ten significant), never an exponent
        out = f"{number:.10g}"
        if "e" in out:
            out = f"{number:.12f}".rstrip("0").rstrip(".")
    return out.replace(".", ",") + ("%" if percent else "")


# --- PowerPoint -------------------------------------------------------------------------


_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _pptx_pages(presentation) -> list[Page]:
    """Each slide a page; its shapes top to bottom, left to right; a table's rows as lines."""
    pages: list[Page] = []
    for number, slide in enumerate(presentation.slides, start=1):
        lines: list[Cells] = []
        for shape in _reading_order(slide.shapes):
            lines.extend(_shape_lines(shape))
        pages.append((f"slide {number}", lines))
    return pages


def _reading_order(shapes) -> list:
    return sorted(shapes, key=lambda s: ((s.top or 0) // 91440, s.left or 0))  # 0.1-inch rows


def _shape_lines(shape) -> Iterator[Cells]:
    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for child in _reading_order(shape.shapes):
            yield from _shape_lines(child)
        return
    table = shape.element.find(f".//{_A}tbl")
    if table is not None:
        for row in table.iter(f"{_A}tr"):
            yield [[span for p in cell.iter(f"{_A}p") for span in [*_slide_spans(p), (" ", None)]]
                   for cell in row.findall(f"{_A}tc")]
        return
    for paragraph in shape.element.iter(f"{_A}p"):
        yield [_slide_spans(paragraph)]


def _slide_spans(paragraph: etree._Element) -> list[Span]:
    """A DrawingML paragraph's runs (and fields) with their ``latin`` fonts, in order."""
    spans: list[Span] = []
    for element in paragraph:
        tag = etree.QName(element).localname
        if tag in ("r", "fld"):
            latin = element.find(f"{_A}rPr/{_A}latin")
            spans.append((element.findtext(f"{_A}t") or "",
                          latin.get("typeface") if latin is not None else None))
        elif tag == "br":
            spans.append((" ", None))
    return spans
