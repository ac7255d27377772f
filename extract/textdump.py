"""Text dumps → lines, pages split at form feeds. Their tables (tab-separated rows, cell
blocks, hard-wrapped text) are read from the lines by ``extract.tables``."""

from __future__ import annotations

from extract.types import Document, Line, PageInfo


def document_from_text(text: str, source: str, kind: str = "text") -> Document:
    """Split text into numbered lines; form feeds start new pages."""
    lines: list[Line] = []
    pages: list[PageInfo] = []
    number = 0
    for page_index, page_text in enumerate(text.split("\f"), start=1):
        page_lines = page_text.split("\n")
        for raw in page_lines:
            number += 1
            lines.append(Line(text=raw.rstrip("\r"), page=page_index, number=number))
        pages.append(PageInfo(page_index, "text", "text dump", len(page_lines)))
    return Document(source=source, kind=kind, lines=lines, pages=pages)
