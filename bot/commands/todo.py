"""`待办`: what waits for the steward, and for the staff member."""

from __future__ import annotations

from bot.commands.registry import Context, command
from bot.commands.replies import issue_title, more_than_shown, wish_title
from core.items import issues
from core.timeutil import month_day_time
from models import ISSUE_OPEN, Area, Issue, IssueAssignee, Wish


@command("待办", usage="待办", aliases=("我的待办",))
def todo(ctx: Context, args: str) -> str:
    """管家：列出交给您、尚未办结的诉求。工作人员：列出等您处理的事（待审核心愿、待审核公开的诉求、超期、上报、吹哨）。"""
    p = ctx.p
    parts = []
    if p.stewards:
        parts.append(_steward_todo(ctx))
    if p.is_staff:
        parts.append(_staff_todo(ctx))
    if not parts:
        return "您不是管家或社区工作人员，没有待办"
    return "\n".join(parts)


def _steward_todo(ctx: Context) -> str:
    items = list(
        Issue.select()
        .where(Issue.status.in_(ISSUE_OPEN))
        .join(IssueAssignee)
        .where(IssueAssignee.steward.in_([s.id for s in ctx.p.stewards]))
        .order_by(Issue.deadline, Issue.id)
        .distinct()
    )
    if not items:
        return "暂无待办，辛苦了！"
    shown = []
    for issue in items[:5]:
        late = "，已超期" if issues.is_overdue(issue, ctx.now) else ""
        shown.append(f"{issue_title(issue)}（{month_day_time(issue.deadline)} 前{late}）")
    return f"待办 {len(items)} 件：" + "；".join(shown) + more_than_shown(len(items))


def _staff_todo(ctx: Context) -> str:
    p = ctx.p
    in_scope = p.area_condition(Area)

    def issues_where(cond):
        return list(
            Issue.select(Issue)
            .join(Area, on=(Issue.alley == Area.id))
            .where(in_scope & cond)
            .order_by(Issue.deadline, Issue.id)
        )

    review = list(
        Wish.select(Wish)
        .join(Area, on=(Wish.alley == Area.id))
        .where(in_scope & (Wish.status == "pending_review"))
        .order_by(Wish.created_at, Wish.id)
    )
    held = issues_where((Issue.visibility == "held") & (Issue.status != "cancelled"))
    overdue = issues_where(Issue.status.in_(ISSUE_OPEN) & (Issue.deadline < ctx.now))
    escalated = issues_where(Issue.status == "escalated")
    whistled = issues_where(Issue.status == "whistled")
    sections = [
        ("待审核心愿", [wish_title(w, ctx) for w in review], "通过 心愿N"),
        ("待审核公开", [f"#{i.id} {i.category}" for i in held], "公开 N"),
        ("超期", [f"#{i.id} {i.alley.name}" for i in overdue], "派单 N 管家姓名"),
        ("已上报", [f"#{i.id} {i.alley.name}" for i in escalated], "吹哨 N 部门 说明"),
        ("已吹哨", [f"#{i.id} {i.alley.name}" for i in whistled], None),
    ]
    lines = []
    for label, entries, hint in sections:
        if entries:
            more = f" 等 {len(entries)} 件" if len(entries) > 5 else ""
            tip = f"（{ctx.call(hint)}）" if hint else ""
            lines.append(f"{label} {len(entries)}：{'、'.join(entries[:5])}{more}{tip}")
    if not lines:
        return "社区暂无待办，辛苦了！"
    return "社区待办：\n" + "\n".join(lines)
