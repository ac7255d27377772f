"""Scanned pages: clean the image, find the ruled table's grid, and put OCR words into cells.

Pure functions over numpy images, in pdfplumber's style (``image_to_masks → masks_to_grid →
words_to_cells``). Tesseract reads the whole page once (ruling lines removed, so it does not
read them as ``|`` or ``_``); each word then lands in the grid cell holding its centre, so a
row's cells stay together however the OCR ordered its lines.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

import cv2
import numpy as np

from extract.ocr import OcrWord, words_to_lines
from extract.types import Line
from normalize.fold import fold

DEFAULT_MIN_LINE_FRACTION = 0.3  # a ruling line spans ≥ 30% of the table's width/height
DEFAULT_MERGE_PX = 6  # ruling lines closer than this (pixels) are one line
MAX_DESKEW_DEGREES = 5.0
CELL_MARGIN = 10  # pixels cut from each side of a cell: what is left of its ruling lines


@dataclass(frozen=True)
class Grid:
    xs: list[int]  # column boundaries, left to right
    ys: list[int]  # row boundaries, top to bottom

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink = 255 on black (Otsu). No blur first: it would erase one-pixel ruling lines; the
    long morphological kernels of ``line_masks`` ignore specks anyway."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def line_masks(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling lines, by morphological opening with long kernels."""
    h, w = ink.shape
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 30), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, h // 40))))
    return horizontal, vertical


def skew_angle(horizontal: np.ndarray) -> float:
    """The page's tilt in degrees, from its longest horizontal ruling lines (0 if none)."""
    lines = cv2.HoughLinesP(horizontal, 1, np.pi / 720, threshold=200,
                            minLineLength=horizontal.shape[1] // 4, maxLineGap=20)
    if lines is None:
        return 0.0
    angles = [np.degrees(np.arctan2(y2 - y1, x2 - x1)) for x1, y1, x2, y2 in lines.reshape(-1, 4)]
    angles = [a for a in angles if abs(a) <= MAX_DESKEW_DEGREES]
    return float(np.median(angles)) if angles else 0.0


def deskew(gray: np.ndarray) -> np.ndarray:
    """Rotate the page so its ruling lines are level (scans are tilted up to a degree or so)."""
    angle = skew_angle(line_masks(binarize(gray))[0])
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def _positions(profile: np.ndarray, minimum: float, merge: int) -> list[int]:
    hits = np.flatnonzero(profile >= minimum)
    groups: list[list[int]] = []
    for pos in hits:
        if groups and pos - groups[-1][-1] <= merge:
            groups[-1].append(int(pos))
        else:
            groups.append([int(pos)])
    return [int(sum(g) / len(g)) for g in groups]


def find_grid(horizontal: np.ndarray, vertical: np.ndarray,
              min_fraction: float = DEFAULT_MIN_LINE_FRACTION,
              merge: int = DEFAULT_MERGE_PX) -> Grid | None:
    """Row and column boundaries of the page's ruled table, or None when there is none."""
    cols = (vertical > 0).sum(axis=0)
    rows = (horizontal > 0).sum(axis=1)
    if cols.max(initial=0) == 0 or rows.max(initial=0) == 0:
        return None
    ys = _positions(rows, min_fraction * rows.max(), merge)
    xs = _positions(cols, min_fraction * cols.max(), merge)
    if len(xs) < 3 or len(ys) < 3:
        return None
    return Grid(xs, ys)


def clean_for_ocr(gray: np.ndarray, horizontal: np.ndarray, vertical: np.ndarray) -> np.ndarray:
    """The page with its ruling lines painted white: Tesseract reads the text, not the grid."""
    lines = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    out = gray.copy()
    out[lines > 0] = 255
    return out


def words_to_cells(words: list[OcrWord], grid: Grid, page: int, scale: float
                   ) -> tuple[list[Line], list[OcrWord]]:
    """Table rows as tab-separated lines (cell words in reading order) and the words that lie
    outside the table. A row's confidence is its weakest word's."""
    x0, y0, x1, y1 = grid.bbox
    cells: dict[tuple[int, int], list[OcrWord]] = {}
    outside: list[OcrWord] = []
    for word in words:
        cx, cy = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
        if not (x0 <= cx <= x1 and y0 <= cy <= y1):
            outside.append(word)
            continue
        cells.setdefault((bisect_right(grid.ys, cy) - 1, bisect_right(grid.xs, cx) - 1),
                         []).append(word)
    lines = []
    n_cols = len(grid.xs) - 1
    for r in range(len(grid.ys) - 1):
        row_words = [cells.get((r, c), []) for c in range(n_cols)]
        if not any(row_words):
            continue
        texts = [" ".join(w.text for w in _reading_order(ws)) for ws in row_words]
        every = [w for ws in row_words for w in ws]
        box = (grid.xs[0] * scale, grid.ys[r] * scale, grid.xs[-1] * scale,
               grid.ys[r + 1] * scale)
        cell_conf = tuple(round(min(w.confidence for w in ws), 3) if ws else None
                          for ws in row_words)
        lines.append(Line("\t".join(texts), page, 0, box,
                          round(min(w.confidence for w in every), 3), cell_conf))
    return lines, outside


def _reading_order(words: list[OcrWord]) -> list[OcrWord]:
    """Words of one cell: by text line (centres within half a word height), then left to
    right."""
    ordered = sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2)
    lines: list[list[OcrWord]] = []
    for word in ordered:
        centre = (word.bbox[1] + word.bbox[3]) / 2
        height = max(1, word.bbox[3] - word.bbox[1])
        if lines and abs(centre - (lines[-1][0].bbox[1] + lines[-1][0].bbox[3]) / 2) < height / 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [w for line in lines for w in sorted(line, key=lambda w: w.bbox[0])]


VALUE_HEADERS = ("so lieu", "nam 20", "nam 2")  # "Số liệu", "Năm 2021" … in a header cell
NUMERIC_CELL = re.compile(r"^[\W_]*\d[\d.,]*%?[\W_]*$")


def cell_texts(words: list[OcrWord], grid: Grid) -> dict[tuple[int, int], str]:
    cells: dict[tuple[int, int], list[OcrWord]] = {}
    for word in words:
        cx, cy = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
        if grid.xs[0] <= cx <= grid.xs[-1] and grid.ys[0] <= cy <= grid.ys[-1]:
            cells.setdefault((bisect_right(grid.ys, cy) - 1, bisect_right(grid.xs, cx) - 1),
                             []).append(word)
    return {k: " ".join(w.text for w in _reading_order(v)) for k, v in cells.items()}


def value_columns(words: list[OcrWord], grid: Grid) -> list[int]:
    """Columns holding numbers: headed "Số liệu" / "Năm …" in the first rows, or where most
    filled cells read as a lone number. Never the first column (STT)."""
    texts = cell_texts(words, grid)
    headed = sorted({c for (r, c), t in texts.items()
                     if r < 3 and c > 0 and any(h in fold(t) for h in VALUE_HEADERS)})
    if headed:
        return headed
    out = []
    for c in range(1, len(grid.xs) - 1):
        column = [t for (r, cc), t in texts.items() if cc == c]
        if len(column) >= 3 and sum(bool(NUMERIC_CELL.match(t)) for t in column) >= 0.5 * len(
                column):
            out.append(c)
    return out


def cell_montage(image: np.ndarray, grid: Grid, column: int, pad: int = 12
                 ) -> tuple[np.ndarray, list[tuple[int, int, int]]] | None:
    """The non-empty cells of one column stacked into one image, each trimmed to its ink and
    padded: one OCR call reads a whole value column as short lines, with no page context to
    pull digits towards words. Returns the image and (grid row, top, bottom) per piece."""
    x0, x1 = grid.xs[column] + CELL_MARGIN, grid.xs[column + 1] - CELL_MARGIN
    pieces, spans, y = [], [], 0
    for r in range(len(grid.ys) - 1):
        cell = image[grid.ys[r] + CELL_MARGIN: grid.ys[r + 1] - CELL_MARGIN, x0:x1]
        ink_rows = np.flatnonzero((cell < 128).sum(axis=1) > 0)
        if cell.size == 0 or len(ink_rows) == 0:
            continue
        cell = cell[max(0, ink_rows[0] - 4): ink_rows[-1] + 5]
        block = np.full((cell.shape[0] + 2 * pad, x1 - x0), 255, np.uint8)
        block[pad: pad + cell.shape[0], :] = cell
        pieces.append(block)
        spans.append((r, y, y + block.shape[0]))
        y += block.shape[0]
    if not pieces:
        return None
    return np.vstack(pieces), spans


def montage_words(words: list[OcrWord], spans: list[tuple[int, int, int]], grid: Grid,
                  column: int) -> list[OcrWord]:
    """Words read from a montage, placed back in their grid cells (page coordinates)."""
    out = []
    for word in words:
        cy = (word.bbox[1] + word.bbox[3]) / 2
        for row, top, bottom in spans:
            if top <= cy < bottom:
                x0 = grid.xs[column] + CELL_MARGIN
                y_mid = (grid.ys[row] + grid.ys[row + 1]) / 2
                h = (word.bbox[3] - word.bbox[1]) / 2
                out.append(OcrWord(word.text, (word.bbox[0] + x0, y_mid - h, word.bbox[2] + x0,
                                               y_mid + h), word.confidence,
                                   (10_000 + row, 0, int(word.bbox[0]))))
                break
    return out


def replace_column_words(words: list[OcrWord], column_words: list[OcrWord], grid: Grid,
                         column: int) -> list[OcrWord]:
    """In each cell of ``column`` that the column pass read, its words replace the page
    pass's; a cell it left empty keeps what the page pass read there."""
    def cell(w: OcrWord) -> tuple[int, int] | None:
        cx, cy = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
        if not (grid.xs[column] <= cx <= grid.xs[column + 1]
                and grid.ys[0] <= cy <= grid.ys[-1]):
            return None
        return bisect_right(grid.ys, cy) - 1, column

    reread = {cell(w) for w in column_words} - {None}
    return [w for w in words if cell(w) not in reread] + column_words


def page_lines(words: list[OcrWord], grid: Grid | None, page: int, scale: float) -> list[Line]:
    """All lines of an OCR'd page in reading order: prose lines and table rows by position."""
    if grid is None:
        return words_to_lines(words, page, 1, scale)
    rows, outside = words_to_cells(words, grid, page, scale)
    prose = words_to_lines(outside, page, 1, scale)
    merged = sorted(rows + prose, key=lambda line: line.bbox[1] if line.bbox else 0)
    return [Line(line.text, page, n, line.bbox, line.confidence, line.cell_confidences)
            for n, line in enumerate(merged, start=1)]
