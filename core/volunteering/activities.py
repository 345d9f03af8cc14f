"""Volunteer activities (志愿活动): staff publish one, volunteers sign up and cancel, and on the
day each is checked in and out — by themselves within the activity's window, or by staff for
them. Checking out creates the attendance's service record (`core.volunteering.records`).

Places: `Activity.signed_up` moves only with a conditional UPDATE (`signed_up < capacity`), so
of two volunteers taking the last place at once one wins and the other gets 409 `activity_full`.
The volunteer's window runs from `SERVICE_CHECKIN_EARLY_MINUTES` before the start to
`SERVICE_CHECKOUT_LATE_MINUTES` after the end; staff may record a time inside the same window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from peewee import IntegrityError

from core import audit
from core.people import identity
from core.people.permissions import Principal
from core.volunteering import records, scope, volunteers
from infra import text
from infra.db import db, locked, write_transaction
from infra.errors import bad_request, conflict, forbidden, not_found
from infra.timeutil import iso, utcnow
from models import Activity, ActivitySignup, Area, Volunteer

STATUS_LABELS = {"published": "报名中", "cancelled": "已取消"}
SIGNUP_LABELS = {"signed_up": "已报名", "cancelled": "已取消"}
TITLE_MAX = 60
PLACE_MAX = 100
DESCRIPTION_MAX = 2000
MAX_CAPACITY = 10_000
MAX_LENGTH = timedelta(hours=24)


def _window() -> tuple[timedelta, timedelta]:
    cfg = current_app.config
    return (
        timedelta(minutes=int(cfg.get("SERVICE_CHECKIN_EARLY_MINUTES", 30))),
        timedelta(minutes=int(cfg.get("SERVICE_CHECKOUT_LATE_MINUTES", 120))),
    )


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment  # already naive UTC (internal callers)
    return moment.astimezone(UTC).replace(tzinfo=None)


def publish(
    p: Principal,
    community_id: int | None,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    description: str = "",
) -> Activity:
    community = scope.managed_community(p, community_id)
    title, place = text.normalise(title or ""), text.normalise(place or "")
    if not title:
        raise bad_request("活动名称：必填", {"title": "必填"})
    if not place:
        raise bad_request("地点：必填", {"place": "必填"})
    starts_at, ends_at = _naive_utc(starts_at), _naive_utc(ends_at)
    if ends_at <= starts_at:
        raise bad_request("结束时间：须晚于开始时间", {"ends_at": "须晚于开始时间"})
    if ends_at - starts_at > MAX_LENGTH:
        raise bad_request("结束时间：一次活动最长 24 小时", {"ends_at": "一次活动最长 24 小时"})
    if not 1 <= capacity <= MAX_CAPACITY:
        raise bad_request("名额：须在 1 至 10000 之间", {"capacity": "须在 1 至 10000 之间"})
    with write_transaction():
        activity = Activity.create(
            community=community,
            title=title[:TITLE_MAX],
            place=place[:PLACE_MAX],
            description=text.normalise(description or "")[:DESCRIPTION_MAX],
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            created_by=p.user,
        )
        audit.record(
            "activity.publish",
            "activity",
            activity.id,
            actor=p.user,
            area=community,
            data={"title": activity.title, "capacity": capacity},
        )
    return activity


def cancel_activity(p: Principal, activity_id: int, reason: str) -> Activity:
    activity = get(activity_id)
    scope.require_staff_of(p, activity.community)
    reason = text.normalise(reason or "")
    if not reason:
        raise bad_request("原因：必填", {"reason": "必填"})
    with write_transaction():
        changed = (
            Activity.update(status="cancelled")
            .where((Activity.id == activity.id) & (Activity.status == "published"))
            .execute()
        )
        if changed != 1:
            raise conflict("invalid_transition", "该活动已取消")
        audit.record(
            "activity.cancel",
            "activity",
            activity.id,
            actor=p.user,
            area=activity.community,
            data={"reason": reason},
        )
    return get(activity_id)


def get(activity_id: int) -> Activity:
    activity = Activity.get_or_none(Activity.id == activity_id)
    if activity is None:
        raise not_found("找不到该活动", code="activity_not_found")
    return activity


def listing(
    p: Principal, community_id: int | None = None, upcoming: bool = False, mine: bool = False
):
    """Activities a person may see: their volunteer communities' and (staff) their scope's."""
    own = [v.community_id for v in volunteers.mine(p)]
    condition = Activity.community.in_(own) if own else (Activity.id < 0)
    if p.is_staff:
        condition |= scope.staff_condition(p)
    query = Activity.select(Activity, Area).join(Area).where(condition)
    if community_id is not None:
        query = query.where(Activity.community == community_id)
    if upcoming:
        query = query.where(Activity.ends_at >= utcnow())
    if mine:
        mine_ids = [v.id for v in volunteers.mine(p)]
        query = query.where(
            Activity.id.in_(
                ActivitySignup.select(ActivitySignup.activity).where(
                    ActivitySignup.volunteer.in_(mine_ids or [-1])
                    & (ActivitySignup.status == "signed_up")
                )
            )
        )
    return query.order_by(Activity.starts_at.desc(), Activity.id.desc())


def visible(p: Principal, activity_id: int) -> Activity:
    activity = get(activity_id)
    if p.can_manage(activity.community):
        return activity
    if p.user is not None and volunteers.of_user_in(p.user.id, activity.community_id):
        return activity
    raise not_found("找不到该活动", code="activity_not_found")


def _my_volunteer(p: Principal, activity: Activity) -> Volunteer:
    if p.user is None:
        raise forbidden("请先登录")
    volunteer = volunteers.of_user_in(p.user.id, activity.community_id)
    if volunteer is None:
        raise forbidden("请先登记为该社区的志愿者", code="not_a_volunteer")
    return volunteer


def signup(p: Principal, activity_id: int) -> ActivitySignup:
    """Take a place (or take it back after cancelling). 409 `activity_full` when none is left."""
    activity = get(activity_id)
    volunteer = _my_volunteer(p, activity)
    if activity.status != "published":
        raise conflict("activity_cancelled", "该活动已取消")
    if activity.ends_at <= utcnow():
        raise conflict("activity_over", "该活动已结束，不能报名")
    with write_transaction():
        existing = locked(
            ActivitySignup.select().where(
                (ActivitySignup.activity == activity.id)
                & (ActivitySignup.volunteer == volunteer.id)
            )
        ).first()
        if existing is not None and existing.status == "signed_up":
            raise conflict("already_signed_up", "您已报名该活动")
        taken = (
            Activity.update(signed_up=Activity.signed_up + 1)
            .where(
                (Activity.id == activity.id)
                & (Activity.signed_up < Activity.capacity)
                & (Activity.status == "published")
            )
            .execute()
        )
        if taken != 1:
            raise conflict("activity_full", "名额已满")
        if existing is not None:
            existing.status, existing.updated_at = "signed_up", utcnow()
            existing.save()
            row = existing
        else:
            try:
                with db.atomic():
                    row = ActivitySignup.create(activity=activity, volunteer=volunteer)
            except IntegrityError:
                # The same volunteer pressed twice: the other request holds the place.
                raise conflict("already_signed_up", "您已报名该活动") from None
        audit.record(
            "activity.signup",
            "activity",
            activity.id,
            actor=p.user,
            area=activity.community_id,
            data={"volunteer_id": volunteer.id},
        )
    return row


def cancel_signup(p: Principal, activity_id: int) -> ActivitySignup:
    """Give a place back (before checking in)."""
    activity = get(activity_id)
    volunteer = _my_volunteer(p, activity)
    with write_transaction():
        row = locked(
            ActivitySignup.select().where(
                (ActivitySignup.activity == activity.id)
                & (ActivitySignup.volunteer == volunteer.id)
            )
        ).first()
        if row is None or row.status != "signed_up":
            raise conflict("not_signed_up", "您没有报名该活动")
        if row.checked_in_at is not None:
            raise conflict("already_checked_in", "已签到，不能取消报名")
        row.status, row.updated_at = "cancelled", utcnow()
        row.save()
        Activity.update(signed_up=Activity.signed_up - 1).where(
            (Activity.id == activity.id) & (Activity.signed_up > 0)
        ).execute()
        audit.record(
            "activity.cancel_signup",
            "activity",
            activity.id,
            actor=p.user,
            area=activity.community_id,
            data={"volunteer_id": volunteer.id},
        )
    return row


def _signup_for(p: Principal, activity: Activity, volunteer_id: int | None) -> ActivitySignup:
    """The sign-up being checked: the caller's own, or (staff) the named volunteer's."""
    if volunteer_id is None:
        volunteer = _my_volunteer(p, activity)
    else:
        scope.require_staff_of(p, activity.community)
        volunteer = Volunteer.get_or_none(
            (Volunteer.id == volunteer_id) & (Volunteer.community == activity.community_id)
        )
        if volunteer is None:
            raise bad_request(
                "志愿者：不是该活动社区的志愿者", {"volunteer_id": "不是该社区的志愿者"}
            )
        if identity.person_of(p).is_user(volunteer.user_id):
            # Staff may record any time inside the window for others: for themselves that
            # would set their own hours.
            raise forbidden(
                "不能以工作人员身份为自己签到签退，请在活动时间内自己签到签退",
                code="own_attendance",
            )
    row = locked(
        ActivitySignup.select().where(
            (ActivitySignup.activity == activity.id)
            & (ActivitySignup.volunteer == volunteer.id)
            & (ActivitySignup.status == "signed_up")
        )
    ).first()
    if row is None:
        raise conflict("not_signed_up", "没有报名该活动")
    return row


def _moment(p: Principal, activity: Activity, at: datetime | None, staff: bool) -> datetime:
    early, late = _window()
    if at is not None and not staff:
        raise forbidden("只有工作人员可以补录时间", code="staff_only")
    moment = _naive_utc(at) if at is not None else utcnow()
    if not (activity.starts_at - early <= moment <= activity.ends_at + late):
        if at is not None:
            raise bad_request("时间：须在活动时间前后", {"at": "须在活动时间前后"})
        raise conflict("outside_window", "不在活动签到时间内")
    return moment


def check_in(
    p: Principal, activity_id: int, volunteer_id: int | None = None, at: datetime | None = None
) -> ActivitySignup:
    activity = get(activity_id)
    if activity.status != "published":
        raise conflict("activity_cancelled", "该活动已取消")
    with write_transaction():
        row = _signup_for(p, activity, volunteer_id)
        moment = _moment(p, activity, at, volunteer_id is not None)
        if row.checked_in_at is not None:
            raise conflict("already_checked_in", "已签到")
        row.checked_in_at, row.updated_at = moment, utcnow()
        row.save()
        audit.record(
            "activity.check_in",
            "activity",
            activity.id,
            actor=p.user,
            area=activity.community_id,
            data={"volunteer_id": row.volunteer_id, "at": iso(moment)},
        )
    return row


def check_out(
    p: Principal, activity_id: int, volunteer_id: int | None = None, at: datetime | None = None
) -> tuple[ActivitySignup, object]:
    """Check out and create the attendance's service record (pending until staff certify)."""
    activity = get(activity_id)
    with write_transaction():
        row = _signup_for(p, activity, volunteer_id)
        moment = _moment(p, activity, at, volunteer_id is not None)
        if row.checked_in_at is None:
            raise conflict("not_checked_in", "请先签到")
        if row.checked_out_at is not None:
            raise conflict("already_checked_out", "已签退")
        if moment < row.checked_in_at:
            raise bad_request("时间：签退不能早于签到", {"at": "签退不能早于签到"})
        row.checked_out_at, row.updated_at = moment, utcnow()
        row.save()
        record = records.for_attendance(row, activity, row.volunteer, actor=p.user)
        audit.record(
            "activity.check_out",
            "activity",
            activity.id,
            actor=p.user,
            area=activity.community_id,
            data={
                "volunteer_id": row.volunteer_id,
                "at": iso(moment),
                "record_id": record.id if record else None,
            },
        )
    return row, record


def signups_of(activity: Activity):
    return (
        ActivitySignup.select(ActivitySignup, Volunteer)
        .join(Volunteer)
        .where(ActivitySignup.activity == activity.id)
        .order_by(ActivitySignup.id)
    )


def my_signup(p: Principal, activity: Activity) -> ActivitySignup | None:
    if p.user is None:
        return None
    volunteer = volunteers.of_user_in(p.user.id, activity.community_id)
    if volunteer is None:
        return None
    return ActivitySignup.get_or_none(
        (ActivitySignup.activity == activity.id) & (ActivitySignup.volunteer == volunteer.id)
    )


def signup_dict(row: ActivitySignup, private: bool = False) -> dict:
    out = {
        "id": row.id,
        "activity_id": row.activity_id,
        "volunteer_id": row.volunteer_id,
        "name": row.volunteer.name,
        "status": row.status,
        "status_label": SIGNUP_LABELS[row.status],
        "checked_in_at": iso(row.checked_in_at),
        "checked_out_at": iso(row.checked_out_at),
    }
    if private:
        out["phone"] = row.volunteer.phone
    return out


def as_dict(activity: Activity, mine: ActivitySignup | None = None) -> dict:
    return {
        "id": activity.id,
        "community_id": activity.community_id,
        "community_name": activity.community.name,
        "title": activity.title,
        "place": activity.place,
        "description": activity.description,
        "starts_at": iso(activity.starts_at),
        "ends_at": iso(activity.ends_at),
        "capacity": activity.capacity,
        "signed_up": activity.signed_up,
        "places_left": max(activity.capacity - activity.signed_up, 0),
        "status": activity.status,
        "status_label": STATUS_LABELS[activity.status],
        "my_signup": signup_dict(mine) if mine is not None else None,
    }
