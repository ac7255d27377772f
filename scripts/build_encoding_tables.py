"""Write the Vietnamese legacy-encoding tables in normalize/data/encodings/*.json.

The tables below are the source of truth; the JSON files are generated from them so that the
runtime never carries code tables in code. Each table is written the way the standard prints it,
one row per vowel with its six tones, so a reviewer can check it against the published chart:

* TCVN3 -- TCVN 5712:1993, subset VN3 (the "ABC" code used by the ``.VnTime`` fonts). VN3 has
  only lowercase toned vowels; uppercase toned vowels came from the separate ``.VnTimeH`` fonts,
  which render the *same* code points as capitals. Cross-checked against the lowercase half of
  glibc iconv ``TCVN5712-1``.
* VNI -- VNI Windows (VNI-Times fonts): a base letter followed by a modifier byte; ``ơ ư đ``
  and the toned ``i`` and ``ỵ`` are single bytes. Uppercase letters use the uppercase Latin-1
  twin of each modifier.
* VISCII -- RFC 1456 (VISCII 1.1), all 134 letters in one byte each, six of them in C0 control
  positions. Cross-checked against glibc iconv ``VISCII``.
* VIQR -- RFC 1456 mnemonics: ``( ^ +`` for breve, circumflex and horn, ``' ` ? ~ .`` for the
  tones, ``DD``/``dd`` for Đ/đ, ``\\`` to escape a literal mark.

Run: ``python scripts/build_encoding_tables.py`` (checks the tables with known words, then writes).
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parents[1] / "normalize" / "data" / "encodings"

# Tone order used by every row below: none, sắc (acute), huyền (grave), hỏi (hook), ngã (tilde),
# nặng (dot below).
TONE_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
TONE_NAMES = ("ngang", "sắc", "huyền", "hỏi", "ngã", "nặng")
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")

# --- TCVN 5712:1993 VN3 ------------------------------------------------------------------------
# byte values (hex), columns: ngang sắc huyền hỏi ngã nặng
TCVN3_VN3 = """
a   61  B8  B5  B6  B7  B9
ă   A8  BE  BB  BC  BD  C6
â   A9  CA  C7  C8  C9  CB
e   65  D0  CC  CE  CF  D1
ê   AA  D5  D2  D3  D4  D6
i   69  DD  D7  D8  DC  DE
o   6F  E3  DF  E1  E2  E4
ô   AB  E8  E5  E6  E7  E9
ơ   AC  ED  EA  EB  EC  EE
u   75  F3  EF  F1  F2  F4
ư   AD  F8  F5  F6  F7  F9
y   79  FD  FA  FB  FC  FE
"""
# the only uppercase letters VN3 has beyond ASCII, plus đ
TCVN3_VN3_EXTRA = {"đ": "AE", "Ă": "A1", "Â": "A2", "Ê": "A3", "Ô": "A4", "Ơ": "A5", "Ư": "A6",
                   "Đ": "A7"}

# --- VNI Windows -------------------------------------------------------------------------------
# look-alike strings (the VNI bytes read as Windows-1252), columns: ngang sắc huyền hỏi ngã nặng
VNI_WINDOWS = """
a   a   aù  aø  aû  aõ  aï
ă   aê  aé  aè  aú  aü  aë
â   aâ  aá  aà  aå  aã  aä
e   e   eù  eø  eû  eõ  eï
ê   eâ  eá  eà  eå  eã  eä
i   i   í   ì   æ   ó   ò
o   o   où  oø  oû  oõ  oï
ô   oâ  oá  oà  oå  oã  oä
ơ   ô   ôù  ôø  ôû  ôõ  ôï
u   u   uù  uø  uû  uõ  uï
ư   ö   öù  öø  öû  öõ  öï
y   y   yù  yø  yû  yõ  î
"""
VNI_WINDOWS_EXTRA = {"đ": "ñ"}  # uppercase: every form uppercased, e.g. "AÙ", "Ñ"

# --- VISCII 1.1 (RFC 1456) -------------------------------------------------------------------
# byte values (hex), columns: ngang sắc huyền hỏi ngã nặng; lowercase row then uppercase row
VISCII = """
a   61  E1  E0  E4  E3  D5
A   41  C1  C0  C4  C3  80
ă   E5  A1  A2  C6  C7  A3
Ă   C5  81  82  02  05  83
â   E2  A4  A5  A6  E7  A7
Â   C2  84  85  86  06  87
e   65  E9  E8  EB  A8  A9
E   45  C9  C8  CB  88  89
ê   EA  AA  AB  AC  AD  AE
Ê   CA  8A  8B  8C  8D  8E
i   69  ED  EC  EF  EE  B8
I   49  CD  CC  9B  CE  98
o   6F  F3  F2  F6  F5  F7
O   4F  D3  D2  99  A0  9A
ô   F4  AF  B0  B1  B2  B5
Ô   D4  8F  90  91  92  93
ơ   BD  BE  B6  B7  DE  FE
Ơ   B4  95  96  97  B3  94
u   75  FA  F9  FC  FB  F8
U   55  DA  D9  9C  9D  9E
ư   DF  D1  D7  D8  E6  F1
Ư   BF  BA  BB  BC  FF  B9
y   79  FD  CF  D6  DB  DC
Y   59  DD  9F  14  19  1E
"""
VISCII_EXTRA = {"đ": "F0", "Đ": "D0"}

# --- VIQR (RFC 1456) -------------------------------------------------------------------------
VIQR_SHAPE_MARKS = {"(": "\u0306", "^": "\u0302", "+": "\u031b"}
VIQR_SHAPE_BASES = {"(": "aA", "^": "aeoAEO", "+": "ouOU"}
VIQR_TONE_MARKS = {"'": "\u0301", "`": "\u0300", "?": "\u0309", "~": "\u0303", ".": "\u0323"}
VIQR_D_BAR = {"dd": "đ", "DD": "Đ", "Dd": "Đ"}
VIQR_ESCAPE = "\\"

# Known words each table must reproduce (Unicode, legacy look-alike as printed in real files).
TCVN3_CHECKS = {
    "Báo cáo": "B¸o c¸o",
    "Thành phố": "Thµnh phè",
    "Cộng hòa xã hội chủ nghĩa Việt Nam": "Céng hßa x· héi chñ nghÜa ViÖt Nam",
    "Độc lập - Tự do - Hạnh phúc": "§éc lËp - Tù do - H¹nh phóc",
    "ủy ban nhân dân": "ñy ban nh©n d©n",
    "trường": "tr\xadêng",
}
VNI_CHECKS = {
    "Việt Nam": "Vieät Nam",
    "Báo cáo": "Baùo caùo",
    "Cộng hòa": "Coäng hoøa",
    "đường": "ñöôøng",
    "Đồng": "Ñoàng",
    "Quyết định": "Quyeát ñònh",
    "ỦY BAN": "UÛY BAN",
}
VISCII_CHECKS = {"Việt Nam": b"Vi\xaet Nam", "Đồng": b"\xd0\xb0ng", "Ỵ": b"\x1e"}


def _compose(vowel: str, tone: str) -> str:
    return unicodedata.normalize("NFC", vowel + tone)


def _rows(table: str) -> list[list[str]]:
    return [line.split() for line in table.strip().splitlines()]


def tcvn3_table() -> dict[str, str]:
    """Byte (hex) -> Unicode letter for TCVN3 (VN3)."""
    to_unicode: dict[str, str] = {}
    for vowel, *codes in _rows(TCVN3_VN3):
        for tone, code in zip(TONE_MARKS, codes, strict=True):
            if int(code, 16) >= 0x80:
                to_unicode[code] = _compose(vowel, tone)
    for letter, code in TCVN3_VN3_EXTRA.items():
        to_unicode[code] = letter
    return dict(sorted(to_unicode.items()))


def vni_table() -> dict[str, str]:
    """Unicode letter -> VNI look-alike string (lowercase and uppercase)."""
    from_unicode: dict[str, str] = {}
    for vowel, *forms in _rows(VNI_WINDOWS):
        for tone, form in zip(TONE_MARKS, forms, strict=True):
            letter = _compose(vowel, tone)
            if not letter.isascii():
                from_unicode[letter] = form
                from_unicode[letter.upper()] = form.upper()
    for letter, form in VNI_WINDOWS_EXTRA.items():
        from_unicode[letter] = form
        from_unicode[letter.upper()] = form.upper()
    return dict(sorted(from_unicode.items()))


def viscii_table() -> dict[str, str]:
    """Byte (hex) -> Unicode letter for VISCII."""
    to_unicode: dict[str, str] = {}
    for vowel, *codes in _rows(VISCII):
        for tone, code in zip(TONE_MARKS, codes, strict=True):
            letter = _compose(vowel, tone)
            if not letter.isascii():
                to_unicode[code] = letter
    for letter, code in VISCII_EXTRA.items():
        to_unicode[code] = letter
    return dict(sorted(to_unicode.items()))


def viqr_table() -> dict[str, str]:
    """Unicode letter -> VIQR mnemonic, e.g. "ệ" -> "e^."."""
    shape_of = {mark: key for key, mark in VIQR_SHAPE_MARKS.items()}
    tone_of = {mark: key for key, mark in VIQR_TONE_MARKS.items()}
    from_unicode: dict[str, str] = {}
    for vowel in VOWELS:
        for tone in TONE_MARKS:
            for letter in (_compose(vowel, tone), _compose(vowel, tone).upper()):
                if letter.isascii():
                    continue
                decomposed = unicodedata.normalize("NFD", letter)
                base, marks = decomposed[0], decomposed[1:]
                shape = "".join(shape_of[m] for m in marks if m in shape_of)
                tones = "".join(tone_of[m] for m in marks if m in tone_of)
                from_unicode[letter] = base + shape + tones
    from_unicode["đ"] = "dd"
    from_unicode["Đ"] = "DD"
    return dict(sorted(from_unicode.items()))


def _check(tcvn3: dict[str, str], vni: dict[str, str], viscii: dict[str, str]) -> None:
    letters = {_compose(v, t) for v in VOWELS for t in TONE_MARKS} | {"đ"}
    letters = {c for c in letters if not c.isascii()}
    assert len(letters) == 67, len(letters)
    assert len(tcvn3) == 67 + 7, len(tcvn3)  # 67 lowercase + Ă Â Ê Ô Ơ Ư Đ
    assert set(tcvn3.values()) == letters | {"Ă", "Â", "Ê", "Ô", "Ơ", "Ư", "Đ"}
    assert len(vni) == 134 and len(set(vni.values())) == 134
    assert len(viscii) == 134 and set(viscii.values()) == letters | {c.upper() for c in letters}

    tcvn3_encode = {letter: chr(int(code, 16)) for code, letter in tcvn3.items()}
    for word, expected in TCVN3_CHECKS.items():
        got = "".join(tcvn3_encode.get(c, c) for c in word)
        assert got == expected, (word, got, expected)
    for word, expected in VNI_CHECKS.items():
        got = "".join(vni.get(c, c) for c in word)
        assert got == expected, (word, got, expected)
        got.encode("cp1252")  # every VNI look-alike is a Windows-1252 character
    viscii_encode = {letter: bytes([int(code, 16)]) for code, letter in viscii.items()}
    for word, expected_bytes in VISCII_CHECKS.items():
        got_bytes = b"".join(viscii_encode[c] if c in viscii_encode else c.encode() for c in word)
        assert got_bytes == expected_bytes, (word, got_bytes, expected_bytes)


def build() -> dict[str, dict]:
    tcvn3, vni, viscii = tcvn3_table(), vni_table(), viscii_table()
    _check(tcvn3, vni, viscii)
    return {
        "tcvn3": {
            "name": "TCVN3 (ABC)",
            "standard": "TCVN 5712:1993, VN3 subset, as used by the .VnTime fonts",
            "note": "VN3 has no uppercase toned vowels: the .VnTimeH fonts draw the same codes as "
            "capitals. Bytes not listed are read as Windows-1252.",
            "to_unicode": tcvn3,
        },
        "vni": {
            "name": "VNI Windows",
            "standard": "VNI Windows (VNI-Times fonts): base letter + modifier byte",
            "note": "Values are the VNI bytes read as Windows-1252 (what copying from a VNI "
            "font leaves). Bytes not used by a sequence are read as Windows-1252.",
            "from_unicode": vni,
        },
        "viscii": {
            "name": "VISCII",
            "standard": "RFC 1456, VISCII 1.1",
            "note": "Bytes not listed are ASCII; 02 05 06 14 19 1E hold letters, not controls.",
            "to_unicode": viscii,
        },
        "viqr": {
            "name": "VIQR",
            "standard": "RFC 1456, Vietnamese Quoted-Readable",
            "note": "A shape mark follows its vowel, then the tone mark; '\\\\' makes the next "
            "mark literal.",
            "shape_marks": VIQR_SHAPE_MARKS,
            "shape_bases": VIQR_SHAPE_BASES,
            "tone_marks": VIQR_TONE_MARKS,
            "d_bar": VIQR_D_BAR,
            "escape": VIQR_ESCAPE,
            "from_unicode": viqr_table(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, table in build().items():
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
