"""Benchmark: ``repair_text`` takes time in proportion to the text, whatever its lines (issue 11).

    python -m bench.longlines

Text: about ``SIZE`` characters of ordinary report text -- seeds 000, 002, 003 (as copied into
``data/samples``) and 004 (``../shared/seeds``, when it is there), repeated up to ``SIZE`` -- in
three line structures: normal lines (LF), one line (every LF a space: a dump that lost its
breaks) and CR-only line ends (old Mac exports). Three kinds of text: correct (nothing to
repair), the same text without its marks (diacritic restoration on every line) and the OCR'd
narrative of seed 001 (OCR-noise repair), each version repaired as one document.

Times are CPU seconds of this process (``time.process_time``, so that the other work on a shared
machine counts less), best of ``REPEATS``, the language model loaded; the ratios are of times
measured in this one run. The CR-only output must be the LF output with its breaks as they came.

A 5 MB token (base64, no spaces): ``repair_text`` on it, and the text-dump path of ingest on a
file holding it (``read_document`` + ``ingest_document``: decode, table regions, repair).
"""

from __future__ import annotations

import base64
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from normalize.diacritics import load_model, strip_diacritics
from normalize.repair import repair_text
from pipelines.ingest import ingest_document, read_document

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
REPORT_FILES = (
    SAMPLES / "template-thai-nguyen-ke-hoach-73-2025.txt",  # seed 000
    SAMPLES / "xa-binh-thanh-2025.txt",  # seed 002
    SAMPLES / "template-de-cuong-09-phu-luc.txt",  # seed 003
    *sorted((ROOT.parent / "shared" / "seeds").glob("004_*.txt")),
)
OCR_SAMPLE = SAMPLES / "so-dan-toc-thai-nguyen-432-2025.txt"  # seed 001, OCR'd without `vie`
OCR_NARRATIVE_LINES = 454
SIZE = 300_000
OCR_SIZE = 100_000  # the OCR-noise repair reads every word: a smaller text keeps the run short
TOKEN_SIZE = 5_000_000
REPEATS = 2
STRUCTURES: dict[str, Callable[[str], str]] = {
    "lines (LF)": lambda text: text,
    "one line": lambda text: text.replace("\n", " "),
    "CR only": lambda text: text.replace("\n", "\r"),
}


def _upto(text: str, size: int) -> str:
    """``text`` repeated (as paragraphs) and cut to ``size`` characters, at a line end."""
    out = text
    while len(out) < size:
        out += "\n" + text
    return out[: out.rfind("\n", 0, size)]


def texts() -> dict[str, str]:
    """The texts by kind, with normal lines."""
    report = _upto("\n".join(p.read_text(encoding="utf-8") for p in REPORT_FILES), SIZE)
    ocr = "\n".join(OCR_SAMPLE.read_text(encoding="utf-8").split("\n")[:OCR_NARRATIVE_LINES])
    return {"correct report text": report,
            "report text without marks": strip_diacritics(report),
            "OCR'd narrative (seed 001)": _upto(ocr, OCR_SIZE)}


def _cpu(call: Callable[[], object]) -> tuple[float, object]:
    """CPU seconds of ``call()`` and what it returned."""
    start = time.process_time()
    value = call()
    return time.process_time() - start, value


def run() -> dict:
    load_model()
    repair_text("Cong tac cai cach hanh chinh dwoc")  # the inventories, loaded once
    result: dict = {"kinds": {}}
    for kind, text in texts().items():
        versions = {name: make(text) for name, make in STRUCTURES.items()}
        best = {name: float("inf") for name in versions}
        outputs: dict[str, str] = {}
        for _ in range(REPEATS):  # interleaved: a busy minute weighs on every version
            for name, version in versions.items():
                seconds, repaired = _cpu(lambda v=version: repair_text(v))
                best[name], outputs[name] = min(best[name], seconds), repaired.text
        base = best["lines (LF)"]
        result["kinds"][kind] = {
            "chars": len(text),
            "seconds": best,
            "ratios": {name: seconds / base for name, seconds in best.items()},
            "cr_same_as_lf": outputs["CR only"] == outputs["lines (LF)"].replace("\n", "\r"),
        }
    token = base64.b64encode(random.Random(11).randbytes(TOKEN_SIZE * 3 // 4)).decode()
    result["token_chars"] = len(token)
    result["token_repair"] = _cpu(lambda: repair_text(token))[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "token.txt"
        path.write_text(token, encoding="ascii")
        result["token_ingest"] = _cpu(lambda: ingest_document(read_document(path)))[0]
    return result


def markdown(result: dict) -> str:
    lines = [
        "CPU seconds of `repair_text` (best of "
        f"{REPEATS}, model loaded) on the same text in three line structures; ratio to the "
        "text with normal lines (target: one line and CR only ≤ 2×).",
        "",
        "| text | chars | lines (LF) | one line | ratio | CR only | ratio | CR output = LF "
        "output |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, row in result["kinds"].items():
        seconds, ratios = row["seconds"], row["ratios"]
        lines.append(
            f"| {kind} | {row['chars']:,} | {seconds['lines (LF)']:.2f} | "
            f"{seconds['one line']:.2f} | {ratios['one line']:.2f} | {seconds['CR only']:.2f} | "
            f"{ratios['CR only']:.2f} | {'yes' if row['cr_same_as_lf'] else 'NO'} |")
    lines += [
        "",
        f"A {result['token_chars'] / 1e6:.0f} MB token (base64, no spaces): `repair_text` "
        f"{result['token_repair']:.2f} s; the text-dump path of ingest (decode, table regions, "
        f"repair) {result['token_ingest']:.2f} s (CPU seconds).",
    ]
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
