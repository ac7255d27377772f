"""The audit page (issue 12 item 2) on a 50-document batch: how long ``vnextract audit`` takes,
how large ``audit.html`` is, and whether it lists every record the store flags.

The batch is ``bench.batch``'s mix (text dumps, some in TCVN3, born-digital PDFs, a scan),
ingested through the CLI; the audit is the CLI a user types, timed as a whole (start-up
included) and as :func:`pipelines.audit.audit` alone.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.batch import make_batch
from pipelines.audit import audit

ROOT = Path(__file__).resolve().parents[1]
SIZE = 50


def _cli(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def run(size: int = SIZE) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        mix = make_batch(folder, size)
        ingest_s = _cli("ingest", str(folder), "--out", str(out))
        cli_s = _cli("audit", str(out))
        start = time.perf_counter()
        result = audit(out)
        audit_s = time.perf_counter() - start
        html = result.path.read_text(encoding="utf-8")
        with duckdb.connect(str(out / "vnextract.duckdb"), read_only=True) as con:
            records, flagged = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE needs_review) FROM records").fetchone()
            ids = {r[0] for r in con.execute(
                "SELECT record_id FROM records WHERE needs_review").fetchall()}
        listed = re.findall(r'<tr class="record" id="r-([0-9a-f]+)"', html)
        return {"size": size, "mix": mix, "records": records, "flagged": flagged,
                "listed": len(listed), "all_listed": set(listed) == ids
                and len(listed) == len(ids), "crops": result.crops, "bytes": result.size,
                "ingest_s": ingest_s, "cli_s": cli_s, "audit_s": audit_s}


def markdown(r: dict) -> str:
    mix = ", ".join(f"{n} {kind}" for kind, n in r["mix"].items())
    return "\n".join([
        "| documents | records | flagged | listed on the page | row images | audit.html | "
        "`vnextract audit` | `audit()` alone | ingest |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['size']} ({mix}) | {r['records']} | {r['flagged']} | {r['listed']}"
        f"{' (all, same IDs)' if r['all_listed'] else ' **(not all)**'} | {r['crops']} | "
        f"{r['bytes'] / 1024:.0f} KiB | {r['cli_s']:.1f} s | {r['audit_s']:.2f} s | "
        f"{r['ingest_s']:.0f} s |"])


if __name__ == "__main__":
    print(markdown(run()))
