"""The monthly bulletin (`core.figures.bulletin`) as a printable A4 PDF (fpdf2).

What a street office prints, signs and files: the title, the street, the period and the date it
was made on the first page; then the month at a glance (figures and how items were solved),
红榜 and 待改进, the communities' and the units' rankings with the counts behind every rate,
the month's notable items, and how every figure is counted; 制表 / 审核 lines to sign at the
end; "第 X 页 / 共 N 页" on every page, and a table's header repeated on each page it runs to.

Text is real text in an embedded CJK font (searchable, and the tests read it back): the Noto
Sans CJK SC subset shipped in assets/fonts when it has every character the bulletin needs,
else a Chinese font fontconfig lists (community names may hold rare characters); with
neither, a 503 that says what to install.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from fpdf import FPDF
from fpdf.enums import Align, RenderStyle, TextMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import ImageFont

from core.boards import fonts
from core.figures import bulletin as figures
from core.figures.bulletin import Bulletin, Line, Notable
from core.volunteering.certificate import system_cjk_fonts
from infra.errors import ApiError
from infra.timeutil import to_local

# fpdf2 subsets the embedded font with fontTools, which logs every table it prunes at INFO:
# dozens of lines per PDF in the server's log, saying nothing an operator needs.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

WIDTH = 180  # millimetres: A4 portrait less 15 mm margins
HEAD_FILL = (196, 43, 28)  # the console's and the ledger's red
HEAD_FACE = FontFace(fill_color=HEAD_FILL, color=(255, 255, 255))
GOOD, BAD = (230, 244, 234), (253, 236, 234)
RANK_HEADERS = ("排名", "名称", "件数", "响应率", "按期办结率", "解决率", "满意率", "超期", "得分")
RANK_WIDTHS = (11, 37, 12, 24, 24, 24, 24, 11, 13)
NOTABLE_WIDTHS = (24, 34, 22, 72, 28)


class BulletinFontMissing(ApiError):
    def __init__(self):
        super().__init__(
            503,
            "font_missing",
            "无法生成通报：找不到中文字体（assets/fonts 中的字体子集缺字，系统也未安装 "
            "fonts-noto-cjk；请安装后重试：apt-get install fonts-noto-cjk）",
        )


def pick_font(text: str, weight: str) -> tuple[str, int]:
    candidates = [(str(fonts.FONT_FILES[weight]), 0), *system_cjk_fonts()[:3]]
    for path, index in candidates:
        try:
            face = ImageFont.truetype(path, 24, index=index, layout_engine=ImageFont.Layout.BASIC)
        except OSError:
            continue
        if not fonts.missing_glyphs(face, text):
            return path, index
    raise BulletinFontMissing()


def _every_text(b: Bulletin) -> str:
    parts = [b.title, b.street.name, *figures.definitions(b)]
    for line in [*b.communities, *b.units]:
        parts += [line.name, line.community]
    for n in [*b.longest_overdue, *b.most_followed]:
        parts += [n.community, n.alley, n.category, n.content, n.unit]
    return "".join(parts) + "".join(RANK_HEADERS) + "制表审核日期第页共红榜待改进一二三四五六七"


class _Doc(FPDF):
    """A4 with the bulletin's footer on every page."""

    footer_text = ""

    def footer(self):
        self.set_y(-12)
        self.set_font_size(8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"{self.footer_text}　第 {self.page_no()} 页 / 共 {{nb}} 页", align=Align.C)
        self.set_text_color(0, 0, 0)


def _rate_cell(line: Line, name: str) -> str:
    part, whole = line.row.counts.get(name, (0, 0))
    return f"{figures.pct(line.row.rate(name))}\n{part}/{whole}"


def _rank_row(line: Line, with_community: bool) -> tuple[str, ...]:
    name = line.name
    if with_community:
        name = f"{line.name}\n{line.kind_label}" + (f"·{line.community}" if line.community else "")
    return (
        str(line.rank) if line.ranked else "—",
        name,
        str(line.volume),
        *(_rate_cell(line, k) for k in figures.RATE_NAMES),
        str(line.overdue),
        "—" if line.score is None else f"{line.score:.1f}",
    )


@contextmanager
def _strong(pdf: _Doc, size: float, colour: tuple = (0, 0, 0)):
    """Bold for headings: the regular face filled and stroked in its own colour, inside a saved
    graphics state (fpdf2 leaves a text mode set outside one on the page). One embedded face
    instead of two halves the time spent subsetting fonts, most of a bulletin's."""
    with pdf.local_context(
        text_mode=TextMode.FILL_STROKE,
        line_width=size / 60,
        draw_color=colour,
        text_color=colour,
        font_size_pt=size,
    ):
        yield


def _keep(text: str) -> str:
    """Chinese running text for `multi_cell`: fpdf2 wraps at spaces when a line has any, which
    leaves ragged half-empty lines around "24 小时"; with no-break spaces it wraps between any
    two characters, as Chinese typesetting does."""
    return text.replace(" ", "\u00a0")


def _subheading(pdf: _Doc, text: str) -> None:
    if pdf.get_y() > pdf.h - 40:  # with at least its table's first rows
        pdf.add_page()
    with _strong(pdf, 10):
        pdf.cell(h=6, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: _Doc, text: str) -> None:
    if pdf.get_y() > pdf.h - 45:  # never a heading alone at the foot of a page
        pdf.add_page()
    pdf.ln(3)
    with _strong(pdf, 12):
        pdf.cell(h=8, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _note(pdf: _Doc, text: str, size: float = 8.5) -> None:
    """A grey line (or paragraph) under a part; the text after it keeps its own colour and size."""
    with pdf.local_context(text_color=(90, 90, 90), font_size_pt=size):
        pdf.multi_cell(0, 5, _keep(text), align=Align.L, new_x=XPos.LMARGIN)


def _fit(pdf: _Doc, text: str, width: float) -> str:
    """`text` cut with an ellipsis to fit `width` at the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _grid(pdf: _Doc, headers: list[str], rows: list[tuple[tuple[str, ...], tuple | None]]):
    """A ranking table drawn cell by cell: one or two lines per cell (a rate over its counts),
    the header repeated on every page. fpdf2's `table()` wraps every cell's text, several
    times slower for a street of 40 communities and 50 units than these fixed lines."""
    line_h, pad = 4.2, 1.0
    aligns = (Align.C, Align.L, *(Align.R,) * 7)

    def header():
        pdf.set_font_size(8.5)
        pdf.set_fill_color(*HEAD_FILL)
        pdf.set_text_color(255, 255, 255)
        x, y = pdf.l_margin, pdf.get_y()
        for text, w in zip(headers, RANK_WIDTHS, strict=True):
            pdf.rect(x, y, w, line_h + 2 * pad, style=RenderStyle.DF)
            pdf.set_xy(x, y + pad)
            pdf.cell(w, line_h, text, align=Align.C)
            x += w
        pdf.set_text_color(0, 0, 0)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_xy(pdf.l_margin, y + line_h + 2 * pad)

    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.15)
    header()
    for cells, fill in rows:
        height = max(len(c.split("\n")) for c in cells) * line_h + 2 * pad
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            header()
        x, y = pdf.l_margin, pdf.get_y()
        if fill:
            pdf.set_fill_color(*fill)
        for text, w, align in zip(cells, RANK_WIDTHS, aligns, strict=True):
            pdf.rect(x, y, w, height, style=RenderStyle.DF if fill else RenderStyle.D)
            parts = text.split("\n")
            top = y + (height - len(parts) * line_h) / 2
            for k, part in enumerate(parts):
                pdf.set_xy(x + pad, top + k * line_h)
                pdf.cell(w - 2 * pad, line_h, _fit(pdf, part, w - 2 * pad), align=align)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_line_width(0.2)


def _ranking(pdf: _Doc, lines: list[Line], b: Bulletin, with_community: bool, empty: str):
    if not lines:
        _note(pdf, empty, 9)
        return
    idle = [x for x in lines if not x.volume] if with_community else []
    lines = [x for x in lines if x not in idle]  # a unit with nothing this month: one line
    if not lines:
        _note(pdf, "本月没有交办给部门或物业的诉求。", 9)
        return
    top = {x.id for x in b.honour(lines)}
    low = {x.id for x in b.to_improve(lines)}
    headers = list(RANK_HEADERS)
    if with_community:
        headers[1] = "单位"
    rows = []
    for line in lines:
        fill = GOOD if line.id in top else BAD if line.id in low else None
        rows.append((_rank_row(line, with_community), fill))
    _grid(pdf, headers, rows)
    unranked = [x for x in lines if not x.ranked]
    if idle:
        _note(pdf, "本月没有交办事项的：" + "、".join(x.name for x in idle) + "。")
    if unranked:
        _note(
            pdf,
            f"“—”为当月件数少于 {b.min_volume} 件、只列出不参与排名的："
            + "、".join(x.name for x in unranked)
            + "。绿色为红榜，红色为待改进。",
        )
    else:
        _note(pdf, "绿色为红榜，红色为待改进。")


def _honour(pdf: _Doc, lines: list[Line], b: Bulletin, noun: str) -> None:
    top, low = b.honour(lines), b.to_improve(lines)
    if not top and not low:
        _note(pdf, f"参与排名的{noun}不足两个，本月不设红榜和待改进。", 9)
        return

    for label, group, colour in (("红榜", top, (20, 110, 50)), ("待改进", low, (176, 40, 30))):
        with _strong(pdf, 10, colour):
            pdf.cell(0, 6, f"{label}（{noun}）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for line in group:
            pdf.cell(
                0,
                5,
                f"第 {line.rank} 名　{line.name}　{line.score:.1f} 分",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            # the figures behind the place; wrapped only between figures, never inside one
            figures_text = "　".join(
                f"{figures.RATE_LABELS[k]} {figures.rate_text(line, k)}".replace(" ", "\u00a0")
                for k in figures.RATE_NAMES
            )
            pdf.set_x(pdf.l_margin + 4)
            with pdf.local_context(text_color=(90, 90, 90), font_size_pt=8.5):
                pdf.multi_cell(
                    0, 4.6, f"件数\u00a0{line.volume}　{figures_text}".replace("　", " 　 "),
                    align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                )  # fmt: skip


def _notable_table(pdf: _Doc, items: list[Notable], last: str, value, empty: str) -> None:
    if not items:
        _note(pdf, empty, 9)
        return
    pdf.set_font_size(8.5)
    with pdf.table(
        col_widths=NOTABLE_WIDTHS,
        text_align=(Align.L, Align.L, Align.L, Align.L, Align.R),
        headings_style=HEAD_FACE,
        line_height=4.6,
        padding=1,
    ) as table:
        table.row(("编号", "社区 / 街巷", "类别", "内容", last))
        for n in items:
            table.row((n.number, f"{n.community}\n{n.alley}", n.category, n.content, value(n)))


def render(b: Bulletin) -> bytes:
    """The bulletin's PDF bytes."""
    text = _every_text(b)
    regular = pick_font(text, "regular")
    pdf = _Doc()
    pdf.footer_text = b.title
    pdf.set_margins(15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("cjk", fname=regular[0], collection_font_number=regular[1])
    pdf.set_title(b.title)
    pdf.set_creator("小巷管家")
    pdf.add_page()

    made = to_local(b.made_at)
    pdf.set_font("cjk", size=10)
    with _strong(pdf, 18):
        pdf.multi_cell(0, 10, b.title, align=Align.C, new_x=XPos.LMARGIN)
    pdf.cell(
        0,
        6,
        f"{b.street.name}　{b.month.label}",
        align=Align.C,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.cell(0, 6, f"统计期间：{b.period_text}", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(
        0,
        6,
        f"生成日期：{made:%Y年%m月%d日 %H:%M}",
        align=Align.C,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*HEAD_FILL)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.l_margin + WIDTH, pdf.get_y() + 2)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0)
    pdf.ln(4)

    t = b.total
    _heading(pdf, "一、总体情况")
    pdf.multi_cell(
        0,
        5.5,
        _keep(
            f"本月全街道 {len(b.communities)} 个社区共反映诉求 {t.volume} 件，办结 {b.resolved} 件，"
            f"目前超期未办结 {t.overdue} 件；吹哨交办部门、物业 {sum(u.volume for u in b.units)} 件。"
        ),
        align=Align.L,
    )
    pdf.ln(1)
    with pdf.table(
        text_align=Align.C,
        headings_style=HEAD_FACE,
        line_height=5.5,
        padding=1,
    ) as table:
        table.row(tuple(figures.RATE_LABELS[k] for k in figures.RATE_NAMES))
        table.row(tuple(figures.rate_text(t, k) for k in figures.RATE_NAMES))
    pdf.ln(2)
    levels = "；".join(f"{k} {v} 件" for k, v in b.levels.items())
    pdf.multi_cell(
        0,
        5.5,
        _keep(f"本月办结的 {b.resolved} 件中：{levels}（易事即办、实事快办、难事联办）。"),
        align=Align.L,
    )

    _heading(pdf, "二、红榜与待改进")
    _honour(pdf, b.communities, b, "社区")
    pdf.ln(1)
    _honour(pdf, b.units, b, "部门与物业")

    _heading(pdf, "三、社区排名")
    _ranking(pdf, b.communities, b, False, "本街道还没有社区。")

    _heading(pdf, "四、部门与物业排名")
    _ranking(pdf, b.units, b, True, "本街道还没有登记部门或物业。")

    _heading(pdf, "五、本月重点事项")
    _subheading(pdf, "超期最久（月末仍未办结）")
    _notable_table(
        pdf,
        b.longest_overdue,
        "超期天数",
        lambda n: f"{n.overdue_days} 天" + (f"\n{n.unit}" if n.unit else ""),
        "月末没有超期未办结的诉求。",
    )
    pdf.ln(2)
    _subheading(pdf, "关注最多（本月反映）")
    _notable_table(
        pdf,
        b.most_followed,
        "关注人数",
        lambda n: f"{n.followers} 人",
        "本月反映的诉求没有人关注。",
    )

    _heading(pdf, "六、统计口径")
    for line in figures.definitions(b):
        _note(pdf, line)

    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(10)
    pdf.set_font_size(11)
    third = WIDTH / 3
    pdf.cell(third, 8, "制表：__________")
    pdf.cell(third, 8, "审核：__________")
    pdf.cell(third, 8, "日期：____年__月__日")
    return bytes(pdf.output())
