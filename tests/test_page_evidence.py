"""Issue 9, the pieces: legacy fonts by name, signature stamps and fields, the text-layer or
image decision, page orientation. Fast unit tests; the end-to-end runs are in
test_real_pdfs.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest

from extract.evidence import PageEvidence, choose_source, legibility
from extract.orient import looks_sideways, turn
from extract.signature import LayerLine, parse_stamp, pdf_date, signature_fields, stamp_clusters
from normalize.fonts import decode_font_text, encoding_for_font, legacy_lookalikes

REAL = Path(__file__).parent / "data" / "real"


@pytest.mark.parametrize("name, expected", [
    (".VnTime", "tcvn3"),
    ("CCBOEA+.VnTime", "tcvn3"),
    (".VnTime,Bold", "tcvn3"),
    ("VnTimeBoldItalic", "tcvn3"),
    (".VnTimeH", "tcvn3-capitals"),
    ("FBHPFN+VnTimeHBold", "tcvn3-capitals"),
    (".VnArial NarrowH", "tcvn3-capitals"),
    (".VnTimeH Tur", "tcvn3-capitals"),  # Word's charset variant
    ("VNI-Times", "vni"),
    ("VNI-Helve-Condense", "vni"),
    ("TimesNewRomanPSMT", None),
    ("VNtimes new roman", None),  # a Unicode font, despite its name
    ("ArialMT", None),
])
def test_font_names_say_their_encoding(name, expected):
    assert encoding_for_font(name) == expected


def test_legacy_font_text_is_decoded_with_the_pdf_substitutes():
    def pdf(text, encoding):
        return decode_font_text(legacy_lookalikes(text), encoding)

    # U+2212 MINUS SIGN stands for TCVN3's 0xAD (ư), U+2219 for 0xB7 (ã)
    assert pdf("n\u2212íc ngoµi", "tcvn3") == "nước ngoài"
    assert pdf("céng hoµ x\u2219 héi", "tcvn3-capitals") == "CỘNG HOÀ XÃ HỘI"
    assert pdf("Vieät Nam", "vni") == "Việt Nam"
    # a symbolic font without a Unicode map: code 0xB5 extracted as U+F0B5
    assert legacy_lookalikes("\uf0b5") == "µ" and legacy_lookalikes("Độc") == "Độc"


def test_stamp_lines_parse_into_a_signature():
    labelled = parse_stamp(["Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi", "Cơ quan: Tỉnh Quảng Ngãi",
                            "Thời gian ký: 24/01/2025 14:23:43"])
    assert (labelled.signer, labelled.organisation, labelled.signed_at) == (
        "Ủy ban nhân dân tỉnh Quảng Ngãi", "Tỉnh Quảng Ngãi", "2025-01-24T14:23:43")
    unlabelled = parse_stamp(["TRUNG TÂM CÔNG", "BÁO VÀ TIN HỌC", "ttcbth@quangngai.gov.vn",
                              "10.02.2025 07:35:42", "+07:00"])
    assert (unlabelled.signer, unlabelled.email, unlabelled.signed_at) == (
        "TRUNG TÂM CÔNG BÁO VÀ TIN HỌC", "ttcbth@quangngai.gov.vn", "2025-02-10T07:35:42+07:00")
    government = parse_stamp(["Người ký: CỔNG THÔNG TIN ĐIỆN TỬ CHÍNH PHỦ",
                              "Email: thongtinchinhphu@chinhphu.vn",
                              "Cơ quan: VĂN PHÒNG CHÍNH PHỦ",
                              "Thời gian ký: 10.10.2025 14:12:02 +07:00"])
    assert (government.signer, government.organisation, government.email,
            government.signed_at) == ("CỔNG THÔNG TIN ĐIỆN TỬ CHÍNH PHỦ", "VĂN PHÒNG CHÍNH PHỦ",
                                      "thongtinchinhphu@chinhphu.vn", "2025-10-10T14:12:02+07:00")
    assert pdf_date("D:20250124142343+07'00'") == "2025-01-24T14:23:43+07:00"


def _line(text: str, y: float, x: float = 350) -> LayerLine:
    return LayerLine(text, (x, y, x + 6 * len(text), y + 8))


def test_only_stamp_clusters_are_stamps():
    lines = [_line("TRUNG TÂM CÔNG BÁO", 10), _line("VÀ TIN HỌC", 17),
             _line("ttcbth@quangngai.gov.vn", 25), _line("24.01.2025 20:06:24 +07:00", 33),
             # the body: an e-mail and a date in running text are no stamp
             _line("Liên hệ: vanphong@quangngai.gov.vn", 200, 70),
             _line("Hạn nộp báo cáo: 24/01/2025", 209, 70),
             _line("trước 17:00 ngày làm việc cuối tuần.", 218, 70),
             _line("Kính gửi các sở, ban, ngành của tỉnh và các huyện.", 227, 70)]
    assert stamp_clusters(lines, []) == [[0, 1, 2, 3]]


def test_signature_field_gives_the_certificate_and_time():
    with pymupdf.open(REAL / "qn-07-ct-2018-thi-hanh-an.pdf") as doc:
        (field,) = signature_fields(doc, doc[0])
    assert (field.name, field.signer, field.organisation, field.unit, field.email,
            field.signed_at) == ("Signature1", "Trung tâm Công báo và Tin học", "Tỉnh Quảng Ngãi",
                                 "Văn phòng Ủy ban Nhân dân", None, "2018-03-21T16:41:00+07:00")


@pytest.mark.parametrize("evidence, source, because", [
    (PageEvidence(0, stamp_chars=150, image_cover=1.0), "ocr", "only a signature stamp"),
    (PageEvidence(0, image_cover=1.0), "ocr", "no text layer"),
    (PageEvidence(1623, text_cover=0.37, image_cover=1.0, invisible=1.0, legible=0.58), "ocr",
     "only 58% of its words legible"),
    (PageEvidence(300, text_cover=0.02, image_cover=1.0, print_covered=0.1), "ocr",
     "lies over only 10% of the lines printed"),
    (PageEvidence(1623, text_cover=0.37, image_cover=1.0, invisible=1.0, legible=0.95),
     "text-layer", "invisible text layer"),
    (PageEvidence(1972, stamp_chars=80, text_cover=0.31), "text-layer", "no page image"),
    (PageEvidence(1951, text_cover=0.42, fonts_decoded="tcvn3"), "text-layer",
     "TCVN3 fonts decoded"),
])
def test_text_layer_or_image_on_evidence(evidence, source, because):
    chosen, reason = choose_source(evidence)
    assert chosen == source and because in reason


def test_legibility_tells_a_poor_ocr_layer_from_vietnamese():
    assert legibility(["Căn cứ Nghị định số 37/2025/NĐ-CP ngày 26 tháng 02 năm 2025"]) == 1.0
    poor = legibility(["Can ca.Nght clink so 303/2025/ND-CP ngay 19 thcing 11 nom 2025 cna",
                       "quy dinh chirc ming, nhiem vy, quydn hgn va ea eciu to chirc cria bo"])
    assert poor < 0.6


def test_sideways_text_is_seen_in_the_ink():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="dv", fontfile="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    prose = (Path(__file__).parents[1] / "bench" / "data" / "real_transcripts" /
             "qn-23-bc-2025-cchc.p1.txt").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(prose[10:40]):
        page.insert_text((60, 80 + 22 * n), line, fontname="dv", fontsize=10)
    pix = page.get_pixmap(dpi=100, colorspace=pymupdf.csGRAY)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
    assert not looks_sideways(image)
    assert looks_sideways(turn(image, 90)) and looks_sideways(turn(image, 270))
    assert turn(image, 90).shape == image.shape[::-1]
