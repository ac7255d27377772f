"""Tests of diacritic stripping, restoration and the lattice decoder (normalize.diacritics).

Restoration cases are real official sentences (seeds 002 and 004 are never trained on), with
the exact output the shipped model gives; negative cases must come back unchanged.
"""

from __future__ import annotations

import itertools
import math
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import diacritics
from normalize.diacritics import (
    DEFAULT_MODEL_PATH,
    SENTENCE,
    best_path,
    canonical_tone_placement,
    context_tokens,
    is_vietnamese_syllable,
    load_model,
    restore_diacritics,
    scan,
    strip_diacritics,
)

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(),
                                reason="model not built: run `make model`")

RESTORED = [
    ("cai cach hanh chinh nha nuoc", "cải cách hành chính nhà nước"),
    ("Uy ban nhan dan tinh Thai Nguyen", "Ủy ban nhân dân tỉnh Thái Nguyên"),
    ("Ke hoach so 205/KH-UBND ngay 28/3/2025 cua UBND tinh Nghe An",
     "Kế hoạch số 205/KH-UBND ngày 28/3/2025 của UBND tỉnh Nghệ An"),
    ("BAO CAO\nTong ket Chuong trinh cai cach hanh chinh nha nuoc giai doan 2021 - 2025",
     "BÁO CÁO\nTổng kết Chương trình cải cách hành chính nhà nước giai đoạn 2021 - 2025"),
    ("UBND xa Binh Thanh bao cao ket qua thuc hien cong tac cai cach hanh chinh",
     "UBND xã Bình Thành báo cáo kết quả thực hiện công tác cải cách hành chính"),
    ("Ty le ho so giai quyet dung han dat 98,37%.", "Tỷ lệ hồ sơ giải quyết đúng hạn đạt 98,37%."),
    ("So Noi vu chu tri, phoi hop voi cac co quan, don vi lien quan tham muu UBND tinh",
     "Sở Nội vụ chủ trì, phối hợp với các cơ quan, đơn vị liên quan tham mưu UBND tỉnh"),
    ("Dich vu cong truc tuyen toan trinh", "Dịch vụ công trực tuyến toàn trình"),
    ("Chi so hai long cua nguoi dan", "Chỉ số hài lòng của người dân"),
    ("Su dung phan mem Microsoft Office de soan thao van ban",
     "Sử dụng phần mềm Microsoft Office để soạn thảo văn bản"),
    ("Nghi quyet so 05-NQ/TU cua Ban Thuong vu TU", "Nghị quyết số 05-NQ/TU của Ban Thường vụ TU"),
    # Bigram links alone favour ``chuyên dụng``; the trigram paths keep ``dùng`` for the last pass.
    ("Tiep tuc thuc hien su dung duong truyen so lieu chuyen dung.",
     "Tiếp tục thực hiện sử dụng đường truyền số liệu chuyên dùng."),
]

# Accented official text from the unseen seeds: strip it, restore it, get it back exactly.
ROUND_TRIPS = [
    "Thực hiện Quyết định số 145 ngày 03/3/2025 của Bộ trưởng Bộ Nội vụ về việc ban hành "
    "Kế hoạch sơ kết 05 năm thực hiện Chương trình tổng thể Cải cách hành chính Nhà nước",
    "Phát hiện những sáng kiến và cách làm hay, những điển hình, mô hình tốt trong công tác CCHC;",
    "I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n",
    "Căn cứ các văn bản chỉ đạo của UBND tỉnh, UBND huyện, UBND xã Bình Thành ban hành Kế hoạch",
]

UNCHANGED = [
    "The report was sent to the Ministry of Home Affairs.",
    "CCHC, TTHC, UBND, DVCTT",
    "Báo cáo số 432/BC-SDT&TG; Kế hoạch 73/KH-UBND; Nghị quyết 76/NQ-CP",
    "Xem https://dichvucong.gov.vn/p/home hoặc www.thainguyen.gov.vn",
    "Gửi email: sonoivu@thainguyen.gov.vn",
    "16.807 hồ sơ, đạt 98,37%; 17759,720212",
    "<b>Phụ lục I</b>\tNăm 2021\tNăm 2022",
    # Already accented: every unmarked word in it (cho, ban, tin, giao) is right as it stands.
    "Ban Chỉ đạo giao cho Sở Thông tin và Truyền thông chủ trì, báo cáo UBND tỉnh.",
    "",
]


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_strip_diacritics_keeps_case_and_maps_d_bar():
    assert strip_diacritics("Ủy ban nhân dân tỉnh Thái Nguyên") == (
        "Uy ban nhan dan tinh Thai Nguyen")
    assert strip_diacritics("ĐẢNG ỦY xã Đồng Hỷ") == "DANG UY xa Dong Hy"


def test_strip_diacritics_is_nfc_in_and_out_and_spares_other_marks():
    decomposed = unicodedata.normalize("NFD", "Nghệ An")
    assert strip_diacritics(decomposed) == "Nghe An"
    assert strip_diacritics("München, garçon") == "München, garçon"


def test_syllable_shape_and_tone_placement():
    assert [is_vietnamese_syllable(w) for w in ("nghiêng", "quốc", "cac", "online")] == [
        True, True, False, False]
    assert canonical_tone_placement("hoà") == "hòa"
    assert canonical_tone_placement("quý") == "quý"
    assert canonical_tone_placement("hoàn") == "hoàn"


def test_new_tone_placement_is_the_inverse_of_the_canonical_one():
    for old, new in [("hòa", "hoà"), ("Thủy", "Thuỷ"), ("KHỎE", "KHOẺ"), ("đóa", "đoá")]:
        assert diacritics.new_tone_placement(old) == new
        assert canonical_tone_placement(new) == old
    for word in ("quý", "hoàn", "hoa", "thuyền"):
        assert diacritics.new_tone_placement(word) == canonical_tone_placement(word) == word


def test_restored_tone_placement_follows_the_document(model):
    # No marked oa/oe/uy syllable: the corpus majority, the old placement.
    assert restore_diacritics("thuy loi va hoa hoc", model=model).text == "thủy lợi và hóa học"
    # The document writes ``hoà``: restored syllables follow it.
    text = "Hoà bình. Thuy loi va hoa hoc phat trien"
    assert restore_diacritics(text, model=model).text == "Hoà bình. Thuỷ lợi và hoá học phát triển"
    assert restore_diacritics(text, model=model, tone_style="old").text == (
        "Hoà bình. Thủy lợi và hóa học phát triển")
    with pytest.raises(ValueError):
        restore_diacritics(text, model=model, tone_style="modern")


def test_scan_keeps_codes_addresses_and_markup_whole():
    kinds = {t.text: t.kind for t in scan("Số 73/KH-UBND <b>xem</b> a@b.vn QH13")}
    assert kinds["73/KH-UBND"] == kinds["<b>"] == kinds["a@b.vn"] == kinds["QH13"] == "code"
    assert kinds["xem"] == "word"


def test_context_tokens_read_abbreviations_and_numbers():
    assert context_tokens("UBND xã, HĐND xã: 12 người") == [
        "UBND", "xã", ",", "HDND", "xã", ":", "<num>", "người"]


@pytest.mark.parametrize(("stripped", "expected"), RESTORED)
def test_restores_official_sentences(model, stripped, expected):
    assert restore_diacritics(stripped, model=model).text == expected


@pytest.mark.parametrize("accented", ROUND_TRIPS)
def test_round_trip_of_unseen_official_text(model, accented):
    assert restore_diacritics(strip_diacritics(accented), model=model).text == accented


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_alone(model, text):
    result = restore_diacritics(text, model=model)
    assert result.text.encode() == text.encode()
    assert all(choice.chosen == choice.original for choice in result.syllables)


def test_already_accented_seed_comes_back_byte_identical(model):
    text = "\n".join(ROUND_TRIPS + [RESTORED[1][1], RESTORED[4][1]])
    assert restore_diacritics(text, model=model).text == text


def test_marked_text_still_gets_impossible_unmarked_words_restored(model):
    # ``duoc`` cannot be Vietnamese as written (a -c ending needs a sắc or nặng tone).
    result = restore_diacritics("Sở Nội vụ thực hiện nhiệm vụ duoc giao", model=model)
    assert result.text == "Sở Nội vụ thực hiện nhiệm vụ được giao"


def test_line_breaks_and_spacing_are_preserved(model):
    text = "Ke hoach\r\n\r\n  tong ket\tgiai doan 2021 -\n2025\n"
    result = restore_diacritics(text, model=model)
    assert result.text == "Kế hoạch\r\n\r\n  tổng kết\tgiai đoạn 2021 -\n2025\n"
    assert strip_diacritics(result.text) == text


def test_syllable_choices_point_into_the_output(model):
    text = "UBND xa Binh Thanh bao cao ket qua"
    result = restore_diacritics(text, model=model)
    assert len(result.syllables) == 7
    for choice in result.syllables:
        assert result.text[choice.start : choice.end] == choice.chosen
        assert text[choice.start : choice.end] == choice.original
        assert 0.0 <= choice.confidence <= 1.0
        assert all(0.0 <= p <= choice.confidence for _, p in choice.alternatives)
        assert strip_diacritics(choice.chosen) == choice.original


def test_bigram_order_is_available_as_a_baseline(model):
    assert restore_diacritics("cai cach hanh chinh", model=model, order=2).text == (
        "cải cách hành chính")


def test_best_path_decides_between_given_candidates(model):
    path = best_path([[("cai", 0.0), ("cải", 0.0)], [("cach", 0.0), ("cách", 0.0)]], model=model)
    assert [word for word, _ in path] == ["cải", "cách"]
    assert all(0.0 <= confidence <= 1.0 for _, confidence in path)


def test_best_path_weighs_priors_against_the_model(model):
    # An OCR step offers the raw token and a repaired one; the prior decides when it is strong.
    lattice = [[("Thái", 0.0)], [("Nguyén", -1.0), ("Nguyên", -2.0)]]
    assert best_path(lattice, model=model)[1][0] == "Nguyên"
    lattice = [[("Thái", 0.0)], [("Nguyén", 0.0), ("Nguyên", -30.0)]]
    assert best_path(lattice, model=model)[1][0] == "Nguyén"
    assert best_path([], model=model) == []
    with pytest.raises(ValueError):
        best_path([[]], model=model)


# --- the decoder against brute force ------------------------------------------------------------

LATTICES = st.lists(
    st.lists(st.tuples(st.integers(4, 400), st.floats(-3.0, 0.0)), min_size=1, max_size=3,
             unique_by=lambda option: option[0]),
    min_size=1, max_size=5,
).map(lambda positions: [([i for i, _ in p], [w for _, w in p]) for p in positions])


def _brute_force_max_marginals(model, lattice, order):
    """Score every path of a padded lattice; the best score through each candidate."""
    best = [[-math.inf] * len(ids) for ids, _ in lattice]
    for path in itertools.product(*(range(len(ids)) for ids, _ in lattice)):
        words = [ids[k] for (ids, _), k in zip(lattice, path, strict=True)]
        total = sum(priors[k] for (_, priors), k in zip(lattice, path, strict=True))
        for i in range(order - 1, len(words)):
            context = [np.array([w]) for w in words[i - order + 1 : i]]
            total += float(model.scores(context, np.array([words[i]]))[0])
        for i, k in enumerate(path):
            best[i][k] = max(best[i][k], total)
    return best


def _padded(model, lattice, order):
    boundary = ([model.ids[SENTENCE]], [0.0])
    return diacritics.FlatLattice.of([boundary] * (order - 1) + lattice + [boundary])


def _by_position(flat, values):
    return np.split(np.asarray(values), np.cumsum(flat.widths)[:-1])


@settings(max_examples=60, deadline=None)
@given(lattice=LATTICES, order=st.sampled_from([2, 3, 4]))
def test_max_marginals_equal_brute_force(model, lattice, order):
    padded = _padded(model, lattice, order)
    fast = _by_position(padded, diacritics._max_marginals(
        padded, diacritics._score_table(model, padded, order), order))
    lists = [(ids.tolist(), priors.tolist()) for ids, priors in zip(
        _by_position(padded, padded.ids), _by_position(padded, padded.priors), strict=True)]
    slow = _brute_force_max_marginals(model, lists, order)
    for i in range(order - 1, len(lists)):
        if len(lists[i][0]) > 1:  # a lone candidate gets no marginal
            assert fast[i] == pytest.approx(slow[i], abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(lattice=LATTICES, reopen=st.sets(st.integers(0, 4)))
def test_redecoding_stretches_equals_decoding_everything(model, lattice, reopen):
    order = model.order
    padded = _padded(model, lattice, order)
    first = diacritics._posteriors(diacritics._max_marginals(
        padded, diacritics._score_table(model, padded, order), order), padded)
    choices = padded.ids[diacritics._best_first(first, padded.positions)[padded.offsets]]
    reopened = np.zeros(len(padded.widths), bool)
    reopened[[order - 1 + i for i in reopen if i < len(lattice) and len(lattice[i][0]) > 1]] = True
    # Decoding everything: the reopened positions keep their candidates, the others their choice.
    fixed = diacritics.FlatLattice.of([
        (ids.tolist(), priors.tolist()) if reopened[p] else ([int(choices[p])], [0.0])
        for p, (ids, priors) in enumerate(zip(_by_position(padded, padded.ids),
                                              _by_position(padded, padded.priors), strict=True))])
    whole = diacritics._posteriors(diacritics._max_marginals(
        fixed, diacritics._score_table(model, fixed, order), order), fixed)
    stretches = diacritics._redecode(model, padded, choices, reopened, order)
    assert stretches == pytest.approx(whole[np.repeat(reopened, fixed.widths)])
    # The adaptation rounds cut and score the stretches once, then change only the priors.
    cut = diacritics._stretches(model, padded, choices, reopened, order)
    shifted = padded._replace(priors=padded.priors - 1.5 * (padded.ids % 2))
    assert diacritics._redecode(model, shifted, choices, reopened, order, stretches=cut) == (
        pytest.approx(diacritics._redecode(model, shifted, choices, reopened, order)))


def test_pair_bonus_favours_pairs_the_document_chose(model):
    choices = np.array([5, 6, 5, 6, 7])
    settled = np.array([True, True, True, True, False])
    is_open = np.array([True, False, True, False, True])
    pairs = diacritics._document_pairs(choices, settled, is_open, len(model.vocab), 1.0)
    bonus = pairs.bonus(np.array([5, 6, 6]), np.array([6, 5, 7]))
    assert bonus == pytest.approx([math.log(3), math.log(2), 0.0])


def test_document_priors_favour_what_the_document_chose_more_than_the_corpus(model):
    forms = model.candidates["den"]  # đến, the corpus favourite, and đèn, rare but for lamps
    lattice = diacritics.FlatLattice(np.array(forms, np.int64), np.zeros(len(forms)),
                                     np.array([len(forms)]))
    counts = np.zeros(len(model.vocab), np.int64)
    counts[model.ids["đèn"]] = counts[model.ids["đến"]] = 10
    priors = diacritics._document_priors(lattice, counts, np.exp(model.logprob[1]), 1.0)
    by_id = dict(zip(forms, priors, strict=True))
    assert by_id[model.ids["đèn"]] > 0 > by_id[model.ids["đến"]]
    assert not diacritics._document_priors(lattice, counts * 0, np.exp(model.logprob[1]),
                                           1.0).any()


@settings(max_examples=60, deadline=None)
@given(scores=st.lists(st.lists(st.floats(-20.0, 0.0), min_size=1, max_size=7), min_size=1,
                       max_size=6),
       beam=st.floats(0.0, 10.0), max_kept=st.integers(1, 6))
def test_keep_best_keeps_the_best_within_the_beam(scores, beam, max_kept):
    widths = np.array([len(s) for s in scores])
    flat = diacritics.FlatLattice(np.arange(int(widths.sum())), np.zeros(int(widths.sum())),
                                  widths)
    kept, survivors = diacritics._keep_best(flat, np.concatenate(scores), beam, max_kept)
    assert kept.ids.tolist() == survivors.tolist()
    offsets = np.cumsum(widths) - widths
    for position, values, offset in zip(_by_position(kept, kept.ids), scores, offsets,
                                        strict=True):
        expected = sorted(range(len(values)), key=lambda k: -values[k])
        expected = [k for k in expected[:max_kept] if values[k] >= max(values) - beam]
        assert [values[int(i) - offset] for i in position] == [values[k] for k in expected]


def test_sorted_and_grouped_lookups_find_what_plain_lookups_find(model, monkeypatch):
    rng = np.random.default_rng(0)
    table = model.keys[3]
    queries = np.r_[table[rng.integers(0, len(table), 500)],
                    rng.integers(0, int(table[-1]) + 10, 500, dtype=np.uint64)]
    plain = diacritics._lookup(table, queries)
    monkeypatch.setattr(diacritics, "SORTED_LOOKUP_TABLE", 0)
    monkeypatch.setattr(diacritics, "SORTED_LOOKUP_QUERIES", 0)
    ordered = diacritics._lookup(table, queries)
    assert (plain[0] == ordered[0]).all() and (plain[1] == ordered[1]).all()
    assert plain[0][:500].all()
    # Runs of one query (the contexts of a window's candidates) are looked up once each.
    runs = diacritics._lookup(table, np.repeat(queries, 3))
    assert (runs[0] == np.repeat(plain[0], 3)).all() and (runs[1] == np.repeat(plain[1], 3)).all()


def test_coarse_pruning_keeps_a_subset_of_the_local_candidates(model):
    forms = ["chuyen", "dung", "duong", "truyen", "so", "lieu", "chuyen", "dung"]
    lattice = diacritics._padded(model, diacritics.FlatLattice.of(
        [(list(model.candidates[f]), [0.0] * len(model.candidates[f])) for f in forms]), 4)
    wide, wide_indices = diacritics._prune_locally(model, lattice, diacritics.LOCAL_BEAM,
                                                   diacritics.LOCAL_MAX_KEPT)
    kept, indices = diacritics._prune(model, lattice, 4, diacritics.DEFAULT_BEAM,
                                      diacritics.DEFAULT_MAX_KEPT)
    assert (kept.widths <= wide.widths).all()
    assert (kept.widths <= diacritics.DEFAULT_MAX_KEPT).all() and (kept.widths >= 1).all()
    for position in range(len(kept.widths)):
        wide_ids = set(_by_position(wide, wide.ids)[position].tolist())
        assert set(_by_position(kept, kept.ids)[position].tolist()) <= wide_ids
    assert (lattice.ids[lattice.offsets[kept.positions] + indices] == kept.ids).all()


def test_tone_style_is_the_placement_a_text_mostly_uses():
    from normalize.diacritics import tone_style

    assert tone_style("Hoà bình, thuỷ lợi, hoá học và sức khỏe") == "new"
    assert tone_style("Hòa bình, thủy lợi") == "old"
    assert tone_style("thuy loi, hoa binh") == "old"  # nothing shows: the corpus majority
    restored = restore_diacritics("thuy loi va hoa binh", tone_style=tone_style("Hoà")).text
    assert restored == "thuỷ lợi và hoà bình"
