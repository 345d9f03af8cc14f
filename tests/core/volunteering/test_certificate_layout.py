"""How the 志愿服务记录证明 is laid out on paper (core.volunteering.certificate.render): A4 with
15 mm margins, the title centred in 18 pt, the text in 11 pt, the table in 9 pt across the page
with its columns' widths and alignments, the shaded heading repeated on each page, rows kept
clear of the page footer, and the face of a font collection that was chosen being the one
embedded. Read back from the PDF's text operators (positions in millimetres from the page's
top left, rounded to a tenth); no database is needed."""

from __future__ import annotations

import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from core.volunteering import certificate
from tests.pdf_layout import A4, PT, at, runs


def _rows(n: int) -> list[SimpleNamespace]:
    """n certified records as `render` reads them: odd ones 1.5 h, even ones 10 h."""
    return [
        SimpleNamespace(
            hours="10.0" if i % 2 == 0 else "1.5",
            served_on=date(2026, 3, 1 + (i - 1) % 28),
            title=f"环境整治第{i}期",
            organiser="第1社区",
            certified_by_label="李书记",
        )
        for i in range(1, n + 1)
    ]


def _pdf(n: int = 45, font=None) -> PdfReader:
    data = certificate.render(
        "欧阳娜娜", _rows(n), date(2026, 1, 1), date(2026, 5, 31), "第1社区", date(2026, 6, 1), font
    )
    return PdfReader(io.BytesIO(data))


@pytest.fixture
def reader() -> PdfReader:
    """45 rows: two pages. Made for each test (not once per module) so that mutmut, which maps
    each test to the functions it calls, sees every one of them call `render`."""
    return _pdf()


def test_the_certificate_is_a4_its_title_centred_in_18_point_and_its_text_in_11(reader):
    first = reader.pages[0]
    assert [round(float(v) * PT) for v in first.mediabox[2:]] == list(A4)
    page = runs(first)
    # eight full-width characters of 18 pt, centred between the page's edges, on the first
    # 12 mm line under the 15 mm top margin
    title_x, title_y, title_size = at(page, "志愿服务记录证明")
    assert title_size == 18
    assert title_x == round((A4[0] - 8 * 18 * PT) / 2, 1) == 79.6
    assert title_y == 22.9
    # the text 4 mm under the title, 11 pt, 7 mm lines, 1 mm inside the 15 mm left margin
    assert at(page, "兹证明欧阳娜娜于2026年1月1日") == (16.0, 35.7, 11)
    assert at(page, "条，合计 254.5 小时，明细如下：") == (16.0, 42.7, 11)


def test_the_table_spans_the_margins_in_its_columns_widths_and_alignments(reader):
    page = runs(reader.pages[0])
    # the heading 3 mm under the text, in 9 pt; the columns 10, 22, 58, 24, 36 and 30 mm wide
    # from the left margin to the right one (15 + 180 mm): 序号 and 服务日期 centred, the
    # hours right-aligned, the rest left-aligned 1 mm inside their column
    assert at(page, "序号") == (round(15 + (10 - 2 * 9 * PT) / 2, 1), 52.0, 9)
    assert at(page, "服务日期") == (29.7, 52.0, 9)  # 25 + (22 - 4 × 9 pt) / 2
    assert at(page, "服务内容") == (48.0, 52.0, 9)
    assert at(page, "时长（小时）") == (round(129 - 1 - 6 * 9 * PT, 1), 52.0, 9)
    assert at(page, "组织单位") == (130.0, 52.0, 9)
    assert at(page, "认证人") == (166.0, 52.0, 9)
    # rows of 6 mm under it
    first_row = [r for r in page if r[1] == 58.0]
    assert [(x, text) for x, _, _, text in first_row] == [
        (19.1, "1"),
        (27.8, "2026-03-01"),
        (48.0, "环境整治第1期"),
        (123.6, "1.5"),
        (130.0, "第1社区"),
        (166.0, "李书记"),
    ]
    assert at(page, "环境整治第2期")[1] == 64.0
    # right-aligned hours: the longer number starts further left, both end at 128 mm
    assert at(page, "10.0")[0] == 121.8 < at(page, "1.5")[0]
    # centred numbers: a two-digit one starts further left than a one-digit one
    numbers = {text: x for x, _, _, text in page if text in ("1", "10")}
    assert numbers["10"] == 18.2 < numbers["1"]


def test_rows_stop_above_the_bottom_margin_under_a_shaded_heading_on_each_page(reader):
    assert len(reader.pages) == 2
    first, second = (runs(p) for p in reader.pages)
    # 37 rows fit above the 18 mm bottom margin: the 37th's baseline at 274 mm, the 38th
    # starts the next page under its heading, at the 15 mm top margin
    assert at(first, "环境整治第37期")[1] == 274.0
    assert not any(text.startswith("环境整治第38期") for _, _, _, text in first)
    assert at(second, "序号")[1] == 19.0
    assert at(second, "环境整治第38期")[1] == 25.0
    # the heading cells, and only they, are filled light grey (235, 235, 235) on every page
    for page in reader.pages:
        fills = re.findall(r"([\d.]+ [\d.]+ [\d.]+) rg", page.get_contents().get_data().decode())
        assert fills and set(fills) == {"0.9216 0.9216 0.9216"}
    # the closing lines 4 mm under the table, 11 pt, 7 mm apart (the basis takes two lines)
    assert at(second, "合计：254.5 小时") == (16.0, 77.7, 11)
    assert at(second, "依据《志愿服务记录与证明出具办法") == (16.0, 84.7, 11)
    assert at(second, "出具单位（盖章）：第1社区") == (16.0, 98.7, 11)
    assert at(second, "出具日期：2026年6月1日") == (16.0, 105.7, 11)


def test_each_page_has_its_footer_centred_in_8_point_12_mm_above_the_bottom(reader):
    for number, page in enumerate(reader.pages, 1):
        text = "志愿服务记录证明 · 欧阳娜娜 · 第"
        assert at(runs(page), text) == (72.8, 288.8, 8)
        assert f"第 {number} 页 / 共 2 页" in page.extract_text().replace("\x00", "")


def test_the_chosen_face_of_a_font_collection_is_the_one_embedded():
    """Noto Sans CJK's collection holds the Japanese face first; the Simplified Chinese face
    chosen (its index in the collection) is the one the certificate carries."""
    path, index = certificate.system_cjk_fonts()[0]
    assert index != 0
    page = _pdf(1, font=(path, index)).pages[0]
    faces = [str(f["/BaseFont"]) for f in page["/Resources"]["/Font"].values()]
    assert len(faces) == 1 and faces[0].endswith("+NotoSansCJKSC")


def test_a_full_page_of_rows_reaches_down_to_the_bottom_margin():
    """On a page under its repeated heading (15 mm margin, 6 mm heading) 43 rows of 6 mm fit:
    the last ends exactly on the 18 mm bottom margin (279 mm), and only the 81st row, which
    would cross it, goes over to the next page."""
    second, third = (runs(p) for p in _pdf(81).pages[1:])
    rows = [text for _, _, _, text in second if text.startswith("环境整治")]
    assert len(rows) == 43 and rows[-1] == "环境整治第80期"
    assert at(second, "环境整治第80期")[1] == 277.0
    assert at(third, "环境整治第81期")[1] == 25.0


def _stretched(reader: PdfReader) -> list[str]:
    """The PDF's TJ operators: fpdf2 draws a justified line's words with spacing adjustments in
    a TJ array, and a line set flush left as one string (Tj)."""
    return [
        op
        for page in reader.pages
        for op in re.findall(rb"\[[^\]]*\] TJ", page.get_contents().get_data())
    ]


def test_the_text_is_set_flush_left_its_spaces_never_stretched_to_the_margin():
    """The opening text wraps after "共 45" with a space in its first line, and a long issuer
    with spaces in its community's name wraps too: each line keeps its natural spacing, ragged
    on the right, rather than being stretched to the right margin."""
    issuer = "、".join(f"Green Lane 第{i}社区" for i in range(1, 9))
    data = certificate.render(
        "欧阳娜娜", _rows(1), date(2026, 1, 1), date(2026, 5, 31), issuer, date(2026, 6, 1)
    )
    pdf = PdfReader(io.BytesIO(data))
    page = runs(pdf.pages[0])
    assert page[1][3].endswith("经组织单位认证的服务记录共 1")  # the opening text wraps
    assert len([text for _, _, _, text in page if "Green Lane" in text]) == 2  # the issuer too
    assert _stretched(pdf) == []
