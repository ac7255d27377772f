"""Compare produced records with hand-read expected records (tests and ``make bench``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Score:
    rows: int = 0
    rows_right: int = 0
    values: int = 0  # expected values printed (status "printed")
    values_exact: int = 0
    wrong_unflagged: list[str] = field(default_factory=list)
    wrong_flagged: int = 0

    @property
    def row_rate(self) -> float:
        return self.rows_right / self.rows if self.rows else 0.0

    @property
    def value_rate(self) -> float:
        return self.values_exact / self.values if self.values else 0.0


def load_expected(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) < 1e-6


def score(records: list[dict], expected: list[dict]) -> Score:
    """A row is right when a record carries its id and starts within 3 lines of it; a value
    is exact when that record's value equals the printed one. A record whose value differs
    from the document (wrong, invented, or a dropped one) and is not flagged is the worst case."""
    result = Score()
    by_id: dict[str, list[dict]] = {}
    for record in records:
        if record.get("indicator_id") and "row-not-found" not in record.get("reasons", []):
            by_id.setdefault(record["indicator_id"], []).append(record)
    for exp in expected:
        result.rows += 1
        candidates = by_id.get(exp["indicator_id"], [])
        record = min(candidates, key=lambda r: abs(r["line"] - exp["line"]), default=None)
        if record is not None and abs(record["line"] - exp["line"]) <= 3:
            result.rows_right += 1
        else:
            record = None
        status = exp["value_status"]
        if status == "printed":
            result.values += 1
            if record is not None and _same(record["value"], exp["value"]):
                result.values_exact += 1
        if record is None:
            continue
        truth = exp["value"] if status != "uncertain" else None
        if status == "uncertain" or not _same(record["value"], truth):
            if status == "uncertain" and record["value"] is None and record["needs_review"]:
                continue
            if record["needs_review"]:
                result.wrong_flagged += 1
            elif status != "uncertain" or record["value"] is not None:
                result.wrong_unflagged.append(
                    f"{exp['indicator_id']}: got {record['value']!r}, printed {exp['value']!r}")
    return result
