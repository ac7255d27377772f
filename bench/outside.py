"""Documents outside every catalog (issue 9): records that claim a catalog row they do not hold.

Every real file of ``../shared/real`` that vnextract reads today (the PDFs: scans, signed scans,
born-digital, TCVN3 text layers; the Office files' transcripts, which are mostly tables that
are no CCHC catalog) and seed 004 (a plan in prose, numbered 1…n), each through the same calls
as ``vnextract ingest``. None of them holds a catalog's table, so every record that names an
indicator is a false claim; one without ``needs_review`` is the worst kind. Generic records
(tables read as printed, no indicator) are counted apart.

Run: ``python -m bench.outside``
"""

from __future__ import annotations

import time
from pathlib import Path

from pipelines.ingest import ingest_document, read_document

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def documents() -> list[Path]:
    """The real documents outside the catalogs (those present beside the checkout)."""
    real = SHARED / "real"
    found = [*sorted((real / "scans").glob("*.pdf")), *sorted((real / "pdf-tcvn3").glob("*.pdf")),
             *sorted((real / "pdf-tcvn3").glob("*.txt")),
             *sorted((real / "office" / "transcripts").glob("*.txt")),
             *sorted((SHARED / "seeds").glob("004_*.txt"))]
    return [p for p in found if p.is_file()]


def run(paths: list[Path] | None = None) -> dict:
    out: dict = {"documents": {}, "seconds": 0.0}
    start = time.perf_counter()
    for path in paths if paths is not None else documents():
        records, status = ingest_document(read_document(path))
        claims = [r for r in records if r.indicator_id]
        out["documents"][f"{path.parent.name}/{path.name}"] = {
            "kind": status.kind, "records": len(records), "claims": len(claims),
            "claims_unflagged": sum(not r.needs_review for r in claims),
            "generic": len(records) - len(claims),
            "catalogs": sorted({r.catalog for r in claims}),
        }
    out["seconds"] = time.perf_counter() - start
    docs = out["documents"].values()
    out["total"] = {k: sum(d[k] for d in docs)
                    for k in ("records", "claims", "claims_unflagged", "generic")}
    return out


def markdown(result: dict) -> str:
    lines = ["| document | read as | records | claiming a catalog row | of which not flagged "
             "| generic (no indicator) | catalogs claimed |", "|---|---|---|---|---|---|---|"]
    for name, d in result["documents"].items():
        lines.append(f"| {name} | {d['kind']} | {d['records']} | {d['claims']} | "
                     f"{d['claims_unflagged']} | {d['generic']} | "
                     f"{', '.join(d['catalogs']) or '—'} |")
    t = result["total"]
    lines.append(f"| **total ({len(result['documents'])} documents)** | | {t['records']} | "
                 f"{t['claims']} | {t['claims_unflagged']} | {t['generic']} | |")
    verdict = "meets" if t["claims_unflagged"] == 0 else "misses"
    lines += ["", f"Target: zero records claiming a catalog row without needs_review: "
              f"**{verdict}**. {result['seconds']:.0f} s (OCR included)."]
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
