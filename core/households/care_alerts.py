"""关怀提醒: a care alert reaches the right door, and the stewards' answers come back.

Staff send an alert (寒潮 / 高温 / 暴雨 / 停水停电 / 自定义) for an area and household tags.
The active households of that area carrying any of the tags become its targets, grouped by
the steward who keeps each one; every steward gets **privately** (the WeCom app's message to
that person, `core.delivery.private`) the list of their own households, numbered 1, 2, 3 …,
and the group only reads "请查看私信的关怀名单（3 户）" with the steward @-mentioned. A
steward the app cannot reach (no WeCom account, no app) is told in the group to open the
mini program instead; nothing of a household ever goes to a group.

A steward answers per number (`answer`): 已联系, 已上门 (with what they found), 需帮助 (with
what is needed). Every answer is a `Visit` of that household; 需帮助 also files an item for
staff — a normal issue, kept back from the public (`hidden`) and 上报社区 at once, so it waits
in staff's 待办 like any escalation; its words name no household (the console's alert page
shows which one). A later answer replaces an earlier one; the item of a 需帮助 is made once.

`progress` is what the console and `GET /care-alerts/{id}` show: answered / total, per
steward, and the households still waiting. `remind_due` (the reminder scan) tells each steward
who has not answered `CARE_REMINDER_HOURS` after the alert, once.

Every list sent, every answer and every read of the outstanding households is audited.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app

from core import audit
from core.delivery import private, robot
from core.households import access, visits
from core.items import issues
from core.people.permissions import Principal
from infra import text
from infra.db import locked, write_transaction
from infra.errors import ApiError, bad_request, forbidden, not_found
from infra.timeutil import iso, month_day_time, utcnow
from models import Area, Household, Steward
from models.care import CARE_KINDS, CARE_STATUS_LABELS, CareAlert, CareTarget

CUSTOM = "自定义"
RESULTS = {"contacted": "已联系", "visited": "已上门", "needs_help": "需帮助"}
MESSAGE_MAX = 500
TITLE_MAX = 20
NOTE_MAX = 300
HELP_CATEGORY = "助老帮残"


def alert_title(alert: CareAlert) -> str:
    return f"关怀提醒·{alert.title}"


# --- sending an alert -------------------------------------------------------------------------


def _check(p: Principal, area_id, kind, tags, message, title) -> tuple[Area, str, list, str]:
    if not p.is_staff:
        raise forbidden("只有社区工作人员可以发出关怀提醒", code="care_alert_forbidden")
    area = Area.get_or_none(Area.id == area_id) if isinstance(area_id, int) else None
    if area is None or not p.can_manage(area):
        raise not_found("找不到该区域", code="area_not_found")
    if kind not in CARE_KINDS:
        raise bad_request(
            f"提醒类型：须为{'、'.join(CARE_KINDS)}之一", {"kind": "不是可选的提醒类型"}
        )
    known = access.tags()
    tags = list(dict.fromkeys(t for t in (tags or []) if isinstance(t, str)))
    if not tags:
        raise bad_request("住户标签：请至少选一个", {"tags": "请至少选一个"})
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise bad_request(
            f"住户标签：没有“{unknown[0]}”这个标签", {"tags": f"没有“{unknown[0]}”这个标签"}
        )
    message = text.normalise(message or "")
    if len(message) > MESSAGE_MAX:
        raise bad_request(
            f"提醒内容：最多 {MESSAGE_MAX} 个字", {"message": f"最多 {MESSAGE_MAX} 个字"}
        )
    title = text.normalise(title or "")
    if kind == CUSTOM:
        if not title and not message:
            raise bad_request("自定义提醒：请写明标题或内容", {"title": "请写明标题"})
        title = title or "关怀提醒"
    else:
        title = kind
    if len(title) > TITLE_MAX:
        raise bad_request(f"标题：最多 {TITLE_MAX} 个字", {"title": f"最多 {TITLE_MAX} 个字"})
    return area, title, tags, message


def matching_households(area: Area, tags: list[str]) -> list[Household]:
    """Active households under `area` with any of `tags`, kept by an active steward, in their
    steward's order and then as registered (the order of each private list)."""
    rows = (
        Household.select(Household, Area, Steward)
        .join(Area, on=(Household.alley == Area.id))
        .switch(Household)
        .join(Steward, on=(Household.steward == Steward.id))
        .where(Area.path.startswith(area.path) & Household.active & Steward.active)
        .order_by(Steward.id, Household.id)
    )
    wanted = set(tags)
    return [h for h in rows if wanted & set(h.tags or [])]


def _list_text(alert: CareAlert, targets: list[CareTarget]) -> str:
    lines = [f"【{alert_title(alert)}】{alert.message}".rstrip()]
    lines.append(f"您包联的以下 {len(targets)} 户请及时电话或上门看望：")
    for t in targets:
        h = t.household
        phone = f" {h.head_phone}" if h.head_phone else ""
        tags = "、".join(tag for tag in h.tags if tag in alert.tags)
        lines.append(f"{t.seq}. {h.head_name}（{tags}）{h.address}{phone}")
    lines.append("请逐户回复：已联系 序号；已上门 序号 情况；需帮助 序号 说明")
    lines.append("例如：已上门 1 一切正常。也可在小程序“关怀提醒”中回复。")
    return "\n".join(lines)


def _group_for(targets: list[CareTarget]):
    found = robot.groups_for_area(targets[0].household.alley)
    return found[0] if found else None


def _tell_steward(alert: CareAlert, steward: Steward, targets: list[CareTarget], p: Principal):
    """The private list, and the one line the group reads; audited."""
    key = f"care:{alert.id}:{steward.id}"
    sent = private.send_text(
        steward.wecom_userid, _list_text(alert, targets), f"private:{key}", area=alert.area_id
    )
    where = "请查看私信的关怀名单" if sent else "请在小程序“关怀提醒”中查看关怀名单"
    group = _group_for(targets)
    if group is not None:
        robot.push_text(
            group,
            f"【{alert_title(alert)}】{steward.name}：{where}（{len(targets)} 户）",
            f"robot:{key}",
            [steward.phone],
            fetch=False,
        )
    audit.record(
        "care_alert.list_sent",
        "care_alert",
        alert.id,
        actor=p.user,
        area=alert.area_id,
        data={
            "steward_id": steward.id,
            "household_ids": [t.household_id for t in targets],
            "via": "private" if sent else "miniprogram",
            "group_id": group.id if group is not None else None,
        },
    )


def create(
    p: Principal,
    area_id,
    kind: str,
    tags: list[str],
    message: str | None = "",
    title: str | None = None,
) -> CareAlert:
    """Send a care alert: the targets, each steward's private list, the group's lines."""
    area, title, tags, message = _check(p, area_id, kind, tags, message, title)
    households = matching_households(area, tags)
    if not households:
        raise bad_request(
            "该区域没有带这些标签的在册住户", {"tags": "没有符合条件的住户"}, code="no_households"
        )
    now = utcnow()
    with write_transaction():
        alert = CareAlert.create(
            area=area,
            kind=kind,
            title=title,
            tags=tags,
            message=message,
            created_by=p.user,
            created_label=audit.actor_label(p.user),
            created_at=now,
        )
        by_steward: dict[int, list[CareTarget]] = defaultdict(list)
        stewards: dict[int, Steward] = {}
        for h in households:
            mine = by_steward[h.steward_id]
            target = CareTarget.create(
                alert=alert, household=h, steward=h.steward_id, seq=len(mine) + 1
            )
            target.household = h
            mine.append(target)
            stewards[h.steward_id] = h.steward
        audit.record(
            "care_alert.create",
            "care_alert",
            alert.id,
            actor=p.user,
            area=area,
            data={
                "kind": kind,
                "title": title,
                "tags": tags,
                "households": len(households),
                "stewards": sorted(stewards),
            },
        )
        for steward_id, targets in by_steward.items():
            _tell_steward(alert, stewards[steward_id], targets, p)
    return alert


# --- answers ----------------------------------------------------------------------------------


def latest_alert_for(p: Principal) -> CareAlert | None:
    """The newest alert with a household on one of `p`'s stewards' lists."""
    ids = access.steward_ids(p)
    if not ids:
        return None
    return (
        CareAlert.select()
        .join(CareTarget)
        .where(CareTarget.steward.in_(ids))
        .order_by(CareAlert.id.desc())
        .first()
    )


def _target(p: Principal, alert_id: int | None, seq: int) -> CareTarget:
    ids = access.steward_ids(p)
    if not ids:
        raise forbidden("只有小巷管家可以回复关怀名单", code="care_answer_forbidden")
    alert = (
        CareAlert.get_or_none(CareAlert.id == alert_id)
        if alert_id is not None
        else latest_alert_for(p)
    )
    if alert is None:
        raise not_found("您目前没有关怀名单", code="care_alert_not_found")
    target = CareTarget.get_or_none(
        (CareTarget.alert == alert.id) & CareTarget.steward.in_(ids) & (CareTarget.seq == seq)
    )
    if target is None:
        if alert_id is not None and not CareTarget.get_or_none(
            (CareTarget.alert == alert.id) & CareTarget.steward.in_(ids)
        ):
            raise not_found("找不到该关怀提醒", code="care_alert_not_found")
        raise not_found(f"关怀名单中没有第 {seq} 户", code="care_target_not_found")
    return target


def _help_item(p: Principal, alert: CareAlert, target: CareTarget, household: Household, note):
    """需帮助 → an item for staff, kept back from the public and escalated at once. Its words
    name no household: the console's alert page shows which one."""
    steward = Steward.get_by_id(target.steward_id)
    content = (
        f"【{alert_title(alert)}】{steward.name} 包联的一户需要帮助：{note}"
        f"（住户信息见工作台“关怀提醒”第 {alert.id} 号第 {target.seq} 户）"
    )
    created = issues.create(
        p,
        alley=household.alley,
        board=None,
        category=HELP_CATEGORY,
        content=content,
        source="steward",
        hidden=True,
    )
    return issues.escalate(
        p, created.issue.id, f"{alert_title(alert)}：管家反映一户需要帮助，详情请在工作台查看"
    )


def answer(
    p: Principal, seq: int, result: str, note: str | None = "", alert_id: int | None = None
) -> CareTarget:
    """A steward's answer for household `seq` of their list (the newest alert, or `alert_id`)."""
    if result not in RESULTS:
        raise bad_request("回复：须为已联系、已上门或需帮助", {"result": "不是可选的回复"})
    note = text.normalise(note or "")
    if len(note) > NOTE_MAX:
        raise bad_request(f"说明：最多 {NOTE_MAX} 个字", {"note": f"最多 {NOTE_MAX} 个字"})
    if result == "needs_help" and not note:
        raise bad_request("请写明需要什么帮助", {"note": "请写明需要什么帮助"})
    found = _target(p, alert_id, seq)
    now = utcnow()
    with write_transaction():
        target = locked(CareTarget.select().where(CareTarget.id == found.id)).get()
        if result == "needs_help" and target.issue_id is not None:
            raise ApiError(
                409,
                "already_handed_over",
                f"该户已转社区处理（诉求 #{target.issue_id}），请在小程序查看进展",
            )
        alert = CareAlert.get_by_id(target.alert_id)
        household = Household.get_by_id(target.household_id)
        said = note or ("一切正常" if result == "visited" else "")
        visit_note = f"{alert_title(alert)}：{RESULTS[result]}" + (f"，{said}" if said else "")
        visit = visits.write(p, household, visit_note, [], now)
        issue = _help_item(p, alert, target, household, note) if result == "needs_help" else None
        target.status = result
        target.note = said
        target.answered_at = now
        target.answered_by = p.user
        target.visit = visit
        if issue is not None:
            target.issue = issue
        target.save()
        audit.record(
            "care_alert.answer",
            "care_alert",
            alert.id,
            actor=p.user,
            area=household.alley_id,
            data={
                "target_id": target.id,
                "household_id": household.id,
                "seq": target.seq,
                "result": result,
                "visit_id": visit.id,
                "issue_id": issue.id if issue is not None else None,
            },
        )
    return target


def steward_ids(alert: CareAlert) -> list[int]:
    """The stewards an alert's lists went to."""
    rows = CareTarget.select(CareTarget.steward).where(CareTarget.alert == alert.id).distinct()
    return sorted(r.steward_id for r in rows)


def answered_count(alert_id: int, steward_id: int) -> tuple[int, int]:
    rows = CareTarget.select(CareTarget.status).where(
        (CareTarget.alert == alert_id) & (CareTarget.steward == steward_id)
    )
    statuses = [r.status for r in rows]
    return sum(1 for s in statuses if s != "pending"), len(statuses)


# --- what the console, the API and the mini program show ------------------------------------


def load_for_staff(p: Principal, alert_id: int) -> CareAlert:
    alert = CareAlert.get_or_none(CareAlert.id == alert_id)
    if alert is None or not p.is_staff or not p.can_manage(alert.area):
        raise not_found("找不到该关怀提醒", code="care_alert_not_found")
    return alert


def _counts(targets) -> dict:
    counts = {status: 0 for status in CARE_STATUS_LABELS}
    for t in targets:
        counts[t.status] += 1
    total = sum(counts.values())
    return {"total": total, "answered": total - counts["pending"], **counts}


def summary_out(alert: CareAlert, targets=None) -> dict:
    targets = targets if targets is not None else list(alert.targets)
    return {
        "id": alert.id,
        "area": {"id": alert.area_id, "name": alert.area.name},
        "kind": alert.kind,
        "title": alert.title,
        "tags": list(alert.tags),
        "message": alert.message,
        "created_by": alert.created_label,
        "created_at": iso(alert.created_at),
        **_counts(targets),
    }


def target_out(t: CareTarget) -> dict:
    h = t.household
    return {
        "seq": t.seq,
        "household_id": h.id,
        "head_name": h.head_name,
        "address": h.address,
        "head_phone": h.head_phone,
        "tags": list(h.tags),
        "status": t.status,
        "status_label": CARE_STATUS_LABELS[t.status],
        "note": t.note,
        "answered_at": iso(t.answered_at),
        "issue_id": t.issue_id,
    }


def _targets(where) -> list[CareTarget]:
    return list(
        CareTarget.select(CareTarget, Household, Steward)
        .join(Household, on=(CareTarget.household == Household.id))
        .switch(CareTarget)
        .join(Steward, on=(CareTarget.steward == Steward.id))
        .where(where)
        .order_by(Steward.name, Steward.id, CareTarget.seq)
    )


def progress(p: Principal, alert_id: int, via: str) -> dict:
    """Answered / total, per steward with their households (the outstanding ones first among
    the figures); the households shown are recorded like any list of them."""
    alert = load_for_staff(p, alert_id)
    targets = _targets(CareTarget.alert == alert.id)
    per: dict[int, list[CareTarget]] = defaultdict(list)
    for t in targets:
        per[t.steward_id].append(t)
    stewards = []
    for rows in per.values():
        steward = rows[0].steward
        stewards.append(
            {
                "steward": {"id": steward.id, "name": steward.name},
                **_counts(rows),
                "reminded": any(t.reminded_at for t in rows),
                "households": [target_out(t) for t in rows],
                "outstanding": [t.seq for t in rows if t.status == "pending"],
            }
        )
    stewards.sort(key=lambda s: (-(s["total"] - s["answered"]), s["steward"]["name"]))
    access.record_list(p, [t.household_id for t in targets], {"care_alert": alert.id}, via)
    return {**summary_out(alert, targets), "stewards": stewards}


def listing(p: Principal, limit: int = 50) -> list[dict]:
    """The alerts in `p`'s scope, newest first, with their figures."""
    if not p.is_staff:
        raise forbidden("只有社区工作人员可以查看关怀提醒", code="care_alert_forbidden")
    alerts = list(
        CareAlert.select(CareAlert, Area)
        .join(Area, on=(CareAlert.area == Area.id))
        .where(p.area_condition(Area))
        .order_by(CareAlert.id.desc())
        .limit(limit)
    )
    per: dict[int, list] = defaultdict(list)
    if alerts:
        for t in CareTarget.select(CareTarget.alert, CareTarget.status).where(
            CareTarget.alert.in_([a.id for a in alerts])
        ):
            per[t.alert_id].append(t)
    return [summary_out(a, per[a.id]) for a in alerts]


def mine(p: Principal, via: str, limit: int = 5) -> list[dict]:
    """A steward's own lists of the newest alerts (the mini program's 关怀提醒)."""
    ids = access.steward_ids(p)
    if not ids:
        raise forbidden("只有小巷管家有关怀名单", code="care_answer_forbidden")
    alerts = list(
        CareAlert.select(CareAlert, Area)
        .join(Area, on=(CareAlert.area == Area.id))
        .switch(CareAlert)
        .join(CareTarget)
        .where(CareTarget.steward.in_(ids))
        .distinct()
        .order_by(CareAlert.id.desc())
        .limit(limit)
    )
    out, shown = [], []
    for alert in alerts:
        rows = _targets((CareTarget.alert == alert.id) & CareTarget.steward.in_(ids))
        shown += [t.household_id for t in rows]
        out.append({**summary_out(alert, rows), "households": [target_out(t) for t in rows]})
    if shown:
        access.record_list(p, shown, {"care_alerts": "mine"}, via)
    return out


# --- the reminder ---------------------------------------------------------------------------


def remind_due(now: datetime) -> int:
    """Tell each steward with households still unanswered `CARE_REMINDER_HOURS` after the
    alert, once per alert: privately (the numbers and names), else the group names only the
    count. Returns how many stewards were reminded."""
    hours = int(current_app.config["CARE_REMINDER_HOURS"])
    if hours <= 0:
        return 0
    since = now - timedelta(hours=hours)
    due = list(
        CareTarget.select(CareTarget, CareAlert, Household, Steward)
        .join(CareAlert, on=(CareTarget.alert == CareAlert.id))
        .switch(CareTarget)
        .join(Household, on=(CareTarget.household == Household.id))
        .switch(CareTarget)
        .join(Steward, on=(CareTarget.steward == Steward.id))
        .where(
            (CareTarget.status == "pending")
            & CareTarget.reminded_at.is_null()
            & (CareAlert.created_at <= since)
            & Steward.active
        )
        .order_by(CareTarget.alert, CareTarget.steward, CareTarget.seq)
    )
    groups: dict[tuple[int, int], list[CareTarget]] = defaultdict(list)
    for t in due:
        groups[(t.alert_id, t.steward_id)].append(t)
    reminded = 0
    for targets in groups.values():
        with write_transaction():
            claimed = (
                CareTarget.update(reminded_at=now)
                .where(
                    CareTarget.id.in_([t.id for t in targets])
                    & CareTarget.reminded_at.is_null()
                    & (CareTarget.status == "pending")
                )
                .execute()
            )
            if not claimed:
                continue  # another scheduler run got there first
            _remind(targets[0].alert, targets[0].steward, targets, now)
        reminded += 1
    return reminded


def _remind(alert: CareAlert, steward: Steward, targets: list[CareTarget], now: datetime):
    key = f"care:{alert.id}:{steward.id}:remind"
    lines = [
        f"【{alert_title(alert)}·提醒】{month_day_time(alert.created_at)} 发出的关怀名单还有"
        f" {len(targets)} 户未回复："
    ]
    lines += [f"{t.seq}. {t.household.head_name} {t.household.address}" for t in targets]
    lines.append("请回复：已联系 序号；已上门 序号 情况；需帮助 序号 说明")
    sent = private.send_text(
        steward.wecom_userid, "\n".join(lines), f"private:{key}", area=alert.area_id
    )
    where = "请查看私信" if sent else "请在小程序“关怀提醒”中查看"
    group = _group_for(targets)
    if group is not None:
        robot.push_text(
            group,
            f"【{alert_title(alert)}】{steward.name}：关怀名单还有 {len(targets)} 户未回复，{where}",
            f"robot:{key}",
            [steward.phone],
            fetch=False,
        )
    audit.record(
        "care_alert.remind",
        "care_alert",
        alert.id,
        label="系统",
        area=alert.area_id,
        data={
            "steward_id": steward.id,
            "household_ids": [t.household_id for t in targets],
            "via": "private" if sent else "miniprogram",
        },
    )
