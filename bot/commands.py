"""The group bot's commands: a registry, the parser, and one plain function per command.

A command is declared with a decorator that only registers it (errbot/zulip style)::

    @command("接单", usage="接单 N")
    def accept(ctx, args):
        \"\"\"接下一件诉求，开始办理。\"\"\"
        ...
        return "已接单 #12 …"

The docstring is the `帮助` text. A handler receives the `Context` (who is asking, through
which channel, with which photos) and the text after the command word, calls the same
workflow function the API calls (`core.items.issues`, `core.items.wishes`, `core.items.patrols`, …) with the
sender's `Principal` — so the permission checks are the workflow's own — and returns one
short Chinese line. A workflow refusal (`ApiError`) becomes one line in `bot.engine`.

Input is forgiven: full-width digits, letters and spaces, `#12`, `12号`, `第12号`, the full
number `S2611220001`, an @-mention of the bot before the command, trailing punctuation, and a
missing space between the command and its number (`接单12`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from bot import identity
from core.errors import ApiError, bad_request
from core.figures import points
from core.items import issues, patrols, wishes
from core.people.permissions import Principal
from core.text import shorten
from core.timeutil import month_day_time, utcnow
from models import (
    ISSUE_OPEN,
    Area,
    BotPhoto,
    ChatGroup,
    Department,
    Issue,
    IssueAssignee,
    User,
    Wish,
)

# --- the registry -----------------------------------------------------------------------------


@dataclass
class Command:
    name: str
    usage: str
    handler: Callable[[Context, str], str]
    help: str
    aliases: tuple[str, ...] = ()
    anyone: bool = False  # may be used by a sender who is not bound yet


COMMANDS: dict[str, Command] = {}
_NAMES: dict[str, str] = {}  # every name and alias (lower case) → command name


def command(name: str, usage: str | None = None, aliases: tuple[str, ...] = (), anyone=False):
    """Register a handler under `name`; its docstring is the help text. Nothing else."""

    def register(fn: Callable[[Context, str], str]):
        COMMANDS[name] = Command(
            name=name,
            usage=usage or name,
            handler=fn,
            help=" ".join((fn.__doc__ or "").split()),
            aliases=aliases,
            anyone=anyone,
        )
        for word in (name, *aliases):
            _NAMES[word.lower()] = name
        return fn

    return register


@dataclass
class Context:
    """Who is asking, and through which channel."""

    sender: str  # the WeCom user id (or the bridge's sender id)
    channel: str  # aibot | app | bridge
    principal: Principal | None = None  # None: not bound yet
    user: User | None = None
    group: ChatGroup | None = None  # the group the message came from, when known
    now: datetime = field(default_factory=utcnow)

    @property
    def p(self) -> Principal:
        if self.principal is None:  # the engine never calls such handlers without one
            raise ApiError(403, "not_bound", "请先绑定")
        return self.principal


# --- parsing ----------------------------------------------------------------------------------

_MENTION = re.compile(r"^(?:@\S+\s+)+")
_TRAILING = re.compile(r"[\s。．.！!？?，,；;、~～…]+$")
_ISSUE_REF = re.compile(
    r"^(?:第\s*)?(?:诉求\s*)?#?\s*(?:(?P<number>[Ss]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)
_WISH_REF = re.compile(
    r"^(?:第\s*)?(?:心愿\s*)?#?\s*(?:(?P<number>[Ww]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)


def normalize(text: str | None) -> str:
    """Full-width → half-width, one space between words, no @bot prefix, no final punctuation."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    text = _MENTION.sub("", text)
    if text.startswith("@") and " " not in text:
        text = ""  # only a mention
    return _TRAILING.sub("", text).strip()


def parse(text: str | None) -> tuple[Command | None, str]:
    """(the command, the rest of the text); (None, text) when no command word starts it."""
    text = normalize(text)
    lowered = text.lower()
    for word in sorted(_NAMES, key=len, reverse=True):
        if lowered.startswith(word):
            return COMMANDS[_NAMES[word]], text[len(word) :].strip(" :：,，")
    return None, text


def _ref(pattern: re.Pattern, args: str, model, prefix: str) -> tuple[int | None, str]:
    match = pattern.match(args)
    if match is None:
        return None, args
    rest = args[match.end() :].strip(" :：,，")
    if match.group("id"):
        return int(match.group("id")), rest
    number = match.group("number").upper()
    row = model.get_or_none(model.number == number)
    if row is None:
        raise ApiError(404, "not_found", f"找不到编号为 {number} 的{prefix}")
    return row.id, rest


def issue_ref(args: str, usage: str) -> tuple[int, str]:
    issue_id, rest = _ref(_ISSUE_REF, args, Issue, "诉求")
    if issue_id is None:
        raise bad_request(f"请写上诉求编号，例如：{usage}")
    return issue_id, rest


def wish_ref(args: str, usage: str) -> tuple[int, str]:
    wish_id, rest = _ref(_WISH_REF, args, Wish, "心愿")
    if wish_id is None:
        raise bad_request(f"请写上心愿编号，例如：{usage}")
    return wish_id, rest


# --- reply pieces -----------------------------------------------------------------------------


def issue_title(issue: Issue) -> str:
    """`#12 南门巷垃圾堆放`: what a steward recognises an issue by."""
    alley = Area.get_by_id(issue.alley_id)
    content = issue.content if issue.visibility == "public" else issue.category
    return f"#{issue.id} {alley.name}{shorten(content, 16)}"


def photo_window() -> timedelta:
    return timedelta(seconds=int(current_app.config["BOT_PHOTO_WINDOW_SECONDS"]))


def recent_photos(ctx: Context) -> list[BotPhoto]:
    """The sender's unused photos from the last two minutes (this message's included)."""
    return list(
        BotPhoto.select()
        .where(
            (BotPhoto.sender == ctx.sender)
            & BotPhoto.used_at.is_null()
            & (BotPhoto.received_at >= ctx.now - photo_window())
        )
        .order_by(BotPhoto.received_at, BotPhoto.id)
    )


def mark_used(photos: list[BotPhoto], now: datetime) -> None:
    if photos:
        BotPhoto.update(used_at=now).where(BotPhoto.id.in_([p.id for p in photos])).execute()


# --- the commands -----------------------------------------------------------------------------


@command("帮助", usage="帮助", aliases=("help", "菜单"), anyone=True)
def help_command(ctx: Context, args: str) -> str:
    """查看可用的指令；发送“帮助 接单”查看某条指令的说明。"""
    if args:
        wanted, _ = parse(args)
        if wanted is not None:
            return f"{wanted.usage}：{wanted.help}"
    return short_help()


def short_help() -> str:
    return (
        "可用指令：" + "、".join(c.usage for c in COMMANDS.values()) + "。发送“帮助 接单”查看说明"
    )


@command("待办", usage="待办", aliases=("我的待办",))
def todo(ctx: Context, args: str) -> str:
    """列出交给您、尚未办结的诉求（工作人员：已上报社区、待处理的诉求）。"""
    p = ctx.p
    query = Issue.select().where(Issue.status.in_(ISSUE_OPEN))
    if p.stewards:
        query = query.join(IssueAssignee).where(
            IssueAssignee.steward.in_([s.id for s in p.stewards])
        )
    elif p.is_staff:
        query = (
            query.join(Area, on=(Issue.alley == Area.id))
            .where(Issue.status == "escalated")
            .where(p.area_condition(Area))
        )
    else:
        return "您不是管家或社区工作人员，没有待办"
    items = list(query.order_by(Issue.deadline, Issue.id).distinct())
    if not items:
        return "暂无待办，辛苦了！"
    shown = []
    for issue in items[:5]:
        late = "，已超期" if issues.is_overdue(issue, ctx.now) else ""
        shown.append(f"{issue_title(issue)}（{month_day_time(issue.deadline)} 前{late}）")
    more = f" 等 {len(items)} 件" if len(items) > 5 else ""
    return f"待办 {len(items)} 件：" + "；".join(shown) + more


@command("接单", usage="接单 N")
def accept(ctx: Context, args: str) -> str:
    """接下一件诉求，开始办理。例：接单 12"""
    issue_id, _ = issue_ref(args, "接单 12")
    issue = issues.accept(ctx.p, issue_id)
    return f"已接单 {issue_title(issue)}，请在 {month_day_time(issue.deadline)} 前办结"


@command("办结", usage="办结 N 说明")
def resolve(ctx: Context, args: str) -> str:
    """写明办理情况，办结一件诉求；随消息或 2 分钟内发来的照片作为办结凭证。例：办结 12 已清理"""
    issue_id, note = issue_ref(args, "办结 12 已清理")
    if not note:
        raise bad_request("请写明办理情况，例如：办结 12 垃圾已清运")
    photos = recent_photos(ctx)
    issue = issues.resolve(ctx.p, issue_id, note, [ph.media_id for ph in photos[-9:]])
    mark_used(photos, ctx.now)
    if photos:
        return f"已办结 {issue_title(issue)}，附照片 {min(len(photos), 9)} 张，谢谢！"
    return f"已办结 {issue_title(issue)}，谢谢！2 分钟内发来的照片将作为办结凭证"


@command("上报", usage="上报 N 原因")
def escalate(ctx: Context, args: str) -> str:
    """自己解决不了的诉求上报社区，写明原因。例：上报 12 需要物业配合"""
    issue_id, reason = issue_ref(args, "上报 12 需要物业配合")
    if not reason:
        raise bad_request("请写明上报原因，例如：上报 12 需要物业配合")
    issue = issues.escalate(ctx.p, issue_id, reason)
    return f"已上报社区 {issue_title(issue)}，社区会尽快协调"


@command("吹哨", usage="吹哨 N 部门 说明")
def whistle(ctx: Context, args: str) -> str:
    """（社区工作人员）就一件诉求向街道的部门吹哨报到。例：吹哨 12 城管 占道经营需执法"""
    issue_id, rest = issue_ref(args, "吹哨 12 城管 占道经营需执法")
    name, _, note = rest.partition(" ")
    issue = Issue.get_or_none(Issue.id == issue_id)
    department = _department(issue, name) if issue is not None and name else None
    note = note.strip() or f"请{name}协助处理"
    try:
        issue = issues.whistle(ctx.p, issue_id, department.id if department else 0, note)
    except ApiError as err:
        if "department_id" in err.fields and issue is not None:
            options = "、".join(d.name for d in _departments(issue)) or "（街道还没有登记部门）"
            raise bad_request(f"找不到部门“{name}”，可选：{options}") from err
        raise
    return f"已向{issue.department.name}吹哨 {issue_title(issue)}，请在 {month_day_time(issue.deadline)} 前联合办结"


def _departments(issue: Issue) -> list[Department]:
    alley = Area.get_by_id(issue.alley_id)
    ids = alley.ancestor_ids()
    return list(
        Department.select()
        .where(Department.active & Department.area.in_(ids))
        .order_by(Department.name)
    )


def _department(issue: Issue, name: str) -> Department | None:
    options = _departments(issue)
    exact = [d for d in options if d.name == name]
    partial = [d for d in options if name in d.name]
    found = exact or partial
    return found[0] if len(found) == 1 or exact else None


@command("巡查", usage="巡查 [说明]", aliases=("打卡",))
def patrol(ctx: Context, args: str) -> str:
    """登记今天的巡查（管家日志），可附说明和照片。例：巡查 南门巷一切正常"""
    photos = recent_photos(ctx)
    entry = patrols.check_in(ctx.p, note=args, photo_ids=[ph.media_id for ph in photos[-9:]])
    mark_used(photos, ctx.now)
    alley = Area.get_by_id(entry.alley_id)
    extra = f"，附照片 {min(len(photos), 9)} 张" if photos else ""
    return f"已登记巡查：{alley.name} {month_day_time(entry.created_at)}{extra}"


@command("认领", usage="认领 心愿N")
def claim(ctx: Context, args: str) -> str:
    """认领一个待认领的微心愿。例：认领 心愿3"""
    wish_id, _ = wish_ref(args, "认领 心愿3")
    wish = wishes.claim(ctx.p, wish_id)
    return f"已认领 心愿{wish.id} {wish.display_name}：{shorten(wish.title, 20)}，完成后请在小程序标记实现"


@command("积分", usage="积分")
def score(ctx: Context, args: str) -> str:
    """查看本季度的积分和构成（按办结、按时、巡查天数、心愿、超期计算）。"""
    p = ctx.p
    if not p.stewards:
        return "积分按管家的工作记录计算，您还不是管家"
    result = points.for_stewards(p.stewards, ctx.now)
    return f"您本季度（{result.period}）积分 {result.total} 分：{result.breakdown()}"


@command("绑定", usage="绑定 CODE", anyone=True)
def bind(ctx: Context, args: str) -> str:
    """用社区发给您的绑定码绑定身份。例：绑定 ABCD2345"""
    code = args.replace(" ", "")
    if not code:
        raise bad_request("请写上绑定码，例如：绑定 ABCD2345（绑定码请向社区工作人员索取）")
    return identity.bind_sender(ctx.sender, code)
