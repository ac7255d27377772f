"""Tables no catalog fits, read as they are printed: their rows as ``RawRow``s.

A row keeps its label, its description, its unit and every cell with the header over it; a
table whose columns name periods (``Thực hiện năm 2001 | Ước TH năm 2002 | Kế hoạch năm 2003``)
gives one row per period column that holds a value, the period read from the header (see
``extract.tables.column_period``; two columns of one year, ``Thực hiện năm 2002`` and ``Kế
hoạch năm 2002``, give two rows, told apart by the header of their value cell). A unit printed
as a ditto mark (``"``) is the unit above.

Prose is not a table: hard-wrapped text is read as rows only under an appendix heading, and a
part whose numbered paragraphs are mostly running text, or a headerless table whose cells are,
gives no rows (its text is still the document's text).
"""

from __future__ import annotations

import re

from extract.lined import split_label
from extract.tables import Column, columns_of, looks_like_label
from extract.types import Line, RawRow, Table, TableRow

_SECTION_LABEL = re.compile(r"^(?:[IVXLC]+|[A-ZĐ]|\d+|[a-zđ])[.)]?$")
_NUMBERED = re.compile(r"^(\d+\.?)+$|^[IVX]+$")
_DITTO = {'"', "''", "“", "”", "„", '-"-', "nt", "-nt-", "như trên"}
_NONE = {"-", "–", "—"}
PROSE_SHARE = 0.5  # a part whose rows are this often running text is prose
PROSE_WORDS = 12


def is_running_text(text: str) -> bool:
    """Sentences rather than a cell: at least ``PROSE_WORDS`` words, and a sentence that ends
    inside (``… năm. Căn cứ …``) or at the end (``… theo quy định.``).

    >>> is_running_text("Số TTHC đã được phê duyệt phương án đơn giản hóa")
    False
    """
    text = text.strip()
    if len(text.split()) < PROSE_WORDS:
        return False
    if text[-1:] in ".;:":
        return True
    return any(m.group(1).isupper() for m in re.finditer(r"[.;:!?]\s+(\w)", text))


def is_row_label(text: str) -> bool:
    """A printed row number or section mark: ``1.2.1.``, ``300``, ``IV``, ``A``, ``b)``."""
    return looks_like_label(text) or bool(_SECTION_LABEL.match(text))


def lines_bbox(lines: list[Line] | tuple[Line, ...]) -> tuple[float, float, float, float] | None:
    """The box around the lines' boxes (None when no line has one)."""
    boxes = [ln.bbox for ln in lines if ln.bbox is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def table_rows(table: Table) -> list[RawRow]:
    """Every row of ``table`` as printed (see the module docstring)."""
    if table.layout == "lined":
        return _lined_rows(table)
    out: list[RawRow] = []
    for rows in _under_one_header(table.rows):
        texts = [[c.text for c in row.cells] for row in rows]
        if not rows[0].header and not _tabular(texts):
            continue
        columns = columns_of(rows[0].header, texts)
        unit_above: str | None = None
        for row, cells in zip(rows, texts, strict=True):
            filled = sum(1 for c in cells if re.search(r"\w", c))
            if filled > 1 or (filled and row.header):  # one cell and no header: a title
                read, unit_above = _cell_row(row, cells, columns, unit_above, table.layout)
                out.extend(read)
    return out


def _under_one_header(rows: list[TableRow]) -> list[list[TableRow]]:
    """The table's rows in runs that share one header."""
    runs: list[list[TableRow]] = []
    for row in rows:
        if runs and runs[-1][0].header_rows is row.header_rows:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _tabular(texts: list[list[str]]) -> bool:
    """Cells without a header over them make a table when its rows are numbered or hold
    numbers, and are not running text: paragraphs set apart by tabs, or a page of prose cut
    into columns, are not one."""
    filled = [t for t in texts if any(t)]
    if not filled or _prose_share([max(t, key=len) for t in filled]) >= PROSE_SHARE:
        return False
    counted = sum(1 for t in filled if is_row_label(t[0]) or any(
        _NUMBER.match(c.replace(" ", "")) for c in t[1:]))
    return counted >= 0.5 * len(filled)


_NUMBER = re.compile(r"^[-+(]?\d[\d.,]*%?\)?$")


def _prose_share(texts: list[str]) -> float:
    return sum(is_running_text(t) for t in texts) / len(texts) if texts else 0.0


def _cell_row(row: TableRow, cells: list[str], columns: list[Column], unit_above: str | None,
              layout: str) -> tuple[list[RawRow], str | None]:
    """One row with cells → its RawRows (one per period value, else one), and its unit (the
    unit a ditto mark below it stands for)."""
    def first(role: str) -> int | None:
        return next((c for c, col in enumerate(columns) if col.role == role and c < len(cells)),
                    None)

    at = {role: first(role) for role in ("label", "description", "unit", "value", "note")}
    label_cell = cells[at["label"]] if at["label"] is not None else ""
    label = label_cell if label_cell and is_row_label(label_cell) else None
    description = cells[at["description"]] if at["description"] is not None else ""
    if not description and label_cell and label is None:
        description = label_cell  # a section row: its title in the STT column ("LỚP 1")
    unit = cells[at["unit"]] if at["unit"] is not None else ""
    if unit.lower() in _DITTO:
        unit = unit_above or ""
    printed = [(row.header_of(c), text) for c, text in enumerate(cells) if text]
    base = RawRow(label_raw=label, description_raw=description, unit_raw=unit or None,
                  note_raw=(cells[at["note"]] or None) if at["note"] is not None else None,
                  page=row.page, line_start=row.line_start, line_end=row.line_end,
                  style=layout, bbox=lines_bbox(row.lines), cells=printed)
    periods = [(c, col.period) for c, col in enumerate(columns)
               if col.role == "period" and c < len(cells) and cells[c] not in _NONE | {""}]
    if at["value"] is not None and cells[at["value"]]:
        base.value_raw = _value(cells[at["value"]])
    if not periods:
        return [base], unit or None
    kept = [(h, t) for c, (h, t) in enumerate(_indexed(row, cells))
            if t and columns[c].role != "period"]
    out = []
    for c, period in periods:
        out.append(RawRow(**{**base.__dict__, "value_raw": cells[c], "period": period,
                             "cells": [*kept, (row.header_of(c), cells[c])],
                             "reasons": []}))
    return out, unit or None


def _indexed(row: TableRow, cells: list[str]) -> list[tuple[str | None, str]]:
    return [(row.header_of(c), text) for c, text in enumerate(cells)]


def _value(text: str) -> str | None:
    """A value cell's text, None for a dash (printed for "none")."""
    return None if text in _NONE else text


def _lined_rows(table: Table) -> list[RawRow]:
    """Hard-wrapped text: a row starts at each printed number (``1.``, ``2.1``, ``IV``) and
    takes the lines down to the next. Only under an appendix heading, and only when its rows
    are not mostly running text."""
    if not table.heading:
        return []
    groups: list[tuple[str | None, list[Line], list[str]]] = []
    for row in table.rows:
        parts = split_label(row.lines[0])
        if not parts.body and not parts.label and not parts.trong_do:
            continue
        if parts.label is not None and _NUMBERED.match(parts.label):
            groups.append((parts.label, [], []))
        if groups:
            groups[-1][1].append(row.lines[0])
            groups[-1][2].append(parts.body if parts.label == groups[-1][0] and
                                 len(groups[-1][1]) == 1 else
                                 f"{parts.label or ''} {parts.body}".strip())
    texts = [" ".join(bodies).strip() for _, _, bodies in groups]
    if _prose_share(texts) >= PROSE_SHARE:
        return []
    return [RawRow(label, text, page=lines[0].page, line_start=lines[0].number,
                   line_end=lines[-1].number, style="lined", bbox=lines_bbox(lines))
            for (label, lines, _), text in zip(groups, texts, strict=True)]
