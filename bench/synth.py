"""Synthetic filled appendix tables: values → born-digital PDF → degraded scan → OCR like seed 001.

Seed 001 is a scan of a Word table OCR'd with Tesseract's English model: diacritics stripped or
garbled, cells vertically centred so a wrapped note or unit spreads above and below the row's
description line and the OCR interleaves them, labels misread. This module makes unseen documents
of that kind, with their ground truth, for held-out measurement (``bench/generalize.py``) and for
tests that need a filled table PDF or a degraded scan.

Pure steps, one seed each::

    rows = fill_catalog(get_catalog("tn2025.pl1"), random.Random(7))
    render_pdf(rows, catalog, "doc.pdf", rng=random.Random(7))
    text = ocr_like_001("doc.pdf", random.Random(7))
    truth = expected_records(rows)

CLI: ``python -m bench.synth --catalog tn2025.pl1 --seed 7 --out DIR`` writes
``DIR/<name>.pdf``, ``DIR/<name>.ocr.txt`` and ``DIR/<name>.expected.jsonl``.

Per-year appendices (catalogs with several periods, seed 003's ``dc.pl1`` … ``dc.pl8``) are
filled per period (``fill_periods``) and printed as the outline's template prints them: STT |
Chỉ tiêu | one column a period under "Các cơ quan, UBND các xã, thị trấn" (``Năm 2021`` …
``Năm 2025 (tính đến 31/3)``); their truth is one record per indicator and period
(``expected_period_records``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pymupdf
import pytesseract
from PIL import Image

from mapping.catalog import Catalog, get_catalog
from normalize.encodings import encode_legacy

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {  # family → (regular, bold, italic)
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf"),
    "sans-condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf",
                       "DejaVuSansCondensed-Oblique.ttf"),
    "serif-condensed": ("DejaVuSerifCondensed.ttf", "DejaVuSerifCondensed-Bold.ttf",
                        "DejaVuSerifCondensed-Italic.ttf"),
}
GENERATOR_VERSION = 3  # bump when output changes, so caches keyed by seed are not reused

EMPTY_SHARE = 0.30
NOTE_SHARE = 0.15

NOTES_PLAIN = (
    "Không có đơn vị trực thuộc",
    "Không có đơn vị sự nghiệp",
    "Không phát sinh",
    "Toàn bộ TTHC của đơn vị không thu phí",
    "Đã hoàn thành theo kế hoạch",
    "Chưa triển khai do chưa có hướng dẫn của cấp trên",
    "Số liệu tính đến ngày 31/3/2025",
    "Số liệu lũy kế từ năm 2021",
    "01 hồ sơ chậm nhưng đã có văn bản xin lỗi",
    "Quyết định phê duyệt số 87/QĐ-SNV ngày 6/3/2024",
    "Đang chờ UBND tỉnh phê duyệt",
    "Thực hiện theo Kế hoạch số 62/KH-UBND",
)
NOTES_COUNTED = (  # {n}: a small count, {a}/{b}: a part of a whole
    "{n:02d} cuộc",
    "{a}/{b} TTHC",
    "{n:02d} TTHC lĩnh vực Đất đai",
    "Gồm {n} hồ sơ tiếp nhận từ Trung tâm Phục vụ hành chính công",
    "Trong đó {n} TTHC chưa phát sinh hồ sơ trong năm 2024",
)
ORGANISATIONS = {
    "tn2025.pl1": ("Sở Nội vụ", "Sở Tư pháp", "Sở Y tế", "Sở Giáo dục và Đào tạo",
                   "Sở Tài chính", "Sở Công Thương", "Sở Xây dựng",
                   "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ",
                   "Sở Nông nghiệp và Môi trường"),
    "tn2025.pl2": ("UBND huyện Phú Lương", "UBND huyện Đại Từ", "UBND huyện Võ Nhai",
                   "UBND thành phố Sông Công", "UBND huyện Đồng Hỷ", "UBND huyện Phú Bình",
                   "UBND huyện Định Hóa", "UBND thành phố Phổ Yên"),
}
PROSE = (
    "Thực hiện Kế hoạch số 73/KH-UBND ngày 16/3/2025 của UBND tỉnh về tổng kết Chương trình "
    "tổng thể cải cách hành chính nhà nước giai đoạn 2021 - 2025, {org} báo cáo kết quả như sau:",
    "Công tác cải cách hành chính được cấp ủy, lãnh đạo đơn vị quan tâm chỉ đạo thường xuyên; "
    "kế hoạch cải cách hành chính hằng năm được ban hành kịp thời, bám sát chỉ đạo của tỉnh.",
    "Việc kiểm soát thủ tục hành chính được thực hiện nghiêm túc; các thủ tục hành chính được "
    "công khai đầy đủ trên Cổng dịch vụ công và tại nơi tiếp nhận hồ sơ.",
    "Công tác tuyên truyền cải cách hành chính được đổi mới cả về nội dung và hình thức, góp "
    "phần nâng cao nhận thức của cán bộ, công chức, viên chức và người dân.",
    "Việc ứng dụng công nghệ thông tin, xây dựng chính quyền điện tử được đẩy mạnh; tỷ lệ văn bản "
    "điện tử trao đổi giữa các cơ quan hành chính ngày càng tăng.",
    "Bên cạnh kết quả đạt được, công tác cải cách hành chính vẫn còn một số hạn chế: một số chỉ "
    "tiêu chưa đạt kế hoạch, tỷ lệ hồ sơ trực tuyến toàn trình còn thấp.",
    "Kết quả thực hiện các chỉ tiêu cụ thể tại Phụ lục kèm theo báo cáo này.",
)
CODE_KINDS = ("code", "target")


@dataclass(frozen=True)
class FilledRow:
    """One table row as printed: the catalog entry's identity and wording plus what was filled."""

    indicator_id: str
    row: str  # catalog row key, "1.1.a" for a "Trong đó" sub-row
    label: str | None  # STT as printed, None for sub-rows
    description: str
    unit: str | None
    kind: str
    value: float | int | None
    value_raw: str | None
    note: str | None
    # per-year tables: (period, value, printed value) for each of the catalog's periods
    periods: tuple[tuple[str, float | int | None, str | None], ...] = ()

    @property
    def sub_row(self) -> bool:
        return self.label is None and self.row[-1].isalpha()

    @property
    def parent_row(self) -> str:
        return self.row.rsplit(".", 1)[0]


# --- values -----------------------------------------------------------------------------------


def _random_count(rng: random.Random) -> int:
    band = rng.random()
    if band < 0.4:
        return rng.randint(0, 10)
    if band < 0.8:
        return rng.randint(10, 100)
    return rng.randint(100, 500)


def _random_rate(rng: random.Random) -> float | int:
    band = rng.random()
    if band < 0.4:
        return 100
    if band < 0.7:
        return rng.randint(40, 100)
    return round(rng.uniform(0, 100), 1)


def _random_amount(rng: random.Random) -> float | int:
    if rng.random() < 0.5:
        return rng.randint(1_000, 60_000)  # printed 16.807
    return round(rng.uniform(100, 60_000), 2)  # printed 17759,72


def _true_values(catalog: Catalog, rng: random.Random) -> dict[str, float | int]:
    """A value for every non-section entry, satisfying the catalog's arithmetic."""
    values: dict[str, float | int] = {}
    denominators = {e.denominator for e in catalog.entries if e.denominator}
    for entry in catalog.entries:
        if entry.kind == "count":
            values[entry.id] = max(1, _random_count(rng)) if entry.id in denominators \
                else _random_count(rng)
        elif entry.kind == "amount":
            values[entry.id] = _random_amount(rng)
        elif entry.kind == "rate":
            values[entry.id] = _random_rate(rng)
        elif entry.kind == "code" and entry.codebook:
            values[entry.id] = int(rng.choice(sorted(entry.codebook)))
    for constraint in catalog.constraints:
        if constraint.kind != "parts_le_total" or constraint.total not in values:
            continue
        left = values[constraint.total]
        for part in constraint.parts:
            values[part] = rng.randint(0, int(left))
            left -= values[part]
    for entry in catalog.entries:
        if not (entry.numerator and entry.denominator):
            continue
        den, num = values[entry.denominator], values[entry.numerator]
        if not den:  # a denominator that is also a part may be 0: no rate to print
            values.pop(entry.id, None)
            continue
        if num > den:  # lower the numerator: never breaks a parts ≤ total it is part of
            share = rng.choice((1.0, 1.0, rng.uniform(0.5, 1.0)))
            num = round(den * share, 2) if isinstance(den, float) else int(den * share)
            values[entry.numerator] = num
        values[entry.id] = _round_rate(100 * num / den, rng)
    return values


def _round_rate(rate: float, rng: random.Random) -> float | int:
    rounded = round(rate, rng.choice((0, 1)))
    return int(rounded) if float(rounded).is_integer() else rounded


def _group_thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def format_vn(value: float | int, kind: str, rng: random.Random) -> str:
    """Print a value the way Vietnamese reports do: ``16.807``, ``98,37``, ``03``, ``80%``."""
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:.2f}" if kind == "amount" else f"{value:.1f}"
        text = text.replace(".", ",")
    else:
        number = int(value)
        text = _group_thousands(number) if number >= 1000 else str(number)
        if kind == "count" and number < 10 and rng.random() < 0.3:
            text = f"{number:02d}"
    if kind == "rate" and rng.random() < 0.25:
        text += "%"
    return text


def _note(rng: random.Random, empty: bool) -> str:
    if empty and rng.random() < 0.5:
        return rng.choice(("Không phát sinh", "Không có đơn vị trực thuộc",
                           "Không có đơn vị sự nghiệp"))
    if rng.random() < 0.6:
        return rng.choice(NOTES_PLAIN)
    b = rng.randint(5, 60)
    return rng.choice(NOTES_COUNTED).format(n=rng.randint(1, 12), a=rng.randint(0, b), b=b)


def fill_catalog(catalog: Catalog, rng: random.Random) -> list[FilledRow]:
    """Random but consistent values for every row of a catalog, in template order.

    Counts are small ints, a denominator is at least its numerator, a rate that has both is
    their ratio (rounded to 0 or 1 decimal), parts never exceed their total, a code is a key of
    the row's code book. About 30% of value rows are left empty and 15% of rows carry a note.
    """
    values = _true_values(catalog, rng)
    rows: list[FilledRow] = []
    for entry in catalog.entries:
        value = values.get(entry.id)
        if value is not None and rng.random() < EMPTY_SHARE:
            value = None
        value_raw = format_vn(value, entry.kind, rng) if value is not None else None
        note = None
        if entry.kind != "section" and rng.random() < NOTE_SHARE:
            note = _note(rng, value is None)
        rows.append(FilledRow(
            indicator_id=entry.id, row=entry.row, label=entry.label,
            description=entry.description, unit=entry.unit, kind=entry.kind,
            value=value, value_raw=value_raw, note=note))
    return rows


PERIOD_EMPTY_ROW_SHARE = 0.12  # per-year rows left wholly empty
PERIOD_EMPTY_CELL_SHARE = 0.15  # and single period cells left empty in the others


def fill_periods(catalog: Catalog, rng: random.Random) -> list[FilledRow]:
    """A per-year appendix filled: for each of the catalog's periods its own consistent values
    (as ``fill_catalog``: rates are their numerator over denominator, parts never exceed their
    total). About 12% of value rows are left empty in every period and 15% of the other cells
    are empty. Per-year tables have no note column."""
    periods = list(catalog.periods)
    per_period = [_true_values(catalog, rng) for _ in periods]
    rows: list[FilledRow] = []
    for entry in catalog.entries:
        blank = entry.kind != "section" and rng.random() < PERIOD_EMPTY_ROW_SHARE
        cells = []
        for period, values in zip(periods, per_period, strict=True):
            value = values.get(entry.id)
            if value is not None and (blank or rng.random() < PERIOD_EMPTY_CELL_SHARE):
                value = None
            raw = format_vn(value, entry.kind, rng) if value is not None else None
            cells.append((period, value, raw))
        rows.append(FilledRow(
            indicator_id=entry.id, row=entry.row, label=entry.label,
            description=entry.description, unit=entry.unit, kind=entry.kind, value=None,
            value_raw=None, note=None, periods=tuple(cells)))
    return rows


def expected_period_records(rows: list[FilledRow]) -> list[dict]:
    """Ground truth of a per-year table: one record per indicator and period (sections too,
    their cells empty), with ``period`` as the records give it (``2021`` … ``2025-03-31``)."""
    return [{
        "indicator_id": r.indicator_id, "period": period, "line": None,
        "row_label_raw": r.label, "unit_raw": r.unit, "value": value, "value_raw": raw,
        "note": None, "value_status": "printed" if raw is not None else "empty",
    } for r in rows for period, value, raw in r.periods]


def expected_records(rows: list[FilledRow]) -> list[dict]:
    """Ground truth in the format of ``data/samples/expected/*.records.jsonl``. ``line`` is None:
    where a row lands in the OCR text is not known."""
    return [{
        "indicator_id": r.indicator_id, "line": None, "row_label_raw": r.label,
        "unit_raw": r.unit, "value": r.value, "value_raw": r.value_raw, "note": r.note,
        "value_status": "printed" if r.value_raw is not None else "empty",
    } for r in rows]


# --- PDF --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Page geometry in points (A4 portrait) and the table's column widths."""

    page_width: float = 595.28
    page_height: float = 841.89
    left: float = 42.0
    right: float = 28.0
    top: float = 50.0
    bottom: float = 50.0
    font_size: float = 10.0
    leading: float = 1.22
    pad_x: float = 3.0
    pad_y: float = 3.0
    # about 50-55 characters a description line and 25 a note line, as in seed 001
    columns: tuple[float, ...] = (36.0, 265.0, 62.0, 46.0, 116.0)

    @property
    def line_height(self) -> float:
        return self.font_size * self.leading


@dataclass
class _Fonts:
    regular: pymupdf.Font
    bold: pymupdf.Font
    italic: pymupdf.Font
    files: tuple[str, str, str]

    @classmethod
    def load(cls, family: str) -> _Fonts:
        files = tuple(str(FONT_DIR / f) for f in FONT_FILES[family])
        return cls(*(pymupdf.Font(fontfile=f) for f in files), files=files)  # type: ignore[arg-type]


def wrap(text: str, width: float, font: pymupdf.Font, size: float) -> list[str]:
    """Greedy word wrap to ``width`` points, as a word processor does; an overlong word is cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if font.text_length(trial, fontsize=size) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        while font.text_length(word, fontsize=size) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and font.text_length(word[:cut], fontsize=size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


@dataclass
class _Cell:
    lines: list[str]
    align: str  # "left" or "center"
    bold: bool = False


@dataclass
class _Block:
    """Rows that must stay on one page: one row, or a "Trong đó" group with its merged STT cell."""

    rows: list[list[_Cell]]  # cells of columns 1.. (STT is separate)
    heights: list[float]
    stt: _Cell
    group: str | None = None  # parent row of a "Trong đó" group


class _Writer:
    """Places text and rules on pages of one document, with the embedded fonts."""

    def __init__(self, doc: pymupdf.Document, fonts: _Fonts, layout: Layout,
                 text_encoding: str | None = None, ruled: bool = True) -> None:
        self.doc, self.fonts, self.layout = doc, fonts, layout
        self.text_encoding = text_encoding
        self.ruled = ruled  # False: cell borders are not drawn
        self.page: pymupdf.Page | None = None
        self.y = layout.top
        self.pages = 0

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=self.layout.page_width,
                                      height=self.layout.page_height)
        for name, file in zip(("F0", "F1", "F2"), self.fonts.files, strict=True):
            self.page.insert_font(fontname=name, fontfile=file)
        self.pages += 1
        self.y = self.layout.top
        if self.pages > 1:  # page number, top centre, as Word prints it
            self.text_line(str(self.pages), self.layout.left, self.content_width,
                           self.layout.top - 25, "center", size=9)

    @property
    def content_width(self) -> float:
        return self.layout.page_width - self.layout.left - self.layout.right

    def font(self, bold: bool = False, italic: bool = False) -> tuple[str, pymupdf.Font]:
        if bold:
            return "F1", self.fonts.bold
        if italic:
            return "F2", self.fonts.italic
        return "F0", self.fonts.regular

    def text_line(self, text: str, x: float, width: float, top: float, align: str,
                  size: float | None = None, bold: bool = False, italic: bool = False) -> None:
        assert self.page is not None
        size = size or self.layout.font_size
        name, font = self.font(bold, italic)
        if self.text_encoding:  # a legacy font's text layer: the look-alike characters,
            wide = font.text_length(text, fontsize=size)  # as wide as the letters they stand
            text = encode_legacy(text, self.text_encoding)  # for (a .VnTime glyph is)
            drawn = font.text_length(text, fontsize=size)
            if drawn > wide > 0:
                size *= wide / drawn
        if align == "center":
            x += (width - font.text_length(text, fontsize=size)) / 2
        self.page.insert_text((x, top + font.ascender * size), text, fontname=name,
                              fontsize=size)

    def paragraph(self, text: str, size: float, align: str = "left", bold: bool = False,
                  italic: bool = False, indent: float = 0.0, after: float = 4.0) -> None:
        _, font = self.font(bold, italic)
        for i, line in enumerate(wrap(text, self.content_width - indent, font, size)):
            if self.y + size * 1.3 > self.layout.page_height - self.layout.bottom:
                self.new_page()
            self.text_line(line, self.layout.left + (indent if i == 0 else 0),
                           self.content_width, self.y, align, size, bold, italic)
            self.y += size * 1.3
        self.y += after

    def cell(self, cell: _Cell, x: float, width: float, top: float, height: float) -> None:
        """A cell's lines, vertically centred in its box (Word's "center" cell alignment)."""
        lh = self.layout.line_height
        first = top + (height - len(cell.lines) * lh) / 2 + (lh - self.layout.font_size) / 2
        for i, line in enumerate(cell.lines):
            self.text_line(line, x + self.layout.pad_x, width - 2 * self.layout.pad_x,
                           first + i * lh, cell.align, bold=cell.bold)

    def rules(self, rects: list[pymupdf.Rect]) -> None:
        assert self.page is not None
        if not self.ruled:
            return
        shape = self.page.new_shape()
        for rect in rects:
            shape.draw_rect(rect)
        shape.finish(width=0.6, color=(0, 0, 0))
        shape.commit()


def _column_x(layout: Layout) -> list[float]:
    xs = [layout.left]
    for width in layout.columns:
        xs.append(xs[-1] + width)
    return xs


def _row_cells(row: FilledRow, layout: Layout, fonts: _Fonts,
               per_year: bool = False) -> list[_Cell]:
    size = layout.font_size
    bold = row.kind == "section" and "." not in row.row
    font = fonts.bold if bold else fonts.regular
    widths = [w - 2 * layout.pad_x for w in layout.columns]
    if per_year:
        texts = (row.description, *(raw or "" for _, _, raw in row.periods))
        aligns = ("left", *("center",) * len(row.periods))
    else:
        texts = (row.description, row.unit or "", row.value_raw or "", row.note or "")
        aligns = ("left", "center", "center", "left")
    return [_Cell(wrap(text, widths[i + 1], font if i == 0 else fonts.regular, size), align,
                  bold and i == 0) for i, (text, align) in enumerate(zip(texts, aligns,
                                                                           strict=True))]


def _blocks(rows: list[FilledRow], layout: Layout, fonts: _Fonts,
            per_year: bool = False) -> list[_Block]:
    stt_width = layout.columns[0] - 2 * layout.pad_x
    blocks: list[_Block] = []
    for row in rows:
        cells = _row_cells(row, layout, fonts, per_year)
        height = max(1, *(len(c.lines) for c in cells)) * layout.line_height + 2 * layout.pad_y
        if row.sub_row and blocks and blocks[-1].group == row.parent_row:
            blocks[-1].rows.append(cells)
            blocks[-1].heights.append(height)
            continue
        if row.sub_row:
            stt = _Cell(wrap("Trong đó", stt_width, fonts.regular, layout.font_size), "center")
        else:
            stt = _Cell([row.label or ""], "center", row.kind == "section" and "." not in row.row)
        blocks.append(_Block(rows=[cells], heights=[height], stt=stt,
                             group=row.parent_row if row.sub_row else None))
    return blocks


def _header(writer: _Writer, xs: list[float]) -> None:
    """The two header rows: STT | Các chỉ tiêu | Kết quả (Đơn vị tính, Số liệu) | Ghi chú."""
    layout = writer.layout
    h = layout.line_height * 2 + 2 * layout.pad_y
    top = writer.y
    _, bold = writer.font(bold=True)
    cells = [(0, 1, 0, 2, "STT"), (1, 2, 0, 2, "Các chỉ tiêu"), (2, 4, 0, 1, "Kết quả"),
             (4, 5, 0, 2, "Ghi chú"), (2, 3, 1, 2, "Đơn vị tính"), (3, 4, 1, 2, "Số liệu")]
    rects = []
    for start, end, row0, row1, text in cells:  # columns start..end, header rows row0..row1
        width, y0, y1 = xs[end] - xs[start], top + row0 * h, top + row1 * h
        rects.append(pymupdf.Rect(xs[start], y0, xs[end], y1))
        lines = wrap(text, width - 2 * layout.pad_x, bold, layout.font_size)
        writer.cell(_Cell(lines, "center", True), xs[start], width, y0, y1 - y0)
    writer.rules(rects)
    writer.y = top + 2 * h


GROUP_HEADER = "Các cơ quan, UBND các xã, thị trấn"  # over the period columns (seed 003)
DESCRIPTION_HEADERS = {"dc.pl2": "Nhiệm vụ/tiêu chí", "dc.pl4": "Chỉ tiêu thống kê"}


def period_header(period: str) -> str:
    """A period as the outline's header prints it: ``Năm 2021``, ``Năm 2025 (tính đến
    31/3)``."""
    match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", period)
    if match:
        year, month, day = match.groups()
        return f"Năm {year} (tính đến {int(day)}/{int(month)})"
    return f"Năm {period}"


def period_layout(periods: int, layout: Layout | None = None) -> Layout:
    """Columns of a per-year table: STT, the description, then one column a period, filling
    the page's width."""
    base = layout or Layout()
    width = base.page_width - base.left - base.right
    stt, each = 36.0, (48.0 if periods >= 6 else 52.0)
    return Layout(page_width=base.page_width, page_height=base.page_height, left=base.left,
                  right=base.right, top=base.top, bottom=base.bottom, font_size=base.font_size,
                  leading=base.leading, pad_x=base.pad_x, pad_y=base.pad_y,
                  columns=(stt, round(width - stt - each * periods, 2), *(each,) * periods))


def _period_header(writer: _Writer, xs: list[float], catalog: Catalog) -> None:
    """The per-year header as seed 003 prints it: STT | Chỉ tiêu | "Các cơ quan, UBND các xã,
    thị trấn" over the period columns, and under it Năm 2021 | … | Năm 2025 (tính đến 31/3)."""
    layout = writer.layout
    _, bold = writer.font(bold=True)
    n = len(catalog.periods)

    def lines(text: str, start: int, end: int) -> list[str]:
        return wrap(text, xs[end] - xs[start] - 2 * layout.pad_x, bold, layout.font_size)

    group = lines(GROUP_HEADER, 2, 2 + n)
    heads = [lines(period_header(p), 2 + i, 3 + i) for i, p in enumerate(catalog.periods)]
    h1 = len(group) * layout.line_height + 2 * layout.pad_y
    h2 = max(len(h) for h in heads) * layout.line_height + 2 * layout.pad_y
    top = writer.y
    cells = [(0, 1, top, top + h1 + h2, lines("STT", 0, 1)),
             (1, 2, top, top + h1 + h2,
              lines(DESCRIPTION_HEADERS.get(catalog.id, "Chỉ tiêu"), 1, 2)),
             (2, 2 + n, top, top + h1, group)]
    cells += [(2 + i, 3 + i, top + h1, top + h1 + h2, head) for i, head in enumerate(heads)]
    rects = []
    for start, end, y0, y1, text_lines in cells:
        rects.append(pymupdf.Rect(xs[start], y0, xs[end], y1))
        writer.cell(_Cell(text_lines, "center", True), xs[start], xs[end] - xs[start], y0,
                    y1 - y0)
    writer.rules(rects)
    writer.y = top + h1 + h2


def _appendix_heading(catalog: Catalog) -> tuple[str, str]:
    """("PHỤ LỤC SỐ I", rest of the title) from a catalog's title."""
    title = catalog.title.lstrip("# ").strip()
    match = re.match(r"(PHỤ LỤC(?: SỐ)? [IVX]+)\s*(.*)", title)
    return (match.group(1), match.group(2)) if match else ("PHỤ LỤC", title)


def _prose(writer: _Writer, organisation: str, rng: random.Random) -> None:
    left_width = writer.content_width * 0.42
    top = writer.y
    for i, line in enumerate(("UBND TỈNH THÁI NGUYÊN", organisation.upper())):
        writer.text_line(line, writer.layout.left, left_width, top + i * 14, "center", 10.5,
                         bold=i == 1)
    for i, line in enumerate(("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                              "Độc lập - Tự do - Hạnh phúc")):
        writer.text_line(line, writer.layout.left + left_width, writer.content_width -
                         left_width, top + i * 14, "center", 10.5, bold=True)
    number = rng.randint(10, 499)
    writer.text_line(f"Số: {number}/BC-UBND", writer.layout.left, left_width, top + 36,
                     "center", 10.5)
    writer.text_line(f"Thái Nguyên, ngày {rng.randint(1, 28)} tháng {rng.randint(3, 5)} năm "
                     "2025", writer.layout.left + left_width, writer.content_width - left_width,
                     top + 36, "center", 10.5, italic=True)
    writer.y = top + 70
    writer.paragraph("BÁO CÁO", 12, "center", bold=True, after=2)
    writer.paragraph("Kết quả thực hiện Chương trình tổng thể cải cách hành chính nhà nước "
                     "giai đoạn 2021 - 2025", 11, "center", bold=True, after=12)
    sentences = [PROSE[0]] + rng.sample(PROSE[1:-1], k=rng.randint(3, len(PROSE) - 2)) + \
        [PROSE[-1]]
    for sentence in sentences:
        writer.paragraph(sentence.format(org=organisation), 11, indent=28, after=5)
    writer.y += 16
    writer.text_line("GIÁM ĐỐC" if organisation.startswith("Sở") else "CHỦ TỊCH",
                     writer.layout.left + left_width, writer.content_width - left_width,
                     writer.y, "center", 11, bold=True)


def render_pdf(rows: list[FilledRow], catalog: Catalog, path: str | Path, *,
               title: str | None = None, rng: random.Random | None = None,
               organisation: str | None = None, font: str = "sans", prose: bool = True,
               layout: Layout | None = None, repeat_header: bool = True,
               text_encoding: str | None = None, ruled: bool = True) -> int:
    """Write a born-digital A4 PDF: a short report (``prose``), then on a new page the heading
    "PHỤ LỤC SỐ I", the ``title`` and a ruled table STT | Các chỉ tiêu | Đơn vị tính | Số liệu |
    Ghi chú whose cells wrap and are vertically centred; the header repeats on each page (unless
    not ``repeat_header``) and a "Trong đó" group shares one merged STT cell. Rows of a per-year
    catalog (``fill_periods``) print as seed 003's appendices: heading "Phụ lục 1", columns
    STT | Chỉ tiêu | Năm 2021 … Năm 2025 (tính đến 31/3). ``text_encoding`` (e.g.
    ``"tcvn3-lookalike"``) writes every string as a legacy-font document's text layer holds it
    (``normalize.encodings.encode_legacy``): it looks wrong and must be repaired on reading.
    ``ruled=False`` draws no cell borders (a borderless Word table): the same layout, and no
    grid to find. Returns the number of pages."""
    rng = rng or random.Random(0)
    per_year = len(catalog.periods) > 1
    layout = period_layout(len(catalog.periods), layout) if per_year else (layout or Layout())
    fonts = _Fonts.load(font)
    heading, default_title = _appendix_heading(catalog)
    if per_year:
        heading = f"Phụ lục {catalog.id.rsplit('pl', 1)[-1]}" if ".pl" in catalog.id \
            else "Phụ lục"
    organisation = organisation or rng.choice(ORGANISATIONS.get(catalog.id, ("Sở Nội vụ",)))
    doc = pymupdf.open()
    writer = _Writer(doc, fonts, layout, text_encoding, ruled)
    writer.new_page()
    if prose:
        _prose(writer, organisation, rng)
        writer.new_page()
    writer.paragraph(heading, 12, "center", bold=True, after=2)
    writer.paragraph(title or default_title, 11, "center", bold=True, after=3)
    writer.paragraph(f"(Kèm theo Báo cáo số {rng.randint(10, 499)}/BC ngày "
                     f"{rng.randint(1, 28)}/{rng.randint(3, 5)}/2025 của {organisation})", 10,
                     "center", italic=True, after=8)
    xs = _column_x(layout)

    def header() -> None:
        if per_year:
            _period_header(writer, xs, catalog)
        else:
            _header(writer, xs)

    header()
    for block in _blocks(rows, layout, fonts, per_year):
        total = sum(block.heights)
        if writer.y + total > layout.page_height - layout.bottom:
            writer.new_page()
            if repeat_header:
                header()
        top = writer.y
        rects = [pymupdf.Rect(xs[0], top, xs[1], top + total)]
        writer.cell(block.stt, xs[0], layout.columns[0], top, total)
        for cells, height in zip(block.rows, block.heights, strict=True):
            for col, cell in enumerate(cells, start=1):
                rects.append(pymupdf.Rect(xs[col], writer.y, xs[col + 1], writer.y + height))
                writer.cell(cell, xs[col], layout.columns[col], writer.y, height)
            writer.y += height
        writer.rules(rects)
    pages = doc.page_count
    doc.subset_fonts()  # 1.2 MB of embedded DejaVu → about 0.2 MB
    doc.save(str(path), garbage=3, deflate=True)
    doc.close()
    return pages


# --- scan and OCR -----------------------------------------------------------------------------


def degrade(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """Make a clean grey page image (uint8, white paper) look scanned: the softness of scanner
    optics (down- and up-sampling), a tilt of up to ±1°, slight blur, grey paper, sensor noise,
    specks, and JPEG re-encoding."""
    noise_rng = np.random.default_rng(rng.getrandbits(32))
    h, w = image.shape[:2]
    if rng.random() < 0.7:
        scale = rng.uniform(0.7, 0.95)
        small = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    angle = rng.uniform(-1.0, 1.0)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.8))
    ink, paper = rng.uniform(0, 40), rng.uniform(215, 250)
    work = ink + out.astype(np.float32) * (paper - ink) / 255.0
    work += noise_rng.normal(0, rng.uniform(3, 10), size=work.shape)
    specks = noise_rng.random(work.shape) < rng.uniform(0, 2e-4)
    work[specks] = ink
    out = np.clip(work, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(45, 85)])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)


def render_page(page: pymupdf.Page, dpi: int) -> np.ndarray:
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy()


def ocr_image(image: np.ndarray, dpi: int, lang: str = "eng", psm: int = 6) -> str:
    """Tesseract on one page image, one thread (the caller decides on parallelism)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    text = pytesseract.image_to_string(Image.fromarray(image), lang=lang,
                                       config=f"--psm {psm} --dpi {dpi}")
    return text.replace("\f", "").rstrip()


def ocr_like_001(pdf_path: str | Path, rng: random.Random, *, dpi: int | None = None,
                 psm: int = 4) -> str:
    """Scan and OCR a PDF the way seed 001 was made: pages rendered at 200–300 dpi, degraded,
    read by Tesseract's English model (no Vietnamese), pages joined by newlines (no form feeds).

    ``--psm 4`` (one column of text lines of varying size) puts the cells of a row on one line,
    so vertically centred cells interleave and rules show as ``|``, as in 001. ``--psm 6`` reads
    the ruled grid far worse than 001 (rows lost to ``[___|``-like noise); ``--psm 3`` can split
    the table into column blocks, which 001 never shows."""
    dpi = dpi or rng.choice((200, 220, 250, 300))
    pages = []
    with pymupdf.open(str(pdf_path)) as doc:
        for page in doc:
            pages.append(ocr_image(degrade(render_page(page, dpi), rng), dpi, psm=psm))
    return "\n".join(pages) + "\n"


# --- one document -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthDocument:
    name: str
    pdf: Path
    ocr: Path
    expected: Path


def document_name(catalog_id: str, seed: int, repeat_header: bool = True) -> str:
    return f"{catalog_id}-s{seed}" + ("" if repeat_header else "-nh")


def generate(catalog_id: str, seed: int, out_dir: str | Path, *, ocr: bool = True,
             reuse: bool = True, repeat_header: bool = True) -> SynthDocument:
    """Fill, render and (with ``ocr``) scan + OCR one document; everything follows from
    ``seed``. Files that exist are reused when ``reuse`` (the cache of ``bench.generalize``).
    A per-year catalog (``dc.pl1`` …) is filled per period and its truth has one record per
    indicator and period. Without ``repeat_header`` the table's header is printed on its first
    page only (the name ends ``-nh``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = document_name(catalog_id, seed, repeat_header)
    doc = SynthDocument(name, out / f"{name}.pdf", out / f"{name}.ocr.txt",
                        out / f"{name}.expected.jsonl")
    if reuse and doc.pdf.exists() and doc.expected.exists() and (doc.ocr.exists() or not ocr):
        return doc
    catalog = get_catalog(catalog_id)
    rng = random.Random(seed)
    per_year = len(catalog.periods) > 1
    rows = fill_periods(catalog, rng) if per_year else fill_catalog(catalog, rng)
    render_pdf(rows, catalog, doc.pdf, rng=rng, font=rng.choice(tuple(FONT_FILES)),
               repeat_header=repeat_header)
    truth = expected_period_records(rows) if per_year else expected_records(rows)
    doc.expected.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                    for r in truth), encoding="utf-8")
    if ocr:
        text = ocr_like_001(doc.pdf, random.Random(seed * 7919 + 1))
        tmp = doc.ocr.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(doc.ocr)
    return doc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", default="tn2025.pl1")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-ocr", action="store_true", help="PDF and truth only")
    parser.add_argument("--no-repeat-header", action="store_true",
                        help="print the table's header on its first page only")
    args = parser.parse_args(argv)
    doc = generate(args.catalog, args.seed, args.out, ocr=not args.no_ocr, reuse=False,
                   repeat_header=not args.no_repeat_header)
    for path in (doc.pdf, doc.ocr, doc.expected):
        if path.exists():
            print(path)


if __name__ == "__main__":
    main()

