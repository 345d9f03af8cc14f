"""The 志愿服务记录证明 (certificate of volunteer service) as a text PDF (fpdf2).

Per 民政部令第67号 (《志愿服务记录与证明出具办法（试行）》) the organiser that recorded the service
certifies it: the certificate lists only CERTIFIED records of the period — date, service, hours,
organiser, who certified — and their total, with the issuing community and date. A corrected
record and its reversal cancel out and are both left off (the total is unchanged by that).
Long lists run over several pages with the table header repeated.

The font is a real CJK font embedded as text (so the PDF can be searched and its total read
back): the Noto Sans CJK SC subset shipped in assets/fonts when it has every character the
certificate needs (people's names are often outside the subset), else the Chinese font
fontconfig finds (Debian's fonts-noto-cjk); with neither, a clear error.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from PIL import ImageFont

from core import audit
from core.boards import fonts
from core.people.permissions import Principal
from core.volunteering import records
from infra.errors import ApiError, bad_request, not_found
from infra.timeutil import to_local, utcnow
from models import Area, ServiceRecord

TITLE = "志愿服务记录证明"
BASIS = (
    "依据《志愿服务记录与证明出具办法（试行）》（民政部令第67号），由组织志愿服务的单位记录并认证。"
)
HEADERS = ("序号", "服务日期", "服务内容", "时长（小时）", "组织单位", "认证人")
COL_WIDTHS = (10, 22, 58, 24, 36, 30)  # millimetres: A4 portrait less 15 mm margins (180)


class CertificateFontMissing(ApiError):
    def __init__(self):
        super().__init__(
            503,
            "font_missing",
            "无法生成证明：找不到中文字体（assets/fonts 中的字体子集缺字，系统也未安装 "
            "fonts-noto-cjk；请运行 scripts/ensure-chromium.sh 或 apt-get install fonts-noto-cjk）",
        )


def _rank(family: str, style: str) -> tuple:
    """Simplified-Chinese sans serif, regular weight, first; monospace last."""
    return (
        "SC" not in family,
        "Sans" not in family,
        "Mono" in family,
        style.lower() != "regular",
        family,
    )


def system_cjk_fonts() -> list[tuple[str, int]]:
    """(file, face index) of each font fontconfig lists for Chinese, best first. `fc-match`
    is not asked: for ":lang=zh" it may answer a Latin font that has no Chinese at all."""
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "-f", "%{file}|%{index}|%{family[0]}|%{style[0]}\n"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 4 and parts[1].isdigit():
            found.append((_rank(parts[2], parts[3]), parts[0], int(parts[1])))
    return [(path, index) for _, path, index in sorted(found)]


def pick_font(text: str, candidates: list[tuple[str, int]] | None = None) -> tuple[str, int]:
    """The first candidate font that draws every character of `text`."""
    if candidates is None:
        candidates = [(str(fonts.FONT_FILES["regular"]), 0), *system_cjk_fonts()[:3]]
    for path, index in candidates:
        try:
            face = ImageFont.truetype(path, 24, index=index, layout_engine=ImageFont.Layout.BASIC)
        except OSError:
            continue
        if not fonts.missing_glyphs(face, text):
            return path, index
    raise CertificateFontMissing()


def certified_rows(
    p: Principal, date_from: date, date_to: date, community_id: int | None
) -> list[ServiceRecord]:
    """The person's own certified records in the period, less corrected ones and reversals."""
    corrected = ServiceRecord.select(ServiceRecord.reverses).where(
        ServiceRecord.reverses.is_null(False)
    )
    query = (
        records.visible(p, mine=True, community_id=community_id, status="certified")
        .where(
            (ServiceRecord.served_on >= date_from)
            & (ServiceRecord.served_on <= date_to)
            & ServiceRecord.reverses.is_null()
            & ServiceRecord.id.not_in(corrected)
        )
        .order_by(ServiceRecord.served_on, ServiceRecord.id)
    )
    return list(query)


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _hours(value) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.1'))}"


def render(
    name: str,
    rows: list[ServiceRecord],
    date_from: date,
    date_to: date,
    issuer: str,
    issued_on: date,
    font: tuple[str, int] | None = None,
) -> bytes:
    """The certificate's PDF bytes."""
    total = sum(Decimal(str(r.hours)) for r in rows)
    lines = [
        TITLE,
        f"兹证明{name}于{_day(date_from)}至{_day(date_to)}期间参加志愿服务，"
        f"经组织单位认证的服务记录共 {len(rows)} 条，合计 {_hours(total)} 小时，明细如下：",
    ]
    cells = [
        (
            str(i),
            r.served_on.isoformat(),
            r.title,
            _hours(r.hours),
            r.organiser,
            r.certified_by_label,
        )
        for i, r in enumerate(rows, 1)
    ]
    footer = [
        f"合计：{_hours(total)} 小时",
        BASIS,
        f"出具单位（盖章）：{issuer}",
        f"出具日期：{_day(issued_on)}",
    ]
    every_char = "".join([*lines, *footer, *HEADERS, *(text for row in cells for text in row)])
    path, index = font or pick_font(every_char)

    # fpdf2's defaults are relied on, not written out: an A4 page, the right margin equal to
    # the left, the {nb} alias of the page count, multi_cell's move to the next line, the
    # table's heading repeated on each page, and the current family for each size set.
    pdf = FPDF()
    pdf.set_margins(15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_title(f"{TITLE} - {name}")
    pdf.set_creator("小巷管家")

    def page_footer():
        pdf.set_y(-12)
        pdf.set_font_size(8)
        pdf.cell(0, 6, f"{TITLE} · {name} · 第 {pdf.page_no()} 页 / 共 {{nb}} 页", align=Align.C)

    pdf.footer = page_footer
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, TITLE, align=Align.C, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font_size(11)
    pdf.multi_cell(0, 7, lines[1], align=Align.L)
    pdf.ln(3)
    pdf.set_font_size(9)
    with pdf.table(
        col_widths=COL_WIDTHS,
        text_align=(Align.C, Align.C, Align.L, Align.R, Align.L, Align.L),
        headings_style=FontFace(fill_color=(235, 235, 235)),
        line_height=6,
    ) as table:
        table.row(HEADERS)
        for row in cells:
            table.row(row)
    pdf.ln(4)
    pdf.set_font_size(11)
    for line in footer:
        pdf.multi_cell(0, 7, line, align=Align.L, new_x=XPos.LMARGIN)
    return bytes(pdf.output())


def for_person(
    p: Principal,
    date_from: date | None = None,
    date_to: date | None = None,
    community_id: int | None = None,
) -> tuple[bytes, str]:
    """The caller's certificate for the period (default: this year so far) and its file name."""
    today = to_local(utcnow()).date()
    date_to = date_to or today
    date_from = date_from or date(date_to.year, 1, 1)
    if date_from > date_to:
        raise bad_request("起始日期：不能晚于结束日期", {"date_from": "不能晚于结束日期"})
    rows = certified_rows(p, date_from, date_to, community_id)
    if not rows:
        raise not_found("该期间没有已认证的服务记录", code="no_certified_records")
    name = rows[0].volunteer.name if rows[0].volunteer_id else rows[0].person_name
    communities = []
    for row in rows:
        if row.organiser not in communities:
            communities.append(row.organiser)
    if community_id is not None:
        issuer = Area.get_by_id(community_id).name
    else:
        issuer = "、".join(communities)
    data = render(name, rows, date_from, date_to, issuer, today)
    audit.record(
        "service_certificate.issue",
        "user",
        p.user.id if p.user else None,
        actor=p.user,
        data={
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "records": len(rows),
        },
    )
    file_name = f"志愿服务记录证明-{name}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.pdf"
    return data, file_name
