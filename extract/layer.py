"""A PDF page's text layer as words, each span typed in a legacy Vietnamese font decoded by
its font name (``normalize.fonts``): ``.VnTime`` spans from TCVN3, ``.VnTimeH`` spans as
capitals, ``VNI-*`` spans from VNI. Words keep their boxes, so lines and tables are built from
them as from any text layer.

Words are PyMuPDF's ``get_text("words")`` tuples ``(x0, y0, x1, y1, text, block, line,
word)``. A page without legacy fonts gets PyMuPDF's own words; a page with some is split into
words here, character by character, with the same rule (a word ends at white space).
"""

from __future__ import annotations

from collections import Counter

from normalize.fonts import decode_font_text, encoding_for_font, legacy_lookalikes, typed_in_unicode

Word = tuple  # (x0, y0, x1, y1, text, block, line, word)


def legacy_fonts(page) -> bool:
    """The page uses a font named for a legacy encoding."""
    return any(encoding_for_font(font[3]) for font in page.get_fonts())


def page_words(page) -> tuple[list[Word], Counter]:
    """The page's words, legacy-font spans decoded, and the characters decoded per
    encoding (``Counter({"tcvn3": 1893})``; empty for a Unicode page)."""
    import pymupdf

    if not legacy_fonts(page):
        return page.get_text("words"), Counter()
    decoded: Counter = Counter()
    words: list[Word] = []
    raw = page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_WORDS)
    for b, block in enumerate(raw["blocks"]):
        for n, line in enumerate(block.get("lines", ())):
            current: list[tuple[str, tuple, str | None]] = []
            count = 0
            for span in line["spans"]:
                font = encoding_for_font(span["font"])
                for char in span["chars"]:
                    if char["c"].isspace():
                        if current:
                            words.append(_word(current, b, n, count, decoded))
                            count += 1
                            current = []
                    else:
                        current.append((char["c"], char["bbox"], font))
            if current:
                words.append(_word(current, b, n, count, decoded))
    return words, decoded


def _word(chars: list[tuple[str, tuple, str | None]], block: int, line: int,
          number: int, decoded: Counter) -> Word:
    """One word from its characters: each run in one font decoded as that font says."""
    text = []
    start = 0
    for end in range(1, len(chars) + 1):
        if end == len(chars) or chars[end][2] != chars[start][2]:
            run = "".join(c for c, _, _ in chars[start:end])
            font = chars[start][2]
            if font is not None and not typed_in_unicode(run):
                decoded[font] += len(run)
                run = decode_font_text(legacy_lookalikes(run), font)
            text.append(run)
            start = end
    boxes = [box for _, box, _ in chars]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes), "".join(text), block, line, number)
