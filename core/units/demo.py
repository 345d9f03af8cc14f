"""The demo's handling units (`seed-demo`): the street's 住建办 and a property company of 槐树社区
with members who log in, the 住建办's own group, and a few items in each unit state —
whistled and waiting for 报到, checked in with progress, returned to the community.

Idempotent like the rest of the demo: units and members are created once; the items only
when the demo history is written (a fresh district).
"""

from __future__ import annotations

from core.items import issues
from core.people import auth
from core.people.permissions import Principal
from core.units import actions, handling, members, units
from models import Area, ChatGroup, Department, RoleGrant, StaffAccount, User
from models.units import UnitMember

PROPERTY = ("安居物业", "槐树社区", "物业前台", "17000008101")
# unit name → (username, password, display name, WeCom id)
MEMBERS = {
    "住建办": ("zhujian", "zhujian-demo", "住建办罗工", "zhujian_luo"),
    "安居物业": ("anju", "anju-demo", "安居物业周经理", "anju_zhou"),
}
UNIT_GROUP_KEY = "demo-unit-zhujian"


def write(street: Area, communities: dict[str, Area], *, with_items: bool, label: str) -> list[str]:
    name, community, contact, phone = PROPERTY
    prop = Department.get_or_none(name=name, area=communities[community])
    if prop is None:
        prop = units.create(
            communities[community], name, phone, contact, kind="property", label=label
        )
    zhujian = Department.get(name="住建办", area=street)
    if not ChatGroup.select().where(ChatGroup.webhook_key == UNIT_GROUP_KEY).exists():
        ChatGroup.create(
            area=street,
            name="住建办工作群",
            webhook_key=UNIT_GROUP_KEY,
            unit=zhujian,
            audience="unit",
        )
    lines = ["", "承办单位成员登录（管理后台用户名/密码，或小程序登录码）："]
    for unit in (zhujian, prop):
        username, password, display, wecom = MEMBERS[unit.name]
        account = StaffAccount.get_or_none(StaffAccount.username == username)
        if account is None:
            member = members.create_member(unit, username, password, display, wecom, label=label)
            account = member.account
        # the offline mini program login `dev:<username>` acts as the member too
        user, _ = User.get_or_create(
            openid=f"{auth.OFFLINE_PREFIX}{username}", defaults={"nickname": display}
        )
        if not RoleGrant.active_for(user).where(RoleGrant.staff == account.id).exists():
            RoleGrant.create(user=user, role="unit", area=account.area_id, staff=account)
        lines.append(
            f"  {unit.name}（{units.KIND_LABELS[unit.kind]}）：用户名 {username}  密码 {password}"
            f"  登录码 dev:{username}"
        )
    if with_items:
        _items(street, communities[community], zhujian, prop)
    return lines


def _items(street: Area, community: Area, zhujian: Department, prop: Department) -> None:
    alleys = list(
        Area.select().where(Area.path.startswith(community.path) & (Area.kind == "alley"))
    )
    staff_account = StaffAccount.get(
        (StaffAccount.area == community) & (StaffAccount.role == "staff")
    )
    staff = Principal.for_user(staff_account.user)
    resident = Principal.for_user(
        User.get_or_create(
            openid=f"{auth.OFFLINE_PREFIX}居民孙阿姨", defaults={"nickname": "孙阿姨"}
        )[0]
    )
    stories = (
        (prop, "ordinary", "设施损坏", "3号楼单元门禁坏了好几天，老人进出不方便。", None),
        (
            zhujian,
            "important",
            "私拉电线/安全隐患",
            "老楼外墙线缆老化下垂，雨天有火花。",
            "progress",
        ),
        (prop, "ordinary", "环境卫生", "小区后门垃圾桶满了没人清。", "return"),
    )
    for i, (unit, tier, category, content, then) in enumerate(stories):
        issue = issues.create(
            resident, alley=alleys[i % len(alleys)], board=None, category=category,
            content=content, contact_phone="17000001234",
        ).issue  # fmt: skip
        handling.whistle(staff, issue.id, unit.id, "请单位协助处理", tier)
        member = _member(unit)
        if then == "progress":
            actions.check_in(member, issue.id)
            actions.progress(member, issue.id, "已到现场查看，安排电工明天更换线缆")
        elif then == "return":
            actions.return_to_community(member, issue.id, "属于环卫清运，不在物业合同范围")


def _member(unit: Department) -> Principal:
    member = UnitMember.select().where(UnitMember.unit == unit.id).order_by(UnitMember.id).first()
    return Principal.for_user(StaffAccount.get_by_id(member.account_id).user)
