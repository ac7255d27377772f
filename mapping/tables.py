"""Document lines → rows matched to catalog entries (or kept unmatched, never dropped)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from extract.lined import (
    Region,
    RowText,
    clean_value_cell,
    is_value_only,
    split_label,
    split_row,
    table_regions,
)
from extract.ocr import OCR_VALUE_CONFIDENCE
from extract.textdump import cell_blocks, clean_cell
from extract.types import Document, Line, RawRow
from mapping.align import AlignItem, Alignment, CatalogProfile, align, trigrams
from mapping.catalog import Catalog, CatalogEntry, load_catalogs
from mapping.labels import looks_like_label
from normalize.fold import fold
from normalize.numbers import parse_vn_number

NUMBER_CELL = re.compile(r"^[-+]?\d+(?:[.,]\d+)*%?$")
MIN_MATCHED_ENTRIES = 5
MIN_FIT = 0.45
MIN_COVERAGE = 0.35  # share of the catalog's entries a table must show to be that catalog
# a catalog is claimed only when this many of its rows are said in the table's own words: row
# numbers 1, 2, 3 alone fit any numbered catalog (an export sheet's "1 Dầu thô", "2 Than đá")
MIN_DESCRIBED = 0.45


@dataclass
class MatchedRow:
    """A document row with the catalog entry it was matched to (None: no catalog fits)."""

    raw: RawRow
    catalog: Catalog | None
    entry: CatalogEntry | None
    label_how: str = "none"
    desc_score: float = 0.0
    reasons: list[str] = field(default_factory=list)


@dataclass
class TableResult:
    heading: str
    catalog: Catalog | None
    fit: float
    rows: list[MatchedRow]


@dataclass
class _Prepared:
    region: Region
    items: list[AlignItem]
    lines: list[Line]
    cells: list[list[str]] | None  # tab/cells layout: label, description, unit, value, note
    parts_trong_do: list[bool]
    period_cells: list[list[str]] | None = None  # cells layout: the value cells, in order
    # tab layout under a per-year header: each period column's period as its header names it
    # (None where the header cell could not be read as one)
    period_heads: list[str | None] | None = None
    period_confidences: list[list[float | None]] | None = None  # OCR: per period cell
    period_columns: list[list[int]] | None = None  # where each row's period cells are


def _prepare_cells(region: Region) -> _Prepared:
    """One cell per line (per-year appendices): label, description, then one cell a period."""
    items, lines, cells, trong, periods = [], [], [], [], []
    for first, block in cell_blocks(region.lines):
        if block is None or not any(block):
            continue
        label = block[0].strip() if looks_like_label(block[0].strip()) else None
        texts = [(i, c) for i, c in enumerate(block[1:3], start=1)
                 if c.strip() and not NUMBER_CELL.match(c.strip())]
        if not texts:
            continue
        last_text, desc = texts[-1]
        items.append(AlignItem(text=desc, label=label))
        lines.append(first)
        cells.append([label or "", desc, "", "", ""])
        trong.append(label is None)
        periods.append([c.strip() for c in block[last_text + 1:]])
    return _Prepared(region, items, lines, cells, trong, periods)


def _is_header(cells: list[str]) -> bool:
    """A table's header row, also when a page repeats it: STT / Các chỉ tiêu / Đơn vị tính."""
    first = fold(cells[0])
    joined = fold(" ".join(cells))
    return first in {"stt", "so tt", "tt"} or (not first and "don vi tinh" in joined)


HEADER_WORDS = frozenset("stt tt ket qua cac chi tieu don vi tinh so lieu ghi chu".split())


def _header_lines(lines: list[Line]) -> set[int]:
    """Indexes of a table header printed as lines (a page repeating it, in text without cell
    borders): the line naming STT with the indicators or notes column, and the lines next to
    it made only of header words (``Kết quả`` / ``Đơn vị`` / ``Số liệu`` / ``tính``). Left
    in, they would read as the row above's note and hide the next row's description."""
    out: set[int] = set()
    for n, line in enumerate(lines):
        words = fold(line.text).split()
        if "stt" not in words[:2] or not ("tieu" in words or "chu" in words):
            continue
        out.add(n)
        for step in (-1, 1):
            k = n + step
            while 0 <= k < len(lines) and abs(k - n) <= 3 and (
                    set(fold(lines[k].text).split()) <= HEADER_WORDS and lines[k].text.strip()):
                out.add(k)
                k += step
    return out


PERIOD_HEAD = re.compile(r"^n\w{1,2}m\s*(\S{4})\b")  # "Năm 2021", OCR's "Nam 2021"
PERIOD_DATE = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\s*\)?\s*$")  # "(tính đến 31/3)"


def _period_head(text: str) -> tuple[bool, str | None]:
    """A header cell naming a period column: (is one, its period). ``Năm 2021`` → "2021",
    ``Năm 2025 (tính đến 31/3)`` → "2025-03-31"; a misread year gives (True, None)."""
    match = PERIOD_HEAD.match(fold(text))
    if not match:
        return False, None
    year = match.group(1)
    if not re.fullmatch(r"(19|20)\d\d", year):
        return True, None
    date = PERIOD_DATE.search(text)
    if date and ("đến" in text.lower() or "den" in fold(text)):
        day, month = int(date.group(1)), int(date.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            return True, f"{year}-{month:02d}-{day:02d}"
        return True, None
    if len(fold(text).split()) > 2:  # more than "Năm 2021": a qualifier not understood
        return True, None
    return True, year


def _period_columns(row: list[str]) -> tuple[list[int], list[str | None]] | None:
    """A header row of a per-year table: the columns headed by periods (at least two)."""
    found = [(i, _period_head(c)) for i, c in enumerate(row) if i > 0 and c.strip()]
    columns = [(i, period) for i, (is_period, period) in found if is_period]
    if len(columns) < 2:
        return None
    return [i for i, _ in columns], [period for _, period in columns]


def _cells_at(text: str, columns: list[int]) -> list[str]:
    """The cells of a tab row at ``columns`` ("" past its end)."""
    row = [clean_cell(c) for c in text.split("\t")]
    return [row[i] if i < len(row) else "" for i in columns]


def _prepare(region: Region) -> _Prepared:
    if region.layout == "cells":
        return _prepare_cells(region)
    if region.layout == "tab":
        items, lines, cells, trong = [], [], [], []
        period_cells: list[list[str]] = []
        period_confidences: list[list[float | None]] = []
        period_columns: list[list[int]] = []
        columns: list[int] | None = None
        heads: list[str | None] | None = None
        for line in region.lines:
            if "\t" not in line.text:
                continue
            row = [clean_cell(c) for c in line.text.split("\t")] + [""] * 5
            found = _period_columns(row)
            if found is not None:  # the per-year header (again on a new page)
                columns, heads = found
                continue
            if not row[1] and not row[2] or _is_header(row):
                continue
            label = row[0] if looks_like_label(row[0]) else None
            if columns is not None:  # per-year: STT, description, (unit), one cell a period
                unit = row[2] if 2 < columns[0] else ""
                period_cells.append(_cells_at(line.text, columns))
                confs = line.cell_confidences or ()
                period_confidences.append([confs[i] if i < len(confs) else None
                                           for i in columns])
                period_columns.append(columns)
                row = [row[0], row[1], unit, "", ""]
            items.append(AlignItem(text=row[1], label=label, unit=row[2] or None))
            lines.append(line)
            cells.append(row)
            trong.append(label is None)
        if columns is None:
            return _Prepared(region, items, lines, cells, trong)
        missing = len(items) - len(period_cells)  # rows above the header
        return _Prepared(region, items, lines, cells, trong,
                         period_cells=[[]] * missing + period_cells, period_heads=heads,
                         period_confidences=[[]] * missing + period_confidences,
                         period_columns=[[]] * missing + period_columns)
    items, lines, trong = [], [], []
    header = _header_lines(region.lines)
    for n, line in enumerate(region.lines):
        if not line.text.strip() or n in header:
            continue
        parts = split_label(line)
        if not parts.body and not parts.label and not parts.trong_do:
            continue
        items.append(AlignItem(text=parts.body, label=parts.label, trong_do=parts.trong_do,
                                trong_do_at=parts.trong_do_at))
        lines.append(line)
        trong.append(parts.trong_do)
    return _Prepared(region, items, lines, None, trong)


def _fit(alignment: Alignment) -> float:
    """Share of matched rows that their own text or label supports (not only the order)."""
    if not alignment.matches:
        return 0.0
    good = sum(1 for m in alignment.matches
               if m.desc_score >= 0.45 or m.label_how in ("exact", "confusion"))
    return good / len(alignment.matches)


_PROFILES: dict[str, CatalogProfile] = {}
_DESCRIPTION_GRAMS: dict[str, set[str]] = {}


def _profile(catalog: Catalog) -> CatalogProfile:
    """A catalog's trigram profile, built once per process rather than once per table."""
    if catalog.id not in _PROFILES:
        _PROFILES[catalog.id] = CatalogProfile(catalog)
    return _PROFILES[catalog.id]


def _description_grams(catalog: Catalog) -> set[str]:
    """All trigrams of a catalog's descriptions, for the shortlist; built once per process."""
    if catalog.id not in _DESCRIPTION_GRAMS:
        _DESCRIPTION_GRAMS[catalog.id] = set().union(
            *(trigrams(e.description) for e in catalog.entries))
    return _DESCRIPTION_GRAMS[catalog.id]


def _shortlist(prepared: _Prepared, catalogs: tuple[Catalog, ...], k: int = 4) -> list[Catalog]:
    """Catalogs whose wording overlaps the region's most (a cheap filter before Viterbi)."""
    region_grams: set[str] = set()
    for item in prepared.items:
        region_grams |= trigrams(item.text)
    scored = []
    for catalog in catalogs:
        grams = _description_grams(catalog)
        if grams and region_grams:
            shared = len(grams & region_grams)
            scored.append((2 * shared / (len(grams) + len(region_grams)), catalog))  # Dice
    scored.sort(key=lambda x: -x[0])
    return [c for s, c in scored[:k] if s > 0.1]


def match_document(document: Document, catalog_id: str | None = None) -> list[TableResult]:
    """Find the document's tables, detect each one's catalog (or use ``catalog_id``), and
    return every row, matched or not."""
    catalogs = load_catalogs()
    forced = [c for c in catalogs if c.id == catalog_id] if catalog_id else None
    if catalog_id and not forced:
        known = ", ".join(c.id for c in catalogs)
        raise KeyError(f"unknown catalog {catalog_id!r}; known catalogs: {known}")
    results: list[TableResult] = []
    for region in table_regions(document.lines):
        prepared = _prepare(region)
        if not prepared.items:
            continue
        best: tuple[float, Alignment] | None = None
        for catalog in forced or _shortlist(prepared, catalogs):
            alignment = align(catalog, prepared.items, _profile(catalog))
            fit = _fit(alignment)
            key = alignment.score * (0.5 + fit)
            if best is None or key > best[0]:
                best = (key, alignment)
        if best is not None:
            alignment = best[1]
            fit = _fit(alignment)
            coverage = len(alignment.matches) / len(alignment.catalog.entries)
            enough = coverage >= MIN_COVERAGE or (fit >= 0.7 and len(alignment.matches) >= 12)
            described = sum(1 for m in alignment.matches if m.desc_score >= MIN_DESCRIBED)
            if forced or (fit >= MIN_FIT and enough and described >= MIN_MATCHED_ENTRIES
                          and len(alignment.matches) >= MIN_MATCHED_ENTRIES):
                results.append(_matched_table(prepared, alignment, fit, document.kind))
                continue
        results.append(_unmatched_table(prepared))
    return [r for r in results if r.rows]


def _body(item: AlignItem, row_label: str | None) -> str:
    """A line's text for value extraction: a leading token that is not the row's own label
    (``100`` in ``100 3 cuộc``, ``2`` in ``2 cấp = 1``) belongs to the cells."""
    if item.label and item.label != row_label:
        return f"{item.label} {item.text}".strip()
    return item.text


def _first_text_line(lines: list[Line], items: list[AlignItem]) -> Line:
    """Where a row is said to start: its first line with text (not a bare "Trong"/"đó")."""
    for line, item in zip(lines, items, strict=True):
        if item.text or item.label:
            return line
    return lines[0]


def _union(lines: list[Line]) -> tuple[float, float, float, float] | None:
    boxes = [ln.bbox for ln in lines if ln.bbox is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def _by_period(periods: list[str], cells: list[str], raw: RawRow) -> dict[str, str]:
    """Value cells → {period: printed value}; in text without positions a short row is
    matched left to right, flagged ``period-columns-uncertain``."""
    if len(cells) != len(periods) and any(cells):
        raw.reasons.append("period-columns-uncertain")
    return {p: (cells[i] if i < len(cells) else "") for i, p in enumerate(periods)}


def _by_header(periods: list[str], heads: list[str | None], cells: list[str],
               raw: RawRow) -> dict[str, int | None]:
    """Which value cell of a per-year row holds each period (None: none), the columns placed
    by their header (``Năm 2021`` …). A header the OCR misread is placed by its position when
    the table has as many period columns as the catalog has periods; a header that names a
    period the catalog's columns do not hold in that position is flagged
    ``period-columns-uncertain``."""
    if not cells:  # a row above the table's period header
        raw.reasons.append("period-columns-uncertain")
        return dict.fromkeys(periods)
    if sorted(h for h in heads if h) == sorted(periods):
        column = {h: i for i, h in enumerate(heads[:len(cells)]) if h}
        return {p: column.get(p) for p in periods}
    if len(heads) == len(periods):
        if any(h is not None and h != p for h, p in zip(heads, periods, strict=True)):
            raw.reasons.append("period-columns-uncertain")
    elif len(cells) != len(periods) and any(cells):
        raw.reasons.append("period-columns-uncertain")
    return {p: (i if i < len(cells) else None) for i, p in enumerate(periods)}


def _clean_period_cells(cells: list[str], confidences: list[float | None]
                        ) -> tuple[list[str], list[list[str]]]:
    """OCR'd period cells, and what is unsure about each: scraps around a number dropped
    (``| 19 .`` → ``19``, ``value-cell-noise``); a cell that holds no one number kept as read,
    so its record says ``value-garbled``; a cell whose reading is in doubt (the readings
    disagreed, or Tesseract was unsure) is ``ocr-value-uncertain``. Each doubt stays with its
    own cell: the other periods of the row are not flagged for it."""
    out, doubts = [], []
    for i, cell in enumerate(cells):
        value, noisy = clean_value_cell(cell)
        doubt = ["value-cell-noise"] if noisy and value else []
        out.append(value if value is not None else cell.strip())
        confidence = confidences[i] if i < len(confidences) else None
        if cell.strip() and confidence is not None and confidence < OCR_VALUE_CONFIDENCE:
            doubt.append("ocr-value-uncertain")
        doubts.append(doubt)
    return out, doubts


def _reattach_value_lines(prepared: _Prepared, alignment: Alignment) -> None:
    """A row whose first line is only a unit/number (``DVC 18``, ``2``) got the value cell of
    the row above: give it back when that row has none of its own."""
    matches = alignment.matches
    for prev, match in zip(matches, matches[1:], strict=False):
        if len(match.items) < 2 or prev.items[-1] + 1 != match.items[0]:
            continue
        first = prepared.items[match.items[0]]
        lone_number = (first.label is not None and not first.text
                       and first.label != match.label_printed and first.label.isdigit())
        if lone_number or (first.label is None and is_value_only(first.text, prev.entry.unit)):
            entry = prev.entry
            found = split_row([_body(prepared.items[i], prev.label_printed)
                               for i in prev.items], entry.description, entry.unit,
                              entry.codebook)
            if found.value is None:
                prev.items.append(match.items.pop(0))


def _matched_table(prepared: _Prepared, alignment: Alignment, fit: float,
                   kind: str) -> TableResult:
    rows: list[MatchedRow] = []
    if prepared.cells is None:
        _reattach_value_lines(prepared, alignment)
    for match in alignment.matches:
        lines = [prepared.lines[i] for i in match.items]
        entry = match.entry
        if prepared.cells is not None:
            cells = prepared.cells[match.items[0]]
            extra_notes = [prepared.cells[i][1] for i in match.items[1:]]
            value, noisy = clean_value_cell(cells[3])
            raw = RawRow(
                label_raw=None if prepared.parts_trong_do[match.items[0]] else cells[0] or None,
                description_raw=cells[1],
                unit_raw=cells[2] or None, value_raw=value,
                reasons=(["value-cell-noise"] if noisy and value else
                         ["value-garbled"] if noisy else []),
                value_confidence=(lines[0].cell_confidences[3]
                                  if lines[0].cell_confidences
                                  and len(lines[0].cell_confidences) > 3 else None),
                note_raw=" ".join(x for x in [cells[4], *extra_notes] if x) or None,
                page=lines[0].page, line_start=lines[0].number, line_end=lines[-1].number,
                trong_do=prepared.parts_trong_do[match.items[0]], style="tab",
                bbox=_union(lines))
            if prepared.period_heads is not None and len(alignment.catalog.periods) > 1:
                index = match.items[0]
                printed, doubts = _clean_period_cells(prepared.period_cells[index],
                                                      prepared.period_confidences[index])
                if lines[0].as_read is not None and "\t" in lines[0].as_read:
                    # read from the repaired text: the values as OCR printed them must agree
                    as_read, _ = _clean_period_cells(
                        _cells_at(lines[0].as_read, prepared.period_columns[index]), [])
                    for i in range(max(len(as_read), len(printed))):
                        if _number(as_read[i] if i < len(as_read) else "") != _number(
                                printed[i] if i < len(printed) else ""):
                            (doubts[i] if i < len(doubts) else raw.reasons).append(
                                "value-readings-differ")
                    raw.description_raw = clean_cell(lines[0].as_read.split("\t")[1])
                    raw.description_repaired = cells[1]
                column = _by_header(alignment.catalog.periods, prepared.period_heads, printed,
                                    raw)
                raw.values_by_period = {p: printed[i] if i is not None else ""
                                        for p, i in column.items()}
                raw.period_reasons = {p: list(dict.fromkeys(doubts[i]))
                                      for p, i in column.items() if i is not None}
                for i in set(range(len(doubts))) - set(column.values()):
                    raw.reasons.extend(doubts[i])  # a doubtful cell under no period column
                # the row-level reading of the first value cell is one of the period cells
                raw.reasons = [r for r in dict.fromkeys(raw.reasons)
                               if r not in ("value-cell-noise", "value-garbled")]
                raw.value_confidence = None
            elif prepared.period_heads is None and prepared.period_cells is not None:
                raw.values_by_period = _by_period(
                    alignment.catalog.periods, prepared.period_cells[match.items[0]], raw)
            elif lines[0].as_read is not None and "\t" in lines[0].as_read:
                printed = [clean_cell(c) for c in lines[0].as_read.split("\t")] + [""] * 5
                raw.description_raw, raw.description_repaired = printed[1], cells[1]
                if clean_value_cell(printed[3])[0] != value:
                    raw.reasons.append("value-readings-differ")
        else:
            bodies = [_body(prepared.items[i], match.label_printed) for i in match.items]
            labelled = [n for n, i in enumerate(match.items) if prepared.items[i].label]
            text = split_row(bodies, entry.description, entry.unit, entry.codebook,
                             len(alignment.catalog.periods),
                             own_line=labelled[0] if labelled else None)
            as_read = _as_read(lines, match, entry, len(alignment.catalog.periods))
            if as_read is not None:
                _cross_check(text, as_read)
            raw = RawRow(
                label_raw=match.label_printed, description_raw=text.description,
                unit_raw=text.unit, value_raw=text.value, note_raw=text.note,
                page=lines[0].page, line_end=lines[-1].number,
                line_start=_first_text_line(lines, [prepared.items[i] for i in match.items]).number,
                trong_do=any(prepared.parts_trong_do[i] for i in match.items),
                style="lined", reasons=list(text.reasons),
                confidence=min((ln.confidence for ln in lines if ln.confidence is not None),
                               default=None), bbox=_union(lines),
                value_confidence=_word_confidence(lines, text.value))
            if as_read is not None:  # the printed words; ``text`` read the repaired ones
                raw.description_raw, raw.description_repaired = (as_read.description,
                                                                 text.description)
            if len(alignment.catalog.periods) > 1 and text.value is not None:
                raw.values_by_period = _by_period(alignment.catalog.periods,
                                                  [text.value, *text.more_values], raw)
        rows.append(MatchedRow(raw=raw, catalog=alignment.catalog, entry=entry,
                               label_how=match.label_how, desc_score=match.desc_score))
    return TableResult(prepared.region.heading, alignment.catalog,
                       fit, _with_missing_rows(rows, alignment.catalog))


def _word_confidence(lines: list[Line], value: str | None) -> float | None:
    """OCR's confidence in the word that printed ``value`` on the row's lines (the lowest, if
    it is printed more than once); None when the lines carry no word confidences."""
    if value is None:
        return None
    found = [conf for line in lines if line.word_confidences
             for word, conf in zip((line.as_read or line.text).split(), line.word_confidences,
                                   strict=False)
             if value in (word, word.rstrip(".,;:)"), word.lstrip("(+"))]
    return min(found, default=None)


def _as_read(lines: list[Line], match, entry: CatalogEntry, periods: int) -> RowText | None:
    """The row split again from its lines as read, when the text was repaired before
    matching (OCR noise: ``s6`` → ``số``); None when no line of it was changed."""
    if not any(line.as_read is not None for line in lines):
        return None
    bodies = []
    for line in lines:
        parts = split_label(replace(line, text=line.as_read if line.as_read is not None
                                    else line.text))
        item = AlignItem(text=parts.body, label=parts.label)
        bodies.append(_body(item, match.label_printed))
    return split_row(bodies, entry.description, entry.unit, entry.codebook, periods)


def _number(value: str | None) -> float | None:
    parsed = parse_vn_number(value) if value else None
    return None if parsed is None else float(parsed.value)


def _cross_check(text: RowText, as_read: RowText) -> None:
    """Two readings of one row: the repaired words and the words as OCR printed them. The
    repaired reading is kept (its units and descriptions are recognised far more often); where
    the two find different values, or the raw one saw a garbled value or junk before it, the
    row says so."""
    if _number(text.value) != _number(as_read.value):
        text.reasons.append("value-readings-differ")
    for reason in ("value-garbled", "value-position-uncertain"):
        if reason in as_read.reasons and reason not in text.reasons:
            text.reasons.append(reason)


def _with_missing_rows(rows: list[MatchedRow], catalog: Catalog) -> list[MatchedRow]:
    """Catalog rows the alignment jumped over inside the table: keep them as flagged
    ``row-not-found`` records, so a value the document may print there is not lost silently.
    Section headings are skipped (they carry no value)."""
    order = {e.id: i for i, e in enumerate(catalog.entries)}
    out: list[MatchedRow] = []
    for prev, row in zip([None, *rows], rows, strict=False):
        if prev is not None:
            for entry in catalog.entries[order[prev.entry.id] + 1: order[row.entry.id]]:
                if entry.kind == "section":
                    continue
                raw = RawRow(label_raw=None, description_raw="", page=prev.raw.page,
                             line_start=prev.raw.line_end, line_end=prev.raw.line_end,
                             style="missing")
                out.append(MatchedRow(raw=raw, catalog=catalog, entry=entry,
                                      reasons=["row-not-found"]))
        out.append(row)
    return out


def _unmatched_table(prepared: _Prepared) -> TableResult:
    """No catalog fits: rows start at printed labels (or each tab row); nothing is dropped."""
    rows: list[MatchedRow] = []
    current: list[int] = []

    def flush() -> None:
        if not current:
            return
        lines = [prepared.lines[i] for i in current]
        items = [prepared.items[i] for i in current]
        if prepared.cells is not None:
            cells = prepared.cells[current[0]]
            raw = RawRow(cells[0] or None, cells[1], cells[2] or None, cells[3] or None,
                         cells[4] or None, lines[0].page, lines[0].number, lines[-1].number,
                         style="tab")
        else:
            raw = RawRow(items[0].label, " ".join(i.text for i in items).strip(), None, None,
                         None, lines[0].page, lines[0].number, lines[-1].number, style="lined")
        rows.append(MatchedRow(raw=raw, catalog=None, entry=None,
                               reasons=["no-catalog-match"]))

    for i, item in enumerate(prepared.items):
        starts = prepared.cells is not None or (item.label is not None and re.match(
            r"^(\d+\.?)+$|^[IVX]+$", item.label))
        if starts:
            flush()
            current = []
        current.append(i)
    flush()
    return TableResult(prepared.region.heading, None, 0.0, rows)
