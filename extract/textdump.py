"""Text dumps → lines; cell cleaning; and cell blocks, the layout of some DOCX/ODT exports
(one cell per line, each indented by a tab, rows separated by blank lines).

Tab rows (one table row per line) are split where they are read, in ``mapping.tables``; PDF and
OCR text with hard line breaks is read by ``extract.lined``.
"""

from __future__ import annotations

import re

from extract.types import Document, Line, PageInfo
from normalize.lines import split_lines

_TAG = re.compile(r"</?(?:b|i|u|strong|em)>", re.IGNORECASE)
_MD_EMPHASIS = re.compile(r"\*\*|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)")
_SPACES = re.compile(r"[ \u00a0]+")


def clean_cell(text: str) -> str:
    """Drop inline markup (``<b>``, ``<i>``, markdown ``**``) and squeeze spaces."""
    text = _TAG.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def is_bold_cell(text: str) -> bool:
    return bool(re.match(r"\s*<b>", text, re.IGNORECASE))


def document_from_text(text: str, source: str, kind: str = "text") -> Document:
    """Split text into numbered lines; form feeds start new pages.

    Lines end where the repair's lines end (LF, CRLF, a lone CR, U+2028:
    :func:`normalize.lines.split_lines`), so the rows of an old Mac export are rows here too.
    """
    lines: list[Line] = []
    pages: list[PageInfo] = []
    number = 0
    for page_index, page_text in enumerate(text.split("\f"), start=1):
        page_lines, _ = split_lines(page_text)
        for raw in page_lines:
            number += 1
            lines.append(Line(text=raw, page=page_index, number=number))
        pages.append(PageInfo(page_index, "text", "text dump", len(page_lines)))
    return Document(source=source, kind=kind, lines=lines, pages=pages)


def cell_blocks(lines: list[Line]) -> list[tuple[Line, list[str] | None]]:
    """Group one-cell-per-line blocks (each cell a line starting with a tab; a new row starts at
    a tab line after a blank line). An unindented line continues the description cell of a
    block that has no empty cell yet (``Xây dựng ... họp trực tuyến`` / ``Liên thông 2 cấp …``);
    any other unindented line is returned on its own with ``None`` for cells (headings)."""
    out: list[tuple[Line, list[str] | None]] = []
    current: list[str] = []
    first: Line | None = None
    after_blank = False

    def close() -> None:
        nonlocal current, first
        if current and first is not None:
            out.append((first, current))
        current, first = [], None

    for line in lines:
        if not line.text.strip() and not line.text.startswith("\t"):
            after_blank = True
            continue
        if line.text.startswith("\t"):
            if after_blank or first is None:
                close()
                first = line
            current.append(line.text[1:].strip())
        elif current and all(current[1:]) and len(current) <= 3:
            current[-1] = f"{current[-1]} {line.text.strip()}".strip()
        else:
            close()
            out.append((line, None))
        after_blank = False
    close()
    return out
