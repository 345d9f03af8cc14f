"""Demo data (`flask --app app seed-demo`): a small, believable district to try everything on.

One street with two communities, a dozen alleys, fourteen stewards, the street's department
directory and console accounts. The alleys and stewards are loaded as an in-memory roster
through `core.people.roster`, the same code path as a real import, so running this twice updates
rather than duplicates. Every phone number is in the 1700000xxxx range, which no real
subscriber holds.

For offline mode each steward is bound to the WeChat dev user `dev:<name>` and each console
account to `dev:<username>`, so the mini program can be tried by logging in with those codes.
"""

from __future__ import annotations

from flask import current_app
from werkzeug.security import check_password_hash

from core import demo_history, demo_ledger, demo_month
from core.boards import demo as board_demo
from core.households import demo as household_demo
from core.items import reply_templates
from core.people import auth, roster
from core.timebank import shop
from core.units import demo as unit_demo
from infra.db import write_transaction
from models import Area, Board, Department, RoleGrant, StaffAccount, Steward, StewardAlley, User

DEMO_LABEL = "演示数据"
STREET = "城关街道"
STREET_PHONE = "17000009000"

# community → (supervision phone, staff username, staff password)
COMMUNITIES = {
    "槐树社区": ("17000009001", "huaishu", "huaishu-demo"),
    "清河社区": ("17000009002", "qinghe", "qinghe-demo"),
}
# Each demo login is one person's own account, named as trails and visit records name them
# (never "槐树社区工作人员": a record must say who acted).
STAFF_NAMES = {"槐树社区": "赵丽", "清河社区": "孙伟"}
ADMIN = ("chengguan", "chengguan-demo", "钱明")  # the street's administrator, a person

DEPARTMENTS = (
    ("城管执法中队", "何队长", "17000008001"),
    ("住建办", "罗工", "17000008002"),
    ("城关派出所", "郑警官", "17000008003"),
    ("应急管理办", "谢主任", "17000008004"),
    ("市场监管所", "韩所长", "17000008005"),
    ("卫健办", "唐医生", "17000008006"),
)

INFO = "信息员：收集社情民意，发现问题及时上报"
MEDIATE = "调解员：化解邻里纠纷"
PERSUADE = "劝导员：劝导乱停乱放、乱堆乱晒"
GUARD = "守护员：巡查消防通道和安全隐患"

# 社区, 网格, 街巷, 姓名, 手机号, 职责, 包联户数 — one row per steward per alley.
ROSTER = (
    ("槐树社区", "第一网格", "南门巷", "王秀英", "17000000101", f"{INFO}；{MEDIATE}", 46),
    ("槐树社区", "第一网格", "南门巷", "李建国", "17000000102", f"{PERSUADE}；{GUARD}", 38),
    ("槐树社区", "第一网格", "槐荫里", "李建国", "17000000102", f"{PERSUADE}；{GUARD}", 38),
    ("槐树社区", "第一网格", "打铁巷", "张桂兰", "17000000103", f"{INFO}；{PERSUADE}", 52),
    ("槐树社区", "第二网格", "仓前街", "刘志强", "17000000104", f"{GUARD}；{MEDIATE}", 41),
    ("槐树社区", "第二网格", "井头巷", "陈淑芬", "17000000105", f"{MEDIATE}；{INFO}", 35),
    ("槐树社区", "第二网格", "豆腐坊巷", "杨德明", "17000000106", f"{PERSUADE}", 29),
    ("槐树社区", "第二网格", "豆腐坊巷", "赵玉梅", "17000000107", f"{INFO}；{GUARD}", 33),
    ("清河社区", "清河一网格", "石板巷", "周国平", "17000000201", f"{MEDIATE}；{INFO}", 58),
    ("清河社区", "清河一网格", "杨柳弄", "黄文华", "17000000202", f"{GUARD}；{PERSUADE}", 44),
    ("清河社区", "清河二网格", "水井头", "吴春兰", "17000000203", f"{INFO}；{MEDIATE}", 37),
    ("清河社区", "清河二网格", "米市巷", "徐海涛", "17000000204", f"{PERSUADE}；{GUARD}", 40),
    ("清河社区", "清河三网格", "鼓楼巷", "孙丽娟", "17000000205", f"{INFO}；{PERSUADE}", 47),
    ("清河社区", "清河三网格", "竹竿巷", "朱红梅", "17000000206", f"{MEDIATE}；{GUARD}", 31),
    ("清河社区", "清河三网格", "竹竿巷", "胡建军", "17000000207", f"{GUARD}；{INFO}", 26),
)
# The team leader (队长) of each community, usually the branch secretary.
LEADERS = {"槐树社区": "王秀英", "清河社区": "周国平"}

# Each steward's WeCom account, so the bot knows them (the bridge example below uses one).
WECOM_IDS = {
    "王秀英": "wangxiuying",
    "李建国": "lijianguo",
    "张桂兰": "zhangguilan",
    "刘志强": "liuzhiqiang",
    "陈淑芬": "chenshufen",
    "杨德明": "yangdeming",
    "赵玉梅": "zhaoyumei",
    "周国平": "zhouguoping",
    "黄文华": "huangwenhua",
    "吴春兰": "wuchunlan",
    "徐海涛": "xuhaitao",
    "孙丽娟": "sunlijuan",
    "朱红梅": "zhuhongmei",
    "胡建军": "hujianjun",
}

# The steward the 试一试 list speaks as in the group: the demo leaves him an overdue item.
TRY_STEWARD = "李建国"

ROSTER_HEADER = [
    "街道",
    "社区",
    "网格",
    "街巷",
    "管家姓名",
    "手机号",
    "职责",
    "包联户数",
    "企业微信账号",
]


def roster_table() -> list[list]:
    """The demo roster as a sheet (header first), exactly as a community would fill it in."""
    return [ROSTER_HEADER] + [[STREET, *row, WECOM_IDS[row[3]]] for row in ROSTER]


def seed() -> list[str]:
    """Load (or refresh) the demo district; the lines to print for whoever runs it."""
    with write_transaction():
        result = roster.import_table(roster_table(), label=DEMO_LABEL, source="demo")
        street = Area.get((Area.parent.is_null()) & (Area.name == STREET))
        street.phone = STREET_PHONE
        street.save()
        communities = {}
        for name, (phone, _, _) in COMMUNITIES.items():
            community = Area.get((Area.parent == street) & (Area.name == name))
            community.phone = phone
            community.save()
            communities[name] = community
        _mark_leaders(communities)
        for name, contact, phone in DEPARTMENTS:
            Department.get_or_create(
                area=street, name=name, defaults={"contact_name": contact, "phone": phone}
            )
        staff_lines = _staff_accounts(street, communities)
        for community in communities.values():
            shop.stock_demo_shelf(community)  # the time bank's exchange shop
            reply_templates.stock_demo(community)  # 常用回复
        stewards = _bind_stewards()
        history = demo_history.write(street)
        unit_lines = unit_demo.write(
            street, communities, with_items=bool(history), label=DEMO_LABEL
        )
        if history:  # after the units: last month's items are whistled to them too
            history += demo_month.write(street)
            history += board_demo.write(street)  # after the groups: the check asks in one
        household_demo.write(street, DEMO_LABEL)
        household_demo.write_care_alert(street)  # 关怀提醒, half answered
        if history:  # after the households: one of yesterday's records is a visit
            history += demo_ledger.write(street)
        lines = [
            f"演示数据已就绪：{STREET}（{'、'.join(COMMUNITIES)}）",
            result.summary(),
            *history,
        ]
        lines += [""] + _board_lines(street)
        lines += ["", "管家登录（离线模式下在小程序登录页输入登录码；在群里以企业微信账号识别）："]
        lines += [_steward_line(s) for s in stewards]
        lines += ["", "工作人员登录（管理后台用户名/密码，或小程序登录码）："] + staff_lines
        lines += unit_lines
    return lines + [""] + try_it()


def showcase_boards(names: tuple[str, ...] = ("南门巷", "石板巷")) -> list[tuple[str, str, str]]:
    """(alley, its area path, board code) of two demo alleys with history, for the landing page;
    empty when the demo district is not loaded."""
    rows = (
        Board.select(Board.code, Area.name, Area.path)
        .join(Area, on=(Board.alley == Area.id))
        .where(Board.active & Area.name.in_(names))
        .order_by(Area.name.desc())
        .tuples()
    )
    shown = []
    for code, name, _ in rows:
        alley = Area.get((Area.name == name) & (Area.kind == "alley"))
        shown.append((name, alley.label_path, code))
    return shown


def try_it() -> list[str]:
    """The "试一试" list printed at the end of `seed-demo` and when `serve` starts: the first
    things to open, with the demo's own codes (empty when the demo district is not loaded).
    Every address starts with PUBLIC_BASE_URL, which follows `serve --port` when unset."""
    board = _try_board()
    if board is None:
        return []
    config = current_app.config
    base = config["PUBLIC_BASE_URL"]
    lines = [
        "试一试：",
        f"  1. 居民扫码看到的公示牌页面：{base}/b/{board.code}",
        f"  2. 社区工作台：{base}/console/login  用户名 {ADMIN[0]}  密码 {ADMIN[1]}",
    ]
    if config["OFFLINE"]:  # online the messages are really sent, and the page does not exist
        lines.append(
            f"  {len(lines)}. 机器人发到群里的消息（离线模式只记录不发送）：{base}/dev/outbox"
        )
    lines.append(
        f"  {len(lines)}. 接口文档：{base}/api/v1/docs（OpenAPI：{base}/api/v1/openapi.json）"
    )
    # a member of each demo unit, the department and the property company
    for unit, kind in (("住建办", "街道部门"), (unit_demo.PROPERTY[0], "物业公司")):
        username, password, *_ = unit_demo.MEMBERS[unit]
        lines.append(
            f"  {len(lines)}. 承办单位成员（{unit}，{kind}）：{base}/console/login "
            f"登录即进入“本单位待办”（或 POST /api/v1/auth/password，"
            f"GET /api/v1/issues?scope=unit；小程序登录码 dev:{username}），"
            f"用户名 {username}  密码 {password}"
        )
    if config.get("BRIDGE_SECRET"):
        lines += [
            f"  {len(lines)}. 模拟管家{TRY_STEWARD}（企业微信账号 {WECOM_IDS[TRY_STEWARD]}，"
            f"登录码 dev:{TRY_STEWARD}）在企业微信群里发“待办”（把下面一行粘贴到终端；"
            f"其他管家的企业微信账号见首页 {base}/）：",
            f"     {relay_command(base, config['BRIDGE_SECRET'])}",
        ]
    return lines


def relay_command(base: str, secret: str, sender: str = WECOM_IDS[TRY_STEWARD]) -> str:
    """A shell line that sends `待办` to the bot through the signed relay (`/bot/bridge`) as
    the steward whose WeCom id is `sender`: what a group message would do."""
    body = '{"msg_id":"try-%s","ts":%s,"sender":"' + sender + '","text":"待办"}'
    return (
        f"body=$(printf '{body}' $(date +%s%N) $(date +%s)); "
        f'curl -s -H \'Content-Type: application/json\' -H "X-Signature: $(printf %s "$body" '
        f"| openssl dgst -sha256 -hmac '{secret}' | sed 's/^.* //')\" "
        f'-d "$body" {base}/bot/bridge'
    )


def demo_stewards() -> list[tuple[str, str, str, str]]:
    """(name, login code, WeCom id, alleys) of each demo steward still on the roster, for the
    landing page's 试一试 list; empty when the demo district is not loaded."""
    phones = [row[4] for row in ROSTER]
    stewards = Steward.select().where(Steward.phone.in_(phones) & Steward.active)
    rows = []
    for steward in stewards.order_by(Steward.phone):
        alleys = "、".join(a.name for a in steward.alleys())
        rows.append((steward.name, f"dev:{steward.name}", steward.wecom_userid or "", alleys))
    return rows


def _try_board() -> Board | None:
    street = Area.get_or_none((Area.parent.is_null()) & (Area.name == STREET))
    if street is None:
        return None
    return (
        Board.select()
        .join(Area, on=(Board.alley == Area.id))
        .where(Board.active & (Area.name == "南门巷"))
        .first()
    )


def _steward_line(steward: Steward) -> str:
    alleys = "、".join(a.name for a in steward.alleys())
    leader = "，队长" if steward.name in LEADERS.values() else ""
    return f"  dev:{steward.name}  企业微信账号 {steward.wecom_userid}  （{alleys}{leader}）"


def _mark_leaders(communities: dict[str, Area]) -> None:
    for community_name, steward_name in LEADERS.items():
        alleys = Area.alley_ids_under(communities[community_name])
        steward = Steward.get(Steward.phone == _phone_of(steward_name))
        StewardAlley.update(is_leader=True).where(
            (StewardAlley.steward == steward) & StewardAlley.alley.in_(alleys)
        ).execute()


def _phone_of(name: str) -> str:
    return next(row[4] for row in ROSTER if row[3] == name)


def _dev_user(login_name: str) -> User:
    openid = f"{auth.OFFLINE_PREFIX}{login_name}"[:64]
    user, _ = User.get_or_create(openid=openid, defaults={"nickname": login_name})
    return user


def _bind_stewards() -> list[Steward]:
    phones = list(dict.fromkeys(row[4] for row in ROSTER))
    stewards = list(Steward.select().where(Steward.phone.in_(phones)).order_by(Steward.phone))
    for steward in stewards:
        user = _dev_user(steward.name)
        if steward.user_id != user.id:
            steward.user = user
            steward.save()
        _grant(user, "steward", steward=steward)
    return stewards


def _grant(user: User, role: str, *, steward=None, staff=None, area=None) -> None:
    query = RoleGrant.active_for(user).where(RoleGrant.role == role)
    query = query.where(RoleGrant.steward == steward if steward else RoleGrant.staff == staff)
    if not query.exists():
        RoleGrant.create(user=user, role=role, steward=steward, staff=staff, area=area)


def _staff_accounts(street: Area, communities: dict[str, Area]) -> list[str]:
    wanted = [
        (username, password, communities[name], "staff", STAFF_NAMES[name])
        for name, (_, username, password) in COMMUNITIES.items()
    ]
    wanted.append((ADMIN[0], ADMIN[1], street, "admin", ADMIN[2]))
    lines = []
    for username, password, area, role, display_name in wanted:
        account = StaffAccount.get_or_none(StaffAccount.username == username)
        if account is None:
            account = auth.create_staff(
                username, password, area, role, display_name, label=DEMO_LABEL
            )
            shown = f"密码 {password}"
        elif check_password_hash(account.password_hash, password):
            shown = f"密码 {password}"
        else:
            shown = "密码已被修改"
        _grant(_dev_user(username), role, staff=account, area=account.area_id)
        kind = "管理员" if role == "admin" else "工作人员"
        lines.append(
            f"  {area.name}{kind} {display_name}：用户名 {username}  {shown}  登录码 dev:{username}"
        )
    return lines


def _board_lines(street: Area) -> list[str]:
    base = current_app.config["PUBLIC_BASE_URL"]
    alleys = {
        a.id: a
        for a in Area.select().where(Area.path.startswith(street.path) & (Area.kind == "alley"))
    }
    names = {a.id: a.name for a in Area.select().where(Area.path.startswith(street.path))}
    boards = (
        Board.select()
        .where(Board.alley.in_(list(alleys)) & Board.active)
        .order_by(Board.alley, Board.id)
    )
    lines = ["公示牌（扫码地址）："]
    for board in boards:
        alley = alleys[board.alley_id]
        chain = " / ".join(names[i] for i in alley.ancestor_ids()[1:])
        lines.append(f"  {chain}  {board.code}  {base}/b/{board.code}")
    return lines
