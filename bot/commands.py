"""The group bot's commands: a registry, the parser, and one plain function per command.

A command is declared with a decorator that only registers it (errbot/zulip style)::

    @command("接单", usage="接单 N", roles=STEWARD)
    def accept(ctx, args):
        \"\"\"接下一件诉求，开始办理。\"\"\"
        ...
        return "已接单 #12 …"

The docstring is the `帮助` text; `roles` says who the help shows it to (the workflow still
decides who may do it). A handler receives the `Context` (who is asking, through which
channel, with which photos) and the text after the command word, calls the same workflow
function the API calls (`core.items.issues`, `core.items.wishes`, `core.items.patrols`, …)
with the sender's `Principal` — so the permission checks are the workflow's own — and returns
one short Chinese line. A workflow refusal (`ApiError`) becomes one line in `bot.engine`.

Input is forgiven in the command word and the number only: full-width digits, letters and
spaces, `#12`, `12号`, `第12号`, the full number `S2611220001`, an @-mention of the bot before
the command, and a missing space between the command and its number (`接单12`). Everything
after the number — notes, reasons — is kept exactly as typed, punctuation included.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import current_app

from bot import identity
from core.db import write_transaction
from core.delivery import robot
from core.errors import ApiError, bad_request, not_found
from core.items import issues, notify, patrols, wishes
from core.people.areas import community_of
from core.people.permissions import Principal
from core.service import activities
from core.text import shorten
from core.timeutil import month_day_time, utcnow
from models import (
    ISSUE_OPEN,
    ISSUE_STATUS_LABELS,
    WISH_STATUS_LABELS,
    Area,
    BotPhoto,
    ChatGroup,
    Department,
    Issue,
    IssueAssignee,
    Steward,
    User,
    Wish,
)

# --- the registry -----------------------------------------------------------------------------

ANYONE, STEWARD, STAFF = "anyone", "steward", "staff"


@dataclass
class Command:
    name: str
    usage: str
    handler: Callable[[Context, str], str]
    help: str
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = (STEWARD, STAFF)

    @property
    def anyone(self) -> bool:  # may be used by a sender who is not bound yet
        return ANYONE in self.roles


COMMANDS: dict[str, Command] = {}
_NAMES: dict[str, str] = {}  # every name and alias (lower case) → command name


def command(
    name: str, usage: str | None = None, aliases: tuple[str, ...] = (), roles=(STEWARD, STAFF)
):
    """Register a handler under `name`; its docstring is the help text. Nothing else."""

    def register(fn: Callable[[Context, str], str]):
        COMMANDS[name] = Command(
            name=name,
            usage=usage or name,
            handler=fn,
            help=" ".join((fn.__doc__ or "").split()),
            aliases=aliases,
            roles=tuple(roles),
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
    in_group: bool = False  # said in a group chat (where the smart bot needs an @)

    @property
    def p(self) -> Principal:
        if self.principal is None:  # the engine never calls such handlers without one
            raise ApiError(403, "not_bound", "请先绑定")
        return self.principal

    @property
    def roles(self) -> set[str]:
        p = self.principal
        if p is None:
            return {ANYONE}
        return {ANYONE} | ({STEWARD} if p.stewards else set()) | ({STAFF} if p.is_staff else set())

    def call(self, text: str) -> str:
        """How to send `text` here: `@小巷管家 接单 12` in a group, as is in a single chat."""
        return robot.bot_call(text) if self.in_group else text


# --- parsing ----------------------------------------------------------------------------------

_MENTION = re.compile(r"^[@＠]\S*[\s\u2005\u3000]*")
_ISSUE_REF = re.compile(
    r"^(?:第\s*)?(?:诉求\s*)?#?\s*(?:(?P<number>[Ss]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)
_WISH_REF = re.compile(
    r"^(?:第\s*)?(?:心愿\s*)?#?\s*(?:(?P<number>[Ww]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)
_SEPARATORS = " \t\u3000\u2005:：,，"
_WORD = re.compile(r"^[^\d\s#＃]{1,6}")


def _nfkc(text: str) -> tuple[str, list[int]]:
    """NFKC of `text` and, for each character of it, the index in `text` it came from (so a
    match found in the normalised text cuts the original, which is kept as typed)."""
    out: list[str] = []
    index: list[int] = []
    for k, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            out.append(c)
            index.append(k)
    index.append(len(text))
    return "".join(out), index


@dataclass
class Parsed:
    command: Command | None
    args: str  # the rest, as typed
    mentioned: bool  # the message started with an @-mention
    text: str  # the message without the mention, as typed


def split(text: str | None) -> Parsed:
    """The @-mention, the command word (normalised) and the rest (as typed)."""
    text = (text or "").strip()
    mentioned = False
    while True:
        match = _MENTION.match(text)
        if match is None or not match.group(0).strip():
            break
        mentioned = True
        text = text[match.end() :].strip()
    norm, index = _nfkc(text)
    lowered = norm.lower()
    for word in sorted(_NAMES, key=len, reverse=True):
        if lowered.startswith(word):
            rest = text[index[len(word)] :].lstrip(_SEPARATORS).rstrip()
            return Parsed(COMMANDS[_NAMES[word]], rest, mentioned, text)
    return Parsed(None, text, mentioned, text)


def parse(text: str | None) -> tuple[Command | None, str]:
    """(the command, the rest of the text as typed); (None, text) when no command starts it."""
    parsed = split(text)
    return parsed.command, parsed.args


def normalize(text: str | None) -> str:
    """The message without its @-mention, NFKC and trimmed: for recognising, never storing."""
    return _nfkc(split(text).text)[0].strip()


def closest(text: str) -> tuple[Command, str] | None:
    """An unknown first word that looks like a command (`接丹 1`): that command and the rest."""
    norm = _nfkc(text)[0].strip()
    match = _WORD.match(norm)
    if match is None:
        return None
    word = match.group(0).strip()
    names = [n for n in _NAMES if not n.isascii()]
    found = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
    if not found or len(word) > len(found[0]) + 1:
        return None
    rest = norm[match.end() :].strip(_SEPARATORS)
    return COMMANDS[_NAMES[found[0]]], rest


def _cut(pattern: re.Pattern, args: str) -> tuple[re.Match | None, str]:
    norm, index = _nfkc(args)
    match = pattern.match(norm)
    if match is None:
        return None, args
    return match, args[index[match.end()] :].lstrip(_SEPARATORS).rstrip()


def _ref(pattern: re.Pattern, args: str, model, prefix: str) -> tuple[int | None, str]:
    match, rest = _cut(pattern, args)
    if match is None:
        return None, args
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


def typed(text: str) -> str:
    """A note as typed; only a note of nothing but punctuation counts as missing."""
    return text if re.search(r"\w", text) else ""


# --- reply pieces -----------------------------------------------------------------------------


def issue_title(issue: Issue) -> str:
    """`#12 南门巷：垃圾堆放`: what a steward recognises an issue by."""
    alley = Area.get_by_id(issue.alley_id)
    content = issue.content if issue.visibility == "public" else issue.category
    return f"#{issue.id} {alley.name}：{shorten(content, 16)}"


def wish_title(wish: Wish) -> str:
    return f"心愿{wish.id} {wish.display_name}：{shorten(wish.title, 20)}"


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


def _not_yours(ctx: Context, issue_id: int) -> None:
    """Before the workflow's own 404: tell a bound steward whose item it is instead."""
    issue = Issue.get_or_none(Issue.id == issue_id)
    if issue is None:
        raise not_found("找不到该诉求", code="issue_not_found")
    if issues.can_view(ctx.p, issue):
        return
    alley = Area.get_by_id(issue.alley_id)
    names = "、".join(s.name for s in issue.assigned_stewards()) or "社区"
    raise ApiError(
        403, "not_your_alley", f"#{issue.id} 是{alley.name}的诉求，由{names}负责，您不能处理"
    )


def _steps(n: int) -> str:
    return f" 等 {n} 件" if n > 5 else ""


# --- help -------------------------------------------------------------------------------------


def allowed(ctx: Context) -> list[Command]:
    roles = ctx.roles
    return [c for c in COMMANDS.values() if roles & set(c.roles)]


def short_help(ctx: Context) -> str:
    usable = [c.usage for c in allowed(ctx) if not (c.anyone and ctx.principal is not None)]
    if ctx.principal is None:
        usable = [c.usage for c in allowed(ctx)]
    how = (
        f"在群里请先 @{current_app.config['BOT_NAME']}，例如“{robot.bot_call('接单 12')}”。"
        if ctx.in_group
        else ""
    )
    return f"可用指令：{'、'.join(usable)}。{how}发送“{ctx.call('帮助 接单')}”查看说明"


@command("帮助", usage="帮助", aliases=("help", "菜单"), roles=(ANYONE,))
def help_command(ctx: Context, args: str) -> str:
    """查看可用的指令；发送“帮助 接单”查看某条指令的说明。"""
    if args:
        wanted, _ = parse(args)
        if wanted is not None and wanted in allowed(ctx):
            return f"{ctx.call(wanted.usage)}：{wanted.help}"
    return short_help(ctx)


# --- stewards and staff: what waits ----------------------------------------------------------


@command("待办", usage="待办", aliases=("我的待办",))
def todo(ctx: Context, args: str) -> str:
    """管家：列出交给您、尚未办结的诉求。工作人员：列出等您处理的事（待审核心愿、待审核公开的诉求、超期、上报、吹哨、待您审核的积分调整、待您认证的服务记录）。"""
    p = ctx.p
    parts = []
    if p.stewards:
        parts.append(_steward_todo(ctx))
    if p.is_staff:
        parts.append(_staff_todo(ctx))
    if not parts:
        return "您不是管家或社区工作人员，没有待办"
    return "\n".join(parts)


def _steward_todo(ctx: Context) -> str:
    items = list(
        Issue.select()
        .where(Issue.status.in_(ISSUE_OPEN))
        .join(IssueAssignee)
        .where(IssueAssignee.steward.in_([s.id for s in ctx.p.stewards]))
        .order_by(Issue.deadline, Issue.id)
        .distinct()
    )
    if not items:
        return "暂无待办，辛苦了！"
    shown = []
    for issue in items[:5]:
        late = "，已超期" if issues.is_overdue(issue, ctx.now) else ""
        shown.append(f"{issue_title(issue)}（{month_day_time(issue.deadline)} 前{late}）")
    return f"待办 {len(items)} 件：" + "；".join(shown) + _steps(len(items))


def _staff_todo(ctx: Context) -> str:
    p = ctx.p
    in_scope = p.area_condition(Area)

    def issues_where(cond):
        return list(
            Issue.select(Issue)
            .join(Area, on=(Issue.alley == Area.id))
            .where(in_scope & cond)
            .order_by(Issue.deadline, Issue.id)
        )

    review = list(
        Wish.select(Wish)
        .join(Area, on=(Wish.alley == Area.id))
        .where(in_scope & (Wish.status == "pending_review"))
        .order_by(Wish.created_at, Wish.id)
    )
    held = issues_where((Issue.visibility == "held") & (Issue.status != "cancelled"))
    overdue = issues_where(Issue.status.in_(ISSUE_OPEN) & (Issue.deadline < ctx.now))
    escalated = issues_where(Issue.status == "escalated")
    whistled = issues_where(Issue.status == "whistled")
    sections = [
        ("待审核心愿", [f"心愿{w.id} {shorten(w.title, 12)}" for w in review], "通过 心愿N"),
        ("待审核公开", [f"#{i.id} {i.category}" for i in held], "公开 N"),
        ("超期", [f"#{i.id} {i.alley.name}" for i in overdue], "派单 N 管家姓名"),
        ("已上报", [f"#{i.id} {i.alley.name}" for i in escalated], "吹哨 N 部门 说明"),
        ("已吹哨", [f"#{i.id} {i.alley.name}" for i in whistled], None),
    ]
    sections += timebank_commands.todo_sections(ctx)
    lines = []
    for label, entries, hint, *total in sections:
        count = total[0] if total else len(entries)
        if count:
            more = f" 等 {count} 件" if count > 5 else ""
            tip = f"（{ctx.call(hint)}）" if hint else ""
            lines.append(f"{label} {count}：{'、'.join(entries[:5])}{more}{tip}")
    if not lines:
        return "社区暂无待办，辛苦了！"
    return "社区待办：\n" + "\n".join(lines)


# --- issues -----------------------------------------------------------------------------------


@command("详情", usage="详情 N", aliases=("查看",))
def details(ctx: Context, args: str) -> str:
    """查看一件诉求的内容、类别、期限、位置和照片（本诉求的管家和工作人员还能看到联系电话）。例：详情 12"""
    issue_id, _ = issue_ref(args, "详情 12")
    _not_yours(ctx, issue_id)
    issue = issues.get_visible(ctx.p, issue_id)
    alley = Area.get_by_id(issue.alley_id)
    own = issues.is_handler(ctx.p, issue) or ctx.p.can_manage(alley)
    content = issue.content if issue.visibility == "public" or own else "（内容待审核）"
    late = "，已超期" if issues.is_overdue(issue, ctx.now) else ""
    lines = [
        f"#{issue.id} {alley.name} · {issue.category} · {ISSUE_STATUS_LABELS[issue.status]}",
        f"内容：{content}",
        f"期限：{month_day_time(issue.deadline)} 前{late}",
        f"管家：{'、'.join(s.name for s in issue.assigned_stewards()) or '未派单'}",
    ]
    loc = issue.location or {}
    if loc.get("lat") is not None and loc.get("lng") is not None:
        title = quote(loc.get("address") or alley.name)
        link = (
            f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{loc['lat']},{loc['lng']};"
            f"title:{title}&referer=alley-steward"
        )
        lines.append(f"位置：{loc.get('address') or alley.name} {link}")
    elif loc.get("address"):
        lines.append(f"位置：{loc['address']}")
    if own and issue.contact_phone:
        lines.append(f"联系电话：{issue.contact_phone}")
    photos = list(issue.photo_ids or [])
    if photos:
        group = ctx.group or next(iter(robot.groups_for_area(alley)[:1]), None)
        if group is not None and (issue.visibility == "public" or own):
            key = f"robot:details:{issue.id}:{ctx.sender}:{ctx.now:%Y%m%d%H%M%S}"
            with write_transaction():
                sent = notify.push_photos(group, photos, key)
            lines.append(f"照片 {len(photos)} 张，已发到群里（{sent} 张）")
        else:
            lines.append(f"照片 {len(photos)} 张，请在小程序查看")
    if issue.resolution_note:
        lines.append(f"办结说明：{issue.resolution_note}")
    return "\n".join(lines)


@command("接单", usage="接单 N", roles=(STEWARD, STAFF))
def accept(ctx: Context, args: str) -> str:
    """接下一件诉求，开始办理。例：接单 12"""
    issue_id, _ = issue_ref(args, "接单 12")
    _not_yours(ctx, issue_id)
    issue = issues.accept(ctx.p, issue_id)
    return f"已接单 {issue_title(issue)}，请在 {month_day_time(issue.deadline)} 前办结"


@command("办结", usage="办结 N 说明", roles=(STEWARD, STAFF))
def resolve(ctx: Context, args: str) -> str:
    """写明办理情况，办结一件诉求；随消息或 2 分钟内发来的照片作为办结凭证。例：办结 12 已清理"""
    issue_id, note = issue_ref(args, "办结 12 已清理")
    note = typed(note)
    _not_yours(ctx, issue_id)
    if not note:
        raise bad_request("请写明办理情况，例如：办结 12 垃圾已清运")
    photos = recent_photos(ctx)
    issue = issues.resolve(ctx.p, issue_id, note, [ph.media_id for ph in photos[-9:]])
    mark_used(photos, ctx.now)
    if photos:
        return f"已办结 {issue_title(issue)}，附照片 {min(len(photos), 9)} 张，谢谢！"
    return f"已办结 {issue_title(issue)}，谢谢！2 分钟内发来的照片将作为办结凭证"


@command("上报", usage="上报 N 原因", roles=(STEWARD,))
def escalate(ctx: Context, args: str) -> str:
    """自己解决不了的诉求上报社区，写明原因。例：上报 12 需要物业配合"""
    issue_id, reason = issue_ref(args, "上报 12 需要物业配合")
    reason = typed(reason)
    _not_yours(ctx, issue_id)
    if not reason:
        raise bad_request("请写明上报原因，例如：上报 12 需要物业配合")
    issue = issues.escalate(ctx.p, issue_id, reason)
    return f"已上报社区 {issue_title(issue)}，社区会尽快协调"


@command("巡查", usage="巡查 [说明]", aliases=("打卡",), roles=(STEWARD,))
def patrol(ctx: Context, args: str) -> str:
    """登记今天的巡查（管家日志），可附说明和照片。例：巡查 南门巷一切正常"""
    photos = recent_photos(ctx)
    entry = patrols.check_in(ctx.p, note=args, photo_ids=[ph.media_id for ph in photos[-9:]])
    mark_used(photos, ctx.now)
    alley = Area.get_by_id(entry.alley_id)
    extra = f"，附照片 {min(len(photos), 9)} 张" if photos else ""
    return f"已登记巡查：{alley.name} {month_day_time(entry.created_at)}{extra}"


# --- wishes -----------------------------------------------------------------------------------


@command("心愿", usage="心愿", aliases=("心愿墙",), roles=(STEWARD, STAFF))
def wish_list(ctx: Context, args: str) -> str:
    """列出本群（或您负责的街巷）待认领、已认领未实现的微心愿。"""
    p = ctx.p
    if ctx.group is not None:
        scope = Wish.alley.in_(Area.alley_ids_under(Area.get_by_id(ctx.group.area_id)))
    else:
        ids = set(p.alley_ids)
        for root in p.area_roots:
            ids |= set(Area.alley_ids_under(root))
        scope = Wish.alley.in_(sorted(ids) or [0])
    rows = list(
        Wish.select()
        .where(scope & Wish.status.in_(("published", "claimed")))
        .order_by(Wish.status.desc(), Wish.published_at, Wish.id)
    )
    if not rows:
        return "暂无待认领或待实现的心愿"
    lines = []
    for w in rows[:8]:
        state = "待认领" if w.status == "published" else f"{WISH_STATUS_LABELS[w.status]}"
        lines.append(f"{wish_title(w)}（{state}）")
    more = f"\n……等共 {len(rows)} 个" if len(rows) > 8 else ""
    return (
        f"心愿 {len(rows)} 个：\n"
        + "\n".join(lines)
        + more
        + f"\n认领请发送“{ctx.call('认领 心愿N')}”"
    )


@command("认领", usage="认领 心愿N", roles=(STEWARD, STAFF))
def claim(ctx: Context, args: str) -> str:
    """认领一个待认领的微心愿。例：认领 心愿3"""
    wish_id, _ = wish_ref(args, "认领 心愿3")
    wish = wishes.claim(ctx.p, wish_id)
    return (
        f"已认领 {wish_title(wish)}，完成后请发送“{ctx.call(f'实现 心愿{wish.id} 说明')}”，可附照片"
    )


@command("实现", usage="实现 心愿N 说明", roles=(STEWARD, STAFF))
def fulfil(ctx: Context, args: str) -> str:
    """写明做了什么，标记您认领的心愿已实现；随消息或 2 分钟内发来的照片作为凭证。例：实现 心愿3 收音机已送到"""
    wish_id, note = wish_ref(args, "实现 心愿3 收音机已送到")
    note = typed(note)
    if not note:
        raise bad_request("请写明实现情况，例如：实现 心愿3 收音机已送到")
    photos = recent_photos(ctx)
    wish = wishes.fulfil(ctx.p, wish_id, note, [ph.media_id for ph in photos[-9:]])
    mark_used(photos, ctx.now)
    extra = f"，附照片 {min(len(photos), 9)} 张" if photos else ""
    return f"已实现 {wish_title(wish)}{extra}，感谢您的付出！"


@command("放弃", usage="放弃 心愿N", roles=(STEWARD, STAFF))
def release(ctx: Context, args: str) -> str:
    """放弃认领一个心愿，让别人认领。例：放弃 心愿3"""
    wish_id, reason = wish_ref(args, "放弃 心愿3")
    wish = wishes.release(ctx.p, wish_id, typed(reason) or None)
    return f"已放弃认领 {wish_title(wish)}，心愿重新等待认领"


# --- staff ------------------------------------------------------------------------------------


@command("通过", usage="通过 心愿N", roles=(STAFF,))
def approve(ctx: Context, args: str) -> str:
    """（社区工作人员）审核通过一个心愿，发布到心愿墙。例：通过 心愿3"""
    wish_id, _ = wish_ref(args, "通过 心愿3")
    wish = wishes.approve(ctx.p, wish_id)
    return f"已审核通过 {wish_title(wish)}，已发布待认领"


@command("驳回", usage="驳回 心愿N 原因", roles=(STAFF,))
def reject(ctx: Context, args: str) -> str:
    """（社区工作人员）驳回一个心愿并写明原因，提交人会收到通知。例：驳回 心愿3 已由民政救助"""
    wish_id, reason = wish_ref(args, "驳回 心愿3 已由民政救助")
    reason = typed(reason)
    if not reason:
        raise bad_request("请写明驳回原因，例如：驳回 心愿3 已由民政救助")
    wish = wishes.reject(ctx.p, wish_id, reason)
    return f"已驳回 {wish_title(wish)}：{reason}"


@command("公开", usage="公开 N", roles=(STAFF,))
def publish(ctx: Context, args: str) -> str:
    """（社区工作人员）审核后公开一件诉求，让它出现在公示牌页面。例：公开 12"""
    issue_id, _ = issue_ref(args, "公开 12")
    issue = issues.moderate(ctx.p, issue_id, True)
    return f"已公开 {issue_title(issue)}"


@command("不公开", usage="不公开 N [原因]", roles=(STAFF,))
def hide(ctx: Context, args: str) -> str:
    """（社区工作人员）诉求不在公示牌页面公开（仍照常办理）。例：不公开 12 涉及隐私"""
    issue_id, reason = issue_ref(args, "不公开 12 涉及隐私")
    issue = issues.moderate(ctx.p, issue_id, False, typed(reason) or None)
    return f"已设为不公开 #{issue.id}（{issue.category}），仍照常办理"


@command("派单", usage="派单 N 管家姓名", roles=(STAFF,))
def assign(ctx: Context, args: str) -> str:
    """（社区工作人员）把一件诉求派给本社区的管家（可写多位，用空格或顿号分开）。例：派单 12 王秀英"""
    issue_id, rest = issue_ref(args, "派单 12 王秀英")
    names = [n for n in re.split(r"[\s、,，]+", rest) if n]
    if not names:
        raise bad_request("请写上管家姓名，例如：派单 12 王秀英")
    issue = issues.get_visible(ctx.p, issue_id)
    # names are looked up in the issue's community; whether the sender may dispatch there
    # is the workflow's own check (`issues.assign`)
    community = community_of(Area.get_by_id(issue.alley_id))
    alleys = {a.id for a in Area.alley_ids_under(community)} if community else {issue.alley_id}
    candidates = list(Steward.select().where(Steward.active & Steward.name.in_(names)))
    chosen = []
    for name in names:
        found = [
            s for s in candidates if s.name == name and any(a.id in alleys for a in s.alleys())
        ]
        if not found:
            raise bad_request(f"找不到本社区在任的管家“{name}”")
        if len({s.id for s in found}) > 1:
            raise bad_request(f"本社区有多位管家叫“{name}”，请在小程序派单")
        chosen.append(found[0])
    issue = issues.assign(ctx.p, issue_id, [s.id for s in chosen], note="群内派单")
    who = "、".join(s.name for s in chosen)
    return f"已派单 {issue_title(issue)} 给{who}，请在 {month_day_time(issue.deadline)} 前办结"


@command("吹哨", usage="吹哨 N 部门 说明", roles=(STAFF,))
def whistle(ctx: Context, args: str) -> str:
    """（社区工作人员）就一件诉求向街道的部门吹哨报到。例：吹哨 12 城管 占道经营需执法"""
    issue_id, rest = issue_ref(args, "吹哨 12 城管 占道经营需执法")
    parts = re.split(r"\s+", rest, maxsplit=1)  # full-width spaces too
    name, note = parts[0], parts[1] if len(parts) > 1 else ""
    issue = Issue.get_or_none(Issue.id == issue_id)
    department = _department(issue, name) if issue is not None and name else None
    note = typed(note.strip()) or f"请{name}协助处理"
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


# --- volunteer activities (志愿活动) -------------------------------------------------------------

_ACTIVITY_REF = re.compile(r"^(?:第\s*)?(?:活动\s*)?#?\s*(?P<id>\d{1,9})(?:\s*号)?(?=\D|$)")


@command("报名", usage="报名 活动N", roles=(STEWARD, STAFF))
def activity_signup(ctx: Context, args: str) -> str:
    """以志愿者身份报名社区的志愿活动（须先在小程序登记为志愿者）。例：报名 活动3"""
    match, _ = _cut(_ACTIVITY_REF, args)
    if match is None:
        raise bad_request("请写上活动编号，例如：报名 活动3")
    activity_id = int(match.group("id"))
    activities.signup(ctx.p, activity_id)
    activity = activities.get(activity_id)
    left = max(activity.capacity - activity.signed_up, 0)
    return (
        f"已报名 活动{activity.id} {activity.title}（{month_day_time(activity.starts_at)}，"
        f"{activity.place}），剩余名额 {left} 个"
    )


# --- binding -----------------------------------------------------------------------------------


@command("绑定", usage="绑定 CODE", roles=(ANYONE,))
def bind(ctx: Context, args: str) -> str:
    """用社区发给您的绑定码绑定身份。例：绑定 ABCD2345"""
    code = _nfkc(args)[0].replace(" ", "")
    if not code:
        raise bad_request("请写上绑定码，例如：绑定 ABCD2345（绑定码请向社区工作人员索取）")
    return identity.bind_sender(ctx.sender, code)


# The time bank's commands (积分, 存折) and its part of 待办 live in their own module; importing
# it here registers them with the commands above.
from bot import timebank_commands  # noqa: E402
