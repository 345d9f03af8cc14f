"""Whistling (吹哨) an item to a handling unit, with its tier chosen explicitly.

The tier (一般 / 重要 / 重大, the seeds' "2310": `DEADLINE_DAYS`) is what the person whistling
says it is — never raised silently. With a tier, the unit's deadline runs from the whistle
(`DEADLINE_DAYS[tier]` days); without one (old clients sending only `department_id`), the
item keeps its tier and its deadline, and the trail says so. Every change of tier or deadline
is its own trail line (`issue.tier`) saying from what to what and who made it ("系统" for the
scheduler's).

A held item (its content not yet reviewed) or one not open is refused with a 409 and nothing
is written.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from core import audit
from core.items import credit, notify
from core.items import issues as flow
from core.people.permissions import Principal
from core.units import notify as unit_notify
from infra.db import write_transaction
from infra.errors import bad_request, conflict, forbidden
from infra.timeutil import month_day_time, utcnow
from models import Area, Department, Issue

TIER_LABELS = flow.PRIORITY_LABELS
SYSTEM_LABEL = "系统"


def tier_days() -> dict[str, int]:
    return {k: int(v) for k, v in current_app.config["DEADLINE_DAYS"].items()}


def check_tier(tier: str | None) -> None:
    if tier is not None and tier not in tier_days():
        raise bad_request(
            "紧急程度有误", {"tier": "可选：ordinary（一般）、important（重要）、major（重大）"}
        )


def whistle(p: Principal, issue_id: int, unit_id: int, note: str, tier: str | None = None) -> Issue:
    """Hand the item to unit `unit_id` (a department or property company on the alley's
    path). `tier` None keeps the item's tier and deadline (said on the trail)."""
    check_tier(tier)
    flow.get_visible(p, issue_id)  # 404 before anything else for what the caller cannot see
    with write_transaction():
        issue = _load_open(issue_id)
        if not p.can_manage(issue.alley):
            raise forbidden("只有社区工作人员可以吹哨报到")
        unit = Department.get_or_none((Department.id == unit_id) & Department.active)
        if unit is None or not Area.get_by_id(unit.area_id).covers(issue.alley):
            raise bad_request("请选择本街道的部门", {"department_id": "部门不存在"})
        now = utcnow()
        issue.status = "whistled"
        issue.department = unit
        issue.whistled_at = now
        issue.checked_in_at = None
        if issue.accepted_at is None:
            issue.accepted_at, issue.accepted_by = now, credit.issue_actor(p, issue)
        before = (issue.priority, issue.deadline)
        if tier is not None:
            issue.priority = tier
            issue.deadline = flow.deadline_for(tier, now)
        data = {
            "department_id": unit.id,
            "department": unit.name,
            "unit_id": unit.id,
            "unit": unit.name,
            "unit_kind": unit.kind,
            "tier": issue.priority,
            "tier_chosen": tier is not None,
            "note": note,
            # the resident's plain words (core.items.presenters shows `data` on the trail)
            "summary": f"已转交 {unit.name} 处理",
        }
        event = flow.KIND.record(p.user, issue, "whistle", data)
        notify.issue_changed(issue, "whistle", event, f"已吹哨{unit.name}")
        unit_notify.whistled(issue, unit, event)
        if tier is None:
            record_tier_kept(p, issue)
        else:
            record_tier_change(issue, before, actor=p)
    return issue


def _load_open(issue_id: int) -> Issue:
    """The item, locked, if it may be whistled: open and not held (409 otherwise)."""
    issue = flow.KIND.load_for_change(issue_id, "whistle")
    if issue.visibility == "held":
        raise conflict(
            "held",
            "该诉求内容尚待审核，请先审核（公开或不公开）后再吹哨",
        )
    return issue


def _deadline_text(at: datetime) -> str:
    return month_day_time(at)


def record_tier_change(
    issue: Issue,
    before: tuple[str, datetime],
    *,
    actor: Principal | None = None,
    reason: str = "",
) -> None:
    """A trail line when the tier or the deadline moved: `紧急程度 一般→重大；期限 …→…`.
    `actor` None: the system (a scheduled job). Nothing when neither changed."""
    old_tier, old_deadline = before
    if (old_tier, old_deadline) == (issue.priority, issue.deadline):
        return
    parts = []
    if old_tier != issue.priority:
        parts.append(f"紧急程度 {TIER_LABELS[old_tier]}→{TIER_LABELS[issue.priority]}")
    if old_deadline != issue.deadline:
        parts.append(f"办理期限 {_deadline_text(old_deadline)}→{_deadline_text(issue.deadline)}")
    text = "；".join(parts) + (f"（{reason}）" if reason else "")
    audit.record(
        "issue.tier",
        "issue",
        issue.id,
        actor=actor.user if actor else None,
        label=None if actor else SYSTEM_LABEL,
        area=issue.alley_id,
        data={
            "note": text,
            "tier_from": old_tier,
            "tier_to": issue.priority,
            "deadline_from": old_deadline.isoformat(),
            "deadline_to": issue.deadline.isoformat(),
        },
    )


def record_tier_kept(p: Principal, issue: Issue) -> None:
    """No tier chosen (an old client): the trail says the tier and deadline stayed."""
    audit.record(
        "issue.tier",
        "issue",
        issue.id,
        actor=p.user,
        area=issue.alley_id,
        data={
            "note": (
                f"吹哨时未选择紧急程度，保持“{TIER_LABELS[issue.priority]}”，"
                f"办理期限仍为 {_deadline_text(issue.deadline)}"
            ),
            "tier_from": issue.priority,
            "tier_to": issue.priority,
            "deadline_from": issue.deadline.isoformat(),
            "deadline_to": issue.deadline.isoformat(),
        },
    )
