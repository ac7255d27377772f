"""Rows of text: tables with hard line breaks (PDF text layers and OCR dumps), and cells.

Each line of a ``lined`` table (``extract.tables``) is split into its printed label (first
token, when it looks like an STT) and its body; the catalog aligner decides which lines make
up which row. ``split_row`` then separates a row's text into description, unit, value and note,
using what the catalog says the row should hold; ``clean_value_cell`` reads a value cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.tables import clean_cell, looks_like_label
from extract.types import Line
from normalize.fold import fold
from normalize.numbers import parse_vn_number

TRONG_DO_WORDS = {"trong", "tron", "rong", "do"}  # "Trong đó" cell, whole or as OCR splits it
NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)*%?$")


@dataclass
class LineParts:
    """A line split into its leading label (if any) and the rest."""

    line: Line
    label: str | None
    body: str
    trong_do: bool = False
    # where the "Trong đó" cell shows: "open" (a line of its own, before its group), "trong"
    # (its first word beside a child's text), "do" (its second word beside a child's text)
    trong_do_at: str | None = None


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
    elif tokens and fold(tokens[0].strip("|")) in TRONG_DO_WORDS:
        trong_do = True
        word = "do" if fold(tokens[0].strip("|")) == "do" else "trong"
        tokens = tokens[1:]
        if tokens and fold(tokens[0].strip("|")) in {"do", "g do"}:
            tokens = tokens[1:]
    elif len(tokens) >= 2 and tokens[0] == "g" and fold(tokens[1].strip("|")) == "do":
        trong_do = True  # "Tron" / "g do": the merged cell's text split by OCR
        word = "do"
        tokens = tokens[2:]
    body = " ".join(tokens).strip(" |")
    return LineParts(line=line, label=label, body=body, trong_do=trong_do,
                     trong_do_at=None if not trong_do else "open" if not body else word)


@dataclass
class RowText:
    """What ``split_row`` found in a row's lines."""

    description: str
    unit: str | None
    value: str | None
    note: str | None
    reasons: list[str] = field(default_factory=list)
    more_values: list[str] = field(default_factory=list)  # per-year tables: the next cells


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"\s+|\|", text) if t]


_DIGIT_LOOKALIKES = str.maketrans("06135", "ooais")


def _digits_as_letters(token: str) -> str:
    """A word OCR'd with digits for letters read back as letters (``d6éng`` → ``doéng``);
    numbers and words without letters stay as they are."""
    if not re.search(r"[^\W\d_]", token) or not re.search(r"\d", token):
        return token
    return token.translate(_DIGIT_LOOKALIKES)


def _codes(codebook: dict[str, str]) -> set[str]:
    return set(codebook) | {c.lstrip("0") for c in codebook}


_SEMICOLON_DECIMAL = re.compile(r"^\d+;\d{1,2}%?$")  # "12;9": the decimal comma misread


def _trim_number(token: str) -> str:
    """A number with a stray dot or comma stuck to it (``33,3.``) → the number; a decimal
    comma OCR'd as a semicolon (``12;9``) → ``12,9`` (the row is flagged, see split_row)."""
    if token[-1:] in ".," and NUMBER.match(token[:-1]):
        return token[:-1]
    if _SEMICOLON_DECIMAL.match(token):
        return token.replace(";", ",", 1)
    return token


def _word_key(token: str) -> str:
    return fold(token).replace(" ", "")


def _matches_word(token: str, words: set[str], min_fuzzy: int = 5) -> bool:
    key = _word_key(token)
    if not key:
        return False
    if key in words:
        return True
    if len(key) >= min_fuzzy:
        for w in words:
            if len(w) >= min_fuzzy and abs(len(w) - len(key)) <= 1 and _one_edit(key, w):
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
              codebook: dict[str, str] | None, periods: int = 1,
              own_line: int | None = None) -> RowText:
    """Separate a row's text (label already removed) into description, unit, value and note.

    Reading left to right, the description's own words and numbers (``2021 - 2025``,
    ``năm 2015``) are description; the unit is recognised from the catalog's unit; the first
    other number is the value; what follows it is the note.
    ``["Tỷ lệ DVC ... (Toàn trình + % 29.3% 12/41 TTHC", "Một phần)"]`` → value ``29.3%``,
    note ``12/41 TTHC``. ``own_line``: which body printed the row's label, when one did (a line
    above it that starts with a number is a note's; the label's own line is the row's).
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
    more_values: list[str] = []

    def is_unit(tok: str) -> bool:
        return bool(unit_words) and (_matches_word(tok, unit_words, min_fuzzy=2)
                                     or tok == (unit or "").strip()
                                     or _matches_word(_digits_as_letters(tok), unit_words,
                                                      min_fuzzy=3))

    bodies = _join_broken_codes(bodies)
    raw_lines = [_tokens(_strip_codebook(body, book_words)) for body in bodies]
    semicolon_read = {t.replace(";", ",", 1) for tokens in raw_lines for t in tokens
                      if _SEMICOLON_DECIMAL.match(t)}
    token_lines = [[_trim_number(t) for t in tokens] for tokens in raw_lines]
    # a number printed right after the unit cell is the value, even on a later line than
    # some other number (``... ra 08 TTHC`` / ``Văn bản 2``: 08 is the note's)
    anchors = [_unit_anchored_value(tokens, is_unit, unit) for tokens in token_lines]
    anchored_line = next((n for n, a in enumerate(anchors) if a is not None), None)
    codes = _codes(codebook) if codebook else set()
    for n, tokens in enumerate(token_lines):
        if value is not None:
            # after the value: the unit cell and the description's own numbers may still
            # wrap onto these lines; description words continue the description; the rest
            # is note
            if not note_parts:
                tokens = [t for t in tokens if not (is_unit(t) or t == "%" or t.strip("()")
                                                    in desc_numbers)]
            if tokens and sum(_matches_word(t, desc_words) for t in tokens) >= 0.5 * len(
                    tokens):
                desc_parts.extend(tokens)
            else:
                note_parts.extend(tokens)
            continue
        v = anchors[n]
        before_anchor = anchored_line is not None and n < anchored_line
        for i, tok in enumerate(tokens if v is None and not before_anchor else []):
            if len(tokens) > 1 and (tok.strip("()") in desc_numbers
                                    or tok.rstrip(").,") in desc_numbers):
                continue  # the description's own number; a number alone on a line is a cell
            if re.fullmatch(r"[9g]%", tok) and unit == "%" and not unit_parts:
                continue  # most likely the % unit itself, misread (flagged below)
            if tok in {"9", "g"} and unit == "%" and i + 1 < len(tokens) and NUMBER.match(
                    tokens[i + 1]):
                reasons.append("value-position-uncertain")  # "9 42": the % unit read as 9?
                continue
            numeric = NUMBER.match(tok) and parse_vn_number(tok) is not None
            garbled = not numeric and i and is_unit(tokens[i - 1]) and _garbled_number(tok)
            if not (numeric or garbled):
                continue
            following = tokens[i + 1: i + 3]
            if len(following) == 2 and all(_matches_word(t, desc_words) for t in following):
                continue  # a misread letter inside the description ("Ty 16 thuc hien")
            head_words = [t for t in tokens[:i] if _matches_word(t, desc_words) or is_unit(t)]
            rest_words = [t for t in tokens[i + 1:] if re.match(r"^[^\W\d_]{2,}", t)]
            if not head_words and not desc_parts and not unit_parts and rest_words and (
                    own_line is None or n < own_line):
                break  # a note line above the row's own line ("Trong d6 c6 29 TTHC ...")
            v = i
            break
        if v is None:
            n_desc = sum(_matches_word(t, desc_words) or is_unit(t) for t in tokens)
            if tokens and n_desc >= 0.5 * len(tokens) and not note_parts:
                for t in tokens:
                    (unit_parts if is_unit(t) and not _matches_word(t, desc_words)
                     else desc_parts).append(t)
            else:
                note_parts.extend(tokens)
            continue
        if codes and NUMBER.match(tokens[v]) and tokens[v].lstrip("0") not in codes:
            # a code row: a number out of the code book next to one in it ("4 0") is junk
            inside = next((j for j in range(v + 1, min(v + 3, len(tokens)))
                           if NUMBER.match(tokens[j]) and tokens[j] in codes), None)
            if inside is not None:
                tokens = tokens[:v] + tokens[inside:]
                reasons.append("value-position-uncertain")
        head, token, rest = tokens[:v], tokens[v], tokens[v + 1:]
        k = len(head)
        while k > 0 and (is_unit(head[k - 1]) or head[k - 1] in {"|", "%"}) and len(head) - k < 4:
            k -= 1
        if k < len(head):
            unit_parts.extend(t for t in head[k:] if t != "|")
        desc_parts.extend(head[:k])
        last_desc = max((j for j, t in enumerate(head[:k]) if _matches_word(t, desc_words)),
                        default=-1)
        junk = [t for t in head[last_desc + 1:k] if re.search(r"\w", t)]
        if junk and (last_desc >= 0 or desc_parts):
            reasons.append("value-position-uncertain")
        elif periods == 1 and rest and NUMBER.match(rest[0]) and not re.match(r"\d+/", rest[0]):
            reasons.append("value-position-uncertain")  # "1 100": which one is the value?
        if token in semicolon_read:
            reasons.append("number-format-ambiguous")
        if NUMBER.match(token):
            value = token
            if not rest and re.fullmatch(r"\d+", token) and raw_lines[n][-1:] == [token + ","]:
                reasons.append("value-cut")  # "46204," ends its line: ",81" may be below
            if note_parts:
                reasons.append("value-on-continuation-line")
            while periods > 1 and rest and (NUMBER.match(rest[0]) or rest[0] in {"-", "x"}):
                more_values.append(rest.pop(0))  # per-year tables: the next period's cells
        else:
            reasons.append("value-garbled")
            note_parts.append(token)
            value = None
        if rest and value is not None and re.match(r"^[^\W\d_]{2,}", rest[0]):
            reasons.append("value-note-adjacent")
        note_parts.extend(rest)
        if value is None:
            value = ""  # a garbled value: stop looking for one on later lines
    if value == "":
        value = None
    if value is not None and unit_words and not unit_parts:
        reasons.append("value-without-unit")  # no unit cell seen: is the number the value?
    if value is None and unit == "%" and any(re.fullmatch(r"[9g]%", t) for t in note_parts):
        reasons.append("value-ambiguous")  # "9%": the % unit misread, or a value of 9 %?
    elif value is None and note_parts and "value-garbled" not in reasons and all(
            len(t) <= 4 and not _matches_word(t, desc_words) for t in note_parts):
        reasons.append("value-garbled")  # only scraps where a value or note would stand
    note = " ".join(note_parts).strip(" |") or None
    return RowText(
        description=" ".join(desc_parts).strip(" |"),
        unit=" ".join(unit_parts) or None,
        value=value,
        note=note,
        reasons=reasons,
        more_values=more_values,
    )


def _unit_anchored_value(tokens: list[str], is_unit, unit: str | None) -> int | None:
    """Index of a number printed right after the unit cell (``... % 100``, ``Vi ban 100``):
    in OCR text the value column follows the unit column, whatever junk came before."""
    for j in range(len(tokens) - 1, 0, -1):
        prev, tok = tokens[j - 1], tokens[j]
        if NUMBER.match(tok) and parse_vn_number(tok) is not None and (
                is_unit(prev) or (prev == "%" and (unit or "").strip() == "%")):
            return j
    return None


def clean_value_cell(text: str) -> tuple[str | None, bool]:
    """A value cell read by OCR: its one number, and whether scraps had to be dropped around it
    (``| 19 .`` → ``19``, True). Several numbers, or none, give (None, True) unless the cell is
    empty."""
    text = text.strip()
    if not text:
        return None, False
    if NUMBER.match(text):
        return text, False
    rejoined = re.sub(r"(?<=\d[.,])\s+(?=\d)", "", text)  # "24990,\n35" wrapped in its cell
    if NUMBER.match(rejoined):
        return rejoined, False
    numbers = [t.strip("-–—_|.,:;'\"`") for t in text.split()]
    numbers = [t for t in numbers if NUMBER.match(t)]
    if len(numbers) == 1:
        return numbers[0], True
    return None, True


def _join_broken_codes(bodies: list[str]) -> list[str]:
    """``Hoàn thành =`` / ``1`` — a code-book entry wrapped after its ``=``: rejoin it."""
    out = list(bodies)
    for i in range(len(out) - 1):
        nxt = out[i + 1].split(maxsplit=1)
        if out[i].rstrip().endswith("=") and nxt and nxt[0].isdigit():
            out[i] = f"{out[i].rstrip()} {nxt[0]}"
            out[i + 1] = nxt[1] if len(nxt) > 1 else ""
    return out


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


def _garbled_number(token: str) -> bool:
    """A short token mixing digit look-alikes and junk where a value should be (``Z``,
    ``(;12}2¢m``): OCR lost the number. Not a word OCR'd with a digit for an accented letter
    (``s6`` = số, ``d3`` = đã, ``t6`` = tổ, ``1a`` = là)."""
    if re.match(r"^[A-Za-z]{1,4}\d[A-Za-z]{0,3}[.,;:)]?$", token) or re.match(
            r"^\d[a-z]{1,4}$", token):
        return False
    if len(token) > 8:
        return any(ch.isdigit() for ch in token[:3]) and not token[:3].isalpha()
    return bool(re.search(r"[\dZz¢§]", token)) and not NUMBER.match(token) and not \
        re.match(r"^\d+/\d+", token)
