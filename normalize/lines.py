"""Lines of a text as every reader of this project splits them, and bounded windows of a line.

A line ends at LF, CRLF, a lone CR (old Mac exports, some Windows tools), U+2028 / U+2029 (the
Unicode line and paragraph separators) or a form feed (a page break: a text dump's reader
starts a page there, so its lines are numbered as the repair's). :func:`split_lines` keeps each
line's own separator, so a repair can write line N of its output for line N of its input and
give the text back with the breaks it came with, byte for byte (``"a\\r\\nb\\rc"`` stays
``"a\\r\\nb\\rc"``).

    >>> split_lines("Báo cáo\\r\\nsố 5\\rngày 7")
    (['Báo cáo', 'số 5', 'ngày 7'], ['\\r\\n', '\\r'])

:func:`windows` cuts a line that is too long for the passes whose cost grows faster than the
text (a whole document that lost its line breaks, a 5 MB token) into bounded pieces, at the end
of a sentence when there is one, else between words, else anywhere; a token longer than
:data:`MAX_TOKEN` is no word of any text, and the repairs leave it alone.
"""

from __future__ import annotations

import re
import unicodedata

_BREAK = re.compile(r"[\r\n\f\u2028\u2029]")  # a CR followed by LF is one break: CRLF
#: The longest window a line is read in; every line of ordinary text is shorter than this.
MAX_WINDOW = 2000
#: A window ends at a sentence end, else at a space, no earlier than this share of MAX_WINDOW.
MIN_WINDOW_SHARE = 0.5
#: A run of non-space characters longer than this holds no words to repair (base64, hex, text
#: that lost all its spaces): every pass keeps it as written, and pays nothing to read it.
MAX_TOKEN = 256


def _from_the_end(pattern: str) -> re.Pattern[str]:
    """``pattern`` (whose matches are one character long) behind a greedy prefix: a match
    from a position ends at the last match of ``pattern`` before the end position."""
    return re.compile(r"(?s:.*)(?:" + pattern + ")")


_LAST_SENTENCE_END = _from_the_end(r"[.!?;:](?=\s)|\s(?=[-+•*]\s)")
_LAST_SPACE = _from_the_end(r"\s")


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """The lines of ``text`` without their separators, and the separators (one fewer).

    >>> split_lines("a\\n\\nb\\u2028")
    (['a', '', 'b', ''], ['\\n', '\\n', '\\u2028'])
    """
    lines: list[str] = []
    separators: list[str] = []
    cursor = 0
    for found in _BREAK.finditer(text):  # one character class: fast over a long line
        at = found.start()
        if at < cursor:  # the LF of a CRLF
            continue
        end = at + 2 if text.startswith("\r\n", at) else at + 1
        lines.append(text[cursor:at])
        separators.append(text[at:end])
        cursor = end
    lines.append(text[cursor:])
    return lines, separators


def join_lines(lines: list[str], separators: list[str]) -> str:
    """The inverse of :func:`split_lines`: ``join_lines(*split_lines(t)) == t``."""
    parts = [None] * (2 * len(lines) - 1)
    parts[::2] = lines
    parts[1::2] = separators
    return "".join(parts)


def count_breaks(text: str) -> int:
    """How many line breaks ``text`` holds (a CRLF is one)."""
    return len(_BREAK.findall(text)) - text.count("\r\n")


def windows(line: str, limit: int = MAX_WINDOW) -> list[tuple[int, int]]:
    """Cut ``line`` into consecutive ``[start, end)`` windows of at most ``limit`` characters.

    A window ends after the last sentence end (``.``, ``;``, a list dash …) followed by a space
    in its second half, else at its last space, else (a token without spaces) at ``limit``, not
    before a combining mark. The windows cover the line exactly; a line within ``limit`` is one
    window.

    >>> windows("Một câu. Hai câu nữa. Ba", limit=12)
    [(0, 8), (8, 17), (17, 24)]
    """
    out: list[tuple[int, int]] = []
    start, size = 0, len(line)
    while size - start > limit:
        stop = start + limit
        earliest = start + max(1, int(limit * MIN_WINDOW_SHARE))
        end = _last_match(_LAST_SENTENCE_END, line, earliest, stop)
        if end is None:
            end = _last_match(_LAST_SPACE, line, earliest, stop)
        if end is None:  # a token without spaces: cut anywhere but before a combining mark
            end = stop
            while end > earliest and unicodedata.combining(line[end]):
                end -= 1
        out.append((start, end))
        start = out[-1][1]
    out.append((start, size))
    return out


def _last_match(last: re.Pattern[str], line: str, earliest: int, stop: int) -> int | None:
    """The end of the last match that ends within ``[earliest, stop]``, for a pattern made by
    :func:`_from_the_end`: found from the end, without a pass over every match before it."""
    found = last.match(line, earliest - 1, stop)
    return found.end() if found else None
