"""Wish commands: the wall (`心愿`), `认领`, `实现`, `放弃`, and staff review (`通过`, `驳回`)."""

from __future__ import annotations

from bot.commands.parsing import Needs, typed, wish_ref
from bot.commands.registry import STAFF, STEWARD, Context, command
from bot.commands.replies import mark_used, recent_photos, wish_title
from core.items import wishes
from models import WISH_STATUS_LABELS, Area, Wish


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
    return f"已认领 {wish_title(wish, ctx)}，完成后请发送“{ctx.call(f'实现 心愿{wish.id} 说明')}”，可附照片"


@command("实现", usage="实现 心愿N 说明", roles=(STEWARD, STAFF))
def fulfil(ctx: Context, args: str) -> str:
    """写明做了什么，标记您认领的心愿已实现；随消息或 2 分钟内发来的照片作为凭证。例：实现 心愿3 收音机已送到"""
    wish_id, note = wish_ref(args, "实现 心愿3 收音机已送到")
    note = typed(note)
    if not note:
        raise Needs("请写明实现情况", f"实现 心愿{wish_id} 收音机已送到")
    photos = recent_photos(ctx)
    wish = wishes.fulfil(ctx.p, wish_id, note, [ph.media_id for ph in photos[-9:]])
    mark_used(photos, ctx.now)
    extra = f"，附照片 {min(len(photos), 9)} 张" if photos else ""
    return f"已实现 {wish_title(wish, ctx)}{extra}，感谢您的付出！"


@command("放弃", usage="放弃 心愿N", roles=(STEWARD, STAFF))
def release(ctx: Context, args: str) -> str:
    """放弃认领一个心愿，让别人认领。例：放弃 心愿3"""
    wish_id, reason = wish_ref(args, "放弃 心愿3")
    wish = wishes.release(ctx.p, wish_id, typed(reason) or None)
    return f"已放弃认领 {wish_title(wish, ctx)}，心愿重新等待认领"


# --- staff ------------------------------------------------------------------------------------


@command("通过", usage="通过 心愿N", roles=(STAFF,))
def approve(ctx: Context, args: str) -> str:
    """（社区工作人员）审核通过一个心愿，发布到心愿墙。例：通过 心愿3"""
    wish_id, _ = wish_ref(args, "通过 心愿3")
    wish = wishes.approve(ctx.p, wish_id)
    return f"已审核通过 {wish_title(wish, ctx)}，已发布待认领"


@command("驳回", usage="驳回 心愿N 原因", roles=(STAFF,))
def reject(ctx: Context, args: str) -> str:
    """（社区工作人员）驳回一个心愿并写明原因，提交人会收到通知。例：驳回 心愿3 已由民政救助"""
    wish_id, reason = wish_ref(args, "驳回 心愿3 已由民政救助")
    reason = typed(reason)
    if not reason:
        raise Needs("请写明驳回原因", f"驳回 心愿{wish_id} 已由民政救助")
    wish = wishes.reject(ctx.p, wish_id, reason)
    return f"已驳回 {wish_title(wish, ctx)}：{reason}"
