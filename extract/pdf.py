"""PDF pages → lines: the text layer where it is the page's text, OCR of the page image
where it is not.

The decision is per page and made on evidence (``extract.evidence``): a signature stamp over
a scan, or an illegible OCR layer, is no reason to skip the image; a born-digital page, signed
or not, keeps its text layer (legacy ``.VnTime``/``VNI`` fonts decoded by name,
``extract.layer``). A page read by OCR is imaged upright (``extract.pageimage``,
``extract.orient``) with its signature stamps left out. A page is the unit of work
(``PageJob`` → ``PageResult``) so pipelines can run pages in parallel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from extract.evidence import PageEvidence, choose_source, read_text_layer
from extract.grid import (
    CELL_INSET,
    Grid,
    binarize,
    find_grid,
    level,
    line_masks,
    masked_page,
    page_lines,
    probe,
    region_box,
    table_regions,
    text_ink,
    text_rect,
    value_cells,
)
from extract.ocr import (
    LABEL_DIGITS,
    OcrEngine,
    OcrError,
    OcrWord,
    as_visual_lines,
    rows_by_centre,
)
from extract.orient import LOW_CONFIDENCE, looks_sideways, turn, upright_turn
from extract.pageimage import page_image
from extract.types import Line, PageInfo, Signature

DEFAULT_DPI = 300
DIGITS_LANG = "eng"  # value cells hold digits, read best without the Vietnamese word model
DISAGREE_CONFIDENCE = 0.5  # a value the two readings of its cell disagree on: to be reviewed
TEXT_VALUE_LETTERS = 3  # a value cell whose text reading has this many letters holds words


@dataclass(frozen=True)
class PageJob:
    """Picklable: a page to read, from a PDF file or an image."""

    path: str
    index: int  # 0-based page index
    kind: str  # "pdf" or "image"
    dpi: int = DEFAULT_DPI
    lang: str = "vie"
    password: str | None = None  # an encrypted PDF's password


@dataclass
class PageResult:
    index: int
    mode: str  # "text-layer", "ocr", "error"
    lines: list[Line] = field(default_factory=list)
    error: str | None = None
    ocr_confidence: float | None = None
    reason: str = ""  # why the page was read the way it was
    evidence: PageEvidence | None = None  # what the page holds (PDF pages)
    rotation: int = 0  # degrees (clockwise) the page as stored was turned to be read
    signatures: list[Signature] = field(default_factory=list)

    def info(self) -> PageInfo:
        ev = self.evidence
        figures = {} if ev is None else {
            "text_chars": ev.text_chars, "stamp_chars": ev.stamp_chars,
            "text_cover": ev.text_cover, "image_cover": ev.image_cover,
            "invisible": ev.invisible, "print_covered": ev.print_covered,
            "legible": ev.legible, "fonts_decoded": ev.fonts_decoded}
        return PageInfo(self.index + 1, self.mode, self.error or self.reason, len(self.lines),
                        None if self.ocr_confidence is None else round(self.ocr_confidence, 3),
                        rotation=self.rotation, **figures)


def layer_words_to_lines(words: list[tuple], page: int) -> list[Line]:
    """PyMuPDF words (x0, y0, x1, y1, text, block, line, word) → visual lines, left to right.
    Cells of one table row share a line; a wrapped cell continues on the next line."""
    rows = [[words[i] for i in row] for row in rows_by_centre([w[:4] for w in words])]
    _rejoin_wrapped_cells(rows)
    lines = []
    for n, row in enumerate((r for r in rows if r), start=1):
        box = (min(w[0] for w in row), min(w[1] for w in row), max(w[2] for w in row),
               max(w[3] for w in row))
        lines.append(Line(" ".join(w[4] for w in row), page, n, box))
    return lines


WRAP_LOOKAHEAD = 3  # visual lines below a cut cell searched for the rest of it
_CUT = re.compile(r"^(?:\d+,|\S*=)$")  # ``46204,`` (a decimal cut) or ``Chưa có =`` (a code)


def _rejoin_wrapped_cells(rows: list[list[tuple]]) -> None:
    """In a table without ruling lines each cell's lines are visual lines of their own, and
    the cells of a row are centred on each other, so a cell cut after a decimal comma
    (``46204,`` / ``81``) or a code book cut after its ``=`` (``Chưa có =`` / ``0``) has its
    rest one or more lines below, under the same cell, beside other cells' words. Move that
    rest (digits only) back to the end of its cell, so that ``81`` is not read as the next
    row's value. A number so rejoined goes to the visual line at the middle of its cell,
    where the row's one-line cells stand. In place; a row may be left empty."""
    moved: dict[int, list[tuple]] = {}  # row → words moved up out of it (their place)
    for n, row in enumerate(rows):
        if not any(_CUT.match(w[4]) for w in row):
            continue
        numbers: list[tuple[tuple, int]] = []  # (a rejoined number, the row its rest was on)
        for i, word in enumerate(row):
            gap = 0.5 * (word[3] - word[1])  # wider than a space between words: another cell
            if not _CUT.match(word[4]) or (i + 1 < len(row) and row[i + 1][0] - word[2] < gap):
                continue  # not the last word of its cell
            start = i  # the cell's first word on this line
            while start > 0 and row[start][0] - row[start - 1][2] < gap:
                start -= 1
            left, right = row[start][0], row[i][2]
            for gone in sorted(moved.get(n, []), key=lambda w: -w[0]):
                if 0 <= left - gone[2] < gap:  # the cell began with a word moved up from it
                    left = gone[0]
            for m, below in enumerate(rows[n + 1:n + 1 + WRAP_LOOKAHEAD], start=n + 1):
                under = [w for w in below if left - 2 <= (w[0] + w[2]) / 2 <= right + 2]
                if not under:
                    continue
                first = under[0]  # the cell's next line starts with its rest
                if re.fullmatch(r"\d+%?", first[4]):
                    cut = row[i]
                    number = cut[4].endswith(",")
                    joined = cut[4] + first[4] if number else f"{cut[4]} {first[4]}"
                    row[i] = (cut[0], cut[1], max(cut[2], first[2]),
                              first[3] if number else cut[3], joined, *cut[5:])
                    below.remove(first)
                    moved.setdefault(m, []).append(first)
                    if number:
                        numbers.append((row[i], m))
                break
        for word, last in numbers:
            centre = (word[1] + word[3]) / 2
            here = min(range(n, last + 1), key=lambda k: abs(_centre(rows[k], word) - centre))
            if here != n:
                row.remove(word)
                rows[here].append(word)
                rows[here].sort(key=lambda w: w[0])


def _centre(row: list[tuple], leave_out: tuple) -> float:
    """The mean vertical centre of a visual line's words (infinitely far when it has none)."""
    centres = [(w[1] + w[3]) / 2 for w in row if w is not leave_out]
    return sum(centres) / len(centres) if centres else float("inf")


def text_layer_lines(page, words: list[tuple], page_number: int,
                     cells_from_words: bool = False) -> list[Line]:
    """A text-layer page in reading order: each row of a ruled table becomes one line of
    tab-separated cells (multi-line cells joined, merged cells empty); text outside tables
    becomes visual lines. ``cells_from_words``: a cell's text is made of ``words`` (decoded
    legacy fonts), not of the page's characters as PyMuPDF extracts them."""
    import pymupdf

    pymupdf.no_recommend_layout()  # find_tables on ruled tables needs no layout model
    rows: list[tuple[float, Line]] = []
    boxes = []
    for table in page.find_tables().tables:
        boxes.append(table.bbox)
        texts = ([[_words_text(words, cell, page_number) for cell in row.cells]
                  for row in table.rows] if cells_from_words else table.extract())
        for row, cells in zip(table.rows, texts, strict=True):
            text = "\t".join(_join_wrapped(c or "") for c in cells)
            if text.strip():
                rows.append((row.bbox[1], Line(text, page_number, 0, tuple(row.bbox))))
    outside = [w for w in words if not any(_inside(w, b) for b in boxes)]
    for line in layer_words_to_lines(outside, page_number):
        rows.append((line.bbox[1], line))
    rows.sort(key=lambda r: r[0])
    return without_page_number([line for _, line in rows], page.rect.width, page.rect.height)


def _words_text(words: list[tuple], cell: tuple | None, page_number: int) -> str | None:
    """The text of the words inside a table cell, a visual line each."""
    if cell is None:
        return None
    inside = [w for w in words if _inside(w, cell)]
    return "\n".join(line.text for line in layer_words_to_lines(inside, page_number))


def without_page_number(lines: list[Line], width: float, height: float) -> list[Line]:
    """The page's lines without its printed page number (first or last line), renumbered."""
    ends = (lines[:1] + lines[-1:]) if len(lines) > 1 else []
    kept = [line for line in lines if not (line in ends and _is_page_number(line, width, height))]
    return [replace(line, number=n) for n, line in enumerate(kept, start=1)]


def _is_page_number(line: Line, width: float, height: float) -> bool:
    """A bare number centred in the top or bottom margin: the page's number, which would
    otherwise read as a value of the table row beside it (a table without ruling lines)."""
    if not re.fullmatch(r"\d{1,3}", line.text.strip()) or line.bbox is None:
        return False
    x0, y0, x1, y1 = line.bbox
    centred = abs((x0 + x1) / 2 - width / 2) < 0.1 * width
    return centred and (y1 < 0.1 * height or y0 > 0.9 * height)


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
        layer = None
        reason = "image"
        if job.kind == "pdf":
            with pymupdf.open(job.path) as doc:
                if job.password is not None:
                    doc.authenticate(job.password)
                page = doc[job.index]
                layer = read_text_layer(doc, page)
                source, reason = choose_source(layer.evidence)
                if source == "text-layer":
                    return PageResult(job.index, "text-layer", text_layer_lines(
                        page, layer.words, job.index + 1, bool(layer.evidence.fonts_decoded)),
                        reason=reason, evidence=layer.evidence, signatures=layer.signatures)
        with pymupdf.open(job.path) as doc:  # opened afresh: stamps hidden before it loads
            if job.password is not None:
                doc.authenticate(job.password)
            gray = page_image(doc, job.index, job.dpi, *(
                (layer.stamp_widgets, layer.stamp_boxes) if layer else ()))
            flag = doc[job.index].rotation
        result, turned, osd = _ocr_upright(job, engine, gray)
        result.reason = reason
        if flag:
            result.reason += f"; page image turned {flag}° by the page's rotation flag"
        if turned:
            result.reason += (f"; its text ran sideways or upside down: turned {turned}° more "
                              f"(orientation detection, confidence {osd:.0f})")
        result.rotation = (flag + turned) % 360
        if layer is not None:
            result.evidence, result.signatures = layer.evidence, layer.signatures
        return result
    except OcrError as exc:
        return PageResult(job.index, "error", error=str(exc))
    except Exception as exc:  # noqa: BLE001 — reported per page
        return PageResult(job.index, "error", error=f"{type(exc).__name__}: {exc}")


def _ocr_upright(job: PageJob, engine: OcrEngine, gray: np.ndarray
                 ) -> tuple[PageResult, int, float]:
    """OCR of the page image turned upright: orientation detection runs first when the ink
    says the text runs up and down, and after the reading when its confidence is low (then
    the better of the two readings is kept). Returns the result, the degrees the image was
    turned clockwise and the detection's confidence."""
    scale = 72 / job.dpi
    turned, confidence = upright_turn(engine, gray) if looks_sideways(gray) else (0, 0.0)
    if turned:
        gray = turn(gray, turned)
    result = _ocr(job, engine, gray, scale)
    if not turned and result.ocr_confidence is not None and (
            result.ocr_confidence < LOW_CONFIDENCE):
        again, sure = upright_turn(engine, gray)
        if again:
            other = _ocr(job, engine, turn(gray, again), scale)
            if (other.ocr_confidence or 0) > result.ocr_confidence:
                result, turned, confidence = other, again, sure
    return result, (360 - turned) % 360, confidence


def _ocr(job: PageJob, engine: OcrEngine, gray: np.ndarray, scale: float) -> PageResult:
    """Deskew and find the ruled grid. A page with a table is read cell by cell (each printed
    cell its own region, so text lines of neighbouring cells never merge), Tesseract seeing
    only the text ink (``masked_page``: no grey paper, specks or ruling lines to misread). A
    page without one is read whole (``_read_whole``). Whether the page has a grid is first
    asked of a half-size copy (``grid.probe``), so a page of prose costs little more than
    Tesseract itself."""
    angle, ruled = probe(gray)
    gray = level(gray, angle)
    grid = None
    if ruled:
        ink = binarize(gray)
        horizontal, vertical = line_masks(ink)
        grid = find_grid(horizontal, vertical)
    if grid is None:
        words = _read_whole(engine, gray, job.lang)
    else:
        words = read_table_page(engine, gray, ink, horizontal, vertical, grid, job.lang)
    lines = page_lines(words, grid, job.index + 1, scale)
    if grid is None:
        lines = without_page_number(lines, gray.shape[1] * scale, gray.shape[0] * scale)
    conf = (sum(w.confidence for w in words) / len(words)) if words else None
    return PageResult(job.index, "ocr", lines, ocr_confidence=conf)


VALUE_GAP = 0.03  # share of the page's width: a number this far from its neighbours has a cell
MIN_VALUE_ROWS = 3  # lines with a number in a cell of its own: a table without ruling lines


def _read_whole(engine: OcrEngine, gray: np.ndarray, lang: str) -> list[OcrWord]:
    """A page without a ruled table, read as Tesseract reads a page: its layout (columns of a
    letterhead, a signature block beside the addressees) found by Tesseract
    (``recognize_page``) and its lines made as a text layer's are. A page whose lines hold
    numbers standing in cells of their own (``MIN_VALUE_ROWS`` of them) is a table without
    ruling lines: it is read again as one block of rows from its text ink (each row one line,
    specks and grey paper gone) and its numbers read again digits-only
    (``_recheck_numbers``)."""
    words = as_visual_lines(_reread_weak_runs(engine, gray, engine.recognize_page(gray, lang),
                                              lang))
    if _value_rows(words, gray.shape[1]) < MIN_VALUE_ROWS:
        return words
    ink = binarize(gray)
    text = text_ink(ink, *line_masks(ink))
    image = masked_page(gray, text)
    h, w = gray.shape
    return _recheck_numbers(engine, image, text,
                            engine.recognize_regions(image, [(0, 0, w, h)], lang)[0])


WEAK_WORD = 0.5  # a word Tesseract read below this, in a line of its layout, is read again
COLUMN_GAP = 0.04  # share of the page's width: a gap this wide between words parts columns
REREAD_PAD = 0.5  # share of the run's height added around it when it is read again
HEADER_SHARE = 0.4  # letterheads lie in this top share of a page: runs below are not re-read


def _reread_weak_runs(engine: OcrEngine, gray: np.ndarray, words: list[OcrWord],
                      lang: str) -> list[OcrWord]:
    """Layout analysis joins the two columns of a letterhead into one line when their lines
    stand at different heights (``Số: 3588/QĐ-BGDĐT`` half a line above ``Hà Nội, ngày …``),
    and the higher column comes out as noise (``BẾP AE OI-EĐCH MỘT``) read at low
    confidence. Each run of such a line between column gaps (a line parted by a gap: columns;
    in the top ``HEADER_SHARE`` of the page, where letterheads are) that holds a weak word
    (``WEAK_WORD``) is read again from its own box, as a block; the new reading replaces the
    run where Tesseract is surer of it. Lines read well are left as they are."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line_key, []).append(word)
    runs: list[list[OcrWord]] = []
    joined: list[bool] = []  # the run's line holds columns (a gap parts it): the failure's kind
    for line in lines.values():
        line.sort(key=lambda w: w.bbox[0])
        run, first = [line[0]], len(runs)
        for word in line[1:]:
            if word.bbox[0] - run[-1].bbox[2] > COLUMN_GAP * gray.shape[1]:
                runs.append(run)
                run = []
            run.append(word)
        runs.append(run)
        joined.extend([len(runs) - first > 1] * (len(runs) - first))
    top = HEADER_SHARE * gray.shape[0]
    weak = [n for n, run in enumerate(runs) if joined[n] and run[0].bbox[1] < top
            and any(w.confidence < WEAK_WORD for w in run)]
    if not weak:
        return words
    boxes = [(min(v.bbox[0] for v in run), min(v.bbox[1] for v in run),
              max(v.bbox[2] for v in run), max(v.bbox[3] for v in run)) for run in runs]
    h, w = gray.shape
    rects = []
    for x0, y0, x1, y1 in (boxes[n] for n in weak):
        pad = REREAD_PAD * (y1 - y0)
        rects.append((max(0, int(x0 - pad)), max(0, int(y0 - pad)), min(w, int(x1 + pad)),
                      min(h, int(y1 + pad))))

    def owner(word: OcrWord) -> int | None:
        """The run whose box holds the word's centre (the first, where boxes overlap)."""
        cx, cy = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
        return next((k for k, b in enumerate(boxes) if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]),
                    None)

    replaced: dict[int, list[OcrWord]] = {}
    for n, read in zip(weak, engine.recognize_regions(gray, rects, lang), strict=True):
        # the margin takes in the edges of the lines around: only the words that fall in the
        # run's own box (and in no run before it) are its new reading, so none is read twice
        again = [v for v in read if owner(v) == n]
        run = runs[n]
        if again and _mean_confidence(again) > _mean_confidence(run):
            # keys of their own: the engine's lines of the page never take these words in
            replaced[n] = [replace(v, line_key=(-1 - n, *v.line_key[1:])) for v in again]
    if not replaced:
        return words
    return [v for n, run in enumerate(runs) for v in replaced.get(n, run)]


def _mean_confidence(words: list[OcrWord]) -> float:
    return sum(w.confidence for w in words) / len(words)


def _value_rows(words: list[OcrWord], width: int) -> int:
    """Lines holding a number set apart from its neighbours (``VALUE_GAP``): a value column.
    Numbers in running text (``năm 2025 về``) stand among words."""
    gap = VALUE_GAP * width
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line_key, []).append(word)
    found = 0
    for line in lines.values():
        line.sort(key=lambda w: w.bbox[0])
        found += any(
            NUMBER_WORD.match(w.text) and w.bbox[0] - line[i - 1].bbox[2] > gap
            and (i == len(line) - 1 or line[i + 1].bbox[0] - w.bbox[2] > gap)
            for i, w in enumerate(line) if i)
    return found


def read_table_page(engine: OcrEngine, gray: np.ndarray, ink: np.ndarray,
                    horizontal: np.ndarray, vertical: np.ndarray, grid: Grid,
                    lang: str = "vie") -> list[OcrWord]:
    """Words of a page holding a ruled table. Tesseract sees the text ink only (ruling lines
    and specks removed) and reads each printed cell, and the text above and below the table,
    as its own region; empty cells are not read. Then the cells whose alphabet is known are
    read again with it: value cells with digits (``_vote_value``), row numbers in the first
    column with digits and dots."""
    text = text_ink(ink, horizontal, vertical)
    image = masked_page(gray, text)
    h, w = gray.shape
    rects: list[tuple[int, int, int, int]] = []
    owners: list[tuple[int, int, int, int] | None] = []
    for box in ((0, 0, w, grid.ys[0] - CELL_INSET), (0, grid.ys[-1] + CELL_INSET, w, h)):
        rect = text_rect(text, box)
        if rect is not None:
            rects.append(rect)
            owners.append(None)
    for region in table_regions(grid, horizontal, vertical):
        rect = text_rect(text, region_box(grid, region))
        if rect is not None:
            rects.append(rect)
            owners.append(region)
    read = [_into_first_cell(region_words, grid, region) for region_words, region in
            zip(engine.recognize_regions(image, rects, lang), owners, strict=True)]
    columns, first_row = value_cells([word for ws in read for word in ws], grid)
    values = [n for n, region in enumerate(owners)
              if region is not None and region[3] - region[1] == 1 and region[1] in columns
              and region[0] >= first_row]
    labels = [n for n, region in enumerate(owners)
              if region is not None and region[1] == 0 and region[3] == 1
              and region[0] >= first_row and _label_like(read[n])]
    if values:
        digits, third = _digit_readings(engine, image, text, [rects[n] for n in values],
                                        [_joined(read[n]) for n in values])
        for k, n in enumerate(values):
            read[n] = _vote_value([digits[k], read[n], third.get(k, [])], rects[n])
    if labels:
        numbers = engine.recognize_regions(image, [rects[n] for n in labels], DIGITS_LANG,
                                           digits=LABEL_DIGITS)
        for n, number_words in zip(labels, numbers, strict=True):
            if number_words and LABEL.match(_joined(number_words).replace(" ", "")):
                read[n] = [_value_word(number_words)]
    return [word for region_words in read for word in region_words]


def _digit_readings(engine: OcrEngine, image: np.ndarray, text: np.ndarray,
                    rects: list[tuple[int, int, int, int]], as_read: list[str]
                    ) -> tuple[list[list[OcrWord]], dict[int, list[OcrWord]]]:
    """Numbers read again with the digits alphabet: each region on the binary text ink, and
    those whose reading differs from ``as_read`` (the text model's) once more on the grey
    image. Returns the binary readings and, by region index, the grey ones."""
    binary = cv2.bitwise_not(text)  # black text on white (``text`` is 0 / 255)
    digits = engine.recognize_regions(binary, rects, DIGITS_LANG, digits=True)
    unsure = [k for k, read in enumerate(as_read)
              if not digits[k] or _compact(_joined(digits[k])) != _compact(read)]
    again = engine.recognize_regions(image, [rects[k] for k in unsure], DIGITS_LANG,
                                     digits=True) if unsure else []
    return digits, dict(zip(unsure, again, strict=True))


NUMBER_WORD = re.compile(r"^[+\-(]?\d[\d.,]*%?[).,;:]?$")  # "29,3", "100%", "46204,", "(12)"
NUMBER_PAD = 6  # pixels around a number's box when it is read again


def _recheck_numbers(engine: OcrEngine, image: np.ndarray, text: np.ndarray,
                     words: list[OcrWord]) -> list[OcrWord]:
    """A page read whole (no ruled cells): each number is read again from its own box with
    the digits alphabet, on the binary image and, where that reading differs, on the grey
    one. Two readings that agree give the number; with no two agreeing the text reading
    stays, its confidence below review (``DISAGREE_CONFIDENCE``). Words keep their line and
    box."""
    numbers = [n for n, word in enumerate(words) if NUMBER_WORD.match(word.text)]
    if not numbers:
        return words
    h, w = text.shape
    rects = []
    for n in numbers:
        x0, y0, x1, y1 = (int(v) for v in words[n].bbox)
        rects.append((max(0, x0 - NUMBER_PAD), max(0, y0 - NUMBER_PAD),
                      min(w, x1 + NUMBER_PAD), min(h, y1 + NUMBER_PAD)))
    digits, third = _digit_readings(engine, image, text, rects,
                                    [words[n].text for n in numbers])
    out = list(words)
    for k, grey in third.items():
        word = words[numbers[k]]
        first, second = _compact(_joined(digits[k])), _compact(_joined(grey))
        if second and second == _compact(word.text):
            continue  # the grey digits reading agrees with the text reading
        if first and first == second:  # both digits readings against the text reading
            out[numbers[k]] = replace(word, text=_joined(grey), confidence=min(
                word.confidence, *(g.confidence for g in grey)))
        else:
            out[numbers[k]] = replace(word, confidence=min(word.confidence, DISAGREE_CONFIDENCE))
    return out


LABEL = re.compile(r"^\d+(?:[.,]\d+)*[.,]?$")  # "3.", "3.2.1.", misread "3,2."


def _label_like(words: list[OcrWord]) -> bool:
    """The text reading of a first-column cell is a row number, or nothing (a lone "6."
    the text model dropped)."""
    compact = _joined(words).replace(" ", "")
    return not compact or bool(re.fullmatch(r"[\dIl|.,]*\d[\dIl|.,A-Z]*", compact))


def _joined(words: list[OcrWord] | None) -> str:
    """A cell's words as text: lines top down, a number wrapped over lines joined back."""
    if not words:
        return ""
    return _join_wrapped("\n".join(" ".join(w.text for w in line) for line in _lines_of(words)))


def _vote_value(readings: list[list[OcrWord]], rect: tuple[int, int, int, int]
                ) -> list[OcrWord]:
    """A value cell from its readings: [digits alphabet on the binary cell, text model,
    digits alphabet on the grey cell (read only where the first two disagree: [] here)].
    Two that agree give the value; with no majority the digits reading stands, its confidence
    below the review threshold. A cell whose text reading is words keeps it; ink no reading
    made anything of becomes "?" — a garbled value to review, not an empty cell."""
    binary, text, grey = readings
    texts = [_compact(_joined(r)) for r in readings]
    if sum(c.isalpha() for c in texts[1]) >= TEXT_VALUE_LETTERS:
        return text  # words, not a number: the digits alphabet would only garble them
    for i, j in ((0, 1), (0, 2), (1, 2)):
        if texts[i] and texts[i] == texts[j]:
            return [_value_word(readings[j] if i == 1 else readings[i])]
    first = binary or grey or text
    if first:
        return [_value_word(first, DISAGREE_CONFIDENCE)]
    return [OcrWord("?", rect, 0.0, (0, 0, 0))]


def _into_first_cell(words: list[OcrWord], grid: Grid,
                     region: tuple[int, int, int, int] | None) -> list[OcrWord]:
    """A merged cell's words, squeezed into its first (top-left) grid cell — where a text
    layer's table puts a merged cell's text — keeping their order."""
    if region is None or (region[2] - region[0] == 1 and region[3] - region[1] == 1):
        return words
    r0, c0, r1, c1 = region

    def squeeze(v: float, a0: int, a1: int, b1: int) -> float:
        return a0 + (v - a0) * (b1 - a0) / max(1, a1 - a0)

    out = []
    for w in words:
        x0, y0, x1, y1 = w.bbox
        out.append(OcrWord(w.text, (squeeze(x0, grid.xs[c0], grid.xs[c1], grid.xs[c0 + 1]),
                                    squeeze(y0, grid.ys[r0], grid.ys[r1], grid.ys[r0 + 1]),
                                    squeeze(x1, grid.xs[c0], grid.xs[c1], grid.xs[c0 + 1]),
                                    squeeze(y1, grid.ys[r0], grid.ys[r1], grid.ys[r0 + 1])),
                           w.confidence, w.line_key))
    return out


def _value_word(digit_words: list[OcrWord], cap: float = 1.0) -> OcrWord:
    """A cell's reading as one word: its lines joined as the text layer joins a wrapped
    number, its confidence the weakest word's (at most ``cap``)."""
    text = _joined(digit_words)
    confidence = min(cap, min(w.confidence for w in digit_words))
    box = (min(w.bbox[0] for w in digit_words), min(w.bbox[1] for w in digit_words),
           max(w.bbox[2] for w in digit_words), max(w.bbox[3] for w in digit_words))
    return OcrWord(text, box, confidence, digit_words[0].line_key)


def _lines_of(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Words of one cell grouped into text lines (Tesseract's own line numbers), top down."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line_key, []).append(word)
    ordered = sorted(lines.values(), key=lambda ws: min(w.bbox[1] for w in ws))
    return [sorted(ws, key=lambda w: w.bbox[0]) for ws in ordered]


def _compact(text: str) -> str:
    return "".join(text.split()).strip(".,:;-_'\"`")

