"""Benchmark of diacritic restoration: syllable accuracy and speed, in one run.

    python -m bench.diacritics

Texts: the held-out legal documents (``bench/data/heldout_legal.txt``, written by
``scripts/build_model.py`` from the fixed split) and seeds 002 and 004 from ``../shared/seeds``,
official text the model never saw. Each text is stripped of its marks and restored; the output
is compared with the original syllable by syllable, counting only words spelled like Vietnamese
syllables (lowercase comparison). "strict" requires the same spelling; "style" also accepts the
other placement of a tone on ``oa``/``oe``/``uy`` (``hoà`` for ``hòa``), an accepted variant.

The headline legal row restores each held-out law on its own, as a user restores a document,
and counts their syllables together; the two laws are also restored as one text, where each
adapts to the other's vocabulary too. Speed is measured on that one text.

Systems: our 4-gram model, the same model decoded as a plain bigram Viterbi, and pyvi's
``ViUtils.add_accents`` when pyvi is installed (it is not a dependency; ``pip install pyvi``).
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from pathlib import Path

from normalize.diacritics import (
    DEFAULT_MODEL_PATH,
    canonical_tone_placement,
    is_vietnamese_syllable,
    load_model,
    restore_diacritics,
    strip_diacritics,
    tone_style,
)

ROOT = Path(__file__).resolve().parents[1]
HELDOUT_LEGAL = ROOT / "bench" / "data" / "heldout_legal.txt"
SEEDS = ROOT.parent / "shared" / "seeds"
UNSEEN_OFFICIAL = {
    "seed 002 (xã Bình Thành report)": "002_e4b55ce9320d5ddc.txt",
    "seed 004 (Nghệ An plan)": "004_a443131aaef807c1.txt",
}
PYVI_MAX_CHARS = 60_000  # pyvi runs at ~25k chars/s: each text is cut to this many characters
SPEED_REPEATS = 3

_WORD_RE = re.compile(r"[^\W\d_]+")


ALL_LAWS = "held-out laws, as one text"
POOLED_LAWS = "held-out laws, each on its own (pooled)"
LAW_PREFIX = "held-out law: "


def load_texts() -> dict[str, str]:
    """The benchmark texts by name: each held-out law, both laws as one text, and the unseen
    seeds (skipped when ``../shared/seeds`` is absent)."""
    texts = {}
    if HELDOUT_LEGAL.exists():
        laws: dict[str, list[str]] = {}
        for line in HELDOUT_LEGAL.read_text(encoding="utf-8").splitlines(keepends=True):
            if line.startswith("### "):
                laws[line[4:].strip()] = []
            elif laws:
                laws[next(reversed(laws))].append(line)
        texts.update({LAW_PREFIX + title: "".join(lines) for title, lines in laws.items()})
        texts[ALL_LAWS] = "".join("".join(lines) for lines in laws.values())
    for name, file_name in UNSEEN_OFFICIAL.items():
        if (SEEDS / file_name).exists():
            texts[name] = (SEEDS / file_name).read_text(encoding="utf-8")
    return texts


def pooled(scores: list[dict[str, float | int]]) -> dict[str, float | int]:
    """The accuracy over several texts scored one by one: their syllables counted together."""
    total = sum(s["syllables"] for s in scores)
    return {"syllables": total,
            **{key: sum(s[key] * s["syllables"] for s in scores) / max(total, 1)
               for key in ("strict", "style")}}


def syllable_accuracy(reference: str, restored: str) -> dict[str, float | int]:
    """Compare the words of ``restored`` with those of ``reference``, aligned on unmarked forms.

    Only reference words spelled like a Vietnamese syllable count. Alignment is by
    ``difflib`` on stripped lowercase words, so a system that changes spacing or case is still
    scored fairly; a word left without a partner counts as wrong.
    """
    ref_words = [w.lower() for w in _WORD_RE.findall(reference)]
    out_words = [w.lower() for w in _WORD_RE.findall(restored)]
    partner: dict[int, str] = {}
    matcher = difflib.SequenceMatcher(
        None, [strip_diacritics(w) for w in ref_words], [strip_diacritics(w) for w in out_words],
        autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            partner[block.a + k] = out_words[block.b + k]
    total = strict = style = 0
    for index, word in enumerate(ref_words):
        if not is_vietnamese_syllable(word):
            continue
        total += 1
        guess = partner.get(index)
        strict += guess == word
        style += guess is not None and canonical_tone_placement(guess) == canonical_tone_placement(
            word)
    return {"syllables": total, "strict": strict / max(total, 1), "style": style / max(total, 1)}


PYVI_FAILED_LINES: list[str] = []  # lines pyvi's add_accents raised on (left unrestored)


def _pyvi_restorer() -> Callable[[str], str] | None:
    """pyvi's ``add_accents``, applied line by line, or None when pyvi cannot be imported.

    pyvi raises on some inputs (``KeyError: 'HJ'``); such a line is kept as it came, stripped,
    and recorded in ``PYVI_FAILED_LINES``.
    """
    try:
        from pyvi import ViUtils
    except Exception:  # any import failure (pyvi or its dependencies) means "skip pyvi"
        return None

    def restore_line(line: str) -> str:
        if not line.strip():
            return line
        try:
            return ViUtils.add_accents(line)
        except Exception:
            PYVI_FAILED_LINES.append(line)
            return line

    def restore(text: str) -> str:
        return "\n".join(restore_line(line) for line in text.split("\n"))

    return restore


HOUSE_STYLE = "ours, --tone-style of the text"


def _systems() -> dict[str, Callable[[str], str]]:
    """The systems compared, by name."""
    model = load_model()
    systems: dict[str, Callable[[str], str]] = {
        "ours (4-gram, adapted)": lambda text: restore_diacritics(text, model=model).text,
        "bigram Viterbi": lambda text: restore_diacritics(text, model=model, order=2).text,
    }
    pyvi = _pyvi_restorer()
    if pyvi is not None:
        systems["pyvi add_accents"] = pyvi
    return systems


def measure_speed(text: str) -> float:
    """Characters per second of :func:`restore_diacritics` on stripped ``text``, model loaded."""
    model = load_model()
    stripped = strip_diacritics(text)
    restore_diacritics(stripped[:2000], model=model)  # warm caches
    best = float("inf")
    for _ in range(SPEED_REPEATS):
        started = time.perf_counter()
        restore_diacritics(stripped, model=model)
        best = min(best, time.perf_counter() - started)
    return len(stripped) / best


def run() -> dict:
    """Measure everything; returns accuracies per text and system, speed, and model facts."""
    started = time.perf_counter()
    PYVI_FAILED_LINES.clear()
    load_model.cache_clear()
    load_model()
    load_seconds = time.perf_counter() - started
    texts = load_texts()
    systems = _systems()
    accuracy: dict[str, dict] = {}
    for text_name, reference in texts.items():
        accuracy[text_name] = {}
        for system_name, restore in systems.items():
            sample = reference[:PYVI_MAX_CHARS] if system_name.startswith("pyvi") else reference
            scores = syllable_accuracy(sample, restore(strip_diacritics(sample)))
            accuracy[text_name][system_name] = scores
        # unmarked text cannot show where its tones sit on oa/oe/uy; a user who knows the
        # house style says so with --tone-style (repair_text(tone_style=...))
        restored = restore_diacritics(strip_diacritics(reference), model=load_model(),
                                      tone_style=tone_style(reference)).text
        accuracy[text_name][HOUSE_STYLE] = syllable_accuracy(reference, restored)
    sizes = {name: len(text) for name, text in texts.items()}
    laws = [name for name in texts if name.startswith(LAW_PREFIX)]
    if laws:  # a user restores one document at a time: the headline figure
        accuracy = {POOLED_LAWS: {system: pooled([accuracy[law][system] for law in laws])
                                  for system in [*systems, HOUSE_STYLE]}, **accuracy}
        sizes = {POOLED_LAWS: sum(sizes[law] for law in laws), **sizes}
    speed_text = texts.get(ALL_LAWS) or next(iter(texts.values()))
    return {
        "model_file": DEFAULT_MODEL_PATH.name,
        "model_bytes": DEFAULT_MODEL_PATH.stat().st_size,
        "model_load_seconds": load_seconds,
        "texts": sizes,
        "accuracy": accuracy,
        "chars_per_second": measure_speed(speed_text),
        "pyvi": "pyvi add_accents" in systems,
        "pyvi_failed_lines": len(PYVI_FAILED_LINES),
        "seconds": time.perf_counter() - started,
    }


def to_markdown(result: dict) -> str:
    """The figures of :func:`run` as a markdown table and a few lines of facts."""
    systems = sorted({s for per_text in result["accuracy"].values() for s in per_text})
    lines = ["| text | chars | syllables | " + " | ".join(systems) + " |",
             "|---|---:|---:|" + "---:|" * len(systems)]
    for text_name, per_system in result["accuracy"].items():
        cells = []
        for system in systems:
            scores = per_system.get(system)
            cells.append("n/a" if scores is None else
                         f"{scores['strict']:.2%} ({scores['style']:.2%})")
        syllables = next(iter(per_system.values()))["syllables"]
        lines.append(f"| {text_name} | {result['texts'][text_name]:,} | {syllables:,} | "
                     + " | ".join(cells) + " |")
    lines += [
        "",
        "Accuracy: strict (in brackets: accepting either tone placement on oa/oe/uy). "
        f"\"{HOUSE_STYLE}\": the same model with `--tone-style` set to the placement the text "
        "itself uses on most syllables (unmarked input cannot show it; the default is the "
        "training corpus's majority, old: `hòa`, `thủy`).",
        f"pyvi scored on the first {PYVI_MAX_CHARS:,} characters of each text; it raised on "
        f"{result['pyvi_failed_lines']} lines, left unrestored."
        if result["pyvi"] else "pyvi not installed: skipped.",
        f"Speed (ours, one process, model loaded, best of {SPEED_REPEATS}): "
        f"{result['chars_per_second']:,.0f} chars/s.",
        f"Model {result['model_file']}: {result['model_bytes'] / 1e6:.1f} MB, "
        f"loaded in {result['model_load_seconds']:.2f} s. Bench took {result['seconds']:.0f} s.",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print the markdown table."""
    print(to_markdown(run()))


if __name__ == "__main__":
    main()
