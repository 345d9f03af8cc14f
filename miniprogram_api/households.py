"""包联户 (民情联系卡) and 一人一策 plans — PRIVATE: the household's steward and the staff
above its alley only; every read (list and card) is audited by `core.households`.

Routes: `GET/POST /households`, `GET /households/{id}`, `POST /households/{id}/update`,
`POST /households/{id}/plans`, `POST /household-plans/{id}/update`,
`GET/POST /households/{id}/visits`, `GET /household-options` (tags and plan groups).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.households import access, cards, plans, visits
from infra.timeutil import utcnow
from miniprogram_api.context import current_principal
from miniprogram_api.issues import PhotoIds
from miniprogram_api.pagination import PageQuery
from miniprogram_api.router import Router
from miniprogram_api.serializers import PhotoOut, Ref
from models import Visit

router = Router("households")
ROLES = ("steward", "staff", "admin")


class MemberIn(BaseModel):
    name: str = Field(max_length=50, description="姓名")
    relation: str = Field(default="", max_length=20, description="与户主关系")
    birth_year: int | None = Field(default=None, ge=1900, le=2100, description="出生年份")
    phone: str | None = Field(default=None, max_length=32)
    notes: str = Field(default="", max_length=200)


class HouseholdIn(BaseModel):
    alley_id: int = Field(description="街巷")
    steward_id: int | None = Field(default=None, description="包联管家；管家本人登记时可不填")
    address: str = Field(max_length=200)
    head_name: str = Field(max_length=50, description="户主")
    head_phone: str | None = Field(default=None, max_length=32, description="户主电话")
    members: list[MemberIn] = Field(default_factory=list, max_length=30)
    tags: list[str] = Field(default_factory=list, max_length=20)
    notes: str = Field(default="", max_length=1000)


class HouseholdUpdateIn(BaseModel):
    """只修改提交了的字段。街巷、包联管家、在册状态只有社区工作人员可以修改。"""

    alley_id: int | None = None
    steward_id: int | None = None
    address: str | None = Field(default=None, max_length=200)
    head_name: str | None = Field(default=None, max_length=50)
    head_phone: str | None = Field(default=None, max_length=32)
    members: list[MemberIn] | None = Field(default=None, max_length=30)
    tags: list[str] | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, max_length=1000)
    active: bool | None = None


class HouseholdQuery(PageQuery):
    tag: str | None = Field(default=None, max_length=20, description="标签")
    alley_id: int | None = None
    steward_id: int | None = None
    overdue: bool | None = Field(default=None, description="true：只看走访超期的")
    q: str | None = Field(default=None, max_length=50, description="按地址或户主查找")
    include_inactive: bool = False


class MemberOut(BaseModel):
    name: str
    relation: str
    birth_year: int | None
    phone: str
    notes: str


class HouseholdSummaryOut(BaseModel):
    id: int
    address: str
    head_name: str
    head_phone: str | None
    tags: list[str]
    alley: Ref
    steward: Ref
    member_count: int
    active: bool
    last_visit_at: str | None
    visit_due_at: str | None = Field(description="最早到期的走访时间（一人一策的走访周期）")
    overdue: bool


class HouseholdList(BaseModel):
    items: list[HouseholdSummaryOut]
    total: int
    page: int
    per_page: int


class VolunteerOut(BaseModel):
    user_id: int | None
    name: str
    phone: str | None


class PlanOut(BaseModel):
    id: int
    household_id: int
    member_name: str
    group: str
    plan: str
    volunteer: VolunteerOut
    interval_days: int
    active: bool
    due_at: str
    overdue: bool
    created_at: str


class VisitOut(BaseModel):
    id: int
    household_id: int
    visitor: str
    steward_id: int | None
    visited_at: str
    note: str
    photos: list[PhotoOut]
    patrol_id: int | None


class StewardPhone(Ref):
    phone: str


class HouseholdOut(HouseholdSummaryOut):
    community: Ref
    steward: StewardPhone
    members: list[MemberOut]
    notes: str
    plans: list[PlanOut]
    visits: list[VisitOut]
    visit_count: int
    created_at: str
    updated_at: str


class PlanIn(BaseModel):
    group: str = Field(description="鳏寡孤独、重症残疾人、留守儿童、困境儿童之一")
    plan: str = Field(max_length=2000, description="帮扶措施")
    member_name: str = Field(
        default="", max_length=50, description="帮扶对象：户主或成员；空为全户"
    )
    volunteer_user_id: int | None = Field(default=None, description="结对志愿者的用户 id")
    volunteer_name: str = Field(default="", max_length=50)
    volunteer_phone: str | None = Field(default=None, max_length=32)
    interval_days: int = Field(ge=1, le=365, description="走访周期（天）")


class PlanUpdateIn(BaseModel):
    group: str | None = None
    plan: str | None = Field(default=None, max_length=2000)
    member_name: str | None = Field(default=None, max_length=50)
    volunteer_user_id: int | None = None
    volunteer_name: str | None = Field(default=None, max_length=50)
    volunteer_phone: str | None = Field(default=None, max_length=32)
    interval_days: int | None = Field(default=None, ge=1, le=365)
    active: bool | None = None


class VisitIn(BaseModel):
    note: str = Field(default="", max_length=500)
    photo_ids: PhotoIds


class VisitList(BaseModel):
    items: list[VisitOut]
    total: int
    page: int
    per_page: int


class OptionsOut(BaseModel):
    tags: list[str]
    plan_groups: list[str]


def _dump(body: BaseModel) -> dict:
    """What the client sent (an update changes only those fields)."""
    return body.model_dump(exclude_unset=True)


@router.get(
    "/household-options",
    summary="包联户的可选标签与一人一策帮扶类别",
    roles=ROLES,
    response=OptionsOut,
)
def options():
    return {"tags": access.tags(), "plan_groups": access.plan_groups()}


@router.get(
    "/households",
    summary="包联户列表（管家：本人包联的；工作人员：管辖范围内的），走访超期的在前",
    roles=ROLES,
    query=HouseholdQuery,
    response=HouseholdList,
)
def list_households(query: HouseholdQuery):
    """每次查看都记入操作日志（含看到了哪些户）。"""
    p = current_principal()
    filters = query.model_dump(exclude={"page", "per_page"})
    rows_query = cards.listing(p, **filters)
    total = rows_query.count()
    rows = list(rows_query.paginate(query.page, query.per_page))
    cards.audit_listing(p, rows, filters, via="api")
    now = utcnow()
    return {
        "items": [cards.summary_out(h, now) for h in rows],
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
    }


@router.post(
    "/households",
    summary="登记一户（民情联系卡）",
    roles=ROLES,
    body=HouseholdIn,
    response=HouseholdOut,
    status=201,
    errors=(403, 409),
)
def create_household(body: HouseholdIn):
    p = current_principal()
    household = cards.create(p, _dump(body) | {"alley_id": body.alley_id})
    return cards.card_out(household), 201


@router.get(
    "/households/<int:household_id>",
    summary="一户的民情联系卡：成员、标签、一人一策、走访记录",
    roles=ROLES,
    response=HouseholdOut,
    errors=(404,),
)
def get_household(household_id: int):
    """只有该户的包联管家和所在社区的工作人员可以查看；每次查看都记入操作日志。"""
    return cards.card(current_principal(), household_id, via="api")


@router.post(
    "/households/<int:household_id>/update",
    summary="修改民情联系卡",
    roles=ROLES,
    body=HouseholdUpdateIn,
    response=HouseholdOut,
    errors=(403, 404, 409),
)
def update_household(household_id: int, body: HouseholdUpdateIn):
    p = current_principal()
    household = access.load(p, household_id)
    data = _dump(body)
    if "members" in data:
        data["members"] = [m.model_dump() for m in body.members or []]
    household = cards.update(p, household, data)
    return cards.card_out(household)


@router.post(
    "/households/<int:household_id>/plans",
    summary="新建一人一策帮扶计划",
    roles=ROLES,
    body=PlanIn,
    response=PlanOut,
    status=201,
    errors=(404,),
)
def create_plan(household_id: int, body: PlanIn):
    plan = plans.create(current_principal(), household_id, _dump(body))
    return cards.plan_out(plan), 201


@router.post(
    "/household-plans/<int:plan_id>/update",
    summary="修改一人一策帮扶计划（含停止执行）",
    roles=ROLES,
    body=PlanUpdateIn,
    response=PlanOut,
    errors=(404,),
)
def update_plan(plan_id: int, body: PlanUpdateIn):
    plan = plans.update(current_principal(), plan_id, _dump(body))
    return cards.plan_out(plan)


@router.post(
    "/households/<int:household_id>/visits",
    summary="登记一次走访（说明 + 本人上传的照片）",
    roles=ROLES,
    body=VisitIn,
    response=VisitOut,
    status=201,
    errors=(404,),
)
def record_visit(household_id: int, body: VisitIn):
    visit = visits.record(current_principal(), household_id, body.note, body.photo_ids)
    return cards.visit_out(visit), 201


@router.get(
    "/households/<int:household_id>/visits",
    summary="一户的全部走访记录",
    roles=ROLES,
    query=PageQuery,
    response=VisitList,
    errors=(404,),
)
def list_visits(household_id: int, query: PageQuery):
    p = current_principal()
    household = access.load(p, household_id)
    q = (
        Visit.select()
        .where(Visit.household == household)
        .order_by(Visit.visited_at.desc(), Visit.id.desc())
    )
    total = q.count()
    rows = list(q.paginate(query.page, query.per_page))
    access.record_read(p, household, via="api:visits")
    cache: dict = {}
    return {
        "items": [cards.visit_out(v, cache) for v in rows],
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
    }
