"""Volunteers (志愿者), 双报到 units and volunteer teams (志愿服务队) of a community.

Any logged-in WeChat user registers as a volunteer of a community; one who registers as an
in-service party member (在职党员) names their 双报到 unit and waits for staff to confirm it.
Staff keep the units and teams. A volunteer's phone is private: only the volunteer and the
community's staff read it (`as_dict(..., private=True)`).
"""

from __future__ import annotations

from peewee import IntegrityError

from core import audit
from core.people import identity, phones
from core.people.permissions import Principal
from core.volunteering import scope
from infra import text
from infra.db import db, write_transaction
from infra.errors import bad_request, conflict, forbidden, not_found
from infra.timeutil import iso, utcnow
from models import Area, ServiceUnit, Volunteer, VolunteerTeam

PARTY_STATUS_LABELS = {"none": "", "pending": "待确认", "confirmed": "已确认", "rejected": "未通过"}
MAX_SKILLS = 10
SKILL_MAX = 20
NAME_MAX = 50


def _phone(value: str, field: str = "phone") -> str:
    found = phones.mobile(value or "")
    if not found:
        raise bad_request(
            "手机号：请填写正确的手机号（11 位）", {field: "请填写正确的手机号（11 位）"}
        )
    return found


def _skills(values: list[str] | None) -> list[str]:
    out = []
    for value in values or []:
        value = text.normalise(value or "")
        if value and value not in out:
            if len(value) > SKILL_MAX:
                raise bad_request("特长：每项最多 20 个字", {"skills": "每项最多 20 个字"})
            out.append(value)
    if len(out) > MAX_SKILLS:
        raise bad_request("特长：最多 10 项", {"skills": "最多 10 项"})
    return out


def _team(community: Area, team_id: int | None) -> VolunteerTeam | None:
    if team_id is None:
        return None
    team = VolunteerTeam.get_or_none(
        (VolunteerTeam.id == team_id) & (VolunteerTeam.community == community.id)
    )
    if team is None or not team.active:
        raise bad_request("志愿服务队：本社区没有这支队伍", {"team_id": "本社区没有这支队伍"})
    return team


def _unit(community: Area, unit_id: int | None) -> ServiceUnit | None:
    if unit_id is None:
        return None
    unit = ServiceUnit.get_or_none(
        (ServiceUnit.id == unit_id) & (ServiceUnit.community == community.id)
    )
    if unit is None or not unit.active:
        raise bad_request("双报到单位：本社区没有这个单位", {"unit_id": "本社区没有这个单位"})
    return unit


def register(
    p: Principal,
    community_id: int | None,
    name: str,
    phone: str,
    skills: list[str] | None = None,
    team_id: int | None = None,
    party_member: bool = False,
    unit_id: int | None = None,
) -> Volunteer:
    """Register (or update) the caller as a volunteer of a community. Registering as a party
    member needs a 双报到 unit; a changed unit goes back to staff for confirmation."""
    if p.user is None:
        raise forbidden("请先登录")
    community = scope.community(community_id)
    name = text.normalise(name or "")
    if not name:
        raise bad_request("姓名：必填", {"name": "必填"})
    phone = _phone(phone)
    skills = _skills(skills)
    team = _team(community, team_id)
    unit = _unit(community, unit_id) if party_member else None
    if party_member and unit is None:
        raise bad_request(
            "双报到单位：在职党员请选择所在单位", {"unit_id": "在职党员请选择所在单位"}
        )
    with write_transaction():
        volunteer = Volunteer.get_or_none(
            (Volunteer.user == p.user.id) & (Volunteer.community == community.id)
        )
        created = volunteer is None
        if created:
            volunteer = Volunteer(user=p.user, community=community)
        unit_changed = party_member and (
            created or not volunteer.party_member or volunteer.unit_id != unit.id
        )
        volunteer.name, volunteer.phone, volunteer.skills = name, phone, skills
        volunteer.team = team
        volunteer.party_member = party_member
        volunteer.unit = unit
        if not party_member:
            volunteer.party_status = "none"
        elif unit_changed or volunteer.party_status in ("none", "rejected"):
            volunteer.party_status = "pending"
            volunteer.party_reviewed_by = None
            volunteer.party_reviewed_at = None
        volunteer.active = True
        volunteer.updated_at = utcnow()
        try:
            with db.atomic():
                volunteer.save()
        except IntegrityError:
            raise conflict("already_registered", "您已在该社区登记为志愿者") from None
        audit.record(
            "volunteer.register" if created else "volunteer.update",
            "volunteer",
            volunteer.id,
            actor=p.user,
            area=community,
            data={"party_member": party_member, "unit_id": unit.id if unit else None},
        )
    return volunteer


def mine(p: Principal) -> list[Volunteer]:
    """The caller's own registrations (one per community)."""
    if p.user is None:
        return []
    return list(
        Volunteer.select(Volunteer, Area)
        .join(Area)
        .where(Volunteer.user == p.user.id)
        .order_by(Volunteer.id)
    )


def of_user_in(user_id: int, community_id: int) -> Volunteer | None:
    return Volunteer.get_or_none(
        (Volunteer.user == user_id) & (Volunteer.community == community_id) & Volunteer.active
    )


def directory(
    p: Principal,
    community_id: int | None = None,
    team_id: int | None = None,
    unit_id: int | None = None,
    party_status: str | None = None,
    party_member: bool | None = None,
    keyword: str | None = None,
):
    """The volunteers staff may see, filtered; newest first."""
    query = (
        Volunteer.select(Volunteer, Area)
        .join(Area)
        .where(scope.staff_condition(p) & Volunteer.active)
    )
    if community_id is not None:
        query = query.where(Volunteer.community == community_id)
    if team_id is not None:
        query = query.where(Volunteer.team == team_id)
    if unit_id is not None:
        query = query.where(Volunteer.unit == unit_id)
    if party_status is not None:
        query = query.where(Volunteer.party_status == party_status)
    if party_member is not None:
        query = query.where(Volunteer.party_member == party_member)
    if keyword:
        query = query.where(Volunteer.name.contains(keyword) | Volunteer.phone.contains(keyword))
    return query.order_by(Volunteer.id.desc())


def get_for_staff(p: Principal, volunteer_id: int) -> Volunteer:
    volunteer = Volunteer.get_or_none(Volunteer.id == volunteer_id)
    if volunteer is None or not p.can_manage(volunteer.community):
        raise not_found("找不到该志愿者", code="volunteer_not_found")
    return volunteer


def review_party_member(
    p: Principal, volunteer_id: int, approve: bool, note: str = ""
) -> Volunteer:
    """Staff confirm (or turn down, with a reason) an in-service party member's 双报到."""
    volunteer = get_for_staff(p, volunteer_id)
    if identity.person_of(p).is_user(volunteer.user_id):
        raise forbidden("不能确认自己的在职党员报到，须由其他工作人员确认", code="own_registration")
    note = text.normalise(note or "")
    if not approve and not note:
        raise bad_request("原因：不通过时请写明原因", {"note": "不通过时请写明原因"})
    with write_transaction():
        changed = (
            Volunteer.update(
                party_status="confirmed" if approve else "rejected",
                party_reviewed_by=p.user,
                party_reviewed_at=utcnow(),
                party_note=note[:200],
                updated_at=utcnow(),
            )
            .where((Volunteer.id == volunteer.id) & (Volunteer.party_status == "pending"))
            .execute()
        )
        if changed != 1:
            raise conflict("not_pending", "该志愿者没有待确认的在职党员报到")
        audit.record(
            "volunteer.party_confirm" if approve else "volunteer.party_reject",
            "volunteer",
            volunteer.id,
            actor=p.user,
            area=volunteer.community,
            data={"note": note, "unit_id": volunteer.unit_id},
        )
    return Volunteer.get_by_id(volunteer.id)


# --- units (双报到单位) and teams (志愿服务队) ------------------------------------------------


def add_unit(
    p: Principal, community_id: int | None, name: str, contact_name: str = "", phone: str = ""
) -> ServiceUnit:
    community = scope.managed_community(p, community_id)
    name = text.normalise(name or "")
    if not name:
        raise bad_request("名称：必填", {"name": "必填"})
    try:
        phone = phones.contact(phone) or ""
    except ValueError as exc:
        raise bad_request(f"电话：{exc}", {"phone": str(exc)}) from None
    try:
        with write_transaction():
            unit = ServiceUnit.create(
                community=community,
                name=name[:100],
                contact_name=text.normalise(contact_name or "")[:50],
                phone=phone,
            )
            audit.record(
                "service_unit.create",
                "service_unit",
                unit.id,
                actor=p.user,
                area=community,
                data={"name": unit.name},
            )
    except IntegrityError:
        raise conflict("duplicate", "本社区已有同名单位") from None
    return unit


def add_team(
    p: Principal, community_id: int | None, name: str, leader_name: str = ""
) -> VolunteerTeam:
    community = scope.managed_community(p, community_id)
    name = text.normalise(name or "")
    if not name:
        raise bad_request("名称：必填", {"name": "必填"})
    try:
        with write_transaction():
            team = VolunteerTeam.create(
                community=community,
                name=name[:100],
                leader_name=text.normalise(leader_name or "")[:50],
            )
            audit.record(
                "volunteer_team.create",
                "volunteer_team",
                team.id,
                actor=p.user,
                area=community,
                data={"name": team.name},
            )
    except IntegrityError:
        raise conflict("duplicate", "本社区已有同名队伍") from None
    return team


def set_active(p: Principal, model, row_id: int, active: bool):
    """Stop (or resume) using a unit or a team: it leaves the registration form; people who
    named it keep it on their registration, and past records are unchanged."""
    row = model.get_or_none(model.id == row_id)
    if row is None or not p.can_manage(row.community):
        noun = "单位" if model is ServiceUnit else "队伍"
        raise not_found(f"找不到该{noun}", code="not_found")
    subject = "service_unit" if model is ServiceUnit else "volunteer_team"
    with write_transaction():
        model.update(active=active).where(model.id == row.id).execute()
        audit.record(
            f"{subject}.{'enable' if active else 'disable'}",
            subject,
            row.id,
            actor=p.user,
            area=row.community_id,
            data={"name": row.name},
        )
    return model.get_by_id(row.id)


def units_of(community_id: int, include_inactive: bool = False):
    query = ServiceUnit.select().where(ServiceUnit.community == community_id)
    if not include_inactive:
        query = query.where(ServiceUnit.active)
    return query.order_by(ServiceUnit.name)


def teams_of(community_id: int, include_inactive: bool = False):
    query = VolunteerTeam.select().where(VolunteerTeam.community == community_id)
    if not include_inactive:
        query = query.where(VolunteerTeam.active)
    return query.order_by(VolunteerTeam.name)


def unit_dict(unit: ServiceUnit, private: bool = False) -> dict:
    out = {
        "id": unit.id,
        "community_id": unit.community_id,
        "name": unit.name,
        "active": unit.active,
    }
    if private:
        out.update(contact_name=unit.contact_name, phone=unit.phone)
    return out


def team_dict(team: VolunteerTeam) -> dict:
    return {
        "id": team.id,
        "community_id": team.community_id,
        "name": team.name,
        "leader_name": team.leader_name,
        "active": team.active,
    }


def as_dict(volunteer: Volunteer) -> dict:
    """The volunteer as the volunteer themselves and their community's staff read it (the
    phone is included: callers never give this to anyone else)."""
    return {
        "id": volunteer.id,
        "community_id": volunteer.community_id,
        "community_name": volunteer.community.name,
        "name": volunteer.name,
        "phone": volunteer.phone,
        "skills": volunteer.skills or [],
        "team_id": volunteer.team_id,
        "team_name": volunteer.team.name if volunteer.team_id else None,
        "party_member": volunteer.party_member,
        "unit_id": volunteer.unit_id,
        "unit_name": volunteer.unit.name if volunteer.unit_id else None,
        "party_status": volunteer.party_status,
        "party_status_label": PARTY_STATUS_LABELS.get(volunteer.party_status, ""),
        "party_note": volunteer.party_note,
        "created_at": iso(volunteer.created_at),
    }
