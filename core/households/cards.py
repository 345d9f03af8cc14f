"""Households (民情联系卡): create, update, list and read — and the dicts every front end shows.

The API, the console and the spreadsheet import all go through `check_card` and `create` /
`update`, so a card is checked the same way wherever it is typed. Reads go through `listing`
and `card`, which audit them (`access.record_list`, `access.record_read`).
"""

from __future__ import annotations

from datetime import datetime

from peewee import IntegrityError, Value

from core import audit
from core.households import access, due
from core.media import media_url
from core.people import phones
from core.people.permissions import Principal
from infra import text
from infra.db import write_transaction
from infra.errors import bad_request, conflict, forbidden
from infra.timeutil import iso, to_local, utcnow
from models import VISIT_KINDS, Area, CarePlan, Household, Media, Steward, StewardAlley, Visit

MAX_MEMBERS = 30
LIMITS = {"address": 200, "head_name": 50, "notes": 1000}
MEMBER_LIMITS = {"name": 50, "relation": 20, "notes": 200}
LABELS = {
    "alley_id": "街巷",
    "steward_id": "包联管家",
    "address": "地址",
    "head_name": "户主",
    "head_phone": "户主电话",
    "members": "成员",
    "tags": "标签",
    "notes": "备注",
    "active": "是否在册",
}
MEMBER_LABELS = {
    "name": "姓名",
    "relation": "与户主关系",
    "birth_year": "出生年份",
    "phone": "电话",
    "notes": "备注",
}
EDITABLE = ("address", "head_name", "head_phone", "members", "tags", "notes")
STAFF_ONLY = ("alley_id", "steward_id", "active")


def _bad(field: str, reason: str):
    return bad_request(f"{LABELS.get(field, field)}：{reason}", {field: reason})


def _text(data: dict, field: str, required: bool) -> str:
    value = text.normalise(str(data.get(field) or ""))
    if required and not value:
        raise _bad(field, "不能为空")
    limit = LIMITS[field]
    if len(value) > limit:
        raise _bad(field, f"最多 {limit} 个字")
    return value


def _phone(value, field: str, label_field: str | None = None) -> str | None:
    try:
        return phones.contact(None if value is None else str(value))
    except ValueError as exc:
        name = label_field or field
        raise bad_request(f"{LABELS.get(name, name)}：{exc}", {field: str(exc)}) from None


def check_members(raw) -> list[dict]:
    """[{"name", "relation", "birth_year", "phone", "notes"}], each checked; names required."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("members", "须为列表")
    if len(raw) > MAX_MEMBERS:
        raise _bad("members", f"最多 {MAX_MEMBERS} 人")
    this_year = to_local(utcnow()).year
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _bad("members", f"第{i + 1}位成员格式不正确")
        member = {}
        for key, limit in MEMBER_LIMITS.items():
            value = text.normalise(str(item.get(key) or ""))
            if len(value) > limit:
                reason = f"第{i + 1}位成员的{MEMBER_LABELS[key]}最多 {limit} 个字"
                raise bad_request(f"成员：{reason}", {f"members.{i}.{key}": reason})
            member[key] = value
        if not member["name"]:
            reason = f"第{i + 1}位成员的姓名不能为空"
            raise bad_request(f"成员：{reason}", {f"members.{i}.name": reason})
        year = item.get("birth_year")
        if year in (None, ""):
            member["birth_year"] = None
        else:
            try:
                year = int(str(year).strip().removesuffix("年"))
            except ValueError:
                year = -1
            if not 1900 <= year <= this_year:
                reason = f"第{i + 1}位成员的出生年份须在 1900 到 {this_year} 之间"
                raise bad_request(f"成员：{reason}", {f"members.{i}.birth_year": reason})
            member["birth_year"] = year
        try:
            member["phone"] = phones.contact(str(item.get("phone") or "")) or ""
        except ValueError as exc:
            reason = f"第{i + 1}位成员的电话不正确（{exc}）"
            raise bad_request(f"成员：{reason}", {f"members.{i}.phone": reason}) from None
        out.append(member)
    return out


def check_tags(raw) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise _bad("tags", "须为标签列表")
    allowed = access.tags()
    out = []
    for tag in raw:
        tag = text.normalise(tag)
        if tag not in allowed:
            raise _bad("tags", f"“{tag}”不是可选的标签（可选：{'、'.join(allowed)}）")
        if tag not in out:
            out.append(tag)
    return out


def check_card(data: dict, partial: bool = False) -> dict:
    """The editable fields of `data` cleaned and checked; raises 400 naming the field."""
    out = {}
    for field in ("address", "head_name", "notes"):
        if not partial or field in data:
            out[field] = _text(data, field, required=field != "notes")
    if not partial or "head_phone" in data:
        out["head_phone"] = _phone(data.get("head_phone"), "head_phone")
    if not partial or "members" in data:
        out["members"] = check_members(data.get("members"))
    if not partial or "tags" in data:
        out["tags"] = check_tags(data.get("tags"))
    return out


def _alley(p: Principal, alley_id) -> Area:
    try:
        alley = Area.get_or_none((Area.id == int(alley_id)) & (Area.kind == "alley"))
    except (TypeError, ValueError):
        alley = None
    if alley is None:
        raise _bad("alley_id", "街巷不存在")
    if not (p.can_manage(alley) or alley.id in p.alley_ids):
        raise forbidden("该街巷不在您的管辖范围内", code="out_of_scope")
    return alley


def _steward_of(alley: Area, steward_id) -> Steward:
    try:
        steward = Steward.get_or_none(Steward.id == int(steward_id))
    except (TypeError, ValueError):
        steward = None
    linked = (
        steward is not None
        and steward.active
        and StewardAlley.select()
        .where((StewardAlley.steward == steward) & (StewardAlley.alley == alley))
        .exists()
    )
    if not linked:
        raise _bad("steward_id", "须为该街巷在任的管家")
    return steward


def _community_of(alley: Area) -> Area:
    return next(a for a in alley.ancestors() if a.kind == "community")


def create(p: Principal, data: dict) -> Household:
    """A new card. Staff name the alley and its steward; a steward files one for themselves."""
    access.require_use(p)
    if data.get("alley_id") in (None, ""):
        raise _bad("alley_id", "必填")
    alley = _alley(p, data["alley_id"])
    wanted = data.get("steward_id")
    if p.can_manage(alley):
        if wanted in (None, ""):
            raise _bad("steward_id", "必填")
        steward = _steward_of(alley, wanted)
    else:
        # a steward files a household they keep themselves, in one of their own alleys
        own = [
            link.steward_id
            for link in StewardAlley.select().where(
                (StewardAlley.alley == alley) & StewardAlley.steward.in_(access.steward_ids(p))
            )
        ]
        if wanted not in (None, "") and wanted not in own:
            raise forbidden("管家只能登记自己包联的住户", code="not_your_household")
        steward = _steward_of(alley, wanted if wanted not in (None, "") else own[0])
    fields = check_card(data)
    community = _community_of(alley)
    now = utcnow()
    try:
        with write_transaction():
            household = Household.create(
                community=community,
                alley=alley,
                steward=steward,
                created_at=now,
                updated_at=now,
                **fields,
            )
            audit.record(
                "household.create",
                "household",
                household.id,
                actor=p.user,
                area=alley,
                data={"fields": sorted(fields)},
            )
    except IntegrityError:
        raise conflict("household_exists", "该社区已登记过这个地址的住户，请直接修改") from None
    return household


def update(p: Principal, household: Household, data: dict) -> Household:
    """Change a card. Its steward edits the details; staff may also move it to another alley
    or steward, or take it off the register (`active`)."""
    staff = p.is_staff and p.can_manage(household.alley)
    changes = check_card(data, partial=True)
    if any(k in data for k in STAFF_ONLY):
        if not staff:
            raise forbidden("只有社区工作人员可以调整街巷、包联管家或在册状态", code="staff_only")
        if "alley_id" in data or "steward_id" in data:
            alley = _alley(p, data.get("alley_id", household.alley_id))
            if alley.id != household.alley_id and (
                _community_of(alley).id != household.community_id
            ):
                raise _bad("alley_id", "只能调整到本社区的街巷")
            changes["alley"] = alley
            changes["steward"] = _steward_of(alley, data.get("steward_id", household.steward_id))
        if "active" in data:
            if not isinstance(data["active"], bool):
                raise _bad("active", "须为是或否")
            changes["active"] = data["active"]
    changed = []
    for key, value in changes.items():
        current = getattr(household, key)
        if isinstance(current, (Area, Steward)):
            same = current.id == value.id
        else:
            same = current == value
        if not same:
            setattr(household, key, value)
            changed.append(key)
    if not changed:
        return household
    household.updated_at = utcnow()
    try:
        with write_transaction():
            household.save()
            audit.record(
                "household.update",
                "household",
                household.id,
                actor=p.user,
                area=household.alley_id,
                data={"fields": sorted(changed)},
            )
    except IntegrityError:
        raise conflict("household_exists", "该社区已登记过这个地址的住户") from None
    return household


# --- reading ------------------------------------------------------------------------------


def listing(
    p: Principal,
    *,
    tag: str | None = None,
    alley_id: int | None = None,
    steward_id: int | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    include_inactive: bool = False,
    now: datetime | None = None,
):
    """The households `p` may read, overdue first (then by the next due visit, then by
    address), filtered. A query; the caller pages it and calls `audit_listing` with the
    rows it shows."""
    access.require_use(p)
    now = now or utcnow()
    query = access.scoped(p).switch(Household).join(Steward, on=(Household.steward == Steward.id))
    query = query.select(Household, Area, Steward)
    if not include_inactive:
        query = query.where(Household.active)
    if tag:
        if tag not in access.tags():
            reason = f"“{tag}”不是可选的标签"
            raise bad_request(f"标签：{reason}", {"tag": reason})
        # tags are a JSON list stored as text: match the quoted tag (no LIKE wildcards in
        # the configured tags); the raw value, not the JSON field's encoding of it
        query = query.where(Household.tags ** Value(f'%"{tag}"%', converter=False))
    if alley_id is not None:
        query = query.where(Household.alley == alley_id)
    if steward_id is not None:
        query = query.where(Household.steward == steward_id)
    if overdue is True:
        query = query.where(Household.visit_due_at < now)
    elif overdue is False:
        query = query.where(Household.visit_due_at.is_null() | (Household.visit_due_at >= now))
    if q:
        like = f"%{q}%"
        query = query.where(Household.address**like | Household.head_name**like)
    return query.order_by(
        Household.visit_due_at.is_null(), Household.visit_due_at, Household.address, Household.id
    )


def audit_listing(p: Principal, rows: list[Household], filters: dict, via: str) -> None:
    access.record_list(p, [h.id for h in rows], filters, via)


def _ref(row) -> dict | None:
    return None if row is None else {"id": row.id, "name": row.name}


def summary_out(h: Household, now: datetime | None = None) -> dict:
    now = now or utcnow()
    return {
        "id": h.id,
        "address": h.address,
        "head_name": h.head_name,
        "head_phone": h.head_phone,
        "tags": list(h.tags or []),
        "alley": _ref(h.alley),
        "steward": _ref(h.steward),
        "member_count": len(h.members or []),
        "active": h.active,
        "last_visit_at": iso(h.last_visit_at),
        "visit_due_at": iso(h.visit_due_at),
        "overdue": due.is_overdue(h, now),
    }


def plan_out(plan: CarePlan, now: datetime | None = None) -> dict:
    now = now or utcnow()
    return {
        "id": plan.id,
        "household_id": plan.household_id,
        "member_name": plan.member_name,
        "group": plan.group,
        "plan": plan.plan,
        "volunteer": {
            "user_id": plan.volunteer_user_id,
            "name": plan.volunteer_name,
            "phone": plan.volunteer_phone,
        },
        "interval_days": plan.interval_days,
        "active": plan.active,
        "due_at": iso(plan.due_at),
        "overdue": plan.active and plan.due_at < now,
        "created_at": iso(plan.created_at),
    }


def _photos(ids: list[int], cache: dict) -> list[dict]:
    missing = [i for i in ids if i not in cache]
    if missing:
        cache.update({m.id: m for m in Media.select().where(Media.id.in_(missing))})
    return [
        {"id": m.id, "url": media_url(m), "thumb_url": media_url(m, thumb=True)}
        for m in (cache.get(i) for i in ids)
        if m is not None
    ]


def visit_out(visit: Visit, cache: dict | None = None) -> dict:
    return {
        "id": visit.id,
        "household_id": visit.household_id,
        "visitor": visit.visitor_label,
        "steward_id": visit.steward_id,
        "visited_at": iso(visit.visited_at),
        "kind": visit.kind,
        "kind_label": VISIT_KINDS.get(visit.kind, visit.kind),
        "note": visit.note,
        "photos": _photos(list(visit.photo_ids or []), cache if cache is not None else {}),
        "patrol_id": visit.patrol_id,
    }


RECENT_VISITS = 20


def card_out(h: Household, now: datetime | None = None) -> dict:
    """The whole card: members, tags, plans, the recent visits."""
    now = now or utcnow()
    out = summary_out(h, now)
    plans = CarePlan.select().where(CarePlan.household == h).order_by(CarePlan.id)
    visits = (
        Visit.select()
        .where(Visit.household == h)
        .order_by(Visit.visited_at.desc(), Visit.id.desc())
        .limit(RECENT_VISITS)
    )
    cache: dict = {}
    out.update(
        {
            "community": _ref(h.community),
            "steward": {"id": h.steward.id, "name": h.steward.name, "phone": h.steward.phone},
            "members": list(h.members or []),
            "notes": h.notes,
            "plans": [plan_out(plan, now) for plan in plans],
            "visits": [visit_out(v, cache) for v in visits],
            "visit_count": Visit.select().where(Visit.household == h).count(),
            "created_at": iso(h.created_at),
            "updated_at": iso(h.updated_at),
        }
    )
    return out


def card(p: Principal, household_id: int, via: str) -> dict:
    """One card for `p` (404 outside their reach), its read audited."""
    household = access.load(p, household_id)
    with write_transaction():
        access.record_read(p, household, via)
    return card_out(household)
