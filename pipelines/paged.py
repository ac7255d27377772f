"""PDFs and images, planned page by page before any page is read.

Opening an input decides what each page will cost, from the file's structure alone (nothing is
rendered): an encrypted PDF needs ``--password``; a page with no content at all is blank and
needs no OCR; a page whose rendering would pass ``MAX_PAGE_PIXELS`` is rendered at a lower
resolution, or refused when even that is too large to read; an image (or an image inside a
scanned page) larger than ``MAX_PAGE_PIXELS`` is refused as a likely decompression bomb before
it is decoded. The pages left become ``PageJob``s, one per page, which the pipeline runs in
parallel; ``PagePlan.merge`` turns their ``PageResult``s into the document.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from extract.evidence import MIN_TEXT_CHARS
from extract.pdf import DEFAULT_DPI, PageJob, PageResult
from extract.types import Document

# Pillow's own guard against decompression bombs (89.5 megapixels): an A4 page at 600 dpi is
# 35 MP, an A2 poster at 300 dpi 35 MP; an image beyond this is almost surely hostile or a
# mistake, and decoding it would need gigabytes.
MAX_PAGE_PIXELS = 89_478_485
MIN_DPI = 72  # below this, a page's text is too small to read: the page is refused
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


class InputError(Exception):
    """An input that cannot be read, with a message a user can act on."""

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.kind = kind  # what the input was found to be, when known ("pdf", "image", "text")


def display_name(path: Path) -> str:
    """A file name as text: bytes that are not UTF-8 (names from old Windows archives, in
    cp1258 or TCVN3) are shown as ``\\xNN`` instead of breaking the JSON and CSV outputs:
    the name ``b\xe1o.txt`` (bytes) becomes the text ``b\\xe1o.txt``."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def sniff(path: Path) -> str | None:
    """``pdf`` or ``image`` by the file's first bytes, whatever its extension says; None for
    anything else (read as a text dump)."""
    with path.open("rb") as fh:
        head = fh.read(1024)
    if head.startswith(b"%PDF") or (b"%PDF-" in head and not head.startswith(IMAGE_MAGIC)):
        return "pdf"
    if head.startswith(IMAGE_MAGIC):
        return "image"
    return None


@dataclass
class PagePlan:
    """The pages of one input to read (``jobs``), and those decided without reading them."""

    path: Path
    kind: str  # "pdf" or "image"
    jobs: list[PageJob] = field(default_factory=list)
    decided: list[PageResult] = field(default_factory=list)  # blank or refused pages
    repaired: bool = False  # MuPDF had to rebuild the file's structure: damaged or truncated

    def merge(self, results: list[PageResult]) -> Document:
        """The document from its pages' results; a page that failed is reported in
        ``page_errors``, the rest land. No page read at all: ``InputError``."""
        results = sorted([*self.decided, *results], key=lambda r: r.index)
        modes = {r.mode for r in results} - {"error", "blank"}
        if not modes:
            errors = [f"page {r.index + 1}: {r.error}" for r in results if r.mode == "error"]
            if not errors:
                raise InputError(f"{self.path}: every page is blank ({len(results)} pages "
                                 "without text, image or drawing): nothing to read", self.kind)
            damaged = " — the file is damaged or truncated" if self.repaired else ""
            raise InputError(f"{self.path}: no page could be read{damaged} ("
                             f"{'; '.join(errors[:5])}{'; …' if len(errors) > 5 else ''})",
                             self.kind)
        kind = "image" if self.kind == "image" else (
            "pdf-text" if modes == {"text-layer"} else "pdf-scan" if modes == {"ocr"}
            else "pdf-mixed")
        document = Document(source=display_name(self.path), kind=kind,
                            lines=[line for r in results for line in r.lines])
        document.page_errors = [f"page {r.index + 1}: {r.error}" for r in results
                                if r.mode == "error"]
        document.pages = [r.info() for r in results]
        document.signatures = [s for r in results for s in r.signatures]
        confidences = [r.ocr_confidence for r in results if r.ocr_confidence is not None]
        document.ocr_confidence = (sum(confidences) / len(confidences)) if confidences else None
        return document


def plan_pages(path: Path, kind: str, password: str | None = None) -> PagePlan:
    """Open a PDF or an image and plan its pages; ``InputError`` when it cannot be opened."""
    import pymupdf

    if kind == "image":
        _check_image(path)
    try:
        doc = pymupdf.open(path)
    except Exception as exc:  # noqa: BLE001 — MuPDF raises several kinds
        raise InputError(f"{path}: cannot open as {kind.upper()} — the file is damaged or "
                         f"truncated ({exc})", kind) from exc
    with doc:
        if doc.needs_pass:
            if password is None:
                raise InputError(f"{path}: the PDF is encrypted: give its password with "
                                 "--password", kind)
            if not doc.authenticate(password):
                raise InputError(f"{path}: the PDF is encrypted and the password given with "
                                 "--password does not open it", kind)
        if doc.page_count == 0:
            raise InputError(f"{path}: the {kind.upper()} has no pages", kind)
        plan = PagePlan(path, kind, repaired=bool(doc.is_pdf and doc.is_repaired))
        for index in range(doc.page_count):
            try:
                decided, dpi = _plan_page(doc, index)
            except Exception as exc:  # noqa: BLE001 — one broken page never stops a file
                decided, dpi = PageResult(index, "error", error=f"{type(exc).__name__}: "
                                          f"{exc}"), None
            if decided is not None:
                plan.decided.append(decided)
            else:
                plan.jobs.append(PageJob(str(path), index, kind, dpi=dpi, password=password))
        return plan


def _plan_page(doc, index: int) -> tuple[PageResult | None, int]:
    """(a result decided without reading the page, or None; the resolution to render at)."""
    page = doc[index]
    if doc.is_pdf and not any(doc.xref_stream(x).strip() for x in page.get_contents()):
        return PageResult(index, "blank", reason="the page has no content"), DEFAULT_DPI
    for image in page.get_images(full=True) if doc.is_pdf else []:
        width, height = image[2], image[3]
        if width * height > MAX_PAGE_PIXELS and _text_chars(page) < MIN_TEXT_CHARS:
            return PageResult(index, "error", error=(
                f"its image is {width}×{height} pixels, more than the {_mp(MAX_PAGE_PIXELS)} "
                "that can be read safely (a decompression bomb, or a scan at a needlessly "
                "high resolution)")), DEFAULT_DPI
    area = page.rect.width * page.rect.height / 72 / 72  # square inches
    dpi = min(DEFAULT_DPI, math.floor(math.sqrt(MAX_PAGE_PIXELS / max(area, 1e-6))))
    if dpi < MIN_DPI:
        return PageResult(index, "error", error=(
            f"the page is {page.rect.width / 72 * 25.4:.0f}×{page.rect.height / 72 * 25.4:.0f} "
            f"mm, too large to render for OCR (over {_mp(MAX_PAGE_PIXELS)} at {MIN_DPI} dpi)"
        )), DEFAULT_DPI
    return None, dpi


def _text_chars(page) -> int:
    return sum(len(w[4]) for w in page.get_text("words"))


def _mp(pixels: int) -> str:
    return f"{pixels / 1e6:.0f} megapixels"


def _check_image(path: Path) -> None:
    """Refuse an image whose header promises more pixels than can be decoded safely, before
    anything decodes it. Pillow reads only the header here."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(path) as image:
                    width, height = image.size
                    image.verify()  # the file's structure and checksums, no pixel decoded
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: cannot open as an image — the file is damaged or "
                         f"truncated ({exc})", "image") from exc
    if width * height > MAX_PAGE_PIXELS:
        raise InputError(f"{path}: the image is {width}×{height} pixels, more than the "
                         f"{_mp(MAX_PAGE_PIXELS)} that can be read safely (a decompression "
                         "bomb, or a scan at a needlessly high resolution: scan at 300 dpi)",
                         "image")
