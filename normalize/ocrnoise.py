"""Repair Vietnamese text OCR'd without a Vietnamese model.

An OCR engine that knows no Vietnamese reads marked letters as whatever Latin glyph they resemble:
``Nguyén`` (Nguyên), ``S¢`` or ``S&`` (Sở), ``dwoc`` or ``dugc`` (được), ``1a`` (là), ``s6``
(số), ``d3`` (đã), ``Pao`` (Đạo), ``cia``/``caa``/``ctia`` (của), ``chirc`` (chức). Nothing here
lists whole words. Each word is read through a table of *character* confusions
(``data/ocr_confusions.json``: ``w`` may be ``ư``, ``6`` an ``ố``/``ở``, ``ir`` an ``ứ``, ``1`` an
``l``, ``P`` a ``Đ`` …, each with a cost) into the toneless skeletons of Vietnamese syllables it
could stand for (:func:`CandidateGenerator.skeletons`); every accented syllable of the model's
inventory with such a skeleton becomes a candidate, with the confusion cost as its prior, and the
syllable language model of :mod:`normalize.diacritics` chooses in context
(:func:`~normalize.diacritics.decode_lattice`, the decoder behind ``best_path``). Diacritics are
restored in the same pass: a clean unmarked word is its own skeleton at no cost.

Left alone: numbers, dates, document codes (``73/KH-UBND``, ``432/BC-SDT&TG``), URLs and e-mails,
ALL-CAPS abbreviations among lowercase words (``CCHC``, ``UBND``), Roman numerals, list labels
(``a)``), and words no confusion turns into a Vietnamese syllable (``iOffice``).

    >>> repair_ocr_noise("Ban Dan tgc dwoc thanh 1ap theo Quyét dinh s6 73/KH-UBND").text
    'Ban Dân tộc được thành lập theo Quyết định số 73/KH-UBND'
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from normalize.diacritics import (
    CODE,
    DEFAULT_MAX_KEPT,
    NUMBER,
    SENTENCE,
    UNKNOWN,
    NgramModel,
    canonical_tone_placement,
    decode_lattice,
    is_vietnamese_syllable,
    load_model,
    strip_diacritics,
)
from normalize.encodings import is_vietnamese_syllable as in_inventory
from normalize.encodings import syllable_key
from normalize.lines import MAX_TOKEN

DEFAULT_CONFUSIONS_PATH = Path(__file__).parent / "data" / "ocr_confusions.json"

DEFAULT_CONFUSION_WEIGHT = 1.0  # nats of prior per unit of confusion cost
DEFAULT_MAX_SKELETONS = 8  # the cheapest skeletons of a word that are looked at
DEFAULT_MAX_OPTIONS = 16  # the cheapest candidate syllables of a word that reach the decoder
DEFAULT_KEPT_MARK_BONUS = 0.5  # prior of a word's own spelling when it is a marked syllable
NOISY_WORD_MAX_COST = 1.0  # an ASCII word this cheap to read as a syllable counts as OCR noise
SUSPECT_MARK_SHARE = 0.2  # a marked letter this often in words that are no syllable is suspect

_SKELETON_LETTERS = frozenset("abcdeghiklmnopqrstuvxy")
_ROMAN_NUMERAL = re.compile(r"[IVXL]+")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,:/-]\d+)*%?")
_URL = re.compile(r"[a-z][a-z0-9+.\-]*://|www\.|@[\w\-]+\.\w|\w\.(?:vn|com|net|org|gov|edu)\b",
                  re.IGNORECASE)
_CODE_JOINER = re.compile(r"[/\\]|[^\W_]-[^\W_]|[^\W_]-$")
_INNER_BRACKET = re.compile(r"\w[()\[\]{}]\w")
_DOTTED = re.compile(r"[^\W\d_]\.[^\W\d_]")  # file names, domains, TP.HCM
_OCR_SYMBOLS = "¢&@€"
# A word: letters, digits and the symbols OCR makes of marked letters, with an apostrophe or a
# colon inside (THU'C, hif:n); a chunk is cut into words and punctuation by this.
_PIECE = re.compile(r"(?P<word>[\w" + re.escape(_OCR_SYMBOLS) + r"]+(?:['’:][\w"
                    + re.escape(_OCR_SYMBOLS) + r"]+)*)|(?P<punct>[^\w\s]+?|_+)")
_LEADING_PUNCT = "“\"'‘([{«*•_-–—…"
_TRAILING_PUNCT = ".,;:!?)]}\"'”’»…/"  # "/": the "./." that ends a report


# --- the confusion table ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ConfusionTable:
    """OCR character confusions: what an OCR sequence may stand for in a printed syllable.

    ``rules[ocr]`` lists ``(letters, cost)``; ``letters`` are lowercase and toneless, and a
    letter with its shape mark (``ơ``, ``đ``) names the letter meant: a candidate with another
    letter there pays ``family_mismatch_cost``. Reading a letter as itself (or a Latin-1 accented
    letter as its base) is free and not listed. ``deletion_cost`` drops any character,
    ``insertion_cost`` supplies one lost vowel of ``insertable``; a reading may use at most
    ``max_edits`` costed steps and ``max_cost`` in all. A written word that is no syllable keeps
    its own spelling as a candidate at ``unknown_cost``.
    """

    rules: dict[str, tuple[tuple[str, float], ...]]
    max_cost: float
    max_edits: int
    deletion_cost: float
    insertion_cost: float
    insertable: str
    unknown_cost: float
    family_mismatch_cost: float

    @property
    def longest(self) -> int:
        """The longest OCR sequence a rule reads."""
        return max(map(len, self.rules), default=1)


@functools.lru_cache(maxsize=4)
def load_confusions(path: str | Path | None = None) -> ConfusionTable:
    """Load the confusion table shipped in ``normalize/data`` or the one at ``path``."""
    data = json.loads(Path(path or DEFAULT_CONFUSIONS_PATH).read_text(encoding="utf-8"))
    rules: dict[str, list[tuple[str, float]]] = {}
    for rule in data["confusions"]:
        for letters, cost in rule["read_as"].items():
            if not set(strip_diacritics(letters)) <= _SKELETON_LETTERS or _toneless(
                    letters) != letters:
                raise ValueError(f"{rule['ocr']!r}: {letters!r} is not toneless lowercase letters")
            rules.setdefault(rule["ocr"], []).append((letters, float(cost)))
    settings = data["settings"]
    return ConfusionTable(
        rules={ocr: tuple(readings) for ocr, readings in rules.items()},
        max_cost=float(settings["max_cost"]),
        max_edits=int(settings["max_edits"]),
        deletion_cost=float(settings["deletion_cost"]),
        insertion_cost=float(settings["insertion_cost"]),
        insertable=settings["insertable"],
        unknown_cost=float(settings["unknown_cost"]),
        family_mismatch_cost=float(settings["family_mismatch_cost"]),
    )


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _toneless(text: str) -> str:
    """``text`` without tone marks, shape marks kept: ``được`` → ``đươc``."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))


@functools.lru_cache(maxsize=512)
def _plain_letter(char: str) -> str:
    """The skeleton letter ``char`` reads as at no cost ('' when none): ``é`` → ``e``, ``Đ`` →
    ``d``, ``W`` → ''. Only letters of the Vietnamese alphabet, in either case, qualify."""
    base = strip_diacritics(char).lower()
    if len(base) != 1:
        base = unicodedata.normalize("NFD", char)[0].lower()
    return base if base in _SKELETON_LETTERS else ""


class Reading(NamedTuple):
    """One way of reading an OCR word: its cost and the letters it names (index, letter)."""

    cost: float
    letters: tuple[tuple[int, str], ...]


class CandidateGenerator:
    """Reads OCR words into candidate syllables, for one model and confusion table.

    :meth:`skeletons` finds the toneless skeletons (``duoc``) a word can be read as;
    :meth:`candidates` turns them into the model's syllables with the cost of each. Both are
    cached per word.
    """

    def __init__(self, model: NgramModel, table: ConfusionTable) -> None:
        self.model, self.table = model, table
        # Candidates are syllables of Vietnamese shape: the inventory also holds foreign words.
        self.syllables = {form: tuple(i for i in ids if syllable_key(model.vocab[i]) is not None)
                          for form, ids in model.candidates.items()}
        self.syllables = {form: ids for form, ids in self.syllables.items() if ids}
        self._prefixes = {form[:k] for form in self.syllables for k in range(len(form) + 1)}
        self._as_written = {form for form, ids in self.syllables.items()
                            if any(model.vocab[i] == form for i in ids)}
        self._skeletons: dict[tuple[str, bool], dict[str, tuple[Reading, ...]]] = {}
        self._candidates: dict[tuple[str, bool], tuple[tuple[int, float], ...]] = {}

    def valid_as_written(self, form: str) -> bool:
        """True for an unmarked lowercase form that is itself one of its candidate syllables
        (``cho``, ``ban``), not only the skeleton of some (``cach``, ``chuong``)."""
        return form in self._as_written

    def skeletons(self, word: str, *, confusions: bool = True) -> dict[str, tuple[Reading, ...]]:
        """Skeleton → the cheapest readings of ``word`` as it (at most ``DEFAULT_MAX_SKELETONS``
        skeletons, cheapest first); with ``confusions=False`` only the free reading.

        >>> generator = CandidateGenerator(load_model(), load_confusions())
        >>> generator.skeletons("S¢")["so"][0]
        Reading(cost=0.5, letters=((1, 'ơ'),))
        """
        key = (word, confusions)
        if key not in self._skeletons:
            self._skeletons[key] = self._search(word, confusions)
        return self._skeletons[key]

    def candidates(self, word: str, *, confusions: bool = True) -> tuple[tuple[int, float], ...]:
        """(model syllable id, cost) for every syllable ``word`` may stand for, cheapest first.

        >>> generator = CandidateGenerator(load_model(), load_confusions())
        >>> [(generator.model.vocab[i], c) for i, c in generator.candidates("S¢")][:2]
        [('sở', 0.5), ('sơ', 0.5)]
        """
        key = (word, confusions)
        if key not in self._candidates:
            costs: dict[int, float] = {}
            for skeleton, readings in self.skeletons(word, confusions=confusions).items():
                for token_id in self.syllables[skeleton]:
                    letters = _toneless(self.model.vocab[token_id])
                    costs[token_id] = min(
                        reading.cost + self.table.family_mismatch_cost * sum(
                            letters[at] != letter for at, letter in reading.letters)
                        for reading in readings)
            self._candidates[key] = tuple(sorted(costs.items(), key=lambda item: item[1]))
        return self._candidates[key]

    def _search(self, word: str, confusions: bool) -> dict[str, tuple[Reading, ...]]:
        table, prefixes = self.table, self._prefixes
        max_cost = table.max_cost if confusions else 0.0
        found: dict[str, dict[tuple[tuple[int, str], ...], float]] = {}
        # (position in word, skeleton so far, letters named, cost, costed steps, inserted yet)
        stack: list[tuple[int, str, tuple[tuple[int, str], ...], float, int, bool]] = [
            (0, "", (), 0.0, 0, False)]
        while stack:
            at, skeleton, named, cost, edits, inserted = stack.pop()
            if at == len(word) and skeleton in self.syllables:
                readings = found.setdefault(skeleton, {})
                readings[named] = min(cost, readings.get(named, math.inf))
            moves: list[tuple[int, str, float]] = []
            if at < len(word):
                plain = _plain_letter(word[at])
                if plain:
                    moves.append((1, plain, 0.0))
                if confusions:
                    for length in range(1, table.longest + 1):
                        written = word[at : at + length]
                        # rules for lowercase sequences read capitals too (THY'C = THỰC)
                        for sequence in dict.fromkeys((written, written.lower())):
                            for letters, step in table.rules.get(sequence, ()):
                                moves.append((length, letters, step))
                    moves.append((1, "", table.deletion_cost))
            if confusions and not inserted:
                moves += [(0, vowel, table.insertion_cost) for vowel in table.insertable]
            for length, letters, step in moves:
                new_cost, new_edits = cost + step, edits + (step > 0)
                bare = strip_diacritics(letters)
                if new_cost > max_cost or new_edits > table.max_edits:
                    continue
                if skeleton + bare not in prefixes:
                    continue
                new_named = named + tuple((len(skeleton) + k, letter)
                                          for k, letter in enumerate(letters) if letter != bare[k])
                stack.append((at + length, skeleton + bare, new_named, new_cost, new_edits,
                              inserted or length == 0))
        ranked = sorted(found.items(), key=lambda item: (min(item[1].values()), item[0]))
        return {skeleton: tuple(sorted((Reading(cost, named) for named, cost in readings.items()),
                                       key=lambda reading: reading.cost))
                for skeleton, readings in ranked[:DEFAULT_MAX_SKELETONS]}


@functools.lru_cache(maxsize=4)
def _generator(model: NgramModel, table: ConfusionTable) -> CandidateGenerator:
    return CandidateGenerator(model, table)


# --- reading a line into pieces -----------------------------------------------------------------

WORD, ABBREVIATION, NUMBER_PIECE, CODE_PIECE, PUNCT, KEPT = (
    "word", "abbreviation", "number", "code", "punct", "kept")


class Piece(NamedTuple):
    """A piece of one line: ``kind`` is word (to read), abbreviation, number, code, punct or kept
    (a Roman numeral, a list label, any word left as written); columns ``[start, end)``."""

    kind: str
    start: int
    end: int
    text: str


def _letters(text: str) -> str:
    return "".join(filter(str.isalpha, text))


def _is_code(core: str) -> bool:
    """A document code, path or address: ``73/KH-UBND``, ``NQ-CP``, ``VNPT-iOffice``, ``a@b.vn``.

    Not ``di-dén`` (two lowercase words): a hyphen makes a code only next to a digit or an
    ALL-CAPS part.
    """
    if _URL.search(core) or _DOTTED.search(core):
        return True
    if not _CODE_JOINER.search(core):
        return False
    if "/" in core or "\\" in core:
        return True
    parts = re.split(r"-", core)
    return any(any(ch.isdigit() for ch in part) or (len(_letters(part)) > 1 and part.isupper())
               or (part[:1].islower() and any(ch.isupper() for ch in part[1:]))
               for part in parts)


@functools.lru_cache(maxsize=8192)
def scan_line(line: str) -> tuple[Piece, ...]:
    """Cut one line into pieces; whitespace is not a piece (cached: the repair judges a line
    before it reads it).

    >>> [(p.kind, p.text) for p in scan_line("S6: 432 /BC-SDT&TG cia UBND tinh.")]
    [('word', 'S6'), ('punct', ':'), ('number', '432'), ('code', '/BC-SDT&TG'), ('word', 'cia'), \
('abbreviation', 'UBND'), ('word', 'tinh'), ('punct', '.')]
    """
    raw: list[Piece] = []
    for chunk in re.finditer(r"\S+", line):
        start, text = chunk.start(), chunk.group()
        if len(text) > MAX_TOKEN:  # a blob, no words
            raw.append(Piece(KEPT, start, chunk.end(), text))
            continue
        lead = len(text) - len(text.lstrip(_LEADING_PUNCT))
        core = text[lead:].rstrip(_TRAILING_PUNCT)
        if lead:
            raw.append(Piece(PUNCT, start, start + lead, text[:lead]))
        core_start, core_end = start + lead, start + lead + len(core)
        if core and (_NUMBER.fullmatch(core) or _is_code(core)):
            raw.append(Piece(NUMBER_PIECE if _NUMBER.fullmatch(core) else CODE_PIECE,
                             core_start, core_end, core))
        else:
            garbled = bool(_INNER_BRACKET.search(core))  # qh(rc: no word to read in it
            for piece in _PIECE.finditer(core):
                kind = WORD if piece.lastgroup == "word" else PUNCT
                if kind == WORD and garbled:
                    kind = KEPT
                if kind == WORD and piece.group().isdigit():
                    kind = NUMBER_PIECE
                raw.append(Piece(kind, core_start + piece.start(), core_start + piece.end(),
                                 piece.group()))
        if core_end < chunk.end():
            raw.append(Piece(PUNCT, core_end, chunk.end(), text[lead + len(core) :]))
    return tuple(_classify_words(raw))


def _classify_words(pieces: list[Piece]) -> list[Piece]:
    """Mark abbreviations, Roman numerals and list labels among the word pieces of a line.

    An ALL-CAPS word is an abbreviation when it has a neighbouring word and none is ALL-CAPS
    (``cua UBND tinh``); among ALL-CAPS words (``SO DAN TQC``), or alone, it is a heading word
    and is read like any other.
    """
    words = [i for i, p in enumerate(pieces) if p.kind == WORD and _letters(p.text)]
    out = list(pieces)
    for rank, index in enumerate(words):
        piece = pieces[index]
        following = pieces[index + 1] if index + 1 < len(pieces) else None
        letters = _letters(piece.text)
        if _ROMAN_NUMERAL.fullmatch(piece.text):
            out[index] = piece._replace(kind=KEPT)
        elif (len(piece.text) == 1 and following is not None and following.kind == PUNCT
              and following.start == piece.end and following.text[0] in ").") and (
                  index == 0 or pieces[index - 1].kind == PUNCT):
            out[index] = piece._replace(kind=KEPT)  # a list label: a) b.
        elif len(letters) > 1 and letters.isupper() and letters == piece.text:
            neighbours = [pieces[words[k]].text for k in (rank - 1, rank + 1)
                          if 0 <= k < len(words)]
            if neighbours and not any(_letters(n).isupper() for n in neighbours):
                out[index] = piece._replace(kind=ABBREVIATION)
    for index, piece in enumerate(out):
        if piece.kind == WORD and not _letters(piece.text) and not any(
                ch in _OCR_SYMBOLS for ch in piece.text):
            out[index] = piece._replace(kind=NUMBER_PIECE)
    return out


# --- judging a line -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineProfile:
    """What the words of a line look like, to tell OCR-noised or unmarked Vietnamese.

    ``marked``: syllables written with valid Vietnamese marks (``tỉnh``); ``bare``: unmarked
    words valid as written (``cho``, ``ban``); ``unmarked``: unmarked words that need marks to
    be syllables (``cach``, ``viet``); ``noisy``: words that show OCR symptoms (a digit or symbol
    inside, a broken case, marks no syllable has: ``s6``, ``S¢``, ``cOng``, ``Nguyén``) or that
    one cheap confusion makes a syllable of (``dwoc``, ``chirc``); ``foreign``: any other word
    (``report``, ``harm``).
    """

    marked: int = 0
    bare: int = 0
    unmarked: int = 0
    noisy: int = 0
    foreign: int = 0

    @property
    def words(self) -> int:
        return self.marked + self.bare + self.unmarked + self.noisy + self.foreign

    def __add__(self, other: LineProfile) -> LineProfile:
        return LineProfile(self.marked + other.marked, self.bare + other.bare,
                           self.unmarked + other.unmarked, self.noisy + other.noisy,
                           self.foreign + other.foreign)


def line_profile(line: str, *, model: NgramModel | None = None,
                 table: ConfusionTable | None = None) -> LineProfile:
    """Count the words of ``line`` by kind (see :class:`LineProfile`); labels, abbreviations and
    one-letter words are not counted.

    >>> line_profile("Cong tac cai cach dugc S¢ thuc hién")
    LineProfile(marked=0, bare=2, unmarked=3, noisy=3, foreign=0)
    >>> line_profile("The report was sent to the Ministry")
    LineProfile(marked=0, bare=3, unmarked=0, noisy=0, foreign=4)
    """
    generator = _generator(model or load_model(), table or load_confusions())
    counts = {"marked": 0, "bare": 0, "unmarked": 0, "noisy": 0, "foreign": 0}
    for piece in scan_line(unicodedata.normalize("NFC", line)):
        if piece.kind != WORD or len(piece.text) < 2:
            continue
        counts[_word_kind(piece.text, generator)] += 1
    return LineProfile(**counts)


@lru_cache(maxsize=1 << 16)
def _word_kind(word: str, generator: CandidateGenerator) -> str:
    """A word's kind (see :class:`LineProfile`); pure, so cached: most words of a text recur."""
    lower = word.lower()
    plain_ascii = lower.isascii() and lower.isalpha() and _has_case_shape(word)
    if plain_ascii and lower in generator.syllables:
        return "bare" if generator.valid_as_written(lower) else "unmarked"
    if not plain_ascii and _has_case_shape(word) and is_vietnamese_syllable(lower) and (
            lower in generator.model.ids):
        return "marked"
    readings = generator.skeletons(word)
    if not readings:
        return "foreign"
    if not plain_ascii:
        return "noisy"
    cheapest = next(iter(readings.values()))[0].cost
    return "noisy" if cheapest <= NOISY_WORD_MAX_COST else "foreign"


def _has_case_shape(word: str) -> bool:
    """Lower, Title or UPPER case letters only (``cOng``, ``S6``, ``Iy`` are not)."""
    return word.isalpha() and (word.islower() or word.isupper() or word.istitle()) and not (
        word[0] == "I" and len(word) > 1 and word[1:].islower())


# --- repairing text -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SyllableFix:
    """The decision taken for one word of a repaired line (columns of the input line).

    ``fix`` is ``repair_ocr_noise`` when the word was read through a confusion (its skeleton
    changed), ``restore_diacritics`` when only marks were added, ``""`` when it was kept.
    """

    line: int  # 1-based
    start: int
    end: int
    original: str
    chosen: str
    confidence: float
    fix: str
    alternatives: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class OcrRepair:
    """The repaired text and a decision for every word that was read."""

    text: str
    syllables: list[SyllableFix]


class Option(NamedTuple):
    token_id: int
    prior: float
    spelling: str | None  # the model syllable, or None for the word's own spelling


def _apply_case(source: str, syllable: str) -> str:
    """Write ``syllable`` in the case of OCR word ``source``: UPPER when most of its letters are,
    two or more (``HQI``, ``CAlI``), Title when it starts with a capital (``I`` excepted: it
    stands for ``l``), else lower.
    """
    letters = _letters(source)
    upper = sum(ch.isupper() for ch in letters)
    if upper > 1 and 2 * upper > len(letters):
        return syllable.upper()
    if source[0].isupper() and source[0] != "I":
        return syllable[0].upper() + syllable[1:]
    return syllable


@functools.lru_cache(maxsize=1 << 16)
def _options(word: str, generator: CandidateGenerator, confusions: bool,
             weight: float) -> tuple[Option, ...]:
    """Candidate syllables of ``word`` with priors (at most ``DEFAULT_MAX_OPTIONS``, cheapest
    first), and its own spelling when that is not among them.

    The spelling as written gets a small bonus when it is a marked syllable (marks an OCR engine
    did print are evidence, if weak); it stays a candidate at no cost when it is a syllable of the
    corpus inventory the model does not offer, else at ``unknown_cost``.
    """
    model = generator.model
    written = canonical_tone_placement(unicodedata.normalize("NFC", word).lower())
    options: list[Option] = []
    for token_id, cost in generator.candidates(word, confusions=confusions)[:DEFAULT_MAX_OPTIONS]:
        spelling = model.vocab[token_id]
        bonus = DEFAULT_KEPT_MARK_BONUS if spelling == written and not written.isascii() else 0.0
        options.append(Option(token_id, -weight * cost + bonus, spelling))
    if not any(option.spelling == written for option in options):
        known = is_vietnamese_syllable(written) and in_inventory(written)
        penalty = 0.0 if known else -generator.table.unknown_cost
        options.append(Option(model.token_id(written if known else UNKNOWN), penalty, None))
    return tuple(options)


def _suspect_marks(words: Sequence[str]) -> frozenset[str]:
    """The marked letters this text's OCR misuses: found in words that are no syllable
    (``Nguyén``, ``hién``), in at least ``SUSPECT_MARK_SHARE`` of the words holding them.

    A marked word is trusted and kept when it is a syllable of the inventory and holds no
    suspect letter: an engine that knows no Vietnamese writes ``é`` for any marked e or o, but
    the ``à`` of a correct ``là``, or the ``ở`` of ``Sở``, came from a correct text.
    """
    holding: Counter[str] = Counter()
    invalid: Counter[str] = Counter()
    for word in words:
        marked = {ch for ch in word.lower() if ord(ch) > 0x7F and ch.isalpha()}
        if not marked:
            continue
        holding.update(marked)
        if not (is_vietnamese_syllable(word.lower()) and in_inventory(word)):
            invalid.update(marked)
    return frozenset(ch for ch, n in invalid.items() if n >= SUSPECT_MARK_SHARE * holding[ch])


def _trusted(word: str, suspect: frozenset[str]) -> bool:
    """A marked syllable of the inventory without suspect letters (see :func:`_suspect_marks`)."""
    lower = word.lower()
    return (not lower.isascii() and not suspect.intersection(lower)
            and is_vietnamese_syllable(lower) and in_inventory(word))


def _context_id(model: NgramModel, piece: Piece) -> int:
    if piece.kind == NUMBER_PIECE:
        return model.ids[NUMBER]
    if piece.kind == CODE_PIECE:
        return model.ids[CODE]
    if piece.kind == ABBREVIATION:
        return model.token_id(strip_diacritics(piece.text))
    if piece.kind == WORD:  # a marked word read as context (kept)
        return model.token_id(canonical_tone_placement(piece.text.lower()))
    return model.token_id(piece.text)


def _soft_break(before: Sequence[Piece], after: Sequence[Piece]) -> bool:
    """A line wrapped inside a sentence: it ends in a word, number or comma and the next line
    starts with a lowercase word. The model then reads across the break."""
    if not before or not after:
        return False
    last, first = before[-1], after[0]
    continues = last.kind in (WORD, NUMBER_PIECE, ABBREVIATION) or last.text == ","
    return continues and first.kind == WORD and first.text[0].islower()


def repair_ocr_noise(
    text: str,
    lines: Collection[int] | None = None,
    *,
    confusions: bool = True,
    model: NgramModel | None = None,
    table: ConfusionTable | None = None,
    weight: float = DEFAULT_CONFUSION_WEIGHT,
) -> OcrRepair:
    """Repair the OCR noise and restore the marks of ``lines`` of ``text`` (1-based; all lines
    when None). Other lines, and every character that is not a word read, are kept, so line N of
    the output is line N of the input.

    With ``confusions=False`` a word is only given marks (plain diacritic restoration with this
    module's reading of a line). Each word read gets a :class:`SyllableFix` with the confidence
    of the decoder (the softmaxed max-marginal of the choice).

        >>> repair_ocr_noise("Nghi quyét s6 76/NQ-CP cta Chinh pha").text
        'Nghị quyết số 76/NQ-CP của Chính phủ'
    """
    model = model or load_model()
    generator = _generator(model, table or load_confusions())
    text = unicodedata.normalize("NFC", text)
    raw_lines = text.split("\n")
    wanted = set(range(1, len(raw_lines) + 1)) if lines is None else set(lines)
    suspect = _suspect_marks([p.text for number in sorted(wanted) if number <= len(raw_lines)
                              for p in scan_line(raw_lines[number - 1]) if p.kind == WORD])

    def options_of(number: int, piece: Piece) -> tuple[Option, ...] | None:
        if piece.kind == WORD and not _trusted(piece.text, suspect):
            return _options(piece.text, generator, confusions, weight)
        return None

    read, decoded = decode_words(model, raw_lines, wanted, options_of)
    if not read:
        return OcrRepair(text, [])
    return _apply(raw_lines, read, decoded)


class ReadWord(NamedTuple):
    """A word given options: its line (1-based), piece, place in the lattice and options."""

    line: int
    piece: Piece
    position: int
    options: tuple[Option, ...]


def decode_words(
    model: NgramModel,
    raw_lines: Sequence[str],
    wanted: Collection[int],
    options_of: Callable[[int, Piece], tuple[Option, ...] | None],
    *,
    adapt: bool = True,
    max_kept: int = DEFAULT_MAX_KEPT,
) -> tuple[list[ReadWord], list[list[tuple[int, float]]]]:
    """Decode, in one lattice, the words of the ``wanted`` lines (1-based) that ``options_of``
    gives options (a word without, and every other piece, is context as written).

    Lines are cut by sentence boundaries but where a line wraps inside a sentence
    (:func:`_soft_break`); a line not wanted is a boundary. Returns the words read and, per
    lattice position, (option index, confidence) best first
    (:func:`~normalize.diacritics.decode_lattice`, ``adapt`` and ``max_kept`` passed on).
    """
    boundary = ([model.ids[SENTENCE]], [0.0])
    lattice: list[tuple[list[int], list[float]]] = []
    read: list[ReadWord] = []
    previous: Sequence[Piece] = ()
    for number in range(1, len(raw_lines) + 1):
        if number not in wanted:
            if previous:
                lattice.append(boundary)
            previous = ()
            continue
        pieces = scan_line(raw_lines[number - 1])
        if not pieces:
            continue
        if not _soft_break(previous, pieces):
            lattice.append(boundary)
        for piece in pieces:
            options = options_of(number, piece)
            if options and (len(options) > 1 or options[0].spelling is not None):
                read.append(ReadWord(number, piece, len(lattice), options))
                lattice.append(([o.token_id for o in options], [o.prior for o in options]))
            else:
                lattice.append(([_context_id(model, piece)], [0.0]))
        previous = pieces
    return read, (decode_lattice(model, lattice, adapt=adapt, max_kept=max_kept) if read else [])


def _apply(raw_lines: list[str], read: list[ReadWord],
           decoded: list[list[tuple[int, float]]]) -> OcrRepair:
    """Write the decoded choices into the lines; record a :class:`SyllableFix` per word read."""
    fixes: list[SyllableFix] = []
    by_line: dict[int, list[SyllableFix]] = {}
    for number, piece, position, options in read:
        spelled = [(_spell(piece.text, options[k]), p) for k, p in decoded[position]]
        chosen, confidence = spelled[0]
        if chosen == piece.text:
            fix = ""
        elif strip_diacritics(chosen).lower() == strip_diacritics(piece.text).lower():
            fix = "restore_diacritics"
        else:
            fix = "repair_ocr_noise"
        record = SyllableFix(number, piece.start, piece.end, piece.text, chosen,
                             min(1.0, confidence), fix, tuple(spelled[1:]))
        fixes.append(record)
        by_line.setdefault(number, []).append(record)
    out_lines = list(raw_lines)
    for number, records in by_line.items():
        line, parts, cursor = raw_lines[number - 1], [], 0
        for record in records:
            parts += [line[cursor : record.start], record.chosen]
            cursor = record.end
        out_lines[number - 1] = "".join(parts) + line[cursor:]
    return OcrRepair("\n".join(out_lines), fixes)


def _spell(word: str, option: Option) -> str:
    """The output spelling of ``option`` for OCR ``word``; the word itself when the option is its
    own spelling or the same syllable as written (tone placement ``hoà`` kept)."""
    if option.spelling is None:
        return word
    written = canonical_tone_placement(unicodedata.normalize("NFC", word).lower())
    if option.spelling == written:
        return word
    return _apply_case(word, option.spelling)
