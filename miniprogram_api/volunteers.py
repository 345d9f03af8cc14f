"""Volunteers (志愿者): registering as one, the staff's directory, confirming in-service party
members (双报到), and the community's 双报到 units and volunteer teams (志愿服务队).

Phones: a volunteer reads their own, staff read their community's; units and teams are listed
to anyone logged in (the registration form needs them) without contact details."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.volunteering import scope, volunteers
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from miniprogram_api.validation import optional_text, required_text
from models import Area, ServiceUnit, VolunteerTeam

router = Router("volunteers")


class VolunteerIn(BaseModel):
    community_id: int = Field(description="报到的社区 ID")
    name: required_text(volunteers.NAME_MAX) = Field(description="姓名")
    phone: str = Field(max_length=20, description="手机号（仅本人和社区工作人员可见）")
    skills: list[str] = Field(default_factory=list, max_length=volunteers.MAX_SKILLS)
    team_id: int | None = Field(default=None, description="加入的志愿服务队")
    party_member: bool = Field(default=False, description="以在职党员身份报到（双报到）")
    unit_id: int | None = Field(default=None, description="在职党员所在的双报到单位")


class VolunteerOut(BaseModel):
    id: int
    community_id: int
    community_name: str
    name: str
    phone: str
    skills: list[str]
    team_id: int | None
    team_name: str | None
    party_member: bool
    unit_id: int | None
    unit_name: str | None
    party_status: str
    party_status_label: str
    party_note: str
    created_at: str | None


class VolunteerList(BaseModel):
    items: list[VolunteerOut]


class VolunteerPage(BaseModel):
    items: list[VolunteerOut]
    total: int
    page: int
    per_page: int


class DirectoryQuery(PageQuery):
    community_id: int | None = None
    team_id: int | None = None
    unit_id: int | None = None
    party_member: bool | None = None
    party_status: Literal["pending", "confirmed", "rejected"] | None = None
    keyword: optional_text(20) = None


class ReviewIn(BaseModel):
    approve: bool = Field(description="true 确认，false 不通过（须写原因）")
    note: optional_text(200) = None


class CommunityQuery(BaseModel):
    community_id: int = Field(description="社区 ID")
    include_inactive: bool = False


class UnitIn(BaseModel):
    community_id: int | None = Field(default=None, description="默认为本人所在社区")
    name: required_text(100)
    contact_name: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=32)


class UnitOut(BaseModel):
    id: int
    community_id: int
    name: str
    active: bool
    contact_name: str | None = None
    phone: str | None = None


class TeamIn(BaseModel):
    community_id: int | None = Field(default=None, description="默认为本人所在社区")
    name: required_text(100)
    leader_name: str = Field(default="", max_length=50)


class TeamOut(BaseModel):
    id: int
    community_id: int
    name: str
    leader_name: str
    active: bool


class UnitList(BaseModel):
    items: list[UnitOut]


class TeamList(BaseModel):
    items: list[TeamOut]


@router.post(
    "/volunteers",
    summary="登记为社区志愿者（在职党员可同时双报到）",
    body=VolunteerIn,
    response=VolunteerOut,
    status=201,
    errors=(400, 404, 409),
)
def register(body: VolunteerIn):
    """同一社区再次提交即修改本人信息；在职党员更换单位后须由社区重新确认。"""
    volunteer = volunteers.register(
        current_principal(),
        body.community_id,
        body.name,
        body.phone,
        body.skills,
        body.team_id,
        body.party_member,
        body.unit_id,
    )
    return volunteers.as_dict(volunteer), 201


class CommunityOut(BaseModel):
    id: int
    name: str
    street_name: str | None


class CommunityList(BaseModel):
    items: list[CommunityOut]


@router.get(
    "/volunteers/communities",
    summary="可以报到的社区（登记志愿者时选择）",
    response=CommunityList,
)
def communities():
    """社区名称不是隐私；不含电话等信息。"""
    rows = Area.select().where((Area.kind == "community") & Area.active).order_by(Area.path)
    streets = {a.id: a.name for a in Area.select().where(Area.kind == "street")}
    return {
        "items": [
            {"id": a.id, "name": a.name, "street_name": streets.get(a.parent_id)} for a in rows
        ]
    }


@router.get("/volunteers/me", summary="本人的志愿者登记", response=VolunteerList)
def my_registrations():
    return {"items": [volunteers.as_dict(v) for v in volunteers.mine(current_principal())]}


@router.get(
    "/volunteers",
    summary="志愿者名册（工作人员，限管辖社区）",
    roles=("staff", "admin"),
    query=DirectoryQuery,
    response=VolunteerPage,
)
def directory(query: DirectoryQuery):
    rows = volunteers.directory(
        current_principal(),
        community_id=query.community_id,
        team_id=query.team_id,
        unit_id=query.unit_id,
        party_status=query.party_status,
        party_member=query.party_member,
        keyword=query.keyword,
    )
    return paginate(rows, query, lambda page: [volunteers.as_dict(v) for v in page])


@router.post(
    "/volunteers/<int:volunteer_id>/party-review",
    summary="确认（或不通过）在职党员双报到",
    roles=("staff", "admin"),
    body=ReviewIn,
    response=VolunteerOut,
    errors=(400, 404, 409),
)
def review(volunteer_id: int, body: ReviewIn):
    volunteer = volunteers.review_party_member(
        current_principal(), volunteer_id, body.approve, body.note or ""
    )
    return volunteers.as_dict(volunteer)


@router.get(
    "/service-units",
    summary="社区的双报到单位",
    query=CommunityQuery,
    response=UnitList,
    errors=(404,),
)
def list_units(query: CommunityQuery):
    p = current_principal()
    community = scope.community(query.community_id)
    private = p.can_manage(community)
    rows = volunteers.units_of(community.id, query.include_inactive and private)
    return {"items": [volunteers.unit_dict(u, private) for u in rows]}


@router.post(
    "/service-units",
    summary="登记双报到单位（工作人员）",
    roles=("staff", "admin"),
    body=UnitIn,
    response=UnitOut,
    status=201,
    errors=(400, 403, 409),
)
def create_unit(body: UnitIn):
    unit = volunteers.add_unit(
        current_principal(), body.community_id, body.name, body.contact_name, body.phone
    )
    return volunteers.unit_dict(unit, private=True), 201


@router.get(
    "/volunteer-teams",
    summary="社区的志愿服务队",
    query=CommunityQuery,
    response=TeamList,
    errors=(404,),
)
def list_teams(query: CommunityQuery):
    p = current_principal()
    community = scope.community(query.community_id)
    rows = volunteers.teams_of(community.id, query.include_inactive and p.can_manage(community))
    return {"items": [volunteers.team_dict(t) for t in rows]}


@router.post(
    "/volunteer-teams",
    summary="建立志愿服务队（工作人员）",
    roles=("staff", "admin"),
    body=TeamIn,
    response=TeamOut,
    status=201,
    errors=(400, 403, 409),
)
def create_team(body: TeamIn):
    team = volunteers.add_team(current_principal(), body.community_id, body.name, body.leader_name)
    return volunteers.team_dict(team), 201


class ActiveIn(BaseModel):
    active: bool = Field(description="false 停用（不再出现在登记表中），true 恢复")


@router.post(
    "/service-units/<int:unit_id>/active",
    summary="停用或恢复双报到单位（工作人员）",
    roles=("staff", "admin"),
    body=ActiveIn,
    response=UnitOut,
    errors=(404,),
)
def unit_active(unit_id: int, body: ActiveIn):
    unit = volunteers.set_active(current_principal(), ServiceUnit, unit_id, body.active)
    return volunteers.unit_dict(unit, private=True)


@router.post(
    "/volunteer-teams/<int:team_id>/active",
    summary="停用或恢复志愿服务队（工作人员）",
    roles=("staff", "admin"),
    body=ActiveIn,
    response=TeamOut,
    errors=(404,),
)
def team_active(team_id: int, body: ActiveIn):
    team = volunteers.set_active(current_principal(), VolunteerTeam, team_id, body.active)
    return volunteers.team_dict(team)
