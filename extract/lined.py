"""Tables in text with hard line breaks: PDF text layers and OCR dumps.

A region is the text under an appendix heading (PHỤ LỤC / BẢNG SỐ / DANH MỤC). Each line is
split into its printed label (first token, when it looks like an STT) and its body; the
catalog aligner decides which lines make up which row. ``split_row`` then separates a row's
text into description, unit, value and note, using what the catalog says the row should hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.textdump import clean_cell
from extract.types import Line
from mapping.labels import looks_like_label
from normalize.fold import fold
from normalize.numbers import parse_vn_number

HEADING = re.compile(r"^(phu ?luc|bang ?so|danh ?muc)")
_TRONG_DO = {"trong", "do", "trong do", "de", "dé", "a6", "d6", "do:", "đó"}
NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)*%?$")
_CODE = re.compile(r"=\s*\d+")


@dataclass
class Region:
    heading: str
    lines: list[Line] = field(default_factory=list)

    @property
    def tabbed(self) -> bool:
        return sum("\t" in line.text for line in self.lines) >= 5


def table_regions(lines: list[Line]) -> list[Region]:
    """Split a document at appendix headings; text before the first heading is one region
    only when there is no heading at all (then the table may be anywhere)."""
    regions: list[Region] = []
    for line in lines:
        folded = fold(clean_cell(line.text))
        if len(line.text.strip()) < 90 and HEADING.match(folded) and "\t" not in line.text:
            regions.append(Region(heading=clean_cell(line.text)))
            continue
        if regions:
            regions[-1].lines.append(line)
    if not regions:
        regions.append(Region(heading="", lines=list(lines)))
    return regions


@dataclass
class LineParts:
    """A line split into its leading label (if any) and the rest."""

    line: Line
    label: str | None
    body: str
    trong_do: bool = False


def split_label(line: Line) -> LineParts:
    text = clean_cell(line.text.replace("\t", " | "))
    tokens = text.split()
    label = None
    trong_do = False
    while tokens and tokens[0] in {"|", "[", "]", "’", "‘", "'", ",", ".", "o"}:
        tokens = tokens[1:]
    if tokens and looks_like_label(tokens[0]):
        label = tokens[0].strip("|")
        tokens = tokens[1:]
    elif tokens and fold(tokens[0].strip("|")) in {"trong", "do"}:
        trong_do = True
        tokens = tokens[1:]
        if tokens and fold(tokens[0].strip("|")) == "do":
            tokens = tokens[1:]
    body = " ".join(tokens).strip(" |")
    return LineParts(line=line, label=label, body=body, trong_do=trong_do)


@dataclass
class RowText:
    """What ``split_row`` found in a row's lines."""

    description: str
    unit: str | None
    value: str | None
    note: str | None
    reasons: list[str] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"\s+|\|", text) if t]


def _word_key(token: str) -> str:
    return fold(token).replace(" ", "")


def _matches_word(token: str, words: set[str]) -> bool:
    key = _word_key(token)
    if not key:
        return False
    if key in words:
        return True
    if len(key) >= 5:
        for w in words:
            if len(w) >= 5 and abs(len(w) - len(key)) <= 1 and _one_edit(key, w):
                return True
    return False


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    if len(a) > len(b):
        a, b = b, a
    for i in range(len(b)):
        if b[:i] + b[i + 1:] == a:
            return True
    return False


def split_row(bodies: list[str], description: str, unit: str | None,
              codebook: dict[str, str] | None) -> RowText:
    """Separate a row's text (label already removed) into description, unit, value and note.

    The description's own words and numbers (``2021 - 2025``, ``năm 2015``) stay description;
    the unit is recognised from the catalog's unit; the value is the first number after the
    description on the row's lines; text after it is the note.
    ``["Tỷ lệ DVC ... (Toàn trình + % 29.3% 12/41 TTHC", "Một phần)"]`` → value ``29.3%``,
    note ``12/41 TTHC``.
    """
    desc_words = {_word_key(w) for w in _tokens(description)} - {""}
    desc_numbers = set(re.findall(r"\d+(?:[.,]\d+)?%?", description))
    unit_words = {k for k in (_word_key(w) for w in _tokens(unit or ""))
                  if k and not k.isdigit()} if not codebook else set()
    book_words: set[str] = set()
    for label in (codebook or {}).values():
        book_words |= {_word_key(w) for w in _tokens(label)}
    desc_parts: list[str] = []
    unit_parts: list[str] = []
    note_parts: list[str] = []
    value: str | None = None
    reasons: list[str] = []
    for line_index, body in enumerate(bodies):
        tokens = _tokens(_strip_codebook(body, book_words))
        # description span: up to the last description word, then its own numbers/punctuation
        last = -1
        for i, tok in enumerate(tokens):
            if _matches_word(tok, desc_words) and not NUMBER.match(tok):
                last = i
        end = last + 1
        while end < len(tokens) and (
            tokens[end].strip("()") in desc_numbers
            or tokens[end] in {"-", "+", "(", ")", "–", ","}
            or tokens[end].rstrip(").,") in desc_numbers
        ):
            end += 1
        head, tail = tokens[:end], tokens[end:]
        # a unit printed right after the description may have been swallowed by it
        if unit_words and head and not unit_parts:
            k = len(head)
            while k > 0 and _matches_word(head[k - 1], unit_words) and len(head) - k < 4:
                k -= 1
            if k < len(head) and k > 0 and _unit_like(head[k:], unit or ""):
                unit_parts.extend(head[k:])
                head = head[:k]
        desc_parts.extend(head)
        i = 0
        # unit at the start of the tail
        took_unit = bool(unit_parts)
        while i < len(tail) and not took_unit and (
            _matches_word(tail[i], unit_words) or (unit and tail[i] == unit.strip())
        ):
            unit_parts.append(tail[i])
            i += 1
        while i < len(tail) and (_CODE.search(tail[i]) or tail[i] == "=" or
                                 (book_words and _matches_word(tail[i], book_words))):
            i += 1  # code-book text printed in the unit column
        rest = tail[i:]
        if value is None and not unit_parts and len(rest) >= 3:
            # adapted wording before the unit: "... cấp xã - 0" where the template says "huyện"
            for j in range(1, min(3, len(rest) - 1)):
                if (_matches_word(rest[j], unit_words) or rest[j] == (unit or "").strip()) \
                        and NUMBER.match(rest[j + 1]):
                    desc_parts.extend(rest[:j])
                    unit_parts.append(rest[j])
                    rest = rest[j + 1:]
                    break
        if not rest:
            continue
        if value is None and NUMBER.match(rest[0]) and parse_vn_number(rest[0]) is not None:
            value = rest[0]
            if note_parts:  # the row's own line had note text but no value: a stray number?
                reasons.append("value-on-continuation-line")
            rest = rest[1:]
        elif value is None and _garbled_number(rest[0]):
            reasons.append("value-garbled")
            value = None
            note_parts.append(rest[0])
            rest = rest[1:]
        note_parts.extend(rest)
    note = " ".join(note_parts).strip(" |") or None
    return RowText(
        description=" ".join(desc_parts).strip(" |"),
        unit=" ".join(unit_parts) or None,
        value=value,
        note=note,
        reasons=reasons,
    )


def is_value_only(body: str, unit: str | None) -> bool:
    """A line that holds only a unit and/or a number (``DVC 18``, ``% 100``, ``Người 0``,
    ``2``): the value cell of the row above, wrapped below its description."""
    tokens = _tokens(body)
    if not tokens or not any(NUMBER.match(t) for t in tokens):
        return False
    unit_words = {_word_key(w) for w in _tokens(unit or "")}
    return all(NUMBER.match(t) or _word_key(t) in unit_words or t == "%" for t in tokens)


def _strip_codebook(body: str, book_words: set[str]) -> str:
    """Remove code-book text (``Trực tuyến = 0``, ``Khéng =0``) printed in the unit column."""
    if "=" not in body:
        return body
    tokens = _tokens(re.sub(r"=\s*(\d+)", r"=\1", body))
    keep = [True] * len(tokens)
    for i, tok in enumerate(tokens):
        if re.match(r"^=\d+$", tok) or tok == "=" or re.match(r"^\S+=\d+$", tok):
            keep[i] = False
            j = i - 1
            while j >= 0 and i - j <= 3 and (
                _word_key(tokens[j]) in book_words or _matches_word(tokens[j], book_words)
            ):
                keep[j] = False
                j -= 1
    return " ".join(t for t, k in zip(tokens, keep, strict=True) if k)


def _unit_like(tokens: list[str], unit: str) -> bool:
    return fold(" ".join(tokens)).replace(" ", "")[:4] == fold(unit).replace(" ", "")[:4]


def _garbled_number(token: str) -> bool:
    """A short token mixing digit look-alikes and junk where a value should be (``Z``,
    ``(;12}2¢m``): OCR lost the number."""
    if len(token) > 8:
        return any(ch.isdigit() for ch in token[:3]) and not token[:3].isalpha()
    return bool(re.search(r"[\dZz¢§]", token)) and not NUMBER.match(token) and not \
        re.match(r"^\d+/\d+", token)
