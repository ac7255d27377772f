"""A PDF page as the grey image OCR reads: upright as the page is shown, signature stamps
left out.

A scan page is usually one embedded image covering the page. Decoding it directly (JPEG
straight to grey) costs a third of rendering the page; the image is then placed as the page
shows it — its own matrix and the page's rotation flag (``/Rotate``) applied, so a landscape
scan stored with ``/Rotate 270`` comes out upright, not squeezed sideways into a portrait
box (which way it is turned is read off a thumbnail MuPDF renders, so any image matrix and
rotation flag are honoured). Any other page is rendered. Either way the appearances of
signature fields that draw a stamp are hidden (they are metadata: ``extract.signature``),
and stamp text drawn in the page itself is painted out.
"""

from __future__ import annotations

import cv2
import numpy as np

FULL_PAGE = 0.95  # an image covering this share of the page's width and height is the page
GUIDE_DPI = 10  # the page rendered this small shows which way its image is turned


def page_image(doc, index: int, dpi: int, hidden: frozenset[int] = frozenset(),
               blank: tuple[tuple[float, float, float, float], ...] = ()) -> np.ndarray:
    """Page ``index`` of a document just opened (none of its pages loaded yet), as a grey
    image at ``dpi``. ``hidden``: xrefs of annotations (signature widgets) whose appearance is
    left out; ``blank``: page boxes painted white (stamp text drawn in the page content)."""
    import pymupdf

    for xref in hidden:  # flags are read when the page loads
        flags = doc.xref_get_key(xref, "F")
        value = int(flags[1]) if flags[0] == "int" else 0
        doc.xref_set_key(xref, "F", str(value | pymupdf.PDF_ANNOT_IS_HIDDEN))
    page = doc[index]
    gray = None if blank else _page_covering_image(doc, page, dpi)
    if gray is None:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
        gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
    if blank:
        gray = gray.copy()
        f = dpi / 72
        for x0, y0, x1, y1 in blank:
            gray[max(0, int(y0 * f)):int(y1 * f) + 1, max(0, int(x0 * f)):int(x1 * f) + 1] = 255
    return gray


def _page_covering_image(doc, page, dpi: int) -> np.ndarray | None:
    """The page's one image, decoded and turned as the page shows it, when the page draws
    nothing else (no visible text, no other image) and the image covers it; else None."""
    import pymupdf

    images = page.get_images(full=True) if doc.is_pdf else []
    drawn = page.get_bboxlog()
    fills = [box for kind, box in drawn if kind == "fill-image"]
    if len(images) != 1 or len(fills) != 1 or any(
            kind.endswith("-text") and kind != "ignore-text" for kind, _ in drawn):
        return None
    box = pymupdf.Rect(fills[0])
    unrotated = page.rect * page.derotation_matrix
    if box.width < FULL_PAGE * unrotated.width or box.height < FULL_PAGE * unrotated.height:
        return None
    gray = _embedded_gray(doc, images[0][0])
    if gray is None:
        return None
    gray = _as_shown(gray, page)
    size = (round(page.rect.width * dpi / 72), round(page.rect.height * dpi / 72))
    if gray.shape == (size[1], size[0]):
        return gray
    return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC)


def _as_shown(gray: np.ndarray, page) -> np.ndarray:
    """The decoded image turned and mirrored as the page shows it. Which of the eight ways
    is found by comparing each, very small, with the page rendered at ``GUIDE_DPI`` (MuPDF
    knows the image's matrix and the page's rotation flag; a few milliseconds)."""
    import pymupdf

    pix = page.get_pixmap(dpi=GUIDE_DPI, colorspace=pymupdf.csGRAY, alpha=False, annots=False)
    guide = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
    guide = guide.astype(np.float32)
    side = 4 * max(guide.shape)
    f = min(1.0, side / max(gray.shape))
    thumb = cv2.resize(gray, (max(1, round(gray.shape[1] * f)), max(1, round(gray.shape[0] * f))),
                       interpolation=cv2.INTER_AREA)
    best, best_diff = (0, False), float("inf")
    for k in range(4):
        for mirrored in (False, True):
            candidate = np.rot90(thumb[:, ::-1] if mirrored else thumb, k)
            if abs(candidate.shape[0] / candidate.shape[1] - guide.shape[0] / guide.shape[1]) \
                    > 0.1 * guide.shape[0] / guide.shape[1]:
                continue
            small = cv2.resize(np.ascontiguousarray(candidate), (guide.shape[1], guide.shape[0]),
                               interpolation=cv2.INTER_AREA)
            diff = float(np.abs(small.astype(np.float32) - guide).mean())
            if diff < best_diff:
                best, best_diff = (k, mirrored), diff
    k, mirrored = best
    return np.ascontiguousarray(np.rot90(gray[:, ::-1] if mirrored else gray, k))


def _embedded_gray(doc, xref: int) -> np.ndarray | None:
    """An embedded image's pixels as grey, decoded once: a plain JPEG straight to grey
    (libjpeg skips the colour), anything else through MuPDF."""
    import pymupdf

    filters = doc.xref_get_key(xref, "Filter")[1]
    colour = doc.xref_get_key(xref, "ColorSpace")[1]
    if filters in ("/DCTDecode", "[/DCTDecode]") and doc.xref_get_key(xref, "Decode")[0] == "null" \
            and "CMYK" not in colour and "Indexed" not in colour:
        gray = cv2.imdecode(np.frombuffer(doc.xref_stream_raw(xref), np.uint8),
                            cv2.IMREAD_GRAYSCALE)
        if gray is not None:
            return gray
    try:
        pix = pymupdf.Pixmap(doc, xref)
        if pix.alpha:
            pix = pymupdf.Pixmap(pix, 0)
        if pix.colorspace is None or pix.colorspace.n != 1:
            pix = pymupdf.Pixmap(pymupdf.csGRAY, pix)
    except (RuntimeError, ValueError, TypeError):
        return None
    if pix.n != 1:
        return None
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
