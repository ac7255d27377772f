"""Text layer or image: the decision for a PDF page, made on evidence and said in words.

OCRmyPDF's ``--skip-text`` trusts any text layer; real PDFs show why that fails. A signed
scan's page 1 holds a ~150-character text layer (the signature stamp) over a full-page image;
a scan OCR'd long ago carries an invisible, illegible text layer (``CÔNG 110A XA HOT CHV
NGHIA``). So a page is read from its text layer only when that layer is the page's text:

- it holds at least ``MIN_TEXT_CHARS`` characters once signature stamps are left out;
- where a page image could be read instead (images cover ``SCAN_IMAGE_COVER`` of the page),
  its lines lie over at least ``MIN_PRINT_COVERED`` of the lines the page prints (a header
  typed over a scan is not the scan's text) and at least ``MIN_LEGIBLE`` of its words are
  legible Vietnamese (a syllable as written, a number, an abbreviation).

A born-digital page (no page image), signed or not, keeps its text layer. Legibility is
judged with the project's own syllable inventory and language model
(``normalize.ocrnoise.line_profile``): only where a page image is the alternative, as loading
the model costs a few seconds once per worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from extract.layer import Word, page_words
from extract.signature import LayerLine, page_signatures
from extract.types import Signature

MIN_TEXT_CHARS = 40  # fewer characters than this (stamps left out): the page is a scan
SCAN_IMAGE_COVER = 0.5  # images cover at least half the page: a page image to read instead
MIN_PRINT_COVERED = 0.6  # share of the page's printed lines a text layer over an image must lie on
MIN_LEGIBLE = 0.8  # share of legible words a text layer over a page image needs
PRINT_DPI = 36  # the page is rendered this small to find the lines it prints
PRINT_MARGIN = 0.05  # left and right: scanner edges and punch holes, not print


@dataclass(frozen=True)
class PageEvidence:
    """What a PDF page holds, as figures (shares are of the page's area or words)."""

    text_chars: int  # characters of the text layer, signature stamps left out
    stamp_chars: int = 0  # characters of signature stamps
    text_cover: float = 0.0  # share of the page under the text layer's lines
    image_cover: float = 0.0  # share of the page under images
    invisible: float | None = None  # share of the text drawn invisibly (render mode 3)
    print_covered: float | None = None  # share of the page's printed lines under text lines
    legible: float | None = None  # share of legible words, where judged
    fonts_decoded: str | None = None  # legacy encoding the layer was decoded from

    @property
    def page_image(self) -> bool:
        return self.image_cover >= SCAN_IMAGE_COVER

    @property
    def needs_legibility(self) -> bool:
        """Legibility decides only where a page image could be read instead."""
        return self.page_image and self.text_chars >= MIN_TEXT_CHARS and (
            self.print_covered is None or self.print_covered >= MIN_PRINT_COVERED)


def choose_source(evidence: PageEvidence) -> tuple[str, str]:
    """``("text-layer" | "ocr", why)`` for a PDF page.

    >>> choose_source(PageEvidence(text_chars=0, stamp_chars=150, image_cover=1.0))
    ('ocr', 'only a signature stamp (150 characters) over a page image covering 100%')
    >>> choose_source(PageEvidence(text_chars=1972, text_cover=0.3))
    ('text-layer', 'text layer of 1972 characters over 30% of the page, no page image')
    """
    ev = evidence
    image = f"a page image covering {ev.image_cover:.0%}" if ev.page_image else "no page image"
    if ev.text_chars < MIN_TEXT_CHARS:
        if ev.stamp_chars and not ev.text_chars:
            what = f"only a signature stamp ({ev.stamp_chars} characters)"
        elif ev.text_chars:
            what = f"text layer of only {ev.text_chars} characters"
        else:
            what = "no text layer"
        return "ocr", f"{what} over {image}" if ev.page_image else what
    layer = f"text layer of {ev.text_chars} characters"
    if ev.fonts_decoded:
        layer += f" ({ev.fonts_decoded.upper()} fonts decoded)"
    if ev.page_image:
        drawn = "invisible " if (ev.invisible or 0) >= 0.5 else ""
        if ev.print_covered is not None and ev.print_covered < MIN_PRINT_COVERED:
            return "ocr", (f"{drawn}{layer} lies over only {ev.print_covered:.0%} of the lines "
                           f"printed on {image}")
        if ev.legible is not None and ev.legible < MIN_LEGIBLE:
            return "ocr", (f"{drawn}{layer} over {image}: only {ev.legible:.0%} of its words "
                           "legible")
        legible = "" if ev.legible is None else f", {ev.legible:.0%} of its words legible"
        return "text-layer", f"{drawn}{layer} over {image}{legible}"
    return "text-layer", f"{layer} over {ev.text_cover:.0%} of the page, {image}"


def legibility(lines: list[str]) -> float | None:
    """Share of the words of ``lines`` that are legible Vietnamese: syllables written with
    valid marks, unmarked words valid as written, numbers, abbreviations and codes
    (``3588/QĐ-BGDĐT``) — against words that need marks they lack (``CONG``, ``NGHIA``), show
    OCR noise (``VItT``, ``110A``) or are no Vietnamese at all. None when there are no words.

    >>> legibility(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    1.0
    >>> round(legibility(["CONG 110A XA HOT CHV NGHIA VItT NAM"]), 2)
    0.38
    """
    from normalize.ocrnoise import ABBREVIATION, CODE_PIECE, NUMBER_PIECE, line_profile, scan_line

    legible = counted = 0
    for line in lines:
        profile = line_profile(line)
        pieces = [p for p in scan_line(line) if p.kind in (NUMBER_PIECE, ABBREVIATION, CODE_PIECE)]
        legible += profile.marked + profile.bare + len(pieces)
        counted += profile.words + len(pieces)
    return legible / counted if counted else None


@dataclass
class TextLayer:
    """A PDF page's text layer, read once: its words (legacy fonts decoded, signature stamps
    left out), the evidence about it and the page's signatures."""

    words: list[Word]
    evidence: PageEvidence
    signatures: list[Signature] = field(default_factory=list)
    stamp_widgets: frozenset[int] = frozenset()  # xrefs of widgets whose appearance is a stamp
    stamp_boxes: tuple[tuple[float, float, float, float], ...] = ()  # stamps drawn in the page


def read_text_layer(doc, page) -> TextLayer:
    """The page's text layer and the evidence for reading it or the page image."""
    words, decoded = page_words(page)
    keys: dict[tuple[int, int], list[int]] = {}
    for n, word in enumerate(words):
        keys.setdefault((word[5], word[6]), []).append(n)
    groups = list(keys.values())
    lines = [LayerLine(" ".join(words[n][4] for n in group), _box([words[n] for n in group]))
             for group in groups]
    signatures, stamp_lines = page_signatures(doc, page, lines)
    stamped = {n for i in stamp_lines for n in groups[i]}
    body = [w for n, w in enumerate(words) if n not in stamped]
    area = max(1.0, abs(page.rect))
    unrotated = page.rect * page.derotation_matrix
    drawn = page.get_bboxlog()
    image_cover = min(1.0, sum(abs(unrotated & _rect(box)) for kind, box in drawn
                               if kind == "fill-image") / area)
    text_cover = min(1.0, sum(abs(_rect(lines[i].bbox)) for i in range(len(lines))
                              if i not in stamp_lines) / area)
    text_chars = sum(len(w[4]) for w in body)
    runs = [kind for kind, _ in drawn if kind.endswith("-text")]  # text runs as drawn
    invisible = (runs.count("ignore-text") / len(runs)
                 if runs and image_cover >= SCAN_IMAGE_COVER else None)
    body_lines = [lines[i].bbox for i in range(len(lines)) if i not in stamp_lines]
    covered = (print_covered(page, body_lines) if image_cover >= SCAN_IMAGE_COVER and
               text_chars >= MIN_TEXT_CHARS else None)
    evidence = PageEvidence(
        text_chars=text_chars, print_covered=covered,
        stamp_chars=sum(len(words[n][4]) for n in stamped),
        text_cover=round(text_cover, 3), image_cover=round(image_cover, 3),
        invisible=None if invisible is None else round(invisible, 3),
        fonts_decoded=decoded.most_common(1)[0][0] if decoded else None)
    if evidence.needs_legibility:
        found = legibility([lines[i].text for i in range(len(lines)) if i not in stamp_lines])
        evidence = replace(evidence, legible=None if found is None else round(found, 3))
    return TextLayer(body, evidence, signatures,
                     frozenset(xref for xref in stamp_lines.values() if xref),
                     tuple(lines[i].bbox for i, xref in sorted(stamp_lines.items()) if not xref))


def print_covered(page, boxes: list[tuple[float, float, float, float]]) -> float | None:
    """Share of the lines the page prints (rows of ink of the page rendered small, without
    its annotations and signature appearances; invisible text is never drawn) that lie under
    the text layer's lines ``boxes``: near 1 for an OCR layer of the page, small for a header
    or a note typed over a scan. None for a page without print."""
    import cv2
    import numpy as np
    import pymupdf

    pix = page.get_pixmap(dpi=PRINT_DPI, colorspace=pymupdf.csGRAY, alpha=False, annots=False)
    gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
    margin = round(PRINT_MARGIN * pix.width)
    _, ink = cv2.threshold(gray[:, margin:pix.width - margin], 0, 1,
                           cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    printed = ink.sum(axis=1) >= 2
    if not printed.any():
        return None
    under = np.zeros(pix.height, bool)
    f = PRINT_DPI / 72
    for _, y0, _, y1 in boxes:
        under[max(0, int(y0 * f)):int(y1 * f) + 1] = True
    return round(float((printed & under).sum() / printed.sum()), 3)


def _box(words: list[Word]) -> tuple[float, float, float, float]:
    return (min(w[0] for w in words), min(w[1] for w in words), max(w[2] for w in words),
            max(w[3] for w in words))


def _rect(box):
    import pymupdf

    return pymupdf.Rect(box)
