"""Accent- and case-insensitive folding of Vietnamese text, for comparisons only."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z%]+")
# the combining-mark blocks (Vietnamese marks are all in the first); any other character that
# is no ASCII letter or digit becomes a space below anyway
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


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
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    bare = _MARKS.sub("", decomposed).lower()
    return _NON_WORD.sub(" ", bare).strip()
