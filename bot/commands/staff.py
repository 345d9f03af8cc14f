"""Staff commands on issues: `公开`, `不公开`, `派单`, `吹哨`."""

from __future__ import annotations

import re

from bot.commands.parsing import issue_ref, typed
from bot.commands.registry import STAFF, Context, command
from bot.commands.replies import issue_title
from core.errors import ApiError, bad_request
from core.items import issues
from core.people.areas import community_of
from core.timeutil import month_day_time
from models import Area, Department, Issue, Steward


@command("公开", usage="公开 N", roles=(STAFF,))
def publish(ctx: Context, args: str) -> str:
    """（社区工作人员）审核后公开一件诉求，让它出现在公示牌页面。例：公开 12"""
    issue_id, _ = issue_ref(args, "公开 12")
    issue = issues.moderate(ctx.p, issue_id, True)
    return f"已公开 {issue_title(issue)}"


@command("不公开", usage="不公开 N [原因]", roles=(STAFF,))
def hide(ctx: Context, args: str) -> str:
    """（社区工作人员）诉求不在公示牌页面公开（仍照常办理）。例：不公开 12 涉及隐私"""
    issue_id, reason = issue_ref(args, "不公开 12 涉及隐私")
    issue = issues.moderate(ctx.p, issue_id, False, typed(reason) or None)
    return f"已设为不公开 #{issue.id}（{issue.category}），仍照常办理"


@command("派单", usage="派单 N 管家姓名", roles=(STAFF,))
def assign(ctx: Context, args: str) -> str:
    """（社区工作人员）把一件诉求派给本社区的管家（可写多位，用空格或顿号分开）。例：派单 12 王秀英"""
    issue_id, rest = issue_ref(args, "派单 12 王秀英")
    names = [n for n in re.split(r"[\s、,，]+", rest) if n]
    if not names:
        raise bad_request("请写上管家姓名，例如：派单 12 王秀英")
    issue = issues.get_visible(ctx.p, issue_id)
    # names are looked up in the issue's community; whether the sender may dispatch there
    # is the workflow's own check (`issues.assign`)
    community = community_of(Area.get_by_id(issue.alley_id))
    alleys = {a.id for a in Area.alley_ids_under(community)} if community else {issue.alley_id}
    candidates = list(Steward.select().where(Steward.active & Steward.name.in_(names)))
    chosen = []
    for name in names:
        found = [
            s for s in candidates if s.name == name and any(a.id in alleys for a in s.alleys())
        ]
        if not found:
            raise bad_request(f"找不到本社区在任的管家“{name}”")
        if len({s.id for s in found}) > 1:
            raise bad_request(f"本社区有多位管家叫“{name}”，请在小程序派单")
        chosen.append(found[0])
    issue = issues.assign(ctx.p, issue_id, [s.id for s in chosen], note="群内派单")
    who = "、".join(s.name for s in chosen)
    return (
        f"已派单 {issue_title(issue)} 给{who}，期限 {month_day_time(issue.deadline)}，已通知{who}"
    )


@command("吹哨", usage="吹哨 N 部门 说明", roles=(STAFF,))
def whistle(ctx: Context, args: str) -> str:
    """（社区工作人员）就一件诉求向街道的部门吹哨报到。例：吹哨 12 城管 占道经营需执法"""
    issue_id, rest = issue_ref(args, "吹哨 12 城管 占道经营需执法")
    parts = re.split(r"\s+", rest, maxsplit=1)  # full-width spaces too
    name, note = parts[0], parts[1] if len(parts) > 1 else ""
    issue = Issue.get_or_none(Issue.id == issue_id)
    department = _department(issue, name) if issue is not None and name else None
    note = typed(note.strip()) or f"请{name}协助处理"
    try:
        issue = issues.whistle(ctx.p, issue_id, department.id if department else 0, note)
    except ApiError as err:
        if "department_id" in err.fields and issue is not None:
            options = "、".join(d.name for d in _departments(issue)) or "（街道还没有登记部门）"
            raise bad_request(f"找不到部门“{name}”，可选：{options}") from err
        raise
    return f"已向{issue.department.name}吹哨 {issue_title(issue)}，请在 {month_day_time(issue.deadline)} 前联合办结"


def _departments(issue: Issue) -> list[Department]:
    alley = Area.get_by_id(issue.alley_id)
    ids = alley.ancestor_ids()
    return list(
        Department.select()
        .where(Department.active & Department.area.in_(ids))
        .order_by(Department.name)
    )


def _department(issue: Issue, name: str) -> Department | None:
    options = _departments(issue)
    exact = [d for d in options if d.name == name]
    partial = [d for d in options if name in d.name]
    found = exact or partial
    return found[0] if len(found) == 1 or exact else None
