"""Issue commands for stewards and staff: `详情`, `接单`, `办结`, `上报`, `巡查`."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from urllib.parse import quote

from bot.commands.parsing import SEPARATORS, Needs, issue_ref, issue_refs, typed
from bot.commands.registry import STAFF, STEWARD, UNIT, Context, command
from bot.commands.replies import (
    issue_title,
    mark_used,
    not_yours,
    recent_photos,
    sender_key,
    tell_privately,
)
from core.delivery import robot
from core.items import handling, issues, notify, patrols, privacy
from core.units import actions as unit_actions
from infra.db import write_transaction
from infra.errors import ApiError
from infra.timeutil import month_day_time
from models import ISSUE_STATUS_LABELS, Area, OutboxMessage


@command("详情", usage="详情 N", aliases=("查看",))
def details(ctx: Context, args: str) -> str:
    """查看一件诉求的内容、类别、期限、位置和照片（本诉求的管家和工作人员还能看到联系电话；在群里问时，电话和待审核的内容私信发给您）。例：详情 12"""
    issue_id, _ = issue_ref(args, "详情 12")
    not_yours(ctx, issue_id)
    issue = issues.get_visible(ctx.p, issue_id)
    alley = Area.get_by_id(issue.alley_id)
    own = issues.is_handler(ctx.p, issue) or ctx.p.can_manage(alley)
    shown = privacy.issue_words_shown(issue)
    kept = "待审核" if issue.visibility == "held" else "不公开"
    phone = issue.contact_phone if own else None
    content = issue.content if shown or own else f"（内容{kept}）"
    photos = _photos_line(ctx, issue, alley, shown, kept)
    if not ctx.in_group:
        return _details_text(ctx, issue, alley, content, phone, photos)
    # In a group everyone reads the reply: only what the public may read goes there, and
    # what the asker may see besides (the phone, held words) goes to them alone.
    secret = [w for w, has in (("联系电话", phone), ("内容", own and not shown)) if has]
    if not secret:
        return _details_text(ctx, issue, alley, content, None, photos)
    full = _details_text(ctx, issue, alley, content, phone, photos)
    sent = tell_privately(ctx, f"【诉求详情】{full}", f"details:{issue.id}", issue.alley_id)
    where = "已私信发给您" if sent else "请在小程序查看"
    content = content if shown else f"（内容{kept}，不在群里显示）"
    text = _details_text(ctx, issue, alley, content, None, photos)
    return f"{text}\n{'和'.join(secret)}{where}"


def _details_text(ctx, issue, alley, content: str, phone: str | None, photos) -> str:
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
    if phone:
        lines.append(f"联系电话：{phone}")
    if photos:
        lines.append(photos)
    if issue.resolution_note:
        lines.append(f"办结说明：{issue.resolution_note}")
    return "\n".join(lines)


def _photos_line(ctx: Context, issue, alley, shown: bool, kept: str) -> str | None:
    """Public photos are posted to the group (the only place the bot can show a picture),
    once a minute per person and item; held or private ones never are."""
    photos = list(issue.photo_ids or [])
    if not photos:
        return None
    group = ctx.group or next(iter(robot.groups_for_area(alley)[:1]), None)
    if not shown:
        return f"照片 {len(photos)} 张（{kept}），请在小程序查看"
    if group is None:
        return f"照片 {len(photos)} 张，请在小程序查看"
    minute = int(ctx.now.replace(tzinfo=UTC).timestamp() // 60)
    key = f"robot:details:{issue.id}:{sender_key(ctx.sender)}"
    if _photos_posted(f"{key}:{minute - 1}", f"{key}:{minute}", len(photos), ctx.now):
        return f"照片刚刚已发过（{len(photos)} 张），请往上翻看"
    with write_transaction():
        sent = notify.push_photos(group, photos, f"{key}:{minute}")
    return f"照片 {len(photos)} 张，已发到群里（{sent} 张）"


def _photos_posted(earlier: str, current: str, count: int, now) -> bool:
    """Whether this person's 详情 posted the item's photos less than a minute ago: the
    rows of the last two minutes' keys (exact keys: the outbox's unique index answers)."""
    keys = [f"{k}:photo{n}" for k in (earlier, current) for n in range(1, count + 1)]
    return (
        OutboxMessage.select(OutboxMessage.id)
        .where(
            OutboxMessage.idempotency_key.in_(keys)
            & (OutboxMessage.created_at > now - timedelta(minutes=1))
        )
        .exists()
    )


@command("接单", usage="接单 N", roles=(STEWARD, STAFF))
def accept(ctx: Context, args: str) -> str:
    """接下一件诉求，开始办理；可一次接几件。例：接单 12，接单 12 13"""
    issue_ids, _ = issue_refs(args, "接单 12")
    if len(issue_ids) == 1:
        issue = _accept_one(ctx, issue_ids[0])
        return f"已接单 {issue_title(issue)}，请在 {month_day_time(issue.deadline)} 前办结"
    # each its own transaction: one that is someone else's does not undo the others
    taken, refused = [], []
    for issue_id in issue_ids:
        try:
            issue = _accept_one(ctx, issue_id)
        except ApiError as err:
            refused.append(f"#{issue_id}：{err.message.removeprefix(f'#{issue_id} ')}")
            continue
        taken.append(f"{issue_title(issue)}（{month_day_time(issue.deadline)} 前办结）")
    if not taken:
        raise ApiError(409, "none_accepted", "；".join(refused))
    head = f"已接单 {len(taken)} 件：" if len(taken) > 1 else "已接单 "
    reply = head + "；".join(taken)
    return reply + ("。未接 " + "；".join(refused) if refused else "")


def _accept_one(ctx: Context, issue_id: int):
    not_yours(ctx, issue_id)
    return issues.accept(ctx.p, issue_id)


# `办结 12 联合处置 城管已拆除`: how it was solved, said before the note (else inferred).
_LEVEL_WORD = re.compile(
    "^(" + "|".join(sorted(map(re.escape, handling.LEVEL_NAMES), key=len, reverse=True)) + ")"
)


def _level_said(note: str) -> tuple[str | None, str]:
    """The level named at the start of the note, and the note after it (the level's own name
    stays the note when nothing else follows: `办结 12 现场解决`)."""
    match = _LEVEL_WORD.match(note)
    if match is None:
        return None, note
    rest = note[match.end() :].lstrip(SEPARATORS + "，。；;")
    return handling.LEVEL_NAMES[match.group(1)], typed(rest) or note


@command("办结", usage="办结 N 说明", roles=(STEWARD, STAFF, UNIT))
def resolve(ctx: Context, args: str) -> str:
    """写明办理情况，办结一件诉求；随消息或 2 分钟内发来的照片作为办结凭证。办结方式（现场解决、上报社区、联合处置）按办理过程和说明推断，也可写在说明前。例：办结 12 已清理，办结 12 上报社区 物业已修好"""
    issue_id, note = issue_ref(args, "办结 12 已清理")
    level, note = _level_said(typed(note))
    unit_only = bool(ctx.p.unit_ids) and not ctx.p.stewards and not ctx.p.is_staff
    if not unit_only:
        not_yours(ctx, issue_id)
    if not note:
        raise Needs("请写明办理情况", f"办结 {issue_id} 垃圾已清运")
    photos = recent_photos(ctx)
    photo_ids = [ph.media_id for ph in photos[-9:]]
    if unit_only:  # a handling unit's member: the trail names them and their unit
        issue = unit_actions.resolve(ctx.p, issue_id, note, photo_ids)
    else:
        issue = issues.resolve(ctx.p, issue_id, note, photo_ids, level)
    mark_used(photos, ctx.now)
    done = f"已办结 {issue_title(issue)}（{issue.resolution_level}）"
    if photos:
        return f"{done}，附照片 {min(len(photos), 9)} 张，谢谢！"
    return f"{done}，谢谢！2 分钟内发来的照片将作为办结凭证"


@command("上报", usage="上报 N 原因", aliases=("上报社区",), roles=(STEWARD,))
def escalate(ctx: Context, args: str) -> str:
    """自己解决不了的诉求上报社区，写明原因。例：上报 12 需要物业配合"""
    issue_id, reason = issue_ref(args, "上报 12 需要物业配合")
    reason = typed(reason)
    not_yours(ctx, issue_id)
    if not reason:
        raise Needs("请写明上报原因", f"上报 {issue_id} 需要物业配合")
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
