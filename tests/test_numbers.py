import pytest

from normalize.numbers import parse_vn_number


@pytest.mark.parametrize("raw, value", [
    ("16.807", 16807), ("98,37", 98.37), ("17759,720212", 17759.720212), ("03", 3),
    ("80%", 80), ("29.3%", 29.3), ("1.234,5", 1234.5), ("0", 0), ("4656", 4656),
    ("1.234.567", 1234567),
])
def test_vietnamese_numbers(raw, value):
    parsed = parse_vn_number(raw)
    assert parsed is not None and parsed.value == pytest.approx(value)


@pytest.mark.parametrize("raw", ["12/41", "2021-2025", "abc", "", "Z"])
def test_not_numbers(raw):
    assert parse_vn_number(raw) is None


def test_percent_and_ambiguity_are_reported():
    assert parse_vn_number("80%").percent
    assert parse_vn_number("1.500").ambiguous  # 1500 or 1.5: the caller decides by kind
    assert not parse_vn_number("98,37").ambiguous
