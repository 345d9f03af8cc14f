"""Staff commands on issues: `公开`, `不公开`, `派单`, `吹哨`."""

from __future__ import annotations

import re

from bot.commands.parsing import issue_ref, typed
from bot.commands.registry import STAFF, Context, command
from bot.commands.replies import issue_title
from core.items import issues
from core.people.areas import community_of
from core.units import handling as unit_handling
from infra.errors import bad_request, forbidden
from infra.timeutil import month_day_time
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


TIER_WORDS = {"一般": "ordinary", "重要": "important", "重大": "major"}


@command("吹哨", usage="吹哨 N 单位名 一般|重要|重大 [说明]", roles=(STAFF,))
def whistle(ctx: Context, args: str) -> str:
    """（社区工作人员）把一件诉求交给承办单位（部门或物业），须说明紧急程度：一般 2 天、重要 3 天、重大 10 天。例：吹哨 12 城管 重大 占道经营需执法"""
    example = "吹哨 12 城管 重大 占道经营需执法"
    issue_id, rest = issue_ref(args, example)
    words = [w for w in re.split(r"\s+", rest) if w]  # full-width spaces too
    name = words.pop(0) if words else ""
    # the tier word right after the unit's name, or last
    tier_at = 0 if words and words[0] in TIER_WORDS else len(words) - 1
    tier_word = words.pop(tier_at) if words and words[tier_at] in TIER_WORDS else None
    if not name:
        raise bad_request(f"请写上承办单位，例如：{example}")
    # refusals in the order a person fixes them: the item, the right, the unit, the tier
    issue = issues.get_visible(ctx.p, issue_id)
    if not ctx.p.can_manage(issue.alley):
        raise forbidden("只有社区工作人员可以吹哨报到")
    department = _department(issue, name)
    if department is None:
        options = "、".join(d.name for d in _departments(issue)) or "（街道还没有登记单位）"
        raise bad_request(f"找不到承办单位“{name}”，可选：{options}")
    if tier_word is None:
        # never guessed: the tier sets the unit's deadline
        raise bad_request(
            f"请说明紧急程度（一般 2 天、重要 3 天、重大 10 天），例如：吹哨 {issue_id} {name} 重要"
        )
    note = typed(" ".join(words).strip()) or f"请{name}协助处理"
    issue = unit_handling.whistle(ctx.p, issue_id, department.id, note, TIER_WORDS[tier_word])
    return (
        f"已向{issue.department.name}吹哨 {issue_title(issue)}（{tier_word}），"
        f"请在 {month_day_time(issue.deadline)} 前办结"
    )


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
