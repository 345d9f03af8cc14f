"""Closing items in the console: 办结 with its outcome chosen explicitly (and a 常用回复 to start
the text from), 合并重复诉求, and the community's 常用回复 kept by its staff at
/console/reply-templates. Each is a call of the same `core` function the API and the bot make
(`core.items.issues.resolve`, `core.items.merge`, `core.items.reply_templates`), which checks
and audits it; a refusal is said on the page the form came from."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.items import issues as issue_flow
from core.items import merge as merge_flow
from core.items import outcomes
from core.items import reply_templates as templates
from infra.errors import ApiError
from models import Area, Issue, ReplyTemplate
from web.console.common import bp, in_scope_or_404, login_required, number_arg, principal

NOTE_MAX = 500
# The outcomes the resolve form offers (a duplicate is merged with its own form).
RESOLVE_CHOICES = {k: v for k, v in outcomes.NAMES.items() if k != outcomes.DUPLICATE}


def _issue(issue_id: int) -> Issue:
    issue = Issue.get_or_none(Issue.id == issue_id)
    if issue is None:
        abort(404)
    in_scope_or_404(issue.alley)
    return issue


def _fields_text(exc: ApiError) -> str:
    return exc.message + "".join(f"（{v}）" for v in exc.fields.values() if v not in exc.message)


def _template_text(issue: Issue) -> str | None:
    """The text of the 常用回复 chosen (of the item's community), when no note was written."""
    chosen = number_arg("template_id", request.form)
    if chosen is None:
        return None
    t = ReplyTemplate.get_or_none(
        (ReplyTemplate.id == chosen) & (ReplyTemplate.community == issue.community_id)
    )
    return t.text if t is not None else None


@bp.route("/issues/<int:issue_id>/resolve", methods=["POST"])
@login_required
def resolve_issue(issue_id: int):
    issue = _issue(issue_id)
    back = url_for("console.issue_page", issue_id=issue_id)
    outcome = request.form.get("outcome") or ""
    note = (request.form.get("note") or "").strip() or _template_text(issue) or ""
    try:
        if not outcome:  # asked explicitly: no default on the form
            raise ApiError(400, "bad_request", "请选择办结结果", {"outcome": "必选"})
        if not note:
            raise ApiError(
                400, "bad_request", "请填写办结说明，或选择一条常用回复", {"note": "必填"}
            )
        if len(note) > NOTE_MAX:
            raise ApiError(400, "bad_request", f"办结说明不能超过 {NOTE_MAX} 字", {"note": "过长"})
        level = request.form.get("level") or None
        issue_flow.resolve(principal(), issue_id, note, None, level, outcome=outcome)
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        flash(f"未能办结：{_fields_text(exc)}", "error")
    else:
        done = Issue.get_by_id(issue_id)
        flash(f"诉求 {issue.number} 已办结：{outcomes.plain_words(done.outcome, note)}", "ok")
    return redirect(back)


@bp.route("/issues/<int:issue_id>/merge", methods=["POST"])
@login_required
def merge_issue(issue_id: int):
    issue = _issue(issue_id)
    back = url_for("console.issue_page", issue_id=issue_id)
    into = number_arg("into", request.form)
    try:
        if into is None:
            raise ApiError(400, "bad_request", "请填写原诉求的编号（#后的数字）", {"into": "必填"})
        note = (request.form.get("note") or "").strip() or None
        merge_flow.merge(principal(), issue_id, into, note)
    except ApiError as exc:
        if exc.status == 404 and "into" not in exc.fields:
            abort(404)
        flash(f"未能合并：{_fields_text(exc)}", "error")
    else:
        flash(f"诉求 {issue.number} 已合并到 #{into}，反映人改为跟进原诉求", "ok")
    return redirect(back)


# --- 常用回复 -------------------------------------------------------------------------------


@bp.route("/reply-templates", methods=["GET", "POST"])
@login_required
def reply_templates_page():
    p = principal()
    if request.method == "POST":
        try:
            t = templates.create(
                p,
                number_arg("community", request.form) or 0,
                request.form.get("title"),
                request.form.get("text"),
                request.form.get("outcome") or None,
            )
        except ApiError as exc:
            flash(_fields_text(exc), "error")
        else:
            flash(f"已添加常用回复“{t.title}”，办结时可以选用", "ok")
        return redirect(url_for("console.reply_templates_page"))
    communities = [a for a in templates.communities_of(p) if p.can_manage(a)]
    rows = templates.listing(p) if communities else []
    names = {a.id: a.name for a in communities}
    return render_template(
        "console/reply_templates.html",
        rows=[t for t in rows if t.community_id in names],
        names=names,
        communities=communities,
        choices=RESOLVE_CHOICES,
        editing=number_arg("edit"),
    )


@bp.route("/reply-templates/<int:template_id>", methods=["POST"])
@login_required
def reply_template_update(template_id: int):
    p = principal()
    try:
        if request.form.get("delete") == "1":
            templates.delete(p, template_id)
            flash("已删除该常用回复", "ok")
        else:
            t = templates.update(
                p,
                template_id,
                request.form.get("title"),
                request.form.get("text"),
                request.form.get("outcome") or None,
            )
            flash(f"已保存常用回复“{t.title}”", "ok")
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        flash(_fields_text(exc), "error")
        return redirect(url_for("console.reply_templates_page", edit=template_id))
    return redirect(url_for("console.reply_templates_page"))


def issue_page_extras(issue: Issue) -> dict:
    """What the item page's resolve and merge forms offer (`web.console.items.issue_page`)."""
    community = Area.get_or_none(Area.id == issue.community_id)
    rows = templates.listing(principal(), issue_id=issue.id) if community else []
    return {"reply_templates": rows, "outcome_choices": RESOLVE_CHOICES}
