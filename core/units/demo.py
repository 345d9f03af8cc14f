"""The demo's handling units (`seed-demo`): the street's 住建办 and a property company of 槐树社区
with members who log in, the 住建办's own group, and for each of the two an item in every
state a unit's item can be in (`STATES`): waiting for 报到, checked in, progress, an extension
waiting for an answer, returned to the community, resolved, and supervised (督办).

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


# What each unit's demo items went through after the whistle: one item per state a unit's
# item can be in, so every screen (本单位待办, the unit's page, the trail) has something to show.
STATES = (
    (),  # whistled, waiting for 报到
    ("check_in",),
    ("check_in", "progress"),
    ("check_in", "extension"),  # an extension waiting for the community's answer
    ("return",),  # back with the community, still open
    ("check_in", "progress", "resolve"),
    ("supervise",),  # no 报到: the community asked the street to step in
)
# (unit kind) → (tier, category, content, progress note, return reason, result) per state
STORIES = {
    "department": (
        ("important", "私拉电线/安全隐患", "老楼外墙线缆老化下垂，雨天有火花。"),
        ("major", "设施损坏", "2号楼北侧外墙瓷砖大面积空鼓，随时可能掉落。"),
        ("important", "设施损坏", "巷口窨井盖松动，电动车压过会翘起。"),
        ("major", "设施损坏", "老旧楼道承重墙出现裂缝，住户担心安全。"),
        ("ordinary", "环境卫生", "巷子里的化粪池溢出，味道很大。"),
        ("important", "私拉电线/安全隐患", "楼道里飞线给电动车充电，线都挂在窗户上。"),
        ("major", "设施损坏", "围墙倾斜，下面是孩子放学走的路。"),
    ),
    "property": (
        ("ordinary", "设施损坏", "3号楼单元门禁坏了好几天，老人进出不方便。"),
        ("ordinary", "设施损坏", "5号楼电梯按钮失灵，按了不亮。"),
        ("important", "设施损坏", "地下车库顶棚漏水，滴在车上。"),
        ("ordinary", "设施损坏", "小区东门道闸抬不起来，车进不去。"),
        ("ordinary", "环境卫生", "小区后门垃圾桶满了没人清。"),
        ("ordinary", "环境卫生", "绿化带里的枯树枝堆了一个月没人清。"),
        ("important", "设施损坏", "7号楼水箱水有异味，居民不敢喝。"),
    ),
}
NOTES = {
    "department": ("已到现场查看，安排专业队伍进场", "需走维修资金审批流程", "属于物业维修范围"),
    "property": ("已通知维修师傅，明天上门", "配件需厂家调货", "属于环卫清运，不在物业合同范围"),
}


def _items(street: Area, community: Area, zhujian: Department, prop: Department) -> None:
    """For each unit, one whistled item in each state of `STATES`, through the real actions."""
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
    n = 0
    for unit in (zhujian, prop):
        member = _member(unit)
        progress_note, extension_reason, return_reason = NOTES[unit.kind]
        for steps, (tier, category, content) in zip(STATES, STORIES[unit.kind], strict=True):
            issue = issues.create(
                resident, alley=alleys[n % len(alleys)], board=None, category=category,
                content=content, contact_phone="17000001234",
            ).issue  # fmt: skip
            n += 1
            handling.whistle(staff, issue.id, unit.id, f"请{unit.name}协助处理", tier)
            for step in steps:
                if step == "check_in":
                    actions.check_in(member, issue.id)
                elif step == "progress":
                    actions.progress(member, issue.id, progress_note)
                elif step == "extension":
                    actions.request_extension(member, issue.id, 5, extension_reason)
                elif step == "return":
                    actions.return_to_community(member, issue.id, return_reason)
                elif step == "resolve":
                    actions.resolve(member, issue.id, "已处理完毕，居民已确认")
                elif step == "supervise":
                    actions.supervise(staff, issue.id, "两天未报到，请街道协调")


def _member(unit: Department) -> Principal:
    member = UnitMember.select().where(UnitMember.unit == unit.id).order_by(UnitMember.id).first()
    return Principal.for_user(StaffAccount.get_by_id(member.account_id).user)
