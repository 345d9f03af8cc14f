"""What an issue, a wish or a patrol looks like to a given person: the public view and the
private one, as plain dicts. The API (`miniprogram_api`) and the web pages (`web.scan`) both
render these, so the two can never disagree on what is public.

Public views are built from a whitelist of fields, so nothing private (reporter, openid,
phone numbers, household details) can leak into them by adding a column.
"""

from __future__ import annotations

from core.items import handoffs, on_behalf, outcomes, privacy, trail_names
from core.items import issues as issue_flow
from core.items import wishes as wish_flow
from core.media import media_by_id, media_url
from core.people.permissions import Principal
from infra.db import Param, Prepared
from infra.timeutil import iso
from models import (
    Area,
    Department,
    Event,
    Issue,
    IssueAssignee,
    Media,
    Patrol,
    Steward,
    User,
    Wish,
)
from models.units import UNIT_ACTION_LABELS


def photos_out(ids: list[int] | None, cache: dict[int, Media] | None = None) -> list[dict]:
    ids = list(ids or [])
    if not ids:
        return []
    found = cache if cache is not None else {}
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(media_by_id(missing))
    return [
        {"id": m.id, "url": media_url(m), "thumb_url": media_url(m, thumb=True)}
        for m in (found.get(i) for i in ids)
        if m is not None
    ]


def _ref(obj, name_attr="name") -> dict | None:
    return None if obj is None else {"id": obj.id, "name": getattr(obj, name_attr)}


# --- issues ------------------------------------------------------------------------------------


def public_shown(issue: Issue) -> bool:
    """Whether the public may read an issue's words and see its photos: not while it is held,
    and never for a private category (邻里纠纷 by default)."""
    return privacy.issue_words_shown(issue)


def issue_public(issue: Issue, alley: Area | None = None, cache=None) -> dict:
    """What anyone may see. A held item shows no text; a private category (邻里纠纷 by default)
    shows no text or photos ever — only that there was one (`private`)."""
    private = issue_flow.is_private_category(issue.category)
    shown = public_shown(issue)
    alley = alley or issue.alley
    return {
        "id": issue.id,
        "number": issue.number,
        "category": issue.category,
        "private": private,
        "content": issue.content if shown else None,
        "status": issue.status,
        "status_label": issue_flow.STATUS_LABELS[issue.status],
        "alley": {"id": alley.id, "name": alley.name},
        "created_at": iso(issue.created_at),
        "resolved_at": iso(issue.resolved_at),
        "resolution_note": issue.resolution_note if shown else None,
        "photos": photos_out(issue.photo_ids, cache) if shown else [],
        # how it was closed, in plain words (core.items.outcomes); None while open
        "outcome": issue.outcome,
        "outcome_label": _outcome_label(issue, shown),
        "duplicate_of": issue.duplicate_of_id,
    }


def public_preview(issue: Issue) -> dict:
    """What the board and the scan page would show of `issue` once it is made public: the
    confirmation staff read before pressing 公开 (a private category still shows nothing)."""
    would_be = Issue(**{**issue.__data__, "visibility": "public"})
    return issue_public(would_be, issue.alley)


def _outcome_label(issue: Issue, shown: bool) -> str | None:
    note = issue.resolution_note if shown else None
    return outcomes.plain_words(issue.outcome, note, issue.duplicate_of_id)


def issue_actions(p: Principal, issue: Issue, cache=None) -> list[str]:
    """What this caller may try now (clients draw buttons from it)."""
    handler = _is_handler(p, issue, cache)
    manager = p.can_manage(issue.alley)
    reporter = issue_flow.is_reporter(p, issue)
    who = {
        "accept": handler or manager,
        # a whistled item is closed by staff only (core.items.handling), as no one accepts it
        "resolve": manager or (handler and issue.status != "whistled"),
        "escalate": handler or manager,
        "whistle": manager,
        "assign": manager,
        "comment": reporter or handler or p.can_see(issue.alley),
        "rate": reporter,
        "reopen": reporter,
        "cancel": (reporter and issue.status == "submitted") or manager,
    }
    allowed = [a for a, ok in who.items() if ok and issue.status in issue_flow.ALLOWED_FROM[a]]
    if manager and issue.status in issue_flow.ALLOWED_FROM["cancel"]:  # open: core.items.merge
        allowed.append("merge")
    if issue.status == "whistled" and issue.department_id in p.unit_ids:
        # a member of the unit it is whistled to (core.units.actions)
        unit = ["progress", "extension", "return", "resolve"]
        allowed += [a for a in unit if a not in allowed]
        if issue.checked_in_at is None:
            allowed.append("check-in")
    if issue.status == "whistled" and issue.department_id and manager:
        allowed.append("urge")  # 催办 the unit holding it (core.units.actions.urge)
        if issue.supervised_at is None:
            allowed.append("supervise")  # 督办, once per whistle (core.units.actions.supervise)
    return allowed


def prefetch_issues(rows: list[Issue], cache: dict) -> None:
    """Load what `issue_out` reads for a page of issues in a few queries, not several per issue:
    the alleys, the stewards each is with, the departments, the reporters and the photos. `cache` is then
    passed to `issue_out` (photos keyed by media id, the rest by (kind, id))."""
    if not rows:
        return
    ids = [i.id for i in rows]
    alleys = {a.id: a for a in Area.select().where(Area.id.in_({i.alley_id for i in rows}))}
    for issue in rows:
        issue.alley = alleys[issue.alley_id]
    for issue_id in ids:
        cache[("assigned", issue_id)] = []
    links = (
        IssueAssignee.select(IssueAssignee, Steward)
        .join(Steward)
        .where(IssueAssignee.issue.in_(ids))
        .order_by(IssueAssignee.id)
    )
    for link in links:
        cache[("assigned", link.issue_id)].append(link.steward)
    department_ids = {i.department_id for i in rows if i.department_id}
    if department_ids:
        for dep in Department.select().where(Department.id.in_(department_ids)):
            cache[("department", dep.id)] = dep
    reporter_ids = {i.reporter_id for i in rows if i.reporter_id}
    if reporter_ids:
        for user in User.select(User.id, User.nickname).where(User.id.in_(reporter_ids)):
            cache[("user", user.id)] = user
    on_behalf.prefetch(rows, cache)  # 代居民登记: the intake rows, if any on the page
    media_ids = {m for i in rows for m in (i.photo_ids or []) + (i.resolution_photo_ids or [])}
    missing = [m for m in media_ids if m not in cache]
    if missing:
        cache.update({m.id: m for m in Media.select().where(Media.id.in_(missing))})


def _assigned(issue: Issue, cache) -> list[Steward]:
    found = cache.get(("assigned", issue.id)) if cache is not None else None
    return found if found is not None else issue.assigned_stewards()


def _is_handler(p: Principal, issue: Issue, cache) -> bool:
    if cache is None or ("assigned", issue.id) not in cache:
        return issue_flow.is_handler(p, issue)
    mine = {s.id for s in p.stewards}
    return any(s.id in mine for s in cache[("assigned", issue.id)])


def _department(issue: Issue, cache) -> Department | None:
    if not issue.department_id:
        return None
    key = ("department", issue.department_id)
    if cache is not None and key in cache:
        return cache[key]
    return Department.get_or_none(Department.id == issue.department_id)


def issue_out(
    p: Principal, issue: Issue, timeline: bool = False, cache=None, submitter: bool = False
) -> dict:
    """The private view of an issue for `p`. `submitter`: the caller proved they submitted it
    (the web page's tracking link) without a login."""
    if cache is None:
        # One issue on its own: its photos are asked for by the public and the private view,
        # its stewards by the handler check and the list — each read once.
        cache = {("assigned", issue.id): issue.assigned_stewards()}
    out = issue_public(issue, cache=cache)
    insider = (
        p.can_see(issue.alley)
        or _is_handler(p, issue, cache)
        or issue.department_id in p.unit_ids  # the unit it is whistled to
    )
    mine = submitter or issue_flow.is_reporter(p, issue)
    if insider or mine:
        # The private view shows held content to those involved. A follower (跟进这一件) is
        # not involved in someone else's words: they keep the public view's text and photos.
        out["content"] = issue.content
        out["resolution_note"] = issue.resolution_note
        out["outcome_label"] = _outcome_label(issue, True)
        out["photos"] = photos_out(issue.photo_ids, cache)
    department = _department(issue, cache)
    reporter = None
    if insider and issue.reporter_id and not issue.anonymous:
        user = cache.get(("user", issue.reporter_id)) if cache is not None else None
        reporter = (user or User.get_by_id(issue.reporter_id)).nickname or "居民"
    out.update(
        {
            "priority": issue.priority,
            "priority_label": issue_flow.PRIORITY_LABELS[issue.priority],
            "deadline": iso(issue.deadline),
            "overdue": issue_flow.is_overdue(issue),
            "visibility": issue.visibility,
            "hold_reason": issue.hold_reason if insider else None,
            "stewards": [{**_ref(s), "phone": s.phone} for s in _assigned(issue, cache)],
            "department": _ref(department),
            "accepted_at": iso(issue.accepted_at),
            "resolution_level": issue.resolution_level,
            "resolution_photos": photos_out(issue.resolution_photo_ids, cache),
            "rating": issue.rating,
            "rating_text": issue.rating_text,
            "reopen_count": issue.reopen_count,
            "closed_at": iso(issue.closed_at),
            "close_reason": issue.close_reason,
            "anonymous": issue.anonymous,
            "source": issue.source,
            "location": issue.location if (insider or mine) else None,
            "contact_phone": issue.contact_phone if (insider or mine) else None,
            # 代居民登记: how it came in, the 12345 ticket, the resident's name (private)
            "intake": on_behalf.intake_out(issue, cache) if insider else None,
            "reporter": reporter,
            "is_mine": mine,
            "actions": issue_actions(p, issue, cache),
        }
    )
    if timeline:
        # Only on the detail page: a list of issues would pay two more queries per row.
        out["followers"] = issue_flow.follower_count(issue)
        out["is_following"] = not mine and issue_flow.is_follower(p, issue)
        out["timeline"] = timeline_out(
            "issue", issue.id, issue.reporter_id, issue.anonymous and not mine, cache, insider
        )
    return out


# An issue's trail names the handling units' actions too (core.units).
ISSUE_TRAIL_LABELS = {**issue_flow.ACTION_LABELS, **UNIT_ACTION_LABELS}


def _closure_label(action: str, label: str, data: dict) -> str:
    """办结（已答复）, 合并到 #12, 合并重复诉求 #15: how an item was closed, on its trail."""
    outcome = data.get("outcome")
    if action == "resolve" and outcome in outcomes.SHORT and outcome != outcomes.SOLVED:
        return f"{label}（{outcomes.SHORT[outcome]}）"
    if action == "merge" and data.get("into"):
        return f"合并到 #{data['into']}"
    if action == "merge_in" and data.get("from"):
        return f"{label} #{data['from']}"
    return label


# Every detail page and every new report's answer reads its trail: compiled once.
_TRAIL = Prepared(lambda: Event.for_subject(Param("subject_type"), Param("subject_id")))


def timeline_out(
    subject: str,
    subject_id: int,
    reporter_id,
    hide_reporter: bool,
    cache=None,
    insider: bool = True,
    roles: dict[int, str] | None = None,
):
    """The trail. `insider` (staff, the item's stewards) reads a 派单 as "王秀英 → 刘志强";
    anyone else (the reporter) in plain words, without the staff's note."""
    labels = ISSUE_TRAIL_LABELS if subject == "issue" else wish_flow.ACTION_LABELS
    rows = list(_TRAIL.rows(subject_type=subject, subject_id=subject_id))
    # Residents read roles and units, never account names (core.items.trail_names).
    known = trail_names.names_for({e.actor_id for e in rows if e.actor_id} - {reporter_id})
    for user_id, word in (roles or {}).items():
        # a resident who claimed a wish is named as what they came as (志愿者, 在职党员)
        if known.get(user_id, (trail_names.RESIDENT_WORD,))[0] == trail_names.RESIDENT_WORD:
            known[user_id] = (word, known.get(user_id, (word, None))[1])
    entries = []
    for e in rows:
        action = e.action.split(".", 1)[1]
        if e.actor_id and e.actor_id == reporter_id:
            actor = "反映人" if hide_reporter or subject == "issue" else "提交人"
        else:
            actor = trail_names.actor_name(e.actor_id, e.actor_label, known, insider)
        data = dict(e.data or {})
        note = data.pop("note", None)
        photo_ids = data.pop("photo_ids", [])
        data.pop("content_check", None)
        label = labels.get(action, {"create": "提交"}.get(action, action))
        if action == "callback" and not insider:
            # the call's note is staff's record of a private conversation: the result only
            note = data.get("result_label")
        if action == "assign":
            words = handoffs.trail_words(data, note, insider)
        else:
            words = handoffs.unit_words(action, data, note) if insider else None
        if words is not None:
            label, note = words
        if subject == "issue":
            label = _closure_label(action, label, data)
        entries.append(
            {
                "at": iso(e.at),
                "action": action,
                "label": label,
                "actor": actor,
                "note": note,
                "photos": photos_out(photo_ids, cache),
                "data": data,
            }
        )
    return entries


# --- wishes -----------------------------------------------------------------------------------


def wish_public(wish: Wish, cache=None) -> dict:
    alley = wish.alley
    return {
        "id": wish.id,
        "number": wish.number,
        "title": wish.title,
        "content": wish.content,
        "display_name": wish.display_name,
        "beneficiary_type": wish.beneficiary_type,
        "beneficiary_label": wish_flow.BENEFICIARY_TYPES[wish.beneficiary_type],
        "status": wish.status,
        "status_label": wish_flow.STATUS_LABELS[wish.status],
        "alley": {"id": alley.id, "name": alley.name},
        "photos": photos_out(wish.photo_ids, cache),
        "published_at": iso(wish.published_at),
        "claimed": wish.claimer_id is not None,
        "fulfilled_at": iso(wish.fulfilled_at),
    }


def wish_actions(p: Principal, wish: Wish) -> list[str]:
    manager = p.can_manage(wish.alley)
    author = wish_flow.is_author(p, wish)
    claimer = wish_flow.is_claimer(p, wish)
    filed = wish.created_by_steward_id in {s.id for s in p.stewards}
    who = {
        "approve": manager,
        "reject": manager,
        "claim": p.user is not None and bool(p.user.openid) and not author,
        "release": claimer or manager,
        "fulfil": claimer or manager,
        "confirm": author or filed,
    }
    return [a for a, ok in who.items() if ok and wish.status in wish_flow.ALLOWED_FROM[a]]


def wish_out(p: Principal, wish: Wish, timeline: bool = False, cache=None) -> dict:
    out = wish_public(wish, cache)
    private = wish_flow.can_view_private(p, wish)
    claimer = None
    if wish.claimer_id:
        claimer = wish_flow.CLAIMER_ROLES.get(wish.claimer_role or "volunteer", "志愿者")
    out.update(
        {
            "contact_phone": wish.contact_phone if private else None,
            "on_behalf_of": wish.on_behalf_of if private else None,
            "check_verdict": wish.check_verdict if p.can_manage(wish.alley) else None,
            "reject_reason": wish.reject_reason if private else None,
            "claimer": claimer,
            "claimer_role": wish.claimer_role,
            "claimed_at": iso(wish.claimed_at),
            "fulfil_note": wish.fulfil_note,
            "fulfil_photos": photos_out(wish.fulfil_photo_ids, cache),
            "rating": wish.rating,
            "rating_text": wish.rating_text,
            "closed_at": iso(wish.closed_at),
            "created_at": iso(wish.created_at),
            "is_mine": wish_flow.is_author(p, wish),
            "is_claimer": wish_flow.is_claimer(p, wish),
            "actions": wish_actions(p, wish),
        }
    )
    if timeline and private:
        # the author and the claimer read the trail as residents; staff and stewards by name
        insider = p.can_see(wish.alley)
        roles = {wish.claimer_id: claimer} if claimer and wish.claimer_id else None
        out["timeline"] = timeline_out("wish", wish.id, wish.author_id, True, cache, insider, roles)
    return out


# --- patrols ----------------------------------------------------------------------------------


def patrol_out(patrol: Patrol, steward: Steward, alley: Area, cache=None) -> dict:
    return {
        "id": patrol.id,
        "steward": _ref(steward),
        "alley": _ref(alley),
        "note": patrol.note,
        "photos": photos_out(patrol.photo_ids, cache),
        "location": patrol.location,
        "issue_id": patrol.issue_id,
        "created_at": iso(patrol.created_at),
    }
