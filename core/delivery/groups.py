"""Chat groups: a community's (or a grid's) WeCom group, its robot webhook and smart-bot chat id;
and a street's leaders' group (a staff group on the street, `STREET_AUDIENCE`).

The CLI (`flask --app app groups …`) and the staff API call these functions. A group covers
its area's subtree: pushes about an alley go to the most specific active group above it
(`core.delivery.robot.groups_for_area`). When WeCom says the robot is gone (errcodes 93000/93004/93008),
the outbox calls `mark_broken`: the group's `robot_status` becomes `broken`, an audit event
records it, staff see it in `GET /api/v1/groups` and as dead rows in `GET /api/v1/outbox`,
and nothing more is sent to that robot until staff give the group a working webhook key.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from peewee import fn

from core import audit
from core.people.permissions import Principal, compiled_scope_condition, subtree_pattern
from infra.db import Param, PreparedFamily, count_query, write_transaction
from infra.errors import ApiError, bad_request, not_found
from infra.timeutil import utcnow
from models import AREA_KIND_LABELS, Area, ChatGroup, Steward, StewardAlley, User

GROUP_AREA_KINDS = ("street", "community", "grid")
# A street's group is its leaders' group (街道领导群): staff only. It hears what is addressed to
# the street — the street edition of the daily 通报, a unit's overdue item brought to the street
# (督办, `jobs.unit_reminders`) — never a community's pushes (`robot.groups_for_area`).
STREET_AUDIENCE = "staff"
ROBOT_STATUS_LABELS = {"ok": "正常", "broken": "已失效"}
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


def normalize_webhook_key(value: str) -> str:
    """Accept the bare key or the whole webhook URL staff copy from the robot's profile."""
    value = (value or "").strip()
    if "://" in value or value.startswith("cgi-bin/"):
        keys = parse_qs(urlparse(value).query).get("key") or [""]
        value = keys[0].strip()
    if not _KEY_RE.match(value):
        raise bad_request(
            "群机器人 webhook key 格式不对，请复制机器人资料页的 webhook 地址",
            {"webhook_key": "格式不对"},
        )
    return value


def _check_area(area: Area, audience: str) -> None:
    if area.kind not in GROUP_AREA_KINDS:
        raise bad_request(
            f"群只能对应街道、社区或网格，不能对应{AREA_KIND_LABELS.get(area.kind, area.kind)}",
            {"area_id": "请选择街道、社区或网格"},
        )
    if area.kind == "street" and audience != STREET_AUDIENCE:
        raise bad_request(
            "街道只能登记工作人员群（街道领导群），管家群请登记在社区或网格上",
            {"audience": "街道的群须为 staff（工作人员群）"},
        )


def default_audience(area: Area) -> str:
    """A street's group is its leaders' (staff) group; a community's or grid's, the stewards'."""
    return STREET_AUDIENCE if area.kind == "street" else "stewards"


def _check_unique(webhook_key: str | None, chat_id: str | None, own_id: int | None) -> None:
    if webhook_key:
        other = ChatGroup.get_or_none(ChatGroup.webhook_key == webhook_key)
        if other is not None and other.id != own_id:
            raise ApiError(409, "webhook_taken", "该群机器人已登记给另一个群")
    if chat_id:
        other = ChatGroup.get_or_none(ChatGroup.chat_id == chat_id)
        if other is not None and other.id != own_id:
            raise ApiError(409, "chat_id_taken", "该群聊 ID 已登记给另一个群")


def _check_leaders(area: Area, leader_ids: list[int]) -> list[int]:
    """Leaders must be active stewards of an alley inside the group's area."""
    leader_ids = list(dict.fromkeys(int(i) for i in leader_ids))
    if not leader_ids:
        return []
    inside = {
        s.id
        for s in Steward.select(Steward.id)
        .join(StewardAlley)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(Steward.id.in_(leader_ids) & Steward.active & Area.path.startswith(area.path))
    }
    missing = [i for i in leader_ids if i not in inside]
    if missing:
        raise bad_request(
            f"队长须是本区域在任的管家：{'、'.join(map(str, missing))}",
            {"leader_ids": "管家不存在、已离任或不在本区域"},
        )
    return leader_ids


def create(
    area: Area,
    webhook_key: str,
    *,
    chat_id: str | None = None,
    leader_ids: list[int] | None = None,
    name: str = "",
    audience: str | None = None,
    actor: User | None = None,
    label: str | None = None,
) -> ChatGroup:
    """Register a group. `audience` "staff" marks a staff-only group: it gets assessments and
    staff notices (overdue escalations, wishes waiting for review), not the stewards' pushes.
    Unsaid: `default_audience` (a street's group is its leaders' staff group)."""
    if audience is None:
        audience = default_audience(area)
    if audience not in AUDIENCES:
        raise bad_request(
            "群的类型有误", {"audience": "可选：stewards（管家群）、staff（工作人员群）"}
        )
    _check_area(area, audience)
    webhook_key = normalize_webhook_key(webhook_key)
    chat_id = (chat_id or "").strip() or None
    leaders = _check_leaders(area, leader_ids or [])
    with write_transaction():
        _check_unique(webhook_key, chat_id, None)
        group = ChatGroup.create(
            area=area,
            name=name.strip()
            or f"{area.name}{'领导群' if area.kind == 'street' else AUDIENCES[audience]}",
            audience=audience,
            webhook_key=webhook_key,
            chat_id=chat_id,
            leader_ids=leaders,
        )
        audit.record(
            "chat_group.create",
            "chat_group",
            group.id,
            actor=actor,
            label=label,
            area=area,
            data={
                "chat_id": chat_id,
                "leader_ids": leaders,
                "name": group.name,
                "audience": audience,
            },
        )
    return group


AUDIENCES = {"stewards": "管家群", "staff": "工作人员群"}

UPDATABLE = ("name", "webhook_key", "chat_id", "leader_ids", "active", "robot_status")


def update(group: ChatGroup, changes: dict, *, actor: User | None = None, label=None):
    """Change a group. A new webhook key (or an explicit `robot_status: ok`) clears a broken
    robot, so the group receives pushes again."""
    changes = {k: v for k, v in changes.items() if k in UPDATABLE and v is not None}
    fields: dict = {}
    if "name" in changes:
        fields["name"] = str(changes["name"]).strip() or group.name
    if "webhook_key" in changes:
        fields["webhook_key"] = normalize_webhook_key(changes["webhook_key"])
    if "chat_id" in changes:
        fields["chat_id"] = str(changes["chat_id"]).strip() or None
    if "leader_ids" in changes:
        fields["leader_ids"] = _check_leaders(group.area, changes["leader_ids"])
    if "active" in changes:
        fields["active"] = bool(changes["active"])
    if "robot_status" in changes:
        if changes["robot_status"] != "ok":
            raise bad_request(
                "只能把机器人状态恢复为正常", {"robot_status": "只能设为 ok（恢复正常）"}
            )
        fields["robot_status"] = "ok"
    if fields.get("webhook_key", group.webhook_key) != group.webhook_key:
        fields["robot_status"] = "ok"
    if fields.get("robot_status") == "ok":
        fields.update(broken_reason=None, broken_at=None)
    with write_transaction():
        _check_unique(fields.get("webhook_key"), fields.get("chat_id"), group.id)
        if fields:
            ChatGroup.update(**fields).where(ChatGroup.id == group.id).execute()
        logged = {k: v for k, v in fields.items() if k != "webhook_key"}
        if "webhook_key" in fields:
            logged["webhook_key_changed"] = fields["webhook_key"] != group.webhook_key
        audit.record(
            "chat_group.update",
            "chat_group",
            group.id,
            actor=actor,
            label=label,
            area=group.area_id,
            data={k: (str(v) if k == "broken_at" else v) for k, v in logged.items()},
        )
    return ChatGroup.get_by_id(group.id)


# --- reading ------------------------------------------------------------------------------------


def visible_query(p: Principal):
    """Groups whose area lies in the staff member's (or admin's) scope."""
    query = _visible_select(p.roots_condition(Area))
    return query.order_by(Area.path, ChatGroup.id) if p.area_roots else query


def _visible_select(scope):
    return ChatGroup.select(ChatGroup, Area).join(Area, on=(ChatGroup.area == Area.id)).where(scope)


# The 首页's 失效的群机器人 on every request: compiled once per number of the viewer's roots.
_BROKEN = PreparedFamily(
    lambda key: count_query(
        _visible_select(compiled_scope_condition(Area, key) & (Area.path ** Param("within"))).where(
            ChatGroup.robot_status == "broken"
        )
    )
)


def broken_count(p: Principal, within: Area) -> int:
    """How many of the groups `p` sees within `within` have a broken robot."""
    values = {**p.scope_values(), "within": subtree_pattern(within)}
    return _BROKEN.get(p.roots_key()).scalar(**values)


def get_for(group_id: int, p: Principal) -> ChatGroup:
    group = visible_query(p).where(ChatGroup.id == group_id).first()
    if group is None:
        raise not_found("找不到该群，或它不在您的管辖范围内", code="group_not_found")
    return group


def all_groups():
    return (
        ChatGroup.select(ChatGroup, Area)
        .join(Area, on=(ChatGroup.area == Area.id))
        .order_by(Area.path, ChatGroup.id)
    )


def by_webhook_key(key: str) -> ChatGroup | None:
    return ChatGroup.get_or_none(ChatGroup.webhook_key == key)


def by_chat_id(chat_id: str | None) -> ChatGroup | None:
    if not chat_id:
        return None
    return ChatGroup.get_or_none((ChatGroup.chat_id == chat_id) & ChatGroup.active)


def leaders(group: ChatGroup) -> list[Steward]:
    ids = list(group.leader_ids or [])
    if not ids:
        return []
    by_id = {s.id: s for s in Steward.select().where(Steward.id.in_(ids) & Steward.active)}
    return [by_id[i] for i in ids if i in by_id]


def count_by_status() -> dict[str, int]:
    rows = ChatGroup.select(ChatGroup.robot_status, fn.COUNT(ChatGroup.id).alias("n")).group_by(
        ChatGroup.robot_status
    )
    return {row.robot_status: row.n for row in rows}


# --- the robot is gone -------------------------------------------------------------------------


def mark_broken(webhook_key: str, reason: str) -> ChatGroup | None:
    """WeCom said this robot cannot post any more: mark its group broken, once.

    Returns the group when this call changed it (so the caller knows to tell staff), None
    when it was already broken or no group uses the key.
    """
    now = utcnow()
    with write_transaction():
        changed = (
            ChatGroup.update(robot_status="broken", broken_reason=reason[:200], broken_at=now)
            .where((ChatGroup.webhook_key == webhook_key) & (ChatGroup.robot_status != "broken"))
            .execute()
        )
        if not changed:
            return None
        group = ChatGroup.get(ChatGroup.webhook_key == webhook_key)
        audit.record(
            "chat_group.robot_broken",
            "chat_group",
            group.id,
            label="企业微信",
            area=group.area_id,
            data={"reason": reason, "name": group.name},
        )
    return group
