"""代居民登记 /console/issues/new: staff register an item for a resident — a 12345 hotline
ticket, a phone call, a visit, a grid worker's find — with the resident's name and phone
(private), the alley, category, words and photos. One call of `core.items.on_behalf.register`,
as the API makes it; the item then runs the workflow of a scanned report.

The form's own fields are checked first (`on_behalf.validate`), so the photos of a form that
would be refused anyway are never stored. A refusal keeps what was typed and says why; a
ticket number already registered in the street links to the item it was registered as.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from core import media
from core.items import issues as issue_flow
from core.items import on_behalf
from core.items.lifecycle import MAX_PHOTOS
from core.people import areas
from infra.errors import ApiError
from models import Area, Issue
from web.console.common import bp, login_required, number_arg, principal

CONTENT_MAX = 1000
# The form's words for the fields a refusal names: "居民电话：请填写正确的手机号…".
FIELD_LABELS = {
    "source": "来源",
    "ticket_no": "12345 工单号",
    "ticket_deadline": "转办期限",
    "contact_name": "居民姓名",
    "contact_phone": "居民电话",
    "alley_id": "街巷",
    "category": "问题类别",
    "content": "问题描述",
    "photos": "照片",
    "photo_ids": "照片",
}


def _alleys() -> list[Area]:
    p = principal()
    return areas.in_natural_order(
        list(Area.select().where(p.area_condition(Area) & (Area.kind == "alley")))
    )


def _message(exc: ApiError) -> str:
    """The refusal as one line: the form's name of its field, the message, then what the
    field says when that adds to it."""
    labels = [FIELD_LABELS[k] for k in exc.fields if k in FIELD_LABELS]
    extra = [v for v in exc.fields.values() if v and v not in exc.message]
    words = "：".join([exc.message, *extra[:1]])
    return f"{labels[0]}：{words}" if labels and not words.startswith(labels[0]) else words


def _photos() -> list[int]:
    """The form's photos stored as the staff member's own uploads (EXIF stripped, re-encoded):
    what `issues.create` then lets them attach."""
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(files) > MAX_PHOTOS:
        raise ApiError(
            400, "validation_error", f"照片最多 {MAX_PHOTOS} 张", {"photos": "最多 9 张"}
        )
    return [media.save_image(f.read(), principal().user).id for f in files]


def _register(form) -> Issue:
    p = principal()
    alley = Area.get_or_none((Area.id == number_arg("alley_id", form)) & (Area.kind == "alley"))
    if alley is None:
        raise ApiError(400, "validation_error", "请选择街巷", {"alley_id": "请选择街巷"})
    fields = {
        "source": form.get("source", ""),
        "ticket_no": form.get("ticket_no"),
        "ticket_deadline": form.get("ticket_deadline"),
        "contact_name": form.get("contact_name"),
        "contact_phone": form.get("contact_phone"),
    }
    on_behalf.validate(p, alley, **fields)
    issue_flow.check_category(form.get("category", ""))
    content = (form.get("content") or "").strip()
    if not content:
        raise ApiError(400, "validation_error", "请填写诉求内容", {"content": "请填写诉求内容"})
    if len(content) > CONTENT_MAX:
        raise ApiError(400, "validation_error", f"诉求内容不能超过 {CONTENT_MAX} 字", {})
    issue = on_behalf.register(
        p,
        alley=alley,
        category=form["category"],
        content=content,
        photo_ids=_photos(),
        **fields,
    ).issue
    return issue


@bp.route("/issues/new", methods=["GET", "POST"])
@login_required
def issue_new():
    duplicate, status = None, 200
    if request.method == "POST":
        try:
            issue = _register(request.form)
        except on_behalf.DuplicateTicket as exc:
            duplicate, status = exc.first, exc.status  # said with a link to the first
        except ApiError as exc:
            flash(_message(exc), "error")
            status = exc.status
        else:
            flash(f"已登记为诉求 {issue.number}，已派给该街巷的管家", "ok")
            return redirect(url_for("console.issue_page", issue_id=issue.id))
    return render_template(
        "console/issue_new.html",
        alleys=_alleys(),
        categories=issue_flow.categories(),
        sources=on_behalf.SOURCE_LABELS,
        form=request.form,
        duplicate=duplicate,
        max_photos=MAX_PHOTOS,
    ), status
