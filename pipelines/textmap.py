"""A document's repaired text, and the repair of pieces of it (a record's note, description).

The repair runs once over the whole document (``normalize.repair_text`` needs the context);
it keeps every line, and on each line the words map one to one, so a piece of a line is
repaired by looking its words up on the lines it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.types import Document
from normalize.repair import repair_text

_EDGE = re.compile(r"^[|]+|[|]+$")


@dataclass
class RepairedDocument:
    text: str  # the repaired document, pages separated by form feeds
    confidence: float  # mean word confidence of the repair
    changed_words: int
    lines: list[str] = field(default_factory=list)  # the repaired lines, one per input line
    _words: dict[int, dict[str, tuple[str, float]]] = field(default_factory=dict)
    _index: dict[tuple[int, int], int] = field(default_factory=dict)

    def fix(self, page: int, first: int, last: int, text: str | None
            ) -> tuple[str | None, float | None]:
        """``text`` (from lines ``first``–``last`` of ``page``) with its words repaired, and
        the lowest confidence among the words that changed (None when none changed)."""
        if not text:
            return text, None
        table: dict[str, tuple[str, float]] = {}
        for number in range(first, last + 1):
            table.update(self._words.get(self._index.get((page, number), -1), {}))
        out, lowest = [], None
        for word in text.split(" "):
            key = _EDGE.sub("", word)
            if key in table and table[key][0] != key:
                repaired, conf = table[key]
                out.append(word.replace(key, repaired))
                lowest = conf if lowest is None else min(lowest, conf)
            else:
                out.append(word)
        return " ".join(out), lowest


    def doubt(self, page: int, first: int, last: int, text: str | None) -> float | None:
        """For ``text`` taken from the repaired lines ``first``–``last`` of ``page``: the
        lowest confidence among its words that the repair wrote (None when it wrote none)."""
        if not text:
            return None
        written: dict[str, float] = {}
        for number in range(first, last + 1):
            for repaired, conf in self._words.get(self._index.get((page, number), -1),
                                                  {}).values():
                written[repaired] = min(conf, written.get(repaired, 1.0))
        confs = [written[key] for key in (_EDGE.sub("", w) for w in text.split(" "))
                 if key in written]
        return min(confs) if confs else None


def repair_document(document: Document) -> RepairedDocument:
    lines = [line.text for line in document.lines]
    # A text dump was decoded by ``decode_bytes``, which already repaired its encoding: do not
    # detect encodings a second time (a PDF's text layer has not been through it).
    result = repair_text("\n".join(lines), encoding="nfc" if document.encoding else None)
    repaired = result.text.split("\n")
    if len(repaired) != len(lines):  # never expected: repair keeps lines; fall back to as-is
        repaired = lines
    confidences: dict[tuple[int, int], float] = {
        (t.line, t.start): t.confidence for t in result.tokens}
    mean = result.confidence  # a property over every word: once, not per changed word
    words: dict[int, dict[str, tuple[str, float]]] = {}
    changed = 0
    for i, (before, after) in enumerate(zip(lines, repaired, strict=True)):
        if before == after:
            continue
        b_words, a_words = before.split(), after.split()
        if len(b_words) != len(a_words):
            continue
        starts = [m.start() for m in re.finditer(r"\S+", after)]
        mapping = {}
        for b, a, start in zip(b_words, a_words, starts, strict=True):
            if b != a:
                changed += 1
                conf = confidences.get((i + 1, start), mean)
                mapping[_EDGE.sub("", b)] = (_EDGE.sub("", a), conf)
        words[i] = mapping
    pages: dict[int, list[str]] = {}
    for line, text in zip(document.lines, repaired, strict=True):
        pages.setdefault(line.page, []).append(text)
    index = {(line.page, line.number): i for i, line in enumerate(document.lines)}
    return RepairedDocument("\f".join("\n".join(pages[p]) for p in sorted(pages)),
                            mean, changed, repaired, words, index)
