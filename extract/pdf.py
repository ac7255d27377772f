"""PDF pages → lines: the text layer where a page has one, OCR where it has none.

Like OCRmyPDF's ``--skip-text``, the decision is per page: a page whose text layer holds
enough characters is read from it (words with positions, grouped into visual lines); any other
page is rendered and handed to the OCR engine. A page is the unit of work (``PageJob`` →
``PageResult``) so pipelines can run pages in parallel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np

from extract.grid import (
    binarize,
    cell_montage,
    clean_for_ocr,
    deskew,
    find_grid,
    line_masks,
    montage_words,
    page_lines,
    replace_column_words,
    value_columns,
)
from extract.ocr import OcrEngine, OcrError
from extract.types import Line

DEFAULT_DPI = 300
DIGITS_LANG = "eng"  # value cells hold digits, read best without the Vietnamese word model
MIN_TEXT_CHARS = 40  # fewer characters than this in the text layer: treat the page as a scan
LINE_TOLERANCE = 0.5  # words whose vertical centres differ by < half a line height share a line


@dataclass(frozen=True)
class PageJob:
    """Picklable: a page to read, from a PDF file or an image."""

    path: str
    index: int  # 0-based page index
    kind: str  # "pdf" or "image"
    dpi: int = DEFAULT_DPI
    lang: str = "vie"


@dataclass
class PageResult:
    index: int
    mode: str  # "text-layer", "ocr", "error"
    lines: list[Line] = field(default_factory=list)
    error: str | None = None
    ocr_confidence: float | None = None


def layer_words_to_lines(words: list[tuple], page: int) -> list[Line]:
    """PyMuPDF words (x0, y0, x1, y1, text, block, line, word) → visual lines, left to right.
    Cells of one table row share a line; a wrapped cell continues on the next line."""
    words = sorted(words, key=lambda w: ((w[1] + w[3]) / 2, w[0]))
    rows: list[list[tuple]] = []
    for word in words:
        centre, height = (word[1] + word[3]) / 2, max(1.0, word[3] - word[1])
        if rows:
            last = rows[-1]
            last_centre = sum((w[1] + w[3]) / 2 for w in last) / len(last)
            if abs(centre - last_centre) < LINE_TOLERANCE * height:
                last.append(word)
                continue
        rows.append([word])
    lines = []
    for n, row in enumerate(rows, start=1):
        row.sort(key=lambda w: w[0])
        box = (min(w[0] for w in row), min(w[1] for w in row), max(w[2] for w in row),
               max(w[3] for w in row))
        lines.append(Line(" ".join(w[4] for w in row), page, n, box))
    return lines


def text_layer_lines(page, words: list[tuple], page_number: int) -> list[Line]:
    """A text-layer page in reading order: each row of a ruled table becomes one line of
    tab-separated cells (multi-line cells joined, merged cells empty); text outside tables
    becomes visual lines."""
    import pymupdf

    pymupdf.no_recommend_layout()  # find_tables on ruled tables needs no layout model
    rows: list[tuple[float, Line]] = []
    boxes = []
    for table in page.find_tables().tables:
        boxes.append(table.bbox)
        for row, cells in zip(table.rows, table.extract(), strict=True):
            text = "\t".join(_join_wrapped(c or "") for c in cells)
            if text.strip():
                rows.append((row.bbox[1], Line(text, page_number, 0, tuple(row.bbox))))
    outside = [w for w in words if not any(_inside(w, b) for b in boxes)]
    for line in layer_words_to_lines(outside, page_number):
        rows.append((line.bbox[1], line))
    rows.sort(key=lambda r: r[0])
    return [Line(line.text, page_number, n, line.bbox) for n, (_, line) in
            enumerate(rows, start=1)]


def _join_wrapped(cell: str) -> str:
    """A cell's lines as one: words join with a space, but a number the cell wrapped
    (``6692,0`` / ``8``) joins without one."""
    out = ""
    for line in (part.strip() for part in cell.split("\n")):
        if not line:
            continue
        if out and re.search(r"[\d.,]$", out) and re.match(r"\d", line) and re.search(
                r"\d[.,]\d*$", out):
            out += line
        else:
            out = f"{out} {line}" if out else line
    return " ".join(out.split())


def _inside(word: tuple, box: tuple) -> bool:
    cx, cy = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def read_page(job: PageJob, engine: OcrEngine) -> PageResult:
    """Read one page. Errors are returned, never raised: one bad page never stops a file."""
    import pymupdf

    try:
        with pymupdf.open(job.path) as doc:
            page = doc[job.index]
            if job.kind == "pdf":
                words = page.get_text("words")
                if sum(len(w[4]) for w in words) >= MIN_TEXT_CHARS:
                    return PageResult(job.index, "text-layer",
                                      text_layer_lines(page, words, job.index + 1))
            gray = page_image(doc, page, job.dpi)
        return _ocr(job, engine, gray, 72 / job.dpi)
    except OcrError as exc:
        return PageResult(job.index, "error", error=str(exc))
    except Exception as exc:  # noqa: BLE001 — reported per page
        return PageResult(job.index, "error", error=f"{type(exc).__name__}: {exc}")


def page_image(doc, page, dpi: int) -> np.ndarray:
    """The page as a grey image at ``dpi``. A scanned page that is one embedded image is
    decoded directly and resized (much faster than rendering it); anything else is rendered."""
    import pymupdf

    images = page.get_images(full=True) if doc.is_pdf else []
    if len(images) == 1 and not page.get_text("words"):
        rects = page.get_image_rects(images[0][0])
        if rects and rects[0].width >= 0.95 * page.rect.width:
            data = doc.extract_image(images[0][0])["image"]
            gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
            if gray is not None:
                width = round(page.rect.width / 72 * dpi)
                height = round(page.rect.height / 72 * dpi)
                return cv2.resize(gray, (width, height), interpolation=cv2.INTER_CUBIC)
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]


def _ocr(job: PageJob, engine: OcrEngine, gray: np.ndarray, scale: float) -> PageResult:
    """Deskew, find the ruled grid, OCR the page once with the grid removed, and put the
    words into cells."""
    gray = deskew(gray)
    horizontal, vertical = line_masks(binarize(gray))
    grid = find_grid(horizontal, vertical)
    image = clean_for_ocr(gray, horizontal, vertical) if grid else gray
    ok, encoded = cv2.imencode(".png", image)
    words = engine.recognize(encoded.tobytes(), job.lang)
    if grid is not None:
        for column in value_columns(words, grid):
            montage = cell_montage(image, grid, column)
            if montage is None:
                continue
            ok, encoded = cv2.imencode(".png", montage[0])
            digits = engine.recognize(encoded.tobytes(), DIGITS_LANG, digits=True)
            words = replace_column_words(words, montage_words(digits, montage[1], grid, column),
                                         grid, column)
    lines = page_lines(words, grid, job.index + 1, scale)
    conf = (sum(w.confidence for w in words) / len(words)) if words else None
    return PageResult(job.index, "ocr", lines, ocr_confidence=conf)


def page_count(path: str, kind: str) -> int:
    import pymupdf

    with pymupdf.open(path) as doc:
        return doc.page_count
