"""Correct the marks that Tesseract's Vietnamese model drops or swaps, only where it is sure.

Tesseract ``vie`` reads Vietnamese letters, but on real scans it drops or swaps marks: ``sô
PAKN`` (số), ``Hệ thông`` (thống), ``Quyêt định`` (Quyết), ``Kê hoạch`` (Kế), ``tông hợp``
(tổng). Such text is mostly right, so it is neither the OCR noise of an engine without
Vietnamese (:mod:`normalize.ocrnoise` reads every word through character confusions) nor text
that lost its marks (:mod:`normalize.diacritics`); either would rewrite correct words.

Here a word keeps its letters and may only take other marks: its candidates are the syllables of
the language model with the same letters bare of marks (``thong``: thông, thống, thỏng, …). The
spelling read carries a prior that grows with Tesseract's confidence in the word; any other
spelling pays for each mark it changes (``data/vie_marks.json``: a tone ``vie`` dropped is
cheap, a tone it swapped or a letter's own mark costs more). The syllable 4-gram model decides
in context (:func:`~normalize.ocrnoise.decode_words`), and a word changes only where the model
prefers the new spelling to the one read by ``min_margin`` nats of max-marginal: a word the OCR
read with confidence and the model finds plausible stays, whatever else the model would like.
Each change is a :class:`MarkFix` with its reason and confidence.

    >>> [(f.before, f.after) for f in correct_marks(["Kê hoạch tông hợp năm 2025"], {1: ()})]
    [('Kê', 'Kế'), ('tông', 'tổng')]
    >>> correct_marks(["Kế hoạch tổng hợp năm 2025"], {1: ()})
    []
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from normalize.diacritics import (
    LOCAL_MAX_KEPT,
    UNKNOWN,
    NgramModel,
    canonical_tone_placement,
    is_vietnamese_syllable,
    load_model,
    strip_diacritics,
)
from normalize.encodings import is_vietnamese_syllable as in_inventory
from normalize.ocrnoise import WORD, Option, Piece, decode_words, load_confusions
from normalize.ocrnoise import _generator as candidate_generator

DEFAULT_MARKS_PATH = Path(__file__).parent / "data" / "vie_marks.json"
# A word's options: the spelling read and the cheapest others, no more than the decoder keeps
# past its first cut, so that the spelling read leaves the lattice only when the model rules it
# out by a beam's width (the margin of a change is then no artefact of pruning).
MAX_OPTIONS = LOCAL_MAX_KEPT

#: (start, end, confidence) of each word the OCR engine read on a line, in the line's columns.
WordSpans = Sequence[tuple[int, int, float]]

_TONES = {"\u0301": "sắc", "\u0300": "huyền", "\u0309": "hỏi", "\u0303": "ngã", "\u0323": "nặng"}


@dataclass(frozen=True)
class MarkCosts:
    """What each kind of mark change costs a candidate (nats of prior), and when to change.

    ``tone_added``: the candidate has a tone the spelling read has not (``thông`` → ``thống``,
    the error ``vie`` makes most); ``tone_dropped``: the reverse; ``tone_changed``: another
    tone (``thầm`` → ``thẩm``); ``shape``: per letter whose own mark differs (``ô``/``ơ``/``o``,
    ``đ``/``d``). ``trust``: prior of the spelling read per unit of OCR word confidence
    (``default_confidence`` when the engine gave none); ``invalid``: what a spelling read that is
    no Vietnamese syllable (``quyêt``) pays. ``min_margin``: nats by which the model must prefer
    a new spelling to the one read.
    """

    tone_added: float
    tone_dropped: float
    tone_changed: float
    shape: float
    trust: float
    default_confidence: float
    invalid: float
    min_margin: float


@functools.lru_cache(maxsize=4)
def load_mark_costs(path: str | Path | None = None) -> MarkCosts:
    """The costs shipped in ``normalize/data/vie_marks.json``, or those at ``path``."""
    data = json.loads(Path(path or DEFAULT_MARKS_PATH).read_text(encoding="utf-8"))
    return MarkCosts(**{name: float(value) for name, value in data["costs"].items()})


@dataclass(frozen=True)
class MarkFix:
    """A word whose marks were corrected: line (1-based) and columns ``[start, end)`` of the
    text given, the spelling read and the new one, the decoder's confidence in it, the margin
    (nats) by which the model prefers it to the spelling read (None: the model ruled the
    spelling read out, pruning it), and why, in words."""

    line: int
    start: int
    end: int
    before: str
    after: str
    confidence: float
    margin: float | None
    ocr_confidence: float | None
    reason: str


def correct_marks(
    lines: Sequence[str],
    ocr: Mapping[int, WordSpans],
    *,
    model: NgramModel | None = None,
    costs: MarkCosts | None = None,
) -> list[MarkFix]:
    """The mark corrections of the lines of ``lines`` (NFC text) that are keys of ``ocr``:
    1-based numbers of lines OCR'd with a Vietnamese model, each with its words' confidences
    (empty when the engine gave none). Other lines are context only where they wrap into an
    OCR'd line; every character but a corrected word's is kept.
    """
    model = model or load_model()
    costs = costs or load_mark_costs()
    generator = candidate_generator(model, load_confusions())
    spans = {number: sorted(words) for number, words in ocr.items()}
    seen: dict[tuple[int, int], float | None] = {}

    def options_of(number: int, piece: Piece) -> tuple[Option, ...] | None:
        if piece.kind != WORD:
            return None
        confidence = _word_confidence(spans[number], piece)
        seen[number, piece.start] = confidence
        return _mark_options(piece.text, confidence, generator.syllables, model, costs)

    # No adaptation to the document's own choices: a change must stand on the model and the
    # OCR's evidence alone, the same whatever else the page holds.
    read, decoded = decode_words(model, list(lines), set(ocr), options_of, adapt=False,
                                 max_kept=MAX_OPTIONS)
    fixes: list[MarkFix] = []
    for word in read:
        ranked = decoded[word.position]
        best, confidence = ranked[0]
        if best == 0:  # the spelling read (option 0, see _mark_options)
            continue
        # the spelling read may have been pruned from the lattice: the model ruled it out
        kept = next((p for k, p in ranked if k == 0), None)
        margin = None if kept is None else math.log(confidence) - math.log(kept)
        if margin is not None and margin < costs.min_margin:
            continue
        after = _spell_as(word.piece.text, word.options[best].spelling or word.piece.text)
        ocr_confidence = seen[word.line, word.piece.start]
        fixes.append(MarkFix(word.line, word.piece.start, word.piece.end, word.piece.text, after,
                             round(min(confidence, 1.0), 3),
                             None if margin is None else round(margin, 2), ocr_confidence,
                             _reason(word.piece.text, after, margin, ocr_confidence)))
    return fixes


def _word_confidence(words: WordSpans, piece: Piece) -> float | None:
    """The confidence of the OCR word that holds ``piece`` (None when none does)."""
    at = bisect.bisect_right(words, (piece.start, math.inf, math.inf)) - 1
    if at >= 0 and words[at][0] <= piece.start and piece.end <= words[at][1]:
        return words[at][2]
    return None


def _split_tone(syllable: str) -> tuple[str, str]:
    """(the letters with their own marks, the tone mark or '')."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = "".join(ch for ch in decomposed if ch in _TONES)
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    return bare, tone


def mark_cost(read: str, candidate: str, costs: MarkCosts) -> float:
    """What reading ``candidate`` where the OCR printed ``read`` costs (both lowercase NFC,
    the same letters bare of marks).

    >>> costs = load_mark_costs()
    >>> mark_cost("thông", "thống", costs) == costs.tone_added
    True
    >>> mark_cost("thông", "thơng", costs) == costs.shape
    True
    """
    read_letters, read_tone = _split_tone(read)
    letters, tone = _split_tone(candidate)
    cost = costs.shape * sum(a != b for a, b in zip(read_letters, letters, strict=False))
    if tone != read_tone:
        cost += (costs.tone_added if not read_tone else costs.tone_dropped if not tone
                 else costs.tone_changed)
    return cost


def _mark_options(word: str, confidence: float | None, syllables: Mapping[str, tuple[int, ...]],
                  model: NgramModel, costs: MarkCosts) -> tuple[Option, ...] | None:
    """The spelling read first (``spelling`` None; prior: trust in the OCR, or the cost of a
    spelling that is no syllable), then the model syllables with the same bare letters whose
    marks cost least (prior: minus that cost; the more frequent first among equals), up to
    ``MAX_OPTIONS`` in all; None for a word that is no Vietnamese syllable in any marks, or not
    in lower, Title or UPPER case."""
    if not word.isalpha() or not (word.islower() or word.isupper() or word.istitle()):
        return None
    read = canonical_tone_placement(unicodedata.normalize("NFC", word).lower())
    ids = syllables.get(strip_diacritics(read))
    if not ids:
        return None
    trust = costs.trust * (costs.default_confidence if confidence is None else confidence)
    valid = is_vietnamese_syllable(read) and in_inventory(read)
    own = model.ids.get(read) if valid else None
    first = Option(own if own is not None else model.token_id(UNKNOWN),
                   trust if valid else -costs.invalid, None)
    others = sorted(((mark_cost(read, model.vocab[token_id], costs), rank, token_id)
                     for rank, token_id in enumerate(ids) if token_id != own))
    return (first, *(Option(token_id, -cost, model.vocab[token_id])
                     for cost, _, token_id in others[: MAX_OPTIONS - 1]))


def _spell_as(source: str, syllable: str) -> str:
    """``syllable`` in the case of ``source`` (UPPER, Title or lower)."""
    if len(source) > 1 and source.isupper():
        return syllable.upper()
    if source[:1].isupper():
        return syllable[:1].upper() + syllable[1:]
    return syllable


def _reason(before: str, after: str, margin: float | None, ocr_confidence: float | None) -> str:
    """Why ``before`` became ``after``, in words: the marks changed and the evidence."""
    read_letters, read_tone = _split_tone(before.lower())
    letters, tone = _split_tone(after.lower())
    changes = [f"{a}→{b}" for a, b in zip(read_letters, letters, strict=False) if a != b]
    if tone != read_tone:
        changes.append(f"tone {_TONES.get(read_tone, 'ngang')}→{_TONES.get(tone, 'ngang')}")
    evidence = ("no OCR word confidence" if ocr_confidence is None
                else f"OCR word confidence {ocr_confidence:.2f}")
    preference = (f"rules out {before!r} in context" if margin is None
                  else f"prefers {after!r} to {before!r} by {margin:.1f} nats in context")
    return f"OCR mark error ({', '.join(changes)}): the language model {preference}; {evidence}"
