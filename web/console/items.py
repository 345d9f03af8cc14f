"""待办审核, 诉求 and 微心愿: lists with filters, item pages, and the staff actions — each a
call of `core.items.issues` / `core.items.wishes` with the viewer's `Principal`, exactly as
the API and the bot make them. Items outside the viewer's area answer 404."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for

from core import paging
from core.figures import kept
from core.items import issues as issue_flow
from core.items import lists, queues
from core.items import wishes as wish_flow
from core.items.lists import IssueFilters, WishFilters
from core.items.presenters import issue_out, photos_out, public_preview, wish_out
from core.people import areas
from core.units import actions as unit_actions
from core.units import handling as unit_handling
from core.units import units as unit_core
from infra.errors import ApiError, bad_request
from infra.text import whole_number
from models import (
    ISSUE_STATUS_LABELS,
    PRIORITIES,
    WISH_STATUS_LABELS,
    Area,
    Department,
    Issue,
    Steward,
    StewardAlley,
    Wish,
)
from web.console import closures
from web.console.common import (
    bp,
    in_scope_or_404,
    login_required,
    number_arg,
    page_arg,
    principal,
    scope_key,
)

PER_PAGE = 30
NOTE_MAX = 500
PICKER_MAX = 300  # stewards listed in a filter menu; past it the filter is typed


def _note(name: str, required: bool = True) -> str | None:
    text = (request.form.get(name) or "").strip()
    if required and not text:
        raise bad_request("请填写原因或说明")
    if len(text) > NOTE_MAX:
        raise bad_request(f"说明不能超过 {NOTE_MAX} 字")
    return text or None


def _act(back: str, done: str, fn, *args):
    """Run one core action; its refusal (409, 400, 403) becomes a message on the page it came
    from, never an error page, so the staff member sees why and stays where they were."""
    try:
        fn(principal(), *args)
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    else:
        flash(done, "ok")
    return redirect(back)


def _issue_in_scope(issue_id: int) -> Issue:
    issue = Issue.get_or_none(Issue.id == issue_id)
    if issue is None:
        abort(404)
    in_scope_or_404(issue.alley)
    return issue


def _wish_in_scope(wish_id: int) -> Wish:
    wish = Wish.get_or_none(Wish.id == wish_id)
    if wish is None:
        abort(404)
    in_scope_or_404(wish.alley)
    return wish


def _back(default: str) -> str:
    target = request.form.get("back", "")
    return target if target.startswith("/console/") else default


# --- 待办审核 ---------------------------------------------------------------------------------


@bp.route("/review")
@login_required
def review():
    """The `review` and `held` queues of `core.items.queues`, every row: what the bot's 待办
    and the dashboard count. Only these two are read: the to-do's other queues (超期, 已上报,
    已吹哨) are not on this page, and read whole they were most of its time at district scale."""
    p = principal()
    return render_template(
        "console/review.html",
        wishes=[(w, photos_out(w.photo_ids)) for w in queues.staff_query("review", p)],
        held=[(i, photos_out(i.photo_ids)) for i in queues.staff_query("held", p)],
    )


@bp.route("/wishes/<int:wish_id>/approve", methods=["POST"])
@login_required
def approve_wish(wish_id: int):
    wish = _wish_in_scope(wish_id)
    back = _back(url_for("console.review"))
    return _act(back, f"心愿 {wish.number} 已通过审核，已上心愿墙", wish_flow.approve, wish_id)


@bp.route("/wishes/<int:wish_id>/reject", methods=["POST"])
@login_required
def reject_wish(wish_id: int):
    wish = _wish_in_scope(wish_id)
    back = _back(url_for("console.review"))
    try:
        reason = _note("reason")
    except ApiError as exc:
        flash(f"驳回心愿 {wish.number}：{exc.message}", "error")
        return redirect(back)
    return _act(
        back, f"心愿 {wish.number} 已驳回，原因会告知提交人", wish_flow.reject, wish_id, reason
    )


@bp.route("/wishes/<int:wish_id>/withdraw", methods=["POST"])
@login_required
def withdraw_wish(wish_id: int):
    """撤下心愿墙 with a reason (the author is told it)."""
    wish = _wish_in_scope(wish_id)
    back = url_for("console.wish_page", wish_id=wish_id)
    try:
        reason = _note("reason")
    except ApiError as exc:
        flash(f"撤下心愿 {wish.number}：{exc.message}", "error")
        return redirect(back)
    done = f"心愿 {wish.number} 已撤下心愿墙，原因会告知提交人"
    return _act(back, done, wish_flow.withdraw, wish_id, reason)


@bp.route("/issues/<int:issue_id>/publish")
@login_required
def publish_confirm(issue_id: int):
    """Before 公开: exactly what the board and the scan page will show (text and photos), and
    what they never show; the confirm button posts to `moderate_issue`."""
    issue = _issue_in_scope(issue_id)
    return render_template(
        "console/publish_confirm.html",
        issue=issue,
        shown=public_preview(issue),
        back=_safe_back(request.args.get("back", ""), issue_id),
    )


def _safe_back(target: str, issue_id: int) -> str:
    """Where the confirmation returns to: a console page, never another site."""
    if target.startswith("/console/") and not target.startswith("/console//"):
        return target
    return url_for("console.issue_page", issue_id=issue_id)


@bp.route("/issues/<int:issue_id>/moderate", methods=["POST"])
@login_required
def moderate_issue(issue_id: int):
    issue = _issue_in_scope(issue_id)
    publish = request.form.get("publish") == "1"
    if publish and request.form.get("confirmed") != "1":
        # 公开 only from the confirmation page, which shows what becomes public
        return redirect(url_for("console.publish_confirm", issue_id=issue_id))
    done = f"诉求 {issue.number} " + ("已公开" if publish else "不公开，仅工作人员和相关人员可见")
    back = _back(url_for("console.review"))
    return _act(back, done, issue_flow.moderate, issue_id, publish, _note("note", False))


# --- 诉求 -----------------------------------------------------------------------------------


def _alleys_in_scope() -> list[Area]:
    """The 诉求 and 微心愿 lists' alley filter: every alley the viewer may read items of (closed
    ones too: their old items stay findable; a steward's own alleys too), in natural order.
    Kept per worker between changes as the other pickers are (`core.figures.kept`): a street's
    two hundred alleys were read and sorted on every request of its busiest list. Shared by
    every request with that scope: read it, never change it."""
    p = principal()
    key = scope_key(p)

    def read() -> list[Area]:
        query = Area.select().where(p.area_condition(Area) & (Area.kind == "alley"))
        return areas.in_natural_order(list(query))

    return kept.kept("console.item_list_alleys", key, read).value


def _stewards_query(within: Area | None = None):
    """Serving stewards of the viewer's alleys (under `within` when given), by name."""
    p = principal()
    cond = p.area_condition(Area) & (Area.kind == "alley")
    if within is not None:
        cond &= Area.path.startswith(within.path)
    return (
        Steward.select()
        .join(StewardAlley)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(cond & Steward.active)
        .distinct()
        .order_by(Steward.name)
    )


def _stewards_in_scope(within: Area | None = None) -> list[Steward]:
    return list(_stewards_query(within))


def _steward_menu() -> list[tuple[int, str]] | None:
    """The 诉求 list's 管家 filter: the serving stewards in scope, (id, name), by name; None
    past PICKER_MAX (a street has thousands: the filter is then a typed name with suggestions,
    console.js). Whether the menu overflows is learnt from the first PICKER_MAX + 1 ids, unsorted,
    before any name is read: sorting a street's 5,000 names only to drop them cost ~20 ms a
    request, and building whole rows (JSON columns and all) for a menu ~30 ms. Kept per scope
    between changes as the alley filter is (an import, a dismissal or a binding writes an
    event); shared by every request with that scope: read it, never change it."""
    p = principal()
    key = scope_key(p)

    def read() -> list[tuple[int, str]] | None:
        query = _stewards_query()
        first = query.order_by().select(Steward.id).limit(PICKER_MAX + 1).tuples()
        if len(list(first)) > PICKER_MAX:
            return None
        return list(query.select(Steward.id, Steward.name).tuples())

    return kept.kept("console.item_list_stewards", key, read).value


def _community_of(alley: Area) -> Area:
    return next((a for a in alley.ancestors() if a.kind == "community"), alley)


def _period() -> tuple[date | None, date | None]:
    """`?from=&to=` as local days; a bad one is said on the page and left out."""
    try:
        first = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        last = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        flash("日期格式应为 年-月-日", "error")
        return None, None
    return first, last


def _page(q):
    """One page of `q` and its count, bounded (`core.paging`): a street's list has a million
    items and the page says "1,000+ 条" past the cap rather than counting them all."""
    page = page_arg()
    return paging.page_of(q, page, PER_PAGE), paging.bounded_count(q, page, PER_PAGE), page


@bp.route("/issues")
@login_required
def issues():
    args = request.args
    within = None
    if number_arg("area") is not None:
        within = Area.get_or_none(Area.id == number_arg("area"))
        if within is None:
            abort(404)
    status = args.get("status", "")
    first, last = _period()
    filters = IssueFilters(
        scope="area",
        status=status if status == "open" or status in ISSUE_STATUS_LABELS else None,
        overdue=True if args.get("overdue") == "1" else None,
        within=within,
        alley_id=number_arg("alley"),
        category=args.get("category") if args.get("category") in issue_flow.categories() else None,
        steward_id=number_arg("steward"),
        created_from=first,
        created_to=last,
        text=args.get("q"),
    )
    rows, count, page = _page(
        lists.list_rows(lists.issue_list(principal(), filters), lists.ISSUE_ROW)
    )
    return render_template(
        "console/issues.html",
        rows=rows,
        total=count.total,
        more=count.more,
        page=page,
        per_page=PER_PAGE,
        args=args,
        statuses=ISSUE_STATUS_LABELS,
        categories=issue_flow.categories(),
        alleys=_alleys_in_scope(),
        stewards=_steward_menu(),
        is_overdue=issue_flow.is_overdue,
    )


def issue_html(issue: Issue, *, status: int = 200, error: str | None = None, form=None):
    """An issue's page for staff; drawn again with `error` and the refusal's `status` when a
    form on it was refused (web.console.unit_items)."""
    p = principal()
    out = issue_out(p, issue, timeline=True)
    html = render_template(
        "console/issue.html",
        issue=issue,
        i=out,
        alley=issue.alley,
        # dispatch within the item's community: its stewards, not the whole street's
        stewards=_stewards_in_scope(within=_community_of(issue.alley)),
        units=unit_core.whistle_targets(issue),
        kinds=unit_core.KIND_LABELS,
        unit=Department.get_or_none(Department.id == issue.department_id),
        pending=unit_actions.pending_extension(issue) if issue.status == "whistled" else None,
        priorities={k: issue_flow.PRIORITY_LABELS[k] for k in PRIORITIES},
        tier_days=unit_handling.tier_days(),
        error=error,
        form=form or {},
        **closures.issue_page_extras(issue),  # the resolve and merge forms
    )
    return html, status


@bp.route("/issues/<int:issue_id>")
@login_required
def issue_page(issue_id: int):
    return issue_html(_issue_in_scope(issue_id))


@bp.route("/issues/<int:issue_id>/<action>", methods=["POST"])
@login_required
def issue_action(issue_id: int, action: str):
    issue = _issue_in_scope(issue_id)
    back = url_for("console.issue_page", issue_id=issue_id)
    try:
        if action == "assign":
            ids = [whole_number(x) for x in request.form.getlist("steward_ids")]
            ids = [i for i in ids if i is not None] or None
            priority = request.form.get("priority") or None
            return _act(
                back,
                "已派单 / 已调整紧急程度",
                issue_flow.assign,
                issue_id,
                ids,
                priority,
                _note("note", False),
            )
        if action == "escalate":
            return _act(back, "已上报社区", issue_flow.escalate, issue_id, _note("note"))
        if action == "cancel":
            return _act(
                back, f"诉求 {issue.number} 已撤销", issue_flow.cancel, issue_id, _note("reason")
            )
        if action == "comment":
            return _act(back, "留言已发送", issue_flow.comment, issue_id, _note("text"))
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(back)
    abort(404)


# --- 微心愿 -----------------------------------------------------------------------------------


@bp.route("/wishes")
@login_required
def wishes():
    args = request.args
    first, last = _period()
    filters = WishFilters(
        scope="area",
        status=args["status"] if args.get("status") in WISH_STATUS_LABELS else None,
        alley_id=number_arg("alley"),
        created_from=first,
        created_to=last,
        text=args.get("q"),
    )
    rows, count, page = _page(
        lists.list_rows(lists.wish_list(principal(), filters), lists.WISH_ROW)
    )
    return render_template(
        "console/wishes.html",
        rows=rows,
        total=count.total,
        more=count.more,
        page=page,
        per_page=PER_PAGE,
        args=args,
        statuses=WISH_STATUS_LABELS,
        alleys=_alleys_in_scope(),
    )


@bp.route("/wishes/<int:wish_id>")
@login_required
def wish_page(wish_id: int):
    wish = _wish_in_scope(wish_id)
    p = principal()
    can_withdraw = wish.status in wish_flow.ALLOWED_FROM["withdraw"] and p.can_manage(wish.alley)
    return render_template(
        "console/wish.html",
        wish=wish,
        w=wish_out(p, wish, timeline=True),
        can_withdraw=can_withdraw,
        note_max=NOTE_MAX,
    )
