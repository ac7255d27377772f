import pytest

from extract.tables import looks_like_label
from mapping.labels import label_score, read_label


@pytest.mark.parametrize("printed, row, how", [
    ("1.2.1.", "1.2.1", "exact"), (">1.1", "5.1.1", "confusion"), ("4.25.", "4.2.5", "confusion"),
    ("335", "3.3.5", "confusion"), ("6.25", "6.2.5", "confusion"), ("101", "1.2.1", "near"),
    ("300", "3.2.2", "near"), ("Z25", "7.5.1", "near"), ("1.2", "7.2", "near"),
])
def test_ocr_labels_support_their_rows(printed, row, how):
    assert looks_like_label(printed)
    score, got = label_score(read_label(printed), row)
    assert got == how and score > 0


def test_label_never_supports_unnumbered_or_unrelated_rows():
    assert label_score(read_label("1.1."), "1.1.a") == (0.0, "none")
    assert label_score(read_label("2025"), "1.1") == (0.0, "none")
    assert label_score(read_label("7.3."), "1.2.1")[0] == 0.0


def test_text_is_not_a_label():
    assert not looks_like_label("Trong")
    assert not looks_like_label("80%")
