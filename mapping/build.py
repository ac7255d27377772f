"""A blank template's lines → its catalogs. Pure functions; ``pipelines.catalogs`` reads the
template (any input ingest reads) and writes the files (``vnextract catalog build``, which
``make catalogs`` runs over the templates in data/samples).

A template is cut at its appendix headings (``PHỤ LỤC SỐ I``, ``BẢNG SỐ 2``, ``DANH MỤC``,
``Phụ lục 01A``); each part whose table prints numbered rows is one catalog, named after its
heading (``tn2025.pl1``, ``tn2025.pl3.b2``, ``tn2025.dm``), or the id given when the template
holds one such table. The rules read only what a template prints: the STT, the description, the
unit column and the "Trong đó" structure. They decide each entry's kind, its code book, and for a
rate row the ids of its numerator and denominator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.tables import (
    cell_blocks,
    clean_cell,
    is_bold_cell,
    period_columns,
    period_head,
    read_tables,
)
from extract.types import Line, Table
from mapping.catalog import Catalog, CatalogEntry, Constraint
from normalize.fold import fold

LABEL = re.compile(r"^(?:\d+\.)*\d+\.?$")
ROMAN = re.compile(r"^[IVX]+\.?$")
STT = re.compile(r"^(?:[IVX]+\.)?(?:\d+\.)*\d+\.?$")  # a numbered row: "1.2.1.", "I.3"
_CODE_PAIR = re.compile(r"([^=;]+?)\s*=\s*(\d+)")


@dataclass
class TemplateRow:
    label: str | None  # printed STT ("1.2.1.", "6.2", "II") or None
    description: str
    unit: str | None = None
    note: str | None = None
    trong_do: bool = False  # printed under a "Trong đó" cell, or unnumbered below a parent
    bold: bool = False
    responsible: str | None = None


def row_key(label: str) -> str:
    """``"1.2.1."`` → ``"1.2.1"``; ``"II"`` → ``"II"``."""
    return label.strip().rstrip(".")


def parse_codebook(text: str | None) -> dict[str, str] | None:
    """``"Không = 0 Có = 1"`` → ``{"0": "Không", "1": "Có"}``; None when text is no code book.

    A description may carry its code book in brackets: ``(Có tổ chức = 1; Không tổ chức = 0)``.
    """
    if not text or "=" not in text:
        return None
    pairs = _CODE_PAIR.findall(text)
    if not pairs:
        return None
    book = {code: re.sub(r"^[\s(;,]+", "", label).strip() for label, code in pairs}
    return dict(sorted(book.items(), key=lambda kv: int(kv[0])))


def classify(description: str, unit: str | None, has_children: bool, bold: bool) -> str:
    """Kind of an entry: section, rate, count, amount or code."""
    folded_unit = fold(unit or "")
    if parse_codebook(unit) or re.search(r"=\s*\d", description):
        return "code"
    if folded_unit == "%" or unit == "%" or fold(description).startswith("ty le"):
        return "rate"
    if "dong" in folded_unit.split():
        return "amount"
    if not unit or unit.strip() in {"", "-"}:
        return "section" if (has_children or bold) else "count"
    return "count"


def _is_total(description: str) -> bool:
    f = fold(description)
    return f.startswith(("tong so", "ke hoach duoc giao")) or "de ra" in f or "duoc giao" in f


def _is_reduction_rate(description: str) -> bool:
    """"Tỷ lệ ... đã cắt giảm/tinh giản so với năm 2015" is a change, not parts over a whole."""
    f = fold(description)
    return "so voi nam" in f or "cat giam" in f or "tinh gian" in f


def build_entries(
    catalog_id: str, rows: list[TemplateRow]
) -> tuple[list[CatalogEntry], list[Constraint]]:
    """Give every template row its id, parent, kind, code book and arithmetic relations."""
    keyed: list[tuple[str, TemplateRow, str | None]] = []  # (row key, row, parent key)
    seen: set[str] = set()
    last_numbered: str | None = None
    child_count: dict[str, int] = {}
    for row in rows:
        if row.label and (LABEL.match(row.label) or ROMAN.match(row.label)) and not row.trong_do:
            key = row_key(row.label)
            parent = _parent_key(key, seen)
            last_numbered = key
        else:
            if last_numbered is None:
                continue
            parent = last_numbered
            index = child_count.get(parent, 0)
            child_count[parent] = index + 1
            key = f"{parent}.{chr(ord('a') + index)}"
        if key in seen:  # a template that repeats a label: keep the first, suffix the rest
            n = 2
            while f"{key}#{n}" in seen:
                n += 1
            key = f"{key}#{n}"
        seen.add(key)
        keyed.append((key, row, parent))

    children: dict[str, list[str]] = {}
    for key, _row, parent in keyed:
        if parent:
            children.setdefault(parent, []).append(key)
    by_key = {key: row for key, row, _ in keyed}

    entries: list[CatalogEntry] = []
    constraints: list[Constraint] = []
    for order, (key, row, parent) in enumerate(keyed):
        kids = children.get(key, [])
        codebook = parse_codebook(row.unit) or parse_codebook(row.description)
        kind = "target" if row.responsible is not None and not row.bold else classify(
            row.description, row.unit, bool(kids), row.bold
        )
        if kind == "target" and ROMAN.match(key):
            kind = "section"
        numerator = denominator = None
        count_kids = [k for k in kids if classify(by_key[k].description, by_key[k].unit,
                                                  k in children, by_key[k].bold)
                      in ("count", "amount")]
        if kind == "rate" and len(count_kids) == 2 and not _is_reduction_rate(row.description):
            first, second = count_kids
            if _is_total(by_key[first].description) or not _is_total(by_key[second].description):
                denominator, numerator = first, second
        if kind in ("count", "section") and len(count_kids) >= 2 and any(
            k.rsplit(".", 1)[-1].isalpha() for k in count_kids
        ) and row.unit not in (None, "", "-"):
            constraints.append(
                Constraint("parts_le_total", tuple(f"{catalog_id}/{k}" for k in count_kids),
                           f"{catalog_id}/{key}")
            )
        entries.append(
            CatalogEntry(
                id=f"{catalog_id}/{key}",
                row=key,
                label=row.label if row.label and not row.trong_do else None,
                parent=f"{catalog_id}/{parent}" if parent else None,
                description=row.description,
                unit=row.unit or None,
                codebook=codebook if kind == "code" else None,
                kind=kind,
                numerator=f"{catalog_id}/{numerator}" if numerator else None,
                denominator=f"{catalog_id}/{denominator}" if denominator else None,
                responsible=row.responsible,
                order=order,
            )
        )
    constraints.extend(_assigned_vs_done(catalog_id, keyed, children, by_key))
    return entries, constraints


def _parent_key(key: str, seen: set[str]) -> str | None:
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:cut])
        if candidate in seen:
            return candidate
    return None


def _assigned_vs_done(catalog_id, keyed, children, by_key) -> list[Constraint]:
    """Siblings "Tổng số ... được giao" and "Số ... đã hoàn thành ...": done ≤ assigned."""
    out: list[Constraint] = []
    for _parent, kids in children.items():
        numbered = [k for k in kids if not k.rsplit(".", 1)[-1].isalpha()]
        totals = [k for k in numbered if "duoc giao" in fold(by_key[k].description)
                  and fold(by_key[k].description).startswith("tong so")]
        done = [k for k in numbered if "da hoan thanh" in fold(by_key[k].description)]
        if len(totals) == 1 and done:
            out.append(Constraint("parts_le_total", tuple(f"{catalog_id}/{k}" for k in done),
                                  f"{catalog_id}/{totals[0]}"))
    return out


# --- a template's lines → its catalogs -----------------------------------------------------

CATALOG_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$")
_APPENDIX = re.compile(r"^phu luc(?: so)? ([ivx]+|\d+[a-z]?)\b")
_TABLE_NO = re.compile(r"^bang(?: so)? (\d+)\b")
_LIST = re.compile(r"^danh muc\b")
_ROMAN_VALUE = {"i": 1, "v": 5, "x": 10}
_RANGE = re.compile(r"\bgiai doan (\d{4}) ?-? ?(\d{4})\b")  # on folded text: no dash
_UNTIL = re.compile(r"đến (\d{1,2})/(\d{1,2})\b", re.IGNORECASE)
_YEAR = re.compile(r"\bnam (\d{4})\b")
NO_ROWS = ("no numbered indicator rows found: a template is a table whose rows start with a "
           "printed STT (1, 1.1, 1.2.1 …; I, II for sections) followed by the indicator's "
           "description, e.g. STT | Chỉ tiêu | Đơn vị tính | Kết quả; unnumbered rows under a "
           "numbered one (\"Trong đó\") become its parts")
NO_CELLS = ("its table has no cells (hard-wrapped text: a PDF or scan without ruled cells, or "
            "text without tabs), so its rows cannot be told apart: build from the template as "
            ".docx, .xlsx, a ruled PDF or tab-separated text")


class TemplateError(ValueError):
    """A template that gives no catalog (no numbered rows, a bad id)."""


@dataclass
class TemplateSection:
    """One appendix of a template: its id suffix (``pl1``, ``pl3.b2``, ``dm``; empty for a
    template without headings), its printed title and its lines."""

    suffix: str
    title: str
    lines: list[Line]


def _roman(token: str) -> int:
    values = [_ROMAN_VALUE[ch] for ch in token]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v
               for i, v in enumerate(values))


def _appendix_number(token: str) -> str:
    """``"III"`` → ``"3"``, ``"01A"`` → ``"1a"``."""
    if re.fullmatch(r"[ivx]+", token):
        return str(_roman(token))
    digits = re.match(r"\d+", token).group(0)
    return f"{int(digits)}{token[len(digits):]}"


def _heading_suffix(folded: str, appendix: str | None) -> tuple[str | None, str | None]:
    """(the id suffix a heading line names, the appendix it opens) or (None, appendix)."""
    if m := _APPENDIX.match(folded):
        number = _appendix_number(m.group(1))
        return f"pl{number}", number
    if m := _TABLE_NO.match(folded):
        return (f"pl{appendix}.b{m.group(1)}" if appendix else f"b{m.group(1)}"), appendix
    if _LIST.match(folded):
        return "dm", None
    return None, appendix


def template_sections(lines: list[Line]) -> list[TemplateSection]:
    """A template cut at its appendix headings (lines without cells that start with ``Phụ
    lục``, ``Bảng số`` or ``Danh mục``); a template without one is one section. The title is
    the heading with the lines printed under it (up to three, leaving out ``(Ban hành kèm theo
    …)``)."""
    sections: list[TemplateSection] = []
    appendix: str | None = None
    for i, line in enumerate(lines):
        text = clean_cell(line.text.replace("#", ""))
        suffix = None
        if "\t" not in line.text and len(text) < 200:
            suffix, appendix = _heading_suffix(fold(text), appendix)
        if suffix is None:
            if sections:
                sections[-1].lines.append(line)
            continue
        title_lines = [clean_cell(x.text.replace("#", "")) for x in lines[i: i + 4]
                       if x.text.strip() and "\t" not in x.text]
        title = " ".join(t for t in title_lines if not t.startswith("("))
        sections.append(TemplateSection(suffix, title, []))
    return sections or [TemplateSection("", "", list(lines))]


@dataclass(frozen=True)
class _Columns:
    label: int
    description: int
    unit: int | None
    note: int | None
    responsible: int | None


def _columns(header: tuple[str, ...]) -> _Columns:
    """Which column holds what, as a template's header names it (``STT | Các chỉ tiêu | Kết
    quả: Đơn vị tính, Số liệu | Ghi chú``); without a header: STT, description, unit."""
    heads = [fold(h) for h in header]

    def find(pattern: str) -> int | None:
        return next((c for c, h in enumerate(heads) if re.search(pattern, h)), None)

    label = find(r"^(?:so )?(?:stt|tt|so thu tu)\b")
    label = 0 if label is None else label
    description = find(r"chi tieu|noi dung|\bten\b|nhiem vu|muc tieu|hang muc|dien giai")
    if description is None or description == label:
        description = label + 1
    if not heads:
        return _Columns(label, description, description + 1, None, None)
    return _Columns(label, description, find(r"\b(?:don vi tinh|dvt|d\.v\.t)\b"),
                    find(r"\bghi chu\b"),
                    find(r"\b(?:co quan|don vi) (?:thuc hien|bao cao|chu tri)\b"))


def _cell(cells: list[str], column: int | None) -> str:
    return cells[column] if column is not None and column < len(cells) else ""


def _grid_rows(tables: list[Table]) -> list[TemplateRow]:
    """Rows in columns (tab-separated text, a ruled PDF table or scan grid, a Word table, a
    sheet). A table that names a reporting body per row (``Cơ quan thực hiện``) is one of
    targets; a unit cell wrapped onto a row of its own goes back to the row above."""
    rows: list[TemplateRow] = []
    for table in tables:
        cols = _columns(table.header)
        for row in table.rows:
            cells = [c.text for c in row.cells]
            label, desc = _cell(cells, cols.label), _cell(cells, cols.description)
            # bold as the text marks it (<b>…</b>): a heading row without a unit is a section
            bold = is_bold_cell(_cell(row.lines[0].text.split("\t"), cols.description))
            if cols.responsible is not None:
                if desc:
                    rows.append(TemplateRow(label=label or None, description=desc, bold=bold,
                                            responsible=_cell(cells, cols.responsible) or None))
                continue
            unit = _cell(cells, cols.unit) or None
            if not desc and unit and rows:
                prev = rows[-1]
                prev.unit = f"{prev.unit} {unit}".strip() if prev.unit else unit
                continue
            if not desc:
                continue
            unnumbered = not label or fold(label) in {"trong do", "trong", "do"}
            rows.append(TemplateRow(label=None if unnumbered else label, description=desc,
                                    unit=unit, note=_cell(cells, cols.note) or None,
                                    trong_do=unnumbered, bold=bold))
    return rows


def _block_rows(lines: list[Line]) -> tuple[list[TemplateRow], list[str]]:
    """One cell per line (a DOCX export): the rows from the first numbered one, and the header
    cells above it (for the periods)."""
    rows: list[TemplateRow] = []
    header: list[str] = []
    started = False
    group: str | None = None
    for block_lines, cells in cell_blocks(lines):
        if cells is None:
            if not started:
                header.append(block_lines[0].text)
            continue
        texts = [c for c in cells if c.strip()]
        if not started:
            # the first numbered row; not a header row that carries a stray number ("5." /
            # "Năm 2021" …)
            if cells and re.match(r"^(\d+\.?)+$", cells[0].strip()) and period_columns(
                    [c.strip() for c in cells]) is None:
                started = True
            else:
                header.extend(cells)
                continue
        label = cells[0].strip() or None
        desc_cells = [c.strip() for c in cells[1:3] if c.strip()]
        if not texts or not desc_cells:
            continue
        if label is None and len(desc_cells) == 2:
            group, desc = desc_cells  # "Chia theo tên loại VBQPPL" / first child
        else:
            desc = desc_cells[0]
        if label and group:
            group = None
        rows.append(TemplateRow(label=label, description=desc, unit=None,
                                trong_do=label is None, note=group))
    return rows, header


def _transposed_rows(lines: list[Line]) -> tuple[list[TemplateRow], list[str]]:
    """Indicators as the columns and dates as the rows, in sub-tables ``I.``, ``II.`` …: each
    column heading is an entry of its sub-table; the dates are the periods."""
    rows: list[TemplateRow] = []
    periods: list[str] = []
    skip = {"tinh thanh pho", "giai doan", "ghi chu", ""}
    section = None
    for block_lines, cells in cell_blocks(lines):
        if cells is None:
            if m := re.match(r"^([IVX]+)\.\s+(.*)", block_lines[0].text.strip()):
                section = m.group(1)
                rows.append(TemplateRow(label=section, description=m.group(2).strip()))
            continue
        if section is None:
            continue
        names = [c.strip() for c in cells if fold(c) not in skip]
        dates = re.findall(r"(\d{1,2})/(\d{1,2})/(\d{4})", " ".join(cells))
        if dates:
            d, mth, y = dates[0]
            period = f"{y}-{int(mth):02d}-{int(d):02d}"
            if period not in periods:
                periods.append(period)
            continue
        first = 1 + sum(1 for r in rows if r.label and r.label.startswith(f"{section}."))
        for n, name in enumerate(names, start=first):
            rows.append(TemplateRow(label=f"{section}.{n}", description=name, unit="Đơn vị"))
    return rows, periods


def _header_periods(cells: list[str]) -> list[str]:
    """The periods a per-year header names (``Năm 2021`` … ``Năm 2025 (tính đến 31/3)``)."""
    periods: list[str] = []
    for cell in cells:
        is_period, period = period_head(cell)
        if is_period and period:
            periods.append(period)
        elif (until := _UNTIL.search(cell)) and periods:  # "(tính đến 31/3)" under its year
            day, month = int(until.group(1)), int(until.group(2))
            periods[-1] = f"{periods[-1][:4]}-{month:02d}-{day:02d}"
    return periods


def _title_periods(*texts: str) -> list[str]:
    """``giai đoạn 2021 - 2025`` → ["2021-2025"], ``năm 2024`` → ["2024"], from the first
    text that names one."""
    for text in texts:
        folded = fold(text)
        if m := _RANGE.search(folded):
            return [f"{m.group(1)}-{m.group(2)}"]
        if m := _YEAR.search(folded):
            return [m.group(1)]
    return []


def _audience(title: str) -> str:
    """Who reports on the table, as its title says: ``(SỞ NỘI VỤ THỰC HIỆN)``, ``… ĐỐI VỚI
    CÁC SỞ, BAN, NGÀNH``; empty where it says nothing."""
    if m := re.search(r"\(([^()]*THỰC HIỆN[^()]*)\)", title, re.IGNORECASE):
        return m.group(1).capitalize()
    if m := re.search(r"\bđối với (?:các )?(.+)$", title, re.IGNORECASE):
        return m.group(1).lower()
    return ""


def _numbered(rows: list[TemplateRow]) -> bool:
    """Whether rows print an STT of their own (``1.2``, ``I.1``)."""
    return any(r.label and STT.match(r.label) and not r.trong_do for r in rows)


def section_rows(section: TemplateSection) -> tuple[list[TemplateRow], list[str]]:
    """A section's template rows, read as its table is laid out (``extract.tables``), and the
    periods its header names (none: one value per row). Hard-wrapped text gives no rows (which
    lines make up one row, no blank template says); ``TemplateError`` when its lines are
    numbered as a table's rows are."""
    tables = read_tables(section.lines)
    layout = tables[0].layout if tables else "lined"
    if layout == "lined":
        if sum(1 for line in section.lines if STT.match(line.text.split(" ", 1)[0])) >= 3:
            raise TemplateError(NO_CELLS)
        return [], []
    if layout == "grid":
        rows = _grid_rows(tables)
        header = [h for t in tables for r in t.rows[:1] for printed in r.header_rows
                  for h in printed]
        return rows, _header_periods(header) if period_columns(header) else []
    if layout == "blocks":
        rows, header = _block_rows(section.lines)
        if not _numbered(rows):
            return _transposed_rows(section.lines)
        return rows, _header_periods(header)


def catalogs_from_template(lines: list[Line], catalog_id: str, source: str,
                           title: str | None = None) -> list[Catalog]:
    """A template's lines (read and repaired as ingest reads a document) → its catalogs: one
    per appendix whose table prints numbered rows, named ``<catalog_id>.<suffix>`` when there
    are several, else ``catalog_id``. ``title`` names the catalog (the appendix titles follow
    it when there are several). ``TemplateError`` when there is none."""
    if not CATALOG_ID.match(catalog_id):
        raise TemplateError(f"bad catalog id {catalog_id!r}: letters, digits, '-', '_' and "
                            "dots between them (e.g. qn2025.pl01a)")
    found = []
    document_text = " ".join(line.text for line in lines[:40])
    no_cells = None
    for section in template_sections(lines):
        try:
            rows, periods = section_rows(section)
        except TemplateError as exc:
            no_cells = exc
            continue
        if _numbered(rows):
            found.append((section, rows, periods or _title_periods(section.title,
                                                                   document_text)))
    if not found:
        raise no_cells or TemplateError(NO_ROWS)
    catalogs = []
    suffixes: set[str] = set()
    for section, rows, periods in found:
        suffix = section.suffix
        while suffix in suffixes:  # two appendices printed with one number
            suffix += "x"
        suffixes.add(suffix)
        cid = f"{catalog_id}.{suffix}" if len(found) > 1 and suffix else catalog_id
        if "muc tieu" in fold(section.title) and not any(
                r.unit or r.responsible is not None for r in rows):
            for row in rows:  # a table of the programme's targets, none named a body
                row.responsible = ""
        entries, constraints = build_entries(cid, rows)
        name = section.title or catalog_id
        if title:
            name = f"{title} — {section.title}" if len(found) > 1 and section.title else title
        catalogs.append(Catalog(cid, name, source, _audience(section.title), periods, entries,
                                constraints))
    return catalogs
