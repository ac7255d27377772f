"""Tables read from repaired lines keep what the document printed and read it a second time."""

from pathlib import Path

from extract.types import Document, Line
from mapping.tables import match_document
from normalize.diacritics import strip_diacritics

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _template_part_two() -> list[str]:
    template = (SAMPLES / "template-thai-nguyen-ke-hoach-73-2025.txt").read_text(
        encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(template) if line.startswith("## PHỤ LỤC SỐ II"))
    end = next(i for i, line in enumerate(template) if line.startswith("## PHỤ LỤC SỐ III"))
    return template[start:end]


def test_tab_rows_read_from_repaired_lines_keep_the_printed_words():
    """Each tab row's repaired line remembers the line as read (marks lost): the record's raw
    description is the printed one, and a value the two readings disagree on is flagged."""
    lines = []
    for number, text in enumerate(_template_part_two(), start=1):
        cells = text.split("\t")
        if len(cells) >= 5 and cells[1] and cells[2] and cells[0] != "STT":
            cells[3] = "12"
            repaired = "\t".join(cells)
            if cells[0].strip() == "3.1.3.":
                cells[3] = "l2"  # OCR read a letter where the repair read a digit
            lines.append(Line(text=repaired, page=1, number=number,
                              as_read=strip_diacritics("\t".join(cells))))
        else:
            lines.append(Line(text=text, page=1, number=number))
    tables = match_document(Document(source="t.txt", kind="text", lines=lines))
    rows = {r.entry.id: r.raw for t in tables for r in t.rows if r.entry}
    row = rows["tn2025.pl2/3.1.3"]
    assert row.description_raw == "Tong so TTHC dang co hieu luc"
    assert row.description_repaired == "Tổng số TTHC đang có hiệu lực"
    assert row.value_raw == "12" and "value-readings-differ" in row.reasons
    assert "value-readings-differ" not in rows["tn2025.pl2/3.1.2"].reasons
