"""Tesseract in-process, through its C API (``libtesseract``) and ctypes.

The command line costs a process start, a model load and a PNG encode/decode per call; the API
loads each model once per worker process and reads numpy images as they are, and one page image
can be read region by region (``SetRectangle``) — a cell costs only its own recognition. The
engine is the same Tesseract, with the same settings, as ``tesseract`` on the command line.

Handles live in a per-process cache (never pickled): page workers are forked processes, and a
handle made in one process is never used in another.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
from functools import lru_cache

import numpy as np

_LIB_NAMES = ("libtesseract.so.5", "libtesseract.so", "libtesseract.so.4")
_LEPTONICA_NAMES = ("lept", "leptonica")
LEPTONICA_SEVERITY_NONE = 6  # Leptonica prints none of its messages
OEM_LSTM_ONLY = 1  # as ``--oem 1``
OEM_LEGACY = 0  # orientation detection (the ``osd`` model) runs on the legacy engine


@lru_cache(maxsize=1)
def library() -> ctypes.CDLL | None:
    """libtesseract, or None where it cannot be loaded (the command line is used then)."""
    names = list(_LIB_NAMES)
    found = ctypes.util.find_library("tesseract")
    if found:
        names.insert(0, found)
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        p = ctypes.c_void_p
        lib.TessBaseAPICreate.restype = p
        lib.TessBaseAPIInit2.argtypes = [p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        lib.TessBaseAPIInit2.restype = ctypes.c_int
        lib.TessBaseAPISetVariable.argtypes = [p, ctypes.c_char_p, ctypes.c_char_p]
        lib.TessBaseAPISetVariable.restype = ctypes.c_int
        lib.TessBaseAPISetPageSegMode.argtypes = [p, ctypes.c_int]
        lib.TessBaseAPISetImage.argtypes = [p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                            ctypes.c_int, ctypes.c_int]
        lib.TessBaseAPISetSourceResolution.argtypes = [p, ctypes.c_int]
        lib.TessBaseAPISetRectangle.argtypes = [p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_int]
        lib.TessBaseAPIRecognize.argtypes = [p, p]
        lib.TessBaseAPIRecognize.restype = ctypes.c_int
        lib.TessBaseAPIGetTsvText.argtypes = [p, ctypes.c_int]
        lib.TessBaseAPIGetTsvText.restype = ctypes.c_void_p
        lib.TessBaseAPIClear.argtypes = [p]
        lib.TessBaseAPIEnd.argtypes = [p]
        lib.TessBaseAPIDelete.argtypes = [p]
        lib.TessDeleteText.argtypes = [ctypes.c_void_p]
        lib.TessBaseAPIDetectOrientationScript.argtypes = [
            p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_float),
            ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_float)]
        lib.TessBaseAPIDetectOrientationScript.restype = ctypes.c_int
        _quiet_leptonica()
        return lib
    return None


def _quiet_leptonica() -> None:
    """Leptonica, under Tesseract, prints its own complaints (``Error in boxClipToRectangle:
    box outside rectangle``) about pages it reads anyway; they are not for the user."""
    for name in _LEPTONICA_NAMES:
        found = ctypes.util.find_library(name)
        if found:
            try:
                ctypes.CDLL(found).setMsgSeverity(LEPTONICA_SEVERITY_NONE)
            except (OSError, AttributeError):
                continue
            return


class TessError(RuntimeError):
    pass


class TessApi:
    """One initialised Tesseract (a language), reading numpy grey images."""

    def __init__(self, lang: str):
        lib = library()
        if lib is None:
            raise TessError("libtesseract not found")
        self.lib, self.lang = lib, lang
        self.handle = lib.TessBaseAPICreate()
        datapath = os.environ.get("TESSDATA_PREFIX")
        oem = OEM_LEGACY if lang == "osd" else OEM_LSTM_ONLY
        if lib.TessBaseAPIInit2(self.handle, datapath.encode() if datapath else None,
                                lang.encode(), oem) != 0:
            lib.TessBaseAPIDelete(self.handle)
            raise TessError(f"cannot load Tesseract language {lang!r}")
        # Tesseract's chatter ("Detected 451 diacritics", OSD's "Invalid resolution 0 dpi")
        # is not for the user; failures come back as return codes
        lib.TessBaseAPISetVariable(self.handle, b"debug_file", b"/dev/null")
        self._image: np.ndarray | None = None
        self._whitelist = ""

    def set_image(self, gray: np.ndarray, ppi: int = 300) -> None:
        """The image later ``recognize`` calls read (kept alive here: Tesseract copies it, but
        only when it thresholds)."""
        image = np.ascontiguousarray(gray, dtype=np.uint8)
        self._image = image
        h, w = image.shape
        self.lib.TessBaseAPISetImage(self.handle, image.ctypes.data, w, h, 1, image.strides[0])
        self.lib.TessBaseAPISetSourceResolution(self.handle, ppi)

    def recognize(self, psm: int = 6, rect: tuple[int, int, int, int] | None = None,
                  whitelist: str = "") -> str:
        """TSV (as ``tesseract … tsv``) of the image, or of ``rect`` = (x0, y0, x1, y1) in it."""
        if self._image is None:
            raise TessError("no image set")
        lib = self.lib
        if whitelist != self._whitelist:
            lib.TessBaseAPISetVariable(self.handle, b"tessedit_char_whitelist", whitelist.encode())
            self._whitelist = whitelist
        lib.TessBaseAPISetPageSegMode(self.handle, psm)
        if rect is not None:
            h, w = self._image.shape
            x0, y0 = max(0, int(rect[0])), max(0, int(rect[1]))
            x1, y1 = min(w, int(rect[2])), min(h, int(rect[3]))
            if x1 <= x0 or y1 <= y0:
                return ""
            lib.TessBaseAPISetRectangle(self.handle, x0, y0, x1 - x0, y1 - y0)
        if lib.TessBaseAPIRecognize(self.handle, None) != 0:
            raise TessError("tesseract recognition failed")
        ptr = lib.TessBaseAPIGetTsvText(self.handle, 0)
        if not ptr:
            return ""
        try:
            return ctypes.string_at(ptr).decode("utf-8", errors="replace")
        finally:
            lib.TessDeleteText(ptr)

    def orientation(self) -> tuple[int, float]:
        """Tesseract's orientation and script detection (OSD) on the image set: the page's
        text is turned this many degrees counter-clockwise (0, 90, 180, 270), and how sure
        OSD is of it. Needs the ``osd`` model (``api("osd")``)."""
        if self._image is None:
            raise TessError("no image set")
        degrees, confidence = ctypes.c_int(0), ctypes.c_float(0)
        script, script_confidence = ctypes.c_char_p(), ctypes.c_float(0)
        if not self.lib.TessBaseAPIDetectOrientationScript(
                self.handle, ctypes.byref(degrees), ctypes.byref(confidence),
                ctypes.byref(script), ctypes.byref(script_confidence)):
            raise TessError("orientation could not be detected")
        return degrees.value, confidence.value

    def close(self) -> None:
        if self.handle:
            self.lib.TessBaseAPIEnd(self.handle)
            self.lib.TessBaseAPIDelete(self.handle)
            self.handle = None


_APIS: dict[tuple[int, str], TessApi] = {}


def api(lang: str) -> TessApi:
    """This process's Tesseract for ``lang`` (made on first use)."""
    key = (os.getpid(), lang)
    if key not in _APIS:
        _APIS[key] = TessApi(lang)
    return _APIS[key]


@atexit.register
def _close_all() -> None:
    for key in list(_APIS):
        if key[0] == os.getpid():
            _APIS.pop(key).close()


def available() -> bool:
    return library() is not None


def parse_tsv(tsv: str, dx: float = 0, dy: float = 0):
    """Rows of a Tesseract TSV as (text, (x0, y0, x1, y1), confidence 0–1, (block, par, line)),
    words only, boxes shifted by (dx, dy)."""
    out = []
    for row in tsv.splitlines():
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5":
            continue
        text = parts[11]
        if not text.strip():
            continue
        try:
            x, y, w, h = (int(v) for v in parts[6:10])
            conf = float(parts[10])
        except ValueError:
            continue
        out.append((text, (x + dx, y + dy, x + w + dx, y + h + dy), max(0.0, conf) / 100,
                    (int(parts[2]), int(parts[3]), int(parts[4]))))
    return out
