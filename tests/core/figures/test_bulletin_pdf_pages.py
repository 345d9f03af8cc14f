"""The bulletin's PDF as a document (`core.figures.bulletin_pdf.render`): the properties a
viewer shows and files it under, and where the lines to sign fall when the definitions end near
a page's foot. The month is `tests/core/figures/bulletin_month.py`'s, made by hand, with the
crowded rankings of `test_bulletin_pdf_layout.py`: no database, only the app's default
settings."""

from __future__ import annotations

import io
from datetime import datetime

from pypdf import PdfReader

from core.figures import bulletin_pdf
from tests.core.figures import bulletin_month
from tests.core.figures.test_bulletin_pdf_layout import _crowded, settings  # noqa: F401
from tests.pdf_layout import at, runs


def _pdf(b) -> PdfReader:
    return PdfReader(io.BytesIO(bulletin_pdf.render(b)))


def _followed(n: int) -> list:
    return [
        bulletin_month.notable(
            20 + i, f"W2026111200{i}", "井盖松动", datetime(2026, 11, 14, 3), followers=4
        )
        for i in range(n)
    ]


def test_the_pdf_is_titled_after_the_bulletin_and_made_by_the_app():
    b = bulletin_month.month()
    meta = _pdf(b).metadata
    assert meta.title == b.title == "示范街道小巷管家工作2026年11月通报"
    assert meta.creator == "小巷管家"


def test_lines_to_sign_that_would_fall_near_a_pages_foot_start_the_next_page():
    # eight communities and two most-followed items: the last definition's line ends 259.4 mm
    # down the second page, 37.6 mm above the paper's edge; 制表 / 审核 / 日期 would still fit
    # above the 18 mm margin, but they open the third page instead, 10 mm under its top margin
    b = bulletin_month.month(communities=_crowded(8), most_followed=_followed(2))
    pages = _pdf(b).pages
    assert len(pages) == 3
    second, third = runs(pages[1]), runs(pages[2])
    assert max(y for _, y, size, _ in second if size == 8.5) == 257.8
    assert at(third, "制表：") == (16.0, 30.2, 11)
    assert at(third, "日期：") == (136.0, 30.2, 11)
    assert [t for _, _, size, t in third if size != 8] == [
        "制表：__________",
        "审核：__________",
        "日期：____年__月__日",
    ]


def test_definitions_running_past_a_pages_foot_continue_on_the_next_page():
    # nine communities and three most-followed items: the definitions start low on the second
    # page; their lines stop above the 18 mm bottom margin (279 mm) and go on at the third's top
    b = bulletin_month.month(communities=_crowded(9), most_followed=_followed(3))
    pages = _pdf(b).pages
    assert len(pages) == 3
    second, third = runs(pages[1]), runs(pages[2])
    body = [r for r in second if r[2] != 8]  # all but the footer
    assert max(y for _, y, _, _ in body) == 274.4
    assert third[0][:3] == (16.0, 18.4, 8.5)
    assert at(third, "制表：") == (16.0, 35.2, 11)


def test_a_rare_character_is_drawn_with_the_systems_simplified_chinese_face():
    # 龘 is not in the shipped subset: the PDF embeds the face fontconfig names for zh-CN, the
    # Simplified Chinese one of the Noto Sans CJK collection, not the collection's first
    lines = bulletin_month.communities()
    lines[0].row.name = "龘社区"
    page = _pdf(bulletin_month.month(communities=lines)).pages[0]
    names = {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    assert len(names) == 1
    assert names.pop().endswith("+NotoSansCJKSC")


def test_lines_to_sign_that_fit_stay_under_the_definitions():
    # ten communities and no most-followed item: the last definition's line ends 256.2 mm down
    # the second page, above the 257 mm past which the lines to sign would go to a new page
    b = bulletin_month.month(communities=_crowded(10), most_followed=[])
    pages = _pdf(b).pages
    assert len(pages) == 2
    second = runs(pages[1])
    assert max(y for _, y, size, _ in second if size == 8.5) == 254.6
    assert at(second, "制表：") == (16.0, 271.4, 11)


def test_a_line_of_the_definitions_that_ends_just_above_the_bottom_margin_stays_on_its_page():
    # nine communities and five most-followed items: a definition's last line ends at 278.4 mm,
    # inside the page's 18 mm bottom margin's limit (279 mm), so it stays on the second page
    b = bulletin_month.month(communities=_crowded(9), most_followed=_followed(5))
    pages = _pdf(b).pages
    assert at(runs(pages[1]), "星或回访满意）") == (16.0, 276.8, 8.5)
    assert runs(pages[2])[0][:3] == (16.0, 18.4, 8.5)
    assert runs(pages[2])[0][3].startswith("超期：")
