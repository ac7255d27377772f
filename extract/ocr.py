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

from extract.types import Line


@dataclass(frozen=True)
class OcrWord:
    text: str
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    confidence: float  # 0–1
    line_key: tuple[int, int, int]  # (block, paragraph, line) as the engine grouped them


DIGITS = "0123456789.,%-"


class OcrEngine(Protocol):
    name: str

    def recognize(self, image_png: bytes, lang: str, digits: bool = False) -> list[OcrWord]:
        """Words of the image; ``digits`` restricts the alphabet to numbers (value columns)."""
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
                  digits: bool = False) -> list[OcrWord]:
        import pytesseract
        from PIL import Image

        config = f"--oem 1 --psm {self.psm}"
        if digits:
            config += f" -c tessedit_char_whitelist={DIGITS}"
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


class CachedEngine:
    """Replays results stored by image hash; records with ``inner`` when one is given."""

    name = "cached"

    def __init__(self, directory: Path, inner: OcrEngine | None = None):
        self.directory = Path(directory)
        self.inner = inner

    def _path(self, image_png: bytes, lang: str, digits: bool) -> Path:
        key = hashlib.sha256(image_png).hexdigest()[:24]
        return self.directory / f"{key}.{lang}{'.digits' if digits else ''}.json"

    def recognize(self, image_png: bytes, lang: str = "vie",
                  digits: bool = False) -> list[OcrWord]:
        path = self._path(image_png, lang, digits)
        if path.exists():
            return [OcrWord(w["text"], tuple(w["bbox"]), w["confidence"], tuple(w["line_key"]))
                    for w in json.loads(path.read_text(encoding="utf-8"))]
        if self.inner is None:
            raise OcrError(f"no cached OCR for this page ({path.name})")
        words = self.inner.recognize(image_png, lang, digits)
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([asdict(w) for w in words], ensure_ascii=False),
                        encoding="utf-8")
        return words


class FailingEngine:
    """Fails on chosen pages (1-based call order) — for tests of per-page error handling."""

    name = "failing"

    def __init__(self, inner: OcrEngine, fail_calls: set[int]):
        self.inner, self.fail_calls, self.calls = inner, fail_calls, 0

    def recognize(self, image_png: bytes, lang: str = "vie",
                  digits: bool = False) -> list[OcrWord]:
        if not digits:  # count pages, not the value-column passes
            self.calls += 1
            if self.calls in self.fail_calls:
                raise OcrError("injected failure")
        return self.inner.recognize(image_png, lang, digits)


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
                          round(sum(w.confidence for w in group) / len(group), 3)))
    return lines
