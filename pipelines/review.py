"""The review workbook: records out to an Excel file a reviewer edits, corrections back in.

``export_workbook`` writes one sheet per catalog (``no-catalog`` for the tables no catalog
matched), one row per record in document order: the record's identity (``record_id``, first
column), where it was read (source, page, line), what it is (indicator, row label,
descriptions, unit) and what was read (value, value as printed, note, confidence, reasons).
Records to review are filled yellow and their value cells orange, with the reasons and the
confidence in a comment; a value a reviewer already corrected is green, its comment says who,
when and what was read. The last columns are the reviewer's: ``corrected value`` (formatted as
text, so ``16.807`` reaches us as typed and is read the Vietnamese way whatever Excel's locale),
``corrected indicator_id``, ``corrected by``, ``corrected at`` and ``reviewer note``.

``apply_workbook`` reads those columns back, keyed by ``record_id``, checks each row against the
store and the catalogs (``check_edit``), and stores what passes in the store's ``corrections``
table with its provenance: who (the row's ``corrected by``, else ``--by``), when (the row's
``corrected at``, else the time of the apply), the workbook's file name, sheet and row, and the
apply's run. A row with any invalid cell is rejected whole, with a message; the valid rows are
applied (re-applying is idempotent, so a workbook whose rejected rows are mended is simply applied
again). A correction equal to the record's current one (same value, same reviewer) is not stored
again; a different one supersedes it and the older stays as history. Corrections are keyed by
``record_id``, which an ingest re-run keeps as long as the input's content is the same, so they
survive re-runs and are never overwritten by them; the exports apply them
(``Store.reviewed_lines``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from mapping.catalog import CatalogEntry, get_catalog, load_catalogs
from normalize.numbers import parse_vn_number
from pipelines.batch import open_store
from pipelines.catalogs import catalog_dirs
from pipelines.outputs import _atomic, export
from pipelines.store import STORE_NAME, Store

NO_CATALOG = "no-catalog"  # the sheet of records no catalog matched
# the record's columns: (the record's field, which is the header, width)
RECORD_COLUMNS = (
    ("record_id", 14), ("source", 24), ("page", 6), ("line", 6), ("period", 10),
    ("indicator_id", 18), ("row_label_raw", 9), ("description", 50), ("description_raw", 40),
    ("unit", 12), ("value", 12), ("value_raw", 12), ("note", 30), ("confidence", 10),
    ("needs_review", 8), ("reasons", 30),
)
CELLS_COLUMN = ("cells", 40)  # no-catalog sheet: the printed cells with their headers
# the reviewer's columns, with what the header's comment tells them
VALUE, INDICATOR, BY, AT, NOTE = ("corrected value", "corrected indicator_id", "corrected by",
                                  "corrected at", "reviewer note")
INPUT_COLUMNS = (
    (VALUE, 14, "Giá trị đúng / the right value, Vietnamese notation: 16.807 = 16807, "
                "98,37 = 98.37, 29,3% = 29.3. 'trống' (or 'empty'): nothing is printed."),
    (INDICATOR, 20, "Mã chỉ tiêu đúng / the right catalog row, e.g. tn2025.pl1/3.2.1 "
                    "(or 3.2.1 on a catalog's sheet)."),
    (BY, 14, "Người sửa / who corrected (else: review apply --by NAME)."),
    (AT, 18, "Thời điểm / when, e.g. 2026-12-04 09:30 (else: the time of review apply)."),
    (NOTE, 30, "Ghi chú của người rà soát / why (optional)."),
)
EMPTY_WORDS = {"trống", "trong", "empty"}  # a corrected value that clears the value
FLAGGED_FILL, VALUE_FILL, CORRECTED_FILL, INPUT_FILL = "FFF2CC", "F4B084", "C6EFCE", "DDEBF7"
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


class ReviewError(Exception):
    """A workbook or store that cannot be used, with a message a user can act on."""


class Rejected(Exception):  # noqa: N818 — a row refused, not a failure of the program
    """A workbook row that is not applied, with why."""


def sheet_name(catalog: str | None) -> str:
    """The sheet of a catalog's records (Excel: 31 characters, no ``[]:*?/\\``)."""
    return SHEET_NAME_BAD.sub("_", catalog)[:31] if catalog else NO_CATALOG


def _open(out_dir: Path) -> Store:
    if not (out_dir / STORE_NAME).is_file():
        raise ReviewError(f"{out_dir}: no {STORE_NAME} here; run `vnextract ingest ... --out "
                          f"{out_dir}` first")
    try:
        return open_store(out_dir)
    except duckdb.IOException as exc:  # another process holds it (an ingest under way)
        raise ReviewError(f"{out_dir / STORE_NAME} cannot be opened: {exc}") from exc


# -- export ----------------------------------------------------------------------------------

def _comment(record: dict) -> str | None:
    """What the value cell's comment says: why to review it, and any correction."""
    parts = []
    if record["needs_review"]:
        parts.append(f"Cần rà soát / needs review (confidence {record['confidence']}): "
                     + ", ".join(record["reasons"] or ["low confidence"]))
    if record["corrected"]:
        was = "; ".join(f"{k} was {v!r}" for k, v in record["original"].items())
        parts.append(f"Đã sửa / corrected by {record['corrected_by']} at "
                     f"{record['corrected_at']}: {was}")
    return "\n".join(parts) or None


def _cell_text(value: Any) -> Any:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):  # printed cells: "header: text"
            return " | ".join(f"{c.get('header') or ''}: {c.get('text') or ''}" for c in value)
        return "; ".join(map(str, value))
    return value


@dataclass
class Exported:
    sheets: dict[str, int]  # sheet → records
    orphaned: int  # corrected records no longer in the store: their inputs' content changed


def export_workbook(out_dir: Path, path: Path) -> Exported:
    """Write the review workbook of the store in ``out_dir`` to ``path`` (atomically)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    fills = {color: PatternFill("solid", fgColor=color)
             for color in (FLAGGED_FILL, VALUE_FILL, CORRECTED_FILL, INPUT_FILL)}
    bold, grey = Font(bold=True), Font(color="808080")

    def cell(sheet: Any, value: Any) -> WriteOnlyCell:
        out = WriteOnlyCell(sheet, _cell_text(value))
        if out.data_type == "f":  # text from a document is never a formula
            out.data_type = "s"
        return out

    with _open(out_dir) as store:
        sheets = sorted({sheet_name(json.loads(line)["catalog"])
                         for line in store.reviewed_lines()}, key=lambda s: (s == NO_CATALOG, s))
        workbook = Workbook(write_only=True)
        columns: dict[str, tuple] = {}
        counts = dict.fromkeys(sheets, 0)
        for name in sheets:
            sheet = workbook.create_sheet(name)
            columns[name] = RECORD_COLUMNS + ((CELLS_COLUMN,) if name == NO_CATALOG else ())
            widths = [w for _, w in columns[name]] + [w for _, w, _ in INPUT_COLUMNS]
            for i, width in enumerate(widths, 1):
                sheet.column_dimensions[get_column_letter(i)].width = width
            sheet.freeze_panes = "C2"
            header = [cell(sheet, key) for key, _ in columns[name]]
            for title, _, help_text in INPUT_COLUMNS:
                header.append(cell(sheet, title))
                header[-1].fill = fills[INPUT_FILL]
                header[-1].comment = Comment(help_text, "vnextract", width=320, height=90)
            for head in header:
                head.font = bold
            sheet.append(header)
        for line in store.reviewed_lines():
            record = json.loads(line)
            name = sheet_name(record["catalog"])
            sheet = workbook[name]
            row = []
            for key, _ in columns[name]:
                row.append(cell(sheet, record.get(key)))
                if key == "record_id":
                    row[-1].font = grey
                if record["needs_review"]:
                    row[-1].fill = fills[VALUE_FILL if key in ("value", "value_raw")
                                         else FLAGGED_FILL]
                if key == "value":
                    if record["corrected"]:
                        row[-1].fill = fills[CORRECTED_FILL]
                    if text := _comment(record):
                        row[-1].comment = Comment(text, "vnextract", width=360, height=120)
            for title, *_ in INPUT_COLUMNS:
                row.append(cell(sheet, None))
                if title == VALUE:
                    row[-1].number_format = "@"  # text: typed as the reviewer typed it
            sheet.append(row)
            counts[name] += 1
        for name in sheets:
            width = len(columns[name]) + len(INPUT_COLUMNS)
            workbook[name].auto_filter.ref = f"A1:{get_column_letter(width)}{counts[name] + 1}"
        orphaned = store.con.execute(
            "SELECT count(DISTINCT record_id) FROM corrections WHERE record_id NOT IN "
            "(SELECT record_id FROM records)").fetchone()[0]
    _atomic(path, lambda tmp: workbook.save(tmp))
    return Exported(counts, orphaned)


# -- apply -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Edit:
    """One row of the workbook where the reviewer wrote something."""

    sheet: str
    row: int
    record_id: str | None
    value: Any  # the "corrected value" cell: text, a number, or None
    value_is_percent: bool  # the cell is a number formatted as a percentage (0.293 → 29.3)
    indicator_id: str | None
    by: str | None
    at: Any  # the "corrected at" cell: a datetime, text, or None
    note: str | None

    def where(self) -> str:
        return f"sheet {self.sheet!r} row {self.row}"


@dataclass
class ApplyResult:
    applied: list[dict]  # the corrections stored (one per field)
    unchanged: int  # rows equal to the records' current corrections
    rejected: list[str]  # one message per rejected row
    skipped_sheets: list[str]
    run: int | None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_edits(path: Path) -> tuple[list[Edit], list[str]]:
    """The rows of the workbook with a corrected value or indicator; and the sheets that have
    no ``record_id`` or ``corrected value`` column (not review sheets)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        raise ReviewError(f"{path}: cannot be read as an Excel workbook ({exc})") from exc
    edits, skipped = [], []
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows()
            head = next(rows, ())
            index = {str(c.value).strip(): i for i, c in enumerate(head) if c.value is not None}
            if "record_id" not in index or VALUE not in index:
                skipped.append(sheet.title)
                continue

            def cell(cells: tuple, title: str, index: dict = index) -> Any:
                i = index.get(title)
                return cells[i] if i is not None and i < len(cells) else None

            for number, cells in enumerate(rows, 2):
                value_cell = cell(cells, VALUE)
                value = value_cell.value if value_cell is not None else None
                inputs = [value, *(getattr(cell(cells, t), "value", None)
                                   for t in (INDICATOR, BY, AT, NOTE))]
                if _text(inputs[0]) is None and _text(inputs[1]) is None:
                    continue  # no correction (a reviewer's name or note alone sets nothing)
                _, indicator, by, at, note = inputs
                edits.append(Edit(
                    sheet.title, number, _text(getattr(cell(cells, "record_id"), "value", None)),
                    value.strip() if isinstance(value, str) else value,
                    isinstance(value, int | float) and "%" in (value_cell.number_format or ""),
                    _text(indicator), _text(by), at, _text(note)))
    finally:
        workbook.close()
    return edits, skipped


def parse_corrected_value(cell: Any, is_percent: bool = False) -> tuple[float | int | None, bool]:
    """A reviewer's value → (number or None for "nothing printed", written as a percentage).

    Text is read the Vietnamese way (``normalize.numbers.parse_vn_number``); a number Excel
    stored is taken as it is (a cell formatted as a percentage holds the fraction).

    >>> parse_corrected_value("16.807"), parse_corrected_value("29,3%")
    ((16807, False), (29.3, True))
    """
    if isinstance(cell, bool):
        raise Rejected(f"{cell!r} is not a number")
    if isinstance(cell, int | float):
        value = cell * 100 if is_percent else cell
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return (round(value, 10) if isinstance(value, float) else value), is_percent
    text = unicodedata.normalize("NFC", str(cell)).strip()
    if text.lower() in EMPTY_WORDS:
        return None, False
    parsed = parse_vn_number(text)
    if parsed is None:
        raise Rejected(f"{text!r} is not a number (Vietnamese notation: 16.807 = 16807, "
                       f"98,37 = 98.37; 'trống' for no value)")
    return parsed.value, parsed.percent


def _entry(indicator_id: str | None) -> CatalogEntry | None:
    if not indicator_id or "/" not in indicator_id:
        return None
    try:
        return get_catalog(indicator_id.split("/", 1)[0], extra=catalog_dirs()).get(indicator_id)
    except KeyError:
        return None


def check_value(value: float | int | None, percent: bool, unit: str | None,
                entry: CatalogEntry | None) -> None:
    """A corrected value that cannot be right for its row: ``Rejected``. A rate (unit ``%``, or
    a ``Tỷ lệ`` row with no other unit) is within 0–100; a code is one of its code book's; a
    count is a whole number, not negative; a percentage is only for a rate."""
    if value is None:
        return
    kind = entry.kind if entry else None
    rate = unit == "%" or (kind == "rate" and unit in (None, "%"))
    if rate and not 0 <= value <= 100:
        raise Rejected(f"{value:g} is not a rate: a value in % is within 0–100")
    if percent and not rate and unit is not None:
        raise Rejected(f"{value:g}% is a percentage, but the unit is {unit!r}")
    if entry is None:
        return
    if kind == "code" and entry.codebook and str(value) not in entry.codebook:
        choices = ", ".join(f"{k} ({v})" for k, v in entry.codebook.items())
        raise Rejected(f"{value:g} is not in the code book of {entry.id}: {choices}")
    if kind == "count" and (value < 0 or value != int(value)):
        raise Rejected(f"{value:g} is not a count: {entry.id} counts {entry.unit or 'items'} "
                       f"(a whole number, 0 or more)")


def check_indicator(typed: str, catalog: str | None) -> CatalogEntry:
    """The catalog row a reviewer names: ``tn2025.pl1/3.2.1``, or ``3.2.1`` for a record of a
    catalog; it must exist in its catalog (and be of the record's catalog, if it has one)."""
    indicator_id = typed if "/" in typed or catalog is None else f"{catalog}/{typed}"
    prefix = indicator_id.split("/", 1)[0]
    if catalog is not None and prefix != catalog:
        raise Rejected(f"{typed!r} is not a row of {catalog}, the catalog of this record")
    if prefix not in {c.id for c in load_catalogs(extra=catalog_dirs())}:
        raise Rejected(f"{typed!r}: no catalog {prefix!r} (see `vnextract catalogs`)")
    entry = _entry(indicator_id)
    if entry is None:
        raise Rejected(f"{typed!r} is not a row of catalog {prefix}")
    return entry


def _when(at: Any, now: str) -> str:
    if at is None or (isinstance(at, str) and not at.strip()):
        return now
    if isinstance(at, datetime):
        return at.isoformat(timespec="seconds")
    text = str(at).strip()
    for form in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, form).isoformat(timespec="seconds")
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text).isoformat(timespec="seconds")
    except ValueError:
        raise Rejected(f"'corrected at' {text!r} is not a time (2026-12-04 09:30, "
                       f"04/12/2026 09:30)") from None


def check_edit(edit: Edit, record: dict, by: str | None, now: str) -> list[tuple[str, Any, str]]:
    """What a workbook row sets on its record (as it is now, corrections applied): a list of
    (field, value, typed), or ``Rejected`` with why. An indicator correction also sets the
    record's catalog, and its description and unit from the catalog."""
    who = edit.by or by
    if not who:
        raise Rejected("no reviewer: fill 'corrected by' or give --by NAME")
    changes: list[tuple[str, Any, str]] = []
    entry = _entry(record.get("indicator_id"))
    unit = record.get("unit")
    if edit.indicator_id is not None:
        entry = check_indicator(edit.indicator_id, record.get("catalog"))
        unit = entry.unit or unit
        changes += [("indicator_id", entry.id, edit.indicator_id),
                    ("catalog", entry.id.split("/", 1)[0], edit.indicator_id),
                    ("description", entry.description, edit.indicator_id),
                    ("unit", unit, edit.indicator_id)]
    if _text(edit.value) is not None:
        value, percent = parse_corrected_value(edit.value, edit.value_is_percent)
        check_value(value, percent, unit, entry)
        changes.append(("value", value, str(edit.value)))
    _when(edit.at, now)  # a time that cannot be read rejects the row
    return changes


def held_twice(moved: dict[str, str], records: dict[str, tuple[str, dict]]) -> dict[str, dict]:
    """The records ``moved`` to another catalog row (record_id → indicator_id) whose new row is
    also another record's, of the same document and period (a record of no period, as a table
    no catalog matched gives, shares every period), once every move is made: record_id → that
    other record. A document holds each catalog row once a period.

    >>> doc = {"a": ("f", {"indicator_id": "c/1"}), "b": ("f", {"indicator_id": "c/2"})}
    >>> list(held_twice({"a": "c/2"}, doc)), held_twice({"a": "c/2", "b": "c/1"}, doc)
    (['a'], {})
    """
    def row(rid: str) -> tuple[str, str | None]:
        key, record = records[rid]
        return key, moved.get(rid, record.get("indicator_id"))

    holders: dict[tuple, list[str]] = {}
    for rid in records:
        holders.setdefault(row(rid), []).append(rid)
    clashes = {}
    for rid in moved:
        period = records[rid][1].get("period")
        for other in holders[row(rid)]:
            theirs = records[other][1].get("period")
            if other != rid and (period is None or theirs is None or period == theirs):
                clashes[rid] = records[other][1]
    return clashes


def _rejection(path: Path, edit: Edit, record: dict, exc: Rejected) -> str:
    what = record.get("indicator_id") or (
        f"row {record['row_label_raw']}" if record.get("row_label_raw") else None)
    return f"{path.name}, {edit.where()}" + (f" ({what})" if what else "") + f": {exc}"


def apply_workbook(out_dir: Path, path: Path, by: str | None = None,
                   dry_run: bool = False) -> ApplyResult:
    """Check the reviewer's rows of ``path`` and store the valid ones as corrections (see the
    module's docstring); then write the outputs again. ``dry_run``: check, store nothing."""
    edits, skipped = read_edits(path)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with _open(out_dir) as store:
        records = store.reviewed_records([e.record_id for e in edits if e.record_id])
        current = store.current_corrections()
        checked, rejected = [], []
        for edit in edits:
            key, record = records.get(edit.record_id or "", (None, {}))
            try:
                if key is None:
                    raise Rejected(f"record_id {edit.record_id!r} is not a record of "
                                   f"{out_dir / STORE_NAME} (a workbook of another output "
                                   f"folder, or an input changed since it was exported)")
                checked.append((edit, key, record, check_edit(edit, record, by, now)))
            except Rejected as exc:
                rejected.append(_rejection(path, edit, record, exc))
        moved = {edit.record_id: value for edit, _, _, changes in checked
                 for name, value, _ in changes if name == "indicator_id"}
        clashes = held_twice(moved, store.reviewed_records(
            [], sorted({key for edit, key, _, _ in checked if edit.record_id in moved})))
        current = store.current_corrections()
        rows, unchanged = [], 0
        for edit, key, record, changes in checked:
            if edit.record_id in clashes:
                line = clashes[edit.record_id].get("line")
                rejected.append(_rejection(path, edit, record, Rejected(
                    f"{moved[edit.record_id]} is already the row of the record of line {line} "
                    f"of this document: correct that one too")))
                continue
            who = edit.by or by
            fixed = current.get(edit.record_id, {})
            new = [(name, value, typed) for name, value, typed in changes
                   if name not in fixed or fixed[name][:2] != (value, who)]
            if not new:
                unchanged += 1
                continue
            original = record.get("original") or {}  # fields corrected before: as read
            rows.extend({
                "record_id": edit.record_id, "input": key, "field": name,
                "original": original.get(name, record.get(name)), "corrected": value,
                "typed": typed, "corrected_by": who, "corrected_at": _when(edit.at, now),
                "workbook": path.name, "sheet": edit.sheet, "sheet_row": edit.row,
                "note": edit.note, "applied_at": now} for name, value, typed in new)
        run = None
        if rows and not dry_run:
            run = store.begin_run(json.dumps({"command": "review apply", "workbook": path.name,
                                              "by": by}, ensure_ascii=False), len(edits))
            for row in rows:
                row["run"] = run
            store.add_corrections(rows)
            store.end_run(run, len({r["record_id"] for r in rows}), unchanged, len(rejected))
            export(store, out_dir)
    return ApplyResult(rows, unchanged, rejected, skipped, run)

