"""Tests for normalize.repair_text, normalize.ocrnoise and ``vnextract repair``.

Cases are tables: in-the-wild lines of seed 001 (OCR without a Vietnamese model) with their
hand-corrected form from ``tests/data/ocr001_narrative_gold.tsv``; synthetic text in every legacy
encoding; negative cases that must come back unchanged; known failures, run as strict xfail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.repair import gold_accuracy, gold_lines, narrative
from normalize import repair_text
from normalize.encodings import Fix, encode_legacy, replay
from normalize.ocrnoise import (
    CandidateGenerator,
    line_profile,
    load_confusions,
    repair_ocr_noise,
    scan_line,
)
from normalize.repair import lines_to_repair, new_tone_placement
from tests.conftest import ROOT, SAMPLES

OCR_SAMPLE = SAMPLES / "so-dan-toc-thai-nguyen-432-2025.txt"
CORRECT_SAMPLE = SAMPLES / "xa-binh-thanh-2025.txt"  # seed 002: correct Unicode
CLI = [sys.executable, "-m", "pipelines.cli", "repair"]
GOLD = {number: gold for number, _, gold, _ in gold_lines()}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- in the wild: lines of seed 001, each repaired on its own --------------------------------

WILD_LINES = (4, 11, 17, 33, 53, 62, 79, 127, 145, 152, 169, 197)


@pytest.mark.parametrize("number", WILD_LINES)
def test_ocr_line_from_seed_001(number):
    line = OCR_SAMPLE.read_text(encoding="utf-8").split("\n")[number - 1]
    assert repair_text(line).text == GOLD[number]


WILD_WORDS = [  # (OCR text, the repaired text)
    ("d3 dwoc phé duyét", "đã được phê duyệt"),
    ("Pao tao, boi dudng can bo", "Đào tạo, bồi dưỡng cán bộ"),
    ("Nghi quyét s6 76/NQ-CP cta Chinh pha", "Nghị quyết số 76/NQ-CP của Chính phủ"),
    ("chinh 1a noi dung bat budc trong cac cudc hop",
     "chính là nội dung bắt buộc trong các cuộc họp"),
    ("to chirc bg may quan Iy nha nudc", "tổ chức bộ máy quản lý nhà nước"),
    ("Cong tac cai cach hanh chinh luén dugc chi dao",
     "Công tác cải cách hành chính luôn được chỉ đạo"),
]


@pytest.mark.parametrize(("ocr", "expected"), WILD_WORDS)
def test_ocr_phrases(ocr, expected):
    assert repair_text(ocr).text == expected


# --- synthetic: every legacy encoding through repair_text -------------------------------------

REFERENCE = ("Báo cáo kết quả thực hiện cải cách hành chính của Sở Dân tộc và Tôn giáo tỉnh "
             "Thái Nguyên năm 2025: đạt 98,37% kế hoạch")
ENCODINGS = ("tcvn3", "vni", "viscii", "cp1258", "utf-16", "utf-16-le", "utf-8-sig",
             "tcvn3-lookalike", "vni-lookalike", "viqr", "utf-8-mojibake", "utf-8-mojibake-2",
             "nfd")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_each_encoding_detected_and_repaired(encoding):
    broken = encode_legacy(REFERENCE, encoding)
    assert repair_text(broken).text == REFERENCE


@pytest.mark.parametrize("encoding", ("tcvn3", "vni", "viqr"))
def test_forced_encoding(encoding):
    broken = encode_legacy(REFERENCE, encoding)
    assert repair_text(broken, encoding=encoding).text == REFERENCE


def test_unknown_encoding_or_tone_style_is_an_error():
    with pytest.raises(ValueError):
        repair_text(b"abc", encoding="klingon")
    with pytest.raises(ValueError):
        repair_text("abc", tone_style="newest")


# --- negative: must come back unchanged --------------------------------------------------------

UNCHANGED = [
    "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "Độc lập - Tự do - Hạnh phúc",
    "Hoà bình, khoẻ mạnh, thuỷ lợi: tone placement kept as written",
    "Hòa bình, khỏe mạnh, thủy lợi",
    "Số: 432/BC-SDT&TG ngày 29/4/2025 của Sở Dân tộc và Tôn giáo",
    "UBND, HĐND, CCHC, TTHC, DVCTT, QPPL",
    "Tỷ lệ hồ sơ giải quyết đúng hạn đạt 98,37%; tổng số 16.807 hồ sơ",
    "1.2.1\tTỷ lệ TTHC được công khai\t%\t100\t12/41 TTHC",
    "Website: https://dichvucong.thainguyen.gov.vn/portal/home.aspx",
    "E-mail: sodantoc@thainguyen.gov.vn; điện thoại 0208.3855.123",
    "The report was sent to the Ministry of Home Affairs on 29 April 2025.",
    "Do no harm to the system and keep it as is",
    "## STYLE.md",
    "- [x] ruff check extract normalize mapping pipelines tests bench",
    "if b\"\\x00\" in data[:4096] and not data.startswith(b\"\\xff\\xfe\"):",
    "2021 - 2025\t2026 - 2030",
    "",
    "   ",
    "Ban hành kèm theo Quyết định số 20/2023/QĐ-UBND",
    "Tham gia giao ban cho các xã",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_negative_cases_unchanged(text):
    result = repair_text(text)
    assert result.text == nfc(text)
    assert result.steps == []


def test_correct_document_unchanged_byte_for_byte():
    text = CORRECT_SAMPLE.read_text(encoding="utf-8")
    result = repair_text(text.encode("utf-8"))
    assert result.text == nfc(text)
    assert all(token.confidence == 1.0 for token in result.tokens)


def test_nfd_input_comes_back_nfc():
    text = "Thực hiện nhiệm vụ"
    assert repair_text(unicodedata.normalize("NFD", text)).text == text


# --- known failures: strict xfail --------------------------------------------------------------

KNOWN_FAILURES = [
    # The model prefers số to sở after "của" (population, "số dân"); the OCR shows ơ (¢).
    ("cia S¢ Dan toc va Ton giao", "của Sở Dân tộc và Tôn giáo"),
    # A whole letter lost: Vi for với; no confusion inserts a vowel inside a word.
    ("- Cung Vi viéc ban hanh Ké hoach", "- Cùng với việc ban hành Kế hoạch"),
    # tuyén for truyền (lost r) and chung tay read as the more frequent chúng ta.
    ("tuyén viéc chung tay CCHC bing hinh anh", "truyền việc chung tay CCHC bằng hình ảnh"),
    # Unreadable: qh(rc is chức only to a reader who knows "tổ chức triển khai".
    ("va t6 qh(rc trien khai thuc hién", "và tổ chức triển khai thực hiện"),
    # A near tie the 4-gram model now loses: "phan ddu khic phuc" read as phần đầu (the first
    # part), not phấn đấu (strive) — line 70 of 001 on its own.
    ("sinh nhiém vu Céng tac cai cach hanh chinh cua tinh. phan ddu khic phuc han ché",
     "sinh nhiệm vụ Công tác cải cách hành chính của tỉnh. phấn đấu khắc phục hạn chế"),
]


@pytest.mark.xfail(strict=True, reason="known failure of the OCR-noise repair")
@pytest.mark.parametrize(("ocr", "expected"), KNOWN_FAILURES)
def test_known_failures(ocr, expected):
    assert repair_text(ocr).text == expected


# --- the whole narrative of seed 001 against the hand-corrected lines -------------------------


@pytest.fixture(scope="module")
def repaired_narrative():
    return repair_text(narrative())


def test_gold_accuracy_of_seed_001_narrative(repaired_narrative):
    measured = gold_accuracy(repaired_narrative.text)
    assert measured["syllables"] > 2000
    assert measured["strict"] >= 0.90, measured


def test_gold_file_is_well_formed():
    rows = gold_lines()
    assert len(rows) >= 120
    source = OCR_SAMPLE.read_text(encoding="utf-8").split("\n")
    for number, ocr, gold, _ in rows:
        assert 1 <= number <= 454 and source[number - 1] == ocr
        assert len(ocr.split()) == len(gold.split()), number  # corrected word for word
        assert gold == nfc(gold)


def test_lines_kept_and_steps_replay(repaired_narrative):
    text = narrative()
    assert repaired_narrative.text.count("\n") == text.count("\n")
    assert replay(text, repaired_narrative.steps) == repaired_narrative.text
    assert repaired_narrative.text == nfc(repaired_narrative.text)


def test_steps_explain_the_changes(repaired_narrative):
    steps = repaired_narrative.steps
    assert all(isinstance(step, Fix) and 0.0 <= step.confidence <= 1.0 for step in steps)
    fixes = {step.fix for step in steps}
    assert fixes == {"repair_ocr_noise", "restore_diacritics"}
    assert any(s.before == "dwoc" and s.after == "được" and s.fix == "repair_ocr_noise"
               for s in steps)
    first = next(s for s in steps if s.line == 4 and s.before == "S6")
    assert (first.start, first.end, first.after) == (0, 2, "Số")


def test_every_output_word_has_a_confidence(repaired_narrative):
    tokens = repaired_narrative.tokens
    lines = repaired_narrative.text.split("\n")
    assert all(lines[t.line - 1][t.start : t.end] == t.text for t in tokens)
    assert all(0.0 < t.confidence <= 1.0 for t in tokens)
    assert any(t.confidence < 0.9 for t in tokens)  # the repair knows when it guessed
    assert 0.5 < repaired_narrative.confidence < 1.0
    assert repaired_narrative.min_confidence < repaired_narrative.confidence


def test_numbers_codes_and_abbreviations_left_alone(repaired_narrative):
    out = repaired_narrative.text.split("\n")
    assert "73/KH-UBND" in out[10] and "432 /BC-SDT&TG" in out[3]
    assert "26/3/2025" in out[10] and "UBND tỉnh" in out[10]
    assert "CCHC, kiểm soát TTHC" in out[26]


# --- pieces of the OCR-noise repair ------------------------------------------------------------


def test_scan_line_keeps_codes_numbers_abbreviations():
    kinds = [(p.kind, p.text) for p in scan_line("S6: 432 /BC-SDT&TG cia UBND tinh, 1a I.")]
    assert kinds == [("word", "S6"), ("punct", ":"), ("number", "432"), ("code", "/BC-SDT&TG"),
                     ("word", "cia"), ("abbreviation", "UBND"), ("word", "tinh"),
                     ("punct", ","), ("word", "1a"), ("kept", "I"), ("punct", ".")]


def test_confusions_read_words_into_syllables():
    from normalize.diacritics import load_model
    generator = CandidateGenerator(load_model(), load_confusions())
    best = {word: generator.model.vocab[generator.candidates(word)[0][0]]
            for word in ("dwoc", "S¢", "1a", "chirc", "nudc", "s6", "Pao")}
    assert best["S¢"] == "sở" and best["1a"] in ("la", "là", "lá", "lả", "lã", "lạ")
    assert "duoc" in generator.skeletons("dwoc") and "chuc" in generator.skeletons("chirc")
    assert "nuoc" in generator.skeletons("nudc") and "dao" in generator.skeletons("Pao")
    assert generator.skeletons("report") == {} or min(
        r.cost for rs in generator.skeletons("report").values() for r in rs) > 1.0


def test_line_profile_tells_ocr_noise_from_english():
    assert line_profile("Cong tac dwoc S¢ thuc hién").noisy == 3
    english = line_profile("The report was sent to the Ministry")
    assert english.foreign > english.words / 3


def test_lines_to_repair():
    chosen, ocr = lines_to_repair(["Báo cáo tổng kết năm", "Cong tac cai cach hanh chinh",
                                   "The report was sent to the Ministry"])
    assert (chosen, ocr) == ({2}, False)
    chosen, ocr = lines_to_repair(["Cong tac cai cach dwoc S¢ thuc hién nghiém tlc"])
    assert (chosen, ocr) == ({1}, True)


def test_repair_ocr_noise_only_given_lines():
    text = "s6 73/KH-UBND cia UBND tinh\ns6 73/KH-UBND cia UBND tinh"
    assert repair_ocr_noise(text, {2}).text == (
        "s6 73/KH-UBND cia UBND tinh\nsố 73/KH-UBND của UBND tỉnh")


# --- tone style --------------------------------------------------------------------------------


def test_tone_style():
    assert repair_text("Hòa bình, thủy lợi, hoàn thành, quý", tone_style="new").text == (
        "Hoà bình, thuỷ lợi, hoàn thành, quý")
    assert repair_text("Hoà bình, thuỷ lợi", tone_style="old").text == "Hòa bình, thủy lợi"
    assert new_tone_placement("Khỏe") == "Khoẻ"


# --- property: round trips through repair_text -------------------------------------------------

CORRECT_LINES = [line for line in CORRECT_SAMPLE.read_text(encoding="utf-8").split("\n")
                 if len(line.split()) >= 4][:400]


# Derandomized: the same examples every run, so CI is reproducible. Recovery is not 100% per
# line (see docs/BENCHMARKS.md for the measured rates); random draws would make CI flaky.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True, database=None)
@given(st.lists(st.sampled_from(CORRECT_LINES), min_size=1, max_size=6),
       st.sampled_from(("vni", "tcvn3-lookalike", "viqr", "utf-8-mojibake", "nfd")))
def test_correct_lines_round_trip(lines, encoding):
    text = nfc("\n".join(lines))
    assert repair_text(text).text == text
    broken = encode_legacy(text, encoding)
    repaired = repair_text(broken).text
    if encoding == "tcvn3-lookalike":
        repaired, text = repaired.lower(), text.lower()
    assert repaired == text


# --- the command line, end to end --------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_repairs_part_of_seed_001(tmp_path):
    source = tmp_path / "001-part.txt"
    lines = OCR_SAMPLE.read_text(encoding="utf-8").split("\n")[:60]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, explain = tmp_path / "out.txt", tmp_path / "changes.json"
    result = run_cli(str(source), "-o", str(out), "--explain", str(explain))
    assert result.returncode == 0, result.stderr
    repaired = out.read_text(encoding="utf-8").split("\n")
    assert len(repaired) == len(lines) + 1
    for number in (4, 11, 33, 53):
        assert repaired[number - 1] == GOLD[number]
    changes = json.loads(explain.read_text(encoding="utf-8"))
    assert changes and all(set(c) == {"line", "start", "end", "fix", "before", "after",
                                      "confidence", "reason"} for c in changes)
    assert {"line": 4, "start": 0, "end": 2, "fix": "repair_ocr_noise", "before": "S6",
            "after": "Số"}.items() <= next(c for c in changes if c["line"] == 4).items()


def test_cli_repairs_a_tcvn3_file(tmp_path):
    lines = ["BÁO CÁO", "Tổng kết Chương trình cải cách hành chính nhà nước",
             "Sở Dân tộc và Tôn giáo tỉnh Thái Nguyên", "Số: 432/BC-SDT&TG, ngày 29/4/2025"]
    source = tmp_path / "tcvn3.txt"
    source.write_bytes(encode_legacy("\r\n".join(lines), "tcvn3"))
    out, explain = tmp_path / "out.txt", tmp_path / "changes.json"
    result = run_cli(str(source), "-o", str(out), "--explain", str(explain))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().decode("utf-8").split("\r\n") == lines
    changes = json.loads(explain.read_text(encoding="utf-8"))
    assert changes and all(c["fix"].startswith(("decode_bytes", "decode_tcvn3", "compose_nfc"))
                           for c in changes)


def test_cli_errors(tmp_path):
    result = run_cli(str(tmp_path / "missing.txt"))
    assert result.returncode != 0 and "cannot read" in result.stderr
