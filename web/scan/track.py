"""The submitter's private tracking page `/t/<token>`: status, rating, reopening."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from core.boards.public import alley_stewards
from core.items import issues as issue_flow
from core.items import wishes as wish_flow
from core.items.lifecycle import tracking_hash
from core.items.presenters import issue_out, timeline_out, wish_out
from core.people.permissions import Principal
from infra.errors import ApiError
from infra.timeutil import utcnow
from models import Board, Issue, Wish
from web.scan.common import (
    MAX_TOKEN_CHARS,
    NOTE_MAX,
    bp,
    form_text,
    form_value,
    message_page,
    private_headers,
)

# --- the private tracking page ----------------------------------------------------------------


def _item_for_token(token: str):
    """("issue", Issue) or ("wish", Wish) behind a tracking token, or (None, None)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None, None
    digest = tracking_hash(token)
    issue = Issue.get_or_none(Issue.tracking_token_hash == digest)
    if issue is not None:
        return "issue", issue
    wish = Wish.get_or_none(Wish.tracking_token_hash == digest)
    if wish is not None:
        return "wish", wish
    return None, None


def _invalid_link_page():
    return message_page(
        404,
        "链接无效",
        "这个跟踪链接不完整或不存在。请检查是否复制完整；如已遗失，可在公示牌页面用手机号查询，"
        "或拨打公示牌上管家的电话。",
    )


def _can_reopen(issue: Issue) -> bool:
    if issue.status != "resolved" or issue.resolved_at is None:
        return False
    window = timedelta(days=int(current_app.config["REOPEN_WINDOW_DAYS"]))
    return utcnow() - issue.resolved_at <= window


def _stewards_to_call(kind: str, item) -> list[dict]:
    """Who the submitter can phone: the issue's own stewards, else the alley's (public, as on
    the board)."""
    if kind == "issue":
        mine = [{"name": s.name, "phone": s.phone} for s in item.assigned_stewards() if s.active]
        if mine:
            return mine
    return [{"name": s["name"], "phone": s["phone"]} for s in alley_stewards(item.alley)]


def _render_track(token: str, kind: str, item, errors=None, values=None, status=200, notice=None):
    anon = Principal.anonymous()
    if kind == "issue":
        data = issue_out(anon, item, timeline=True, submitter=True)
        actions = {
            "rate": item.status in issue_flow.ALLOWED_FROM["rate"],
            "reopen": _can_reopen(item),
        }
    else:
        data = wish_out(anon, item)
        # the submitter's page: roles and units, never staff's account names
        data["timeline"] = timeline_out("wish", item.id, item.author_id, True, insider=False)
        actions = {"confirm": item.status in wish_flow.ALLOWED_FROM["confirm"]}
    board = Board.get_or_none((Board.alley == item.alley_id) & Board.active)
    html = render_template(
        "scan/track.html",
        stewards=_stewards_to_call(kind, item),
        kind=kind,
        item=data,
        token=token,
        actions=actions,
        errors=errors or {},
        values=values or {},
        notice=notice,
        is_new=request.args.get("new") == "1",
        public_link=f"{current_app.config['PUBLIC_BASE_URL']}/t/{token}",
        board=board,
        alley_name=item.alley.name,
    )
    return private_headers(Response(html, status=status, mimetype="text/html"))


@bp.get("/t/<token>")
def track(token: str):
    kind, item = _item_for_token(token)
    if item is None:
        html, status = _invalid_link_page()
        return private_headers(Response(html, status=status, mimetype="text/html"))
    return _render_track(token, kind, item)


def _score(values: dict, errors: dict) -> int | None:
    raw = form_value("score")
    values["score"] = raw
    if raw not in {"1", "2", "3", "4", "5"}:
        errors["score"] = "请选择 1 到 5 颗星"
        return None
    return int(raw)


@bp.post("/t/<token>/rate")
def rate(token: str):
    """Rate a resolved issue, or confirm a fulfilled wish, with the tracking link."""
    kind, item = _item_for_token(token)
    if item is None:
        html, status = _invalid_link_page()
        return private_headers(Response(html, status=status, mimetype="text/html"))
    values: dict = {}
    errors: dict = {}
    score = _score(values, errors)
    text = form_text(values, errors, "text", "评价", NOTE_MAX, required=False) or None
    if errors:
        return _render_track(token, kind, item, errors, values, status=400)
    try:
        if kind == "issue":
            issue_flow.rate(Principal.anonymous(), item.id, score, text, tracking_token=token)
        else:
            wish_flow.confirm(Principal.anonymous(), item.id, score, text, tracking_token=token)
    except ApiError as err:
        item = type(item).get_by_id(item.id)
        return _render_track(token, kind, item, status=err.status, notice=err.message)
    return redirect(url_for("scan.track", token=token, _anchor="status"), 303)


@bp.post("/t/<token>/reopen")
def reopen(token: str):
    kind, item = _item_for_token(token)
    if kind != "issue":
        html, status = _invalid_link_page()
        return private_headers(Response(html, status=status, mimetype="text/html"))
    values: dict = {}
    errors: dict = {}
    reason = form_text(values, errors, "reason", "没有解决的原因", NOTE_MAX)
    if errors:
        return _render_track(token, kind, item, errors, values, status=400)
    try:
        issue_flow.reopen(Principal.anonymous(), item.id, reason, tracking_token=token)
    except ApiError as err:
        item = Issue.get_by_id(item.id)
        return _render_track(token, kind, item, status=err.status, notice=err.message)
    return redirect(url_for("scan.track", token=token, _anchor="status"), 303)
