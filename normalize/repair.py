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
3. with ``tone_style``, the tone of every open ``oa``/``oe``/``uy`` syllable is put in one place.

Every change is a :class:`~normalize.encodings.Fix` (line, column span, fix name, before, after,
confidence) and the list replays in order (:func:`~normalize.encodings.replay`); every word of
the output gets a confidence. Line N of the output is line N of the input.

    >>> repair_text("Cong tac cai cach hanh chinh dwoc UBND tinh thuc hién nghiém tlc").text
    'Công tác cải cách hành chính được UBND tỉnh thực hiện nghiêm túc'
    >>> repair_text("Báo cáo số 432/BC-SDT&TG của Sở Dân tộc, tỉnh Thái Nguyên.").steps
    []
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from normalize.diacritics import (
    canonical_tone_placement,
    new_tone_placement,
    restore_diacritics,
)
from normalize.encodings import Fix, decode_bytes, repair_encoding
from normalize.ocrnoise import LineProfile, line_profile, repair_ocr_noise

TONE_STYLES = ("old", "new")

MIN_JUDGED_WORDS = 4  # a line with fewer counted words is judged with its paragraph
MAX_MARKED_SHARE = 0.35  # a line with more correctly marked words is left alone
MAX_MARKED_SHARE_IN_UNMARKED_TEXT = 0.6  # the same, in a text judged unmarked as a whole
MIN_EVIDENCE_SHARE = 0.15  # share of words that cannot be right as written, to act
MAX_FOREIGN_SHARE = 0.25  # a line with more words that are no syllable at all is left alone
OCR_SYMPTOM_SHARE = 0.05  # share of OCR-noised words that calls for the OCR-noise repair

_WORD = re.compile(r"[^\W\d_]+")


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
    """Repaired NFC text, the changes made (in order) and a confidence per output word."""

    text: str
    steps: list[Fix] = field(default_factory=list)
    tokens: list[TokenConfidence] = field(default_factory=list)
    encoding: str = "str"  # the encoding bytes were read in ("str" for text input)

    @property
    def confidence(self) -> float:
        """Mean confidence of the words (1.0 for text without words)."""
        if not self.tokens:
            return 1.0
        return sum(t.confidence for t in self.tokens) / len(self.tokens)

    @property
    def min_confidence(self) -> float:
        """Confidence of the least sure word (1.0 for text without words)."""
        return min((t.confidence for t in self.tokens), default=1.0)


# --- tone placement -----------------------------------------------------------------------------

_PLACE_TONE = {"old": canonical_tone_placement, "new": new_tone_placement}


# --- bookkeeping of changes per line ------------------------------------------------------------


class _Line:
    """One output line: its text and the spans (start, end, confidence) that repairs wrote."""

    def __init__(self, number: int, text: str) -> None:
        self.number, self.text = number, text
        self.spans: list[tuple[int, int, float]] = []

    def record(self, start: int, end: int, after_length: int, confidence: float) -> None:
        """Account for ``[start, end)`` having become ``after_length`` characters: spans after it
        shift, spans it overlaps fold into the new span (the least confidence wins)."""
        delta = after_length - (end - start)
        kept, folded = [], confidence
        for s, e, c in self.spans:
            if e <= start:
                kept.append((s, e, c))
            elif s >= end:
                kept.append((s + delta, e + delta, c))
            else:
                folded = min(folded, c)
        kept.append((start, start + after_length, folded))
        self.spans = sorted(kept)

    def apply(self, steps: list[Fix], fix: str, start: int, end: int, after: str,
              confidence: float) -> None:
        """Replace ``[start, end)`` with ``after``, as a step when the text changes."""
        before = self.text[start:end]
        if after != before:
            steps.append(Fix(self.number, start, end, fix, before, after, round(confidence, 3)))
            self.text = self.text[:start] + after + self.text[end:]
        self.record(start, end, len(after), confidence)

    def tokens(self) -> list[TokenConfidence]:
        out = []
        for word in _WORD.finditer(self.text):
            confidence = min((c for s, e, c in self.spans if s < word.end() and e > word.start()),
                             default=1.0)
            out.append(TokenConfidence(self.number, word.start(), word.end(), word.group(),
                                       round(confidence, 3)))
        return out


def _split_lines(text: str) -> list[_Line]:
    return [_Line(number, raw) for number, raw in enumerate(text.split("\n"), start=1)]


def _replay_spans(lines: list[_Line], steps: Iterable[Fix]) -> None:
    """Record the spans of fixes that were applied elsewhere (the encoding repairs)."""
    for step in steps:
        lines[step.line - 1].record(step.start, step.end, len(step.after), step.confidence)


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
                tone_style: str | None = None) -> RepairResult:
    """Repair ``text`` (or the bytes of a file) into correct NFC Vietnamese.

    ``encoding`` forces a reading (``"tcvn3"``, ``"vni"``, ``"viqr"``, ``"utf-8-mojibake"`` …)
    instead of detecting it. ``tone_style`` ``"old"`` (``hòa``) or ``"new"`` (``hoà``) puts every
    open-rhyme tone in that place; by default tones stay where they were written, and restored
    syllables take the old placement, the one of official texts. Raises ``ValueError`` for an
    unknown encoding or tone style.

    Correct text comes back identical after NFC, with no steps; English, numbers, tables, URLs
    and e-mails pass through.

        >>> repair_text("Ký hiệu: 73/KH-UBND; xem https://thainguyen.gov.vn").text
        'Ký hiệu: 73/KH-UBND; xem https://thainguyen.gov.vn'
        >>> repair_text("Hòa bình", tone_style="new").text
        'Hoà bình'
    """
    if tone_style is not None and tone_style not in TONE_STYLES:
        raise ValueError(f"tone style must be one of {', '.join(TONE_STYLES)}, not {tone_style!r}")
    decoded, steps, read_as = _decode(text, encoding)
    decoded = unicodedata.normalize("NFC", decoded)
    lines = _split_lines(decoded)
    _replay_spans(lines, steps)
    chosen, ocr = lines_to_repair([line.text for line in lines])
    if chosen:
        _repair_lines(lines, chosen, ocr, steps)
    if tone_style is not None:
        _place_tones(lines, _PLACE_TONE[tone_style], f"tone_style_{tone_style}", steps)
    return RepairResult(
        text="\n".join(line.text for line in lines),
        steps=steps,
        tokens=[token for line in lines for token in line.tokens()],
        encoding=read_as,
    )


def _repair_lines(lines: list[_Line], chosen: set[int], ocr: bool, steps: list[Fix]) -> None:
    """Repair the ``chosen`` lines: OCR noise and marks, or marks only."""
    text = "\n".join(line.text for line in lines)
    if ocr:
        decisions = [(fix.line, fix.start, fix.end, fix.chosen, fix.confidence, fix.fix)
                     for fix in repair_ocr_noise(text, chosen).syllables]
    else:
        # Only the chosen lines are restored; the others are blanked so that line and column
        # numbers still hold.
        blanked = "\n".join(line.text if line.number in chosen else "" for line in lines)
        starts, offset = [], 0
        for line in blanked.split("\n"):
            starts.append(offset)
            offset += len(line) + 1
        decisions = []
        for choice in restore_diacritics(blanked).syllables:
            number = _line_of(starts, choice.start)
            start = choice.start - starts[number - 1]
            decisions.append((number, start, start + choice.end - choice.start, choice.chosen,
                              choice.confidence, "restore_diacritics"))
    shift: dict[int, int] = {}
    for number, start, end, chosen_text, confidence, fix in decisions:
        line = lines[number - 1]
        offset = shift.get(number, 0)
        line.apply(steps, fix or "keep", start + offset, end + offset, chosen_text, confidence)
        shift[number] = offset + len(chosen_text) - (end - start)


def _line_of(starts: list[int], position: int) -> int:
    """The 1-based line holding ``position``, given the offset at which each line starts."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low + 1


def _place_tones(lines: list[_Line], place, fix: str, steps: list[Fix]) -> None:
    for line in lines:
        shift = 0
        for word in list(_WORD.finditer(line.text)):
            placed = place(word.group())
            if placed != word.group():
                start = word.start() + shift
                line.apply(steps, fix, start, start + len(word.group()), placed, 1.0)
                shift += len(placed) - len(word.group())
