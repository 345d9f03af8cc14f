"""The board page `/b/<code>` and its two forms (report a problem, post a wish)."""

from __future__ import annotations

import secrets
from functools import partial

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from core import media, ratelimit
from core.boards.public import board_view
from core.items import issues as issue_flow
from core.items import wishes as wish_flow
from core.items.lifecycle import MAX_PHOTOS
from core.items.presenters import photos_out
from core.people.permissions import Principal
from infra import codes
from infra.errors import ApiError
from models import Board, Media
from web.scan.common import (
    CONTENT_MAX,
    MAX_CODE_CHARS,
    board_gate,
    bp,
    clean_phone,
    form_text,
    form_value,
    limit_for,
    scanned_board,
    sign_photo,
    unsign_photo,
    wait_text,
)

# --- the board page -------------------------------------------------------------------------


def _new_form() -> dict:
    """A form's state: what was typed, the errors by field, the photos already uploaded."""
    return {"typed": {}, "errors": {}, "kept": []}


def _empty_forms() -> dict:
    return {"issue": _new_form(), "wish": _new_form()}


def _board_context(board: Board, view: dict | None = None) -> dict:
    return {
        "board": board,
        "view": view or board_view(board.code),
        "categories": list(issue_flow.categories()),
        "beneficiary_types": wish_flow.BENEFICIARY_TYPES,
    }


@bp.get("/b/<code>")
def board_page(code: str):
    entry, page = scanned_board(code)
    if page:
        return page
    # The page is the same for everyone who scans the board: rendered once per cached view.
    html = entry.memo.get("page")
    if html is None:
        html = entry.memo["page"] = render_template(
            "scan/board.html", forms=_empty_forms(), **_board_context(entry.board, entry.view)
        )
    return html


@bp.get("/b/")
def board_by_typed_code():
    """The box on the "找不到该公示牌" page: a code typed off the board (any case, spaces or
    full-width characters) leads to its page."""
    code = codes.normalize(request.args.get("code", ""))[:MAX_CODE_CHARS]
    if not code:
        return board_gate("")[1]
    return redirect(url_for("scan.board_page", code=code), 303)


@bp.get("/b/<code>/issues")
@bp.get("/b/<code>/wishes")
def form_get(code: str):
    """A refreshed error page or a shared link lands on the board's forms."""
    anchor = "wish" if request.path.endswith("/wishes") else "report"
    return redirect(url_for("scan.board_page", code=code, _anchor=anchor), 303)


def _read_photos(form: dict) -> list[int]:
    """Keep what uploaded before (signed ids), save the new files; errors go to the form."""
    kept_ids = []
    for value in request.form.getlist("kept_photo")[:MAX_PHOTOS]:
        media_id = unsign_photo(value)
        if media_id is not None and media_id not in kept_ids:
            kept_ids.append(media_id)
    found = {m.id: m for m in Media.select().where(Media.id.in_(kept_ids))} if kept_ids else {}
    kept_ids = [i for i in kept_ids if i in found]
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(kept_ids) + len(uploads) > MAX_PHOTOS:
        form["errors"]["photos"] = f"最多上传 {MAX_PHOTOS} 张照片，请少选几张"
        uploads = []
    problems = []
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    for index, upload in enumerate(uploads, start=1):
        name = (upload.filename or f"第{index}张")[-40:]
        data = upload.stream.read(limit + 1)
        if not data:
            problems.append(f"“{name}”是空文件")
            continue
        try:
            saved = media.save_image(data, None)
        except ApiError as err:
            problems.append(f"“{name}”：{err.message}")
            continue
        if saved.id not in kept_ids:
            kept_ids.append(saved.id)
    if problems:
        kept_note = "其余照片已保留，" if kept_ids else ""
        form["errors"]["photos"] = "；".join(problems) + f"。{kept_note}请重新选择。"
    form["kept"] = [
        {"signed": sign_photo(p["id"]), **p} for p in photos_out(kept_ids, cache=dict(found))
    ]
    return kept_ids


def _form_failed(board: Board, kind: str, form: dict, status: int, banner: str | None = None):
    forms = _empty_forms()
    forms[kind] = form
    html = render_template(
        "scan/form_page.html",
        kind=kind,
        forms=forms,
        banner=banner,
        **_board_context(board),
    )
    return html, status


def _rate_limited(board: Board, kind: str, form: dict):
    limit, window = limit_for("submit")
    wait = ratelimit.retry_after(window)
    banner = f"提交太频繁了：每 {wait_text(window)}最多提交 {limit} 次。请 {wait_text(wait)}后再提交，已填写的内容还在下面。"
    html, status = _form_failed(board, kind, form, 429, banner)
    return html, status, {"Retry-After": str(wait)}


def _submit_allowed() -> bool:
    limit, window = limit_for("submit")
    return ratelimit.hit(ratelimit.client_key("scan_submit"), limit, window)


def _map_api_error(err: ApiError, form: dict, field_map: dict) -> str | None:
    for field, message in (err.fields or {}).items():
        form["errors"][field_map.get(field, field)] = message
    return None if err.fields else err.message


def _submit(board: Board, kind: str, form: dict, create) -> Response:
    """What both forms share after reading their own fields: the contact phone, the rate limit
    (counted before any photo is decoded: the uploads are what costs the server), the photos,
    errors next to the fields with the typed text kept, and the redirect to the tracking link.
    `create` is the workflow call, completed with photo_ids, contact_phone, tracking_token."""
    values, errors = form["typed"], form["errors"]
    values["contact_phone"] = form_value("contact_phone")
    phone, phone_error = clean_phone(values["contact_phone"])
    if phone_error:
        errors["contact_phone"] = phone_error
    if not _submit_allowed():
        _read_kept_only(form)
        return _rate_limited(board, kind, form)
    photo_ids = _read_photos(form)
    if errors:
        return _form_failed(board, kind, form, 400, "请按提示修改后再提交")
    token = secrets.token_urlsafe(24)
    try:
        create(photo_ids=photo_ids, contact_phone=phone, tracking_token=token)
    except ApiError as err:
        banner = _map_api_error(err, form, {"photo_ids": "photos"})
        return _form_failed(board, kind, form, err.status, banner or "请按提示修改后再提交")
    return redirect(url_for("scan.track", token=token, new=1, _anchor="created"), 303)


@bp.post("/b/<code>/issues")
def submit_issue(code: str):
    board, page = board_gate(code)
    if page:
        return page
    form = _new_form()
    values, errors = form["typed"], form["errors"]
    category = form_value("category")
    values["category"] = category
    if category not in issue_flow.categories():
        errors["category"] = "请选择问题类别"
    content = form_text(values, errors, "content", "问题描述", CONTENT_MAX)
    create = partial(
        issue_flow.create,
        Principal.anonymous(),
        alley=board.alley,
        board=board,
        category=category,
        content=content,
        source="web",
    )
    return _submit(board, "issue", form, create)


@bp.post("/b/<code>/wishes")
def submit_wish(code: str):
    board, page = board_gate(code)
    if page:
        return page
    form = _new_form()
    values, errors = form["typed"], form["errors"]
    kind = form_value("beneficiary_type")
    values["beneficiary_type"] = kind
    if kind not in wish_flow.BENEFICIARY_TYPES:
        errors["beneficiary_type"] = "请选择心愿对象"
    create = partial(
        wish_flow.create,
        Principal.anonymous(),
        alley=board.alley,
        beneficiary_type=kind,
        display_name=form_text(values, errors, "display_name", "心愿墙上显示的称呼", 20),
        title=form_text(values, errors, "title", "心愿标题", 40),
        content=form_text(values, errors, "content", "心愿内容", CONTENT_MAX),
    )
    return _submit(board, "wish", form, create)


def _read_kept_only(form: dict) -> None:
    """On a refused (rate-limited) submission keep the earlier photos but decode no new ones."""
    kept_ids = [
        i
        for i in (unsign_photo(v) for v in request.form.getlist("kept_photo")[:MAX_PHOTOS])
        if i is not None
    ]
    form["kept"] = [{"signed": sign_photo(p["id"]), **p} for p in photos_out(kept_ids)]
    if request.files.getlist("photos") and any(f.filename for f in request.files.getlist("photos")):
        form["errors"].setdefault("photos", "本次选择的照片未上传，请稍后重新选择")
