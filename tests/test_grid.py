"""Grid finding and deskew on a rendered ruled table (bench/synth.py makes it as Word would)."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pymupdf

from bench.synth import fill_catalog, render_page, render_pdf
from extract.grid import (
    Grid,
    binarize,
    deskew,
    find_grid,
    ink_box,
    line_masks,
    skew_angle,
    table_regions,
    text_ink,
    text_rect,
    value_cells,
    value_columns,
)
from extract.ocr import OcrWord
from mapping.catalog import get_catalog


def table_page(tmp_path) -> np.ndarray:
    catalog = get_catalog("tn2025.pl2")
    path = tmp_path / "t.pdf"
    render_pdf(fill_catalog(catalog, random.Random(3)), catalog, path)
    with pymupdf.open(path) as doc:
        return render_page(doc[1], 150)


def test_grid_of_a_ruled_table(tmp_path):
    page = table_page(tmp_path)
    grid = find_grid(*line_masks(binarize(page)))
    assert grid is not None
    assert len(grid.xs) == 6  # STT | Các chỉ tiêu | Đơn vị tính | Số liệu | Ghi chú
    assert len(grid.ys) > 15


def test_deskew_levels_a_tilted_scan(tmp_path):
    page = table_page(tmp_path)
    h, w = page.shape
    tilted = cv2.warpAffine(page, cv2.getRotationMatrix2D((w / 2, h / 2), 0.8, 1.0), (w, h),
                            borderValue=255)
    assert abs(skew_angle(line_masks(binarize(tilted))[0])) > 0.5
    assert abs(skew_angle(line_masks(binarize(deskew(tilted)))[0])) < 0.15


def test_table_regions_keep_merged_cells_whole(tmp_path):
    """The "Trong đó" cells span two rows (printed rows 4–5 and 10–11 of the text layer's
    table, whose two header rows are one grid row here); every other cell is its own."""
    page = table_page(tmp_path)
    ink = binarize(page)
    horizontal, vertical = line_masks(ink)
    grid = find_grid(horizontal, vertical)
    regions = table_regions(grid, horizontal, vertical)
    merged = [r for r in regions if r[2] - r[0] > 1 or r[3] - r[1] > 1]
    assert merged == [(3, 0, 5, 1), (9, 0, 11, 1)]
    assert len(regions) == (len(grid.ys) - 1) * (len(grid.xs) - 1) - 2


def test_text_ink_drops_specks_and_ruling_lines_keeps_a_comma():
    page = np.full((1600, 1200), 255, np.uint8)  # a page: ruling lines are long, strokes short
    cv2.putText(page, "9,1", (500, 400), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 3)
    cv2.line(page, (10, 600), (1190, 600), 0, 2)  # a ruling line
    specks = [(100, 40), (380, 700), (500, 520)]  # (y, x)
    for y, x in specks:
        page[y, x] = page[y + 1, x] = 0  # two-pixel scanner specks
    ink = binarize(page)
    text = text_ink(ink, *line_masks(ink))
    assert all(text[y, x] == 0 for y, x in specks)
    assert not text[590:611, :].any()
    n, _, stats, _ = cv2.connectedComponentsWithStats(text)
    assert n - 1 == 3  # "9", "," and "1"
    x0, y0, x1, y1 = ink_box(text, (0, 0, 1200, 1600))
    assert (x0, y0, x1, y1) == (501, 380, 542, 402)  # "9,1" drawn from (500, 400), 20 px high
    assert ink_box(text, (0, 0, 400, 300)) is None
    assert text_rect(text, (0, 0, 1200, 590), pad=10) == (x0 - 10, y0 - 10, x1 + 10, y1 + 10)


def test_value_column_header_is_a_short_header_cell():
    grid = Grid(xs=[0, 100, 500, 600, 700, 900], ys=[0, 50, 100, 150])

    def word(text, col, row):
        return OcrWord(text, (grid.xs[col] + 5, grid.ys[row] + 5, grid.xs[col] + 60,
                              grid.ys[row] + 40), 0.9, (1, 1, row))

    words = [word("Số", 3, 0), word("liệu", 3, 0),
             word("1.5.", 0, 1), word("Số liệu về trao đổi văn bản điện tử", 1, 1),
             word("7.5.1.", 0, 2), word("93", 3, 2)]
    assert value_cells(words, grid) == ([3], 1)
    assert value_columns(words, grid) == [3]
