"""Benchmark of normalize.encodings: break real lines every legacy way, repair them, count.

Recovery: about 2,000 correct Unicode lines of the seeds 000, 002, 003, 004 (and, as a second
sample, 2,000 lines of the held-out corpus documents, see scripts/build_syllables.py) are written
in each legacy encoding or mojibake kind with ``encode_legacy``, then repaired (str kinds, one
document) or decoded (bytes kinds, one file, encoding detected). A line counts when the encoding
changed it; lines the encoding cannot hold (a character outside it, or one that collides with a
code) are skipped and reported. TCVN3 loses the case of toned vowels, so it is also scored
case-insensitively. "mixed" (within a line) puts one encoded line after a Unicode line on the
same line. "paragraph" builds documents in which a paragraph of 3 to 8 consecutive encoded lines
interrupts correct Unicode lines (3 to 6 before it, 3 to 6 after it, drawn from the same sample),
repairs each document as a whole with ``repair_encoding``, and scores the encoded lines (exactly,
and TCVN3 case-insensitively) and, separately, the share of the Unicode lines around them that
came back unchanged. All draws use a fixed random seed.

Development: ``python -m bench.encodings --dev`` measures recovery on a development sample of
lines of the training documents of the corpus (never the held-out ones), for looking at
failures; ``--dev --failures KIND`` prints that sample's failures of one row.

Unchanged: the correct lines themselves, held-out corpus lines, English/markdown lines (the
shared README and STYLE), Python source, the negative cases of tests/data, and the OCR seed 001
(garbled, but not by an encoding) -- the share that ``repair_encoding`` returns unchanged (after
NFC).

Run: ``python -m bench.encodings``
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import string
import textwrap
import time
import unicodedata
from functools import cache
from pathlib import Path

from normalize.encodings import decode_bytes, encode_legacy, repair_encoding
from scripts.build_syllables import corpus_lines

ROOT = Path(__file__).resolve().parents[1]

SHARED = ROOT.parent / "shared"
SEEDS = ("000", "002", "003", "004")
SAMPLE_FALLBACK = {  # the seeds as copied into data/samples
    "000": "template-thai-nguyen-ke-hoach-73-2025.txt",
    "002": "xa-binh-thanh-2025.txt",
    "003": "template-de-cuong-09-phu-luc.txt",
}
CASES = ROOT / "tests" / "data" / "encoding_cases.jsonl"
SAMPLE_SIZE = 2000
RANDOM_SEED = 20250429

STR_KINDS = ("tcvn3-lookalike", "vni-lookalike", "viqr", "utf-8-mojibake", "utf-8-mojibake-2",
             "nfd")
BYTES_KINDS = ("tcvn3", "vni", "viscii", "cp1258", "utf-16-le", "utf-8-sig")
MIXED_KINDS = ("tcvn3-lookalike", "vni-lookalike", "viqr", "utf-8-mojibake")
PARAGRAPH_KINDS = MIXED_KINDS
PARAGRAPH_LINES = (3, 8)  # encoded lines in one paragraph
SURROUNDING_LINES = (3, 6)  # Unicode lines before the paragraph, and after it
DEV_RANDOM_SEED = 20251126
CASE_LOST = ("tcvn3", "tcvn3-lookalike")
UNICODE_KINDS = ("utf-16-le", "utf-8-sig")
_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_BASES = "aăâeêioôơuưy"
LETTERS = frozenset(
    unicodedata.normalize("NFC", letter)
    for base in _BASES
    for tone in _TONES
    for letter in (base + tone, (base + tone).upper())
) | {"đ", "Đ"}


def seed_lines() -> list[str]:
    lines: list[str] = []
    for seed in SEEDS:
        found = sorted((SHARED / "seeds").glob(f"{seed}_*.txt"))
        if found:
            path = found[0]
        elif seed in SAMPLE_FALLBACK:
            path = ROOT / "data" / "samples" / SAMPLE_FALLBACK[seed]
        else:
            continue
        lines += path.read_text(encoding="utf-8").split("\n")
    return _sample(lines)


def _corpus_head(held_out: bool, limit: int) -> list[str]:
    """The first ``limit`` lines of each corpus file's held-out (or training) documents."""
    lines: list[str] = []
    for path in sorted((SHARED / "corpus").glob("*.txt.gz")):
        for i, line in enumerate(corpus_lines(path, held_out=held_out)):
            if i >= limit:
                break
            lines.append(line.rstrip("\n"))
    return lines


def held_out_corpus_lines() -> list[str]:
    return _sample(_corpus_head(held_out=True, limit=20000))


def dev_corpus_lines(size: int = SAMPLE_SIZE) -> list[str]:
    """A development sample: lines of the training documents (never the held-out ones)."""
    return _sample(_corpus_head(held_out=False, limit=100000), DEV_RANDOM_SEED, size)


def english_lines() -> list[str]:
    lines: list[str] = []
    for name in ("README.md", "STYLE.md"):
        path = SHARED / name
        if path.exists():
            lines += path.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line.strip()]


def code_lines() -> list[str]:
    source = "".join(inspect.getsource(module) for module in (textwrap, string, json.decoder))
    return [line for line in source.split("\n") if line.strip()]


def ocr_seed_lines() -> list[str]:
    """Seed 001: OCR without a Vietnamese model. Broken, but not an encoding problem: leave it."""
    found = sorted((SHARED / "seeds").glob("001_*.txt"))
    path = found[0] if found else ROOT / "data" / "samples" / "so-dan-toc-thai-nguyen-432-2025.txt"
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def negative_case_lines() -> list[str]:
    lines: list[str] = []
    if CASES.exists():
        for row in CASES.read_text(encoding="utf-8").splitlines():
            case = json.loads(row)
            if case["kind"] == "negative" and case["encoding"] is None:
                lines += case["input"].split("\n")
    return lines


def _sample(lines: list[str], seed: int = RANDOM_SEED, size: int = SAMPLE_SIZE) -> list[str]:
    unique = sorted({line.rstrip("\r") for line in lines if line.strip()})
    random.Random(seed).shuffle(unique)
    return unique[:size]


@cache
def _lookalike_alphabet(kind: str) -> frozenset[str]:
    """The non-ASCII characters a look-alike kind writes Vietnamese letters with."""
    return frozenset(c for c in encode_legacy("".join(LETTERS), kind) if not c.isascii())


def _encodable(line: str, kind: str) -> str | bytes | None:
    """The line in ``kind``, or None when the encoding cannot hold it without ambiguity.

    Bytes kinds raise on a character they cannot hold; a look-alike kind keeps such a character
    as it is, which is ambiguous when it is one of the kind's own characters (``×`` is TCVN3 ì).
    """
    try:
        encoded = encode_legacy(line, kind)
    except UnicodeEncodeError:
        return None
    if kind.endswith("-lookalike"):
        alphabet = _lookalike_alphabet(kind)
        if any(c in alphabet and c not in LETTERS for c in line):
            return None
    return encoded


def _score(expected: list[str], got: list[str], kind: str) -> dict:
    n = len(expected)
    exact = sum(e == g for e, g in zip(expected, got, strict=True))
    result = {"lines": n, "recovered": exact, "pct": _pct(exact, n)}
    if kind in CASE_LOST:
        folded = sum(e.lower() == g.lower() for e, g in zip(expected, got, strict=True))
        result["recovered_case_insensitive"] = folded
        result["pct_case_insensitive"] = _pct(folded, n)
    return result


def _pct(k: int, n: int) -> float:
    return round(100.0 * k / n, 2) if n else 100.0


def recovery(lines: list[str]) -> dict[str, dict]:
    lines = [unicodedata.normalize("NFC", line) for line in lines]
    results: dict[str, dict] = {}
    for kind in STR_KINDS + BYTES_KINDS:
        pairs = [(line, _encodable(line, kind)) for line in lines]
        kept = [(line, enc) for line, enc in pairs if enc is not None]
        skipped = len(pairs) - len(kept)
        if kind in BYTES_KINDS:
            # one file, encoding detected; UTF-16 and the BOM alter every line
            decoded = decode_bytes(encode_legacy("\n".join(line for line, _ in kept), kind))
            got = decoded.text.split("\n")
            counted = [
                (line, g) for (line, enc), g in zip(kept, got, strict=True)
                if kind in UNICODE_KINDS or enc != line.encode()
            ]
            result = _score([line for line, _ in counted], [g for _, g in counted], kind)
            result["detected"] = decoded.encoding
        else:
            altered = [(line, enc) for line, enc in kept if enc != line]
            repaired = repair_encoding("\n".join(enc for _, enc in altered)).text.split("\n")
            result = _score([line for line, _ in altered], repaired, kind)
        result["skipped_unencodable"] = skipped
        results[kind] = result
    rng = random.Random(RANDOM_SEED)
    for kind in MIXED_KINDS:
        expected, inputs = [], []
        for line in lines:
            encoded = _encodable(line, kind)
            if encoded is None or encoded == line:
                continue
            host = rng.choice(lines)
            expected.append(f"{host} {line}")
            inputs.append(f"{host} {encoded}")
        got = repair_encoding("\n".join(inputs)).text.split("\n")
        results[f"mixed:{kind}"] = _score(expected, got, kind)
    for kind in PARAGRAPH_KINDS:
        results[f"paragraph:{kind}"] = paragraphs(lines, kind)
    return results


def paragraph_documents(lines: list[str], kind: str) -> list[tuple[list[str], list[str], set]]:
    """Documents of Unicode lines interrupted by one paragraph of lines encoded in ``kind``.

    Returns (input lines, expected lines, indexes of the encoded lines) per document. The
    paragraphs take the altered lines of the sample in order; the Unicode lines around them are
    drawn from the sample with a fixed seed.
    """
    rng = random.Random(RANDOM_SEED)
    altered = []
    for line in lines:
        encoded = _encodable(line, kind)
        if encoded is not None and encoded != line:
            altered.append((line, encoded))
    documents = []
    i = 0
    while i < len(altered):
        size = rng.randint(*PARAGRAPH_LINES)
        paragraph = altered[i : i + size]
        i += size
        before = [rng.choice(lines) for _ in range(rng.randint(*SURROUNDING_LINES))]
        after = [rng.choice(lines) for _ in range(rng.randint(*SURROUNDING_LINES))]
        inputs = [*before, *(enc for _, enc in paragraph), *after]
        expected = [*before, *(line for line, _ in paragraph), *after]
        encoded_at = set(range(len(before), len(before) + len(paragraph)))
        documents.append((inputs, expected, encoded_at))
    return documents


def paragraphs(lines: list[str], kind: str) -> dict:
    """Score the paragraph documents: encoded lines recovered, Unicode lines left unchanged."""
    expected_encoded, got_encoded = [], []
    unicode_lines = unicode_same = 0
    for inputs, expected, encoded_at in paragraph_documents(lines, kind):
        got = repair_encoding("\n".join(inputs)).text.split("\n")
        for index, (e, g) in enumerate(zip(expected, got, strict=True)):
            if index in encoded_at:
                expected_encoded.append(e)
                got_encoded.append(g)
            else:
                unicode_lines += 1
                unicode_same += e == g
    result = _score(expected_encoded, got_encoded, kind)
    result["unicode_lines"] = unicode_lines
    result["unicode_unchanged"] = unicode_same
    result["pct_unicode_unchanged"] = _pct(unicode_same, unicode_lines)
    return result


def unchanged(sources: dict[str, list[str]]) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name, lines in sources.items():
        if not lines:
            continue
        expected = [unicodedata.normalize("NFC", line) for line in lines]
        got = repair_encoding("\n".join(lines)).text.split("\n")
        same = sum(e == g for e, g in zip(expected, got, strict=True))
        results[name] = {"lines": len(lines), "unchanged": same, "pct": _pct(same, len(lines)),
                         "changed_examples": [(e, g) for e, g in zip(expected, got, strict=True)
                                              if e != g][:5]}
    return results


def run() -> dict:
    started = time.perf_counter()
    seeds = seed_lines()
    corpus = held_out_corpus_lines()
    result = {
        "recovery": {"seeds": recovery(seeds)},
        "unchanged": unchanged({
            "seeds": seeds,
            "held-out corpus": corpus,
            "english/markdown": english_lines(),
            "python source": code_lines(),
            "negative cases": negative_case_lines(),
            "OCR seed 001 (not an encoding problem)": ocr_seed_lines(),
        }),
    }
    if corpus:
        result["recovery"]["held-out corpus"] = recovery(corpus)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _label(kind: str) -> str:
    if kind.startswith("mixed:"):
        return f"{kind[len('mixed:'):]} (within a line)"
    if kind.startswith("paragraph:"):
        return f"{kind[len('paragraph:'):]} (a paragraph in Unicode text)"
    return kind


def markdown(result: dict) -> str:
    """The figures as markdown tables, for docs/BENCHMARKS.md."""
    out = []
    for sample, kinds in result["recovery"].items():
        plain = {k: r for k, r in kinds.items() if not k.startswith(("mixed:", "paragraph:"))}
        mixed = {k: r for k, r in kinds.items() if k.startswith("mixed:")}
        paragraph = {k: r for k, r in kinds.items() if k.startswith("paragraph:")}
        out += [f"Altered lines recovered exactly ({sample} lines):", "",
                "| encoding | recovered | % | % case-insensitive |", "|---|---|---|---|"]
        for kind, r in plain.items():
            ci = f"{r['pct_case_insensitive']:.2f}" if "pct_case_insensitive" in r else ""
            out.append(f"| {kind} | {r['recovered']}/{r['lines']} | {r['pct']:.2f} | {ci} |")
        out.append("")
        if mixed:
            out += [f"Mixed within a line: a Unicode line, then an encoded line on the same "
                    f"line ({sample} lines):", "",
                    "| encoding | recovered | % | % case-insensitive |", "|---|---|---|---|"]
            for kind, r in mixed.items():
                ci = f"{r['pct_case_insensitive']:.2f}" if "pct_case_insensitive" in r else ""
                out.append(f"| {_label(kind)} | {r['recovered']}/{r['lines']} | {r['pct']:.2f} "
                           f"| {ci} |")
            out.append("")
        if paragraph:
            out += [f"Mixed by paragraph: 3-8 encoded lines between Unicode lines, one document "
                    f"each ({sample} lines):", "",
                    "| encoding | encoded lines recovered | % | % case-insensitive "
                    "| Unicode lines unchanged | % |", "|---|---|---|---|---|---|"]
            for kind, r in paragraph.items():
                ci = f"{r['pct_case_insensitive']:.2f}" if "pct_case_insensitive" in r else ""
                out.append(f"| {_label(kind)} | {r['recovered']}/{r['lines']} | {r['pct']:.2f} "
                           f"| {ci} | {r['unicode_unchanged']}/{r['unicode_lines']} "
                           f"| {r['pct_unicode_unchanged']:.2f} |")
            out.append("")
    out += ["Correct input left unchanged:", "", "| input | unchanged | % |", "|---|---|---|"]
    for name, r in result["unchanged"].items():
        out.append(f"| {name} | {r['unchanged']}/{r['lines']} | {r['pct']:.2f} |")
    return "\n".join(out)


def _print_recovery(sample: str, kinds: dict[str, dict]) -> None:
    print(f"\nrecovered exactly ({sample} lines)")
    for kind, r in kinds.items():
        extra = ""
        if "pct_case_insensitive" in r:
            extra = f"  case-insensitive {r['pct_case_insensitive']:6.2f}%"
        if "detected" in r:
            extra += f"  detected {r['detected']}"
        if r.get("skipped_unencodable"):
            extra += f"  ({r['skipped_unencodable']} lines not encodable)"
        if "unicode_lines" in r:
            extra += (f"  Unicode lines unchanged {r['unicode_unchanged']}/{r['unicode_lines']}"
                      f" {r['pct_unicode_unchanged']:6.2f}%")
        print(f"  {kind:26} {r['recovered']:5}/{r['lines']:<5} {r['pct']:6.2f}%{extra}")


def failures(lines: list[str], kind: str) -> list[tuple[str, str, str]]:
    """(expected, input, got) for the lines of one row that did not come back (development)."""
    lines = [unicodedata.normalize("NFC", line) for line in lines]
    out = []
    if kind.startswith("paragraph:"):
        for inputs, expected, _ in paragraph_documents(lines, kind.split(":", 1)[1]):
            got = repair_encoding("\n".join(inputs)).text.split("\n")
            out += [(e, i, g) for e, i, g in zip(expected, inputs, got, strict=True) if e != g]
        return out
    mixed = kind.startswith("mixed:")
    base = kind.split(":", 1)[1] if mixed else kind
    rng = random.Random(RANDOM_SEED)
    expected, inputs = [], []
    for line in lines:
        encoded = _encodable(line, base)
        if encoded is None or encoded == line:
            continue
        if mixed:
            host = rng.choice(lines)
            expected.append(f"{host} {line}")
            inputs.append(f"{host} {encoded}")
        else:
            expected.append(line)
            inputs.append(encoded)
    got = repair_encoding("\n".join(inputs)).text.split("\n")
    return [(e, i, g) for e, i, g in zip(expected, inputs, got, strict=True) if e != g]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true",
                        help="measure the development sample of training lines instead")
    parser.add_argument("--failures", metavar="KIND",
                        help="with --dev: print the failures of one row (viqr, mixed:viqr, ...)")
    parser.add_argument("--size", type=int, default=SAMPLE_SIZE,
                        help="with --dev: lines in the development sample")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables too")
    args = parser.parse_args(argv)
    if args.dev:
        started = time.perf_counter()
        lines = dev_corpus_lines(args.size)
        if args.failures:
            for e, i, g in failures(lines, args.failures):
                print(f"expected {e!r}\ninput    {i!r}\ngot      {g!r}\n")
            return
        _print_recovery("development: training corpus", recovery(lines))
        print(f"\n{round(time.perf_counter() - started, 1)} s")
        return
    result = run()
    for sample, kinds in result["recovery"].items():
        _print_recovery(sample, kinds)
    print("\nunchanged")
    for name, r in result["unchanged"].items():
        print(f"  {name:26} {r['unchanged']:5}/{r['lines']:<5} {r['pct']:6.2f}%")
        for before, after in r["changed_examples"]:
            print(f"      {before!r}\n   -> {after!r}")
    print(f"\n{result['seconds']} s")
    if args.markdown:
        print()
        print(markdown(result))


if __name__ == "__main__":
    main()
