"""A folder of hostile inputs, as a new user's archive holds them (tests and ``bench/batch.py``).

``make_hostile(folder)`` writes each file below and returns {file name: what a batch must say
of it}: ``"ok"``, or a fragment of the error message a user must be shown. The 5 MB one-line text
dump is ``"ok-or-timeout"``: repair reads it in seconds now that it is linear in the text
(issue 11, item 1), but a test run under a tight ``--timeout`` on a loaded machine may still
cut it, and must then say so.
"""

from __future__ import annotations

import os
import random
import struct
import zipfile
import zlib
from pathlib import Path

import pymupdf

from bench import synth
from mapping.catalog import get_catalog

HUGE_SIDE = 30_000  # a 30000×30000 PNG: 900 megapixels, 0.9 MB on disk
BLANK_PAGES = 300
ONE_LINE_BYTES = 5_000_000
OFFICE = Path(__file__).resolve().parents[1] / "tests" / "data" / "office"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def huge_png(path: Path, side: int = HUGE_SIDE) -> None:
    """A white grey-scale PNG of side×side pixels, compressed row by row (never in memory)."""
    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * side
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
                     + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b""))


def report_pdf(path: Path, seed: int = 7) -> None:
    """A born-digital filled Phụ lục II (a good file)."""
    catalog = get_catalog("tn2025.pl2")
    rows = synth.fill_catalog(catalog, random.Random(seed))
    synth.render_pdf(rows, catalog, path, rng=random.Random(seed))


def make_hostile(folder: Path, good_text: Path) -> dict[str, str]:
    """Write the hostile folder; ``good_text`` is a real report (a text dump) copied in under
    several disguises. Returns what the batch must say of each file."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    text = good_text.read_bytes()
    expect: dict[str, str] = {}

    def put(name: str | bytes, data: bytes, outcome: str) -> None:
        path = folder / os.fsdecode(name) if isinstance(name, bytes) else folder / name
        path.write_bytes(data)
        expect[os.fsencode(path.name).decode("utf-8", "backslashreplace")] = outcome

    pdf = folder / "report.pdf"
    report_pdf(pdf)
    expect["report.pdf"] = "ok"
    good_pdf = pdf.read_bytes()
    put("empty.txt", b"", "file is empty")
    put("truncated.pdf", good_pdf[: len(good_pdf) // 3], "damaged or truncated")
    put("corrupt.pdf", b"%PDF-1.7\n" + rng.randbytes(20_000), "damaged or truncated")
    put("junk.bin", rng.randbytes(50_000), "binary file")
    put("junk.txt", bytes(rng.randrange(1, 32) for _ in range(5_000)), "binary file")
    put("nul-bytes.txt", text[:2000] + b"\x00" + text[2000:], "ok")
    put("report-really-text.pdf", text, "ok")  # a text dump named .pdf
    put("scan-really-pdf.txt", good_pdf, "ok")  # a PDF named .txt
    put(b"b\xe1o-c\xe1o-cp1258-name.txt", text, "ok")  # a file name that is not UTF-8
    put("one-line.txt", (b"T\xe1\xbb\x95ng k\xe1\xba\xbft c\xc3\xb4ng t\xc3\xa1c 12,5 % "
                         * (ONE_LINE_BYTES // 28))[:ONE_LINE_BYTES], "ok-or-timeout")
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 400, 300), False)
    pix.clear_with(255)
    whole = pix.tobytes("png")
    put("truncated.png", whole[: len(whole) // 2], "damaged or truncated")
    png = folder / "huge-30000x30000.png"
    huge_png(png)
    expect[png.name] = "30000×30000 pixels"
    with pymupdf.open() as doc:
        for _ in range(BLANK_PAGES):
            doc.new_page()
        doc.save(folder / "blank-300-pages.pdf")
    expect["blank-300-pages.pdf"] = "every page is blank"
    with pymupdf.open(pdf) as doc:
        doc.save(folder / "encrypted.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256,
                 user_pw="mật-khẩu", owner_pw="owner")
    expect["encrypted.pdf"] = "--password"
    with pymupdf.open() as doc:  # a poster-sized page: 5 × 5 m
        page = doc.new_page(width=14_000, height=14_000)
        page.insert_text((100, 100), "PHỤ LỤC", fontsize=40)
        doc.save(folder / "poster-5m.pdf")
    expect["poster-5m.pdf"] = "too large to render"
    word = (OFFICE / "2005-1DCA4_3b.doc").read_bytes()  # a real Word 97 file, cut short
    put("truncated.doc", word[: len(word) // 3], "damaged")
    with zipfile.ZipFile(folder / "broken.xlsx", "w") as book:  # a workbook that is no workbook
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook><sheets")
    expect["broken.xlsx"] = "damaged"
    return expect
