"""The 微心愿 (micro-wish) lifecycle — the one place that changes a wish's state.

    pending_review ─approve (staff)→ published ─claim→ claimed ─fulfil→ fulfilled ─confirm→ closed
          └─reject (staff)→ rejected          ↑── release ──┘

Exactly one claimer: the claim is a conditional UPDATE, so of any number of simultaneous
claims one wins and the others get 409 `already_claimed`.
"""

from __future__ import annotations

from core import audit
from core.boards import changes
from core.items import content_check, credit, lifecycle, notify, privacy
from core.people.areas import community_of
from core.people.permissions import Principal
from core.volunteering import records as service_records
from infra.db import write_transaction
from infra.errors import ApiError, bad_request, conflict, forbidden, not_found
from infra.timeutil import utcnow
from models import WISH_STATUS_LABELS, Area, StewardAlley, User, Wish

STATUS_LABELS = WISH_STATUS_LABELS
ACTION_LABELS = {
    "approve": "审核通过",
    "reject": "驳回",
    "claim": "认领",
    "release": "放弃认领",
    "fulfil": "标记实现",
    "confirm": "确认",
    "withdraw": "撤下心愿墙",
}
BENEFICIARY_TYPES = {
    "elderly": "独居/高龄老人",
    "disabled": "残疾人",
    "children": "留守/困境儿童",
    "hardship": "突发困难家庭",
    "other": "其他",
}
# Who the trail names when the web page's anonymous submitter acts with their tracking link.
WEB_AUTHOR_LABEL = "提交人"
CLAIMER_ROLES = {"volunteer": "志愿者", "party_member": "在职党员", "steward": "小巷管家"}
PUBLIC_STATUSES = privacy.WISH_PUBLIC_STATUSES
ALLOWED_FROM = {
    "approve": {"pending_review"},
    "reject": {"pending_review"},
    "claim": {"published"},
    "release": {"claimed"},
    "fulfil": {"claimed"},
    "confirm": {"fulfilled"},
    "withdraw": {"published"},  # a slip in review undone: on the wall, nobody has claimed it
}
KIND = lifecycle.Kind(Wish, "wish", "心愿", ALLOWED_FROM, STATUS_LABELS, ACTION_LABELS)


def _text_of(wish_or_title: str, content: str) -> str:
    return f"{wish_or_title}\n{content}"


def is_author(p: Principal, wish: Wish) -> bool:
    return p.user is not None and wish.author_id == p.user.id


def is_claimer(p: Principal, wish: Wish) -> bool:
    return p.user is not None and wish.claimer_id == p.user.id


def can_view_private(p: Principal, wish: Wish) -> bool:
    """Author, claimer, staff of the area and the alley's stewards see the full wish."""
    return is_author(p, wish) or is_claimer(p, wish) or p.can_see(wish.alley)


def get_visible(p: Principal, wish_id: int) -> Wish:
    wish = Wish.get_or_none(Wish.id == wish_id)
    if wish is None or not (wish.status in PUBLIC_STATUSES or can_view_private(p, wish)):
        raise not_found("找不到该心愿", code="wish_not_found")
    return wish


def create(
    p: Principal,
    *,
    alley: Area,
    beneficiary_type: str,
    display_name: str,
    title: str,
    content: str,
    photo_ids: list[int] | None = None,
    contact_phone: str | None = None,
    on_behalf_of: str | None = None,
    tracking_token: str | None = None,
) -> Wish:
    """A resident's wish, or one a steward files for a resident of their alley.

    `tracking_token` (web submissions, no login) is the secret of the submitter's private
    link; only its hash is stored."""
    if beneficiary_type not in BENEFICIARY_TYPES:
        raise bad_request("请选择心愿对象类别", {"beneficiary_type": "类别有误"})
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    steward = None
    if on_behalf_of:
        steward = next(
            (s for s in p.stewards if StewardAlley.get_or_none(steward=s, alley=alley) is not None),
            None,
        )
        if steward is None:
            raise forbidden("只能为自己负责街巷的居民代为提交心愿", code="not_your_alley")
    verdict = content_check.check_text(_text_of(title, content), p.user, content_check.SCENE_FORUM)
    with write_transaction():
        wish = lifecycle.insert_numbered(
            "W",
            Wish,
            alley=alley,
            community=community_of(alley),
            author=p.user,
            on_behalf_of=on_behalf_of,
            created_by_steward=steward,
            beneficiary_type=beneficiary_type,
            display_name=display_name,
            title=title,
            content=content,
            photo_ids=photo_ids,
            contact_phone=contact_phone,
            tracking_token_hash=lifecycle.tracking_hash(tracking_token) if tracking_token else None,
            check_verdict=verdict,
        )
        changes.alley_changed([alley.id])
        audit.record(
            "wish.create",
            "wish",
            wish.id,
            actor=p.user,
            label=WEB_AUTHOR_LABEL if p.user is None and tracking_token else None,
            area=alley,
            data={"content_check": verdict, "on_behalf_of": on_behalf_of},
        )
    return wish


def _load_for_change(wish_id: int, action: str) -> Wish:
    if action == "claim":
        current = Wish.get_or_none(Wish.id == wish_id)
        if current is not None and current.status == "claimed":
            raise conflict("already_claimed", "该心愿已被他人认领")
    return KIND.load_for_change(wish_id, action)


def _finish(
    p: Principal, wish: Wish, action: str, data: dict, note: str | None = None, label=None
) -> Wish:
    event = KIND.record(p.user, wish, action, data, label)
    notify.wish_changed(wish, action, event, note)
    return wish


def _recheck(wish: Wish, reviewer: User | None) -> str:
    """Check again a wish whose first check failed (WeChat was unreachable)."""
    text = _text_of(wish.title, wish.content)
    verdict = content_check.check_text(text, wish.author, content_check.SCENE_FORUM)
    if verdict == "failed" and reviewer is not None:
        verdict = content_check.check_text(text, reviewer, content_check.SCENE_FORUM)
    return verdict


def approve(p: Principal, wish_id: int) -> Wish:
    wish = get_visible(p, wish_id)
    if not p.can_manage(wish.alley):
        raise forbidden("只有社区工作人员可以审核心愿")
    verdict = wish.check_verdict
    if verdict not in ("pass", "review", "risky"):
        verdict = _recheck(wish, p.user)
    if verdict == "failed":
        Wish.update(check_verdict=verdict).where(Wish.id == wish.id).execute()
        raise ApiError(
            503, "content_check_unavailable", "内容安全检查暂不可用，心愿已保留，请稍后再审核"
        )
    if verdict == "risky":
        Wish.update(check_verdict=verdict).where(Wish.id == wish.id).execute()
        raise conflict("content_risky", "该心愿内容未通过安全检查，不能公开，请驳回并说明原因")
    with write_transaction():
        wish = _load_for_change(wish_id, "approve")
        wish.check_verdict = verdict
        wish.status = "published"
        wish.published_at = utcnow()
        wish.reviewed_by = p.user
        return _finish(p, wish, "approve", {"content_check": verdict})


def reject(p: Principal, wish_id: int, reason: str) -> Wish:
    wish = get_visible(p, wish_id)
    if not p.can_manage(wish.alley):
        raise forbidden("只有社区工作人员可以审核心愿")
    with write_transaction():
        wish = _load_for_change(wish_id, "reject")
        wish.status = "rejected"
        wish.reject_reason = reason
        wish.reviewed_by = p.user
        return _finish(p, wish, "reject", {"note": reason}, reason)


def withdraw(p: Principal, wish_id: int, reason: str) -> Wish:
    """撤下心愿墙: staff take an approved wish off the wall before anyone claims it (approved by
    mistake, no longer wanted). It becomes 未通过 with the reason, which the author is told;
    the trail and the audit log name who did it."""
    wish = get_visible(p, wish_id)
    if not p.can_manage(wish.alley):
        raise forbidden("只有社区工作人员可以撤下心愿")
    with write_transaction():
        wish = _load_for_change(wish_id, "withdraw")
        wish.status = "rejected"
        wish.reject_reason = reason
        wish.reviewed_by = p.user
        return _finish(p, wish, "withdraw", {"note": reason}, reason)


def claim(p: Principal, wish_id: int, role: str | None = None) -> Wish:
    wish = get_visible(p, wish_id)
    if p.user is None or not p.user.openid:
        raise forbidden("请在微信中登录后认领", code="wechat_required")
    if is_author(p, wish):
        raise forbidden("不能认领自己的心愿")
    role = role or ("steward" if p.stewards else "volunteer")
    if role not in CLAIMER_ROLES or (role == "steward" and not p.stewards):
        raise bad_request("认领身份有误", {"role": "可选：志愿者、在职党员、小巷管家"})
    now = utcnow()
    with write_transaction():
        # The conditional UPDATE is the arbiter: only one claim can match 'published'.
        won = (
            Wish.update(status="claimed", claimer=p.user, claimer_role=role, claimed_at=now)
            .where((Wish.id == wish_id) & (Wish.status == "published"))
            .execute()
        )
        if not won:
            _load_for_change(wish_id, "claim")  # raises the right 409
        wish = Wish.get_by_id(wish_id)
        return _finish(p, wish, "claim", {"role": role})


def release(p: Principal, wish_id: int, reason: str | None = None) -> Wish:
    wish = get_visible(p, wish_id)
    if not (is_claimer(p, wish) or p.can_manage(wish.alley)):
        raise forbidden("只有认领人或社区工作人员可以放弃认领")
    with write_transaction():
        wish = _load_for_change(wish_id, "release")
        previous = wish.claimer_id
        wish.status, wish.claimer, wish.claimer_role, wish.claimed_at = (
            "published",
            None,
            None,
            None,
        )
        return _finish(p, wish, "release", {"note": reason, "previous_claimer": previous})


def fulfil(p: Principal, wish_id: int, note: str, photo_ids: list[int] | None = None) -> Wish:
    wish = get_visible(p, wish_id)
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    if not (is_claimer(p, wish) or p.can_manage(wish.alley)):
        raise forbidden("只有认领人可以标记心愿已实现")
    with write_transaction():
        wish = _load_for_change(wish_id, "fulfil")
        wish.status = "fulfilled"
        wish.fulfil_note, wish.fulfil_photo_ids, wish.fulfilled_at = note, photo_ids, utcnow()
        wish.fulfilled_by = credit.wish_actor(p, wish)
        wish = _finish(p, wish, "fulfil", {"note": note, "photo_ids": photo_ids}, note)
        service_records.for_wish(wish, actor=p.user)  # the hours of service it counts for
        return wish


def confirm(
    p: Principal,
    wish_id: int,
    score: int,
    text: str | None = None,
    tracking_token: str | None = None,
) -> Wish:
    """The author confirms (a steward who filed it confirms for the resident; a web submitter
    confirms with the `tracking_token` of their private link)."""
    if tracking_token is not None:
        wish = Wish.get_or_none(Wish.id == wish_id)
        if wish is None or not lifecycle.holds_token(wish, tracking_token):
            raise not_found("找不到该心愿", code="wish_not_found")
    else:
        wish = get_visible(p, wish_id)
    filed_by_me = wish.created_by_steward_id in {s.id for s in p.stewards}
    by_token = lifecycle.holds_token(wish, tracking_token)
    if not (is_author(p, wish) or filed_by_me or by_token):
        raise forbidden("只有心愿提交人可以确认")
    with write_transaction():
        wish = _load_for_change(wish_id, "confirm")
        wish.status, wish.closed_at = "closed", utcnow()
        wish.rating, wish.rating_text = score, text
        label = WEB_AUTHOR_LABEL if by_token and p.user is None else None
        return _finish(p, wish, "confirm", {"score": score, "note": text}, label=label)
