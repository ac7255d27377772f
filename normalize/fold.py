"""Accent- and case-insensitive folding of Vietnamese text, for comparisons only."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z%]+")
_DD = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lowercase, drop every diacritic (đ → d) and squeeze punctuation to single spaces.

    Used to compare a document's description with a catalog's, whatever the document lost:
    ``fold("Tỷ lệ DVC trực tuyến")`` and ``fold("Ty 1e DVC truc tuyén")`` differ only in ``1e``.
    Never used to produce output text.

    >>> fold("Số nhiệm vụ đã hoàn thành")
    'so nhiem vu da hoan thanh'
    """
    if text.isascii():  # nothing to drop: no per-character pass over a long ASCII text
        return _NON_WORD.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFD", text.translate(_DD))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", bare).strip()
