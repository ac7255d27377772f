"""``make bench``: run every benchmark in one process and write docs/BENCHMARKS.md."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from bench import encodings, ingest

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    result = ingest.run()
    lines = [
        "# Benchmarks",
        "",
        f"Command: `make bench` · date: {datetime.date.today()} · machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} "
        "(noisy shared machine: compare ratios measured in one run).",
        "",
        "## Ingest of text dumps (issue #2)",
        "",
        f"Ingest time for both samples together (best of 5, after import): "
        f"**{result['ingest_seconds_both']:.2f} s** (target < 2 s).",
        "",
        "| sample | rows right | row rate | values exact | value rate | wrong & unflagged "
        "| wrong & flagged | records flagged |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in result["samples"].items():
        lines.append(f"| {name} | {s['rows']} | {s['row_rate']:.3f} | {s['values']} | "
                     f"{s['value_rate']:.3f} | {s['wrong_unflagged']} | {s['wrong_flagged']} | "
                     f"{s['needs_review']}/{s['records']} |")
    lines += ["", "Scoring: `pipelines/evaluate.py` against the hand-read records in "
              "`data/samples/expected/` (a value counts as wrong when it differs from the "
              "printed one, including a printed value that was missed).", ""]
    lines += ["## Legacy encodings and mojibake (issue #3)", "", encodings.markdown(
        encodings.run()), ""]
    text = "\n".join(lines)
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs/BENCHMARKS.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
