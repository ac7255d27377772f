"""Vietnamese diacritic restoration with a syllable 4-gram language model.

Text that lost its marks (``cai cach hanh chinh``) is turned back into Vietnamese
(``cải cách hành chính``): every unmarked syllable gets the accented spellings the corpus knows
for it as candidates, and a pruned Kneser–Ney 4-gram model (``normalize/data``, built by
``scripts/build_model.py``, described in ``docs/MODEL.md``) picks the most likely sequence;
further passes re-decide the uncertain syllables in favour of the words and word pairs that the
same document spelled confidently elsewhere, more often than the corpus does.

What is never touched: characters that are not a restorable syllable (digits, punctuation,
whitespace, line breaks), URLs, e-mails, markup tags, document codes such as ``73/KH-UBND``,
isolated ALL-CAPS abbreviations such as ``CCHC`` or ``UBND``, words that are not Vietnamese
syllables, and every word that already carries a Vietnamese mark: those are read as context only.
In text that kept its marks, unmarked words that are valid as written (``cho``) stay too.

The decoder is exposed on its own (:func:`best_path`) so that other repairs, such as OCR-noise
correction, can offer their own candidate sets with prior weights and reuse the same model.

>>> restore_diacritics("cai cach hanh chinh nha nuoc").text
'cải cách hành chính nhà nước'
"""

from __future__ import annotations

import bisect
import functools
import json
import lzma
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import numpy as np

from normalize.lines import MAX_TOKEN

DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "vi_syllable_ngram.lm.xz"
MODEL_FORMAT = "vnextract-syllable-kn/1"

SENTENCE = "<s>"  # segment boundary: start and end of a paragraph or a hard line break
UNKNOWN = "<unk>"  # a word that is not a Vietnamese syllable, or one the model never saw
NUMBER = "<num>"
CODE = "<code>"  # URL, e-mail, markup tag, document code (``73/KH-UBND``)
SPECIAL_TOKENS = (SENTENCE, UNKNOWN, NUMBER, CODE)

LOCAL_BEAM = 7.0  # log-units: candidates this far below the best bigram-link score are dropped
LOCAL_MAX_KEPT = 6  # at most this many candidates per syllable reach the trigram pass
DEFAULT_BEAM = 6.0  # log-units: candidates this far below the best trigram path are dropped
DEFAULT_MAX_KEPT = 5  # at most this many candidates per syllable reach the full-order pass
COARSE_ORDER = 3  # order of the pass that prunes candidates for the full-order pass
DEFAULT_ADAPT_WEIGHT = 1.0  # weight of the document's own confident choices (later passes)
CACHE_MIN_CONFIDENCE = 0.9  # a choice this sure counts as the document's usage
CACHE_PRIOR_COUNT = 5.0  # pseudo-counts of the corpus share in the document's share
PAIR_WEIGHT = 1.0  # weight of the pairs of adjacent words the document spelled confidently
ADAPT_ROUNDS = 3  # passes over the uncertain syllables, each with the last pass's choices
FREEZE_CONFIDENCE = 0.99  # a first-pass choice this sure is not re-decoded
MARKED_TEXT_SHARE = 0.5  # text with this share of marked words keeps its valid unmarked words
MIN_JUDGED_WORDS = 4  # a paragraph with fewer words is judged with the whole text
FOREIGN_WINDOW = 2  # words looked at on each side to tell an English passage

# --- characters ---------------------------------------------------------------------------------

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_LETTER_MARKS = "\u0302\u0306\u031b"  # circumflex (â ê ô), breve (ă), horn (ơ ư)
_VIETNAMESE_MARKS = frozenset(_TONE_MARKS + _LETTER_MARKS)
_STOP_TONES = frozenset("\u0301\u0323")  # the only tones a syllable ending in c, ch, p, t takes


def _build_strip_table() -> dict[int, str]:
    """Map every precomposed Latin letter made of a base letter and Vietnamese marks to its base.

    Derived from Unicode decompositions, so no character table has to be kept by hand; letters
    with other marks (``ü``, ``ç``) are left alone.
    """
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for code_point in range(0x00C0, 0x1F00):
        decomposed = unicodedata.normalize("NFD", chr(code_point))
        base, marks = decomposed[0], decomposed[1:]
        if marks and base.isascii() and base.isalpha() and set(marks) <= _VIETNAMESE_MARKS:
            table[code_point] = base
    return table


_STRIP_TABLE = _build_strip_table()
_VIETNAMESE_LETTERS = frozenset(
    "abcdeghiklmnopqrstuvxy" + "".join(chr(c) for c in _STRIP_TABLE) + "đ"
)


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone marks and letter marks, keeping case; ``đ``/``Đ`` become ``d``/``D``.

    Input and output are NFC. Marks that are not Vietnamese (``ü`` in ``München``) are kept.

    >>> strip_diacritics("Ủy ban nhân dân tỉnh Thái Nguyên")
    'Uy ban nhan dan tinh Thai Nguyen'
    >>> strip_diacritics("München 2025")
    'München 2025'
    """
    return unicodedata.normalize("NFC", text).translate(_STRIP_TABLE)


def _tone_of(syllable: str) -> str:
    """The tone marks of ``syllable`` as combining characters ('' for the level tone)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", syllable) if ch in _TONE_MARKS)


def _without_tone(syllable: str) -> str:
    """``syllable`` with its tone mark removed and its letter marks kept: ``hoàn`` → ``hoan``."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))


_ONSET = r"(?:ngh|ng|gh|gi|kh|ph|th|tr|ch|nh|qu|[bcdghklmnprstvx])?"
_SYLLABLE_SHAPE = re.compile(_ONSET + r"[aeiouy]{1,3}(ch|nh|ng|[cmnpt])?")
_OLD_STYLE_RHYME = re.compile(r"(" + _ONSET.replace("[bcd", "[bcdđ") + r")(o[ae]|uy)")


def canonical_tone_placement(syllable: str) -> str:
    """Put the tone of an open ``oa``/``oe``/``uy`` rhyme on its first vowel (``hoà`` → ``hòa``).

    Both placements are accepted spellings; official texts and most of the corpus use the
    "old" one (``hòa``, ``khỏe``, ``thủy``), so the model learns that one, and writes it unless
    the document uses the other (see :func:`new_tone_placement`). ``quý`` keeps its mark on
    ``y`` (``qu`` is the onset), and closed rhymes (``hoàn``) are untouched.

    >>> canonical_tone_placement("thuỷ"), canonical_tone_placement("quý")
    ('thủy', 'quý')
    """
    return _place_tone(syllable, 0)


def new_tone_placement(syllable: str) -> str:
    """Put the tone of an open ``oa``/``oe``/``uy`` rhyme on its second vowel (``hòa`` → ``hoà``).

    The "new" placement of the 1980s orthography rules, the other accepted spelling (see
    :func:`canonical_tone_placement`); ``quý`` and closed rhymes (``hoàn``) are untouched.

    >>> new_tone_placement("hòa"), new_tone_placement("Thủy"), new_tone_placement("hoàn")
    ('hoà', 'Thuỷ', 'hoàn')
    """
    return _place_tone(syllable, 1)


def _place_tone(syllable: str, vowel: int) -> str:
    """Put the single tone of an open ``oa``/``oe``/``uy`` rhyme on its vowel ``vowel`` (0, 1)."""
    tone = _tone_of(syllable)
    if len(tone) != 1:
        return syllable
    bare = _without_tone(syllable)
    match = _OLD_STYLE_RHYME.fullmatch(bare.lower())
    if match is None or match.group(1) == "qu":
        return syllable
    at = len(match.group(1)) + vowel
    return bare[:at] + unicodedata.normalize("NFC", bare[at] + tone) + bare[at + 1 :]


@lru_cache(maxsize=1 << 16)
def is_vietnamese_syllable(word: str) -> bool:
    """True when lowercase NFC ``word`` is spelled like one Vietnamese syllable.

    Checks the letters, the onset–vowels–coda shape, at most one tone mark, and that a syllable
    ending in ``c``, ``ch``, ``p`` or ``t`` has the sắc or nặng tone. Foreign words fail
    (``robert``, ``online``), as does an impossible ``cac``; ``các`` and ``cho`` pass.

    >>> [is_vietnamese_syllable(w) for w in ("các", "cho", "cac", "online")]
    [True, True, False, False]
    """
    if not word or not set(word) <= _VIETNAMESE_LETTERS:
        return False
    shape = _SYLLABLE_SHAPE.fullmatch(strip_diacritics(word))
    if shape is None:
        return False
    tone = _tone_of(word)
    if len(tone) > 1:
        return False
    stop_coda = shape.group(1) in ("c", "ch", "p", "t")
    return not stop_coda or tone in _STOP_TONES


# --- scanning text into tokens ------------------------------------------------------------------

WORD, NUMBER_TOKEN, PUNCT, CODE_TOKEN, BREAK = "word", "number", "punct", "code", "break"


class Token(NamedTuple):
    """A piece of text: ``kind`` is word, number, punct, code or break (whitespace with \\n)."""

    kind: str
    start: int
    end: int
    text: str


_CHUNK_RE = re.compile(r"[^\S\n]*\n\s*|\S+")
_PIECE_RE = re.compile(
    r"(?P<code></?[A-Za-z][A-Za-z0-9]*>)"  # markup left over from DOCX/HTML: <b>, </i>
    r"|(?P<word>[^\W\d_]+)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<punct>[^\w\s]+|_+)"
)
_URL_RE = re.compile(r"[a-z][a-z0-9+.\-]*://|www\.|@[\w\-]+\.\w|\w\.(?:vn|com|net|org|gov|edu)\b",
                     re.IGNORECASE)
_LETTER_DIGIT_RE = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")
_JOINER_RE = re.compile(r"[/&\\=]|\w-\w")
_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")
_TRAILING_PUNCT = ".,;:!?)]\"'”’"


def _is_code(chunk: str) -> bool:
    """True for a whitespace-free chunk that is an address or a document code, kept verbatim.

    URLs, e-mails and domains; letters glued to digits (``QH13``); and chunks whose parts are
    joined by ``/ & - \\ =`` when a part is a number or an ALL-CAPS abbreviation
    (``73/KH-UBND``, ``432/BC-SDT&TG``, ``05-NQ/TU``). Not ``đồng/năm`` nor ``kinh tế-xã hội``.
    """
    if _URL_RE.search(chunk) or _LETTER_DIGIT_RE.search(chunk):
        return True
    if not _JOINER_RE.search(chunk) or not _LETTER_RUN_RE.search(chunk):
        return False
    return any(ch.isdigit() for ch in chunk) or any(
        len(run) > 1 and run.isupper() for run in _LETTER_RUN_RE.findall(chunk)
    )


def scan(text: str) -> list[Token]:
    """Split ``text`` into word, number, punctuation, code and line-break tokens.

    Plain spaces are not tokens; every other character belongs to exactly one token.

    >>> [t.text for t in scan("Số 73/KH-UBND, ngày 5")]
    ['Số', '73/KH-UBND', ',', 'ngày', '5']
    """
    tokens: list[Token] = []
    for chunk in _CHUNK_RE.finditer(text):
        start, piece_text = chunk.start(), chunk.group()
        if "\n" in piece_text:
            tokens.append(Token(BREAK, start, chunk.end(), piece_text))
            continue
        core = piece_text.rstrip(_TRAILING_PUNCT)
        if len(piece_text) > MAX_TOKEN:  # a blob, no words: kept verbatim, like a code
            tokens.append(Token(CODE_TOKEN, start, chunk.end(), piece_text))
            continue
        if core and _is_code(core):
            tokens.append(Token(CODE_TOKEN, start, start + len(core), core))
            if len(core) < len(piece_text):
                tokens.append(Token(PUNCT, start + len(core), chunk.end(), piece_text[len(core) :]))
            continue
        for piece in _PIECE_RE.finditer(piece_text):
            kind = piece.lastgroup or PUNCT
            tokens.append(Token(kind, start + piece.start(), start + piece.end(), piece.group()))
    return tokens


def _is_abbreviation(tokens: Sequence[Token], index: int) -> bool:
    """True for an ALL-CAPS word written among lowercase words on its line (``TU``, ``CCHC``).

    An ALL-CAPS word next to another ALL-CAPS word (``KE HOACH``), or alone on its line
    (``LUAT``), is a heading and is restored.
    """
    word = tokens[index].text
    if len(word) < 2 or not word.isupper():
        return False
    neighbours = [_neighbour_word(tokens, index, step) for step in (-1, 1)]
    neighbours = [n for n in neighbours if n is not None]
    return bool(neighbours) and not any(n.isupper() for n in neighbours)


def _neighbour_word(tokens: Sequence[Token], index: int, step: int) -> str | None:
    """The nearest word before (step -1) or after (+1) ``index`` on the same line, if any."""
    index += step
    while 0 <= index < len(tokens):
        token = tokens[index]
        if token.kind == WORD:
            return token.text
        if token.kind == BREAK:
            return None
        index += step
    return None


def _is_soft_break(tokens: Sequence[Token], index: int) -> bool:
    """True for a line break inside a sentence: PDF text wraps lines at the page margin.

    The break is soft when it follows a word, a number or a comma and the next line starts with
    a lowercase word; the model then reads across it. The break itself stays in the output.
    """
    if index == 0 or index + 1 >= len(tokens):
        return False
    before, after = tokens[index - 1], tokens[index + 1]
    continues = before.kind in (WORD, NUMBER_TOKEN) or before.text == ","
    return continues and after.kind == WORD and after.text[0].islower()


def context_tokens(text: str) -> list[str]:
    """The token sequence the language model is trained on: lowercase syllables and specials.

    Hard line breaks become ``<s>``; punctuation is kept as itself, ALL-CAPS abbreviations
    too (unmarked: ``HĐND`` → ``HDND``); numbers, codes and other words that are not Vietnamese
    syllables become ``<num>``, ``<code>`` and ``<unk>``.

    >>> context_tokens("Số 73/KH-UBND của UBND tỉnh Thái Nguyên.")
    ['số', '<code>', 'của', 'UBND', 'tỉnh', 'thái', 'nguyên', '.']
    """
    tokens = scan(unicodedata.normalize("NFC", text))
    out: list[str] = []
    for index, token in enumerate(tokens):
        if token.kind == BREAK:
            if not _is_soft_break(tokens, index) and out and out[-1] != SENTENCE:
                out.append(SENTENCE)
        else:
            out.append(_context_token(tokens, index))
    return out


def _context_token(tokens: Sequence[Token], index: int) -> str:
    """The model token for the non-break token at ``index``, as written (marks kept)."""
    token = tokens[index]
    if token.kind == NUMBER_TOKEN:
        return NUMBER
    if token.kind == CODE_TOKEN:
        return CODE
    if token.kind == PUNCT:
        return token.text
    word = token.text
    syllable = None if _is_abbreviation(tokens, index) else _syllable_form(word.lower())
    if syllable is not None:
        return syllable
    if len(word) > 1 and word.isupper():
        return strip_diacritics(word)  # abbreviations are telling context: UBND xã, HDND xã
    return UNKNOWN


@functools.lru_cache(maxsize=1 << 16)
def _syllable_form(lower: str) -> str | None:
    """The model spelling of a lowercase word if it is a Vietnamese syllable, else None."""
    return canonical_tone_placement(lower) if is_vietnamese_syllable(lower) else None


# --- the language model -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NgramModel:
    """A pruned, interpolated Kneser–Ney syllable n-gram model in back-off form.

    ``log P(w | context)`` is the stored value when the n-gram was kept, else
    ``backoff(context) + log P(w | context minus its oldest word)``, down to the unigram.
    ``keys[n]`` are the sorted n-grams kept, ids packed as ``((a * V + b) * V + c) ...``;
    ``logprob[n]`` and ``backoff[n]`` are aligned with them (index 1: per vocabulary id).
    """

    vocab: tuple[str, ...]
    ids: dict[str, int]
    candidates: dict[str, tuple[int, ...]]  # stripped lowercase form -> ids, most frequent first
    keys: dict[int, np.ndarray]
    logprob: dict[int, np.ndarray]
    backoff: dict[int, np.ndarray]
    metadata: dict

    @property
    def order(self) -> int:
        """The longest n-gram the model stores."""
        return max(self.logprob)

    def token_id(self, token: str) -> int:
        """The id of a model token, ``<unk>`` for one the model does not know."""
        return self.ids.get(token, self.ids[UNKNOWN])

    def scores(self, context: Sequence[np.ndarray], word: np.ndarray) -> np.ndarray:
        """``log P(word | context)`` for arrays of ids; ``context`` lists the oldest word first.

        Works up from the unigram; a longer context is only looked up where the shorter one is
        stored, since pruning by count keeps every prefix and suffix of a kept n-gram.
        """
        size = np.uint64(len(self.vocab))
        result = self.logprob[1][word]
        depth = min(len(context), self.order - 1)
        if depth == 0:
            return result
        active = np.arange(len(word))  # entries whose context of this length is stored
        packed = context[-1].astype(np.uint64)
        backoff = self.backoff[1][context[-1]]
        packed_word = word.astype(np.uint64)
        for length in range(1, depth + 1):
            found, slot = _lookup(self.keys[length + 1], packed * size + packed_word[active])
            result[active] = np.where(found, self.logprob[length + 1][slot],
                                      backoff + result[active])
            if length == depth:
                break
            longer = context[-length - 1][active].astype(np.uint64) * size**length + packed
            known, slot = _lookup(self.keys[length + 1], longer)
            active, packed, backoff = active[known], longer[known], self.backoff[length + 1][
                slot[known]]
        return result


SORTED_LOOKUP_TABLE = 2_000_000  # table size from which lookups sort their queries ...
SORTED_LOOKUP_QUERIES = 50_000  # ... when there are at least this many


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` sits in ``sorted_keys``: (found mask, clipped slot).

    Of many queries, a run of one key (the context of every candidate of a window's last word)
    is looked up once. Many queries into a table larger than the CPU cache are sorted first:
    numpy's binary search then starts each key where the last one ended and walks the table
    in one direction.
    """
    if len(keys) > max(SORTED_LOOKUP_QUERIES, 1):
        change = np.empty(len(keys), bool)
        change[0] = True
        np.not_equal(keys[1:], keys[:-1], out=change[1:])
        distinct = int(np.count_nonzero(change))
        if distinct < 0.75 * len(keys):  # runs of one key, as contexts of a window's last word
            run = np.cumsum(change) - 1
            found, slot = _lookup(sorted_keys, keys[change])
            return found[run], slot[run]
    if len(sorted_keys) > SORTED_LOOKUP_TABLE and len(keys) > SORTED_LOOKUP_QUERIES:
        order = np.argsort(keys)
        slot = np.empty(len(keys), np.int64)
        slot[order] = np.searchsorted(sorted_keys, keys[order])
    else:
        slot = np.searchsorted(sorted_keys, keys)
    np.minimum(slot, len(sorted_keys) - 1, out=slot)
    return sorted_keys[slot] == keys, slot


def write_model_file(path: Path, arrays: dict[str, np.ndarray], metadata: dict) -> None:
    """Write arrays and metadata as one deterministic xz stream: a JSON header line, then bytes.

    Used by ``scripts/build_model.py``; the same inputs give the same file, byte for byte.
    """
    header = {"format": MODEL_FORMAT, "metadata": metadata, "arrays": []}
    blobs = []
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        header["arrays"].append({"name": name, "dtype": array.dtype.str, "shape": array.shape})
        blobs.append(array.tobytes())
    payload = json.dumps(header, ensure_ascii=False, sort_keys=True).encode() + b"\n"
    payload += b"".join(blobs)
    partial = path.with_name(path.name + ".partial")  # readers never see half a model
    partial.write_bytes(lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME))
    partial.replace(path)


def read_model_file(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read what :func:`write_model_file` wrote: (arrays by name, metadata)."""
    payload = lzma.decompress(Path(path).read_bytes())
    header_end = payload.index(b"\n")
    header = json.loads(payload[:header_end])
    if header.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: not a {MODEL_FORMAT} model file")
    arrays: dict[str, np.ndarray] = {}
    offset = header_end + 1
    for spec in header["arrays"]:
        dtype = np.dtype(spec["dtype"])
        count = math.prod(spec["shape"])
        arrays[spec["name"]] = np.frombuffer(payload, dtype, count, offset).reshape(spec["shape"])
        offset += count * dtype.itemsize
    return arrays, header["metadata"]


@functools.lru_cache(maxsize=4)
def load_model(path: str | Path | None = None) -> NgramModel:
    """Load (once per path) the model shipped in ``normalize/data`` or the one at ``path``."""
    arrays, metadata = read_model_file(Path(path) if path is not None else DEFAULT_MODEL_PATH)
    vocab = tuple(bytes(arrays["vocab"]).decode().split("\n"))
    candidates: dict[str, list[int]] = {}
    for token_id in arrays["candidate_ids"].tolist():  # stored most frequent first
        candidates.setdefault(strip_diacritics(vocab[token_id]), []).append(token_id)
    order = metadata["order"]
    return NgramModel(
        vocab=vocab,
        ids={token: index for index, token in enumerate(vocab)},
        candidates={form: tuple(group) for form, group in candidates.items()},
        keys={n: np.cumsum(arrays[f"key_deltas_{n}"], dtype=np.uint64)
              for n in range(2, order + 1)},
        logprob={n: arrays[f"logprob_{n}"].astype(np.float32) for n in range(1, order + 1)},
        backoff={n: arrays[f"backoff_{n}"].astype(np.float32) for n in range(1, order)},
        metadata=metadata,
    )


# --- decoding a lattice -------------------------------------------------------------------------

Lattice = list[tuple[list[int], list[float]]]  # per position: candidate ids, prior log-weights


class FlatLattice(NamedTuple):
    """A lattice as arrays: the candidates of every position one after the other."""

    ids: np.ndarray  # int64 candidate ids
    priors: np.ndarray  # float64 prior log-weights, aligned with ids
    widths: np.ndarray  # int64 number of candidates of each position

    @classmethod
    def of(cls, lattice: Lattice) -> FlatLattice:
        """The arrays of a lattice given as lists."""
        options, weights = zip(*lattice, strict=True)
        widths = np.fromiter(map(len, options), np.int64, len(lattice))
        total = int(widths.sum())
        return cls(np.fromiter(chain.from_iterable(options), np.int64, total),
                   np.fromiter(chain.from_iterable(weights), np.float64, total), widths)

    @property
    def offsets(self) -> np.ndarray:
        """Where each position's candidates start."""
        return np.cumsum(self.widths) - self.widths

    @property
    def positions(self) -> np.ndarray:
        """The position of each candidate."""
        return np.repeat(np.arange(len(self.widths)), self.widths)


def _padded(model: NgramModel, flat: FlatLattice, order: int) -> FlatLattice:
    """``flat`` with ``order - 1`` lone ``<s>`` before it and one after, as decoding needs."""
    sentence = model.ids[SENTENCE]
    before, after = [sentence] * (order - 1), [sentence]
    return FlatLattice(np.r_[before, flat.ids, after].astype(np.int64),
                       np.r_[[0.0] * (order - 1), flat.priors, [0.0]],
                       np.r_[[1] * (order - 1), flat.widths, [1]].astype(np.int64))


def _windows(widths: np.ndarray, offsets: np.ndarray, order: int) -> list[np.ndarray]:
    """Every combination of candidates over every window of ``order`` consecutive positions.

    Returns, per window slot (oldest first), the flat candidate index of each combination;
    combinations are ordered by window, then mixed radix with the last position fastest.
    """
    span = len(widths) - order + 1
    sizes = np.ones(span, np.int64)
    for k in range(order):
        sizes *= widths[k : k + span]
    window = np.repeat(np.arange(span), sizes)
    rank = np.arange(int(sizes.sum())) - (np.cumsum(sizes) - sizes)[window]
    slots = []
    for k in range(order - 1, -1, -1):
        rank, digit = np.divmod(rank, widths[window + k])
        slots.append(offsets[window + k] + digit)
    return slots[::-1]


def _window_words(lattice: FlatLattice, order: int) -> list[np.ndarray]:
    """The word ids of every window combination (see :func:`_windows`), oldest slot first."""
    return [lattice.ids[slot] for slot in _windows(lattice.widths, lattice.offsets, order)]


def _score_table(model: NgramModel, lattice: FlatLattice, order: int,
                 pairs: PairBonus | None = None) -> np.ndarray:
    """``log P(w_i | w_{i-order+1} .. w_{i-1})`` for every window combination (see
    :func:`_windows`), for the max-product passes; plus, with ``pairs``, the document's bonus
    for the last two words of each window."""
    words = _window_words(lattice, order)
    scores = model.scores(words[:-1], words[-1])
    if pairs is not None:
        scores += pairs.bonus(words[-2], words[-1])
    return scores


def _best_first(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Candidate indices sorted by position, and within a position by ``values``, highest
    first (ties keep their order)."""
    return np.lexsort((-values, positions))


def _prune_locally(model: NgramModel, lattice: FlatLattice, beam: float,
                   max_kept: int) -> tuple[FlatLattice, np.ndarray]:
    """Keep, per position, at most ``max_kept`` candidates within ``beam`` of the best one.

    A candidate is scored by its prior plus its best bigram link to each neighbouring position
    (vectorized; as good a filter here as a full bigram Viterbi, at a fraction of the cost).
    Returns the pruned lattice, best candidates first, and the index of each of its candidates
    among the candidates of its position in ``lattice``.
    """
    ids, priors, widths = lattice
    offsets, position = lattice.offsets, lattice.positions
    prev, cur = _windows(widths, offsets, 2)
    link = model.scores([ids[prev]], ids[cur])
    from_left = np.full(len(ids), -np.inf)
    to_right = np.full(len(ids), -np.inf)
    np.maximum.at(from_left, cur, link + priors[prev])
    np.maximum.at(to_right, prev, link + priors[cur])
    local = priors + np.where(np.isinf(from_left), 0.0, from_left) + np.where(
        np.isinf(to_right), 0.0, to_right)
    pruned, survivors = _keep_best(lattice, local, beam, max_kept)
    return pruned, survivors - offsets[position[survivors]]


def _keep_best(lattice: FlatLattice, scores: np.ndarray, beam: float,
               max_kept: int) -> tuple[FlatLattice, np.ndarray]:
    """Keep, per position, at most ``max_kept`` candidates within ``beam`` of the best
    ``scores``, best first; returns the pruned lattice and the indices of its candidates in
    ``lattice``."""
    offsets, position = lattice.offsets, lattice.positions
    ranked = _best_first(scores, position)
    rank = np.empty(len(scores), np.int64)
    rank[ranked] = np.arange(len(scores)) - offsets[position[ranked]]
    best = np.maximum.reduceat(scores, offsets)
    survivors = ranked[((rank < max_kept) & (scores >= best[position] - beam))[ranked]]
    kept_widths = np.bincount(position[survivors], minlength=len(lattice.widths))
    return FlatLattice(lattice.ids[survivors], lattice.priors[survivors], kept_widths), survivors


def _prune(model: NgramModel, lattice: FlatLattice, order: int, beam: float,
           max_kept: int) -> tuple[FlatLattice, np.ndarray]:
    """The candidates that reach the full-order pass, coarse to fine.

    Bigram links to the neighbours keep ``LOCAL_MAX_KEPT`` candidates within ``LOCAL_BEAM``
    (:func:`_prune_locally`); then a max-product pass of order ``COARSE_ORDER`` keeps, of
    those, ``max_kept`` within ``beam`` of the best path. The trigram pass sees whole
    phrases (``âm hiệu`` against ``am hiểu``) that single links miss, at a fraction of the
    cost of a 4-gram pass over as many candidates. Below order 4 only the links prune.
    Returns the pruned lattice, best first, and each candidate's index in its position.
    """
    if COARSE_ORDER >= order:
        return _prune_locally(model, lattice, beam, max_kept)
    wide, indices = _prune_locally(model, lattice, LOCAL_BEAM, LOCAL_MAX_KEPT)
    coarse = _max_marginals(wide, _score_table(model, wide, COARSE_ORDER), COARSE_ORDER)
    kept, chosen = _keep_best(wide, coarse, beam, max_kept)
    return kept, indices[chosen]


def _max_marginals(lattice: FlatLattice, scores: np.ndarray, order: int) -> np.ndarray:
    """Best total score of a path through each candidate of the lattice (max-product).

    A state at position i is a choice for positions ``i-order+2 .. i`` (mixed-radix index,
    last position least significant); ``lattice`` starts with ``order - 1`` lone ``<s>``.
    ``scores`` is :func:`_score_table` of the same lattice. A lone candidate gets 0.0: its
    confidence is 1 whatever the paths.

    Where ``order - 1`` lone candidates follow each other, a single state remains: the chain
    is cut there into segments that only add a constant to each other. The forward and
    backward passes run over all segments at once, one numpy step per window rank within a
    segment; every segment's best score is added to the others' at the end.
    """
    history = order - 1
    _, priors, widths = lattice
    offsets, size = lattice.offsets, len(widths)
    states = np.ones(size, np.int64)  # states[i]: choices for positions i-history+1 .. i
    for k in range(history):
        states[history - 1 :] *= widths[history - 1 - k : size - k]
    first = np.cumsum(states) - states  # where each position's states start in the buffers
    slots = int(states.sum())  # one more slot at the end: a constant 0, or a sink
    # Windows end at positions history .. size-1; a cut is a position with a single state.
    window = np.arange(history, size)
    oldest, newest = widths[window - history], widths[window]
    now, before = states[window], states[window - 1]
    stride = before // oldest
    entries = oldest * now
    at = np.cumsum(entries) - entries  # where each window's scores start
    cut = np.flatnonzero(states[history - 1 :] == 1) + history - 1
    opens = np.isin(window - 1, cut)  # the first window of its segment
    following = np.searchsorted(cut, window)
    segment_end = np.where(following < len(cut), cut[np.minimum(following, len(cut) - 1)],
                           size - 1)
    rank_from_start = window - cut[following - 1] - 1

    def steps(rank: np.ndarray, minor: np.ndarray) -> tuple[np.ndarray, ...]:
        """Score entries of all windows ordered by ``rank`` and, within a window, by
        (major, minor) digit: (window, major digit, minor digit, entry bounds per rank)."""
        sequence = np.argsort(rank, kind="stable")
        count = entries[sequence]
        entry_window = np.repeat(sequence, count)
        j = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        width = minor[entry_window]
        bounds = np.searchsorted(rank[entry_window], np.arange(int(rank.max()) + 2))
        return entry_window, j // width, j % width, bounds

    # Forward: F[i][s] = prior_i(s) + max_r (F[i-1][r * stride + s // wq] + score(r, s)).
    w, s, r, bounds = steps(rank_from_start, oldest)
    previous = np.where(opens[w], slots, first[window[w] - 1] + r * stride[w] + s // newest[w])
    forward_scores = scores[at[w] + r * now[w] + s]
    group = np.flatnonzero(r == 0)
    target = first[window[w[group]]] + s[group]
    group_prior = priors[offsets[window[w[group]]] + s[group] % newest[w[group]]]
    group_bounds = np.searchsorted(group, bounds)
    forward = np.zeros(slots + 1)
    for a, b, ga, gb in zip(bounds[:-1], bounds[1:], group_bounds[:-1], group_bounds[1:],
                            strict=True):
        values = forward[previous[a:b]] + forward_scores[a:b]
        forward[target[ga:gb]] = (np.maximum.reduceat(values, group[ga:gb] - a)
                                  + group_prior[ga:gb])
    forward[slots] = 0.0

    # Backward: B[i-1][t] = max_q (score(t, q) + prior_i(q) + B[i][(t % stride) * wq + q]).
    w, t, q, bounds = steps(segment_end - window, newest)
    j = t * newest[w] + q
    backward_scores = scores[at[w] + j] + priors[offsets[window[w]] + q]
    ahead = first[window[w]] + (t % stride[w]) * newest[w] + q
    group = np.flatnonzero(q == 0)
    target = np.where(opens[w[group]], slots, first[window[w[group]] - 1] + t[group])
    group_bounds = np.searchsorted(group, bounds)
    backward = np.zeros(slots + 1)
    for a, b, ga, gb in zip(bounds[:-1], bounds[1:], group_bounds[:-1], group_bounds[1:],
                            strict=True):
        values = backward[ahead[a:b]] + backward_scores[a:b]
        backward[target[ga:gb]] = np.maximum.reduceat(values, group[ga:gb] - a)
    backward[slots] = 0.0

    # A candidate's best path: its best within its segment plus every other segment's best.
    ends = np.unique(segment_end)
    best_at_end = np.maximum.reduceat(forward[:slots], first)[ends]
    offset = np.zeros(size)
    offset[window] = best_at_end.sum() - best_at_end[np.searchsorted(ends, segment_end)]
    marginals = np.zeros(len(lattice.ids))
    chosen = np.flatnonzero(widths[history:] > 1) + history
    if not len(chosen):
        return marginals
    count = states[chosen]
    position = np.repeat(chosen, count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    last = k % widths[position]
    grouped = np.lexsort((last, position))  # by position, then by last choice
    combined = (forward + backward)[first[position] + k][grouped]
    starts = np.flatnonzero(np.r_[True, (np.diff(position[grouped]) != 0)
                                  | (np.diff(last[grouped]) != 0)])
    best = np.maximum.reduceat(combined, starts) + offset[position[grouped][starts]]
    marginals[np.repeat(offsets[chosen], widths[chosen]) + last[grouped][starts]] = best
    return marginals


def _posteriors(marginals: np.ndarray, lattice: FlatLattice) -> np.ndarray:
    """Softmax of max-marginal scores within each position: the confidence of each candidate
    (1.0 for a lone one)."""
    offsets, position = lattice.offsets, lattice.positions
    weights = np.exp(marginals - np.maximum.reduceat(marginals, offsets)[position])
    return weights / np.add.reduceat(weights, offsets)[position]


class PairBonus(NamedTuple):
    """Log-bonus of adjacent word pairs the document spelled confidently (packed, sorted)."""

    keys: np.ndarray
    values: np.ndarray
    size: int

    def bonus(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """The bonus of each pair ``(first[k], second[k])``: 0 for a pair never chosen."""
        if not len(self.keys):
            return np.zeros(len(first))
        found, slot = _lookup(self.keys, first.astype(np.uint64) * np.uint64(self.size)
                              + second.astype(np.uint64))
        return np.where(found, self.values[slot], 0.0)


def _document_pairs(choices: np.ndarray, settled: np.ndarray, is_open: np.ndarray, size: int,
                    weight: float) -> PairBonus:
    """``weight * log(1 + n)`` for each pair of adjacent choices made ``n`` times with both
    settled (a sure choice or a fixed token) and at least one of them open."""
    both = settled[:-1] & settled[1:] & (is_open[:-1] | is_open[1:])
    keys = choices[:-1][both].astype(np.uint64) * np.uint64(size) + choices[1:][both].astype(
        np.uint64)
    keys, counts = np.unique(keys, return_counts=True)
    return PairBonus(keys, weight * np.log1p(counts), size)


def _document_priors(lattice: FlatLattice, counts: np.ndarray, background: np.ndarray,
                     weight: float) -> np.ndarray:
    """Prior of each candidate from how much more often the document chose it than the corpus.

    ``weight * log`` of the candidate's share of the document's sure choices among its rivals
    (smoothed towards its corpus share with ``CACHE_PRIOR_COUNT`` pseudo-counts) over its
    corpus share (unigram probability among its rivals): 0 where the document says nothing.
    """
    offsets, position = lattice.offsets, lattice.positions
    corpus = background[lattice.ids].astype(np.float64)
    corpus /= np.add.reduceat(corpus, offsets)[position]
    seen = counts[lattice.ids].astype(np.float64)
    total = np.add.reduceat(seen, offsets)[position]
    return weight * np.log((seen + CACHE_PRIOR_COUNT * corpus)
                           / ((total + CACHE_PRIOR_COUNT) * corpus))


class Stretches(NamedTuple):
    """The stretches of a lattice around its reopened positions, ready to decode again.

    The positions that are not reopened keep their choice, which the adaptation rounds never
    change, so the stretches and their model scores are the same in every round: only the
    priors of the open candidates and the document's pair bonuses differ.
    """

    lattice: FlatLattice  # the stretches, joined by <s>; priors come from the decoded lattice
    candidate: np.ndarray  # per entry: the index of the candidate in the decoded lattice
    entry_open: np.ndarray  # per entry: does it belong to a reopened position?
    scores: np.ndarray  # the model's :func:`_score_table` of ``lattice``
    last_pair: tuple[np.ndarray, np.ndarray]  # the last two words of each window combination


def _stretches(model: NgramModel, lattice: FlatLattice, choices: np.ndarray,
               reopened: np.ndarray, order: int) -> Stretches:
    """Cut out the stretches around the ``reopened`` positions (a mask) and score them.

    Every other position is fixed to its id in ``choices``, and ``order - 1`` fixed positions
    in a row cut the chain: each stretch keeps that much fixed context on both sides, and the
    stretches are decoded together, joined by ``<s>`` (a constant for every path of a stretch).
    """
    reach = order - 1
    seen = np.r_[0, np.cumsum(reopened)]  # reopened positions before each position
    at = np.arange(len(reopened))
    needed = seen[np.minimum(at + reach + 1, len(reopened))] > seen[np.maximum(at - reach, 0)]
    taken = np.flatnonzero(needed | np.r_[False, needed[:-1]])
    source = np.r_[[-1] * reach, np.where(needed[taken], taken, -1), -1]  # -1: <s>
    known = np.maximum(source, 0)
    is_open = (source >= 0) & reopened[known]
    widths = np.where(is_open, lattice.widths[known], 1)
    entry_source = np.repeat(known, widths)
    entry_open = np.repeat(is_open, widths)
    k = np.arange(int(widths.sum())) - np.repeat(np.cumsum(widths) - widths, widths)
    candidate = lattice.offsets[entry_source] + k
    fixed = np.where(np.repeat(source >= 0, widths), choices[entry_source], model.ids[SENTENCE])
    flat = FlatLattice(np.where(entry_open, lattice.ids[candidate], fixed),
                       np.zeros(len(candidate)), widths)
    words = _window_words(flat, order)
    return Stretches(flat, candidate, entry_open, model.scores(words[:-1], words[-1]),
                     (words[-2], words[-1]))


def _redecode(model: NgramModel, lattice: FlatLattice, choices: np.ndarray,
              reopened: np.ndarray, order: int, pairs: PairBonus | None = None,
              stretches: Stretches | None = None) -> np.ndarray:
    """Decode again only the stretches around the ``reopened`` positions (a mask).

    Every other position is fixed to its id in ``choices`` (see :func:`_stretches`; pass
    ``stretches`` already cut for the same choices and mask to skip cutting and scoring).
    Returns the confidences of the candidates of the reopened positions, in lattice order.
    """
    if stretches is None:
        stretches = _stretches(model, lattice, choices, reopened, order)
    flat = stretches.lattice._replace(priors=np.where(
        stretches.entry_open, lattice.priors[stretches.candidate], 0.0))
    scores = stretches.scores
    if pairs is not None:
        scores = scores + pairs.bonus(*stretches.last_pair)
    marginals = _max_marginals(flat, scores, order)
    return _posteriors(marginals, flat)[stretches.entry_open]


def _decode(model: NgramModel, lattice: FlatLattice, order: int, beam: float, max_kept: int,
            adapt: bool) -> tuple[FlatLattice, np.ndarray, np.ndarray]:
    """Decode a padded lattice: (candidates kept, their indices in ``lattice``, confidences).

    First pass: prune coarse to fine (:func:`_prune`), then max-product over the full order.
    Adaptation: the positions left uncertain (below ``FREEZE_CONFIDENCE``) are decided again
    ``ADAPT_ROUNDS`` times, over stretches cut and scored once (:func:`_stretches`), with
    document priors (:func:`_document_priors`) and pair bonuses (:func:`_document_pairs`) from
    the current choices. Only contested choices (more than one candidate kept) that are sure
    count as the document's usage: a word the first pass never doubted (``đến`` after ``từ``)
    says nothing about which spelling this document prefers where it is in doubt.
    """
    if order == 2:
        kept, indices = lattice, np.arange(len(lattice.ids)) - np.repeat(lattice.offsets,
                                                                          lattice.widths)
    else:
        kept, indices = _prune(model, lattice, order, beam, max_kept)
    confidences = _posteriors(_max_marginals(kept, _score_table(model, kept, order), order),
                              kept)
    if not adapt or order == 2:
        return kept, indices, confidences
    offsets, position = kept.offsets, kept.positions
    contested = kept.widths > 1
    reopened = contested & (np.maximum.reduceat(confidences, offsets) < FREEZE_CONFIDENCE)
    if not reopened.any():
        return kept, indices, confidences
    entry_reopened = reopened[position]
    is_open = lattice.widths > 1
    background = np.exp(model.logprob[1].astype(np.float64))
    best = _best_first(confidences, position)[offsets]
    stretches = _stretches(model, kept, kept.ids[best], reopened, order)
    for _ in range(ADAPT_ROUNDS):
        best = _best_first(confidences, position)[offsets]
        choices = kept.ids[best]
        sure = contested & (confidences[best] >= CACHE_MIN_CONFIDENCE)
        counts = np.bincount(choices[sure], minlength=len(model.vocab))
        priors = kept.priors + np.where(
            entry_reopened, _document_priors(kept, counts, background, DEFAULT_ADAPT_WEIGHT), 0.0)
        pairs = _document_pairs(choices, sure | ~is_open, is_open, len(model.vocab),
                                PAIR_WEIGHT)
        confidences[entry_reopened] = _redecode(model, kept._replace(priors=priors), choices,
                                                reopened, order, pairs, stretches)
    return kept, indices, confidences


def decode_lattice(
    model: NgramModel,
    lattice: Lattice,
    *,
    order: int | None = None,
    beam: float = DEFAULT_BEAM,
    max_kept: int = DEFAULT_MAX_KEPT,
    adapt: bool = True,
) -> list[list[tuple[int, float]]]:
    """Decode a lattice of candidate ids; per position, (candidate index, confidence) best first.

    Candidates are first pruned with bigram links to their neighbours and then, from ``order``
    4 up, by the best trigram path through each (``beam`` and ``max_kept`` apply to this last
    cut, see :func:`_prune`); a max-product pass of the full ``order`` (default: the model's)
    decides; with ``adapt``, the positions left uncertain are decided again, preferring what
    the document chose confidently elsewhere (see :func:`_decode`). Confidences are softmaxed
    max-marginals (1.0 for a lone candidate).
    ``order=2`` is the plain bigram Viterbi over all candidates, the baseline of the
    benchmark. Positions holding only ``<s>`` cut the text into independent segments.
    """
    if not lattice:
        return []
    order = min(order or model.order, model.order)
    padded = _padded(model, FlatLattice.of(lattice), order)
    kept, indices, confidences = _decode(model, padded, order, beam, max_kept, adapt)
    ranked = _best_first(confidences, kept.positions)
    decided = list(zip(indices[ranked].tolist(), confidences[ranked].tolist(), strict=True))
    bounds = np.cumsum(kept.widths).tolist()
    return [decided[start:end] for start, end in zip(bounds[order - 2 : -2],
                                                     bounds[order - 1 : -1], strict=True)]


def best_path(
    candidates: list[list[tuple[str, float]]],
    *,
    model: NgramModel | None = None,
    order: int | None = None,
) -> list[tuple[str, float]]:
    """The most likely syllable sequence through per-position candidates, with confidences.

    Each position lists ``(syllable, prior log-weight)``; a position may include the raw token
    itself. Syllables are looked up lowercase (unknown ones act as ``<unk>``), and the chosen
    string is returned exactly as given.

    >>> best_path([[("cai", 0.0), ("cải", 0.0)], [("cách", 0.0), ("cạch", -1.0)]])[0][0]
    'cải'
    """
    model = model or load_model()
    lattice: Lattice = []
    for options in candidates:
        if not options:
            raise ValueError("every position needs at least one candidate")
        ids = [model.token_id(_model_form(text)) for text, _ in options]
        lattice.append((ids, [float(prior) for _, prior in options]))
    if not lattice:
        return []
    decoded = decode_lattice(model, lattice, order=order)
    return [(options[ranked[0][0]][0], ranked[0][1])
            for options, ranked in zip(candidates, decoded, strict=True)]


def _model_form(text: str) -> str:
    """How the model spells a syllable or special token: lowercase NFC, old-style tone."""
    if text in SPECIAL_TOKENS:
        return text
    return canonical_tone_placement(unicodedata.normalize("NFC", text).lower())


# --- restoring text -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SyllableChoice:
    """One restored syllable: where it is in the output, what it was, and what was chosen."""

    start: int
    end: int
    original: str
    chosen: str
    confidence: float  # softmaxed max-marginal of the choice, in [0, 1]
    alternatives: tuple[tuple[str, float], ...]  # the other candidates kept, with confidences


@dataclass(frozen=True)
class RestoreResult:
    """The restored text and the decision taken for every restorable syllable."""

    text: str
    syllables: list[SyllableChoice]


@functools.lru_cache(maxsize=1 << 14)
def _is_foreign(word: str) -> bool:
    """True for a word that cannot be a Vietnamese syllable, marked or not (``report``).

    Only letters and shape are checked: unmarked ``nuoc`` is not foreign, merely unrestored.
    """
    lower = word.lower()
    return not set(lower) <= _VIETNAMESE_LETTERS or not _SYLLABLE_SHAPE.fullmatch(
        strip_diacritics(lower))


def _in_marked_text(tokens: Sequence[Token], hard_breaks: set[int]) -> list[bool]:
    """Per token: does it sit in text that kept its marks (``MARKED_TEXT_SHARE`` of the words)?

    Judged per paragraph (between hard breaks) when it has ``MIN_JUDGED_WORDS`` Vietnamese
    words, else over the whole text. In marked text an unmarked word that is a valid syllable
    as written (``cho``, ``ban``) is correct as it stands, so accented input comes back as is.
    """
    segments: list[tuple[int, int, int, int]] = []  # first token, end token, marked, words
    start = marked = words = 0
    for index, token in enumerate([*tokens, Token(BREAK, 0, 0, "\n")]):
        if index in hard_breaks or index == len(tokens):
            segments.append((start, index, marked, words))
            start, marked, words = index + 1, 0, 0
        elif token.kind == WORD and not _is_foreign(token.text):
            words += 1
            marked += strip_diacritics(token.text) != token.text
    total_marked = sum(s[2] for s in segments)
    total_words = sum(s[3] for s in segments)
    flags = [False] * len(tokens)
    for first, end, marked, words in segments:
        if words < MIN_JUDGED_WORDS:
            marked, words = total_marked, total_words
        if words and marked >= MARKED_TEXT_SHARE * words:
            flags[first:end] = [True] * (end - first)
    return flags


def _restorable_form(model: NgramModel, tokens: Sequence[Token], index: int,
                     in_marked_text: bool, in_foreign_text: bool) -> str | None:
    """The stripped lowercase key of a word the model may re-accent, or None to keep it as is.

    Restorable: unmarked ASCII letters in lower, Title or UPPER case whose form has candidates,
    that is not an isolated abbreviation, not a lone capital before punctuation (``H.``), not
    among words mostly foreign (``sent to the Ministry``), and, in marked text, not already a
    valid syllable (``cho`` stays, ``nuoc`` is restored).
    """
    word = tokens[index].text
    if not word.isascii() or not (word.islower() or word.istitle() or word.isupper()):
        return None
    form = word.lower()
    if form not in model.candidates or in_foreign_text or _is_abbreviation(tokens, index):
        return None
    if in_marked_text and _syllable_form(form) is not None:
        return None
    if len(word) == 1 and word.isupper():
        follower = tokens[index + 1] if index + 1 < len(tokens) else None
        if follower is None or follower.kind != WORD:
            return None
    return form


def _in_foreign_text(tokens: Sequence[Token]) -> list[bool]:
    """Per token: are most of the words near it (``FOREIGN_WINDOW`` on each side, on its line)
    foreign? Labels (``a``, ``b``) and abbreviations (``UBND``) are skipped: they say nothing
    about the language around them."""
    flags = [False] * len(tokens)
    line: list[int] = []  # the word tokens of the current line
    telling: list[int] = []  # positions in ``line`` of its telling words
    foreign: list[int] = [0]  # foreign words among the first k telling words
    for index, token in enumerate([*tokens, Token(BREAK, 0, 0, "\n")]):
        if token.kind == WORD:
            if len(token.text) > 1 and not token.text.isupper():
                telling.append(index)
                foreign.append(foreign[-1] + _is_foreign(token.text))
            line.append(index)
        elif token.kind == BREAK:
            for word in line:
                at = bisect.bisect_left(telling, word)
                after = at + (at < len(telling) and telling[at] == word)
                start, end = max(0, at - FOREIGN_WINDOW), min(len(telling),
                                                               after + FOREIGN_WINDOW)
                near = at - start + end - after
                flags[word] = 2 * (foreign[at] - foreign[start] + foreign[end]
                                   - foreign[after]) > near
            line, telling, foreign = [], [], [0]
    return flags


def _document_tone_style(tokens: Sequence[Token]) -> str:
    """``"new"`` when the marked open ``oa``/``oe``/``uy`` syllables of the text mostly carry
    the tone on their second vowel (``hoà``, ``thuỷ``), else ``"old"``, the corpus majority."""
    old = new = 0
    for token in tokens:
        if token.kind == WORD and not token.text.isascii():
            lower = token.text.lower()
            placed = canonical_tone_placement(lower)
            if placed != lower:
                new += 1
            elif new_tone_placement(lower) != lower:
                old += 1
    return "new" if new > old else "old"


def tone_style(text: str) -> str:
    """Where ``text`` mostly puts the tone of an open ``oa``/``oe``/``uy`` syllable: ``"new"``
    (``hoà``, ``thuỷ``) or ``"old"`` (``hòa``, ``thủy``, also when it shows none).

    >>> tone_style("Hoà bình, thuỷ lợi"), tone_style("Hòa bình"), tone_style("thuy loi")
    ('new', 'old', 'old')
    """
    return _document_tone_style(scan(unicodedata.normalize("NFC", text)))


def restore_diacritics(text: str, *, model: NgramModel | None = None, order: int | None = None,
                       adapt: bool = True, tone_style: str | None = None) -> RestoreResult:
    """Put Vietnamese marks back on the unmarked syllables of ``text``.

    ``text`` is read as NFC. Only restorable syllables change (see :func:`_restorable_form`);
    every other character is kept, so offsets in the result equal offsets in the input.
    ``order`` and ``adapt`` are passed to :func:`decode_lattice`. Restored ``oa``/``oe``/``uy``
    syllables carry their tone where ``tone_style`` says: ``"old"`` (``hòa``), ``"new"``
    (``hoà``) or, by default, where the marked words of ``text`` mostly carry it.

    >>> restore_diacritics("Uy ban nhan dan tinh Thai Nguyen").text
    'Ủy ban nhân dân tỉnh Thái Nguyên'
    >>> restore_diacritics("Hoà bình: thuy loi, hoa hoc").text
    'Hoà bình: thuỷ lợi, hoá học'
    >>> restore_diacritics("CCHC: xem https://dichvucong.gov.vn").text
    'CCHC: xem https://dichvucong.gov.vn'
    """
    if tone_style not in (None, "old", "new"):
        raise ValueError(f"tone_style must be 'old', 'new' or None, not {tone_style!r}")
    model = model or load_model()
    order = min(order or model.order, model.order)
    text = unicodedata.normalize("NFC", text)
    tokens = scan(text)
    hard_breaks = {i for i, t in enumerate(tokens) if t.kind == BREAK and not _is_soft_break(
        tokens, i)}
    in_marked_text = _in_marked_text(tokens, hard_breaks)
    in_foreign_text = _in_foreign_text(tokens)
    sentence = model.ids[SENTENCE]
    ids: list[int] = [sentence] * (order - 1)
    widths: list[int] = [1] * (order - 1)
    restorable: list[tuple[Token, int]] = []  # (token, position in the padded lattice)
    for index, token in enumerate(tokens):
        if token.kind == BREAK:
            if index in hard_breaks:
                ids.append(sentence)
                widths.append(1)
            continue
        form = None
        if token.kind == WORD:
            form = _restorable_form(model, tokens, index, in_marked_text[index],
                                    in_foreign_text[index])
        if form is None:
            ids.append(model.token_id(_context_token(tokens, index)))
            widths.append(1)
        else:
            options = model.candidates[form]
            restorable.append((token, len(widths)))
            ids.extend(options)
            widths.append(len(options))
    if not restorable:
        return RestoreResult(text, [])
    ids.append(sentence)
    widths.append(1)
    lattice = FlatLattice(np.array(ids, np.int64), np.zeros(len(ids)), np.array(widths, np.int64))
    kept, _, confidences = _decode(model, lattice, order, DEFAULT_BEAM, DEFAULT_MAX_KEPT, adapt)
    ranked = _best_first(confidences, kept.positions)
    ranked_ids, ranked_confidences = kept.ids[ranked].tolist(), confidences[ranked].tolist()
    starts, bounds = kept.offsets.tolist(), np.cumsum(kept.widths).tolist()
    place = new_tone_placement if (tone_style or _document_tone_style(tokens)) == "new" else None
    spellings: dict[tuple[str, int], str] = {}

    def spell(source: str, token_id: int) -> str:
        case = "U" if source.isupper() else "T" if source[0].isupper() else "l"
        spelled = spellings.get((case, token_id))
        if spelled is None:
            spelled = model.vocab[token_id]
            if place is not None:
                spelled = place(spelled)
            spelled = (spelled.upper() if case == "U" else spelled[0].upper() + spelled[1:]
                       if case == "T" else spelled)
            spellings[case, token_id] = spelled
        return spelled

    pieces: list[str] = []
    choices: list[SyllableChoice] = []
    cursor = 0
    for token, position in restorable:
        start, end = starts[position], bounds[position]
        chosen = spell(token.text, ranked_ids[start])
        others = tuple((spell(token.text, ranked_ids[k]), ranked_confidences[k])
                       for k in range(start + 1, end))
        pieces += [text[cursor : token.start], chosen]
        cursor = token.end
        choices.append(SyllableChoice(token.start, token.end, token.text, chosen,
                                      min(1.0, ranked_confidences[start]), others))
    pieces.append(text[cursor:])
    return RestoreResult("".join(pieces), choices)
