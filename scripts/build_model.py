"""Build the syllable n-gram model behind ``normalize.diacritics`` from ../shared/corpus.

    python scripts/build_model.py --corpus ../shared/corpus --out normalize/data \
        [--seeds ../shared/seeds] [--heldout-out bench/data/heldout_legal.txt]

``--seeds`` defaults to the ``seeds`` folder next to the corpus folder, when there is one.

The split is fixed: document ``i`` of corpus file ``f`` (documents start at lines ``### ``) is
held out when ``zlib.crc32(f"{f}:{i}".encode()) % 50 == 0``; everything else trains. Seeds
000 and 003 (blank templates, official wording) train too; 001, 002 and 004 never do (002 and
004 are the unseen official text of the benchmark). The held-out legal documents are written to
``bench/data/heldout_legal.txt`` so that the benchmark runs without the corpus.

The model is a 4-gram, interpolated modified Kneser–Ney over lowercase syllables, pruned by
count (see ``docs/MODEL.md``), written by ``normalize.diacritics.write_model_file``. Same
inputs, same bytes. It takes about two minutes and 1.4 GB of memory on the full corpus.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from normalize.diacritics import (  # noqa: E402
    DEFAULT_MODEL_PATH,
    SENTENCE,
    SPECIAL_TOKENS,
    UNKNOWN,
    context_tokens,
    is_vietnamese_syllable,
    strip_diacritics,
    write_model_file,
)

CORPUS_FILES = ("vi_legal_train.txt.gz", "vi_news.txt.gz", "vi_wiki.txt.gz")
OFFICIAL_FILES = frozenset({"vi_legal_train.txt.gz"})  # with the seed templates: "official"
TRAINING_SEEDS = ("000_", "003_")  # never 001 (OCR), 002 or 004 (the unseen benchmark text)
HELDOUT_MODULUS = 50
HELDOUT_LEGAL_FILE = "vi_legal_train.txt.gz"
HELDOUT_MAX_BYTES = 300_000


@dataclass(frozen=True)
class BuildSettings:
    """Knobs of the model; the defaults are what ``make model`` ships (see docs/MODEL.md)."""

    official_weight: int = 3  # n-grams of the legal corpus and seed templates count 3 times
    min_token_count: int = 2  # rarer tokens become <unk>
    order: int = 4
    min_bigram_count: int = 1  # weighted counts below these are pruned into the back-off:
    min_trigram_count: int = 1  # every bigram and trigram is kept, ...
    min_higher_count: int = 2  # ... 4-grams (and longer) seen twice in Wikipedia or news, or
    # once in official text (counted 3 times)
    candidate_min_count: int = 3  # a spelling is offered for restoration from this count ...
    candidate_min_share: float = 0.0005  # ... and this share of its unmarked form's count

    def min_count(self, n: int) -> int:
        """The weighted count an n-gram needs to be stored."""
        return (self.min_bigram_count, self.min_trigram_count)[n - 2] if n < 4 else (
            self.min_higher_count)

    def weight(self, domain: str) -> int:
        """How many times an n-gram of ``domain`` counts."""
        return self.official_weight if domain == "official" else 1


def is_heldout(file_name: str, doc_index: int) -> bool:
    """The fixed split: about one document in 50 of every corpus file is held out."""
    return zlib.crc32(f"{file_name}:{doc_index}".encode()) % HELDOUT_MODULUS == 0


def iter_documents(path: Path) -> Iterator[tuple[int, str, str]]:
    """Yield ``(doc_index, title, text)`` for the documents of a gzip corpus file.

    A line starting ``### `` opens a document and gives its title; text before the first such
    line, if any, is document 0 with an empty title.
    """
    index, title, lines = 0, "", []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("### "):
                if lines or title:
                    yield index, title, "".join(lines)
                    index += 1
                title, lines = line[4:].strip(), []
            else:
                lines.append(line)
    if lines or title:
        yield index, title, "".join(lines)


class TokenStreams:
    """Training text as id arrays, one per domain, every document wrapped in ``<s>``."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
        self.streams: dict[str, array] = {"official": array("i", [0]), "general": array("i", [0])}

    def add(self, domain: str, text: str) -> int:
        """Append one document's tokens to ``domain``; returns the number of tokens."""
        stream, ids = self.streams[domain], self.ids
        tokens = context_tokens(text)
        while tokens and tokens[-1] == SENTENCE:
            tokens.pop()
        stream.extend(ids.setdefault(token, len(ids)) for token in tokens)
        stream.append(0)
        return len(tokens)


def read_training_text(corpus: Path, seeds: Path | None, heldout_out: Path | None,
                       log: Callable[[str], None]) -> tuple[TokenStreams, dict]:
    """Tokenize the training documents; write the held-out legal slice; return streams, stats."""
    streams = TokenStreams()
    stats: dict[str, dict] = {}
    heldout_chunks: list[str] = []
    for name in CORPUS_FILES:
        domain = "official" if name in OFFICIAL_FILES else "general"
        docs = held = tokens = 0
        for index, title, text in iter_documents(corpus / name):
            docs += 1
            if is_heldout(name, index):
                held += 1
                if name == HELDOUT_LEGAL_FILE:
                    heldout_chunks.append(f"### {title}\n{text.strip()}\n")
                continue
            tokens += streams.add(domain, text)
        stats[name] = {"documents": docs, "held_out": held, "training_tokens": tokens}
        log(f"{name}: {docs} documents, {held} held out, {tokens:,} training tokens")
    if seeds is not None:
        for path in sorted(seeds.glob("*.txt")):
            if path.name.startswith(TRAINING_SEEDS):
                tokens = streams.add("official", path.read_text(encoding="utf-8"))
                stats[f"seeds/{path.name}"] = {"training_tokens": tokens}
                log(f"seeds/{path.name}: {tokens:,} training tokens")
    if heldout_out is not None:
        heldout_out.parent.mkdir(parents=True, exist_ok=True)
        heldout_out.write_text(_first_bytes("\n".join(heldout_chunks), HELDOUT_MAX_BYTES),
                               encoding="utf-8")
    return streams, stats


def _first_bytes(text: str, limit: int) -> str:
    """The longest run of whole lines of ``text`` whose UTF-8 size is at most ``limit``."""
    kept, size = [], 0
    for line in text.splitlines(keepends=True):
        size += len(line.encode())
        if size > limit:
            break
        kept.append(line)
    return "".join(kept)


def build_vocabulary(streams: TokenStreams, settings: BuildSettings) -> tuple[list[str], dict]:
    """Specials, then tokens seen at least ``min_token_count`` times (weighted), most frequent
    first; returns the vocabulary and, per domain, the array remapping provisional ids."""
    provisional = list(streams.ids)
    counts = np.zeros(len(provisional), np.int64)
    for domain, stream in streams.streams.items():
        ids = np.frombuffer(stream, np.int32)
        counts += settings.weight(domain) * np.bincount(ids, minlength=len(counts))
    special = len(SPECIAL_TOKENS)
    kept = [i for i in range(special, len(provisional)) if counts[i] >= settings.min_token_count]
    kept.sort(key=lambda i: (-counts[i], provisional[i]))
    order = list(range(special)) + kept
    remap = np.full(len(provisional), SPECIAL_TOKENS.index(UNKNOWN), np.int64)
    remap[order] = np.arange(len(order))
    vocab = [provisional[i] for i in order]
    return vocab, {"remap": remap, "counts": counts[order]}


def ngram_counts(sequences: list[tuple[np.ndarray, int]], size: int, order: int) -> tuple[
    np.ndarray, np.ndarray
]:
    """Weighted counts of the n-grams of ``order`` in id sequences, as (sorted keys, counts).

    Keys pack ids in base ``size``. N-grams with ``<s>`` (id 0) anywhere but first or last are
    dropped: they would straddle two segments.
    """
    all_keys, all_weights = [], []
    for ids, weight in sequences:
        ids = ids.astype(np.uint64)
        keys = np.zeros(len(ids) - order + 1, np.uint64)
        inner_ok = np.ones(len(keys), bool)
        for k in range(order):
            part = ids[k : len(ids) - order + 1 + k]
            keys = keys * np.uint64(size) + part
            if 0 < k < order - 1:
                inner_ok &= part != 0
        if order == 2:
            inner_ok &= ~((ids[:-1] == 0) & (ids[1:] == 0))
        keys = keys[inner_ok]
        unique, counts = np.unique(keys, return_counts=True)
        all_keys.append(unique)
        all_weights.append(counts * weight)
    unique, inverse = np.unique(np.concatenate(all_keys), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate(all_weights)).astype(np.int64)
    return unique, counts


def discounts(counts: np.ndarray) -> np.ndarray:
    """Modified Kneser–Ney discounts D(0)=0, D(1), D(2), D(3+) from counts of counts
    (Chen & Goodman 1998): ``D(k) = k - (k + 1) Y n(k+1) / n(k)``, ``Y = n1 / (n1 + 2 n2)``.

    Weighted counts can make the counts of counts irregular (with official text counted 4
    times, n4 outgrows n3 and D(3+) turns negative), so each D(k) is kept within [0, k].
    """
    n = [max(int(np.sum(counts == k)), 1) for k in (1, 2, 3, 4)]
    y = n[0] / (n[0] + 2 * n[1])
    return np.array([0.0] + [min(max(k - (k + 1) * y * n[k] / n[k - 1], 0.0), k)
                             for k in (1, 2, 3)])


def kneser_ney_level(keys: np.ndarray, counts: np.ndarray, keep: np.ndarray, size: int,
                     lower: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One interpolated modified-KN level over (context, word) keys with (adjusted) ``counts``.

    ``lower`` holds log P(word | shorter context) for each key. Kept n-grams get
    ``(c - D(c)) / c(ctx) + gamma(ctx) P_lower``; pruned ones hand all their mass to gamma.
    Returns (log P of each key, the unique contexts, log gamma of each context).
    """
    table = discounts(counts)
    context = keys // np.uint64(size)
    starts = np.flatnonzero(np.r_[True, context[1:] != context[:-1]])
    totals = np.add.reduceat(counts.astype(np.float64), starts)
    discount = np.where(keep, table[np.minimum(counts, 3)], counts)
    gamma = np.add.reduceat(discount, starts) / totals
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(keys)]))
    prob = (counts - discount) / totals[group] + gamma[group] * np.exp(lower)
    with np.errstate(divide="ignore"):  # n-grams never seen with a left word: unused
        return np.log(prob), context[starts], np.log(gamma)


def build_model(streams: TokenStreams, settings: BuildSettings,
                log: Callable[[str], None]) -> tuple[dict[str, np.ndarray], dict]:
    """Count, smooth and prune; return the arrays of the model file and its statistics."""
    vocab, info = build_vocabulary(streams, settings)
    size, order = len(vocab), settings.order
    v = np.uint64(size)
    sequences = [(info["remap"][np.frombuffer(stream, np.int32)], settings.weight(domain))
                 for domain, stream in sorted(streams.streams.items())]
    log(f"vocabulary: {size:,} tokens")
    keys, counts = {}, {}
    for n in range(2, order + 1):
        keys[n], counts[n] = ngram_counts(sequences, size, n)
        log(f"distinct {n}-grams: {len(keys[n]):,}")

    # Kneser-Ney counts: the highest order keeps raw counts; a lower-order n-gram counts the
    # distinct words seen before it, except after <s>, where nothing is to the left.
    adjusted = dict(counts)
    for n in range(order - 1, 1, -1):
        adjusted[n] = np.where(keys[n] // v ** np.uint64(n - 1) == 0, counts[n],
                               _left_extensions(keys[n], keys[n + 1], size, n))
    unigram_continuation = np.bincount((keys[2] % v).astype(np.int64), minlength=size)
    logprob = {1: np.log((unigram_continuation + 0.5) / (unigram_continuation.sum() + 0.5 * size))}
    backoff = {n: np.zeros(size if n == 1 else len(keys[n])) for n in range(1, order)}
    keep = {}
    for n in range(2, order + 1):
        minimum = settings.min_count(n)
        keep[n] = (counts[n] >= minimum) & (adjusted[n] > 0)
        suffix = keys[n] % v ** np.uint64(n - 1)
        lower = logprob[1][suffix.astype(np.int64)] if n == 2 else logprob[n - 1][
            np.searchsorted(keys[n - 1], suffix)]
        logprob[n], contexts, log_gamma = kneser_ney_level(keys[n], adjusted[n], keep[n], size,
                                                           lower)
        where = contexts.astype(np.int64) if n == 2 else np.searchsorted(keys[n - 1], contexts)
        backoff[n - 1][where] = log_gamma
    # A context whose n-grams were all pruned backs off with gamma 1 (log 0): nothing to store.
    # Every context of a kept n-gram is itself kept, as the count thresholds do not decrease.
    for n in range(2, order):
        if np.any(backoff[n][~keep[n]]):
            raise RuntimeError(f"a context of a kept {n + 1}-gram was pruned")

    candidate_ids = _candidate_ids(vocab, info["counts"], settings)
    arrays = {
        "vocab": np.frombuffer("\n".join(vocab).encode(), np.uint8),
        "candidate_ids": np.array(candidate_ids, np.int32),
        "logprob_1": logprob[1].astype(np.float16),
        "backoff_1": backoff[1].astype(np.float16),
    }
    for n in range(2, order + 1):
        arrays[f"key_deltas_{n}"] = _deltas(keys[n][keep[n]])
        arrays[f"logprob_{n}"] = logprob[n][keep[n]].astype(np.float16)
        if n < order:
            arrays[f"backoff_{n}"] = backoff[n][keep[n]].astype(np.float16)
    stats = {
        "order": order,
        "vocabulary": size,
        "candidates": len(candidate_ids),
        "ngrams_seen": {n: len(keys[n]) for n in range(2, order + 1)},
        "ngrams_stored": {n: int(keep[n].sum()) for n in range(2, order + 1)},
        "discounts": {n: discounts(adjusted[n])[1:].round(4).tolist() for n in range(2, order + 1)},
    }
    return arrays, stats


def _left_extensions(keys: np.ndarray, longer: np.ndarray, size: int, n: int) -> np.ndarray:
    """For each n-gram in ``keys``, how many distinct (n+1)-grams in ``longer`` end with it."""
    suffix, extensions = np.unique(longer % np.uint64(size) ** np.uint64(n), return_counts=True)
    slot = np.minimum(np.searchsorted(suffix, keys), len(suffix) - 1)
    return np.where(suffix[slot] == keys, extensions[slot], 0)


def _candidate_ids(vocab: list[str], counts: np.ndarray, settings: BuildSettings) -> list[int]:
    """Ids of the spellings offered for restoration, most frequent first.

    A Vietnamese syllable is offered when seen ``candidate_min_count`` times and it carries at
    least ``candidate_min_share`` of the count of all spellings sharing its unmarked form:
    this keeps typos (``nghiã``) and rare homographs from slowing the decoder.
    """
    totals: Counter[str] = Counter()
    forms = {}
    for index, token in enumerate(vocab):
        if token not in SPECIAL_TOKENS and is_vietnamese_syllable(token):
            forms[index] = strip_diacritics(token)
            totals[forms[index]] += int(counts[index])
    return [
        index for index, form in forms.items()
        if counts[index] >= settings.candidate_min_count
        and counts[index] >= settings.candidate_min_share * totals[form]
    ]


def _deltas(sorted_keys: np.ndarray) -> np.ndarray:
    """Sorted keys as first differences in the narrowest unsigned type (compresses well)."""
    deltas = np.diff(sorted_keys, prepend=np.uint64(0))
    return deltas.astype(np.uint32) if deltas.max(initial=0) < 2**32 else deltas


def main(argv: list[str] | None = None) -> None:
    """Parse options, build the model and write it (and the held-out legal slice)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for the model file")
    parser.add_argument("--seeds", type=Path, default=None)
    parser.add_argument("--heldout-out", type=Path, default=ROOT / "bench/data/heldout_legal.txt")
    parser.add_argument("--order", type=int, default=BuildSettings.order)
    parser.add_argument("--min-bigram-count", type=int, default=BuildSettings.min_bigram_count)
    parser.add_argument("--min-trigram-count", type=int, default=BuildSettings.min_trigram_count)
    parser.add_argument("--min-higher-count", type=int, default=BuildSettings.min_higher_count)
    args = parser.parse_args(argv)
    if args.seeds is None and (args.corpus.parent / "seeds").is_dir():
        args.seeds = args.corpus.parent / "seeds"
    settings = BuildSettings(order=args.order, min_bigram_count=args.min_bigram_count,
                             min_trigram_count=args.min_trigram_count,
                             min_higher_count=args.min_higher_count)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    streams, corpus_stats = read_training_text(args.corpus, args.seeds, args.heldout_out, log)
    arrays, model_stats = build_model(streams, settings, log)
    metadata = {
        "corpus": corpus_stats,
        "split": f"held out: zlib.crc32(f'{{file}}:{{doc_index}}') % {HELDOUT_MODULUS} == 0",
        "settings": asdict(settings),
        "smoothing": "interpolated modified Kneser-Ney, count-pruned into back-off weights",
        **model_stats,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / DEFAULT_MODEL_PATH.name
    write_model_file(path, arrays, metadata)
    log(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {model_stats}")


if __name__ == "__main__":
    main()
