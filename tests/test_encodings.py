"""Tests for normalize.encodings.

Cases live in tests/data/encoding_cases.jsonl, one JSON object a line: ``kind`` (synthetic,
in-the-wild, negative: must not change, known-failure: run as strict xfail), ``encoding`` (the
breakage, or null for detection on mixed input), ``input``, ``expected``, ``note``. When
``encoding`` is a byte encoding, ``input`` holds the bytes one character per byte (Latin-1).

Round trips use real correct lines: the seeds 000, 002, 003 as copied into data/samples (and
004 from ../shared/seeds when it is there).
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalize.encodings import (
    Fix,
    decode_bytes,
    decode_tcvn3,
    encode_legacy,
    repair_encoding,
    replay,
    syllable_key,
)

ROOT = Path(__file__).resolve().parents[1]
CASES_PATH = ROOT / "tests" / "data" / "encoding_cases.jsonl"
SEED_FILES = (
    ROOT / "data" / "samples" / "template-thai-nguyen-ke-hoach-73-2025.txt",  # seed 000
    ROOT / "data" / "samples" / "xa-binh-thanh-2025.txt",  # seed 002
    ROOT / "data" / "samples" / "template-de-cuong-09-phu-luc.txt",  # seed 003
    *sorted((ROOT.parent / "shared" / "seeds").glob("004_*.txt")),
)
BYTE_ENCODINGS = ("tcvn3", "vni", "viscii", "cp1258", "utf-16-le", "utf-16", "utf-8-sig", "utf-8")
STR_ENCODINGS = ("tcvn3-lookalike", "vni-lookalike", "viqr", "utf-8-mojibake",
                 "utf-8-mojibake-2", "nfd")
CASE_LOST = ("tcvn3", "tcvn3-lookalike")
PROPERTY_SETTINGS = settings(  # derandomized: the same examples every run (reproducible CI)
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=True, database=None,
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def same(expected: str, got: str, encoding: str | None) -> bool:
    """Exact, but case-insensitive where TCVN3 lost the case of toned capitals."""
    if encoding in CASE_LOST:
        return nfc(expected).lower() == got.lower()
    return nfc(expected) == got


# --- data-driven cases ---------------------------------------------------------------------


def load_cases() -> list:
    params = []
    for number, line in enumerate(CASES_PATH.read_text(encoding="utf-8").splitlines(), 1):
        case = json.loads(line)
        marks = []
        if case["kind"] == "known-failure":
            marks.append(pytest.mark.xfail(strict=True, reason=case["note"]))
        case_id = f"{number}-{case['kind']}-{case['encoding'] or 'detect'}"
        params.append(pytest.param(case, id=case_id, marks=marks))
    return params


def run_case(case: dict) -> str:
    if case["encoding"] in BYTE_ENCODINGS:
        return decode_bytes(case["input"].encode("latin-1")).text
    return repair_encoding(case["input"]).text


@pytest.mark.parametrize("case", load_cases())
def test_case(case: dict) -> None:
    assert run_case(case) == nfc(case["expected"])


def test_cases_cover_every_kind_and_encoding() -> None:
    cases = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines()]
    assert {c["kind"] for c in cases} == {"synthetic", "in-the-wild", "negative", "known-failure"}
    covered = {c["encoding"] for c in cases}
    assert set(BYTE_ENCODINGS) | set(STR_ENCODINGS) <= covered


# --- tables --------------------------------------------------------------------------------

TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
LETTERS = sorted(
    {nfc(v + t) for v in VOWELS for t in TONES} - set("aeiouy") | {"đ"}
)
ALL_LETTERS = LETTERS + [c.upper() for c in LETTERS]


@pytest.mark.parametrize("word", ["thaùng", "khaùch", "main", "train", "coin", "daun"])
def test_a_closing_glide_takes_no_final_consonant(word: str) -> None:
    """ai, ao, au, oi, ... end a syllable: VNI "thaùng" (tháng) has no syllable's shape."""
    assert syllable_key(word) is None


@pytest.mark.parametrize(
    "word", ["khuynh", "huỳnh", "toán", "người", "khoảng", "xoong", "quyết", "tai", "nhiêu"]
)
def test_open_nuclei_still_take_their_finals(word: str) -> None:
    assert syllable_key(word) is not None


def test_the_alphabet_has_134_letters() -> None:
    assert len(set(ALL_LETTERS)) == 134


@pytest.mark.parametrize(
    ("word", "tcvn3"),
    [
        ("Báo cáo", "B¸o c¸o"),
        ("Thành phố", "Thµnh phè"),
        ("Cộng hòa xã hội chủ nghĩa Việt Nam", "Céng hßa x· héi chñ nghÜa ViÖt Nam"),
        ("Độc lập - Tự do - Hạnh phúc", "§éc lËp - Tù do - H¹nh phóc"),
        ("Ủy ban nhân dân", "ñy ban nh©n d©n"),
    ],
)
def test_tcvn3_known_words(word: str, tcvn3: str) -> None:
    assert encode_legacy(word, "tcvn3-lookalike") == tcvn3
    assert encode_legacy(word, "tcvn3") == tcvn3.encode("latin-1")


@pytest.mark.parametrize(
    ("word", "vni"),
    [
        ("Việt Nam", "Vieät Nam"),
        ("Báo cáo", "Baùo caùo"),
        ("Cộng hòa", "Coäng hoøa"),
        ("đường", "ñöôøng"),
        ("Đồng", "Ñoàng"),
    ],
)
def test_vni_known_words(word: str, vni: str) -> None:
    assert encode_legacy(word, "vni-lookalike") == vni
    assert encode_legacy(word, "vni") == vni.encode("cp1252")


@pytest.mark.parametrize("text", ["Schröder", "Cañas", "Laïka", "Encyclopædia"])
def test_vni_bytes_cannot_hold_a_letter_that_is_a_vni_code(text: str) -> None:
    # ö is VNI ư, ñ is đ, ï the dot below, æ is ỉ: a VNI file would read them so
    with pytest.raises(UnicodeEncodeError):
        encode_legacy(text, "vni")
    assert b"?" in encode_legacy(text, "vni", errors="replace")
    assert encode_legacy(text, "vni-lookalike") == text
    assert encode_legacy("Ngô Bảo Châu", "vni") == "Ngoâ Baûo Chaâu".encode("cp1252")


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viqr", "utf-8-mojibake"])
def test_every_letter_round_trips_when_forced(encoding: str) -> None:
    lookalike = {"tcvn3": "tcvn3-lookalike", "vni": "vni-lookalike"}.get(encoding, encoding)
    for letter in ALL_LETTERS:
        # a syllable, so that a VIQR "." "?" "'" is inside the word, not possibly punctuation
        word = letter + ("a" if letter in "đĐ" else "n")
        got = repair_encoding(encode_legacy(word, lookalike), encoding).text
        assert same(word, got, encoding), (word, got)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viscii", "cp1258"])
def test_every_letter_round_trips_through_bytes(encoding: str) -> None:
    for letter in ALL_LETTERS:
        got = decode_bytes(encode_legacy(letter, encoding), encoding).text
        assert same(letter, got, encoding), (letter, got)


def test_tcvn3_restores_the_case_of_headings_only() -> None:
    assert decode_tcvn3("CéNG HßA") == "CỘNG HÒA"
    assert decode_tcvn3("ñY BAN") == "ỦY BAN"
    assert decode_tcvn3("ñy ban") == "ủy ban"
    assert decode_tcvn3("Sè: 205/KH-UBND") == "Số: 205/KH-UBND"


def test_unencodable_characters_raise() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_legacy("“Báo cáo”", "viscii")
    assert encode_legacy("“Báo cáo”", "viscii", errors="replace") == b"?B\xe1o c\xe1o?"
    with pytest.raises(ValueError):
        encode_legacy("x", "klingon")


# --- detection of bytes --------------------------------------------------------------------

PARAGRAPH = (
    "Căn cứ Quyết định số 4020/QĐ-UBND ngày 16/12/2021 của UBND tỉnh Thái Nguyên\n"
    "ban hành Chương trình cải cách hành chính nhà nước giai đoạn 2021 - 2025;\n"
    "Ủy ban nhân dân tỉnh xây dựng kế hoạch tổng kết như sau:"
)


@pytest.mark.parametrize("encoding", (*BYTE_ENCODINGS, "utf-16-be"))
def test_decode_bytes_detects(encoding: str) -> None:
    decoded = decode_bytes(encode_legacy(PARAGRAPH, encoding))
    assert same(PARAGRAPH, decoded.text, encoding)
    assert decoded.encoding == {"utf-16-be": "utf-16-be"}.get(encoding, encoding)
    assert 0.5 <= decoded.confidence <= 1.0


def test_decode_bytes_utf8_file_with_a_tcvn3_line() -> None:
    first, legacy, last = PARAGRAPH.split("\n")
    data = first.encode() + b"\n" + encode_legacy(legacy, "tcvn3") + b"\n" + last.encode()
    decoded = decode_bytes(data)
    assert decoded.text == PARAGRAPH
    assert decoded.encoding == "utf-8+tcvn3"


def test_decode_bytes_records_each_decoded_line() -> None:
    decoded = decode_bytes(encode_legacy("Báo cáo\nNam\nThành phố", "tcvn3"))
    assert [(s.line, s.fix, s.before, s.after) for s in decoded.steps] == [
        (1, "decode_bytes:tcvn3", "B¸o c¸o", "Báo cáo"),
        (3, "decode_bytes:tcvn3", "Thµnh phè", "Thành phố"),
    ]


@given(st.binary(max_size=200))
@PROPERTY_SETTINGS
def test_decode_bytes_never_fails(data: bytes) -> None:
    assert isinstance(decode_bytes(data).text, str)


# --- fixes are recorded and replay ---------------------------------------------------------


def test_fixes_are_recorded_with_place_and_name() -> None:
    repaired = repair_encoding("Nam\nTên: Së Néi vô\nVie^.t Nam")
    assert repaired.text == "Nam\nTên: Sở Nội vụ\nViệt Nam"
    assert repaired.steps == [
        Fix(2, 5, 14, "decode_tcvn3", "Së Néi vô", "Sở Nội vụ", repaired.steps[0].confidence),
        Fix(3, 0, 10, "decode_viqr", "Vie^.t Nam", "Việt Nam", repaired.steps[1].confidence),
    ]
    assert all(0.0 < s.confidence <= 1.0 for s in repaired.steps)


def test_replay_reproduces_the_repair() -> None:
    text = "Vie\u0302\u0323t Nam\r\nB¸o c¸o\r\nBaùo caùo\nBÃ¡o cÃ¡o\nBa'o ca'o"
    repaired = repair_encoding(text)
    assert replay(text, repaired.steps) == repaired.text
    assert repaired.text == "Việt Nam\r\nBáo cáo\r\nBáo cáo\nBáo cáo\nBáo cáo"


@given(st.text(max_size=300))
@PROPERTY_SETTINGS
def test_line_breaks_are_kept(text: str) -> None:
    repaired = repair_encoding(text)
    assert repaired.text.count("\n") == text.count("\n")
    assert replay(text, repaired.steps) == repaired.text


# --- round trips on real lines -------------------------------------------------------------


@cache
def seed_lines() -> tuple[str, ...]:
    lines = {nfc(line) for path in SEED_FILES for line in path.read_text("utf-8").split("\n")}
    return tuple(sorted(line for line in lines if line.strip()))


def encodable(line: str, encoding: str) -> bool:
    try:
        encode_legacy(line, encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_recovery_rate_on_seed_lines() -> None:
    """Each line alone (no document context): at least 98% come back; bench/ has the figures."""
    lines = seed_lines()[::6]
    for encoding in STR_ENCODINGS:
        broken = [(line, encode_legacy(line, encoding)) for line in lines]
        broken = [(line, b) for line, b in broken if b != line]
        back = [repair_encoding(b).text for _, b in broken]
        pairs = zip(broken, back, strict=True)
        rate = sum(same(line, got, encoding) for (line, _), got in pairs) / len(back)
        assert rate >= 0.98, (encoding, rate)


@cache
def recoverable(encoding: str) -> tuple[str, ...]:
    """Seed lines that come back on their own -- the pool for the document properties below.

    Which lines do is measured by test_recovery_rate_on_seed_lines and bench/encodings.py; these
    properties check that putting lines together (whole documents, a legacy line inside Unicode)
    never loses one.
    """
    pool = []
    for line in seed_lines()[::4]:
        if not encodable(line, encoding):
            continue
        broken = encode_legacy(line, encoding)
        if isinstance(broken, bytes):
            got = decode_bytes(broken, encoding).text
        else:
            got = repair_encoding(broken).text
        if broken != line and same(line, got, encoding):
            pool.append(line)
    return tuple(pool)


@pytest.mark.parametrize("encoding", STR_ENCODINGS)
@given(data=st.data())
@PROPERTY_SETTINGS
def test_legacy_documents_round_trip(encoding: str, data: st.DataObject) -> None:
    lines = data.draw(st.lists(st.sampled_from(recoverable(encoding)), min_size=1, max_size=8))
    document = "\n".join(lines)
    got = repair_encoding(encode_legacy(document, encoding)).text
    assert same(document, got, encoding)


@pytest.mark.parametrize("encoding", STR_ENCODINGS)
@given(data=st.data())
@PROPERTY_SETTINGS
def test_one_legacy_line_inside_unicode(encoding: str, data: st.DataObject) -> None:
    before = data.draw(st.lists(st.sampled_from(seed_lines()), min_size=1, max_size=4))
    after = data.draw(st.lists(st.sampled_from(seed_lines()), max_size=4))
    legacy = data.draw(st.sampled_from(recoverable(encoding)))
    document = "\n".join([*before, encode_legacy(legacy, encoding), *after])
    got = repair_encoding(document).text.split("\n")
    assert got[: len(before)] == before
    assert got[len(before) + 1 :] == after
    assert same(legacy, got[len(before)], encoding)


@pytest.mark.parametrize("encoding", STR_ENCODINGS)
@given(data=st.data())
@PROPERTY_SETTINGS
def test_legacy_paragraph_inside_unicode(encoding: str, data: st.DataObject) -> None:
    """A paragraph of 3-8 legacy lines between Unicode lines is repaired run by run."""
    before = data.draw(st.lists(st.sampled_from(seed_lines()), min_size=1, max_size=6))
    after = data.draw(st.lists(st.sampled_from(seed_lines()), min_size=1, max_size=6))
    paragraph = data.draw(
        st.lists(st.sampled_from(recoverable(encoding)), min_size=3, max_size=8)
    )
    legacy = [encode_legacy(line, encoding) for line in paragraph]
    got = repair_encoding("\n".join([*before, *legacy, *after])).text.split("\n")
    assert got[: len(before)] == before
    assert got[len(before) + len(paragraph) :] == after
    assert same("\n".join(paragraph), "\n".join(got[len(before) : -len(after)]), encoding)


def test_bench_paragraph_documents() -> None:
    """bench/encodings.py's paragraph rows: 3-8 encoded lines between Unicode lines, fixed."""
    from bench.encodings import paragraph_documents

    lines = list(seed_lines()[:200])
    documents = paragraph_documents(lines, "vni-lookalike")
    assert documents == paragraph_documents(lines, "vni-lookalike")  # deterministic
    for inputs, expected, encoded_at in documents:
        assert len(inputs) == len(expected)
        assert encoded_at == set(range(min(encoded_at), max(encoded_at) + 1))
        assert len(encoded_at) <= 8 and min(encoded_at) >= 3 and max(encoded_at) <= len(inputs) - 4
        assert all(inputs[i] != expected[i] for i in encoded_at)
        assert all(inputs[i] == expected[i] for i in range(len(inputs)) if i not in encoded_at)
    assert sum(len(encoded_at) >= 3 for *_, encoded_at in documents) >= len(documents) - 1


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viscii", "cp1258"])
@given(data=st.data())
@PROPERTY_SETTINGS
def test_legacy_files_round_trip(encoding: str, data: st.DataObject) -> None:
    lines = data.draw(st.lists(st.sampled_from(recoverable(encoding)), min_size=1, max_size=8))
    document = "\n".join(lines)
    decoded = decode_bytes(encode_legacy(document, encoding))
    assert same(document, decoded.text, encoding)


@given(st.lists(st.sampled_from(seed_lines()), min_size=1, max_size=12))
@PROPERTY_SETTINGS
def test_correct_documents_are_left_alone(lines: list[str]) -> None:
    document = "\n".join(lines)
    repaired = repair_encoding(document)
    assert repaired.text == document
    assert repaired.steps == []


def test_utf8_cut_in_the_middle_of_its_last_character_stays_utf8():
    # a truncated export: the last "ế" lost its third byte; the rest is plain UTF-8
    data = "Tổng kết công tác\nBáo cáo tổng k".encode() + "ế".encode()[:2]
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-8"
    assert decoded.text == "Tổng kết công tác\nBáo cáo tổng k"
    assert [(s.fix, s.line, s.start) for s in decoded.steps] == [("decode_bytes:cut-short", 2, 14)]
