"""The quarterly assessment (`core.figures.assessment`) as staff read it: a period picker that
opens on the latest period with results, ranked rows, the weights explained, an annual roll-up,
and exports (xlsx, PDF).

Periods are quarters (`2026Q3`, as stored) and years (`2026`): a year's row for a steward is
the mean of the totals (and of each part) of the quarters of that year they were assessed in,
with its tier from the same `ASSESSMENT_TIERS`, and says how many quarters it is made of.

Ranks: by total, highest first; equal totals share a rank (1, 1, 3).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from flask import current_app
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook

from core import audit
from core.figures import assessment, ledger
from core.figures.bulletin_pdf import HEAD_FACE, pick_font
from core.people.permissions import Principal
from infra.errors import bad_request
from infra.timeutil import to_local, utcnow
from models import Area, Assessment, Steward, StewardAlley

PART_LABELS = {
    "satisfaction": "满意度",
    "resolution": "解决率",
    "timeliness": "及时率",
    "patrol": "巡查",
    "wishes": "心愿",
}
# What each part measures, shown beside its weight (the module docstring of assessment.py).
PART_MEANINGS = {
    "satisfaction": "满意率：其办结的诉求中，居民本季评价或回访为满意（4–5 星或“满意”）的比例",
    "resolution": "解决率：居民本季确认解决（3 星及以上、回访满意或基本满意）的件数 ÷"
    "（有居民评价或回访的件数 + 本季反映、归其负责仍未办的件数）",
    "timeliness": "本季办结的诉求中按期办结的比例",
    "patrol": "有巡查打卡的天数 ÷ 本季天数",
    "wishes": "实现的微心愿数，{full} 个及以上为满分",
}


@dataclass(frozen=True)
class Period:
    """A quarter (`2026Q3`) or a year (`2026`)."""

    text: str

    @classmethod
    def parse(cls, text: str) -> Period:
        value = (text or "").strip().upper()
        if re.fullmatch(r"\d{4}", value):
            assessment.Quarter.parse(f"{value}Q1")  # the same year bounds
            return cls(value)
        return cls(str(assessment.Quarter.parse(value)))

    @property
    def is_year(self) -> bool:
        return len(self.text) == 4

    @property
    def label(self) -> str:
        if self.is_year:
            return f"{self.text} 年度（季度平均）"
        q = assessment.Quarter.parse(self.text)
        return f"{q.year} 年第 {q.q} 季度"

    def quarters(self) -> list[str]:
        return [f"{self.text}Q{n}" for n in range(1, 5)] if self.is_year else [self.text]


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        message = "期间须为季度（如 2026Q3）或年份（如 2026）"
        raise bad_request(f"期间：{message}", {"period": str(exc)}) from exc


def _in_scope(p: Principal):
    return (
        StewardAlley.select(StewardAlley.steward)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(p.area_condition(Area))
    )


def periods(p: Principal) -> list[Period]:
    """Every period with results in the viewer's scope, latest first: each year (once it has a
    quarter) before its quarters; the last finished quarter too, so it can be run."""
    found = {
        r.period
        for r in Assessment.select(Assessment.period)
        .where(Assessment.steward.in_(_in_scope(p)))
        .distinct()
    }
    found.add(str(assessment.Quarter.last_finished()))
    years = {q[:4] for q in found}
    ordered = sorted(found | years, key=lambda t: (t[:4], len(t) == 4, t), reverse=True)
    return [Period(t) for t in ordered]


def latest_with_data(p: Principal) -> Period:
    """The latest quarter with results in scope, else the last finished quarter."""
    latest = (
        Assessment.select(Assessment.period)
        .where(Assessment.steward.in_(_in_scope(p)))
        .order_by(Assessment.period.desc())
        .first()
    )
    return Period(latest.period if latest else str(assessment.Quarter.last_finished()))


@dataclass
class Row:
    rank: int
    steward_id: int
    name: str
    total: float
    tier: str
    parts: dict[str, float | None]
    counts: dict[str, int]
    quarters: int = 1


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def rows(p: Principal, period: Period) -> list[Row]:
    """The ranked rows of `period` for the stewards in the viewer's scope."""
    found = list(
        Assessment.select(Assessment, Steward)
        .join(Steward)
        .where(Assessment.period.in_(period.quarters()) & Assessment.steward.in_(_in_scope(p)))
        .order_by(Assessment.steward, Assessment.period)
    )
    by_steward: dict[int, list[Assessment]] = {}
    for a in found:
        by_steward.setdefault(a.steward_id, []).append(a)
    out = []
    for sid, items in by_steward.items():
        parts = {k: _mean([a.scores.get("parts", {}).get(k) for a in items]) for k in PART_LABELS}
        counts: dict[str, int] = {}
        for a in items:
            for k, v in a.scores.get("counts", {}).items():
                counts[k] = counts.get(k, 0) + int(v or 0)
        total = round(sum(a.total for a in items) / len(items), 1)
        tier = items[0].tier if not period.is_year else assessment._tier(round(total))
        out.append(Row(0, sid, items[0].steward.name, total, tier, parts, counts, len(items)))
    out.sort(key=lambda r: (-r.total, r.name, r.steward_id))
    for n, row in enumerate(out, start=1):
        row.rank = out[n - 2].rank if n > 1 and out[n - 2].total == row.total else n
    return out


def weights() -> list[tuple[str, float, str]]:
    """(label, weight, what it measures) of each part, in the configured order."""
    full = current_app.config["ASSESSMENT_WISHES_FULL_MARKS"]
    return [
        (PART_LABELS[k], float(w), PART_MEANINGS[k].format(full=full))
        for k, w in current_app.config["ASSESSMENT_WEIGHTS"].items()
    ]


def explanation() -> list[str]:
    tiers = current_app.config["ASSESSMENT_TIERS"]
    floors = "，".join(f"{name} ≥ {floor} 分" for name, floor in tiers.items())
    return [
        "总分 = Σ 各项得分（0–1）× 权重 × 100；某项本季没有可计的内容时按 "
        f"{assessment.NEUTRAL} 计，不奖不罚。",
        f"等次：{floors}，其余为{assessment.LOWEST_TIER}。年度为各季度总分与各项的平均，等次按平均分。",
        "考核结果仅供参考，不会自动调整人员。",
    ]


HEADERS = ("名次", "管家", "总分", "等次", *PART_LABELS.values(), "反映/办结/按时", "巡查天数")


def _cells(row: Row) -> list:
    c = row.counts
    return [
        row.rank,
        row.name,
        row.total,
        row.tier,
        *("—" if row.parts[k] is None else row.parts[k] for k in PART_LABELS),
        f"{c.get('reported', 0)}/{c.get('resolved', 0)}/{c.get('on_time', 0)}",
        c.get("patrol_days", 0),
    ]


def xlsx(period: Period, items: list[Row], scope: str) -> bytes:
    wb = Workbook()
    columns = [(h, 10) for h in HEADERS]
    columns[1] = ("管家", 12)
    made = to_local(utcnow())
    heading = f"管家考核　{scope}　{period.label}　导出时间：{made:%Y-%m-%d %H:%M}"
    ws = ledger._sheet(wb, "考核", columns, heading, first=True)
    for row in items:
        ledger._append(ws, _cells(row))
        for col in range(5, 5 + len(PART_LABELS)):
            if isinstance(ws.cell(row=ws.max_row, column=col).value, float):
                ws.cell(row=ws.max_row, column=col).number_format = ledger.PERCENT_FORMAT
    ledger._finish(ws, columns)
    ws = wb.create_sheet("权重与说明")
    ws.append(["项目", "权重", "含义"])
    for label, weight, meaning in weights():
        ws.append([label, weight, meaning])
    ws.append([])
    for line in explanation():
        ws.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pct(value) -> str:
    return value if isinstance(value, str) else f"{value * 100:.0f}%"


def pdf(period: Period, items: list[Row], scope: str) -> bytes:
    title = f"小巷管家考核 {period.label}"
    cells = [[str(v) if not isinstance(v, float) else v for v in _cells(r)] for r in items]
    text = title + scope + "".join(HEADERS) + "".join(r.name + r.tier for r in items)
    text += "".join(m for _, _, m in weights()) + "".join(explanation()) + "第页共制表审核日期"
    font = pick_font(text, "regular")
    doc = FPDF(format="A4", orientation="landscape")
    doc.set_margins(12, 12, 12)
    doc.set_auto_page_break(True, margin=15)
    doc.add_font("cjk", "", font[0], collection_font_number=font[1])
    doc.alias_nb_pages()
    doc.set_title(title)

    def footer():
        doc.set_y(-10)
        doc.set_font("cjk", size=8)
        doc.cell(0, 5, f"{title}　第 {doc.page_no()} 页 / 共 {{nb}} 页", align="C")

    doc.footer = footer
    doc.add_page()
    doc.set_font("cjk", size=16)
    doc.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=9)
    made = to_local(utcnow())
    doc.cell(
        0, 6, f"{scope}　生成日期：{made:%Y年%m月%d日}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    doc.ln(2)
    with doc.table(
        col_widths=(12, 30, 16, 16, *(20,) * len(PART_LABELS), 30, 18),
        text_align="CENTER",
        headings_style=HEAD_FACE,
        repeat_headings=1,
        line_height=5.5,
        padding=1,
    ) as table:
        table.row(HEADERS)
        for row in cells:
            table.row(
                [_pct(v) if isinstance(v, float) and i > 3 else str(v) for i, v in enumerate(row)]
            )
    doc.ln(3)
    doc.set_font("cjk", size=9)
    with doc.table(
        col_widths=(30, 20, 150),
        text_align=("LEFT", "CENTER", "LEFT"),
        headings_style=FontFace(fill_color=(235, 235, 235)),
        line_height=5.5,
        padding=1,
    ) as table:
        table.row(("项目", "权重", "含义"))
        for label, weight, meaning in weights():
            table.row((label, f"{weight * 100:.0f}%", meaning))
    doc.ln(2)
    for line in explanation():
        doc.multi_cell(0, 5, line.replace(" ", "\u00a0"), align="L", new_x="LMARGIN", new_y="NEXT")
    doc.ln(8)
    doc.set_font("cjk", size=11)
    doc.cell(90, 8, "制表：__________")
    doc.cell(90, 8, "审核：__________")
    doc.cell(90, 8, "日期：____年__月__日", new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def export(p: Principal, period: Period, fmt: str) -> tuple[bytes, str]:
    """The file and its name; audited."""
    items = rows(p, period)
    scope = "、".join(a.name for a in p.area_roots) or "—"
    data = xlsx(period, items, scope) if fmt == "xlsx" else pdf(period, items, scope)
    audit.record(
        "assessment.export",
        "assessment",
        None,
        actor=p.user,
        data={"period": period.text, "format": fmt, "rows": len(items)},
    )
    return data, f"管家考核-{period.text}.{fmt}"
