"""Reading printed row labels (STT) through OCR confusions.

A label is evidence, never proof: ``101`` may be 1.2.1 whose middle ``.2.`` became ``0``;
``Z25`` may be 7.5.1. ``label_score`` says how well a printed token supports a catalog row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

_DATA = Path(__file__).parent / "data" / "label_confusions.json"


@lru_cache(maxsize=1)
def _char_map() -> dict[str, str]:
    return json.loads(_DATA.read_text(encoding="utf-8"))["char"]


@dataclass(frozen=True)
class LabelReading:
    printed: str
    normalized: str  # confusions applied, e.g. "Z25" → "725", ">1.1" → "51.1"
    digits: str  # digits only: "51.1" → "511"

    @property
    def dotted(self) -> str:
        return self.normalized.strip(".")


def read_label(token: str) -> LabelReading:
    token = token.strip().strip("|")
    table = _char_map()
    normalized = "".join(ch if ch.isdigit() or ch == "." else table.get(ch, "") for ch in token)
    normalized = re.sub(r"\.{2,}", ".", normalized)
    return LabelReading(token, normalized, re.sub(r"\D", "", normalized))


def label_score(reading: LabelReading, row: str) -> tuple[float, str]:
    """How strongly a printed label supports catalog row ``row`` (``"3.2.1"``).

    Returns (score 0–1, how): ``exact`` (1.0), ``confusion`` (0.85, equal after mapping
    look-alikes and lost dots), ``near`` (0.2–0.5, one or two digits off), ``none`` (0).
    Unnumbered rows (``3.2.1.a``) and roman sections never take a label.
    """
    if not row or not row[0].isdigit() or row[-1].isalpha():
        return 0.0, "none"
    if reading.printed.rstrip(".") == row:
        return 1.0, "exact"
    row_digits = row.replace(".", "")
    if reading.dotted == row or (reading.digits == row_digits and len(row_digits) >= 2):
        return 0.85, "confusion"
    if not reading.digits:
        return 0.0, "none"
    distance = Levenshtein.distance(reading.digits, row_digits)
    if distance == 1 and len(row_digits) >= 2:
        return (0.5 if len(row_digits) >= 3 else 0.35), "near"
    if distance == 2 and len(row_digits) >= 3 and reading.digits[0] == row_digits[0]:
        return 0.2, "near"
    return 0.0, "none"
