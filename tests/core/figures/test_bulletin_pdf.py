"""The monthly bulletin as a printable PDF (`core.figures.bulletin_pdf`), its text read back with
pypdf from a month made by hand (`tests/core/figures/bulletin_month.py`): the title block, the
month at a glance, 红榜 and 待改进 with the figures behind each place, both rankings row by row
in their order (a rate over its counts, the unranked and the idle named under the table), the
notable items, the definitions, the lines to sign and every page's footer; what each part says
when it has nothing to show; a long name cut to its cell; the header repeated on a new page."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from core.boards import fonts
from core.figures import bulletin, bulletin_pdf
from core.figures.bulletin import Line
from core.figures.league import Row
from core.volunteering.certificate import system_cjk_fonts
from tests.core.figures import bulletin_month


def _pages(b=None) -> list[list[str]]:
    """Each page's lines, every space (the text layer spaces out CJK characters) removed."""
    reader = PdfReader(io.BytesIO(bulletin_pdf.render(b or bulletin_month.month())))
    pages = []
    for page in reader.pages:
        lines = [re.sub(r"\s", "", x) for x in page.extract_text().replace("\x00", "").split("\n")]
        pages.append([x for x in lines if x])
    return pages


def _between(lines: list[str], first: str, last: str) -> list[str]:
    return lines[lines.index(first) + 1 : lines.index(last)]


TITLE = "示范街道小巷管家工作2026年11月通报"


def test_the_bulletin_opens_with_its_title_street_period_and_the_month_at_a_glance(app):
    pages = _pages()
    assert pages[0][:10] == [
        TITLE,
        "示范街道2026年11月",
        "统计期间：2026年11月01日至2026年11月30日",
        "生成日期：2026年12月02日10:30",  # made at 02:30 UTC: Shanghai's time
        "一、总体情况",
        "本月全街道4个社区共反映诉求26件，办结17件，目前超期未办结3件；吹哨交办部门、物业11件。",
        "响应率按期办结率解决率满意率",
        "84.6%（22/26）76.9%（20/26）88.2%（15/17）86.7%（13/15）",
        "本月办结的17件中：现场解决11件；上报社区4件；吹哨联合2件（易事即办、实事快办、难事联办）。",
        "二、红榜与待改进",
    ]


def test_the_boards_name_each_place_with_its_score_and_the_figures_behind_it(app):
    lines = [x for page in _pages() for x in page]
    assert _between(lines, "二、红榜与待改进", "三、社区排名") == [
        "红榜（社区）",
        "第1名第1社区100.0分",
        "件数8响应率100.0%（8/8）按期办结率100.0%（8/8）解决率100.0%（6/6）满意率100.0%（6/6）",
        "待改进（社区）",
        "第3名第3社区44.9分",
        "件数6响应率50.0%（3/6）按期办结率33.3%（2/6）解决率50.0%（1/2）满意率—（0/0）",
        "红榜（部门与物业）",
        "第1名幸福物业96.0分",
        "件数5响应率100.0%（5/5）按期办结率80.0%（4/5）解决率100.0%（3/3）满意率100.0%（3/3）",
        "待改进（部门与物业）",
        "第2名住建办41.2分",
        "件数6响应率50.0%（3/6）按期办结率50.0%（3/6）解决率50.0%（2/4）满意率25.0%（1/4）",
    ]


def test_the_rankings_read_row_by_row_each_rate_over_its_counts(app):
    lines = [x for page in _pages() for x in page]
    assert _between(lines, "三、社区排名", "四、部门与物业排名") == [
        "排名名称件数响应率按期办结率解决率满意率超期得分",
        "1第1社区8100.0%8/8100.0%8/8100.0%6/6100.0%6/60100.0",
        "2第2社区1090.0%9/1080.0%8/1087.5%7/875.0%6/8281.9",
        "3第3社区650.0%3/633.3%2/650.0%1/2—0/0144.9",
        "—第4社区2100.0%2/2100.0%2/2100.0%1/1100.0%1/10100.0",
        "“—”为当月件数少于5件、只列出不参与排名的：第4社区。绿色为红榜，红色为待改进。",
    ]
    units = _between(lines, "四、部门与物业排名", f"{TITLE}第1页/共2页")
    assert units == [
        "排名单位件数响应率按期办结率解决率满意率超期得分",
        # the unit's kind and, for a property company, its community under its name
        "1幸福物业物业·第2社区5100.0%5/580.0%4/5100.0%3/3100.0%3/3096.0",
        "2住建办部门650.0%3/650.0%3/650.0%2/425.0%1/4141.2",
        # a unit with nothing this month: one line under the table, not a row of dashes
        "本月没有交办事项的：城管办。",
        "绿色为红榜，红色为待改进。",
    ]


def test_the_notable_items_the_definitions_and_the_lines_to_sign_end_it(app):
    pages = _pages()
    assert [page[-1] for page in pages] == [f"{TITLE}第1页/共2页", f"{TITLE}第2页/共2页"]
    lines = pages[1]
    assert lines[:8] == [
        "五、本月重点事项",
        "超期最久（月末仍未办结）",
        "编号社区/街巷类别内容超期天数",
        "W20261105001第2社区2巷设施损坏路灯坏了没人修23天住建办",
        "W20261120002第3社区3巷安全隐患楼道堆物7天",
        "关注最多（本月反映）",
        "编号社区/街巷类别内容关注人数",
        "W20261112003第2社区2巷设施损坏井盖松动4人",
    ]
    assert lines[8] == "六、统计口径"
    with_app_definitions = "".join(lines[9:-2])
    for text in bulletin.definitions(bulletin_month.month()):
        assert re.sub(r"\s", "", text) in with_app_definitions
    assert lines[-2] == "制表：__________审核：__________日期：____年__月__日"


def test_each_part_with_nothing_to_show_says_so_in_a_line(app):
    lines = [x for page in _pages(bulletin_month.quiet()) for x in page]
    assert "—（0/0）—（0/0）—（0/0）—（0/0）" in lines
    assert _between(lines, "二、红榜与待改进", "五、本月重点事项") == [
        "参与排名的社区不足两个，本月不设红榜和待改进。",
        "参与排名的部门与物业不足两个，本月不设红榜和待改进。",
        "三、社区排名",
        "本街道还没有社区。",
        "四、部门与物业排名",
        "本街道还没有登记部门或物业。",
    ]
    assert _between(lines, "五、本月重点事项", "六、统计口径") == [
        "超期最久（月末仍未办结）",
        "月末没有超期未办结的诉求。",
        "关注最多（本月反映）",
        "本月反映的诉求没有人关注。",
    ]


def test_units_with_nothing_this_month_are_one_line_and_a_ranking_without_the_unranked_note(app):
    idle = [x for x in bulletin_month.units() if not x.volume]
    ranked = [x for x in bulletin_month.communities() if x.ranked]
    lines = [
        x for page in _pages(bulletin_month.quiet(units=idle, communities=ranked)) for x in page
    ]
    assert _between(lines, "四、部门与物业排名", "五、本月重点事项") == [
        "本月没有交办给部门或物业的诉求。"
    ]
    # every community ranked: only the colours are explained
    assert _between(lines, "三、社区排名", "四、部门与物业排名")[-1] == "绿色为红榜，红色为待改进。"


def test_a_name_too_long_for_its_cell_is_cut_with_an_ellipsis(app):
    lines = bulletin_month.communities()
    lines[0].row.name = "幸福里第一居民委员会暨老旧小区综合整治示范点"
    text = [x for page in _pages(bulletin_month.quiet(communities=lines)) for x in page]
    row = next(x for x in text if x.startswith("1幸福里"))
    assert row.startswith("1幸福里第一居民委员会…8100.0%8/8")
    # the board, a line of its own, names it whole
    assert "第1名幸福里第一居民委员会暨老旧小区综合整治示范点100.0分" in text


def test_a_ranking_running_onto_a_new_page_repeats_its_header_there(app):
    rows = []
    for i in range(60):
        row = Row(id=500 + i, name=f"第{i + 1}社区", kind="community", volume=9)
        row.counts = {k: (9 - i % 5, 9) for k in bulletin_month.RATES}
        rows.append(Line(row))
    lines = bulletin.ranked_lines(rows, bulletin_month.WEIGHTS, min_volume=5)
    pages = _pages(bulletin_month.quiet(communities=lines))
    header = "排名名称件数响应率按期办结率解决率满意率超期得分"
    with_header = [n for n, page in enumerate(pages) if header in page]
    assert len(with_header) >= 2 and with_header == list(range(with_header[0], with_header[-1] + 1))
    # every community once, in the ranking's order, across the pages
    names = [
        re.match(r"^\d+(第\d+社区)", x).group(1)
        for page in pages
        for x in page
        if re.match(r"^\d+第\d+社区\d", x)
    ]
    assert names == [x.name for x in lines]
    for n, page in enumerate(pages, start=1):
        assert page[-1] == f"{TITLE}第{n}页/共{len(pages)}页"


def test_a_community_with_nothing_this_month_is_listed_with_no_rate_and_no_counts(app):
    # a community's row with no counts at all: every rate a dash over 0/0, no score
    quiet = bulletin_month.line(105, "第5社区", "community", 0, ())
    lines = [*bulletin_month.communities(), quiet]
    text = [x for page in _pages(bulletin_month.quiet(communities=lines)) for x in page]
    assert "—第5社区0—0/0—0/0—0/0—0/00—" in text


def test_a_name_no_font_can_draw_is_a_503_that_says_what_to_install(app):
    lines = bulletin_month.communities()
    lines[0].row.name = "第\ue000社区"  # a private-use character: in no font
    with pytest.raises(bulletin_pdf.BulletinFontMissing) as refused:
        bulletin_pdf.render(bulletin_month.quiet(communities=lines))
    assert refused.value.status == 503 and refused.value.code == "font_missing"
    assert refused.value.message == (
        "无法生成通报：找不到中文字体（assets/fonts 中的字体子集缺字，系统也未安装 "
        "fonts-noto-cjk；请安装后重试：apt-get install fonts-noto-cjk）"
    )


def test_a_rare_character_the_shipped_font_lacks_is_drawn_with_the_systems_font(app):
    # 龘 is not in assets/fonts' subset; the system's Noto Sans CJK has it (fonts-noto-cjk)
    assert bulletin_pdf.pick_font("第1社区", "regular") == (str(fonts.FONT_FILES["regular"]), 0)
    assert bulletin_pdf.pick_font("龘", "regular") == system_cjk_fonts()[0]
    lines = bulletin_month.communities()
    lines[0].row.name = "龘社区"
    text = [x for page in _pages(bulletin_month.quiet(communities=lines)) for x in page]
    assert "第1名龘社区100.0分" in text


def test_a_name_cut_to_its_cell_keeps_every_character_that_fits(app):
    # ten characters and the ellipsis fill the name's cell, whatever the name's length
    lines = bulletin_month.communities()
    lines[0].row.name = "幸福里第一居民委员会暨老旧小区综合整治示范点位"  # 23 characters
    lines[1].row.name = "和平里第二居民委员会暨老旧小区综合整治示范点"  # 22
    text = [x for page in _pages(bulletin_month.quiet(communities=lines)) for x in page]
    assert next(x for x in text if x.startswith("1幸福里")).startswith("1幸福里第一居民委员会…8")
    assert next(x for x in text if x.startswith("2和平里")).startswith("2和平里第二居民委员会…10")


def test_without_the_shipped_font_file_the_bulletin_is_drawn_with_the_systems_font(
    app, tmp_path, monkeypatch
):
    # a deployment whose assets/fonts lost the subset: the system's font, not a 503
    monkeypatch.setitem(fonts.FONT_FILES, "regular", tmp_path / "missing.otf")
    assert bulletin_pdf.pick_font("第1社区", "regular") == system_cjk_fonts()[0]


def test_a_rare_character_is_drawn_in_a_month_with_notable_items_too(app):
    # the font is chosen for every text of the bulletin, the notable items' and the rest
    lines = bulletin_month.communities()
    lines[0].row.name = "龘社区"
    text = [x for page in _pages(bulletin_month.month(communities=lines)) for x in page]
    assert "第1名龘社区100.0分" in text
    assert "W20261105001第2社区2巷设施损坏路灯坏了没人修23天住建办" in text
