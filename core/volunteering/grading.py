"""Year-end grading (年度评定) of in-service party members (在职党员, 双报到): a grade proposed
from their certified service hours in the year, confirmed or changed by staff with a reason,
and exported per 双报到 unit as a workbook the community sends to each unit.

Proposed grade: the first of 好 / 较好 / 一般 whose lower bound in `SERVICE_GRADE_THRESHOLDS`
the hours reach, else 差 (defaults 40 / 20 / 10 hours: Zaozhuang asks at least 10 hours a year).
Hours are the person's certified records served in the year, corrections included (a reversal
cancels the hours it corrects), whichever community organised them.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core import audit
from core.people import identity
from core.people.permissions import Principal
from core.volunteering import records, scope
from infra import text
from infra.db import write_transaction
from infra.errors import bad_request, forbidden, not_found
from infra.timeutil import iso, to_local, utcnow
from models import PartyGrading, ServiceRecord, ServiceUnit, Volunteer
from models.service import GRADES

DEFAULT_THRESHOLDS = {"好": 40, "较好": 20, "一般": 10}
COLUMNS = [
    ("姓名", 12),
    ("双报到单位", 24),
    ("志愿服务队", 16),
    ("已认证服务时长（小时）", 14),
    ("建议等次", 10),
    ("评定等次", 10),
    ("调整原因", 30),
    ("确认人", 12),
    ("确认时间", 18),
]
HEADER_FILL = PatternFill("solid", fgColor="C42B1C")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def thresholds() -> list[tuple[str, Decimal]]:
    configured = current_app.config.get("SERVICE_GRADE_THRESHOLDS") or DEFAULT_THRESHOLDS
    return [
        (grade, Decimal(str(configured[grade]))) for grade in GRADES[:-1] if grade in configured
    ]


def propose_grade(hours: Decimal) -> str:
    for grade, lower in thresholds():
        if hours >= lower:
            return grade
    return GRADES[-1]


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise bad_request("年度：须在 2000 至 2100 之间", {"year": "须在 2000 至 2100 之间"})
    return year


def certified_hours(volunteer: Volunteer, year: int) -> Decimal:
    query = ServiceRecord.select().where(
        (ServiceRecord.user == volunteer.user_id)
        & (ServiceRecord.status == "certified")
        & (ServiceRecord.served_on >= date(year, 1, 1))
        & (ServiceRecord.served_on <= date(year, 12, 31))
    )
    return records.total_hours(query)


def propose(p: Principal, community_id: int | None, year: int) -> list[PartyGrading]:
    """Work out (again) the proposal of every confirmed party member of the community. A grade
    staff already confirmed stays; its hours and proposal are brought up to date beside it."""
    community = scope.managed_community(p, community_id)
    year = _year(year)
    members = Volunteer.select().where(
        (Volunteer.community == community.id)
        & Volunteer.active
        & Volunteer.party_member
        & (Volunteer.party_status == "confirmed")
    )
    out = []
    with write_transaction():
        for volunteer in members:
            hours = certified_hours(volunteer, year)
            proposed = propose_grade(hours)
            row = PartyGrading.get_or_none(
                (PartyGrading.volunteer == volunteer.id) & (PartyGrading.year == year)
            )
            if row is None:
                row = PartyGrading.create(
                    volunteer=volunteer, year=year, hours=hours, proposed=proposed
                )
            else:
                row.hours, row.proposed = hours, proposed
                row.save()
            out.append(row)
        audit.record(
            "party_grading.propose",
            "area",
            community.id,
            actor=p.user,
            area=community,
            data={"year": year, "members": len(out)},
        )
    return out


def listing(
    p: Principal, community_id: int | None, year: int, unit_id: int | None = None
) -> list[PartyGrading]:
    community = scope.managed_community(p, community_id)
    query = (
        PartyGrading.select(PartyGrading, Volunteer)
        .join(Volunteer)
        .where((Volunteer.community == community.id) & (PartyGrading.year == _year(year)))
    )
    if unit_id is not None:
        query = query.where(Volunteer.unit == unit_id)
    return list(query.order_by(Volunteer.unit, Volunteer.name))


def confirm(p: Principal, grading_id: int, grade: str, reason: str = "") -> PartyGrading:
    """Staff confirm the proposal, or set another grade with a reason (audited either way)."""
    row = PartyGrading.get_or_none(PartyGrading.id == grading_id)
    if row is None or not p.can_manage(row.volunteer.community):
        raise not_found("找不到该评定", code="grading_not_found")
    if identity.person_of(p).is_user(row.volunteer.user_id):
        raise forbidden("不能评定自己的等次，须由其他工作人员确认", code="own_grading")
    if grade not in GRADES:
        raise bad_request(
            "评定等次：须为 好、较好、一般、差 之一", {"grade": "须为 好、较好、一般、差 之一"}
        )
    reason = text.normalise(reason or "")
    if grade != row.proposed and not reason:
        raise bad_request(
            "原因：评定等次与建议不同，请写明原因", {"reason": "评定等次与建议不同，请写明原因"}
        )
    with write_transaction():
        previous = row.grade
        row.grade, row.reason = grade, reason[:200]
        row.confirmed_by, row.confirmed_at = p.user, utcnow()
        row.save()
        audit.record(
            "party_grading.confirm",
            "party_grading",
            row.id,
            actor=p.user,
            area=row.volunteer.community_id,
            data={
                "year": row.year,
                "proposed": row.proposed,
                "grade": grade,
                "previous": previous,
                "reason": reason,
                "hours": str(row.hours),
            },
        )
    return row


def as_dict(row: PartyGrading) -> dict:
    v = row.volunteer
    return {
        "id": row.id,
        "year": row.year,
        "volunteer_id": v.id,
        "name": v.name,
        "unit_id": v.unit_id,
        "unit_name": v.unit.name if v.unit_id else None,
        "team_name": v.team.name if v.team_id else None,
        "hours": float(row.hours),
        "proposed": row.proposed,
        "grade": row.grade,
        "reason": row.reason,
        "confirmed_by": audit.actor_label(row.confirmed_by) if row.confirmed_by_id else None,
        "confirmed_at": iso(row.confirmed_at),
    }


def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in "[]:*?/\\")[:28] or "单位"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:26]}({n})", n + 1
    used.add(title)
    return title


def export(
    p: Principal, community_id: int | None, year: int, unit_id: int | None = None
) -> tuple[bytes, str]:
    """The grading as a workbook: one sheet per 双报到 unit (or just the unit asked for)."""
    community = scope.managed_community(p, community_id)
    rows = listing(p, community.id, year, unit_id)
    if (
        unit_id is not None
        and not ServiceUnit.select()
        .where((ServiceUnit.id == unit_id) & (ServiceUnit.community == community.id))
        .exists()
    ):
        raise bad_request("双报到单位：本社区没有这个单位", {"unit_id": "本社区没有这个单位"})
    by_unit: dict[str, list[PartyGrading]] = {}
    for row in rows:
        unit_name = row.volunteer.unit.name if row.volunteer.unit_id else "未填单位"
        by_unit.setdefault(unit_name, []).append(row)
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    exported = to_local(utcnow()).strftime("%Y-%m-%d %H:%M")
    for unit_name in sorted(by_unit) or ["（无）"]:
        sheet = book.create_sheet(_sheet_title(unit_name, used))
        sheet.append(
            [
                f"{community.name} {year} 年度在职党员志愿服务评定 · {unit_name} · 导出时间 {exported}"
            ]
        )
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([name for name, _ in COLUMNS])
        for i, (_, width) in enumerate(COLUMNS, 1):
            cell = sheet.cell(row=2, column=i)
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
            sheet.column_dimensions[get_column_letter(i)].width = width
        for row in by_unit.get(unit_name, []):
            d = as_dict(row)
            sheet.append(
                [
                    d["name"],
                    d["unit_name"] or "",
                    d["team_name"] or "",
                    d["hours"],
                    d["proposed"],
                    d["grade"] or "（待确认）",
                    d["reason"],
                    d["confirmed_by"] or "",
                    to_local(row.confirmed_at).replace(tzinfo=None) if row.confirmed_at else None,
                ]
            )
            sheet.cell(row=sheet.max_row, column=9).number_format = "yyyy-mm-dd hh:mm"
            sheet.cell(row=sheet.max_row, column=7).alignment = Alignment(wrap_text=True)
        sheet.freeze_panes = "A3"
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{max(sheet.max_row, 2)}"
        sheet.print_title_rows = "2:2"
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(
        "party_grading.export",
        "area",
        community.id,
        actor=p.user,
        area=community,
        data={"year": year, "unit_id": unit_id, "rows": len(rows)},
    )
    return buffer.getvalue(), f"在职党员年度评定-{community.name}-{year}.xlsx"
