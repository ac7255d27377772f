"""A document's repaired text, and how sure the repair was of the words in a piece of it.

The repair runs once over the whole document (``normalize.repair_text`` needs the context);
it keeps every line, and on each line the words map one to one, so the words of a piece of a
repaired line (a record's note, description) can be looked up on the lines it came from.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from extract.types import Document
from normalize.encodings import Fix
from normalize.lines import count_breaks
from normalize.repair import repair_text

_EDGE = re.compile(r"^[|]+|[|]+$")


@dataclass
class RepairedDocument:
    text: str  # the repaired document, pages separated by form feeds
    confidence: float  # mean word confidence of the repair
    changed_words: int
    lines: list[str] = field(default_factory=list)  # the repaired lines, one per input line
    steps: list[Fix] = field(default_factory=list)  # the changes, in lines of the text repaired
    starts: list[int] = field(default_factory=list)  # the text line each document line starts at
    _written: dict[int, dict[str, float]] = field(default_factory=dict)  # line → word → conf
    _index: dict[tuple[int, int], int] = field(default_factory=dict)

    def doubt(self, page: int, first: int, last: int, text: str | None) -> float | None:
        """For ``text`` taken from the repaired lines ``first``–``last`` of ``page``: the
        lowest confidence among its words that the repair wrote (None when it wrote none)."""
        if not text:
            return None
        written: dict[str, float] = {}
        for number in range(first, last + 1):
            for word, conf in self._written.get(self._index.get((page, number), -1),
                                                {}).items():
                written[word] = min(conf, written.get(word, 1.0))
        confs = [written[key] for key in (_EDGE.sub("", w) for w in text.split(" "))
                 if key in written]
        return min(confs) if confs else None


def repair_document(document: Document, *, tone_style: str | None = None) -> RepairedDocument:
    """Repair the document's text as one (lines joined by LF); lines our OCR read (they carry
    its confidences, and it reads with Tesseract's ``vie``) get their marks corrected too.
    ``tone_style`` as :func:`~normalize.repair.repair_text` takes it."""
    lines = [line.text for line in document.lines]
    # The line of the text where each document line starts: a line may hold a break of its own
    # (a form feed in a Word paragraph), which the repair keeps and counts.
    first_lines = list(itertools.accumulate((count_breaks(text) + 1 for text in lines),
                                            initial=1))[: len(lines)]
    ocr_lines = {first: line.word_confidences
                 for first, line in zip(first_lines, document.lines, strict=True)
                 if line.confidence is not None and not count_breaks(line.text)}
    # A text dump was decoded by ``decode_bytes``, which already repaired its encoding: do not
    # detect encodings a second time (a PDF's text layer has not been through it).
    result = repair_text("\n".join(lines), encoding="nfc" if document.encoding else None,
                         tone_style=tone_style, ocr_lines=ocr_lines)
    repaired = result.text.split("\n")
    if len(repaired) != len(lines):  # never expected: repair keeps lines; fall back to as-is
        repaired = lines
    mean = result.confidence  # a property over every word: once, not per changed word
    written: dict[int, dict[str, float]] = {}
    changed = 0
    for i, (before, after) in enumerate(zip(lines, repaired, strict=True)):
        if before == after:
            continue
        b_words, a_words = before.split(), after.split()
        if len(b_words) != len(a_words):
            continue
        starts = [m.start() for m in re.finditer(r"\S+", after)]
        # the words the repair wrote on this line, by column (only changed lines are read)
        confidences = {t.start: t.confidence for t in result.line_tokens(first_lines[i])}
        on_line: dict[str, float] = {}
        for b, a, start in zip(b_words, a_words, starts, strict=True):
            if b != a:
                changed += 1
                word = _EDGE.sub("", a)
                conf = confidences.get(start, mean)
                on_line[word] = min(conf, on_line.get(word, 1.0))
        written[i] = on_line
    pages: dict[int, list[str]] = {}
    for line, text in zip(document.lines, repaired, strict=True):
        pages.setdefault(line.page, []).append(text)
    index = {(line.page, line.number): i for i, line in enumerate(document.lines)}
    return RepairedDocument("\f".join("\n".join(pages[p]) for p in sorted(pages)),
                            mean, changed, repaired, result.steps, first_lines, written, index)
