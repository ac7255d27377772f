"""Repair Vietnamese text broken in any of the usual ways, and leave correct text alone.

:func:`repair_text` chains the repairs of this package:

1. bytes are decoded (:func:`~normalize.encodings.decode_bytes`: BOM, UTF-16, UTF-8, TCVN3, VNI,
   VISCII, Windows-1258) and legacy look-alikes, VIQR, mojibake and NFD are repaired run by run
   (:func:`~normalize.encodings.repair_encoding`);
2. each line is judged from its words (:func:`~normalize.ocrnoise.line_profile`): a line is
   repaired only when few of its words carry valid marks and enough of them cannot be right
   as written (``cach``, ``dwoc``, ``s6``); a line with too few words is judged with its paragraph,
   or the whole text. A document whose lines to repair show OCR symptoms (words only character
   confusions make syllables of) gets the OCR-noise repair (:mod:`normalize.ocrnoise`), which
   restores the marks in the same pass; cleanly unmarked text gets diacritic restoration
   (:func:`~normalize.diacritics.restore_diacritics`);
3. lines OCR'd with a Vietnamese model (``ocr_lines``) that step 2 left alone get the marks the
   OCR dropped or swapped corrected, only where the language model is sure
   (:mod:`normalize.postocr`);
4. with ``tone_style``, the tone of every open ``oa``/``oe``/``uy`` syllable is put in one place.

Every change is a :class:`~normalize.encodings.Fix` (line, column span, fix name, before, after,
confidence) and the list replays in order (:func:`~normalize.encodings.replay`); every word of
the output gets a confidence. Line N of the output is line N of the input, whatever the line
ends (:mod:`normalize.lines`); a line too long for the repairs is read in bounded windows.

    >>> repair_text("Cong tac cai cach hanh chinh dwoc UBND tinh thuc hién nghiém tlc").text
    'Công tác cải cách hành chính được UBND tỉnh thực hiện nghiêm túc'
    >>> repair_text("Báo cáo số 432/BC-SDT&TG của Sở Dân tộc, tỉnh Thái Nguyên.").steps
    []
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from normalize.diacritics import (
    canonical_tone_placement,
    new_tone_placement,
    restore_diacritics,
)
from normalize.encodings import Fix, decode_bytes, repair_encoding
from normalize.lines import MAX_TOKEN, join_lines, split_lines, windows
from normalize.ocrnoise import LineProfile, line_profile, repair_ocr_noise
from normalize.postocr import correct_marks

TONE_STYLES = ("old", "new")

MIN_JUDGED_WORDS = 4  # a line with fewer counted words is judged with its paragraph
MAX_MARKED_SHARE = 0.35  # a line with more correctly marked words is left alone
MAX_MARKED_SHARE_IN_UNMARKED_TEXT = 0.6  # the same, in a text judged unmarked as a whole
MIN_EVIDENCE_SHARE = 0.15  # share of words that cannot be right as written, to act
MAX_FOREIGN_SHARE = 0.25  # a line with more words that are no syllable at all is left alone
OCR_SYMPTOM_SHARE = 0.05  # share of OCR-noised words that calls for the OCR-noise repair

_WORD = re.compile(r"[^\W\d_]+")
_CHUNK = re.compile(r"\S+")
_BLOB = re.compile(rf"\S{{{MAX_TOKEN + 1},}}")  # a token longer than MAX_TOKEN


def _words(text: str) -> Iterator[re.Match[str]]:
    """The words of ``text``, but for those inside a blob (a token longer than
    :data:`~normalize.lines.MAX_TOKEN`: base64, hex), which holds none."""
    for chunk in _CHUNK.finditer(text):
        if chunk.end() - chunk.start() <= MAX_TOKEN:
            yield from _WORD.finditer(text, chunk.start(), chunk.end())


@dataclass(frozen=True)
class TokenConfidence:
    """A word of the output (``line`` 1-based, columns ``[start, end)``) and how sure we are of
    it: 1.0 for text left as it was, else the confidence of the repair that wrote it."""

    line: int
    start: int
    end: int
    text: str
    confidence: float


@dataclass
class RepairResult:
    """Repaired NFC text, the changes made (in order) and a confidence per output word.

    The words' confidences are worked out when asked for, and only on the lines a repair
    wrote: every other word is 1.0, and a text of a million words that needed nothing (a 5 MB
    dump) makes no million objects to say so.
    """

    text: str
    steps: list[Fix] = field(default_factory=list)
    encoding: str = "str"  # the encoding bytes were read in ("str" for text input)
    _lines: list[_Line] = field(default_factory=list, repr=False, compare=False)

    @functools.cached_property
    def tokens(self) -> list[TokenConfidence]:
        """Every word of the output with its confidence, line by line."""
        return [token for line in self._lines for token in line.tokens()]

    def line_tokens(self, number: int) -> list[TokenConfidence]:
        """The words of output line ``number`` (1-based) with their confidences."""
        return self._lines[number - 1].tokens() if 0 < number <= len(self._lines) else []

    @functools.cached_property
    def _summary(self) -> tuple[int, float, float]:
        """(words, sum of their confidences, least confidence); a line no repair wrote
        counts its words without reading them one by one."""
        words, total, least = 0, 0.0, 1.0
        for line in self._lines:
            if line.spans:
                confidences = [token.confidence for token in line.tokens()]
                words += len(confidences)
                total += sum(confidences)
                least = min([least, *confidences])
            else:
                count = line.word_count()
                words += count
                total += count
        return words, total, least

    @property
    def confidence(self) -> float:
        """Mean confidence of the words (1.0 for text without words)."""
        words, total, _ = self._summary
        return total / words if words else 1.0

    @property
    def min_confidence(self) -> float:
        """Confidence of the least sure word (1.0 for text without words)."""
        return self._summary[2]


# --- tone placement -----------------------------------------------------------------------------

_PLACE_TONE = {"old": canonical_tone_placement, "new": new_tone_placement}


# --- bookkeeping of changes per line ------------------------------------------------------------


class Edit(NamedTuple):
    """A change to make on a line: columns ``[start, end)`` become ``after``."""

    fix: str
    start: int
    end: int
    after: str
    confidence: float
    reason: str = ""


class _Line:
    """One output line: its text and the spans (start, end, confidence) that repairs wrote,
    sorted and not overlapping."""

    def __init__(self, number: int, text: str) -> None:
        self.number, self.text = number, text
        self.spans: list[tuple[int, int, float]] = []

    def record(self, written: Iterable[tuple[int, int, int, float]]) -> None:
        """Account for each ``[start, end)`` having become ``length`` characters, with
        ``confidence``: (start, end, length, confidence), sorted and not overlapping, columns
        of the line before any of them. Spans after an edit shift; spans it overlaps fold into
        its span (the least confidence wins). One pass over the spans: a line with many edits
        costs time in proportion to them, not to their square."""
        old, spans, k, shift = self.spans, [], 0, 0
        for start, end, length, confidence in written:
            while k < len(old) and old[k][1] <= start:
                spans.append((old[k][0] + shift, old[k][1] + shift, old[k][2]))
                k += 1
            folded = confidence
            while k < len(old) and old[k][0] < end:
                folded = min(folded, old[k][2])
                k += 1
            spans.append((start + shift, start + shift + length, folded))
            shift += length - (end - start)
        spans += [(s + shift, e + shift, c) for s, e, c in old[k:]]
        self.spans = spans

    def edit(self, steps: list[Fix], edits: Iterable[Edit]) -> None:
        """Apply ``edits``, sorted and not overlapping, in columns of the line as it is now, in
        one pass. Each edit that changes the text is a step, in the columns of the line as it
        was when it ran (after the edits before it)."""
        parts, written, cursor, shift = [], [], 0, 0
        for fix, start, end, after, confidence, reason in edits:
            before = self.text[start:end]
            if after != before:
                steps.append(Fix(self.number, start + shift, end + shift, fix, before, after,
                                 round(confidence, 3), reason))
            parts += [self.text[cursor:start], after]
            written.append((start, end, len(after), confidence))
            cursor = end
            shift += len(after) - (end - start)
        if written:
            parts.append(self.text[cursor:])
            self.text = "".join(parts)
            self.record(written)

    def word_count(self) -> int:
        """How many words :meth:`tokens` gives, without making them."""
        if _BLOB.search(self.text):
            return sum(1 for _ in _words(self.text))
        return len(_WORD.findall(self.text))

    def tokens(self) -> list[TokenConfidence]:
        out, spans, k = [], self.spans, 0
        for word in _words(self.text):
            start, end = word.span()
            while k < len(spans) and spans[k][1] <= start:
                k += 1
            confidence, j = 1.0, k
            while j < len(spans) and spans[j][0] < end:
                if spans[j][1] > start:
                    confidence = min(confidence, spans[j][2])
                j += 1
            out.append(TokenConfidence(self.number, start, end, word.group(),
                                       round(confidence, 3)))
        return out


def _replay_spans(lines: list[_Line], steps: Iterable[Fix]) -> None:
    """Record the spans of fixes that were applied elsewhere (the encoding repairs): the
    fixes of a line that follow each other left to right are recorded in one pass."""
    batch: list[tuple[int, int, int, float]] = []
    number, reach, shift = 0, 0, 0
    for step in steps:
        if batch and (step.line != number or step.start < reach):
            lines[number - 1].record(batch)
            batch, shift = [], 0
        number = step.line
        batch.append((step.start - shift, step.end - shift, len(step.after), step.confidence))
        reach = step.start + len(step.after)
        shift += len(step.after) - (step.end - step.start)
    if batch:
        lines[number - 1].record(batch)


# --- deciding which lines to repair -------------------------------------------------------------


def _needs_repair(profile: LineProfile, *, in_unmarked_text: bool = False) -> bool:
    """Few correct marks, few words that are no syllable, and enough evidence: words that
    cannot be right as written. In text judged unmarked as a whole, a line needs no evidence of
    its own and may hold more marked words: OCR makes valid syllables by chance (``thé``)."""
    words = profile.words
    if words < MIN_JUDGED_WORDS or profile.foreign > MAX_FOREIGN_SHARE * words:
        return False
    if in_unmarked_text:
        return profile.marked < MAX_MARKED_SHARE_IN_UNMARKED_TEXT * words
    return (profile.marked < MAX_MARKED_SHARE * words
            and profile.unmarked + profile.noisy >= MIN_EVIDENCE_SHARE * words)


def lines_to_repair(lines: list[str]) -> tuple[set[int], bool]:
    """The 1-based numbers of the lines that look like unmarked or OCR-noised Vietnamese, and
    whether they call for the OCR-noise repair (else plain diacritic restoration).

    A line with fewer than ``MIN_JUDGED_WORDS`` counted words is judged with its paragraph
    (lines between blank lines), and a short paragraph with the whole text.

    >>> lines_to_repair(["Báo cáo tổng kết", "Cong tac cai cach hanh chinh", "Hello, world"])
    ({2}, False)
    """
    profiles = [line_profile(line) for line in lines]
    total = sum(profiles, LineProfile())
    unmarked_text = _needs_repair(total)
    paragraphs: list[list[int]] = [[]]
    for index, line in enumerate(lines):
        if line.strip():
            paragraphs[-1].append(index)
        elif paragraphs[-1]:
            paragraphs.append([])
    chosen: set[int] = set()
    for paragraph in paragraphs:
        together = sum((profiles[i] for i in paragraph), LineProfile())
        if together.words < MIN_JUDGED_WORDS:
            together = total
        for index in paragraph:
            profile = profiles[index]
            if profile.foreign > MAX_FOREIGN_SHARE * profile.words:
                continue  # a short line of other words (``Hello, world``) is never read
            if profile.words < MIN_JUDGED_WORDS:
                profile = together
            if _needs_repair(profile, in_unmarked_text=unmarked_text):
                chosen.add(index + 1)
    judged = sum((profiles[n - 1] for n in chosen), LineProfile())
    vietnamese = judged.bare + judged.unmarked + judged.noisy
    ocr = bool(vietnamese) and judged.noisy >= OCR_SYMPTOM_SHARE * vietnamese
    return chosen, ocr


# --- the repair ---------------------------------------------------------------------------------


def _decode(data: str | bytes, encoding: str | None) -> tuple[str, list[Fix], str]:
    """Text, encoding fixes and the encoding read, for bytes or text."""
    if isinstance(data, bytes):
        try:
            decoded = decode_bytes(data, encoding)
            return decoded.text, decoded.steps, decoded.encoding
        except ValueError:
            if encoding is None:
                raise
        # a breakage of text (VIQR, look-alikes, mojibake) forced on a UTF-8 file
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"--encoding {encoding} needs UTF-8 text: {exc}") from None
        repaired = repair_encoding(text, encoding)
        return repaired.text, repaired.steps, f"utf-8+{encoding}"
    repaired = repair_encoding(data, encoding)
    return repaired.text, repaired.steps, "str"


def repair_text(text: str | bytes, *, encoding: str | None = None,
                tone_style: str | None = None,
                ocr_lines: Mapping[int, Sequence[float] | None] | None = None) -> RepairResult:
    """Repair ``text`` (or the bytes of a file) into correct NFC Vietnamese.

    ``encoding`` forces a reading (``"tcvn3"``, ``"vni"``, ``"viqr"``, ``"utf-8-mojibake"`` …)
    instead of detecting it. ``tone_style`` ``"old"`` (``hòa``) or ``"new"`` (``hoà``) puts every
    open-rhyme tone in that place; by default tones stay where they were written, and restored
    syllables take the old placement, the one of official texts. Raises ``ValueError`` for an
    unknown encoding or tone style.

    ``ocr_lines`` names the lines (1-based) that were OCR'd with a Vietnamese model, each with
    its words' confidences (in the order of ``line.split()``; None when the engine gave none):
    where the repair above leaves such a line alone, the marks the OCR dropped or swapped are
    corrected where the language model is sure (:mod:`normalize.postocr`), each change a
    ``correct_ocr_marks`` step with its reason.

    Correct text comes back identical after NFC, with no steps; English, numbers, tables, URLs
    and e-mails pass through. Lines end at LF, CRLF, CR, U+2028 or a form feed
    (:mod:`normalize.lines`), and each keeps the separator it came with: line N of the output is
    line N of the input, and ``"a\\r\\nb\\rc"`` comes back with its CRLF and its CR.

        >>> repair_text("Ký hiệu: 73/KH-UBND; xem https://thainguyen.gov.vn").text
        'Ký hiệu: 73/KH-UBND; xem https://thainguyen.gov.vn'
        >>> repair_text("Hòa bình", tone_style="new").text
        'Hoà bình'
    """
    if tone_style is not None and tone_style not in TONE_STYLES:
        raise ValueError(f"tone style must be one of {', '.join(TONE_STYLES)}, not {tone_style!r}")
    decoded, steps, read_as = _decode(text, encoding)
    decoded = unicodedata.normalize("NFC", decoded)
    contents, separators = split_lines(decoded)
    lines = [_Line(number, content) for number, content in enumerate(contents, start=1)]
    _replay_spans(lines, steps)
    # Lines are judged and repaired in bounded windows: a document that lost its line breaks
    # (or a huge token) costs what the same text with its lines would.
    views = [(line, start, end) for line in lines for start, end in windows(line.text)]
    texts = [line.text[start:end] for line, start, end in views]
    chosen, ocr = lines_to_repair(texts)
    if chosen:
        _repair_views(lines, views, texts, chosen, ocr, steps)
    if ocr_lines:
        # Lines OCR'd with a Vietnamese model that the repair above left alone: their marks.
        touched = {views[number - 1][0].number for number in chosen}
        unchanged = _unchanged_lines(text, contents)
        _correct_ocr_marks(lines, {number: (confidences if number in unchanged else None)
                                   for number, confidences in ocr_lines.items()
                                   if number not in touched and 0 < number <= len(lines)},
                           steps)
    if tone_style is not None:
        _place_tones(lines, _PLACE_TONE[tone_style], f"tone_style_{tone_style}", steps)
    return RepairResult(
        text=join_lines([line.text for line in lines], separators),
        steps=steps,
        encoding=read_as,
        _lines=lines,
    )


def _repair_views(lines: list[_Line], views: list[tuple[_Line, int, int]], texts: list[str],
                  chosen: set[int], ocr: bool, steps: list[Fix]) -> None:
    """Repair the ``chosen`` windows (1-based numbers in ``views``, whose text is ``texts``):
    OCR noise and marks, or marks only."""
    if ocr:
        decisions = [(fix.line, fix.start, fix.end, fix.chosen, fix.confidence, fix.fix)
                     for fix in repair_ocr_noise("\n".join(texts), chosen).syllables]
    else:
        # Only the chosen windows are restored; the others are blanked so that window and
        # column numbers still hold.
        blanked = "\n".join(text if number in chosen else ""
                            for number, text in enumerate(texts, start=1))
        starts, offset = [], 0
        for text in blanked.split("\n"):
            starts.append(offset)
            offset += len(text) + 1
        decisions = []
        for choice in restore_diacritics(blanked).syllables:
            number = bisect.bisect_right(starts, choice.start)
            start = choice.start - starts[number - 1]
            decisions.append((number, start, start + choice.end - choice.start, choice.chosen,
                              choice.confidence, "restore_diacritics"))
    _edit_views(lines, views, [(number, Edit(fix or "keep", start, end, chosen_text, confidence))
                               for number, start, end, chosen_text, confidence, fix in decisions],
                steps)


def _edit_views(lines: list[_Line], views: list[tuple[_Line, int, int]],
                edits: Iterable[tuple[int, Edit]], steps: list[Fix]) -> None:
    """Apply edits given in the columns of windows (1-based numbers in ``views``), in order,
    line by line."""
    by_line: dict[int, list[Edit]] = {}
    for number, edit in edits:
        line, offset, _ = views[number - 1]
        by_line.setdefault(line.number, []).append(
            edit._replace(start=offset + edit.start, end=offset + edit.end))
    for number, line_edits in by_line.items():
        lines[number - 1].edit(steps, line_edits)


def _unchanged_lines(text: str | bytes, contents: list[str]) -> set[int]:
    """The 1-based lines of the text given that decoding and the encoding repairs left as
    they were (their OCR word confidences still fit their words)."""
    if isinstance(text, bytes):
        return set()
    given, _ = split_lines(unicodedata.normalize("NFC", text))
    if len(given) != len(contents):
        return set()
    return {number for number, (a, b) in enumerate(zip(given, contents, strict=True), start=1)
            if a == b}


def _correct_ocr_marks(lines: list[_Line], ocr: dict[int, Sequence[float] | None],
                       steps: list[Fix]) -> None:
    """Correct the marks of the OCR'd lines ``ocr`` (1-based number: word confidences, in the
    order of ``line.split()``, or None) where the language model is sure
    (:func:`~normalize.postocr.correct_marks`); the other lines are context only."""
    views = [(line, start, end) for line in lines for start, end in windows(line.text)]
    spans: dict[int, list[tuple[int, int, float]]] = {}
    for number, (line, start, end) in enumerate(views, start=1):
        if line.number not in ocr:
            continue
        words = list(_CHUNK.finditer(line.text))
        confidences = ocr[line.number]
        if confidences is None or len(confidences) != len(words):
            confidences = ()  # no confidence fits each word: none is used
        spans[number] = [(word.start() - start, word.end() - start, confidence)
                         for word, confidence in zip(words, confidences, strict=False)
                         if start <= word.start() and word.end() <= end]
    fixes = correct_marks([line.text[start:end] for line, start, end in views], spans)
    _edit_views(lines, views, [(fix.line, Edit("correct_ocr_marks", fix.start, fix.end,
                                               fix.after, fix.confidence, fix.reason))
                               for fix in fixes], steps)


def _place_tones(lines: list[_Line], place, fix: str, steps: list[Fix]) -> None:
    for line in lines:
        line.edit(steps, [Edit(fix, word.start(), word.end(), placed, 1.0)
                          for word in _words(line.text)
                          if (placed := place(word.group())) != word.group()])
