import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.numbers import NUMBER_TOKEN, parse_vn_number


@pytest.mark.parametrize("raw, value", [
    ("16.807", 16807), ("98,37", 98.37), ("17759,720212", 17759.720212), ("03", 3),
    ("80%", 80), ("29.3%", 29.3), ("1.234,5", 1234.5), ("0", 0), ("4656", 4656),
    ("1.234.567", 1234567),
])
def test_vietnamese_numbers(raw, value):
    parsed = parse_vn_number(raw)
    assert parsed is not None and parsed.value == pytest.approx(value)


@pytest.mark.parametrize("raw", ["12/41", "2021-2025", "abc", "", "Z", "1,2,3.4.5", "1.2,3,4"])
def test_not_numbers(raw):
    assert parse_vn_number(raw) is None


def test_percent_and_ambiguity_are_reported():
    assert parse_vn_number("80%").percent
    assert parse_vn_number("1.500").ambiguous  # 1500 or 1.5: the caller decides by kind
    assert not parse_vn_number("98,37").ambiguous


# --- properties ------------------------------------------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)


@given(st.text(max_size=40))
@PROPERTY
def test_any_text_parses_or_is_no_number(text):
    parsed = parse_vn_number(text)
    assert parsed is None or (parsed.raw == text.strip() and isinstance(parsed.value, int | float))


@given(st.integers(min_value=0, max_value=10**15))
@PROPERTY
def test_thousands_dots_round_trip(number):
    printed = f"{number:,}".replace(",", ".")
    parsed = parse_vn_number(printed)
    assert parsed is not None and parsed.value == number and isinstance(parsed.value, int)
    assert parsed.ambiguous == (printed.count(".") == 1)


@given(st.integers(min_value=0, max_value=10**9), st.from_regex(r"\d{1,6}", fullmatch=True),
       st.booleans(), st.booleans())
@PROPERTY
def test_decimal_comma_round_trip(whole, fraction, negative, percent):
    printed = f"{'-' if negative else ''}{whole},{fraction}{'%' if percent else ''}"
    parsed = parse_vn_number(printed)
    expected = float(f"{whole}.{fraction}") * (-1 if negative else 1)
    assert parsed is not None and parsed.value == pytest.approx(expected)
    assert parsed.percent == percent and not parsed.ambiguous


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=5))
@PROPERTY
def test_numbers_found_in_a_line_parse(numbers):
    line = " | ".join(f"{n:,}".replace(",", ".") for n in numbers) + " triệu đồng"
    found = [parse_vn_number(m.group()) for m in NUMBER_TOKEN.finditer(line)]
    assert [p.value for p in found if p is not None] == numbers
