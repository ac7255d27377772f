"""Vietnamese number notation: ``.`` groups thousands, ``,`` marks decimals."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A number as printed in a value cell: digits with . or , separators, optional % and sign.
NUMBER_TOKEN = re.compile(r"(?<![\w/])[-+]?\d+(?:[.,]\d+)*%?(?![\w/])")
_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_GROUPED_COMMA = re.compile(r"^\d{1,3}(?:,\d{3}){2,}$")


@dataclass(frozen=True)
class ParsedNumber:
    """A parsed number with what the parse had to assume."""

    value: float | int
    raw: str
    percent: bool = False
    ambiguous: bool = False  # both readings (thousands vs decimal) were plausible


def parse_vn_number(raw: str) -> ParsedNumber | None:
    """Parse one printed number the Vietnamese way.

    ``16.807`` → 16807 (dot groups thousands), ``98,37`` → 98.37 (comma is the decimal mark),
    ``17759,720212`` → 17759.720212, ``03`` → 3, ``80%`` → 80. A dot that cannot be a thousands
    separator (``29.3``, ``98.5``) is read as a decimal point, as OCR and English-trained typists
    print it. Returns None for text that is not a number (``12/41``, ``2021-2025``).

    >>> parse_vn_number("16.807").value
    16807
    >>> parse_vn_number("98,37").value
    98.37
    """
    text = raw.strip().replace(" ", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if not text or not re.fullmatch(r"\d+(?:[.,]\d+)*", text):
        return None
    ambiguous = False
    if _GROUPED.match(text):
        # 16.807 → thousands. A single group like 1.500 is still thousands in Vietnamese
        # documents, but an English-style decimal is possible: mark it.
        ambiguous = text.count(".") == 1
        number: float | int = int(text.replace(".", ""))
    elif _GROUPED_COMMA.match(text):
        number = int(text.replace(",", ""))
    elif text.count(",") == 1 and "." not in text:
        number = float(text.replace(",", "."))
    elif text.count(".") == 1 and "," not in text:
        number = float(text)
    elif "." in text and "," in text and text.count(max(".,", key=text.rfind)) > 1:
        return None  # both marks, and the last one (the decimal mark) more than once
    elif "." in text and "," in text and text.rfind(",") > text.rfind("."):
        # 1.234,5 → 1234.5
        number = float(text.replace(".", "").replace(",", "."))
    elif "." in text and "," in text:
        # 1,234.5 → 1234.5 (English notation)
        number = float(text.replace(",", ""))
    elif "." not in text and "," not in text:
        number = int(text)
    else:
        return None
    if isinstance(number, float) and number.is_integer() and not re.search(r"[.,]\d*[1-9]", text):
        number = int(number)
    return ParsedNumber(value=sign * number, raw=raw.strip(), percent=percent, ambiguous=ambiguous)
