"""Matched rows → indicator records with value, confidence, review flag and reasons.

The record is the product's contract. Confidence multiplies what each step was sure of:
the row's identity (printed label, description, order), the value's reading, and the text's
quality; arithmetic checks between rows then confirm or flag. That product is then mapped to
the share of values found right at that level on the bench's development sets
(:func:`calibrate`, ``data/calibration.json``), so 0.9 means about 9 in 10. ``needs_review`` is
set below :data:`REVIEW_THRESHOLD` and for any hard doubt, so a value that is not certain is
never passed off as certain.
"""

from __future__ import annotations

import json
import unicodedata
from bisect import bisect_right
from dataclasses import asdict, dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path

from extract.ocr import OCR_VALUE_CONFIDENCE
from extract.types import Document
from mapping.catalog import Catalog
from mapping.tables import MatchedRow, TableResult
from normalize.numbers import parse_vn_number

RECORD_FIELDS = (
    "source", "page", "line", "bbox", "catalog", "indicator_id", "period", "row_label_raw",
    "description_raw", "description", "unit", "value", "value_raw", "note", "confidence",
    "needs_review", "reasons", "cells",
)
# a value less likely right than this is flagged: confidences are calibrated (below), so 0.85
# means about 85 in 100 such values are right
REVIEW_THRESHOLD = 0.85
OCR_TEXT_QUALITY = 0.5  # correct Vietnamese scores ~0.85, text OCR'd without 'vie' ~0.2
HARD_REASONS = {
    "value-garbled", "rate-inconsistent", "parts-exceed-total", "code-out-of-range",
    "value-from-arithmetic", "no-catalog-match", "rate-out-of-range",
    "value-position-uncertain", "number-format-ambiguous", "value-note-adjacent",
    "ocr-low-confidence", "value-ambiguous", "row-not-found", "ocr-value-uncertain",
    "value-readings-differ", "value-not-found", "value-without-unit", "code-among-code-book",
    "value-on-section-row", "value-cut",
}
# reasons about one value: a per-year row's records each take only their own cell's (all of
# CELL_REASONS where the row was read cell by cell, else those of parsing the number)
PARSE_REASONS = {"value-garbled", "code-out-of-range", "rate-out-of-range", "percent-on-non-rate",
                 "number-format-ambiguous"}
CELL_REASONS = PARSE_REASONS | {"ocr-value-uncertain", "value-cell-noise"}
OCR_LOW_CONFIDENCE = 0.6  # a row whose weakest OCR'd line reads below this is not trusted
# raw confidence → share of values right, fitted on the bench's development sets
# (``python -m bench.calibration --fit``); absent, confidences are left as computed
CALIBRATION_PATH = Path(__file__).parent / "data" / "calibration.json"


@dataclass
class IndicatorRecord:
    source: str
    page: int
    line: int
    catalog: str | None
    indicator_id: str | None
    row_label_raw: str | None
    description_raw: str
    description: str
    unit: str | None
    value: float | int | None
    value_raw: str | None
    note: str | None
    confidence: float
    needs_review: bool
    reasons: list[str] = field(default_factory=list)
    period: str | None = None  # "2021" … "2025-03-31"; the report's period for one-period tables
    bbox: list[float] | None = None  # the row's box on its page (PDF points), when known
    # a row of a table no catalog matched: its printed cells, each with the header over it
    cells: list[dict[str, str | None]] | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        return {k: data[k] for k in RECORD_FIELDS}


def text_quality(document: Document) -> float:
    """Share of the document's letters-words that carry Vietnamese diacritics: about 0.5 for
    correct Vietnamese, near 0.1 for text OCR'd without a Vietnamese model."""
    words = [w for line in document.lines for w in line.text.split() if w.isalpha()]
    if not words:
        return 1.0
    marked = sum(1 for w in words if _marked(w))
    return marked / len(words)


@lru_cache(maxsize=1 << 16)
def _marked(word: str) -> bool:
    """The word carries a diacritic (or đ); cached: most words of a text recur."""
    return any(unicodedata.decomposition(ch) or ch in "đĐ" for ch in word)


def _identity_confidence(row: MatchedRow, reasons: list[str]) -> float:
    entry = row.entry
    assert entry is not None
    numbered = entry.row[0].isdigit() and not entry.row[-1].isalpha()
    desc = row.desc_score
    by_desc = 0.95 if desc >= 0.6 else 0.88 if desc >= 0.45 else 0.78 if desc >= 0.3 else 0.62
    if not numbered:
        if desc < 0.3:
            reasons.append("description-weak")
        return by_desc
    by_label = {"exact": 1.0, "confusion": 0.9, "near": 0.72}.get(row.label_how, 0.6)
    if row.label_how == "confusion":
        reasons.append("label-confusion")
    elif row.label_how != "exact":
        reasons.append("label-from-order")
    if desc < 0.3:
        reasons.append("description-weak")
    return max(by_label, by_desc) if row.label_how != "exact" else 1.0


def _parse_value(row: MatchedRow, reasons: list[str], raw: str | None
                 ) -> tuple[float | int | None, float]:
    entry = row.entry
    if raw is None:
        return None, 1.0
    parsed = parse_vn_number(raw)
    if parsed is None:
        reasons.append("value-garbled")
        return None, 0.3
    value = parsed.value
    factor = 1.0
    kind = entry.kind if entry else None
    if parsed.ambiguous and kind in ("rate", "amount"):
        reasons.append("number-format-ambiguous")
        factor *= 0.6
    if kind == "code" and entry and entry.codebook is not None and str(value) not in entry.codebook:
        reasons.append("code-out-of-range")
        factor *= 0.5
    if kind == "rate" and isinstance(value, (int, float)) and not 0 <= value <= 100:
        reasons.append("rate-out-of-range")
        factor *= 0.5
    if parsed.percent and kind not in ("rate", None):
        reasons.append("percent-on-non-rate")
        factor *= 0.8
    return value, factor


def records_for_table(table: TableResult, source: str, quality: float) -> list[IndicatorRecord]:
    records: list[IndicatorRecord] = []
    noisy = quality < OCR_TEXT_QUALITY
    for row in table.rows:
        reasons = list(row.reasons) + [r for r in row.raw.reasons if r != "value-garbled"]
        if "value-garbled" in row.raw.reasons and row.raw.value_raw is None:
            reasons.append("value-garbled")
        if "value-on-continuation-line" in reasons:
            reasons.remove("value-on-continuation-line")
            reasons.append("value-position-uncertain")
        if row.entry is None:
            records.append(_generic_record(row, reasons, source))
            continue
        confidence = _identity_confidence(row, reasons)
        value, value_factor = _parse_value(row, reasons, row.raw.value_raw)
        if row.raw.value_raw is not None:
            confidence *= value_factor
        if value is not None and row.entry.kind == "section":
            # the template prints no value here: real reports sometimes do (a total), but so
            # does a number of the row above that wrapped onto this row's lines
            reasons.append("value-on-section-row")
        if noisy:
            reasons.append("ocr-text")
            confidence *= 0.93
        # text OCR'd without a Vietnamese model, or a page OCR'd whole (no ruled cells to read
        # one by one): rows are read from lines where cells interleave
        if noisy or (row.raw.confidence is not None and row.raw.style == "lined"):
            if value is None and row.entry.kind != "section" and not row.raw.values_by_period:
                # an empty value cell and a value lost to noise look the same
                reasons.append("value-not-found")
            if value is not None and row.entry.kind == "code":
                # the code book printed beside the value (`Chưa = 0 … Có = 1`) is OCR'd into
                # the same lines, so its digits and the value cannot be told apart
                reasons.append("code-among-code-book")
        if "value-position-uncertain" in reasons:
            confidence *= 0.7
        if "value-cell-noise" in reasons:  # scraps around the number in its cell
            confidence *= 0.85
        if row.raw.value_raw is not None and row.raw.value_confidence is not None:
            confidence *= 0.6 + 0.4 * row.raw.value_confidence
            if row.raw.value_confidence < OCR_VALUE_CONFIDENCE:
                reasons.append("ocr-value-uncertain")
        if row.raw.text_confidence is not None:  # the text repair's doubt about the words
            confidence *= 0.85 + 0.15 * row.raw.text_confidence
            if row.raw.text_confidence < 0.75:
                reasons.append("text-uncertain")
        if row.raw.confidence is not None:  # OCR word confidence of the row's weakest line
            confidence *= 0.5 + 0.5 * row.raw.confidence
            if row.raw.confidence < OCR_LOW_CONFIDENCE:
                reasons.append("ocr-low-confidence")
        periods = table.catalog.periods if table.catalog else []
        base = IndicatorRecord(
            source=source, page=row.raw.page, line=row.raw.line_start,
            catalog=table.catalog.id if table.catalog else None, indicator_id=row.entry.id,
            row_label_raw=row.raw.label_raw, description_raw=row.raw.description_raw,
            description=row.entry.description, unit=row.entry.unit or row.raw.unit_raw,
            value=value, value_raw=row.raw.value_raw, note=row.raw.note_raw,
            confidence=confidence, needs_review=False, reasons=reasons,
            period=periods[0] if len(periods) == 1 else None,
            bbox=[round(x, 1) for x in row.raw.bbox] if row.raw.bbox else None)
        if not row.raw.values_by_period:
            records.append(base)
            continue
        identity = _identity_confidence(row, [])
        cell_doubts = row.raw.period_reasons or {}
        for period, cell in row.raw.values_by_period.items():
            # the row's reasons about its identity and text, and this cell's own doubts
            own = CELL_REASONS if row.raw.period_reasons is not None else PARSE_REASONS
            cell_reasons = [r for r in reasons if r not in own] + cell_doubts.get(period, [])
            cell_value, factor = _parse_value(row, cell_reasons, cell or None)
            if "value-cell-noise" in cell_reasons:
                factor *= 0.85
            records.append(replace(base, period=period, value=cell_value,
                                   value_raw=cell or None, reasons=cell_reasons,
                                   confidence=identity * (factor if cell else 1.0)))
    if table.catalog is not None:
        by_period: dict[str | None, list[IndicatorRecord]] = {}
        for record in records:
            by_period.setdefault(record.period, []).append(record)
        for group in by_period.values():
            check_arithmetic(group, table.catalog)
    for record in records:
        record.confidence = round(calibrate(max(0.0, min(1.0, record.confidence))), 3)
        record.reasons = sorted(set(record.reasons))
        record.needs_review = record.needs_review or record.confidence < REVIEW_THRESHOLD or \
            bool(HARD_REASONS & set(record.reasons))
    return records


def _generic_record(row: MatchedRow, reasons: list[str], source: str) -> IndicatorRecord:
    """A row of a table no catalog matched: no claim about any catalog row (no indicator, no
    confidence), its value read as printed, its cells kept with their headers; always to
    review (``no-catalog-match``)."""
    raw = row.raw
    value, _ = _parse_value(row, reasons, raw.value_raw)
    return IndicatorRecord(
        source=source, page=raw.page, line=raw.line_start, catalog=None, indicator_id=None,
        row_label_raw=raw.label_raw, description_raw=raw.description_raw,
        description=raw.description_repaired or raw.description_raw, unit=raw.unit_raw,
        value=value, value_raw=raw.value_raw, note=raw.note_raw, confidence=0.0,
        needs_review=True, reasons=sorted(set(reasons)), period=raw.period,
        bbox=[round(x, 1) for x in raw.bbox] if raw.bbox else None,
        cells=[{"header": header, "text": text} for header, text in raw.cells]
        if raw.cells is not None else None)


def check_arithmetic(records: list[IndicatorRecord], catalog: Catalog) -> None:
    """Rate ≈ numerator / denominator × 100; parts ≤ total. A value the arithmetic can supply
    where the printed one was lost is proposed, flagged ``value-from-arithmetic``."""
    by_id = {r.indicator_id: r for r in records if r.indicator_id}
    for entry in catalog.entries:
        if entry.kind != "rate" or not entry.numerator or not entry.denominator:
            continue
        rate, num, den = by_id.get(entry.id), by_id.get(entry.numerator), by_id.get(
            entry.denominator)
        if not (rate and num and den):
            continue
        if rate.value is not None and num.value is not None and den.value:
            expected = 100 * num.value / den.value
            if abs(expected - rate.value) <= max(1.0, 0.02 * abs(expected)):
                for r in (rate, num, den):
                    r.reasons.append("arithmetic-consistent")
                    r.confidence = min(1.0, r.confidence + 0.08)
            else:
                for r in (rate, num, den):
                    r.reasons.append("rate-inconsistent")
        elif rate.value is None and "value-garbled" in rate.reasons and num.value is not None \
                and den.value:
            rate.value = round(100 * num.value / den.value, 2)
            rate.reasons.append("value-from-arithmetic")
    for constraint in catalog.constraints:
        total = by_id.get(constraint.total)
        parts = [by_id.get(p) for p in constraint.parts]
        if total is None or total.value is None or any(p is None for p in parts):
            continue
        known = [p for p in parts if p.value is not None]
        if len(known) == len(parts):
            if sum(p.value for p in known) > total.value + 1e-9:
                for r in (total, *parts):
                    r.reasons.append("parts-exceed-total")
        elif len(parts) - len(known) == 1:
            missing = next(p for p in parts if p.value is None)
            if "value-garbled" in missing.reasons:
                missing.value = total.value - sum(p.value for p in known)
                missing.reasons.append("value-from-arithmetic")


def fit_calibration(scored: list[tuple[float, bool]]) -> dict:
    """Isotonic regression (pool adjacent violators) of right/wrong on raw confidence: the
    map's knots are the pooled blocks' (mean raw confidence, share right), non-decreasing, so
    a higher raw confidence never maps lower. Records of equal confidence are pooled first.

    >>> fit_calibration([(0.5, False), (0.5, True), (0.9, True), (0.9, True)])["knots"]
    [[0.5, 0.5], [0.9, 1.0]]
    """
    groups: dict[float, list[int]] = {}
    for confidence, right in scored:
        groups.setdefault(round(confidence, 3), []).append(int(right))
    blocks: list[list[float]] = []  # [sum of confidence, right, count]
    for confidence in sorted(groups):
        rights = groups[confidence]
        blocks.append([confidence * len(rights), sum(rights), len(rights)])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            for k in range(3):
                blocks[-1][k] += last[k]
    return {"method": "isotonic", "records": len(scored),
            "knots": [[round(c / n, 4), round(r / n, 4)] for c, r, n in blocks]}


@cache
def calibration_knots() -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    if not CALIBRATION_PATH.exists():
        return None
    knots = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))["knots"]
    return tuple(k[0] for k in knots), tuple(k[1] for k in knots)


def calibrate(raw: float) -> float:
    """The share of values right among records of raw confidence ``raw``: linear between the
    map's knots, flat beyond its ends."""
    knots = calibration_knots()
    if knots is None:
        return raw
    xs, ys = knots
    i = bisect_right(xs, raw)
    if i == 0:
        return ys[0]
    if i == len(xs):
        return ys[-1]
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)


def document_records(document: Document, tables: list[TableResult], quality: float
                     ) -> list[IndicatorRecord]:
    """``quality``: the document's :func:`text_quality`, which its status reports too."""
    out: list[IndicatorRecord] = []
    for table in tables:
        out.extend(records_for_table(table, document.source, quality))
    return out
