"""Service records (志愿服务记录): hours of service, certified by the organising community.

Three sources create a record, each exactly once (`source_key`):
* a fulfilled wish — `for_wish`, called by `core.items.wishes.fulfil` in its transaction; the
  person is the steward credited with it, else the claiming user; `SERVICE_HOURS["wish"]` hours;
* an activity attendance — `for_attendance`, when a volunteer is checked out; the hours from
  check-in to check-out, capped by the activity's length, to the nearest half hour;
* a patrol day — `for_patrol`, called by `core.items.patrols.check_in`; one record per steward
  per local day, `SERVICE_HOURS["patrol"]` hours.

Staff of the community certify records (`certify`, `certify_many`); certifying posts the points
(`service_hour` rule × hours) to the person's passbook in the same transaction. Nobody certifies,
changes or corrects their own record (403 `own_record`, through any of their identities:
`core.people.identity`): where the community's only staff member is the person who served, the
record waits for the street's admin (`awaiting`, their queue on the console's dashboard, in the
bot's 待办 and `GET /service-records?awaiting=true`). A pending record
may still be changed (`update_pending`); a certified one never is — `correct` adds a certified
reversing record with the negative hours (a reason required), reverses the ledger entry, and may
add a pending replacement with the right hours.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

from flask import current_app
from peewee import IntegrityError, fn

from core import audit
from core.people import identity
from core.people.areas import community_of
from core.people.permissions import Principal, root_params, subtree_pattern
from core.timebank import postings, rules
from core.timebank.postings import Holder
from core.volunteering import scope
from infra import text
from infra.db import Param, count_or_rows, db, locked, write_transaction
from infra.errors import bad_request, conflict, forbidden, not_found
from infra.timeutil import iso, to_local, utcnow
from models import (
    Activity,
    ActivitySignup,
    Area,
    Patrol,
    ServiceRecord,
    StaffAccount,
    Steward,
    User,
    Volunteer,
    Wish,
)

SOURCE_LABELS = {"wish": "微心愿", "activity": "志愿活动", "patrol": "巡查"}
STATUS_LABELS = {"pending": "待认证", "certified": "已认证"}
HALF_HOUR = Decimal("0.5")
MIN_HOURS = Decimal("0.1")
MAX_HOURS = Decimal("24")
REASON_MAX = 200


def round_hours(minutes: float) -> Decimal:
    """Minutes of service as hours to the nearest half hour (15 minutes and more round up:
    1 h 14 min → 1.0, 1 h 15 min → 1.5), never negative."""
    if minutes <= 0:
        return Decimal("0.0")
    halves = (Decimal(str(minutes)) / 30).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return (halves * HALF_HOUR).quantize(Decimal("0.1"))


def attendance_hours(checked_in: datetime, checked_out: datetime, activity: Activity) -> Decimal:
    """From check-in to check-out, capped by the activity's length, to the nearest half hour."""
    served = (checked_out - checked_in).total_seconds() / 60
    length = (activity.ends_at - activity.starts_at).total_seconds() / 60
    return round_hours(min(served, length))


def default_hours(source: str) -> Decimal:
    configured = (current_app.config.get("SERVICE_HOURS") or {}).get(source, 1)
    return Decimal(str(configured)).quantize(Decimal("0.1"))


def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def person_name(community_id: int, user_id: int | None, steward_id: int | None) -> str:
    if steward_id is not None:
        return Steward.get_by_id(steward_id).name
    volunteer = Volunteer.get_or_none(
        (Volunteer.user == user_id) & (Volunteer.community == community_id)
    )
    if volunteer is not None:
        return volunteer.name
    user = User.get_by_id(user_id)
    return user.nickname or f"用户{user.id}"


def _create(
    community: Area,
    *,
    source_type: str,
    source_id: int | None,
    key: str,
    title: str,
    served_on: date,
    hours: Decimal,
    user_id: int | None = None,
    steward_id: int | None = None,
    volunteer: Volunteer | None = None,
    actor: User | None = None,
) -> ServiceRecord | None:
    """A pending record, or None when this source's record already exists. Runs inside the
    caller's transaction (a savepoint absorbs a concurrent duplicate)."""
    if ServiceRecord.select().where(ServiceRecord.source_key == key).exists():
        return None
    if volunteer is None and user_id is not None:
        volunteer = Volunteer.get_or_none(
            (Volunteer.user == user_id) & (Volunteer.community == community.id)
        )
    try:
        with db.atomic():
            record = ServiceRecord.create(
                community=community,
                user=user_id,
                steward=steward_id,
                volunteer=volunteer,
                person_name=person_name(community.id, user_id, steward_id),
                source_type=source_type,
                source_id=source_id,
                source_key=key,
                title=title[:100],
                served_on=served_on,
                hours=hours,
                organiser=community.name,
            )
    except IntegrityError:
        return None
    audit.record(
        "service_record.create",
        "service_record",
        record.id,
        actor=actor,
        label=None if actor else "系统",
        area=community,
        data={"source": key, "hours": str(hours)},
    )
    return record


def for_wish(wish: Wish, actor: User | None = None) -> ServiceRecord | None:
    """The record of a fulfilled wish: the credited steward's, else the claiming user's."""
    community = wish.community or community_of(wish.alley)
    if community is None:
        return None
    steward_id = wish.fulfilled_by_id
    user_id = None if steward_id is not None else wish.claimer_id
    if steward_id is None and user_id is None:
        return None
    return _create(
        community,
        source_type="wish",
        source_id=wish.id,
        key=f"wish:{wish.id}",
        title=f"微心愿 {wish.number}：{wish.title}",
        served_on=local_day(wish.fulfilled_at or utcnow()),
        hours=default_hours("wish"),
        user_id=user_id,
        steward_id=steward_id,
        actor=actor,
    )


def for_patrol(patrol: Patrol, actor: User | None = None) -> ServiceRecord | None:
    """The patrol day's record: one per steward per local day, whatever the number of rounds."""
    community = community_of(patrol.alley)
    if community is None:
        return None
    day = local_day(patrol.created_at)
    return _create(
        community,
        source_type="patrol",
        source_id=patrol.id,
        key=f"patrol:{patrol.steward_id}:{day.isoformat()}",
        title=f"街巷巡查（{patrol.alley.name}）",
        served_on=day,
        hours=default_hours("patrol"),
        steward_id=patrol.steward_id,
        actor=actor,
    )


def for_attendance(
    signup: ActivitySignup, activity: Activity, volunteer: Volunteer, actor: User | None = None
) -> ServiceRecord | None:
    """The record of one attendance (checked in and out); none when it rounds to no time."""
    hours = attendance_hours(signup.checked_in_at, signup.checked_out_at, activity)
    if hours <= 0:
        return None
    return _create(
        activity.community,
        source_type="activity",
        source_id=activity.id,
        key=f"activity:{activity.id}:signup:{signup.id}",
        title=f"志愿活动：{activity.title}",
        served_on=local_day(activity.starts_at),
        hours=hours,
        user_id=volunteer.user_id,
        volunteer=volunteer,
        actor=actor,
    )


# --- reading ---------------------------------------------------------------------------------


def _own_condition(p: Principal):
    parts = []
    if p.user is not None:
        parts.append(ServiceRecord.user == p.user.id)
    if p.stewards:
        parts.append(ServiceRecord.steward.in_([s.id for s in p.stewards]))
    if not parts:
        return ServiceRecord.id < 0
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def visible(
    p: Principal,
    *,
    mine: bool = False,
    community_id: int | None = None,
    status: str | None = None,
    source_type: str | None = None,
    volunteer_id: int | None = None,
    steward_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    awaiting: bool = False,
):
    """Records by role: a volunteer's and a steward's own, plus (staff) their communities'.
    `awaiting`: only those waiting for this viewer's certification (`awaiting_condition`)."""
    condition = _own_condition(p)
    if p.is_staff and not mine:
        condition |= scope.staff_condition(p)
    if awaiting:
        condition = awaiting_condition(p)
    query = _select(condition)
    if community_id is not None:
        query = query.where(ServiceRecord.community == community_id)
    if status is not None:
        query = query.where(ServiceRecord.status == status)
    if source_type is not None:
        query = query.where(ServiceRecord.source_type == source_type)
    if volunteer_id is not None:
        query = query.where(ServiceRecord.volunteer == volunteer_id)
    if steward_id is not None:
        query = query.where(ServiceRecord.steward == steward_id)
    if date_from is not None:
        query = query.where(ServiceRecord.served_on >= date_from)
    if date_to is not None:
        query = query.where(ServiceRecord.served_on <= date_to)
    return _newest_first(query)


def _select(condition):
    """Records with their community (as `Area`) where `condition` holds."""
    return ServiceRecord.select(ServiceRecord, Area).join(Area).where(condition)


def _newest_first(query):
    return query.order_by(ServiceRecord.served_on.desc(), ServiceRecord.id.desc())


def get_visible(p: Principal, record_id: int) -> ServiceRecord:
    record = visible(p).where(ServiceRecord.id == record_id).first()
    if record is None:
        raise not_found("找不到该服务记录", code="record_not_found")
    return record


def _for_staff(
    p: Principal, record_id: int, person: identity.Person | None = None
) -> ServiceRecord:
    """A record staff may act on: in their scope (else 403/404) and not their own (403
    `own_record`: nobody certifies, changes or corrects their own hours). `person`: the
    caller's identities, when the caller already knows them (a batch)."""
    record = ServiceRecord.get_or_none(ServiceRecord.id == record_id)
    if record is None:
        raise not_found("找不到该服务记录", code="record_not_found")
    if not p.can_manage(record.community):
        if visible(p).where(ServiceRecord.id == record_id).exists():
            raise forbidden("只有组织该服务的社区工作人员可以认证或更正", code="staff_only")
        raise not_found("找不到该服务记录", code="record_not_found")
    if is_own(person or identity.person_of(p), record):
        raise forbidden(
            "不能认证、修改或更正自己的服务记录，须由社区其他工作人员办理"
            "（社区只有您一位工作人员时，由街道管理员认证）",
            code="own_record",
        )
    return record


def is_own(person: identity.Person, record: ServiceRecord) -> bool:
    """Whether the record is the service of `person` (as a user or a steward record)."""
    return person.holds(user_id=record.user_id, steward_id=record.steward_id)


def _not_theirs(users, stewards):
    """A condition: the record is not the service of one of `users` nor of `stewards` (lists
    of ids, parameters standing for them, or None for none)."""
    condition = ServiceRecord.id > 0
    if users is not None:
        condition &= ServiceRecord.user.is_null() | ServiceRecord.user.not_in(users)
    if stewards is not None:
        condition &= ServiceRecord.steward.is_null() | ServiceRecord.steward.not_in(stewards)
    return condition


def _held_by(person: identity.Person):
    """A condition: the record is `person`'s service."""
    condition = ServiceRecord.id < 0
    if person.user_ids:
        condition |= ServiceRecord.user.in_(sorted(person.user_ids))
    if person.steward_ids:
        condition |= ServiceRecord.steward.in_(sorted(person.steward_ids))
    return condition


def awaiting_condition(p: Principal):
    """Pending records (on a joined `Area`, the community) that wait for `p` to certify them:
    not their own, and
    * in a community they are staff of (a scope root at or below the community), or
    * in a community they cover only from above (the street's admin) when nobody on that
      community's own staff can certify it: it has no active staff member, or only one
      person — the one who served."""
    person = identity.person_of(p)
    own_roots = [r for r in p.area_roots if r.kind != "street"]
    street_roots = [r for r in p.area_roots if r.kind == "street"]
    communities = [
        c
        for root in street_roots
        for c in Area.subtree(root).where(Area.kind == "community")
        if not any(r.covers(c) for r in own_roots)
    ]
    return _awaiting(
        [subtree_pattern(root) for root in own_roots],
        _referred_to_street(communities) if communities else None,
        sorted(person.user_ids) or None,
        sorted(person.steward_ids) or None,
    )


def _awaiting(root_patterns: list, referred, users, stewards):
    """`awaiting_condition`, written once for it and its compiled form: under one of the root
    patterns (or parameters standing for them) or `referred` (None: nothing referred), and
    not the service of `users` / `stewards` (see `_not_theirs`)."""
    pending = (ServiceRecord.status == "pending") & ServiceRecord.reverses.is_null()
    parts = [Area.path**pattern for pattern in root_patterns]
    if referred is not None:
        parts.append(referred)
    if not parts:
        return ServiceRecord.id < 0
    return pending & _not_theirs(users, stewards) & reduce(or_, parts)


def _compiled_awaiting(roots: int, users: bool, stewards: bool, take):
    condition = _awaiting(
        root_params(roots),
        None,
        Param("users", many=True) if users else None,
        Param("stewards", many=True) if stewards else None,
    )
    query = _newest_first(_select(condition & (Area.path ** Param("within"))))
    return count_or_rows(query, take)


# The 首页's 待您认证的服务记录 on every request: compiled once per number of the viewer's
# roots, whether the person has user ids and steward records, and what is read.
_AWAITING = identity.awaiting_family(_compiled_awaiting)


def awaiting_within(
    p: Principal, area: Area, person: identity.Person | None = None
) -> tuple[int, ServiceRecord | None]:
    """How many records within `area` wait for `p` to certify them (as `visible(p,
    awaiting=True)` there), and the newest of them or None. A street's admin's share (what
    each community's own staff cannot certify) depends on who staffs each community: read
    by the plain query, not compiled. `person`: `identity.person_of(p)`, when the caller has
    it already."""
    if any(root.kind == "street" for root in p.area_roots):
        query = visible(p, awaiting=True).where(Area.path.startswith(area.path))
        count = query.count()
        return count, query.first() if count else None
    person = person or identity.person_of(p)
    return identity.awaiting_within(_AWAITING, p, area, person)


def _referred_to_street(communities: list[Area]):
    """Records of these communities that their own staff cannot certify (see above)."""
    ids = [c.id for c in communities]
    accounts: dict[int, list[int]] = {c: [] for c in ids}
    rows = StaffAccount.select(StaffAccount.id, StaffAccount.area).where(
        StaffAccount.area.in_(ids) & StaffAccount.active & (StaffAccount.role == "staff")
    )
    for account_id, area_id in rows.tuples():
        accounts[area_id].append(account_id)
    persons = identity.staff_persons([a for group in accounts.values() for a in group])
    none_of_them, only_them = [], []
    for community_id, group in accounts.items():
        staff = {persons[a] for a in group}
        if not staff:
            none_of_them.append(community_id)
        elif len(staff) == 1:
            only_them.append((community_id, staff.pop()))
    parts = [ServiceRecord.community.in_(none_of_them)] if none_of_them else []
    for community_id, person in only_them:
        parts.append((ServiceRecord.community == community_id) & _held_by(person))
    return reduce(or_, parts) if parts else (ServiceRecord.id < 0)


def total_hours(query) -> Decimal:
    total = query.select(fn.COALESCE(fn.SUM(ServiceRecord.hours), 0)).scalar()
    return Decimal(str(total or 0)).quantize(Decimal("0.1"))


# --- changing --------------------------------------------------------------------------------


def _check_hours(hours) -> Decimal:
    """Hours as staff type them (an API number or a console form's text): from a tenth of an
    hour to a whole day, kept to the tenth, half up; else 400 naming `hours`."""
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except ArithmeticError:
        value = None
    # "nan" passes `quantize` and then cannot be compared: not a number either.
    if value is None or value.is_nan():
        raise bad_request("时长：须为数字", {"hours": "须为数字"})
    if not (MIN_HOURS <= value <= MAX_HOURS):
        message = f"须在 {MIN_HOURS} 至 {MAX_HOURS} 小时之间"
        raise bad_request(f"时长：{message}", {"hours": message})
    return value


def update_pending(
    p: Principal,
    record_id: int,
    *,
    hours=None,
    title: str | None = None,
    served_on: date | None = None,
) -> ServiceRecord:
    """Staff correct a record before certifying it. A certified record is refused (409
    `record_certified`): the guard is part of the UPDATE, so a certification that wins the race
    is never overwritten."""
    record = _for_staff(p, record_id)
    changes: dict = {}
    if hours is not None:
        changes["hours"] = _check_hours(hours)
    if title is not None:
        title = text.normalise(title)
        if not title:
            raise bad_request("服务内容：不能为空", {"title": "不能为空"})
        changes["title"] = title[:100]
    if served_on is not None:
        changes["served_on"] = served_on
    if not changes:
        raise bad_request("请至少修改一项", {"hours": "请至少修改一项"})
    if record.reverses_id is not None:
        raise conflict("record_certified", "更正记录不能修改")
    with write_transaction():
        updated = (
            ServiceRecord.update(**changes, updated_at=utcnow())
            .where((ServiceRecord.id == record.id) & (ServiceRecord.status == "pending"))
            .execute()
        )
        if updated != 1:
            raise conflict("record_certified", "该服务记录已认证，不能修改；如有错误请提交更正")
        audit.record(
            "service_record.update",
            "service_record",
            record.id,
            actor=p.user,
            area=record.community_id,
            data={k: str(v) for k, v in changes.items()},
        )
    return ServiceRecord.get_by_id(record.id)


def _holder(record: ServiceRecord) -> Holder:
    if record.steward_id is not None:
        return Holder(steward_id=record.steward_id)
    return Holder(user_id=record.user_id)


def _certify_locked(p: Principal, record: ServiceRecord) -> ServiceRecord:
    """Inside a write transaction: mark one pending record certified and post its points."""
    now = utcnow()
    label = audit.actor_label(p.user)
    updated = (
        ServiceRecord.update(
            status="certified",
            certified_by=p.user,
            certified_by_label=label,
            certified_at=now,
            updated_at=now,
        )
        .where((ServiceRecord.id == record.id) & (ServiceRecord.status == "pending"))
        .execute()
    )
    if updated != 1:
        raise conflict("already_certified", "该服务记录已认证")
    rule = rules.get("service_hour")
    points = int((Decimal(str(record.hours)) * rule.points).quantize(Decimal("1"), ROUND_HALF_UP))
    entry = None
    if points:
        account = postings.account_for(record.community_id, _holder(record))
        entry = postings.post(
            account,
            points,
            rule="service_hour",
            source_type=record.source_type,
            source_id=record.source_id,
            reason=record.title,
            key=f"service_record:{record.id}",
            floor="allow",
            actor=p.user,
        )
        if entry is not None:
            ServiceRecord.update(entry=entry.id).where(ServiceRecord.id == record.id).execute()
    audit.record(
        "service_record.certify",
        "service_record",
        record.id,
        actor=p.user,
        area=record.community_id,
        data={"hours": str(record.hours), "points": points},
    )
    return ServiceRecord.get_by_id(record.id)


def certify(p: Principal, record_id: int) -> ServiceRecord:
    """Staff of the organising community certify one record (409 `already_certified`)."""
    record = _for_staff(p, record_id)
    with write_transaction():
        return _certify_locked(p, record)


def certify_many(p: Principal, record_ids: list[int]) -> dict:
    """Certify several at once, in one transaction: every id must be in the caller's scope;
    those already certified are reported, not refused."""
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        raise bad_request("请选择服务记录", {"ids": "请选择服务记录"})
    person = identity.person_of(p)
    records = [_for_staff(p, record_id, person) for record_id in ids]
    certified, skipped = [], []
    with write_transaction():
        for record in records:
            current = locked(ServiceRecord.select().where(ServiceRecord.id == record.id)).first()
            if current.status != "pending":
                skipped.append(record.id)
                continue
            certified.append(_certify_locked(p, current))
    return {"certified": certified, "skipped": skipped}


def correct(p: Principal, record_id: int, reason: str, hours=None) -> dict:
    """Correct a certified record: a certified reversing record (negative hours), the ledger
    entry reversed, and — when `hours` is given — a pending replacement to certify."""
    reason = text.normalise(reason or "")
    if not reason:
        raise bad_request("原因：更正须写明原因", {"reason": "更正须写明原因"})
    replacement_hours = _check_hours(hours) if hours is not None else None
    record = _for_staff(p, record_id)
    if record.reverses_id is not None:
        raise conflict("invalid_transition", "更正记录本身不能再更正")
    if record.status != "certified":
        raise conflict("not_certified", "该记录尚未认证，可直接修改")
    now = utcnow()
    label = audit.actor_label(p.user)
    with write_transaction():
        record = locked(ServiceRecord.select().where(ServiceRecord.id == record.id)).first()
        try:
            with db.atomic():
                reversal = ServiceRecord.create(
                    community=record.community_id,
                    user=record.user_id,
                    steward=record.steward_id,
                    volunteer=record.volunteer_id,
                    person_name=record.person_name,
                    source_type=record.source_type,
                    source_id=record.source_id,
                    source_key=f"correction:{record.id}",
                    title=f"更正：{record.title}"[:100],
                    served_on=record.served_on,
                    hours=-Decimal(str(record.hours)),
                    status="certified",
                    organiser=record.organiser,
                    reason=reason[:REASON_MAX],
                    reverses=record.id,
                    certified_by=p.user,
                    certified_by_label=label,
                    certified_at=now,
                )
        except IntegrityError:
            raise conflict("already_corrected", "该服务记录已经更正过了") from None
        if record.entry_id is not None:
            entry = postings.reverse(
                record.entry_id, reason=f"服务记录更正：{reason}", actor=p.user
            )
            ServiceRecord.update(entry=entry.id).where(ServiceRecord.id == reversal.id).execute()
        replacement = None
        if replacement_hours is not None:
            replacement = _create(
                record.community,
                source_type=record.source_type,
                source_id=record.source_id,
                key=f"replacement:{record.id}",
                title=record.title,
                served_on=record.served_on,
                hours=replacement_hours,
                user_id=record.user_id,
                steward_id=record.steward_id,
                volunteer=record.volunteer,
                actor=p.user,
            )
        audit.record(
            "service_record.correct",
            "service_record",
            record.id,
            actor=p.user,
            area=record.community_id,
            data={
                "reason": reason,
                "reversal_id": reversal.id,
                "replacement_id": replacement.id if replacement else None,
            },
        )
    return {
        "reversal": ServiceRecord.get_by_id(reversal.id),
        "replacement": replacement,
    }


def certifiable(p: Principal | None, record: ServiceRecord, person=None) -> bool:
    """Whether `p` may certify the record now (pending, in their scope, not their own)."""
    if p is None or not p.is_staff or record.status != "pending" or record.reverses_id:
        return False
    person = person or identity.person_of(p)
    return p.can_manage(record.community) and not is_own(person, record)


def as_dict(record: ServiceRecord, p: Principal | None = None, person=None) -> dict:
    """A record as the API shows it; with the viewer `p`, whether they may certify it."""
    return {
        "certifiable": certifiable(p, record, person),
        "id": record.id,
        "community_id": record.community_id,
        "organiser": record.organiser,
        "person_name": record.person_name,
        "user_id": record.user_id,
        "steward_id": record.steward_id,
        "volunteer_id": record.volunteer_id,
        "source_type": record.source_type,
        "source_label": SOURCE_LABELS.get(record.source_type, record.source_type),
        "source_id": record.source_id,
        "title": record.title,
        "served_on": record.served_on.isoformat()
        if isinstance(record.served_on, date)
        else str(record.served_on),
        "hours": float(record.hours),
        "status": record.status,
        "status_label": "已更正（冲销）" if record.reverses_id else STATUS_LABELS[record.status],
        "reason": record.reason,
        "reverses_id": record.reverses_id,
        "corrected": ServiceRecord.select().where(ServiceRecord.reverses == record.id).exists(),
        "certified_by": record.certified_by_label or None,
        "certified_at": iso(record.certified_at),
        "entry_id": record.entry_id,
        "created_at": iso(record.created_at),
    }
