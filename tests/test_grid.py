"""Grid finding and deskew on a rendered ruled table (bench/synth.py makes it as Word would)."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pymupdf

from bench.synth import fill_catalog, render_page, render_pdf
from extract.grid import binarize, deskew, find_grid, line_masks, skew_angle
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
