"""OCR engines behind one interface, as OCRmyPDF does: Tesseract built in, a cached/replaying
engine for fast tests, and a failing engine to prove errors stay per page.

An engine takes a page image (PNG bytes) and returns words with boxes and confidences; the
pure function ``words_to_lines`` turns those into ``Line`` records.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from extract.types import Line

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels


@dataclass(frozen=True)
class OcrWord:
    text: str
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    confidence: float  # 0–1
    line_key: tuple[int, int, int]  # (block, paragraph, line) as the engine grouped them


DIGITS = "0123456789.,%-"
LABEL_DIGITS = "0123456789."  # row numbers ("3.2.1.") in a table's STT column
OCR_VALUE_CONFIDENCE = 0.8  # Tesseract's word confidence for a value cell: below it, review
LAYOUT_PSM = 3  # a whole page: Tesseract finds its columns and blocks itself
LINE_TOLERANCE = 0.5  # words whose vertical centres differ by < half a line height share a line


def alphabet(digits: bool | str) -> str:
    """The whitelist a ``digits`` argument asks for: True → numbers, a string → itself,
    False → any character ("")."""
    return DIGITS if digits is True else digits if isinstance(digits, str) else ""


def _alphabet_tag(digits: bool | str) -> str:
    if digits is True:
        return ".digits"
    if isinstance(digits, str) and digits:
        return ".only-" + hashlib.sha256(digits.encode()).hexdigest()[:8]
    return ""


class OcrEngine(Protocol):
    name: str

    def recognize(self, image_png: bytes, lang: str, digits: bool | str = False) -> list[OcrWord]:
        """Words of the image; ``digits`` restricts the alphabet to numbers (value columns)."""
        ...

    def recognize_regions(self, image: np.ndarray, rects: list[Rect], lang: str,
                          digits: bool | str = False) -> list[list[OcrWord]]:
        """Words of each region of one grey image (boxes in image pixels); one call per page
        and alphabet, so an engine can set the image once and read region after region.
        ``digits``: True for numbers, or the characters allowed (see ``alphabet``)."""
        ...

    def recognize_page(self, image: np.ndarray, lang: str) -> list[OcrWord]:
        """Words of a whole grey page, its layout (columns, blocks) found by the engine: a
        page of prose, or a table without ruling lines."""
        ...

    def orientation(self, image: np.ndarray) -> tuple[int, float]:
        """How the text of a grey page image is turned: (0, 90, 180 or 270 degrees
        counter-clockwise, confidence); turning the image back by as much makes it upright."""
        ...


class OcrError(RuntimeError):
    """The engine could not read a page."""


class TesseractEngine:
    """Tesseract through pytesseract: LSTM engine, page segmentation 6 (a uniform block) by
    default, which keeps table rows on one line."""

    name = "tesseract"

    def __init__(self, psm: int = 6):
        self.psm = psm

    def recognize(self, image_png: bytes, lang: str = "vie",
                  digits: bool | str = False) -> list[OcrWord]:
        import pytesseract
        from PIL import Image

        config = f"--oem 1 --psm {self.psm}"
        if alphabet(digits):
            config += f" -c tessedit_char_whitelist={alphabet(digits)}"
        try:
            data = pytesseract.image_to_data(
                Image.open(io.BytesIO(image_png)), lang=lang, config=config,
                output_type=pytesseract.Output.DICT)
        except (pytesseract.TesseractError, OSError) as exc:
            raise OcrError(f"tesseract failed: {exc}") from exc
        words = []
        for i, text in enumerate(data["text"]):
            if not text.strip():
                continue
            x, y, w, h = data["left"][i], data["top"][i], data["width"][i], data["height"][i]
            conf = float(data["conf"][i])
            words.append(OcrWord(text, (x, y, x + w, y + h), max(0.0, conf) / 100,
                                 (data["block_num"][i], data["par_num"][i], data["line_num"][i])))
        return words

    def recognize_regions(self, image: np.ndarray, rects: list[Rect], lang: str = "vie",
                          digits: bool | str = False) -> list[list[OcrWord]]:
        """In-process through libtesseract (``extract.tessapi``): the image is set once and each
        region read on its own; without the library, each region goes to the command line."""
        from extract import tessapi

        if not tessapi.available():
            return _regions_by_png(self, image, rects, lang, digits)
        try:
            api = tessapi.api(lang)
            api.set_image(image)
            out = []
            for n, rect in enumerate(rects):
                tsv = api.recognize(self.psm, rect, alphabet(digits))
                out.append([OcrWord(text, box, conf, (n * 1000 + key[0], key[1], key[2]))
                            for text, box, conf, key in tessapi.parse_tsv(tsv)])
            return out
        except tessapi.TessError as exc:
            raise OcrError(f"tesseract failed: {exc}") from exc

    def recognize_page(self, image: np.ndarray, lang: str = "vie") -> list[OcrWord]:
        """The page with layout analysis (``--psm 3``), in-process where it can."""
        from extract import tessapi

        if not tessapi.available():
            import cv2

            ok, png = cv2.imencode(".png", image)
            return TesseractEngine(LAYOUT_PSM).recognize(png.tobytes(), lang)
        try:
            api = tessapi.api(lang)
            api.set_image(image)
            return [OcrWord(text, box, conf, key)
                    for text, box, conf, key in tessapi.parse_tsv(api.recognize(LAYOUT_PSM))]
        except tessapi.TessError as exc:
            raise OcrError(f"tesseract failed: {exc}") from exc

    def orientation(self, image: np.ndarray) -> tuple[int, float]:
        """Tesseract's orientation detection (the ``osd`` model), in-process where it can."""
        from extract import tessapi

        try:
            if tessapi.available():
                api = tessapi.api("osd")
                api.set_image(image)
                return api.orientation()
            import pytesseract
            from PIL import Image

            osd = pytesseract.image_to_osd(Image.fromarray(image),
                                           output_type=pytesseract.Output.DICT)
            return int(osd["orientation"]), float(osd["orientation_conf"])
        except (RuntimeError, OSError) as exc:  # TessError, pytesseract.TesseractError
            raise OcrError(f"orientation detection failed: {exc}") from exc


def _regions_by_png(engine: OcrEngine, image: np.ndarray, rects: list[Rect], lang: str,
                    digits: bool | str) -> list[list[OcrWord]]:
    """``recognize_regions`` for an engine that reads PNG images: each region cropped, encoded
    and read, its boxes moved back into page pixels."""
    import cv2

    out = []
    for n, (x0, y0, x1, y1) in enumerate(rects):
        ok, png = cv2.imencode(".png", image[y0:y1, x0:x1])
        words = engine.recognize(png.tobytes(), lang, digits)
        out.append([OcrWord(w.text, (w.bbox[0] + x0, w.bbox[1] + y0, w.bbox[2] + x0,
                                     w.bbox[3] + y0), w.confidence,
                            (n * 1000 + w.line_key[0], w.line_key[1], w.line_key[2]))
                    for w in words])
    return out


def _image_key(image: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(image).tobytes())
    digest.update(repr(image.shape).encode())
    return digest.hexdigest()[:24]


def _words_json(words: list[OcrWord]) -> list[dict]:
    return [asdict(w) for w in words]


def _words_from_json(rows: list[dict]) -> list[OcrWord]:
    return [OcrWord(w["text"], tuple(w["bbox"]), w["confidence"], tuple(w["line_key"]))
            for w in rows]


class CachedEngine:
    """Replays results stored by image hash; records with ``inner`` when one is given."""

    name = "cached"

    def __init__(self, directory: Path, inner: OcrEngine | None = None):
        self.directory = Path(directory)
        self.inner = inner

    def _path(self, image_png: bytes, lang: str, digits: bool | str) -> Path:
        key = hashlib.sha256(image_png).hexdigest()[:24]
        return self.directory / f"{key}.{lang}{_alphabet_tag(digits)}.json"

    def recognize(self, image_png: bytes, lang: str = "vie",
                  digits: bool | str = False) -> list[OcrWord]:
        path = self._path(image_png, lang, digits)
        if path.exists():
            return _words_from_json(json.loads(path.read_text(encoding="utf-8")))
        if self.inner is None:
            raise OcrError(f"no cached OCR for this page ({path.name})")
        words = self.inner.recognize(image_png, lang, digits)
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([asdict(w) for w in words], ensure_ascii=False),
                        encoding="utf-8")
        return words

    def recognize_regions(self, image: np.ndarray, rects: list[Rect], lang: str = "vie",
                          digits: bool | str = False) -> list[list[OcrWord]]:
        """One cache entry per call: the image, its regions, language and alphabet."""
        digest = hashlib.sha256(np.ascontiguousarray(image).tobytes())
        digest.update(repr((image.shape, [tuple(map(int, r)) for r in rects])).encode())
        path = self.directory / (f"{digest.hexdigest()[:24]}.{lang}"
                                 f"{_alphabet_tag(digits)}.regions.json")
        if path.exists():
            return [_words_from_json(ws) for ws in json.loads(path.read_text(encoding="utf-8"))]
        if self.inner is None:
            raise OcrError(f"no cached OCR for this page ({path.name})")
        regions = self.inner.recognize_regions(image, rects, lang, digits)
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([_words_json(ws) for ws in regions], ensure_ascii=False),
                        encoding="utf-8")
        return regions

    def recognize_page(self, image: np.ndarray, lang: str = "vie") -> list[OcrWord]:
        path = self.directory / f"{_image_key(image)}.{lang}.page.json"
        if path.exists():
            return _words_from_json(json.loads(path.read_text(encoding="utf-8")))
        if self.inner is None:
            raise OcrError(f"no cached OCR for this page ({path.name})")
        words = self.inner.recognize_page(image, lang)
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_words_json(words), ensure_ascii=False), encoding="utf-8")
        return words

    def orientation(self, image: np.ndarray) -> tuple[int, float]:
        path = self.directory / f"{_image_key(image)}.osd.json"
        if path.exists():
            degrees, confidence = json.loads(path.read_text(encoding="utf-8"))
            return int(degrees), float(confidence)
        if self.inner is None:
            raise OcrError(f"no cached orientation for this page ({path.name})")
        found = self.inner.orientation(image)
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(list(found)), encoding="utf-8")
        return found


class FailingEngine:
    """Fails on chosen pages (1-based call order) — for tests of per-page error handling."""

    name = "failing"

    def __init__(self, inner: OcrEngine, fail_calls: set[int]):
        self.inner, self.fail_calls, self.calls = inner, fail_calls, 0

    def recognize(self, image_png: bytes, lang: str = "vie",
                  digits: bool | str = False) -> list[OcrWord]:
        self._count(digits)
        return self.inner.recognize(image_png, lang, digits)

    def recognize_regions(self, image: np.ndarray, rects: list[Rect], lang: str = "vie",
                          digits: bool | str = False) -> list[list[OcrWord]]:
        self._count(digits)
        return self.inner.recognize_regions(image, rects, lang, digits)

    def recognize_page(self, image: np.ndarray, lang: str = "vie") -> list[OcrWord]:
        self._count(False)
        return self.inner.recognize_page(image, lang)

    def orientation(self, image: np.ndarray) -> tuple[int, float]:
        return self.inner.orientation(image)

    def _count(self, digits: bool | str) -> None:
        if not digits:  # count pages (one text call each), not the value-column passes
            self.calls += 1
            if self.calls in self.fail_calls:
                raise OcrError("injected failure")


def rows_by_centre(boxes: list[tuple[float, float, float, float]]) -> list[list[int]]:
    """Boxes (x0, y0, x1, y1) grouped into visual lines, top down, each left to right (as
    indexes): a box joins the line above when its vertical centre is within
    ``LINE_TOLERANCE`` of its own height from that line's mean centre. Cells of one table
    row, and the two columns of a letterhead, share a line."""
    order = sorted(range(len(boxes)), key=lambda i: ((boxes[i][1] + boxes[i][3]) / 2,
                                                      boxes[i][0]))
    rows: list[list[int]] = []
    centres: list[float] = []  # sum of the centres of each row's boxes
    for i in order:
        x0, y0, x1, y1 = boxes[i]
        centre, height = (y0 + y1) / 2, max(1.0, y1 - y0)
        if rows and abs(centre - centres[-1] / len(rows[-1])) < LINE_TOLERANCE * height:
            rows[-1].append(i)
            centres[-1] += centre
            continue
        rows.append([i])
        centres.append(centre)
    return [sorted(row, key=lambda i: boxes[i][0]) for row in rows]


def as_visual_lines(words: list[OcrWord]) -> list[OcrWord]:
    """Words with their line key set to their visual line, whatever block the engine put
    them in: the engine's lines side by side (the two columns of a letterhead) are one
    (``rows_by_centre`` over the lines' boxes), so a page read with layout analysis gives
    the lines a text layer gives. A line of the engine is never split (its words' boxes hug
    their ink: ``sao`` sits lower than ``Bản``)."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(words):
        lines.setdefault(word.line_key, []).append(i)
    groups = list(lines.values())
    boxes = [(min(words[i].bbox[0] for i in g), min(words[i].bbox[1] for i in g),
              max(words[i].bbox[2] for i in g), max(words[i].bbox[3] for i in g))
             for g in groups]
    out = list(words)
    for n, row in enumerate(rows_by_centre(boxes)):
        for i in (i for line in row for i in groups[line]):
            out[i] = OcrWord(words[i].text, words[i].bbox, words[i].confidence, (0, 0, n))
    return out


def words_to_lines(words: list[OcrWord], page: int, first_number: int,
                   scale: float = 1.0) -> list[Line]:
    """Group OCR words into lines in reading order; a line's confidence is its words' mean.
    ``scale`` converts pixel boxes to PDF points (72 / dpi)."""
    groups: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        groups.setdefault(word.line_key, []).append(word)
    ordered = sorted(groups.values(), key=lambda ws: (min(w.bbox[1] for w in ws),
                                                      min(w.bbox[0] for w in ws)))
    lines = []
    for offset, group in enumerate(ordered):
        group.sort(key=lambda w: w.bbox[0])
        box = (min(w.bbox[0] for w in group) * scale, min(w.bbox[1] for w in group) * scale,
               max(w.bbox[2] for w in group) * scale, max(w.bbox[3] for w in group) * scale)
        lines.append(Line(" ".join(w.text for w in group), page, first_number + offset, box,
                          round(sum(w.confidence for w in group) / len(group), 3),
                          word_confidences=tuple(
                              round(w.confidence, 3) for w in group for _ in w.text.split())))
    return lines
