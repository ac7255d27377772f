"""Vietnamese diacritic restoration with a syllable 4-gram language model.

Text that lost its marks (``cai cach hanh chinh``) is turned back into Vietnamese
(``cải cách hành chính``): every unmarked syllable gets the accented spellings the corpus knows
for it as candidates, and a pruned Kneser–Ney 4-gram model (``normalize/data``, built by
``scripts/build_model.py``, described in ``docs/MODEL.md``) picks the most likely sequence;
a second pass re-decides the uncertain syllables in favour of what the same document spelled
confidently elsewhere.

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

import functools
import json
import lzma
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import add
from pathlib import Path
from typing import NamedTuple

import numpy as np

DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "vi_syllable_ngram.lm.xz"
MODEL_FORMAT = "vnextract-syllable-kn/1"

SENTENCE = "<s>"  # segment boundary: start and end of a paragraph or a hard line break
UNKNOWN = "<unk>"  # a word that is not a Vietnamese syllable, or one the model never saw
NUMBER = "<num>"
CODE = "<code>"  # URL, e-mail, markup tag, document code (``73/KH-UBND``)
SPECIAL_TOKENS = (SENTENCE, UNKNOWN, NUMBER, CODE)

DEFAULT_BEAM = 5.0  # log-units: candidates this far below the best local score are dropped
DEFAULT_MAX_KEPT = 4  # at most this many candidates per syllable reach the full-order pass
DEFAULT_ADAPT_WEIGHT = 0.5  # weight of the document's own confident choices (second pass)
CACHE_MIN_CONFIDENCE = 0.9  # a first-pass choice this sure counts as the document's usage
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
_OLD_STYLE_RHYME = re.compile(r"(" + _ONSET + r")(o[ae]|uy)")


def canonical_tone_placement(syllable: str) -> str:
    """Put the tone of an open ``oa``/``oe``/``uy`` rhyme on its first vowel (``hoà`` → ``hòa``).

    Both placements are accepted spellings; official texts and most of the corpus use the
    "old" one (``hòa``, ``khỏe``, ``thủy``), so the model learns and writes that one. ``quý``
    keeps its mark on ``y`` (``qu`` is the onset), and closed rhymes (``hoàn``) are untouched.

    >>> canonical_tone_placement("thuỷ"), canonical_tone_placement("quý")
    ('thủy', 'quý')
    """
    tone = _tone_of(syllable)
    if len(tone) != 1:
        return syllable
    bare = _without_tone(syllable)
    match = _OLD_STYLE_RHYME.fullmatch(bare.lower())
    if match is None or match.group(1) == "qu":
        return syllable
    first_vowel = len(match.group(1))
    marked = unicodedata.normalize("NFC", bare[first_vowel] + tone)
    return bare[:first_vowel] + marked + bare[first_vowel + 1 :]


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


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` sits in ``sorted_keys``: (found mask, clipped slot)."""
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
    path.write_bytes(lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME))


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
        logprob={n: arrays[f"logprob_{n}"].astype(np.float64) for n in range(1, order + 1)},
        backoff={n: arrays[f"backoff_{n}"].astype(np.float64) for n in range(1, order)},
        metadata=metadata,
    )


# --- decoding a lattice -------------------------------------------------------------------------

Lattice = list[tuple[list[int], list[float]]]  # per position: candidate ids, prior log-weights


def _flatten(lattice: Lattice) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lattice as arrays: candidate ids and priors concatenated, each position's offset and
    width."""
    options, weights = zip(*lattice, strict=True)
    widths = np.fromiter(map(len, options), np.int64, len(lattice))
    total = int(widths.sum())
    ids = np.fromiter(chain.from_iterable(options), np.int64, total)
    priors = np.fromiter(chain.from_iterable(weights), np.float64, total)
    return ids, priors, np.cumsum(widths) - widths, widths


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


def _score_table(model: NgramModel, lattice: Lattice, order: int) -> list[float]:
    """``log P(w_i | w_{i-order+1} .. w_{i-1})`` for every window combination (see
    :func:`_windows`), as a flat list for the max-product passes."""
    ids, _, offsets, widths = _flatten(lattice)
    words = [ids[slot] for slot in _windows(widths, offsets, order)]
    return model.scores(words[:-1], words[-1]).tolist()


def _prune_locally(model: NgramModel, lattice: Lattice, beam: float, max_kept: int) -> tuple[
    Lattice, list[list[int]]
]:
    """Keep, per position, at most ``max_kept`` candidates within ``beam`` of the best one.

    A candidate is scored by its prior plus its best bigram link to each neighbouring position
    (vectorized; as good a filter here as a full bigram Viterbi, at a fraction of the cost).
    Returns the pruned lattice and, per position, the original indices kept, best first.
    """
    ids, priors, offsets, widths = _flatten(lattice)
    prev, cur = _windows(widths, offsets, 2)
    link = model.scores([ids[prev]], ids[cur])
    from_left = np.full(len(ids), -np.inf)
    to_right = np.full(len(ids), -np.inf)
    np.maximum.at(from_left, cur, link + priors[prev])
    np.maximum.at(to_right, prev, link + priors[cur])
    local = priors + np.where(np.isinf(from_left), 0.0, from_left) + np.where(
        np.isinf(to_right), 0.0, to_right)
    position = np.repeat(np.arange(len(lattice)), widths)
    ranked = np.lexsort((-local, position))  # by position, best first
    rank = np.empty(len(ids), np.int64)
    rank[ranked] = np.arange(len(ids)) - offsets[position[ranked]]
    best = np.maximum.reduceat(local, offsets)
    survivors = ranked[((rank < max_kept) & (local >= best[position] - beam))[ranked]]
    bounds = np.searchsorted(position[survivors], np.arange(len(lattice) + 1)).tolist()
    spans = list(zip(bounds[:-1], bounds[1:], strict=True))
    kept_ids, kept_priors = ids[survivors].tolist(), priors[survivors].tolist()
    indices = (survivors - offsets[position[survivors]]).tolist()
    pruned = [(kept_ids[start:end], kept_priors[start:end]) for start, end in spans]
    return pruned, [indices[start:end] for start, end in spans]


def _max_marginals(lattice: Lattice, scores: list[float], order: int) -> list[list[float]]:
    """Best total score of a path through each candidate of each position (max-product).

    A state at position i is a choice for positions ``i-order+2 .. i`` (mixed-radix index,
    last position least significant); ``lattice`` starts with ``order - 1`` lone ``<s>``.
    ``scores`` is :func:`_score_table` of the same lattice. A position with a lone candidate
    gets a placeholder, ``[0.0]``: its confidence is 1 whatever the paths.
    """
    history = order - 1
    widths = [len(ids) for ids, _ in lattice]
    forward: list[list[float]] = [[0.0]] * len(lattice)
    starts = [0] * len(lattice)
    at = 0
    for i in range(history, len(lattice)):
        wr, wq, priors, previous = widths[i - history], widths[i], lattice[i][1], forward[i - 1]
        states = len(previous) // wr * wq
        starts[i] = at
        if wr == 1:
            row = [priors[s % wq] + previous[s // wq] + scores[at + s] for s in range(states)]
        else:  # max over the oldest word r: strided slices keep the loop in C
            stride, end = states // wq, at + wr * states
            row = [priors[s % wq] + max(map(add, previous[s // wq :: stride],
                                            scores[at + s : end : states])) for s in range(states)]
        forward[i] = row
        at += wr * states
    marginals: list[list[float]] = [[0.0]] * len(lattice)
    backward = [0.0] * len(forward[-1])
    for i in range(len(lattice) - 1, history - 1, -1):
        wq, states = widths[i], len(forward[i])
        if wq > 1:  # a lone candidate needs no marginal
            total = [f + b for f, b in zip(forward[i], backward, strict=True)]
            marginals[i] = [max(total[q::wq]) for q in range(wq)]
        if i == history:
            break
        priors, at, stride = lattice[i][1], starts[i], states // wq
        if wq == 1:
            backward = [scores[at + t] + priors[0] + backward[t % stride]
                        for t in range(len(forward[i - 1]))]
            continue
        ahead = [priors[s % wq] + backward[s] for s in range(states)]
        backward = [max(map(add, scores[at + t * wq : at + t * wq + wq],
                            ahead[(t % stride) * wq : (t % stride) * wq + wq]))
                    for t in range(len(forward[i - 1]))]
    return marginals


def _posteriors(scores: list[float]) -> list[float]:
    """Softmax of max-marginal scores: the confidence of each candidate of one position."""
    best = max(scores)
    weights = [math.exp(s - best) for s in scores]
    total = sum(weights)
    return [w / total for w in weights]


def _adapt_to_document(lattice: Lattice, confidences: list[list[float]],
                       weight: float) -> dict[int, tuple[list[int], list[float]]]:
    """Second-pass candidates that prefer the spellings this document chose confidently.

    Domain words recur in a document (``đèn`` in a law on waterway signals, ``xã`` in a
    commune's report): each candidate gets ``weight * log`` of its smoothed share of the
    confident choices among its rivals. Returns, by position, the new (ids, priors) of the
    positions still open; every other position keeps its first-pass choice.
    """
    chosen: Counter[int] = Counter()
    for (ids, _), posterior in zip(lattice, confidences, strict=True):
        if len(ids) > 1:
            chosen.update(i for i, p in zip(ids, posterior, strict=True)
                          if p >= CACHE_MIN_CONFIDENCE)
    reopened = {}
    for position, ((ids, priors), posterior) in enumerate(zip(lattice, confidences, strict=True)):
        if len(ids) > 1 and max(posterior) < FREEZE_CONFIDENCE:
            total = sum(chosen[i] for i in ids) + len(ids)
            reopened[position] = (ids, [p + weight * math.log((chosen[i] + 1) / total)
                                        for i, p in zip(ids, priors, strict=True)])
    return reopened


def _redecode(model: NgramModel, lattice: Lattice, confidences: list[list[float]],
              reopened: dict[int, tuple[list[int], list[float]]], order: int) -> None:
    """Decode again only the stretches around ``reopened`` positions; update ``confidences``.

    Every other position is fixed to its first-pass choice, and ``order - 1`` fixed positions
    in a row cut the chain: each stretch keeps that much fixed context on both sides, and the
    stretches are decoded together, joined by ``<s>`` (a constant for every path of a stretch).
    """
    reach = order - 1
    boundary = ([model.ids[SENTENCE]], [0.0])
    needed = [False] * len(lattice)
    for position in reopened:
        start, end = max(0, position - reach), min(len(lattice), position + reach + 1)
        needed[start:end] = [True] * (end - start)
    stretches: Lattice = [boundary] * reach
    origin: list[int] = []  # lattice position of each entry of stretches[reach:], -1 for <s>
    for position, (ids, priors) in enumerate(lattice):
        if needed[position]:
            if position in reopened:
                stretches.append(reopened[position])
            else:
                best = max(range(len(ids)), key=confidences[position].__getitem__)
                stretches.append(([ids[best]], [priors[best]]))
            origin.append(position)
        elif position and needed[position - 1]:
            stretches.append(boundary)
            origin.append(-1)
    stretches.append(boundary)
    marginals = _max_marginals(stretches, _score_table(model, stretches, order), order)
    for scores, position in zip(marginals[reach:], origin, strict=False):
        if position in reopened:
            confidences[position] = _posteriors(scores)


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

    Candidates are first pruned with bigram links to their neighbours, then a max-product pass
    of the full ``order`` (default: the model's) decides; with ``adapt``, the positions left
    uncertain are decided again, preferring what the document chose confidently elsewhere (see
    :func:`_adapt_to_document`). Confidences are softmaxed max-marginals (1.0 for a lone
    candidate). ``order=2`` is the plain bigram Viterbi over all candidates, the baseline of
    the benchmark. Positions holding only ``<s>`` cut the text into independent segments.
    """
    order = min(order or model.order, model.order)
    boundary = ([model.ids[SENTENCE]], [0.0])
    padded: Lattice = [boundary] * (order - 1) + list(lattice) + [boundary]
    if order == 2:
        kept = [list(range(len(ids))) for ids, _ in padded]
        adapt = False
    else:
        padded, kept = _prune_locally(model, padded, beam, max_kept)
    marginals = _max_marginals(padded, _score_table(model, padded, order), order)
    confidences = [_posteriors(scores) if len(scores) > 1 else [1.0] for scores in marginals]
    if adapt:
        reopened = _adapt_to_document(padded, confidences, DEFAULT_ADAPT_WEIGHT)
        if reopened:
            _redecode(model, padded, confidences, reopened, order)
    return [[(indices[0], 1.0)] if len(indices) == 1 else
            sorted(zip(indices, posterior, strict=True), key=lambda x: -x[1])
            for indices, posterior in zip(kept[order - 1 : -1], confidences[order - 1 : -1],
                                          strict=True)]


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


def _apply_case(source: str, syllable: str) -> str:
    """Write ``syllable`` in the case of ``source``: lower, Title or UPPER."""
    if source.isupper():
        return syllable.upper()
    if source[0].isupper():
        return syllable[0].upper() + syllable[1:]
    return syllable


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
                     in_marked_text: bool) -> str | None:
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
    if form not in model.candidates or _is_abbreviation(tokens, index):
        return None
    if in_marked_text and _syllable_form(form) is not None:
        return None
    if len(word) == 1 and word.isupper():
        follower = tokens[index + 1] if index + 1 < len(tokens) else None
        if follower is None or follower.kind != WORD:
            return None
    neighbours = _nearby_words(tokens, index, FOREIGN_WINDOW)
    if 2 * sum(map(_is_foreign, neighbours)) > len(neighbours):
        return None
    return form


def _nearby_words(tokens: Sequence[Token], index: int, limit: int) -> list[str]:
    """Up to ``limit`` words on each side of ``index`` on its line, labels (``a``, ``b``) and
    abbreviations (``UBND``) skipped: they say nothing about the language around them."""
    words = []
    for step in (-1, 1):
        found, at = 0, index + step
        while found < limit and 0 <= at < len(tokens) and tokens[at].kind != BREAK:
            word = tokens[at].text
            if tokens[at].kind == WORD and len(word) > 1 and not word.isupper():
                words.append(word)
                found += 1
            at += step
    return words


def restore_diacritics(text: str, *, model: NgramModel | None = None, order: int | None = None,
                       adapt: bool = True) -> RestoreResult:
    """Put Vietnamese marks back on the unmarked syllables of ``text``.

    ``text`` is read as NFC. Only restorable syllables change (see :func:`_restorable_form`);
    every other character is kept, so offsets in the result equal offsets in the input.
    ``order`` and ``adapt`` are passed to :func:`decode_lattice`.

    >>> restore_diacritics("Uy ban nhan dan tinh Thai Nguyen").text
    'Ủy ban nhân dân tỉnh Thái Nguyên'
    >>> restore_diacritics("CCHC: xem https://dichvucong.gov.vn").text
    'CCHC: xem https://dichvucong.gov.vn'
    """
    model = model or load_model()
    text = unicodedata.normalize("NFC", text)
    tokens = scan(text)
    hard_breaks = {i for i, t in enumerate(tokens) if t.kind == BREAK and not _is_soft_break(
        tokens, i)}
    in_marked_text = _in_marked_text(tokens, hard_breaks)
    lattice: Lattice = []
    restorable: list[tuple[Token, int]] = []  # (token, lattice position)
    for index, token in enumerate(tokens):
        if token.kind == BREAK:
            if index in hard_breaks:
                lattice.append(([model.ids[SENTENCE]], [0.0]))
            continue
        form = None
        if token.kind == WORD:
            form = _restorable_form(model, tokens, index, in_marked_text[index])
        if form is None:
            lattice.append(([model.token_id(_context_token(tokens, index))], [0.0]))
        else:
            options = list(model.candidates[form])
            restorable.append((token, len(lattice)))
            lattice.append((options, [0.0] * len(options)))
    if not restorable:
        return RestoreResult(text, [])
    decoded = decode_lattice(model, lattice, order=order, adapt=adapt)
    pieces: list[str] = []
    choices: list[SyllableChoice] = []
    cursor = 0
    for token, position in restorable:
        options, ranked = lattice[position][0], decoded[position]
        spelled = [(_apply_case(token.text, model.vocab[options[k]]), p) for k, p in ranked]
        chosen, confidence = spelled[0]
        pieces += [text[cursor : token.start], chosen]
        cursor = token.end
        choices.append(SyllableChoice(token.start, token.end, token.text, chosen,
                                      min(1.0, confidence), tuple(spelled[1:])))
    pieces.append(text[cursor:])
    return RestoreResult("".join(pieces), choices)
