"""Which 8-bit encoding a font name stands for, and text typed in such a font read as Unicode.

Legacy Vietnamese documents were typed with fonts that draw Vietnamese letters at the codes of
Latin-1 letters: the ``.VnTime`` family (TCVN3/ABC), ``VNI-Times`` (VNI), VPS and VISCII fonts.
A Word run or an Excel cell keeps its font name, so its encoding is known without guessing:
``.VnTime`` → TCVN3; ``.VnTimeH`` → TCVN3 capitals (the same codes, drawn as capitals);
``VNI-*`` → VNI. The table is data (``data/fonts.json``); a name it does not know (``Times New
Roman``) says nothing, and the caller falls back to content detection
(:func:`normalize.encodings.repair_encoding`).

    >>> encoding_for_font(".VnTimeH"), encoding_for_font("VNI-Times"), encoding_for_font("Arial")
    ('tcvn3-capitals', 'vni', None)
    >>> decode_font_text("Céng hßa", "tcvn3-capitals")
    'CỘNG HÒA'

A PDF text layer gives some of these codes as its producer's substitutes (U+2212 for TCVN3's
``ư``): :func:`legacy_lookalikes` maps them back before decoding.

    >>> decode_font_text(legacy_lookalikes("n\u2212íc"), encoding_for_font("CCBOEA+.VnTime"))
    'nước'
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path

from normalize.encodings import (
    SLOPPY_1252,
    compose_nfc,
    decode_bytes,
    decode_tcvn3,
    decode_vni,
    text_value,
)

FONTS_PATH = Path(__file__).parent / "data" / "fonts.json"
#: Encodings a font can name, as :func:`encoding_for_font` gives them.
FONT_ENCODINGS = ("tcvn3", "tcvn3-capitals", "vni", "vps", "viscii")
#: Syllable score (:func:`normalize.encodings.text_value`) by which another reading must beat
#: the font's before the text is read otherwise.
FONT_DOUBT_MARGIN = 2.0
#: A decoding whose score reaches this share of its word count reads well: not doubted.
FONT_TRUSTED_SHARE = 0.9
# The other readings a font's text is checked against: TCVN3 and VNI fonts are mixed up (a
# document converted from VNI keeps its TCVN3 font name), and text typed in Unicode keeps the
# legacy font of its style.
_ALTERNATIVES = {"tcvn3": ("vni",), "tcvn3-capitals": ("vni",), "vni": ("tcvn3",)}
# Symbol-font code points: Word stores a character of a font without a Unicode cmap at
# U+F000 + its byte (``.VnTime`` text pasted from some converters arrives so).
_SYMBOL_AREA = re.compile("[\uf020-\uf0ff]")
# Characters Windows-1258 gives some bytes that Windows-1252 does not: a reader that maps a
# font declared with the Vietnamese charset through it gives TCVN3's "chÝnh" as "chƯnh".
_CP1258_ONLY = re.compile("[ĂăĐđƠơƯư₫\u0300\u0301\u0303\u0309\u0323]")
# Letters no 8-bit font has: a run holding them was typed in Unicode, whatever its font says.
# (``â``, ``ê``, ``ô`` are Latin-1: TCVN3 and VNI look-alikes use them.)
_UNICODE_ONLY = re.compile("[ăđơưĂĐƠƯĩĨũŨ\u1ea0-\u1ef9]")


@cache
def _data() -> dict:
    return json.loads(FONTS_PATH.read_text(encoding="utf-8"))


@cache
def _rules() -> tuple[tuple[re.Pattern[str], ...], tuple[tuple[re.Pattern[str], str], ...]]:
    """The name parts to take off (case-sensitive: ``Bold`` is a style, ``bold`` no), and the
    families."""
    data = _data()
    return (tuple(re.compile(pattern) for pattern in data["strip"]),
            tuple((re.compile(rule["pattern"], re.IGNORECASE), rule["encoding"])
                  for rule in data["fonts"]))


@cache
def _pdf_substitutes() -> dict[int, str]:
    """PDF substitutes → the look-alike of their code (a ``str.translate`` table)."""
    table = {cp: code for cp, code in _data()["pdf_code_points"].items() if cp != "note"}
    return {int(cp, 16): bytes([int(code, 16)]).decode("latin-1") for cp, code in table.items()}


def _from_symbol_area(text: str) -> str:
    """Symbol-font code points (U+F000 + byte) back to the byte's look-alike."""
    return _SYMBOL_AREA.sub(lambda m: bytes([ord(m.group()) - 0xF000]).decode(SLOPPY_1252),
                            text)


def legacy_lookalikes(text: str) -> str:
    """Text a PDF producer extracted from a legacy font, its codes as Windows-1252
    look-alikes: the producer's substitutes (U+2212 for TCVN3's 0xAD) and private-use code
    points (U+F0B5) mapped back; any other character is kept."""
    return _from_symbol_area(text.translate(_pdf_substitutes()))


@lru_cache(maxsize=1024)
def encoding_for_font(name: str | None) -> str | None:
    """The encoding a font's glyphs draw (one of :data:`FONT_ENCODINGS`), or None when the
    name says nothing (a Unicode font, or one not in ``data/fonts.json``).

    >>> encoding_for_font(".VnArial NarrowH"), encoding_for_font("CCBOEA+.VnTime,Bold")
    ('tcvn3-capitals', 'tcvn3')
    >>> encoding_for_font("UVnTime") is None  # the Unicode edition of .VnTime
    True
    """
    if not name:
        return None
    strip, families = _rules()
    name = name.strip()
    for pattern in strip:
        name = pattern.sub("", name)
    for pattern, encoding in families:
        if pattern.search(name):
            return encoding
    return None


def typed_in_unicode(text: str) -> bool:
    """True when ``text`` holds a Vietnamese letter that no 8-bit font has (``ư``, ``ạ``):
    it was typed in Unicode, so a legacy font name on it is stale (documents converted to
    Unicode often keep their ``.VnTime`` styles). ``"Báo cáo"`` alone proves nothing."""
    return bool(_UNICODE_ONLY.search(text))


def read_font_text(text: str, encoding: str) -> tuple[str | None, str]:
    """Text typed in a font of ``encoding``, read by that encoding unless the text says
    otherwise: (the reading used, the text). The reading is None when the text reads best as
    it is (typed in Unicode: the caller leaves it to content detection), the other legacy
    encoding when it reads far better so (a VNI paragraph under a TCVN3 font name).

    >>> read_font_text("Thµnh phè", "tcvn3")
    ('tcvn3', 'Thành phố')
    >>> read_font_text("Caùc heä thoáng", "tcvn3")  # VNI, whatever the font says
    ('vni', 'Các hệ thống')
    >>> read_font_text("Báo cáo được", "tcvn3")  # Unicode, in a style left in .VnTime
    (None, 'Báo cáo được')
    >>> read_font_text("ChƯnh phñ", "tcvn3")  # its bytes mapped through Windows-1258
    ('tcvn3', 'Chính phủ')
    """
    undone = _from_cp1258(text)
    if undone is None and typed_in_unicode(text):
        return None, text
    lookalikes = text if undone is None else undone
    decoded = decode_font_text(lookalikes, encoding)
    if undone is None and (text.isascii() or text_value(decoded) >= FONT_TRUSTED_SHARE * len(
            text.split())):
        return encoding, decoded
    best, best_text, best_value = encoding, decoded, text_value(decoded) + FONT_DOUBT_MARGIN
    for other in (None, *_ALTERNATIVES.get(encoding, ())):
        other_text = text if other is None else decode_font_text(lookalikes, other)
        if text_value(other_text) > best_value:
            best, best_text, best_value = other, other_text, text_value(other_text)
    return (None if best_text == text else best), best_text


def _from_cp1258(text: str) -> str | None:
    """Text whose codes were mapped through Windows-1258 (a legacy font declared with the
    Vietnamese charset), back to the Windows-1252 look-alikes the code tables read; None when
    it shows no such mapping, or holds letters Windows-1258 cannot (typed in Unicode).

    >>> _from_cp1258("chƯnh phñ")
    'chÝnh phñ'
    """
    if not _CP1258_ONLY.search(text):
        return None
    try:
        return text.encode("cp1258").decode(SLOPPY_1252)
    except UnicodeEncodeError:
        return None


def decode_font_text(text: str, encoding: str) -> str:
    """Text typed in a font of ``encoding`` (its look-alike characters, as Word or LibreOffice
    give them through Windows-1252) → Unicode NFC.

    TCVN3 capitals fonts draw every letter as a capital, the codes of ``ộ`` and ``o`` too, so
    their text is decoded then put in capitals. TCVN3 text keeps the case restoration of
    :func:`normalize.encodings.decode_tcvn3`. ASCII stays ASCII in every one of them:

    >>> [decode_font_text(text, encoding) for text, encoding in [
    ...     ("Thµnh phè Hµ Néi", "tcvn3"), ("Vieät Nam", "vni"), ("Report 2005", "tcvn3-capitals")]]
    ['Thành phố Hà Nội', 'Việt Nam', 'REPORT 2005']
    """
    text = _from_symbol_area(text)
    if encoding in ("tcvn3", "tcvn3-capitals"):
        # "ưư" is never written: two soft hyphens (byte AD) are one "ư" and an optional
        # hyphen, which converters write alike
        text = re.sub("\u00ad{2,}", "\u00ad", text)
    if encoding == "tcvn3":
        return compose_nfc(decode_tcvn3(text))
    if encoding == "tcvn3-capitals":
        return "".join(c.upper() if len(c.upper()) == 1 else c
                       for c in compose_nfc(decode_tcvn3(text)))
    if encoding == "vni":
        return compose_nfc(decode_vni(text))
    if encoding in ("vps", "viscii"):
        return _decode_single_bytes(text, encoding)
    raise ValueError(f"unknown font encoding {encoding!r}; known: {', '.join(FONT_ENCODINGS)}")


def _decode_single_bytes(text: str, encoding: str) -> str:
    """VPS and VISCII give letters bytes of their own (control codes too): back to the bytes
    the font drew, then through the code page. Characters beyond Windows-1252 stay."""
    out: list[str] = []
    pending = bytearray()
    for char in text:
        try:
            pending += char.encode(SLOPPY_1252)
            continue
        except UnicodeEncodeError:
            pass
        if pending:
            out.append(decode_bytes(bytes(pending), encoding).text)
            pending.clear()
        out.append(char)
    if pending:
        out.append(decode_bytes(bytes(pending), encoding).text)
    return compose_nfc("".join(out))
