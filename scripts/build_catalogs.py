"""Generate mapping/catalogs/*.json from the template documents (``make catalogs``).

Sources (copies of the project's seed templates, kept in data/samples/):
* template-thai-nguyen-ke-hoach-73-2025.txt — Phụ lục I (tn2025.pl1), II (tn2025.pl2),
  III Bảng số 1–7 (tn2025.pl3.b1 … b7) and the Danh mục of programme targets (tn2025.dm);
* template-de-cuong-09-phu-luc.txt — the outline's nine per-year appendices (dc.pl1 … dc.pl9).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extract.tables import cell_blocks, clean_cell, is_bold_cell, period_columns  # noqa: E402
from extract.textdump import document_from_text  # noqa: E402
from extract.types import Line  # noqa: E402
from mapping.build import TemplateRow, build_entries  # noqa: E402
from mapping.catalog import Catalog  # noqa: E402
from normalize.fold import fold  # noqa: E402

TN_TEMPLATE = ROOT / "data/samples/template-thai-nguyen-ke-hoach-73-2025.txt"
DC_TEMPLATE = ROOT / "data/samples/template-de-cuong-09-phu-luc.txt"
ROMAN_NUM = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


def _is_header_row(cells: list[str]) -> bool:
    first = fold(clean_cell(cells[0]))
    joined = fold(" ".join(clean_cell(c) for c in cells))
    return first in {"stt", "so tt"} or (not first and ("don vi tinh" in joined
                                                         or joined.startswith("hoan thanh")))


def _tn_sections(lines: list[Line]) -> list[tuple[str, str, str, list[Line]]]:
    """Split template 000 into (catalog id, title, audience, lines) per appendix table."""
    sections: list[tuple[str, str, str, list[Line]]] = []
    appendix = None
    for i, line in enumerate(lines):
        text = clean_cell(line.text.replace("#", ""))
        f = fold(text)
        heading = None
        if m := re.match(r"^phu luc so (i{1,3})\b", f):
            appendix = ROMAN_NUM[m.group(1)]
            if appendix in (1, 2):
                heading = f"tn2025.pl{appendix}"
        elif appendix == 3 and (m := re.match(r"^bang so (\d+)", f)):
            heading = f"tn2025.pl3.b{m.group(1)}"
        elif re.match(r"^danh muc\b", f) and "\t" not in line.text:
            appendix, heading = 4, "tn2025.dm"
        if heading:
            title_lines = [clean_cell(x.text) for x in lines[i: i + 4]
                           if x.text.strip() and "\t" not in x.text and "Ban hành" not in x.text]
            title = " ".join(t for t in title_lines if not t.startswith("("))
            sections.append((heading, title, _audience(heading, title), []))
        elif sections and "\t" in line.text:
            sections[-1][3].append(line)
    return sections


def _audience(catalog_id: str, title: str) -> str:
    if catalog_id == "tn2025.pl1":
        return "sở, ban, ngành thuộc tỉnh"
    if catalog_id == "tn2025.pl2":
        return "UBND huyện, thành phố (also used by xã)"
    if catalog_id == "tn2025.dm":
        return "programme targets of the province, by reporting body"
    m = re.search(r"\(([^()]*THỰC HIỆN[^()]*)\)", title)
    return m.group(1).capitalize() if m else "named departments"


def _tn_rows(catalog_id: str, lines: list[Line]) -> list[TemplateRow]:
    rows: list[TemplateRow] = []
    for line in lines:
        cells = line.text.split("\t")
        if _is_header_row(cells):
            continue
        cells += [""] * (6 - len(cells))
        label = clean_cell(cells[0])
        desc = clean_cell(cells[1])
        flabel = fold(label)
        if catalog_id == "tn2025.dm":
            if not desc:
                continue
            rows.append(TemplateRow(label=label or None, description=desc, unit=None,
                                    note=None, bold=is_bold_cell(cells[1]),
                                    responsible=clean_cell(cells[2]) or None))
            continue
        unit = clean_cell(cells[2]) or None
        note = clean_cell(cells[4]) or None
        if not desc and unit and rows:  # a unit cell wrapped onto its own row
            prev = rows[-1]
            prev.unit = f"{prev.unit} {unit}".strip() if prev.unit else unit
            continue
        if not desc:
            continue
        unnumbered = not label or flabel in {"trong do", "trong", "do"}
        rows.append(TemplateRow(label=None if unnumbered else label, description=desc,
                                unit=unit, note=note, trong_do=unnumbered,
                                bold=is_bold_cell(cells[1])))
    return rows


def _dc_sections(lines: list[Line]) -> list[tuple[str, str, list[Line]]]:
    out: list[tuple[str, str, list[Line]]] = []
    for i, line in enumerate(lines):
        if m := re.match(r"^Phụ lục (\d+)\s*$", line.text.strip()):
            title = next((x.text.strip() for x in lines[i + 1: i + 4]
                          if x.text.strip() and not x.text.startswith("\t")), "")
            out.append((f"dc.pl{m.group(1)}", title, []))
        elif out:
            out[-1][2].append(line)
    return out


def _dc_periods(header_text: str) -> list[str]:
    years = re.findall(r"Năm (\d{4})", header_text)
    if re.search(r"31/3", header_text) and years:
        years[-1] = f"{years[-1]}-03-31"
    return years


def _dc_rows(lines: list[Line]) -> tuple[list[TemplateRow], str]:
    """Rows of a per-year appendix and the header text (for its periods)."""
    rows: list[TemplateRow] = []
    header: list[str] = []
    started = False
    group: str | None = None
    for block_lines, cells in cell_blocks(lines):
        if cells is None:
            header.append(block_lines[0].text) if not started else None
            continue
        texts = [c for c in cells if c.strip()]
        if not started:
            # the first numbered row; not a header row that carries a stray number ("5." /
            # "Năm 2021" … in Phụ lục 3)
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
    return rows, " ".join(header)


def _dc_transposed(lines: list[Line]) -> tuple[list[TemplateRow], list[str]]:
    """Phụ lục 5: indicators are the columns, periods the rows, in sub-tables I, II, III."""
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
        for n, name in enumerate(names, start=1 + sum(1 for r in rows
                                                       if r.label and r.label.startswith(
                                                           f"{section}."))):
            rows.append(TemplateRow(label=f"{section}.{n}", description=name, unit="Đơn vị"))
    return rows, periods


def build_all() -> list[Catalog]:
    catalogs: list[Catalog] = []
    tn = document_from_text(TN_TEMPLATE.read_text(encoding="utf-8"), TN_TEMPLATE.name)
    for catalog_id, title, audience, lines in _tn_sections(tn.lines):
        entries, constraints = build_entries(catalog_id, _tn_rows(catalog_id, lines))
        catalogs.append(Catalog(catalog_id, title, TN_TEMPLATE.name, audience,
                                ["2021-2025"], entries, constraints))
    dc = document_from_text(DC_TEMPLATE.read_text(encoding="utf-8"), DC_TEMPLATE.name)
    for catalog_id, title, lines in _dc_sections(dc.lines):
        if catalog_id == "dc.pl5":
            rows, periods = _dc_transposed(lines)
        else:
            rows, header = _dc_rows(lines)
            periods = _dc_periods(header) if catalog_id != "dc.pl9" else ["2021-2025"]
        for row in rows:
            if catalog_id == "dc.pl9":
                row.responsible = ""
        entries, constraints = build_entries(catalog_id, rows)
        catalogs.append(Catalog(catalog_id, title, DC_TEMPLATE.name,
                                "cơ quan, UBND các xã, thị trấn (outline appendices)",
                                periods, entries, constraints))
    return catalogs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "mapping/catalogs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.json"):
        old.unlink()
    for catalog in build_all():
        path = args.out / f"{catalog.id}.json"
        path.write_text(json.dumps(catalog.to_json(), ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
        kinds: dict[str, int] = {}
        for e in catalog.entries:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
        print(f"{catalog.id:14} {len(catalog.entries):4} entries {kinds} periods={catalog.periods}")


if __name__ == "__main__":
    main()

