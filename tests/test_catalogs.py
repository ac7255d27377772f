
from mapping.catalog import get_catalog, load_catalogs


def test_all_catalog_families_exist():
    ids = {c.id for c in load_catalogs()}
    assert {"tn2025.pl1", "tn2025.pl2", "tn2025.dm"} <= ids
    assert {f"tn2025.pl3.b{i}" for i in range(1, 8)} <= ids
    assert {f"dc.pl{i}" for i in range(1, 10)} <= ids


def test_id_scheme_and_trong_do_rows():
    pl1 = get_catalog("tn2025.pl1")
    assert pl1.get("tn2025.pl1/3.2.1.a").description.startswith("Tổng số DVC đủ điều kiện")
    assert pl1.get("tn2025.pl1/3.2.1.b").description == "Số lượng DVC trực tuyến toàn trình"
    pl2 = get_catalog("tn2025.pl2")
    assert pl2.get("tn2025.pl2/3.1.3.b").description == "Số TTHC cấp xã"
    assert pl2.get("tn2025.pl2/4.1.5") is not None  # printed 4.1.5 kept as printed


def test_kinds_codebooks_and_rate_parts():
    pl1 = get_catalog("tn2025.pl1")
    rate = pl1.get("tn2025.pl1/1.1")
    assert rate.kind == "rate"
    assert (rate.denominator, rate.numerator) == ("tn2025.pl1/1.1.a", "tn2025.pl1/1.1.b")
    assert pl1.get("tn2025.pl1/1.5").codebook == {"0": "Không", "1": "Có"}
    assert pl1.get("tn2025.pl1/6.1.a").kind == "amount"
    assert pl1.get("tn2025.pl1/1").kind == "section"
    assert pl1.get("tn2025.pl1/4.1.2").numerator is None  # "cắt giảm so với năm 2015"
    assert get_catalog("tn2025.dm").get("tn2025.dm/3").responsible == "Văn phòng UBND tỉnh"


def test_per_year_catalog_periods():
    assert get_catalog("dc.pl1").periods[-1] == "2025-03-31"
    assert get_catalog("dc.pl2").periods == ["2021", "2022", "2023", "2024", "2025-03-31"]
