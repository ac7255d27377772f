"""Benchmark of normalize.encodings: break real lines every legacy way, repair them, count.

Recovery: about 2,000 correct Unicode lines of the seeds 000, 002, 003, 004 (and, as a second
sample, 2,000 lines of the held-out corpus documents, see scripts/build_syllables.py) are written
in each legacy encoding or mojibake kind with ``encode_legacy``, then repaired (str kinds, one
document) or decoded (bytes kinds, one file, encoding detected). A line counts when the encoding
changed it; lines the encoding cannot hold (a character outside it, or one that collides with a
code) are skipped and reported. TCVN3 loses the case of toned vowels, so it is also scored
case-insensitively. "mixed" puts one encoded line after a Unicode line on the same line.

Unchanged: the correct lines themselves, held-out corpus lines, English/markdown lines (the
shared README and STYLE), Python source, the negative cases of tests/data, and the OCR seed 001
(garbled, but not by an encoding) -- the share that ``repair_encoding`` returns unchanged (after
NFC).

Run: ``python -m bench.encodings``
"""

from __future__ import annotations

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


def held_out_corpus_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted((SHARED / "corpus").glob("*.txt.gz")):
        for i, line in enumerate(corpus_lines(path, held_out=True)):
            if i >= 20000:
                break
            lines.append(line.rstrip("\n"))
    return _sample(lines)


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


def _sample(lines: list[str]) -> list[str]:
    unique = sorted({line.rstrip("\r") for line in lines if line.strip()})
    random.Random(RANDOM_SEED).shuffle(unique)
    return unique[:SAMPLE_SIZE]


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
    return results


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


def markdown(result: dict) -> str:
    """The figures as markdown tables, for docs/BENCHMARKS.md."""
    out = []
    for sample, kinds in result["recovery"].items():
        out += [f"Altered lines recovered exactly ({sample} lines):", "",
                "| encoding | recovered | % | % case-insensitive |", "|---|---|---|---|"]
        for kind, r in kinds.items():
            ci = f"{r['pct_case_insensitive']:.2f}" if "pct_case_insensitive" in r else ""
            out.append(f"| {kind} | {r['recovered']}/{r['lines']} | {r['pct']:.2f} | {ci} |")
        out.append("")
    out += ["Correct input left unchanged:", "", "| input | unchanged | % |", "|---|---|---|"]
    for name, r in result["unchanged"].items():
        out.append(f"| {name} | {r['unchanged']}/{r['lines']} | {r['pct']:.2f} |")
    return "\n".join(out)


def main() -> None:
    result = run()
    for sample, kinds in result["recovery"].items():
        print(f"\nrecovered exactly ({sample} lines)")
        for kind, r in kinds.items():
            extra = ""
            if "pct_case_insensitive" in r:
                extra = f"  case-insensitive {r['pct_case_insensitive']:6.2f}%"
            if "detected" in r:
                extra += f"  detected {r['detected']}"
            if r.get("skipped_unencodable"):
                extra += f"  ({r['skipped_unencodable']} lines not encodable)"
            print(f"  {kind:26} {r['recovered']:5}/{r['lines']:<5} {r['pct']:6.2f}%{extra}")
    print("\nunchanged")
    for name, r in result["unchanged"].items():
        print(f"  {name:26} {r['unchanged']:5}/{r['lines']:<5} {r['pct']:6.2f}%")
        for before, after in r["changed_examples"]:
            print(f"      {before!r}\n   -> {after!r}")
    print(f"\n{result['seconds']} s")


if __name__ == "__main__":
    main()
