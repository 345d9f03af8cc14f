"""Volunteer activities (志愿活动): staff publish them; volunteers sign up, cancel, check in and
out; staff see the sign-ups and check people in and out for them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.volunteering import activities, records, scope
from infra import timeutil
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from miniprogram_api.validation import required_text

router = Router("activities")


def local_aware(moment: datetime | None) -> datetime | None:
    """A time as the client sent it: with an offset as given, without one as local time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timeutil.LOCAL_TZ)


class ActivityIn(BaseModel):
    community_id: int | None = Field(default=None, description="默认为本人所在社区")
    title: required_text(activities.TITLE_MAX)
    place: required_text(activities.PLACE_MAX)
    starts_at: datetime = Field(description="ISO 8601；不带时区按北京时间")
    ends_at: datetime
    capacity: int = Field(ge=1, le=activities.MAX_CAPACITY)
    description: str = Field(default="", max_length=activities.DESCRIPTION_MAX)


class SignupOut(BaseModel):
    id: int
    activity_id: int
    volunteer_id: int
    name: str
    status: str
    status_label: str
    checked_in_at: str | None
    checked_out_at: str | None
    phone: str | None = None


class ActivityOut(BaseModel):
    id: int
    community_id: int
    community_name: str
    title: str
    place: str
    description: str
    starts_at: str
    ends_at: str
    capacity: int
    signed_up: int
    places_left: int
    status: str
    status_label: str
    my_signup: SignupOut | None


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    total: int
    page: int
    per_page: int


class ActivityQuery(PageQuery):
    community_id: int | None = None
    upcoming: bool = Field(default=False, description="只看未结束的活动")
    mine: bool = Field(default=False, description="只看本人已报名的")


class CancelIn(BaseModel):
    reason: required_text(200)


class AttendanceIn(BaseModel):
    volunteer_id: int | None = Field(
        default=None, description="工作人员代为签到/签退时填写；志愿者本人不填"
    )
    at: datetime | None = Field(default=None, description="工作人员补录的时间；默认为现在")


class SignupList(BaseModel):
    items: list[SignupOut]


class AttendanceOut(BaseModel):
    signup: SignupOut
    record_id: int | None = None
    hours: float | None = None


@router.post(
    "/activities",
    summary="发布志愿活动（工作人员）",
    roles=("staff", "admin"),
    body=ActivityIn,
    response=ActivityOut,
    status=201,
    errors=(400, 403, 404),
)
def publish(body: ActivityIn):
    activity = activities.publish(
        current_principal(),
        body.community_id,
        body.title,
        body.place,
        local_aware(body.starts_at),
        local_aware(body.ends_at),
        body.capacity,
        body.description,
    )
    return activities.as_dict(activity), 201


@router.get(
    "/activities",
    summary="志愿活动：本人报到社区的，工作人员为管辖社区的",
    query=ActivityQuery,
    response=ActivityPage,
)
def list_activities(query: ActivityQuery):
    p = current_principal()
    rows = activities.listing(p, query.community_id, query.upcoming, query.mine)
    return paginate(
        rows, query, lambda page: [activities.as_dict(a, activities.my_signup(p, a)) for a in page]
    )


@router.get(
    "/activities/<int:activity_id>",
    summary="活动详情",
    response=ActivityOut,
    errors=(404,),
)
def get_activity(activity_id: int):
    p = current_principal()
    activity = activities.visible(p, activity_id)
    return activities.as_dict(activity, activities.my_signup(p, activity))


@router.post(
    "/activities/<int:activity_id>/cancel",
    summary="取消活动（工作人员）",
    roles=("staff", "admin"),
    body=CancelIn,
    response=ActivityOut,
    errors=(400, 403, 404, 409),
)
def cancel_activity(activity_id: int, body: CancelIn):
    activity = activities.cancel_activity(current_principal(), activity_id, body.reason)
    return activities.as_dict(activity)


@router.post(
    "/activities/<int:activity_id>/signup",
    summary="报名参加活动（志愿者本人）",
    response=ActivityOut,
    errors=(403, 404, 409),
)
def signup(activity_id: int):
    """名额已满返回 409 `activity_full`；同一时刻抢最后一个名额只有一人成功。"""
    p = current_principal()
    row = activities.signup(p, activity_id)
    activity = activities.get(activity_id)
    return activities.as_dict(activity, row)


@router.post(
    "/activities/<int:activity_id>/signup/cancel",
    summary="取消报名（签到前）",
    response=ActivityOut,
    errors=(403, 404, 409),
)
def cancel_signup(activity_id: int):
    p = current_principal()
    row = activities.cancel_signup(p, activity_id)
    return activities.as_dict(activities.get(activity_id), row)


@router.get(
    "/activities/<int:activity_id>/signups",
    summary="活动报名名单（工作人员）",
    roles=("staff", "admin"),
    response=SignupList,
    errors=(403, 404),
)
def list_signups(activity_id: int):
    activity = activities.get(activity_id)
    scope.require_staff_of(current_principal(), activity.community)
    return {"items": [activities.signup_dict(r, True) for r in activities.signups_of(activity)]}


@router.post(
    "/activities/<int:activity_id>/check-in",
    summary="签到（本人在活动时间内；工作人员可代签）",
    body=AttendanceIn,
    response=AttendanceOut,
    errors=(400, 403, 404, 409),
)
def check_in(activity_id: int, body: AttendanceIn):
    row = activities.check_in(
        current_principal(), activity_id, body.volunteer_id, local_aware(body.at)
    )
    return {"signup": activities.signup_dict(row)}


@router.post(
    "/activities/<int:activity_id>/check-out",
    summary="签退：生成服务记录（待社区认证）",
    body=AttendanceIn,
    response=AttendanceOut,
    errors=(400, 403, 404, 409),
)
def check_out(activity_id: int, body: AttendanceIn):
    """时长 = 签到至签退，不超过活动时长，按半小时四舍五入（满 15 分钟进半小时）。"""
    row, record = activities.check_out(
        current_principal(), activity_id, body.volunteer_id, local_aware(body.at)
    )
    return {
        "signup": activities.signup_dict(row),
        "record_id": record.id if record else None,
        "hours": records.as_dict(record)["hours"] if record else None,
    }
