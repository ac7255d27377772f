"""Build normalize/data/syllables.txt: the Vietnamese syllables seen in the corpus.

A syllable is a lowercase NFC token of letters that has the shape of a Vietnamese syllable
(initial consonant, vowel nucleus, final consonant, at most one tone; see
``normalize.encodings.syllable_key``) and occurs at least ``--min-count`` times. Each line is
``syllable<TAB>count``, sorted by syllable. The encoding detector scores a candidate decoding by
the share of its words found here, and breaks ties between two readings that are both Vietnamese
(TCVN3 ``dông`` is ``dụng``) by their counts.

Split (fixed): documents are numbered in file order within each corpus file (a document starts at
a line beginning ``### `` or ``# doc_id``); every tenth document (number % 10 == 0) is held out
and never counted, so measurements on it stay honest.

Run: ``python scripts/build_syllables.py --corpus ../shared/corpus --out normalize/data``
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from the Makefile

from normalize.encodings import syllable_key  # noqa: E402

DEFAULT_MIN_COUNT = 5
HOLD_OUT_EVERY = 10
WORD = re.compile(r"[^\W\d_]+")


def is_document_start(line: str) -> bool:
    return line.startswith("### ") or line.startswith("# doc_id")


def corpus_lines(path: Path, held_out: bool = False) -> Iterator[str]:
    """Yield the lines of the training part of one corpus file, or of its held-out part."""
    document = 0
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if is_document_start(line):
                document += 1
                continue
            if not line.startswith("#") and (document % HOLD_OUT_EVERY == 0) == held_out:
                yield line


def count_syllables(corpus: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted(corpus.glob("*.txt.gz")):
        for line in corpus_lines(path):
            counts.update(WORD.findall(unicodedata.normalize("NFC", line).lower()))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "normalize" / "data")
    parser.add_argument("--min-count", type=int, default=DEFAULT_MIN_COUNT)
    args = parser.parse_args()
    counts = count_syllables(args.corpus)
    syllables = sorted(
        word for word, n in counts.items() if n >= args.min_count and syllable_key(word)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "syllables.txt"
    path.write_text("".join(f"{word}\t{counts[word]}\n" for word in syllables), encoding="utf-8")
    print(f"wrote {len(syllables)} syllables to {path}")


if __name__ == "__main__":
    main()
