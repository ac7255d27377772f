"""Page orientation before OCR: a page image whose text does not run left to right is turned
upright first, or Tesseract reads noise.

The PDF's own rotation flag (``/Rotate``) is honoured when the page image is made; a flag
that disagrees with the image (a landscape scan stored sideways without one, a flag set
twice) is caught here. Tesseract's orientation detection (OSD) costs about a fifth of a page's
OCR, so it runs only when the page looks wrong: when its ink profile says the text lines run
up and down (``looks_sideways``, a few milliseconds), or when the first reading's confidence
is low (a page upside down). OSD runs on the image at half resolution, where it is as sure
and faster.

    >>> upright = np.zeros((300, 200), np.uint8)
    >>> turn(upright, 90).shape
    (200, 300)
"""

from __future__ import annotations

import cv2
import numpy as np

from extract.ocr import OcrEngine, OcrError

SIDEWAYS_RATIO = 1.2  # row/column ink-change ratio under which the text may run up and down
MIN_OSD_CONFIDENCE = 3.0  # OSD orientation confidence needed to turn a page
LOW_CONFIDENCE = 0.6  # first reading's mean word confidence under which OSD is asked
PROFILE_SIDE = 800  # pixels of the longer side the ink profile is measured on
OSD_SCALE = 0.5


def looks_sideways(gray: np.ndarray) -> bool:
    """Lines of text running left to right make the ink change sharply from row to row (line,
    gap, line) and gently from column to column; text running up and down does the opposite.
    True when the rows change less than ``SIDEWAYS_RATIO`` times as much as the columns."""
    h, w = gray.shape
    f = PROFILE_SIDE / max(h, w)
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))),
                       interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows, cols = ink.mean(axis=1), ink.mean(axis=0)
    if rows.mean() == 0:
        return False
    change_rows = np.abs(np.diff(rows)).mean() / rows.mean()
    change_cols = np.abs(np.diff(cols)).mean() / max(cols.mean(), 1e-9)
    return change_rows < SIDEWAYS_RATIO * change_cols


def upright_turn(engine: OcrEngine, gray: np.ndarray) -> tuple[int, float]:
    """Degrees (counter-clockwise) that make the page upright by OSD, and OSD's confidence;
    (0, confidence) when OSD is unsure, (0, 0.0) when it cannot tell."""
    small = cv2.resize(gray, None, fx=OSD_SCALE, fy=OSD_SCALE, interpolation=cv2.INTER_AREA)
    try:
        degrees, confidence = engine.orientation(np.ascontiguousarray(small))
    except OcrError:
        return 0, 0.0
    return (degrees % 360 if confidence >= MIN_OSD_CONFIDENCE else 0), confidence


def turn(gray: np.ndarray, degrees: int) -> np.ndarray:
    """The image turned ``degrees`` (a multiple of 90) counter-clockwise."""
    return np.ascontiguousarray(np.rot90(gray, (degrees // 90) % 4))
