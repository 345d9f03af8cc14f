"""Demo households (包联户) for `seed-demo`: a few cards on 南门巷 and 槐荫里, loaded through
the same spreadsheet import a community uses (once), with 一人一策 plans — one of them overdue, so
the lists, the console and the reminder digest have something to show; and one 寒潮 care alert
(关怀提醒) of 槐树社区, half answered through the same calls the chat makes. Re-running changes
nothing."""

from __future__ import annotations

from datetime import timedelta

from core.households import care_alerts, due, sheet
from core.people.permissions import Principal
from infra.timeutil import utcnow
from models import Area, CarePlan, Household, StaffAccount, Steward, Visit
from models.care import CareAlert

HEADER = ["街道", "社区", "街巷", "管家手机号", "地址", "户主", "户主电话", "成员", "标签", "备注"]
ROWS = (
    (
        "南门巷",
        "17000000101",
        "南门巷3号",
        "王大爷",
        "17000003001",
        "",
        "独居老人、高龄老人",
        "腿脚不便，子女在外地",
    ),
    (
        "南门巷",
        "17000000101",
        "南门巷7号",
        "孙秀珍",
        "17000003002",
        "孙小雨/孙女/2014",
        "留守儿童",
        "孩子父母在外务工",
    ),
    (
        "南门巷",
        "17000000101",
        "南门巷12号",
        "钱建华",
        "17000003003",
        "钱芳/妻子/1968；钱磊/儿子/1995",
        "残疾、低保",
        "",
    ),
    ("槐荫里", "17000000102", "槐荫里5号", "周桂英", "17000003004", "", "空巢老人", ""),
)
# address → (group, member, plan, interval days, days since the plan started, visited days ago)
PLANS = {
    "南门巷3号": ("鳏寡孤独", "", "每周上门看望一次，代购药品，留意用电用气安全", 7, 20, 12),
    "南门巷7号": ("留守儿童", "孙小雨", "每两周辅导作业一次，与在外父母视频通话", 14, 10, None),
    "南门巷12号": ("重症残疾人", "钱磊", "每月陪同康复训练，协助办理残疾人补贴", 30, 40, 5),
}


def write(street: Area, label: str) -> None:
    if Household.select().where(Household.address == ROWS[0][2]).exists():
        return  # loaded before: a second seed changes nothing (and audits nothing)
    table = [HEADER] + [[street.name, "槐树社区", *row] for row in ROWS]
    sheet.import_table(table, label=label, source="demo")
    now = utcnow()
    for address, (group, member, text, days, started, visited) in PLANS.items():
        household = Household.get(Household.address == address)
        if CarePlan.select().where(CarePlan.household == household).exists():
            continue
        CarePlan.create(
            household=household,
            group=group,
            member_name=member,
            plan=text,
            volunteer_name="社区志愿者服务队",
            interval_days=days,
            due_at=now,
            created_at=now - timedelta(days=started),
            updated_at=now,
        )
        if visited is not None:
            at = now - timedelta(days=visited)
            Visit.create(
                household=household,
                steward=household.steward_id,
                visitor_label=f"管家 {household.steward.name}",
                visited_at=at,
                note="上门看望，情况稳定",
                created_at=at,
            )
            household.last_visit_at = at
        due.refresh(household)


# The demo's care alert: (steward's phone, number on their list, answer, note) for the answered
# half; 王大爷 (王秀英's 1, whose 一人一策 visit the demo leaves overdue) and 周桂英 (槐荫里's 1)
# are left waiting.
CARE_TAGS = ["独居老人", "空巢老人", "残疾", "留守儿童"]
CARE_ANSWERS = (
    ("17000000101", 3, "visited", "暖气正常，已提醒夜间关好门窗"),
    ("17000000101", 2, "contacted", "电话联系孩子奶奶，家里有取暖器"),
)


def write_care_alert(street: Area) -> None:
    community = Area.get((Area.parent == street) & (Area.name == "槐树社区"))
    if CareAlert.select().where(CareAlert.area == community).exists():
        return
    staff = (
        StaffAccount.select()
        .where((StaffAccount.area == community) & StaffAccount.active)
        .order_by(StaffAccount.id)
        .first()
    )
    if staff is None or staff.user_id is None:
        return
    care_alerts.create(
        Principal.for_user(staff.user),
        community.id,
        "寒潮",
        CARE_TAGS,
        "今晚最低气温零下5度，请电话或上门确认取暖、门窗和用电用气安全",
    )
    for phone, seq, result, note in CARE_ANSWERS:
        steward = Steward.get(Steward.phone == phone)
        care_alerts.answer(Principal.for_user(steward.user), seq, result, note)
