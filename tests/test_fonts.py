"""normalize.fonts: font names → encodings, and text typed in legacy fonts read as Unicode."""

from __future__ import annotations

import json

import pytest

from normalize.encodings import ENCODINGS_DIR, SLOPPY_1252, encode_legacy
from normalize.fonts import (
    FONT_ENCODINGS,
    FONTS_PATH,
    decode_font_text,
    encoding_for_font,
    read_font_text,
)
from tests.conftest import SAMPLES

FONT_TABLE = json.loads(FONTS_PATH.read_text(encoding="utf-8"))


def lookalike(text: str, encoding: str) -> str:
    """``text`` typed in a font of ``encoding``, as Word gives it: its bytes as Windows-1252."""
    return encode_legacy(text, encoding).decode(SLOPPY_1252)


def sample_lines() -> list[str]:
    """Real lines that every 8-bit encoding can write (no curly quotes: VISCII has none)."""
    text = (SAMPLES / "template-thai-nguyen-ke-hoach-73-2025.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if len(line.split()) >= 6
             and not set(line) & set("\u201c\u201d\u2018\u2019\u2013\u2014\u2026")]
    assert len(lines) >= 20
    return lines[:40]


@pytest.mark.parametrize("rule", FONT_TABLE["fonts"], ids=lambda r: r["encoding"])
def test_every_example_font_names_its_encoding(rule):
    for name in rule["examples"]:
        assert encoding_for_font(name) == rule["encoding"], name
    assert rule["encoding"] in FONT_ENCODINGS


@pytest.mark.parametrize("name", [*FONT_TABLE["unicode_examples"], None, ""])
def test_unicode_fonts_say_nothing(name):
    assert encoding_for_font(name) is None


@pytest.mark.parametrize("encoding", ["vni", "viscii"])
def test_round_trip_of_real_lines(encoding):
    for line in sample_lines():
        assert decode_font_text(lookalike(line, encoding), encoding) == line


def test_tcvn3_round_trip_up_to_the_case_it_cannot_hold():
    for line in sample_lines():
        assert decode_font_text(lookalike(line, "tcvn3"), "tcvn3").lower() == line.lower()


def test_tcvn3_capitals_fonts_draw_every_letter_as_a_capital():
    # .VnTimeH: "céng hßa" are the codes of lower-case letters, drawn as capitals
    assert decode_font_text("céng hßa x· héi chñ nghÜa viÖt nam", "tcvn3-capitals") == \
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert decode_font_text("Sè 12/2003", "tcvn3-capitals") == "SỐ 12/2003"


def test_vps_round_trip_through_its_code_table():
    table = json.loads((ENCODINGS_DIR / "vps.json").read_text(encoding="utf-8"))["to_unicode"]
    to_byte = {letter: int(code, 16) for code, letter in table.items()}
    for line in sample_lines():
        data = bytes(to_byte.get(c, ord(c)) for c in line)
        assert decode_font_text(data.decode(SLOPPY_1252), "vps") == line


def test_symbol_area_characters_are_read_as_their_bytes():
    # Word keeps characters of a font without a Unicode map at U+F000 + byte
    text = "".join(chr(0xF000 + b) if b > 0x7F else chr(b) for b in b"Th\xb5nh ph\xe8")
    assert decode_font_text(text, "tcvn3") == "Thành phố"


def test_two_soft_hyphens_are_one_u_horn():
    # LibreOffice writes TCVN3's byte AD ("ư") and Word's optional hyphen alike
    assert decode_font_text("th\u00ad\u00ad¬ng m¹i", "tcvn3") == "thương mại"


def test_the_text_overrules_a_font_that_says_otherwise():
    assert read_font_text("Thµnh phè Th¸i Nguyªn", "tcvn3") == ("tcvn3", "Thành phố Thái Nguyên")
    # a VNI paragraph left in a TCVN3 font (the font table of a converted document)
    assert read_font_text("Caùc heä thoáng thoâng tin", "tcvn3") == (
        "vni", "Các hệ thống thông tin")
    # text typed in Unicode in a style still named .VnTime
    assert read_font_text("Báo cáo tháng", "tcvn3") == (None, "Báo cáo tháng")
    assert read_font_text("Ủy ban nhân dân", "tcvn3") == (None, "Ủy ban nhân dân")
    # a short TCVN3 word that is also a Latin-1 word keeps the font's reading
    assert read_font_text("nã", "tcvn3") == ("tcvn3", "nó")


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="unknown font encoding"):
        decode_font_text("x", "koi8-r")


def test_codes_mapped_through_windows_1258_are_undone():
    # LibreOffice maps a font declared with the Vietnamese charset through Windows-1258:
    # TCVN3's "chÝnh" arrives as "chƯnh", which looks like Unicode but is not
    for line in sample_lines():
        arrived = encode_legacy(line, "tcvn3").decode("cp1258")
        reading, text = read_font_text(arrived, "tcvn3")
        assert (reading, text.lower()) == ("tcvn3", line.lower())
    # text typed in Unicode stays Unicode, also where Windows-1258 could hold it
    assert read_font_text("Ủy ban nhân dân tỉnh", "tcvn3") == (None, "Ủy ban nhân dân tỉnh")
    assert read_font_text("Sở Tư pháp", "vni") == (None, "Sở Tư pháp")
