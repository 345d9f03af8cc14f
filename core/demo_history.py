"""Two weeks of believable history for the demo district, written through the real workflows.

Every item is filed, taken, resolved, rated, reopened, escalated or whistled by calling the same
`core.items` functions the API and the bot call, with the clock moved back to the moment it
happened (`infra.timeutil.clock_at`). So numbers, deadlines, events, notifications and every
figure derived from them (the boards, the daily 通报, the ledger, the statistics, the
assessment) are exactly what two weeks of real use would have left — and whatever a workflow
refuses, the demo cannot fake.

The story is fixed (no randomness), relative to the day it is seeded: items from 14 days ago
up to this morning, a few left overdue, one held for moderation, wishes at every stage, and the
stewards' daily patrols.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.delivery import groups
from core.figures import assessment
from core.items import callbacks, issues, patrols, wishes
from core.people import auth
from core.people.permissions import Principal
from core.timebank import postings
from core.timebank.postings import Holder
from core.units import handling as unit_handling
from core.volunteering import volunteers
from infra.db import write_transaction
from infra.timeutil import clock_at, local_midnight_utc, to_local, utcnow
from models import Area, Department, Issue, StaffAccount, Steward, StewardAlley, User

# Residents who report and post wishes (offline logins `dev:<name>`), and two volunteers.
RESIDENTS = ("张阿姨", "老周", "小陈", "刘大爷", "赵女士", "孙师傅")
VOLUNTEERS = (("志愿者小林", "volunteer"), ("党员老郑", "party_member"))
# The volunteer directory of each community (志愿服务 → 志愿者, and the time bank's look-up by
# name): the two above and a few neighbours, each with a passbook holding some points so the
# counter has someone to serve ("王秀英，余额 9 分，确认兑换 毛巾（5 分）？").
DIRECTORY = (
    ("志愿者小林", "17000002001", ["陪伴", "代购"], 12),
    ("党员老郑", "17000002002", ["维修"], 20),
    ("王秀英", "17000002003", ["理发"], 9),
    ("周强", "17000002004", ["法律咨询"], 3),
)

# The groups: robot keys are placeholders that work offline (messages are kept, not sent).
GROUPS = (
    ("槐树社区", "demo-huaishu-robot", "demo-chat-huaishu", "槐树社区小巷管家群", "stewards"),
    ("清河社区", "demo-qinghe-robot", "demo-chat-qinghe", "清河社区小巷管家群", "stewards"),
    ("槐树社区", "demo-huaishu-staff-robot", "demo-chat-huaishu-staff", "槐树社区工作群", "staff"),
    ("清河社区", "demo-qinghe-staff-robot", "demo-chat-qinghe-staff", "清河社区工作群", "staff"),
)
# The street leaders' group: the street edition of the daily 通报 and what is brought to the
# street (docs/street.md).
STREET_GROUP = ("demo-street-leaders-robot", "demo-chat-street-leaders", "城关街道领导群")


@dataclass(frozen=True)
class Story:
    """One issue's life: filed `days` ago at local `hour` o'clock, then what happened."""

    days: int
    hour: int
    alley: str
    category: str
    content: str
    reporter: str
    ending: str  # see `_play`
    note: str = ""
    score: int = 5
    rating_text: str | None = None


STORIES = (
    Story(
        14,
        9,
        "南门巷",
        "环境卫生",
        "南门巷 12 号门口的垃圾堆了三天没人清运，天热有味道。",
        "张阿姨",
        "rated",
        "已联系环卫清运，并在门口加放了一个分类垃圾桶。",
        5,
        "处理得很快，谢谢管家！",
    ),
    Story(
        13,
        10,
        "仓前街",
        "车辆乱停",
        "仓前街 5 号楼下有辆电动车长期停在消防通道上。",
        "老周",
        "rated",
        "已联系车主挪走，并在通道口贴了禁停提示。",
        4,
    ),
    Story(
        12,
        15,
        "打铁巷",
        "设施损坏",
        "打铁巷中段的路灯坏了一个多星期，晚上出门看不见。",
        "刘大爷",
        "rated",
        "已报修，供电所师傅当天换了灯泡。",
        5,
        "晚上终于亮了",
    ),
    Story(
        12,
        19,
        "井头巷",
        "邻里纠纷",
        "楼上装修每天早上七点就开始打钻，家里老人休息不好。",
        "赵女士",
        "rated",
        "已上门协调，装修方同意上午九点后再施工。",
        4,
    ),
    Story(
        11,
        8,
        "石板巷",
        "私拉电线/安全隐患",
        "石板巷 3 号有住户从窗口拉电线给电动车充电，很危险。",
        "小陈",
        "rated",
        "已劝导拆除飞线，告知小区充电桩位置。",
        5,
    ),
    Story(
        10,
        16,
        "杨柳弄",
        "环境卫生",
        "杨柳弄口的下水道堵了，一下雨就积水。",
        "孙师傅",
        "reopened",
        "已清掏下水道。",
        4,
        "这回彻底通了",
    ),
    Story(
        9,
        11,
        "米市巷",
        "设施损坏",
        "米市巷的台阶有两块石板松动了，老人走路容易绊倒。",
        "刘大爷",
        "whistled",
        "石板需要住建办派人重新铺设。",
    ),
    Story(
        8,
        9,
        "豆腐坊巷",
        "车辆乱停",
        "豆腐坊巷口经常有货车卸货占道，早上上学的孩子不好走。",
        "赵女士",
        "rated",
        "已和商户约定卸货时间，早七点到八点不再占道。",
        2,
        "还是有车停，没有根本解决",
    ),
    Story(
        7,
        14,
        "鼓楼巷",
        "助老帮残",
        "鼓楼巷独居的李奶奶腿脚不便，想请人帮忙每周买一次菜。",
        "孙师傅",
        "rated",
        "已安排志愿者每周六上门帮忙采买。",
        5,
        "太感谢了",
    ),
    Story(
        6,
        10,
        "水井头",
        "治安巡防",
        "最近晚上有陌生人在巷子里转悠，挨家看门牌。",
        "小陈",
        "escalated",
        "已上报社区，请派出所加强夜间巡逻。",
    ),
    Story(
        5,
        9,
        "竹竿巷",
        "环境卫生",
        "竹竿巷的公共晾衣架被人占用堆放杂物。",
        "老周",
        "overdue_accepted",
    ),
    Story(
        4,
        20,
        "槐荫里",
        "设施损坏",
        "槐荫里 7 号门口的井盖缺了一角，晚上很危险。",
        "张阿姨",
        "overdue",
    ),
    Story(
        3,
        10,
        "南门巷",
        "政策咨询",
        "想问一下八十岁以上高龄津贴怎么申请，需要带什么材料。",
        "刘大爷",
        "resolved",
        "已电话告知：带身份证、户口本到社区服务站办理，管家可陪同。",
    ),
    # 回访: closed days ago and never rated — one waits on the callback list, one was phoned
    Story(
        6,
        14,
        "仓前街",
        "环境卫生",
        "仓前街 3 号楼道里堆了旧家具，挡住了一半楼梯。",
        "赵女士",
        "resolved",
        "已联系住户搬走旧家具，楼道已清空。",
    ),
    Story(
        6,
        9,
        "井头巷",
        "设施损坏",
        "井头巷 8 号门口的路灯杆被车撞歪了。",
        "老周",
        "called_back",
        "已请路灯所扶正加固。",
        rating_text="电话回访：灯杆扶正了，但灯还是不亮",
    ),
    Story(2, 15, "清河社区", "", "", "", "patrol_fix"),
    Story(
        2, 21, "仓前街", "治安巡防", "有人在仓前街 9 号二楼聚众赌博，半夜还很吵。", "孙师傅", "held"
    ),
    Story(1, 9, "打铁巷", "环境卫生", "打铁巷拐角有人乱倒建筑垃圾。", "赵女士", "accepted"),
    Story(
        1,
        16,
        "石板巷",
        "邻里纠纷",
        "邻居家的狗经常夜里叫，影响休息。",
        "老周",
        "resolved",
        "已上门沟通，狗主人答应晚上把狗牵进屋里。",
    ),
    Story(0, 8, "杨柳弄", "设施损坏", "杨柳弄 2 号旁边的围墙有裂缝，担心会倒。", "小陈", "new"),
    Story(
        0,
        9,
        "豆腐坊巷",
        "政策咨询",
        "孩子上学的积分入学政策在哪里可以查到？",
        "张阿姨",
        "cancelled",
    ),
)

# (days ago, alley, beneficiary type, name on the wall, title, content, author, ending)
WISHES = (
    (
        13,
        "南门巷",
        "elderly",
        "王奶奶",
        "想有人陪着去医院复查",
        "老伴走得早，子女在外地，下周三要去人民医院复查，想有人陪。",
        "张阿姨",
        "closed",
    ),
    (
        11,
        "鼓楼巷",
        "children",
        "小宇",
        "想要一套五年级的课外读物",
        "孩子爸妈在外打工，孩子喜欢看书，想要几本课外书。",
        "孙师傅",
        "closed",
    ),
    (
        9,
        "井头巷",
        "disabled",
        "陈叔叔",
        "轮椅的刹车坏了，想找人修一修",
        "腿脚不便，轮椅刹车失灵，出门不安全。",
        "赵女士",
        "fulfilled",
    ),
    (
        7,
        "石板巷",
        "elderly",
        "周爷爷",
        "想学用智能手机和子女视频",
        "子女在外地，想学会用微信视频。",
        "小陈",
        "claimed",
    ),
    (
        5,
        "米市巷",
        "hardship",
        "徐家",
        "冬天到了，想要两床厚棉被",
        "家里突发变故，今年冬天缺被子。",
        "刘大爷",
        "published",
    ),
    (
        3,
        "仓前街",
        "elderly",
        "刘奶奶",
        "想请人帮忙换一下厨房的灯泡",
        "一个人住，够不着屋顶的灯。",
        "老周",
        "published",
    ),
    (
        2,
        "竹竿巷",
        "other",
        "胡先生",
        "想要一台新电视",
        "家里电视旧了，想换一台大的。",
        "孙师傅",
        "rejected",
    ),
    (
        1,
        "打铁巷",
        "children",
        "小雨",
        "想要一个新书包",
        "孩子的书包背带断了。",
        "赵女士",
        "pending",
    ),
    (
        0,
        "水井头",
        "elderly",
        "吴阿婆",
        "想有人帮忙打扫一下院子",
        "年纪大了，院子里落叶扫不动。",
        "小陈",
        "pending",
    ),
)


class _Demo:
    """The people of the demo and the clock of the story."""

    def __init__(self, street: Area):
        self.street = street
        self.today = to_local(utcnow()).date()
        self.alleys = {
            a.name: a
            for a in Area.select().where(Area.path.startswith(street.path) & (Area.kind == "alley"))
        }
        self.communities = {
            a.name: a
            for a in Area.select().where(
                Area.path.startswith(street.path) & (Area.kind == "community")
            )
        }
        self.departments = {d.name: d for d in Department.select().where(Department.area == street)}

    def at(self, days_ago: int, hour: float) -> datetime:
        """Local `hour` o'clock `days_ago` days before today, as naive UTC (never in the future)."""
        moment = local_midnight_utc(self.today - timedelta(days=days_ago)) + timedelta(hours=hour)
        return min(moment, utcnow() - timedelta(minutes=5))

    def resident(self, name: str) -> Principal:
        user, _ = User.get_or_create(
            openid=f"{auth.OFFLINE_PREFIX}{name}", defaults={"nickname": name}
        )
        return Principal.for_user(user)

    def steward_of(self, alley: Area) -> Principal:
        steward = alley_stewards(alley)[0]
        return Principal.for_user(User.get_by_id(steward.user_id))

    def staff_for(self, alley: Area) -> Principal:
        community = next(c for c in self.communities.values() if c.covers(alley))
        account = StaffAccount.get(
            (StaffAccount.area == community) & (StaffAccount.role == "staff")
        )
        user = User.get(User.openid == f"{auth.OFFLINE_PREFIX}{account.username}")
        return Principal.for_user(user)


def alley_stewards(alley: Area) -> list[Steward]:
    return list(
        Steward.select()
        .join(StewardAlley)
        .where((StewardAlley.alley == alley) & Steward.active)
        .order_by(StewardAlley.is_leader.desc(), StewardAlley.id)
    )


def has_history(street: Area) -> bool:
    alley_ids = Area.alley_ids_under(street)
    return Issue.select().where(Issue.alley.in_(alley_ids)).exists()


def write(street: Area) -> list[str]:
    """Write the story (once: nothing happens if the district already has items)."""
    if has_history(street):
        return []
    demo = _Demo(street)
    _groups(demo)
    _volunteers(demo)
    for day in range(14, -1, -1):
        _patrols(demo, day)
    for story in STORIES:
        _play(demo, story)
    for wish in WISHES:
        _wish(demo, *wish)
    quarter = assessment.Quarter.of(demo.today)
    with clock_at(demo.at(0, 7)):
        assessment.run(quarter, street, send=True)
    return [
        f"演示历史：近两周的诉求 {len(STORIES)} 件、心愿 {len(WISHES)} 个、每日巡查，"
        f"以及本季度（{quarter}）至今的考核结果"
    ]


def _groups(demo: _Demo) -> None:
    key, chat_id, name = STREET_GROUP
    if groups.by_webhook_key(key) is None:
        with clock_at(demo.at(15, 9)):
            groups.create(demo.street, key, chat_id=chat_id, name=name, label="演示数据")
    for community_name, key, chat_id, name, audience in GROUPS:
        area = demo.communities[community_name]
        if groups.by_webhook_key(key) is not None:
            continue
        leaders = []
        if audience == "stewards":
            leaders = sorted(
                {
                    link.steward_id
                    for link in StewardAlley.select().where(
                        StewardAlley.is_leader & StewardAlley.alley.in_(Area.alley_ids_under(area))
                    )
                }
            )
        with clock_at(demo.at(15, 9)):
            groups.create(
                area,
                key,
                chat_id=chat_id,
                leader_ids=leaders,
                name=name,
                audience=audience,
                label="演示数据",
            )


def _volunteers(demo: _Demo) -> None:
    """Each community's volunteer directory, with opening points in their passbooks."""
    for n, community in enumerate(demo.communities.values()):
        for name, phone, skills, points in DIRECTORY:
            person = demo.resident(name)
            with clock_at(demo.at(15, 10)):
                volunteers.register(
                    person, community.id, name, f"{phone[:-2]}{n}{phone[-1]}", skills
                )
                account = postings.account_for(community, Holder(user_id=person.user.id))
                with write_transaction():
                    postings.post(
                        account,
                        points,
                        rule="adjustment",
                        source_type="adjustment",
                        reason="演示数据：开户积分",
                        key=f"demo:volunteer:{community.id}:{person.user.id}",
                        label="演示数据",
                    )


def _patrols(demo: _Demo, day: int) -> None:
    """Most stewards patrol most days (a different one rests each day)."""
    stewards = list(Steward.select().where(Steward.active).order_by(Steward.id))
    for i, steward in enumerate(stewards):
        if (i + day) % 5 == 0 or (day == 0 and i % 2):
            continue  # a day off; this morning, half have not been out yet
        p = Principal.for_user(User.get_by_id(steward.user_id))
        with clock_at(demo.at(day, 7.5 + (i % 4) * 0.5)):
            patrols.check_in(p, note="日常巡查，巷内整洁，消防通道畅通")


def _play(demo: _Demo, s: Story) -> None:
    """One story, each step at its own moment."""
    if s.ending == "patrol_fix":
        alley = demo.alleys["米市巷"]
        steward = demo.steward_of(alley)
        with clock_at(demo.at(s.days, s.hour)):
            issues.create(
                steward,
                alley=alley,
                board=None,
                category="环境卫生",
                content="巡查时发现米市巷口共享单车倒了一片，堵住半边路。",
                source="steward",
                fixed_on_spot={"note": "已扶正摆放整齐，通知运营公司清点。"},
            )
        return
    alley = demo.alleys[s.alley]
    reporter = demo.resident(s.reporter)
    steward = demo.steward_of(alley)
    staff = demo.staff_for(alley)
    with clock_at(demo.at(s.days, s.hour)):
        issue = issues.create(
            reporter,
            alley=alley,
            board=None,
            category=s.category,
            content=s.content,
            contact_phone="17000001234",
        ).issue
    step = demo.at(s.days, s.hour)

    def later(hours: float) -> datetime:
        nonlocal step
        step = min(step + timedelta(hours=hours), utcnow() - timedelta(minutes=1))
        return step

    if s.ending in ("new", "held"):
        return
    if s.ending == "cancelled":
        with clock_at(later(0.5)):
            issues.cancel(reporter, issue.id, "已经自己查到了")
        return
    with clock_at(later(1.5)):
        issues.accept(steward, issue.id)
    if s.ending in ("accepted", "overdue_accepted"):
        return
    if s.ending == "overdue":
        return
    if s.ending == "escalated":
        with clock_at(later(3)):
            issues.escalate(steward, issue.id, s.note)
        return
    if s.ending == "whistled":
        department = demo.departments["住建办"]
        with clock_at(later(2)):
            issues.escalate(steward, issue.id, "需要专业施工，管家处理不了")
        with clock_at(later(3)):
            unit_handling.whistle(staff, issue.id, department.id, s.note, "major")
        return
    # a policy question is answered (已答复), not "solved": it counts so in 解决率
    outcome = "answered" if s.category == "政策咨询" else None
    with clock_at(later(5)):
        issues.resolve(steward, issue.id, s.note, outcome=outcome)
    if s.ending == "resolved":
        return
    if s.ending == "called_back":  # never rated: the community phoned (回访), 不满意
        with clock_at(later(80)):
            callbacks.record(staff, issue.id, "unsatisfied", s.rating_text)
        return
    if s.ending == "reopened":
        with clock_at(later(20)):
            issues.reopen(reporter, issue.id, "刚通了两天又堵了")
        with clock_at(later(1)):
            issues.accept(steward, issue.id)
        with clock_at(later(6)):
            issues.resolve(steward, issue.id, "请疏通公司用机器彻底清通了整段管道。")
    with clock_at(later(18)):
        issues.rate(reporter, issue.id, s.score, s.rating_text)


def _wish(demo: _Demo, days, alley_name, kind, shown, title, content, author, ending) -> None:
    alley = demo.alleys[alley_name]
    resident = demo.resident(author)
    staff = demo.staff_for(alley)
    moment = demo.at(days, 10)

    def later(hours: float) -> datetime:
        nonlocal moment
        moment = min(moment + timedelta(hours=hours), utcnow() - timedelta(minutes=1))
        return moment

    with clock_at(moment):
        wish = wishes.create(
            resident,
            alley=alley,
            beneficiary_type=kind,
            display_name=shown,
            title=title,
            content=content,
            contact_phone="17000001235",
        )
    if ending == "pending":
        return
    if ending == "rejected":
        with clock_at(later(4)):
            wishes.reject(staff, wish.id, "微心愿以基本生活需要为主，这个心愿暂不符合条件")
        return
    with clock_at(later(4)):
        wishes.approve(staff, wish.id)
    if ending == "published":
        return
    name, role = VOLUNTEERS[days % len(VOLUNTEERS)]
    volunteer = demo.resident(name)
    with clock_at(later(20)):
        wishes.claim(volunteer, wish.id, role)
    if ending == "claimed":
        return
    with clock_at(later(30)):
        wishes.fulfil(volunteer, wish.id, "已上门完成，老人很高兴")
    if ending == "fulfilled":
        return
    with clock_at(later(12)):
        wishes.confirm(resident, wish.id, 5, "谢谢志愿者！")
