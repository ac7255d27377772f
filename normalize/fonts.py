"""Legacy Vietnamese fonts: which encoding a font name stands for, and its text decoded.

Before Unicode, Vietnamese was typed in fonts whose 8-bit codes are the encoding: ``.VnTime``
(TCVN3/ABC), ``.VnTimeH`` (TCVN3 capitals), ``VNI-Times`` (VNI). A PDF text layer, a Word or
an Excel file keeps the codes and the font name, so the font says how to read each run of
text; reading the content (``normalize.encodings``) stays the fallback where it does not. The
knowledge is data (``data/fonts.json``), shared by every reader that sees font names.

    >>> font_encoding("CCBOEA+.VnTime")
    FontEncoding(encoding='tcvn3', capitals=False)
    >>> decode_font_text("n\\u2212íc", font_encoding(".VnTime"))
    'nước'
    >>> decode_font_text("c«ng hoµ", font_encoding("VnTimeHBold"))
    'CÔNG HOÀ'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from normalize.encodings import decode_tcvn3, decode_vni

FONTS_PATH = Path(__file__).parent / "data" / "fonts.json"


@dataclass(frozen=True)
class FontEncoding:
    """The encoding a legacy font's codes are in; ``capitals``: a TCVN3 capitals font."""

    encoding: str  # "tcvn3" or "vni"
    capitals: bool = False


@cache
def _table() -> dict:
    return json.loads(FONTS_PATH.read_text(encoding="utf-8"))


@cache
def _code_points() -> tuple[dict[int, str], int]:
    """PDF substitutes → the look-alike of their code, and the private-use base."""
    table = dict(_table()["pdf_code_points"])
    base = int(table.pop("private_use_base"), 16)
    table.pop("note")
    return {int(cp, 16): bytes([int(code, 16)]).decode("latin-1") for cp, code in
            table.items()}, base


@lru_cache(maxsize=256)
def font_encoding(name: str) -> FontEncoding | None:
    """The legacy encoding of the font ``name`` (as a PDF or Office file names it), or None
    for any other font (``TimesNewRomanPSMT``, ``Arial``, ``VNtimes new roman``)."""
    table = _table()
    family = re.sub(table["subset_prefix"], "", name.strip())
    family = re.sub(table["charset_suffix"], "", family)
    family = re.sub(table["style_suffix"], "", family)
    for entry in table["families"]:
        if re.match(entry["match"], family):
            suffix = entry.get("capitals_suffix")
            return FontEncoding(entry["encoding"], bool(suffix) and family.endswith(suffix))
    return None


def legacy_lookalikes(text: str) -> str:
    """Text extracted from a legacy font, its codes as Windows-1252 look-alikes: a PDF
    producer's substitutes (U+2212 for TCVN3's 0xAD) and private-use code points (U+F0B5)
    mapped back; any other character is kept."""
    substitutes, base = _code_points()
    out = []
    for char in text:
        code = ord(char)
        if code in substitutes:
            out.append(substitutes[code])
        elif base + 0x20 <= code <= base + 0xFF:
            out.append(bytes([code - base]).decode("cp1252", errors="ignore") or
                       chr(code - base))
        else:
            out.append(char)
    return "".join(out)


def decode_font_text(text: str, font: FontEncoding) -> str:
    """A run of text typed in a legacy font, as Unicode. Capitals fonts give capitals."""
    lookalikes = legacy_lookalikes(text)
    decoded = decode_vni(lookalikes) if font.encoding == "vni" else decode_tcvn3(lookalikes)
    return decoded.upper() if font.capitals else decoded
