"""Benchmark of normalize.repair_text: OCR-noise repair, do-no-harm and speed, in one run.

    python -m bench.repair

OCR noise: the narrative of seed 001 (``data/samples/so-dan-toc-thai-nguyen-432-2025.txt``,
lines 1–454: the report before its appendix table), OCR'd without a Vietnamese model. The whole
narrative is repaired as one document, then each line of ``tests/data/ocr001_narrative_gold.tsv``
(corrected by hand; ``#uncertain`` marks a line with a word nobody can read) is compared with its
repaired line, syllable by syllable (``bench.diacritics.syllable_accuracy``: reference words that
are Vietnamese syllables, aligned on unmarked forms, lowercase; "style" also accepts the other
placement of an ``oa``/``oe``/``uy`` tone). The baseline, in the same run: strip every mark and
restore with ``restore_diacritics`` (no OCR confusions).

Do no harm: correct text -- seeds 000, 002 and 004 (``../shared/seeds``) and the held-out legal
documents (``bench/data/heldout_legal.txt``) -- each repaired as one document; the share of lines
that come back identical to the NFC input.

Speed: characters per second of ``repair_text`` (best of ``SPEED_REPEATS``, model loaded) on the
001 narrative and on the correct text.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

from bench.diacritics import syllable_accuracy
from normalize.diacritics import load_model, restore_diacritics, strip_diacritics
from normalize.repair import repair_text

ROOT = Path(__file__).resolve().parents[1]
OCR_SAMPLE = ROOT / "data" / "samples" / "so-dan-toc-thai-nguyen-432-2025.txt"
NARRATIVE_LINES = 454  # seed 001: the report's prose ends here; its table follows
GOLD = ROOT / "tests" / "data" / "ocr001_narrative_gold.tsv"
HELDOUT_LEGAL = ROOT / "bench" / "data" / "heldout_legal.txt"
SEEDS = ROOT.parent / "shared" / "seeds"
CORRECT_SEEDS = {
    "seed 000": "000_8e0836a6b84d16fa.txt",
    "seed 002": "002_e4b55ce9320d5ddc.txt",
    "seed 004": "004_a443131aaef807c1.txt",
}
SPEED_REPEATS = 3
UNCERTAIN = "#uncertain"


def narrative() -> str:
    """Lines 1–454 of seed 001, as one text."""
    return "\n".join(OCR_SAMPLE.read_text(encoding="utf-8").split("\n")[:NARRATIVE_LINES])


def gold_lines() -> list[tuple[int, str, str, bool]]:
    """(line number, OCR line, hand-corrected line, uncertain) for every gold line."""
    rows = []
    for raw in GOLD.read_text(encoding="utf-8").splitlines()[1:]:
        number, ocr, gold, *flag = raw.split("\t")
        rows.append((int(number), ocr, gold, bool(flag) and flag[0] == UNCERTAIN))
    return rows


def gold_accuracy(output: str, rows: list[tuple[int, str, str, bool]] | None = None) -> dict:
    """Syllable accuracy of the lines of ``output`` against the gold lines (by line number)."""
    out_lines = output.split("\n")
    counts = {"syllables": 0, "strict": 0, "style": 0}
    for number, _, gold, _ in rows if rows is not None else gold_lines():
        scored = syllable_accuracy(gold, out_lines[number - 1])
        counts["syllables"] += scored["syllables"]
        counts["strict"] += round(scored["strict"] * scored["syllables"])
        counts["style"] += round(scored["style"] * scored["syllables"])
    total = max(counts["syllables"], 1)
    return {"syllables": counts["syllables"], "strict": counts["strict"] / total,
            "style": counts["style"] / total}


def correct_texts() -> dict[str, str]:
    """Correct Vietnamese text by name (seeds skipped when ``../shared/seeds`` is absent)."""
    texts = {name: (SEEDS / file).read_text(encoding="utf-8")
             for name, file in CORRECT_SEEDS.items() if (SEEDS / file).exists()}
    legal = [line for line in HELDOUT_LEGAL.read_text(encoding="utf-8").split("\n")
             if not line.startswith("### ")]
    texts["held-out legal"] = "\n".join(legal)
    return texts


def unchanged_lines(text: str) -> tuple[int, int, list[tuple[str, str]]]:
    """(non-empty lines, lines unchanged, the changed lines as (before, after))."""
    before = unicodedata.normalize("NFC", text).split("\n")
    after = repair_text(text).text.split("\n")
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    lines = sum(1 for line in before if line.strip())
    return lines, lines - len(changed), changed


def chars_per_second(text: str) -> float:
    best = min(_timed(text) for _ in range(SPEED_REPEATS))
    return len(text) / best


def _timed(text: str) -> float:
    start = time.perf_counter()
    repair_text(text)
    return time.perf_counter() - start


def run() -> dict:
    load_model()
    rows = gold_lines()
    ocr = narrative()
    certain = [row for row in rows if not row[3]]
    repaired = repair_text(ocr).text
    baseline = restore_diacritics(strip_diacritics(ocr)).text
    result: dict = {
        "gold_lines": len(rows),
        "uncertain_lines": len(rows) - len(certain),
        "repair": gold_accuracy(repaired, rows),
        "repair_certain_lines": gold_accuracy(repaired, certain),
        "baseline": gold_accuracy(baseline, rows),
        "unchanged": {},
    }
    lines = kept = 0
    for name, text in correct_texts().items():
        n, k, changed = unchanged_lines(text)
        result["unchanged"][name] = {"lines": n, "unchanged": k, "examples": changed[:5]}
        lines, kept = lines + n, kept + k
    result["unchanged_share"] = kept / max(lines, 1)
    correct = "\n".join(correct_texts().values())
    result["speed_ocr"] = chars_per_second(ocr)
    result["speed_correct"] = chars_per_second(correct)
    return result


def markdown(result: dict) -> str:
    repair, base = result["repair"], result["baseline"]
    lines = [
        f"Seed 001 narrative, {result['gold_lines']} hand-corrected lines "
        f"({repair['syllables']} syllables, {result['uncertain_lines']} lines marked "
        "`#uncertain`), `tests/data/ocr001_narrative_gold.tsv`:",
        "",
        "| system | syllables right (strict) | (either tone placement) |",
        "|---|---|---|",
        f"| `repair_text` (OCR confusions + 4-gram LM) | {repair['strict']:.4f} | "
        f"{repair['style']:.4f} |",
        f"| `repair_text`, lines without `#uncertain` | "
        f"{result['repair_certain_lines']['strict']:.4f} | "
        f"{result['repair_certain_lines']['style']:.4f} |",
        f"| baseline: strip marks + `restore_diacritics` | {base['strict']:.4f} | "
        f"{base['style']:.4f} |",
        "",
        "Correct input passed through `repair_text` (lines identical after NFC):",
        "",
        "| text | non-empty lines | unchanged | share |",
        "|---|---|---|---|",
    ]
    for name, counts in result["unchanged"].items():
        share = counts["unchanged"] / max(counts["lines"], 1)
        lines.append(f"| {name} | {counts['lines']} | {counts['unchanged']} | {share:.4f} |")
    lines += [
        f"| **all** | | | **{result['unchanged_share']:.4f}** |",
        "",
        f"Speed of `repair_text` (one core, model loaded): {result['speed_ocr']:,.0f} chars/s on "
        f"the 001 narrative (OCR repair), {result['speed_correct']:,.0f} chars/s on correct text.",
    ]
    return "\n".join(lines)


def main() -> None:
    result = run()
    print(markdown(result))
    for name, counts in result["unchanged"].items():
        for before, after in counts["examples"]:
            print(f"changed in {name}:\n  - {before}\n  + {after}")


if __name__ == "__main__":
    main()
