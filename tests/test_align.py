from extract.lined import split_label, split_row
from extract.types import Line
from mapping.align import AlignItem, CatalogProfile, align
from mapping.catalog import get_catalog


def read_row(entry, lines: list[str]):
    """``split_row`` on lines of the catalog ``entry``'s row."""
    return split_row(lines, entry.description, entry.unit, entry.codebook)


def test_order_decides_a_misread_label():
    """A `1.2` printed between 7.1 and 7.3 is 7.2: the document follows the template."""
    pl1 = get_catalog("tn2025.pl1")
    items = [
        AlignItem("Cap nhat Kien truc chinh quyen dien tu phien ban 2.0", "7.1."),
        AlignItem("Xay dung va van hanh He thong hop truc tuyen Chua co =0", "1.2"),
        AlignItem("He thong thong tin bao cao va ket noi voi He thong thong tin", "7.3."),
    ]
    rows = [m.entry.row for m in align(pl1, items).matches]
    assert rows == ["7.1", "7.2", "7.3"]


def test_unlabelled_trong_do_rows_follow_their_parent():
    pl1 = get_catalog("tn2025.pl1")
    items = [
        AlignItem("Ty le DVC truc tuyen toan trinh du dieu kien % 0", "3.2.1."),
        AlignItem("Tong so DVC du dieu kien len truc tuyen toan trinh DVC 41", None,
                  trong_do=True),
        AlignItem("So DVC truc tuyen co phat sinh ho so truc tuyen DVC 12", "3.2.2."),
    ]
    rows = [m.entry.row for m in align(pl1, items).matches]
    assert rows == ["3.2.1", "3.2.1.a", "3.2.2"]


def test_where_the_trong_do_cell_shows():
    def at(text):
        return split_label(Line(text=text, page=1, number=1)).trong_do_at

    assert at("Trong") == "open"
    assert at("Trong đó") == "open"
    assert at("Trong | S6 DVSN ty bao dam tir 30% - dudi 70% chi thuong") == "trong"
    assert at("do | xuyén") == "do"
    assert at("g do; 3 ae er") == "do"
    assert at("3.2.1. Ty le DVC") is None


def test_trong_do_opens_the_child_beside_the_group_middle():
    """A line of its own opens the first child; OCR prints "Trong" beside the child above the
    middle of the merged cell (first of two, second of three) and "đó" beside the next one."""
    pl2 = CatalogProfile(get_catalog("tn2025.pl2"))
    rows = {at: {pl2.entries[k].row for k in ks} for at, ks in pl2.trong_do_rows.items()}
    assert {"2.4.a", "6.2.4.a"} <= rows["open"]  # 2.4 has two children, 6.2.4 three
    assert "2.4.a" in rows["trong"] and "6.2.4.b" in rows["trong"]
    assert "2.4.b" in rows["do"] and "6.2.4.c" in rows["do"]


def test_value_and_note_are_separated():
    entry = get_catalog("tn2025.pl1").get("tn2025.pl1/3.2.2")
    text = read_row(entry, [
        "TVIE DVC cd phat sinh hd so ndp truc tuyén (Toan trinh + % 29.3% 12/41 TTHC",
        "Mot phén)"])
    assert text.value == "29.3%"
    assert text.note == "12/41 TTHC"


def test_codebook_in_unit_column_is_not_a_value():
    entry = get_catalog("tn2025.pl2").get("tn2025.pl2/1.4.2")
    text = read_row(entry, ["Hình thức khảo sát", "Trực tuyến = 0", "Phát phiếu = 1", "Kết hợp = 2",
                            "2"])
    assert text.value == "2" and text.note is None


def test_unit_read_through_digit_lookalikes_anchors_the_value():
    """``Triéu d6éng | 53.561``: the unit "Triệu đồng" OCR'd with a 6 for ô still anchors the
    value instead of making it look garbled."""
    entry = get_catalog("tn2025.pl2").get("tn2025.pl2/6.1.a")
    text = read_row(entry, ["Ké hoach dugc giao Triéu d6éng | 53.561 phé duyét"])
    assert text.value == "53.561"
    assert "value-garbled" not in text.reasons


def test_a_stray_dot_after_the_value_is_not_part_of_it():
    entry = get_catalog("tn2025.pl2").get("tn2025.pl2/3.2.4")
    text = read_row(entry, ["Ty 1 hé so truc tuyén mot phan % 33,3. |Khdéng phat sinh"])
    assert text.value == "33,3"
    assert text.note == "Khdéng phat sinh"


def test_two_numbers_side_by_side_leave_the_value_in_doubt():
    entry = get_catalog("tn2025.pl1").get("tn2025.pl1/7.5.1")
    text = read_row(entry, ["Tỷ lệ cơ quan, đơn vị thuộc, trực thuộc đã kết nối, liên",
                            "T T e o A 1 100"])
    assert "value-position-uncertain" in text.reasons


def test_two_readings_of_a_row_that_disagree_flag_it():
    """A row is read from its repaired words and again as OCR printed them; different values
    mean the value is unsure."""
    from mapping.tables import _cross_check

    entry = get_catalog("tn2025.pl1").get("tn2025.pl1/1.3.1")
    repaired = read_row(entry, ["Tổng số nhiệm vụ được giao Nhiệm vụ 141"])
    as_read = read_row(entry, ["Tong s6 nhiém vu duoc giao Nhiém vy 141"])
    _cross_check(repaired, as_read)
    assert repaired.value == "141" and "value-readings-differ" not in repaired.reasons
    garbled = read_row(entry, ["Tong s6 nhiém vu duoc giao Nhiém vy l4l"])
    _cross_check(repaired, garbled)
    assert "value-readings-differ" in repaired.reasons


def test_a_code_row_takes_the_number_in_its_code_book():
    """``4 0`` beside "Không = 0 / Có = 1": 4 is junk, 0 the value (and it is flagged)."""
    entry = get_catalog("tn2025.pl1").get("tn2025.pl1/1.5")
    text = read_row(entry, ["Tổ chức đối thoại của lãnh đạo sở, ngành với người | Không = 0",
                            "A A x nn 4 0", "dân, cộng đồng doanh nghiệp Có=1"])
    assert text.value == "0"
    assert "value-position-uncertain" in text.reasons


def test_two_printed_values_make_two_rows():
    """OCR'd rows print their value on one line: a child row whose text is garbled is still
    its own row when the next line prints a second value."""
    pl2 = get_catalog("tn2025.pl2")
    items = [
        AlignItem("Ty le ho so truc tuyen mot phan % 2%", "3.2.4."),
        AlignItem("vets si dae A tat DVCTT mdt phan (gem ho so truc Ho so 196"),
        AlignItem("So ho so nop truc tuyen cua cac DVCTT mot phan Ho so 04"),
        AlignItem("Ty le TTHC duoc tich hop, trien khai thanh toan truc % 100%", "3.2.5."),
    ]
    rows = [m.entry.row for m in align(pl2, items).matches]
    assert rows == ["3.2.4", "3.2.4.a", "3.2.4.b", "3.2.5"]


def test_a_percent_unit_read_as_9_is_not_the_value():
    entry = get_catalog("tn2025.pl2").get("tn2025.pl2/1.1")
    text = read_row(entry, ["Ty lé hoan thanh Chuong trinh CCHC giai doan 2021 -",
                            "9 42 Thuc hién theo Ké", "2025 < hoach s6 62/KH-UBND"])
    assert text.value == "42"
    assert "value-position-uncertain" in text.reasons


def test_a_number_without_its_unit_cell_is_in_doubt():
    """``tuyén) 9`` under a row whose unit "Người" OCR lost: the 9 may be anything."""
    entry = get_catalog("tn2025.pl1").get("tn2025.pl1/5.2.1")
    text = read_row(entry, ["So cong chic dugc tuyén dung (thi tuyén, xét Nauvi", "tuyén) 9"])
    assert text.value == "9" and "value-without-unit" in text.reasons
    clean = read_row(entry, ["Số công chức được tuyển dụng (thi tuyển, xét tuyển) Người 9"])
    assert clean.value == "9" and "value-without-unit" not in clean.reasons


def test_a_decimal_comma_read_as_a_semicolon():
    entry = get_catalog("tn2025.pl1").get("tn2025.pl1/1.1")
    text = read_row(entry, ["Ty lé hoan thanh Chuong trinh CCHC giai doan =", "2021 - 2025 % 12;9"])
    assert text.value == "12,9" and "number-format-ambiguous" in text.reasons
