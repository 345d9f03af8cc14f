"""What a handling unit's member does with an item whistled to their unit, and staff's
answers: 报到 (check-in), 进展 (progress), 申请延期 (extension: staff approve or refuse), 退回
(return: back to the community, the item stays open), 办结 (resolve, through the workflow's
`resolve`), and staff's 催办 (urge) and 督办 (supervise: the street leader is told).

Each is allowed only on a whistled item of the member's own unit (others: 404 as if it did
not exist, a closed one 409), runs under the item's row lock (two members at once: one
winner), is audited and names the person and the unit on the trail (`住建办 李工`).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from core.items import issues as flow
from core.items import lifecycle, trail_names
from core.people.permissions import Principal
from core.units import handling, members
from core.units import notify as unit_notify
from infra.db import locked, write_transaction
from infra.errors import bad_request, conflict, forbidden, not_found
from infra.timeutil import month_day_time, utcnow
from models import Department, Event, Issue

REASON_MAX = 500


def _own_item(p: Principal, issue_id: int) -> tuple[Issue, Department]:
    """The item, locked, when it is whistled to one of the caller's units."""
    issue = locked(Issue.select().where(Issue.id == issue_id)).first()
    if issue is None or issue.department_id is None or issue.department_id not in p.unit_ids:
        if issue is not None and flow.can_view(p, issue):
            raise forbidden("该诉求不是交给您单位办理的", code="not_your_unit")
        raise not_found("找不到该诉求", code="issue_not_found")
    if issue.status != "whistled":
        label = flow.STATUS_LABELS[issue.status]
        raise conflict("invalid_transition", f"该诉求当前为“{label}”，已不在本单位办理中")
    return issue, Department.get_by_id(issue.department_id)


def _record(p: Principal, issue: Issue, unit: Department, action: str, data: dict) -> Event:
    data = {"unit_id": unit.id, "unit": unit.name, **data}
    return flow.KIND.record(p.user, issue, action, data, members.person_label(p, unit))


def check_in(p: Principal, issue_id: int) -> Issue:
    """报到: the unit has the item (the clock of 报到率 stops). A second 报到 is 409."""
    with write_transaction():
        issue, unit = _own_item(p, issue_id)
        if issue.checked_in_at is not None:
            raise conflict(
                "already_checked_in",
                f"{unit.name}已于 {month_day_time(issue.checked_in_at)} 报到，无需重复报到",
            )
        issue.checked_in_at = utcnow()
        _record(p, issue, unit, "check_in", {})
    return issue


def progress(p: Principal, issue_id: int, note: str, photo_ids: list[int] | None = None) -> Issue:
    """进展: a note (and the member's own photos) on the trail."""
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    if not (note or "").strip():
        raise bad_request("请填写进展说明", {"note": "不能为空"})
    with write_transaction():
        issue, unit = _own_item(p, issue_id)
        _record(p, issue, unit, "progress", {"note": note, "photo_ids": photo_ids})
    return issue


def request_extension(p: Principal, issue_id: int, days: int, reason: str) -> Issue:
    """申请延期: staff approve or refuse (`decide_extension`); one pending at a time."""
    most = int(current_app.config["UNIT_EXTENSION_MAX_DAYS"])
    if not isinstance(days, int) or days < 1 or days > most:
        raise bad_request(f"延期天数须为 1 到 {most} 天", {"days": f"1 到 {most} 天"})
    if not (reason or "").strip():
        raise bad_request("请说明延期原因", {"reason": "不能为空"})
    with write_transaction():
        issue, unit = _own_item(p, issue_id)
        if pending_extension(issue) is not None:
            raise conflict("extension_pending", "已有延期申请等待社区审批")
        event = _record(p, issue, unit, "extension", {"days": days, "note": reason})
        unit_notify.extension_requested(issue, unit, event, days, reason)
    return issue


def pending_extension(issue: Issue) -> Event | None:
    """The last extension request, if no decision followed it."""
    last = (
        Event.select()
        .where(
            (Event.subject_type == "issue")
            & (Event.subject_id == issue.id)
            & Event.action.in_(("issue.extension", "issue.extension_decide", "issue.whistle"))
        )
        .order_by(Event.id.desc())
        .first()
    )
    return last if last is not None and last.action == "issue.extension" else None


def decide_extension(p: Principal, issue_id: int, approve: bool, note: str = "") -> Issue:
    """Staff answer a pending extension: approved moves the deadline (a trail line from
    what to what), refused leaves it. The unit's group is told either way."""
    flow.get_visible(p, issue_id)
    with write_transaction():
        issue = locked(Issue.select().where(Issue.id == issue_id)).first()
        if not p.can_manage(issue.alley):
            raise forbidden("只有社区工作人员可以审批延期")
        request = pending_extension(issue) if issue.status == "whistled" else None
        if request is None:
            raise conflict("no_pending_extension", "该诉求没有待审批的延期申请")
        before = (issue.priority, issue.deadline)
        days = int(request.data["days"])
        if approve:
            issue.deadline = issue.deadline + timedelta(days=days)
        data = {"approved": approve, "days": days, "note": note or None}
        event = flow.KIND.record(p.user, issue, "extension_decide", data)
        if approve:
            handling.record_tier_change(issue, before, actor=p, reason=f"同意延期 {days} 天")
        unit = Department.get_by_id(issue.department_id)
        who = trail_names.person_name(event.actor_id, event.actor_label)
        unit_notify.extension_decided(issue, unit, event, approve, days, who, note)
    return issue


def return_to_community(p: Principal, issue_id: int, reason: str) -> Issue:
    """退回: not the unit's remit. The item goes back to the community (社区办理), open."""
    if not (reason or "").strip():
        raise bad_request("请说明退回原因", {"reason": "不能为空"})
    with write_transaction():
        issue, unit = _own_item(p, issue_id)
        issue.status = "escalated"
        issue.department = None
        issue.whistled_at = issue.checked_in_at = None
        event = _record(p, issue, unit, "return", {"note": reason})
        unit_notify.returned(issue, unit, event, reason)
    return issue


def resolve(
    p: Principal,
    issue_id: int,
    note: str,
    photo_ids: list[int] | None = None,
    outcome: str | None = None,
) -> Issue:
    """办结 by a member of the unit: the workflow's `resolve` (joint handling), naming them;
    `outcome` as `core.items.outcomes` (None: solved; a unit cannot merge duplicates)."""
    with write_transaction():
        issue, unit = _own_item(p, issue_id)
    label = members.person_label(p, unit)
    return flow.resolve(p, issue_id, note, photo_ids, label=label, outcome=outcome)


def urge(p: Principal, issue_id: int, note: str) -> Issue:
    """催办 (staff): a message to the unit's group, on the trail."""
    if not (note or "").strip():
        raise bad_request("请填写催办内容", {"note": "不能为空"})
    flow.get_visible(p, issue_id)
    with write_transaction():
        issue = locked(Issue.select().where(Issue.id == issue_id)).first()
        if not p.can_manage(issue.alley):
            raise forbidden("只有社区工作人员可以催办")
        if issue.status != "whistled" or issue.department_id is None:
            raise conflict("invalid_transition", "只能催办已吹哨、仍在单位办理中的诉求")
        unit = Department.get_by_id(issue.department_id)
        event = flow.KIND.record(
            p.user, issue, "urge", {"unit_id": unit.id, "unit": unit.name, "note": note}
        )
        unit_notify.urged(issue, unit, event, note)
    return issue


def supervise(p: Principal, issue_id: int, note: str = "") -> tuple[Issue, bool]:
    """督办 (staff): the unit's item is escalated to the street leader — marked supervised,
    on the trail naming who asked, and told to the street (`notify.supervised`). Once per
    whistle (a second is 409). Returns the item and whether a group was there to tell."""
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise bad_request(f"督办说明最多 {REASON_MAX} 字", {"note": f"最多 {REASON_MAX} 字"})
    flow.get_visible(p, issue_id)
    with write_transaction():
        issue = locked(Issue.select().where(Issue.id == issue_id)).first()
        if not p.can_manage(issue.alley):
            raise forbidden("只有社区工作人员可以提请督办")
        if issue.status != "whistled" or issue.department_id is None:
            raise conflict("invalid_transition", "只能督办已吹哨、仍在单位办理中的诉求")
        if issue.supervised_at is not None:
            raise conflict(
                "already_supervised",
                f"该诉求已于 {month_day_time(issue.supervised_at)} 提请街道督办",
            )
        unit = Department.get_by_id(issue.department_id)
        issue.supervised_at = utcnow()
        data = {"unit_id": unit.id, "unit": unit.name, "note": note or None}
        event = flow.KIND.record(p.user, issue, "supervise", data)
        who = trail_names.person_name(event.actor_id, event.actor_label)  # a name, not a login
        told = unit_notify.supervised(issue, unit, event, who, note)
    return issue, told
