"""Text dumps → lines, pages split at form feeds. Their tables (tab-separated rows, cell
blocks, hard-wrapped text) are read from the lines by ``extract.tables``."""

from __future__ import annotations

from extract.types import Document, Line, PageInfo
from normalize.lines import split_lines


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
