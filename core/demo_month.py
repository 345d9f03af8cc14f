"""Last calendar month's history for the demo district, so the street's monthly bulletin
(`core.figures.bulletin`) opens on real numbers: both communities at the ranking's minimum
volume (`RANKING_MIN_VOLUME`, 10 counted items) and unlike each other (槐树社区 quick and liked, 清河社区 slower, with a late
item, a poor rating and one still overdue), items whistled to the 住建办 and to a property
company with their 报到, some followed by neighbours.

Written like `core.demo_history`: every step through the real workflows with the clock moved
back (`infra.timeutil.clock_at`), fixed, no randomness. It runs once, with the two weeks of
`demo_history`, after the units and their members exist (`core.units.demo`).

So that units are ranked as well as listed, the street's 城管执法中队 (with a member who checks
in) gets `RANKING_MIN_VOLUME` whistled items last month, across both communities, and as many
this month so far in 清河社区 (`UNIT_VOLUME`): in the 街道总览 (this month) and the bulletin
(last month) both communities and the 城管执法中队 are ranked, while 住建办 and 安居物业, with
a few items each, are listed without a rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.demo_history import _Demo
from core.items import issues, on_behalf
from core.people.permissions import Principal
from core.units import actions, members
from core.units import handling as unit_handling
from infra.timeutil import clock_at, local_midnight_utc, to_local, utcnow
from models import Area, Department, StaffAccount
from models.units import UnitMember


@dataclass(frozen=True)
class MonthStory:
    """An item of last month: filed on `day` at `hour` o'clock, then `ending`."""

    day: int
    hour: int
    alley: str
    category: str
    content: str
    reporter: str
    ending: str  # rated | late | overdue | whistled | cancelled
    note: str = ""
    score: int = 5
    unit: str = ""  # whistled: the unit's name
    late: bool = False  # whistled: 报到 after the hours allowed
    followers: tuple[str, ...] = ()


STORIES = (
    MonthStory(2, 9, "南门巷", "环境卫生", "南门巷公厕门口污水外溢。", "张阿姨", "rated",
               "已联系环卫所疏通化粪池。", 5),
    MonthStory(3, 10, "槐荫里", "车辆乱停", "槐荫里消防通道被两辆私家车堵了。", "老周", "rated",
               "已联系车主挪车，并加装了禁停地桩。", 5),
    MonthStory(5, 15, "打铁巷", "设施损坏", "打铁巷中段的下水井盖松动，踩上去会响。", "刘大爷",
               "rated", "已现场加固井盖。", 4),
    MonthStory(7, 8, "仓前街", "私拉电线/安全隐患", "仓前街 9 号一楼商户把电线拉到人行道上。",
               "小陈", "rated", "已劝导商户收回电线，改走室内插座。", 5,
               followers=("赵女士", "孙师傅")),
    MonthStory(9, 14, "井头巷", "邻里纠纷", "楼下烧烤店油烟太大，窗户都不敢开。", "赵女士",
               "rated", "社区协调店家加装油烟净化器。", 4),
    MonthStory(11, 16, "豆腐坊巷", "助老帮残", "豆腐坊巷的独居刘爷爷想请人帮忙换个灯泡。",
               "孙师傅", "rated", "管家当天上门换好了灯泡。", 5),
    MonthStory(13, 9, "南门巷", "设施损坏", "南门巷 3 号楼单元门的门禁坏了。", "张阿姨",
               "whistled", "请物业更换门禁主板。", 5, unit="安居物业"),
    MonthStory(16, 10, "打铁巷", "设施损坏", "打铁巷老墙有一段外皮剥落，怕砸到人。", "刘大爷",
               "whistled", "需住建办派人鉴定和修缮。", 4, unit="住建办",
               followers=("老周", "小陈", "张阿姨")),
    MonthStory(20, 11, "槐荫里", "环境卫生", "槐荫里的绿化带里有人堆放旧家具。", "老周", "rated",
               "已联系收运，当天清走。", 5),
    MonthStory(23, 10, "仓前街", "环境卫生", "仓前街菜场门口的排水沟堵了，一下雨就积水。", "刘大爷",
               "rated", "已疏通排水沟。", 5),
    MonthStory(2, 11, "石板巷", "环境卫生", "石板巷有人把装修垃圾倒在巷口。", "小陈", "late",
               "已清运，并在巷口贴了告示。", 3),
    MonthStory(4, 9, "杨柳弄", "车辆乱停", "杨柳弄口的共享单车堆成一片。", "孙师傅", "rated",
               "已通知运营公司清点挪走。", 4),
    MonthStory(6, 16, "水井头", "设施损坏", "水井头的路灯一到晚上就闪。", "刘大爷", "late",
               "已报修，供电所更换了镇流器。", 2),
    MonthStory(10, 10, "米市巷", "设施损坏", "米市巷的老台阶塌了一块，需要重新砌。", "赵女士",
               "whistled", "需住建办安排施工队。", 3, unit="住建办", late=True),
    MonthStory(14, 15, "鼓楼巷", "其他", "鼓楼巷口的宣传栏玻璃碎了。", "老周", "rated",
               "已拆除碎玻璃并更换。", 5),
    MonthStory(18, 9, "竹竿巷", "私拉电线/安全隐患", "竹竿巷有人从三楼吊电线下来给电瓶车充电。",
               "小陈", "overdue", followers=("孙师傅", "刘大爷", "赵女士", "张阿姨")),
    MonthStory(22, 14, "杨柳弄", "环境卫生", "杨柳弄垃圾桶旁边满地垃圾。", "张阿姨",
               "cancelled"),
    MonthStory(8, 10, "鼓楼巷", "车辆乱停", "鼓楼巷口电动车乱停，堵住了轮椅坡道。", "赵女士",
               "rated", "已劝离并划了停车线。", 4),
    MonthStory(15, 9, "水井头", "环境卫生", "水井头公厕的洗手池没有水。", "老周", "rated",
               "已修好水龙头。", 3),
    MonthStory(24, 16, "米市巷", "其他", "米市巷的门牌号掉了两块，快递老送错。", "孙师傅", "rated",
               "已补装门牌。", 5),
    MonthStory(25, 10, "石板巷", "邻里纠纷", "邻居家的狗天天半夜叫。", "孙师傅", "rated",
               "已上门协调，狗主人晚上把狗关进屋内。", 4),
)  # fmt: skip


# The 城管执法中队's items (alley, category, content, reporter), played once last month and once
# this month; its member checks in and resolves.
UNIT_VOLUME_UNIT = ("城管执法中队", "zhifa", "zhifa-demo", "城管何队长", "zhifa_he")
UNIT_VOLUME = (
    ("南门巷", "车辆乱停", "南门巷口三轮车占道经营，早高峰车过不去。", "张阿姨"),
    ("石板巷", "环境卫生", "石板巷有人夜里往河边倒建筑垃圾。", "小陈"),
    ("仓前街", "其他", "仓前街 12 号商户把货架摆到了人行道上。", "刘大爷"),
    ("杨柳弄", "车辆乱停", "杨柳弄口长期停着一辆没牌照的面包车。", "孙师傅"),
    ("槐荫里", "环境卫生", "槐荫里有人在绿化带里种菜、堆肥。", "老周"),
    ("水井头", "其他", "水井头早市的摊贩收摊后垃圾不清。", "赵女士"),
    ("打铁巷", "私拉电线/安全隐患", "打铁巷有商户在门口支起煤炉烧烤。", "刘大爷"),
    ("米市巷", "其他", "米市巷有人私自在墙上开了一个门洞。", "赵女士"),
    ("鼓楼巷", "车辆乱停", "鼓楼巷口的共享电单车堵住了盲道。", "老周"),
    ("竹竿巷", "环境卫生", "竹竿巷楼顶有人搭了违章彩钢棚。", "小陈"),
)
THIS_MONTH_ALLEYS = ("石板巷", "杨柳弄", "水井头", "米市巷", "鼓楼巷", "竹竿巷")  # 清河社区


# 12345 tickets handed down (上级转办件), registered by the community's staff: (alley, category,
# content, hours to the hotline's deadline, hours to the close or None: still open). Played last
# month from the 4th and this month from the 1st; nobody rates them, so the closed ones wait for a
# 回访 — the 街道总览's 12345 and 回访 columns and the street edition have numbers to show.
TICKETS = (
    ("井头巷", "环境卫生", "12345 转办：井头巷垃圾房周边蚊蝇多，市民来电反映。", 72, 30),
    ("石板巷", "设施损坏", "12345 转办：石板巷路面塌陷一处，市民来电反映。", 72, 90),
    ("鼓楼巷", "车辆乱停", "12345 转办：鼓楼巷夜间货车占道卸货，市民来电反映。", 48, None),
)


def _play_tickets(demo: _Month, *, this_month: bool) -> None:
    now = utcnow() - timedelta(minutes=1)
    first = local_midnight_utc(demo.today.replace(day=1))
    for n, (alley_name, category, content, due_hours, close_hours) in enumerate(TICKETS):
        if this_month:
            at = first + (now - first) * (n + 1) / (len(TICKETS) + 1)
        else:
            at = demo.on(4 + 7 * n, 10)
        alley = demo.alleys[alley_name]
        with clock_at(at):
            issue = on_behalf.register(
                demo.staff_for(alley), alley=alley, source=on_behalf.HOTLINE,
                category=category, content=content,
                ticket_no=f"{to_local(at):%Y%m%d}{'B' if this_month else 'A'}{n + 1:03d}",
                ticket_deadline=(at + timedelta(hours=due_hours)).replace(tzinfo=UTC),  # naive: UTC
                contact_phone="17000001234",
            ).issue  # fmt: skip
        if close_hours is None:
            continue
        steward = demo.steward_of(alley)
        with clock_at(min(at + timedelta(hours=2), now)):
            issues.accept(steward, issue.id)
        with clock_at(min(at + timedelta(hours=close_hours), now)):
            issues.resolve(steward, issue.id, "已处理，已向市民反馈")


def _unit_member(unit: Department) -> Principal | None:
    member = UnitMember.select().where(UnitMember.unit == unit.id).order_by(UnitMember.id).first()
    if member is None:
        return None
    return Principal.for_user(StaffAccount.get_by_id(member.account_id).user)


class _Month(_Demo):
    """`_Demo` with the clock of last month."""

    def __init__(self, street: Area):
        super().__init__(street)
        first = self.today.replace(day=1)
        self.first = (first - timedelta(days=1)).replace(day=1)
        self.units = {
            d.name: d
            for d in Department.select().where(
                Department.area.in_([street.id, *(c.id for c in self.communities.values())])
            )
        }

    def on(self, day: int, hour: float) -> datetime:
        the_day = self.first + timedelta(days=day - 1)
        return local_midnight_utc(the_day) + timedelta(hours=hour)


def write(street: Area) -> list[str]:
    """Play last month's stories (call once, with a fresh district's history)."""
    demo = _Month(street)
    for story in STORIES:
        _play(demo, story)
    unit = _volume_unit(demo)
    _play_unit_volume(demo, unit, this_month=False)
    _play_unit_volume(demo, unit, this_month=True)
    _play_tickets(demo, this_month=False)
    _play_tickets(demo, this_month=True)
    month = demo.first
    return [
        f"上月（{month.year}年{month.month}月）两个社区的诉求"
        f" {len(STORIES) + len(UNIT_VOLUME) + len(TICKETS)} 件，其中 12345 转办件 {len(TICKETS)} 件、"
        f"吹哨{unit.name} {len(UNIT_VOLUME)} 件；本月至今又吹哨 {len(UNIT_VOLUME)} 件、"
        f"转办 {len(TICKETS)} 件："
        "月度通报和街道总览有数可排"
    ]


def _volume_unit(demo: _Month) -> Department:
    """The 城管执法中队, with its member (created once)."""
    name, username, password, display, wecom = UNIT_VOLUME_UNIT
    unit = demo.units[name]
    if not UnitMember.select().where(UnitMember.unit == unit.id).exists():
        members.create_member(unit, username, password, display, wecom, label="演示数据")
    return unit


def _play_unit_volume(demo: _Month, unit: Department, *, this_month: bool) -> None:
    """The 城管执法中队's items: last month every third day from the 2nd, in the story's alleys;
    this month spread evenly from the 1st to now, in 清河社区's alleys, the last two still with
    the unit. Each checked in within hours (the fourth a day late) and resolved, then rated."""
    first = local_midnight_utc(demo.today.replace(day=1)) if this_month else None
    now = utcnow() - timedelta(minutes=1)
    for n, (alley_name, category, content, reporter) in enumerate(UNIT_VOLUME):
        if this_month:  # the same kinds of trouble, in 清河社区's alleys
            here = THIS_MONTH_ALLEYS[n % len(THIS_MONTH_ALLEYS)]
            alley_name, content = here, content.replace(alley_name, here)
            step = first + (now - first) * (n + 1) / (len(UNIT_VOLUME) + 2)
        else:
            step = demo.on(2 + 2 * n, 9 + n % 5)
        open_still = this_month and n >= len(UNIT_VOLUME) - 2
        _play_whistle(
            demo, demo.alleys[alley_name], unit, step, now, category, content, reporter,
            late=n == 3, resolve=not open_still, score=(5, 5, 4, 3, 5)[n % 5],
        )  # fmt: skip


def _play_whistle(
    demo, alley, unit, step, now, category, content, reporter, *, late, resolve, score
) -> None:
    def later(hours: float) -> datetime:
        nonlocal step
        step = min(step + timedelta(hours=hours), now)
        return step

    resident = demo.resident(reporter)
    with clock_at(step):
        issue = issues.create(
            resident, alley=alley, board=None, category=category, content=content,
            contact_phone="17000001234",
        ).issue  # fmt: skip
    with clock_at(later(1)):
        issues.accept(demo.steward_of(alley), issue.id)
    with clock_at(later(1)):
        issues.escalate(demo.steward_of(alley), issue.id, "需要执法队伍处理")
    with clock_at(later(0.5)):
        unit_handling.whistle(
            demo.staff_for(alley), issue.id, unit.id, "请城管执法中队处理", "ordinary"
        )
    member = _unit_member(unit)
    with clock_at(later(30 if late else 2)):
        actions.check_in(member, issue.id)
    if not resolve:
        return
    with clock_at(later(20)):
        actions.resolve(member, issue.id, "已现场执法，责令整改完毕")
    with clock_at(later(12)):
        issues.rate(resident, issue.id, score)


def _play(demo: _Month, s: MonthStory) -> None:
    alley = demo.alleys[s.alley]
    reporter = demo.resident(s.reporter)
    steward = demo.steward_of(alley)
    staff = demo.staff_for(alley)
    step = demo.on(s.day, s.hour)
    now = utcnow() - timedelta(minutes=1)

    def later(hours: float) -> datetime:
        nonlocal step
        step = min(step + timedelta(hours=hours), now)
        return step

    with clock_at(step):
        issue = issues.create(
            reporter, alley=alley, board=None, category=s.category, content=s.content,
            contact_phone="17000001234",
        ).issue  # fmt: skip
    for name in s.followers:
        with clock_at(later(2)):
            issues.follow(demo.resident(name), issue.id)
    if s.ending == "cancelled":
        with clock_at(later(1)):
            issues.cancel(reporter, issue.id, "已经有人处理了")
        return
    with clock_at(later(30 if s.ending == "late" else 1.5)):
        issues.accept(steward, issue.id)
    if s.ending == "overdue":
        return
    if s.ending == "whistled":
        unit = demo.units[s.unit]
        with clock_at(later(2)):
            issues.escalate(steward, issue.id, "管家处理不了，需要专业单位")
        with clock_at(later(1)):
            unit_handling.whistle(staff, issue.id, unit.id, s.note, "important")
        member = _unit_member(unit)
        if member is not None:
            with clock_at(later(30 if s.late else 3)):
                actions.check_in(member, issue.id)
            with clock_at(later(40)):
                actions.resolve(member, issue.id, "已派人到现场处理完毕")
        else:
            with clock_at(later(40)):
                issues.resolve(staff, issue.id, "部门已处理完毕")
    else:
        with clock_at(later(40 if s.ending == "late" else 5)):
            issues.resolve(steward, issue.id, s.note)
    with clock_at(later(18)):
        issues.rate(reporter, issue.id, s.score)
