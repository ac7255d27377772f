"""Scanned pages: clean the image, find the ruled table's grid, and put OCR words into cells.

Pure functions over numpy images, in pdfplumber's style (``image_to_masks → masks_to_grid →
words_to_cells``). The text ink is separated from ruling lines and scanner specks
(``text_ink``); the table's printed cells are found from the grid and the lines actually drawn
(``table_regions``, so merged cells stay whole), and each is read as its own region; each word
then lands in the grid cell holding its centre, so a row's cells stay together.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

import cv2
import numpy as np

from extract.ocr import OcrWord, words_to_lines
from extract.types import Line
from normalize.fold import fold

DEFAULT_MIN_LINE_FRACTION = 0.3  # a ruling line spans ≥ 30% of the table's width/height
DEFAULT_MERGE_PX = 6  # ruling lines closer than this (pixels) are one line
# a table spans at least this share of the page's width: a narrower ruled box is a receipt
# stamp ("CV ĐẾN | Số: … | Ngày: …"), or underlines and pen strokes that happen to meet
DEFAULT_MIN_TABLE_WIDTH = 0.4
MAX_DESKEW_DEGREES = 5.0
MIN_SKEW_DEGREES = 0.05  # a smaller tilt is left as it is


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


PROBE_SIDE = 1800  # pixels: ruling lines are long, half a 300 dpi page measures them as well


def deskew(gray: np.ndarray, max_side: int = PROBE_SIDE) -> np.ndarray:
    """Rotate the page so its ruling lines are level (scans are tilted up to a degree or so).
    The angle is measured on a copy at most ``max_side`` pixels wide: the lines are long, so
    half the resolution measures them as well, at a quarter of the cost."""
    return level(gray, skew_angle(line_masks(binarize(_shrunk(gray, max_side)))[0]))


def probe(gray: np.ndarray, max_side: int = PROBE_SIDE) -> tuple[float, bool]:
    """The page's tilt (degrees, as ``skew_angle``) and whether it holds a ruled table, both
    measured on a levelled copy at most ``max_side`` pixels wide: a page without one is
    spared the full-size line masks (on 129 real and generated pages the copy found a grid
    exactly where the full page did)."""
    small = _shrunk(gray, max_side)
    horizontal, vertical = line_masks(binarize(small))
    angle = skew_angle(horizontal)
    if abs(angle) >= MIN_SKEW_DEGREES:
        horizontal, vertical = line_masks(binarize(level(small, angle)))
    return angle, find_grid(horizontal, vertical) is not None


def level(gray: np.ndarray, angle: float) -> np.ndarray:
    """The page rotated by ``angle`` degrees (a tilt under ``MIN_SKEW_DEGREES`` is left)."""
    if abs(angle) < MIN_SKEW_DEGREES:
        return gray
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def _shrunk(gray: np.ndarray, max_side: int) -> np.ndarray:
    h, w = gray.shape
    if w <= max_side:
        return gray
    f = max_side / w
    return cv2.resize(gray, (max_side, max(1, round(h * f))), interpolation=cv2.INTER_AREA)


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
              merge: int = DEFAULT_MERGE_PX,
              min_width: float = DEFAULT_MIN_TABLE_WIDTH) -> Grid | None:
    """Row and column boundaries of the page's ruled table, or None when there is none."""
    cols = (vertical > 0).sum(axis=0)
    rows = (horizontal > 0).sum(axis=1)
    if cols.max(initial=0) == 0 or rows.max(initial=0) == 0:
        return None
    ys = _positions(rows, min_fraction * rows.max(), merge)
    xs = _positions(cols, min_fraction * cols.max(), merge)
    if len(xs) < 3 or len(ys) < 2:  # one ruled row: the last row of a table, on its own page
        return None
    if xs[-1] - xs[0] < min_width * horizontal.shape[1]:
        return None
    return Grid(xs, ys)


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
    return value_cells(words, grid)[0]


def value_cells(words: list[OcrWord], grid: Grid) -> tuple[list[int], int]:
    """``value_columns`` and the first body row under their header (0 when no header)."""
    texts = cell_texts(words, grid)
    heads = [(r, c) for (r, c), t in texts.items()
             if r < 3 and c > 0 and _is_value_header(t)]
    if heads:
        return sorted({c for _, c in heads}), max(r for r, _ in heads) + 1
    return _numeric_columns(texts, grid), 0


def _is_value_header(text: str) -> bool:
    """A header cell naming a value column: short ("Số liệu", "Năm 2024"), not a row whose
    description mentions "số liệu"."""
    folded = " ".join(fold(text).split())
    return len(folded.split()) <= 4 and any(h in folded for h in VALUE_HEADERS)


def _numeric_columns(texts: dict[tuple[int, int], str], grid: Grid) -> list[int]:
    out = []
    for c in range(1, len(grid.xs) - 1):
        column = [t for (r, cc), t in texts.items() if cc == c]
        if len(column) >= 3 and sum(bool(NUMERIC_CELL.match(t)) for t in column) >= 0.5 * len(
                column):
            out.append(c)
    return out


def page_lines(words: list[OcrWord], grid: Grid | None, page: int, scale: float) -> list[Line]:
    """All lines of an OCR'd page in reading order: prose lines and table rows by position."""
    if grid is None:
        return words_to_lines(words, page, 1, scale)
    rows, outside = words_to_cells(words, grid, page, scale)
    prose = words_to_lines(outside, page, 1, scale)
    merged = sorted(rows + prose, key=lambda line: line.bbox[1] if line.bbox else 0)
    return [replace(line, number=n) for n, line in enumerate(merged, start=1)]


# --- cell by cell ---------------------------------------------------------------------------

MIN_INK_AREA = 12  # px (300 dpi): smaller ink blobs are scanner specks, not strokes or dots
LINE_PRESENT = 0.5  # a ruling line between two cells covers ≥ half the shared edge


CELL_INSET = 4  # pixels inside a cell's ruling lines where its text may start
TEXT_PAD = 10  # white pixels kept around a region's text for Tesseract


def text_ink(ink: np.ndarray, horizontal: np.ndarray, vertical: np.ndarray,
             min_area: int = MIN_INK_AREA) -> np.ndarray:
    """The page's text ink: binarized ink without ruling lines and without specks (connected
    blobs under ``min_area`` pixels)."""
    lines = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((5, 5), np.uint8))
    text = cv2.bitwise_and(ink, cv2.bitwise_not(lines))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return (keep[labels] * 255).astype(np.uint8)


def ink_box(mask: np.ndarray, box: tuple[int, int, int, int]
            ) -> tuple[int, int, int, int] | None:
    """The bounding box (page pixels) of the text ink inside ``box``, or None when empty."""
    x0, y0, x1, y1 = box
    part = mask[max(0, y0):y1, max(0, x0):x1]
    rows = np.flatnonzero(part.any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(part.any(axis=0))
    return (max(0, x0) + int(cols[0]), max(0, y0) + int(rows[0]),
            max(0, x0) + int(cols[-1]) + 1, max(0, y0) + int(rows[-1]) + 1)


def table_regions(grid: Grid, horizontal: np.ndarray, vertical: np.ndarray,
                  merge: int = DEFAULT_MERGE_PX) -> list[tuple[int, int, int, int]]:
    """The table's cells as printed: grid cells joined where no ruling line separates them
    (merged header cells, a "Trong đó" cell spanning rows). Each is (row0, col0, row1, col1),
    end-exclusive."""
    n_rows, n_cols = len(grid.ys) - 1, len(grid.xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(n_rows):
        y0, y1 = grid.ys[r] + merge, grid.ys[r + 1] - merge
        for c in range(1, n_cols):
            x = grid.xs[c]
            band = vertical[y0:y1, max(0, x - merge): x + merge + 1]
            if band.size == 0 or band.any(axis=1).mean() < LINE_PRESENT:
                union(r * n_cols + c - 1, r * n_cols + c)
    for r in range(1, n_rows):
        y = grid.ys[r]
        for c in range(n_cols):
            x0, x1 = grid.xs[c] + merge, grid.xs[c + 1] - merge
            band = horizontal[max(0, y - merge): y + merge + 1, x0:x1]
            if band.size == 0 or band.any(axis=0).mean() < LINE_PRESENT:
                union((r - 1) * n_cols + c, r * n_cols + c)
    groups: dict[int, list[int]] = {}
    for i in range(n_rows * n_cols):
        groups.setdefault(find(i), []).append(i)
    out = []
    for members in groups.values():
        rows = [i // n_cols for i in members]
        cols = [i % n_cols for i in members]
        out.append((min(rows), min(cols), max(rows) + 1, max(cols) + 1))
    return sorted(out)


def masked_page(gray: np.ndarray, text: np.ndarray) -> np.ndarray:
    """The page as Tesseract should see it: the grey pixels of the text ink (and a pixel
    around, for the anti-aliased edges), white everywhere else — no ruling lines, no specks,
    no grey paper."""
    keep = cv2.dilate(text, np.ones((3, 3), np.uint8)) > 0
    out = np.full_like(gray, 255)
    out[keep] = gray[keep]
    return out


def text_rect(text: np.ndarray, box: tuple[int, int, int, int], pad: int = TEXT_PAD
              ) -> tuple[int, int, int, int] | None:
    """The ink of ``box`` with ``pad`` pixels around it (kept inside ``box``), or None."""
    found = ink_box(text, box)
    if found is None:
        return None
    return (max(box[0], found[0] - pad), max(box[1], found[1] - pad),
            min(box[2], found[2] + pad), min(box[3], found[3] + pad))


def region_box(grid: Grid, region: tuple[int, int, int, int], inset: int = CELL_INSET
               ) -> tuple[int, int, int, int]:
    r0, c0, r1, c1 = region
    return grid.xs[c0] + inset, grid.ys[r0] + inset, grid.xs[c1] - inset, grid.ys[r1] - inset
