"""Tables → rows matched to catalog entries (or kept as printed, never dropped).

Tables come read from ``extract.tables`` (rows of cells with their headers); here each table's
rows become the aligner's items, the best catalog is chosen, and each matched row's value is
read from its cells (or, in hard-wrapped text, from its lines with what the catalog says the
row holds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from extract.generic import lines_bbox, table_rows
from extract.lined import (
    RowText,
    clean_value_cell,
    is_value_only,
    split_label,
    split_row,
)
from extract.ocr import OCR_VALUE_CONFIDENCE
from extract.tables import looks_like_label, period_columns, read_tables
from extract.types import Document, Line, RawRow, Table, TableRow
from mapping.align import AlignItem, Alignment, CatalogProfile, EntryMatch, align, trigrams
from mapping.catalog import Catalog, CatalogEntry, load_catalogs
from normalize.numbers import parse_vn_number

NUMBER_CELL = re.compile(r"^[-+]?\d+(?:[.,]\d+)*%?$")
MIN_MATCHED_ENTRIES = 5
MIN_FIT = 0.45
MIN_COVERAGE = 0.35  # share of the catalog's entries a table must show to be that catalog
# A catalog is a table's only when their descriptions agree, not their numbering alone (a list
# numbered 1…23 is not dc.pl9): this share of the matched rows must be described as their
# entries are. Measured: tables of their catalogs 0.87–1.0 (OCR'd like seed 001 included),
# tables outside every catalog 0–0.07.
DESCRIPTION_AGREES = 0.3  # a row's description score that says it is its entry
MIN_AGREEMENT = 0.5


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
    """A table's rows as the aligner's items (one item per row; rows that hold nothing to
    align, such as a row of empty cells, have none)."""

    table: Table
    items: list[AlignItem]
    rows: list[TableRow]  # the row of each item
    cells: list[list[str]] | None  # grid/blocks: label, description, unit, value, note
    parts_trong_do: list[bool]
    period_cells: list[list[str]] | None = None  # the value cells of each row, in order
    # grid rows under a per-year header: each period column's period as its header names it
    # (None where the header cell could not be read as one)
    period_heads: list[str | None] | None = None
    period_confidences: list[list[float | None]] | None = None  # OCR: per period cell
    period_columns: list[list[int]] | None = None  # where each row's period cells are

    @property
    def lines(self) -> list[Line]:
        """Each item's line: where its row starts."""
        return [row.lines[0] for row in self.rows]


def _prepare_blocks(table: Table) -> _Prepared:
    """One cell per line (per-year appendices): label, description, then one cell a period.
    A merged description cell shows as one more text cell before the periods (``Chia theo
    tên loại VBQPPL`` / ``Nghị quyết …``): the last text cell is the row's own."""
    items, rows, cells, trong, periods = [], [], [], [], []
    for row in table.rows:
        block = [c.text for c in row.cells]
        label = block[0] if looks_like_label(block[0]) else None
        texts = [(i, c) for i, c in enumerate(block[1:3], start=1)
                 if c and not NUMBER_CELL.match(c)]
        if not texts:
            continue
        last_text, desc = texts[-1]
        items.append(AlignItem(text=desc, label=label))
        rows.append(row)
        cells.append([label or "", desc, "", "", ""])
        trong.append(label is None)
        periods.append(block[last_text + 1:])
    return _Prepared(table, items, rows, cells, trong, periods)


def _prepare_grid(table: Table) -> _Prepared:
    """Rows in columns: STT, description, unit, value, note as the template prints them; under
    a per-year header (``Năm 2021`` …) the value cells are the columns it names."""
    items, rows, cells, trong = [], [], [], []
    period_cells: list[list[str]] = []
    period_confidences: list[list[float | None]] = []
    period_columns_of: list[list[int]] = []
    columns: list[int] | None = None
    heads: list[str | None] | None = None
    header: tuple | None = None
    for row in table.rows:
        if row.header_rows is not header:  # a header (again on a new page)
            header = row.header_rows
            for printed in header:
                found = period_columns(list(printed))
                if found is not None:
                    columns, heads = found
        texts = [c.text for c in row.cells] + [""] * 5
        if not texts[1] and not texts[2]:
            continue
        label = texts[0] if looks_like_label(texts[0]) else None
        if columns is not None:  # per-year: STT, description, (unit), one cell a period
            unit = texts[2] if 2 < columns[0] else ""
            period_cells.append([texts[i] if i < len(row.cells) else "" for i in columns])
            period_confidences.append([row.cells[i].confidence if i < len(row.cells) else None
                                       for i in columns])
            period_columns_of.append(columns)
            texts = [texts[0], texts[1], unit, "", ""]
        items.append(AlignItem(text=texts[1], label=label, unit=texts[2] or None))
        rows.append(row)
        cells.append(texts)
        trong.append(label is None)
    if columns is None:
        return _Prepared(table, items, rows, cells, trong)
    missing = len(items) - len(period_cells)  # rows above the header
    return _Prepared(table, items, rows, cells, trong,
                     period_cells=[[]] * missing + period_cells, period_heads=heads,
                     period_confidences=[[]] * missing + period_confidences,
                     period_columns=[[]] * missing + period_columns_of)


def _prepare(table: Table) -> _Prepared:
    if table.layout == "blocks":
        return _prepare_blocks(table)
    if table.layout == "grid":
        return _prepare_grid(table)
    items, rows, trong = [], [], []
    for row in table.rows:
        parts = split_label(row.lines[0])
        if not parts.body and not parts.label and not parts.trong_do:
            continue
        items.append(AlignItem(text=parts.body, label=parts.label, trong_do=parts.trong_do,
                                trong_do_at=parts.trong_do_at))
        rows.append(row)
        trong.append(parts.trong_do)
    return _Prepared(table, items, rows, None, trong)


def _agreement(alignment: Alignment) -> float:
    """Share of matched rows whose own description is their entry's (labels left aside)."""
    if not alignment.matches:
        return 0.0
    agree = sum(1 for m in alignment.matches if m.desc_score >= DESCRIPTION_AGREES)
    return agree / len(alignment.matches)


def _fit(alignment: Alignment) -> float:
    """Share of matched rows that their own text or label supports (not only the order)."""
    if not alignment.matches:
        return 0.0
    good = sum(1 for m in alignment.matches
               if m.desc_score >= 0.45 or m.label_how in ("exact", "confusion"))
    return good / len(alignment.matches)


# per catalog object (a rebuilt user catalog is a new object under the same id); each holds the
# catalog, so its id() is not reused
_PROFILES: dict[int, tuple[Catalog, CatalogProfile]] = {}
_DESCRIPTION_GRAMS: dict[int, tuple[Catalog, set[str]]] = {}


def _profile(catalog: Catalog) -> CatalogProfile:
    """A catalog's trigram profile, built once per process rather than once per table."""
    if id(catalog) not in _PROFILES:
        _PROFILES[id(catalog)] = (catalog, CatalogProfile(catalog))
    return _PROFILES[id(catalog)][1]


def _description_grams(catalog: Catalog) -> set[str]:
    """All trigrams of a catalog's descriptions, for the shortlist; built once per process."""
    if id(catalog) not in _DESCRIPTION_GRAMS:
        _DESCRIPTION_GRAMS[id(catalog)] = catalog, set().union(
            *(trigrams(e.description) for e in catalog.entries))
    return _DESCRIPTION_GRAMS[id(catalog)][1]


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
    """The document's tables (``document.tables``, read from its lines when not yet read),
    each matched to its catalog (or to ``catalog_id``); every row comes back, matched or not."""
    return match_tables(document.tables or read_tables(document.lines), catalog_id)


def match_tables(tables: list[Table], catalog_id: str | None = None,
                 catalog_dirs: tuple[str, ...] = ()) -> list[TableResult]:
    """Detect each table's catalog (or use ``catalog_id``) and return every row, matched or
    not. The catalogs are the shipped ones and those of the user folders ``catalog_dirs``."""
    catalogs = load_catalogs(extra=catalog_dirs)
    forced = [c for c in catalogs if c.id == catalog_id] if catalog_id else None
    if catalog_id and not forced:
        known = ", ".join(c.id for c in catalogs)
        raise KeyError(f"unknown catalog {catalog_id!r}; known catalogs: {known}")
    results: list[TableResult] = []
    for table in tables:
        prepared = _prepare(table)
        if not prepared.items:
            results.append(_generic_table(table))
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
            if forced or (fit >= MIN_FIT and enough and _agreement(alignment) >= MIN_AGREEMENT
                          and len(alignment.matches) >= MIN_MATCHED_ENTRIES):
                results.append(_matched_table(prepared, alignment, fit))
                continue
        results.append(_generic_table(table))
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


def _matched_table(prepared: _Prepared, alignment: Alignment, fit: float) -> TableResult:
    rows: list[MatchedRow] = []
    if prepared.cells is None:
        _reattach_value_lines(prepared, alignment)
    for match in alignment.matches:
        if prepared.cells is not None:
            raw = _cells_row(prepared, match, alignment.catalog)
        else:
            raw = _lined_row(prepared, match, alignment.catalog)
        rows.append(MatchedRow(raw=raw, catalog=alignment.catalog, entry=match.entry,
                               label_how=match.label_how, desc_score=match.desc_score))
    return TableResult(prepared.table.heading, alignment.catalog,
                       fit, _with_missing_rows(rows, alignment.catalog))


def _printed(row: TableRow) -> list[str]:
    """A row's cells as the document printed them (before any text repair)."""
    return [c.as_read if c.as_read is not None else c.text for c in row.cells]


def _cells_row(prepared: _Prepared, match: EntryMatch, catalog: Catalog) -> RawRow:
    """A matched row of a table with cells: each field from its own cell; a row the aligner
    continued over further rows takes their descriptions as its note."""
    index = match.items[0]
    row = prepared.rows[index]
    lines = [prepared.lines[i] for i in match.items]
    cells = prepared.cells[index]
    extra_notes = [prepared.cells[i][1] for i in match.items[1:]]
    value, noisy = clean_value_cell(cells[3])
    raw = RawRow(
        label_raw=None if prepared.parts_trong_do[index] else cells[0] or None,
        description_raw=cells[1],
        unit_raw=cells[2] or None, value_raw=value,
        reasons=(["value-cell-noise"] if noisy and value else
                 ["value-garbled"] if noisy else []),
        value_confidence=row.cells[3].confidence if len(row.cells) > 3 else None,
        note_raw=" ".join(x for x in [cells[4], *extra_notes] if x) or None,
        page=lines[0].page, line_start=lines[0].number, line_end=lines[-1].number,
        trong_do=prepared.parts_trong_do[index], style="tab",
        bbox=lines_bbox(lines))
    printed = _printed(row) + [""] * 5
    if prepared.period_heads is not None and len(catalog.periods) > 1:
        values, doubts = _clean_period_cells(prepared.period_cells[index],
                                             prepared.period_confidences[index])
        # read from the repaired text: the values as OCR printed them must agree
        as_read, _ = _clean_period_cells(
            [printed[i] for i in prepared.period_columns[index]], [])
        for i in range(max(len(as_read), len(values))):
            if _number(as_read[i] if i < len(as_read) else "") != _number(
                    values[i] if i < len(values) else ""):
                (doubts[i] if i < len(doubts) else raw.reasons).append("value-readings-differ")
        raw.description_raw, raw.description_repaired = printed[1], cells[1]
        column = _by_header(catalog.periods, prepared.period_heads, values, raw)
        raw.values_by_period = {p: values[i] if i is not None else ""
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
        raw.values_by_period = _by_period(catalog.periods, prepared.period_cells[index], raw)
    else:
        raw.description_raw, raw.description_repaired = printed[1], cells[1]
        if clean_value_cell(printed[3])[0] != value:
            raw.reasons.append("value-readings-differ")
    return raw


def _lined_row(prepared: _Prepared, match: EntryMatch, catalog: Catalog) -> RawRow:
    """A matched row of hard-wrapped text: its lines split into description, unit, value and
    note by what the catalog entry holds, read a second time from the words as printed when
    the text was repaired."""
    entry = match.entry
    lines = [prepared.lines[i] for i in match.items]
    periods = len(catalog.periods)
    bodies = [_body(prepared.items[i], match.label_printed) for i in match.items]
    labelled = [n for n, i in enumerate(match.items) if prepared.items[i].label]
    text = split_row(bodies, entry.description, entry.unit, entry.codebook, periods,
                     own_line=labelled[0] if labelled else None)
    as_read = _as_read(lines, match, entry, periods)
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
                       default=None), bbox=lines_bbox(lines),
        value_confidence=_word_confidence(lines, text.value))
    if as_read is not None:  # the printed words; ``text`` read the repaired ones
        raw.description_raw, raw.description_repaired = as_read.description, text.description
    if periods > 1 and text.value is not None:
        raw.values_by_period = _by_period(catalog.periods, [text.value, *text.more_values],
                                          raw)
    return raw


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


def _as_read(lines: list[Line], match: EntryMatch, entry: CatalogEntry,
             periods: int) -> RowText | None:
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


def _generic_table(table: Table) -> TableResult:
    """No catalog fits: the table's rows as printed (``extract.generic``), none claiming a
    catalog row, each flagged ``no-catalog-match``."""
    rows = [MatchedRow(raw=raw, catalog=None, entry=None, reasons=["no-catalog-match"])
            for raw in table_rows(table)]
    return TableResult(table.heading, None, 0.0, rows)
