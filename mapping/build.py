"""Template rows → catalog entries. Pure functions; ``scripts/build_catalogs.py`` does the I/O.

The rules read only what a template prints: the STT, the description, the unit column and the
"Trong đó" structure. They decide each entry's kind, its code book, and for a rate row the ids
of its numerator and denominator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapping.catalog import CatalogEntry, Constraint
from normalize.fold import fold

LABEL = re.compile(r"^(?:\d+\.)*\d+\.?$")
ROMAN = re.compile(r"^[IVX]+\.?$")
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
