"""Lines whatever their ends, and long lines: normalize.lines, repair_text, the text-dump reader.

Issue 11: a text that lost its line breaks, or ends its lines with CR alone, is repaired as the
same text with normal lines is, in windows of bounded size; a 5 MB token is no text to read.
Timings are measured by ``bench/longlines.py``, never here.
"""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.textdump import document_from_text
from normalize import repair_text
from normalize.diacritics import strip_diacritics
from normalize.encodings import decode_bytes, encode_legacy, repair_encoding, replay
from normalize.lines import MAX_TOKEN, MAX_WINDOW, count_breaks, join_lines, split_lines, windows
from tests.conftest import ROOT, SAMPLES

SEPARATORS = ("\n", "\r\n", "\r", "\u2028", "\u2029", "\f")
PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
REPORT = (SAMPLES / "xa-binh-thanh-2025.txt").read_text(encoding="utf-8")  # seed 002, correct
CORRECT_LINES = [line for line in REPORT.split("\n") if len(line.split()) >= 4][:300]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- splitting and windows ---------------------------------------------------------------------


def test_split_lines_keeps_every_separator():
    lines, separators = split_lines("Báo cáo\r\nsố 5\rngày 7\n\u2028x\fy")
    assert lines == ["Báo cáo", "số 5", "ngày 7", "", "x", "y"]
    assert separators == ["\r\n", "\r", "\n", "\u2028", "\f"]
    assert count_breaks("a\r\nb\r\rc") == 3


@given(st.text(alphabet=st.sampled_from("ab \r\n\u2028\f\t"), max_size=60))
@PROPERTY
def test_split_and_join_round_trip(text):
    lines, separators = split_lines(text)
    assert join_lines(lines, separators) == text
    assert len(separators) == count_breaks(text) == len(lines) - 1
    assert not any(ch in line for line in lines for ch in "\r\n\u2028\u2029\f")


@given(st.text(alphabet=st.sampled_from("ab. \u0301"), max_size=400), st.integers(4, 50))
@PROPERTY
def test_windows_cover_the_line_and_are_bounded(line, limit):
    cuts = windows(line, limit)
    assert cuts[0][0] == 0 and cuts[-1][1] == len(line)
    assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:], strict=False))
    assert all(0 < end - start <= limit for start, end in cuts) or line == ""


def test_windows_end_at_a_sentence_then_at_a_space():
    text = "Một hai ba bốn. năm sáu bảy tám chín mười"
    assert [text[a:b] for a, b in windows(text, limit=20)] == [
        "Một hai ba bốn.", " năm sáu bảy tám ", "chín mười"]
    assert windows("Một. hai ba hai ba hai ba ", limit=16) == [(0, 16), (16, 26)]  # too early
    assert windows("x" * 25, limit=10) == [(0, 10), (10, 20), (20, 25)]
    assert windows("a\u0301" * 8, limit=5) == [(0, 4), (4, 8), (8, 12), (12, 16)]  # no mark cut
    assert windows("ngắn") == [(0, 4)]


# --- repair keeps lines, whatever their ends ---------------------------------------------------


@given(st.lists(st.sampled_from(CORRECT_LINES), min_size=1, max_size=8),
       st.lists(st.sampled_from(SEPARATORS), min_size=7, max_size=7))
@PROPERTY
def test_correct_text_unchanged_with_any_line_ends(lines, separators):
    text = join_lines(lines, separators[: len(lines) - 1])
    result = repair_text(text)
    assert result.text == nfc(text) and result.steps == []


@given(st.lists(st.sampled_from(CORRECT_LINES), min_size=2, max_size=6),
       st.lists(st.sampled_from(SEPARATORS), min_size=5, max_size=5))
@PROPERTY
def test_unmarked_text_repairs_alike_with_any_line_ends(lines, separators):
    text = strip_diacritics("\n".join(lines))
    with_lf = repair_text(text).text
    other = join_lines(text.split("\n"), separators[: len(lines) - 1])
    assert repair_text(other).text == join_lines(with_lf.split("\n"),
                                                 separators[: len(lines) - 1])


@given(st.text(max_size=300))
@PROPERTY
def test_repair_keeps_the_line_count_and_replays(text):
    result = repair_text(text)
    assert split_lines(result.text)[1] == split_lines(nfc(text))[1]
    assert replay(text, result.steps) == result.text


@given(st.lists(st.sampled_from(CORRECT_LINES[:40] + [strip_diacritics(line) for line in
                                                      CORRECT_LINES[40:80]]
                                + ["x" * (MAX_TOKEN + 5), "Cong tac S6 dwoc", ""]),
                max_size=12))
@PROPERTY
def test_the_confidence_summary_equals_the_mean_over_every_word(lines):
    """The fast path (lines no repair wrote count their words without making them) against
    the slow reference: every word made, with its confidence."""
    result = repair_text("\n".join(lines))
    tokens = result.tokens
    mean = sum(t.confidence for t in tokens) / len(tokens) if tokens else 1.0
    assert result.confidence == pytest.approx(mean)
    assert result.min_confidence == min((t.confidence for t in tokens), default=1.0)
    assert sum(len(result.line_tokens(n)) for n in range(1, len(lines) + 1)) == len(tokens)


@given(st.binary(max_size=300))
@PROPERTY
def test_repair_never_fails_on_bytes(data):
    result = repair_text(data)
    assert isinstance(result.text, str) and result.encoding


def test_cr_only_text_repairs_as_lf_text():
    lf = "\n".join(strip_diacritics(line) for line in CORRECT_LINES[:12])
    repaired = repair_text(lf).text
    assert repaired != lf
    assert repair_text(lf.replace("\n", "\r")).text == repaired.replace("\n", "\r")
    assert repair_text(lf.replace("\n", "\r\n")).text == repaired.replace("\n", "\r\n")


def test_a_text_without_line_breaks_is_repaired_in_windows():
    paragraph = " ".join(strip_diacritics(line) for line in CORRECT_LINES[:150])
    assert len(paragraph) > 3 * MAX_WINDOW
    result = repair_text(paragraph)
    assert count_breaks(result.text) == 0
    expected = " ".join(CORRECT_LINES[:150])
    right = sum(a == b for a, b in zip(result.text.split(), expected.split(), strict=True))
    assert right / len(expected.split()) > 0.95
    assert replay(paragraph, result.steps) == result.text
    assert max(step.end - step.start for step in result.steps) < MAX_WINDOW


def test_a_legacy_text_without_line_breaks_is_decoded():
    lines = CORRECT_LINES[:120]
    one_line = encode_legacy(" ".join(lines), "tcvn3")
    assert len(one_line) > 2 * MAX_WINDOW
    decoded = decode_bytes(one_line)
    assert decoded.text.lower() == " ".join(lines).lower()
    broken = encode_legacy(" ".join(lines), "vni-lookalike")
    repaired = repair_encoding(broken)
    assert repaired.text == " ".join(lines)
    assert replay(broken, repaired.steps) == repaired.text


def test_a_huge_token_is_kept_as_it_is():
    token = base64.b64encode(random.Random(3).randbytes(600_000)).decode()
    text = f"Báo cáo số 5\n{token}\nCong tac cai cach hanh chinh"
    result = repair_text(text)
    assert result.text.split("\n")[:2] == text.split("\n")[:2]
    assert all(step.line != 2 for step in result.steps)
    assert all(token.line != 2 for token in result.tokens)  # a blob holds no words
    assert len(token) > MAX_TOKEN


# --- the text-dump reader splits lines the same way ---------------------------------------------


@pytest.mark.parametrize("separator", ["\r", "\r\n", "\u2028", "\n"])
def test_text_dump_rows_with_any_line_ends(separator):
    rows = ["STT\tChỉ tiêu\tĐơn vị tính\tSố liệu", "1\tSố TTHC\tThủ tục\t120",
            "2\tTỷ lệ hồ sơ đúng hạn\t%\t98,5"]
    document = document_from_text(separator.join(rows) + "\fTrang 2", "dump.txt")
    assert [line.text for line in document.lines] == [*rows, "Trang 2"]
    assert [(line.page, line.number) for line in document.lines] == [
        (1, 1), (1, 2), (1, 3), (2, 4)]
    repaired = repair_text(document.text)
    assert split_lines(repaired.text)[0] == [line.text for line in document.lines]


@pytest.mark.slow
def test_ingest_reads_a_cr_only_dump_as_its_lf_original(tmp_path):
    text = (SAMPLES / "xa-binh-thanh-2025.txt").read_bytes()
    (tmp_path / "lf").mkdir()
    (tmp_path / "cr").mkdir()
    (tmp_path / "lf" / "report.txt").write_bytes(text)
    (tmp_path / "cr" / "report.txt").write_bytes(text.replace(b"\n", b"\r"))
    records = {}
    for name in ("lf", "cr"):
        result = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest",
                                 str(tmp_path / name / "report.txt"), "--out",
                                 str(tmp_path / f"out-{name}")],
                                capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        lines = (tmp_path / f"out-{name}" / "records.jsonl").read_text("utf-8").splitlines()
        # the same records but their record_id, an identity of the file's content
        records[name] = [{**json.loads(line), "record_id": None} for line in lines]
    assert len(records["lf"]) > 100
    assert records["cr"] == records["lf"]
