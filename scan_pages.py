"""The scan page: what a signboard's QR code (`{PUBLIC_BASE_URL}/b/{code}`) opens in a browser.

Outside WeChat — and inside WeChat until the mini program's scan rule is published — this is
the alley's page: stewards (tap to call), live figures, recent items and the wish wall (the
same public data as `GET /api/v1/boards/{code}`), and two plain multipart forms to report a
problem or post a micro-wish. No login: the submitter gets a private tracking link
(`/t/{token}`, only the token's SHA-256 is stored) to follow the item, rate it or confirm it.

Rules this module keeps:
* Items change only through `core.issues` / `core.wishes`, with `Principal.anonymous()` and
  the tracking token standing in for the reporter's login.
* Everything works without JavaScript; `static/scan.js` only adds previews and early checks.
* A failed submission re-renders the form with the typed text, the photos that did upload
  (carried as signed ids, so nobody can attach another person's photo by guessing ids) and
  a Chinese message next to each field.
* Scans are counted per board and local day, nothing else: no address, no cookie.
* Submissions and phone look-ups are rate-limited per client (`core.ratelimit`).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from peewee import DatabaseError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from core import boards, items, media, phones, ratelimit
from core import issues as issue_flow
from core import wishes as wish_flow
from core.errors import ApiError
from core.permissions import Principal
from core.timeutil import to_local, utcnow
from miniprogram_api.boards import board_view, community_of
from miniprogram_api.serializers import issue_out, photos_out, timeline_out, wish_out
from models import Board, Issue, Media, ScanDaily, Wish

log = logging.getLogger(__name__)

bp = Blueprint("scan", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_CODE_CHARS = 32  # board codes are 8; anything far longer is not worth a query
MAX_TOKEN_CHARS = 64
CONTENT_MAX = 1000
NOTE_MAX = 500
KEPT_PHOTO_MAX_AGE = 24 * 3600  # a form left open over lunch still keeps its photos
MINE_MAX_ROWS = 30
SUBMIT_ENDPOINTS = {"scan.submit_issue", "scan.submit_wish"}


# --- small helpers --------------------------------------------------------------------------


def _message_page(status: int, title: str, text: str, phone: str | None = None, **extra):
    html = render_template("scan/message.html", title=title, text=text, phone=phone, **extra)
    return html, status


def _not_found_page():
    return _message_page(
        404,
        "找不到该公示牌",
        "二维码可能印错或已损坏。请核对公示牌上的编码，或直接拨打公示牌上管家的电话。",
    )


def _retired_page(board: Board):
    community = community_of(board.alley)
    phone = community.phone if community and community.phone else None
    name = community.name if community else "所在社区"
    return _message_page(
        410,
        "该公示牌已停用",
        f"这块公示牌已经停用，新的公示牌会张贴在附近。如需反映问题，请联系{name}。",
        phone=phone,
    )


def _board_gate(code: str, count: bool = False):
    """(board, None) for an active board; (None, page) for an unknown or retired one."""
    board = boards.by_code(code) if len(code) <= MAX_CODE_CHARS else None
    if board is None:
        return None, _not_found_page()
    if count:
        _count_scan(board)
    if not board.active:
        return None, _retired_page(board)
    return board, None


def _count_scan(board: Board) -> None:
    """One more scan of `board` today (local day). An atomic upsert: concurrent scans on
    several workers never lose a count or collide on the (board, day) unique index."""
    day = to_local(utcnow()).date()
    try:
        ScanDaily.insert(board=board, day=day, count=1).on_conflict(
            conflict_target=[ScanDaily.board, ScanDaily.day],
            update={ScanDaily.count: ScanDaily.count + 1},
        ).execute()
    except DatabaseError:
        # A statistic must never cost a resident the page.
        log.warning("could not count a scan of board %s", board.id, exc_info=True)


def _clean_phone(value: str) -> tuple[str | None, str | None]:
    """(phone, error): the same rule as the API's contact_phone."""
    try:
        return phones.contact(value), None
    except ValueError as exc:
        return None, str(exc)


def _mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) > 7 else phone


def _photo_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="scan-kept-photo")


def _sign_photo(media_id: int) -> str:
    return _photo_signer().dumps(media_id)


def _unsign_photo(value: str) -> int | None:
    try:
        media_id = _photo_signer().loads(value, max_age=KEPT_PHOTO_MAX_AGE)
    except BadSignature:
        return None
    return media_id if isinstance(media_id, int) else None


def _limit(kind: str) -> tuple[int, int]:
    cfg = current_app.config
    if kind == "submit":
        return int(cfg["SCAN_SUBMIT_LIMIT"]), int(cfg["SCAN_SUBMIT_WINDOW_SECONDS"])
    return int(cfg["SCAN_LOOKUP_LIMIT"]), int(cfg["SCAN_LOOKUP_WINDOW_SECONDS"])


def _wait_text(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} 分钟"


def _private_headers(response: Response) -> Response:
    # The token is in the URL: keep it out of Referer headers, shared caches and indexes.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- template helpers -----------------------------------------------------------------------


@lru_cache(maxsize=16)
def _file_version(name: str, mtime: float) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def _static_url(name: str) -> str:
    """The static file's URL with a content version, so a deploy never serves stale CSS."""
    path = STATIC_DIR / name
    version = _file_version(name, path.stat().st_mtime) if path.exists() else "0"
    return url_for("static", filename=name, v=version)


def _local_time(value) -> str:
    if not value:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else to_local(value)
    return f"{dt.month}月{dt.day}日 {dt:%H:%M}"


def _local_date(value) -> str:
    if not value:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else to_local(value)
    return f"{dt.year}年{dt.month}月{dt.day}日"


@bp.app_template_filter("scan_time")
def _scan_time_filter(value) -> str:
    return _local_time(value)


@bp.app_template_filter("scan_date")
def _scan_date_filter(value) -> str:
    return _local_date(value)


@bp.context_processor
def _helpers():
    return {
        "static_url": _static_url,
        "max_photos": items.MAX_PHOTOS,
        "max_upload_mb": int(current_app.config["MAX_UPLOAD_BYTES"]) // (1024 * 1024),
        "max_upload_bytes": int(current_app.config["MAX_UPLOAD_BYTES"]),
    }


@bp.before_request
def _raise_body_limit():
    # The app-wide body limit fits one photo (the API uploads one per request); a plain
    # form carries up to nine, each still held to MAX_UPLOAD_BYTES by core.media.
    if request.endpoint in SUBMIT_ENDPOINTS:
        per_photo = int(current_app.config["MAX_UPLOAD_BYTES"])
        request.max_content_length = items.MAX_PHOTOS * per_photo + 1024 * 1024


# --- errors: pages, never JSON and never a stack trace -----------------------------------


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    return _message_page(err.status, "操作未完成", err.message)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, RequestEntityTooLarge):
        limit = items.MAX_PHOTOS * int(current_app.config["MAX_UPLOAD_BYTES"]) // (1024 * 1024)
        return _message_page(
            413, "照片太大", f"一次提交的照片合计不能超过 {limit} MB，请少选几张或缩小后再试。"
        )
    if isinstance(exc, HTTPException):
        if exc.code == 404:
            return _message_page(404, "页面不存在", "链接可能不完整，请重新扫描公示牌上的二维码。")
        return _message_page(exc.code or 400, "请求有误", "请返回上一页重试。")
    log.exception("scan page failed")
    if current_app.config.get("PROPAGATE_UNEXPECTED"):
        raise exc
    return _message_page(500, "服务器开小差了", "请稍后再试，或直接拨打公示牌上管家的电话。")


# --- the board page -------------------------------------------------------------------------


def _new_form() -> dict:
    """A form's state: what was typed, the errors by field, the photos already uploaded."""
    return {"typed": {}, "errors": {}, "kept": []}


def _empty_forms() -> dict:
    return {"issue": _new_form(), "wish": _new_form()}


def _board_context(board: Board) -> dict:
    return {
        "board": board,
        "view": board_view(board.code),
        "categories": list(issue_flow.categories()),
        "beneficiary_types": wish_flow.BENEFICIARY_TYPES,
    }


@bp.get("/b/<code>")
def board_page(code: str):
    board, page = _board_gate(code, count=True)
    if page:
        return page
    return render_template("scan/board.html", forms=_empty_forms(), **_board_context(board))


@bp.get("/b/<code>/issues")
@bp.get("/b/<code>/wishes")
def form_get(code: str):
    """A refreshed error page or a shared link lands on the board's forms."""
    anchor = "wish" if request.path.endswith("/wishes") else "report"
    return redirect(url_for("scan.board_page", code=code, _anchor=anchor), 303)


def _read_photos(form: dict) -> list[int]:
    """Keep what uploaded before (signed ids), save the new files; errors go to the form."""
    kept_ids = []
    for value in request.form.getlist("kept_photo")[: items.MAX_PHOTOS]:
        media_id = _unsign_photo(value)
        if media_id is not None and media_id not in kept_ids:
            kept_ids.append(media_id)
    found = {m.id: m for m in Media.select().where(Media.id.in_(kept_ids))} if kept_ids else {}
    kept_ids = [i for i in kept_ids if i in found]
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(kept_ids) + len(uploads) > items.MAX_PHOTOS:
        form["errors"]["photos"] = f"最多上传 {items.MAX_PHOTOS} 张照片，请少选几张"
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
        {"signed": _sign_photo(p["id"]), **p} for p in photos_out(kept_ids, cache=dict(found))
    ]
    return kept_ids


def _text(values: dict, errors: dict, name: str, label: str, max_len: int, required=True):
    value = (request.form.get(name) or "").strip()
    values[name] = value
    if not value and required:
        errors[name] = f"请填写{label}"
    elif len(value) > max_len:
        errors[name] = f"{label}最多 {max_len} 字（现在 {len(value)} 字）"
    return value


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
    limit, window = _limit("submit")
    wait = ratelimit.retry_after(window)
    banner = f"提交太频繁了：每 {_wait_text(window)}最多提交 {limit} 次。请 {_wait_text(wait)}后再提交，已填写的内容还在下面。"
    html, status = _form_failed(board, kind, form, 429, banner)
    return html, status, {"Retry-After": str(wait)}


def _submit_allowed() -> bool:
    limit, window = _limit("submit")
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
    values["contact_phone"] = request.form.get("contact_phone", "").strip()
    phone, phone_error = _clean_phone(values["contact_phone"])
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
    board, page = _board_gate(code)
    if page:
        return page
    form = _new_form()
    values, errors = form["typed"], form["errors"]
    category = (request.form.get("category") or "").strip()
    values["category"] = category
    if category not in issue_flow.categories():
        errors["category"] = "请选择问题类别"
    content = _text(values, errors, "content", "问题描述", CONTENT_MAX)
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
    board, page = _board_gate(code)
    if page:
        return page
    form = _new_form()
    values, errors = form["typed"], form["errors"]
    kind = (request.form.get("beneficiary_type") or "").strip()
    values["beneficiary_type"] = kind
    if kind not in wish_flow.BENEFICIARY_TYPES:
        errors["beneficiary_type"] = "请选择心愿对象"
    create = partial(
        wish_flow.create,
        Principal.anonymous(),
        alley=board.alley,
        beneficiary_type=kind,
        display_name=_text(values, errors, "display_name", "心愿墙上显示的称呼", 20),
        title=_text(values, errors, "title", "心愿标题", 40),
        content=_text(values, errors, "content", "心愿内容", CONTENT_MAX),
    )
    return _submit(board, "wish", form, create)


def _read_kept_only(form: dict) -> None:
    """On a refused (rate-limited) submission keep the earlier photos but decode no new ones."""
    kept_ids = [
        i
        for i in (_unsign_photo(v) for v in request.form.getlist("kept_photo")[: items.MAX_PHOTOS])
        if i is not None
    ]
    form["kept"] = [{"signed": _sign_photo(p["id"]), **p} for p in photos_out(kept_ids)]
    if request.files.getlist("photos") and any(f.filename for f in request.files.getlist("photos")):
        form["errors"].setdefault("photos", "本次选择的照片未上传，请稍后重新选择")


# --- the private tracking page ----------------------------------------------------------------


def _item_for_token(token: str):
    """("issue", Issue) or ("wish", Wish) behind a tracking token, or (None, None)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None, None
    digest = issue_flow.tracking_hash(token)
    issue = Issue.get_or_none(Issue.tracking_token_hash == digest)
    if issue is not None:
        return "issue", issue
    wish = Wish.get_or_none(Wish.tracking_token_hash == digest)
    if wish is not None:
        return "wish", wish
    return None, None


def _invalid_link_page():
    return _message_page(
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


def _render_track(token: str, kind: str, item, errors=None, values=None, status=200, notice=None):
    anon = Principal.anonymous()
    if kind == "issue":
        data = issue_out(anon, item, timeline=True)
        actions = {
            "rate": item.status in issue_flow.ALLOWED_FROM["rate"],
            "reopen": _can_reopen(item),
        }
    else:
        data = wish_out(anon, item)
        data["timeline"] = timeline_out("wish", item.id, item.author_id, True)
        actions = {"confirm": item.status in wish_flow.ALLOWED_FROM["confirm"]}
    board = Board.get_or_none((Board.alley == item.alley_id) & Board.active)
    html = render_template(
        "scan/track.html",
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
    return _private_headers(Response(html, status=status, mimetype="text/html"))


@bp.get("/t/<token>")
def track(token: str):
    kind, item = _item_for_token(token)
    if item is None:
        html, status = _invalid_link_page()
        return _private_headers(Response(html, status=status, mimetype="text/html"))
    return _render_track(token, kind, item)


def _score(values: dict, errors: dict) -> int | None:
    raw = (request.form.get("score") or "").strip()
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
        return _private_headers(Response(html, status=status, mimetype="text/html"))
    values: dict = {}
    errors: dict = {}
    score = _score(values, errors)
    text = _text(values, errors, "text", "评价", NOTE_MAX, required=False) or None
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
        return _private_headers(Response(html, status=status, mimetype="text/html"))
    values: dict = {}
    errors: dict = {}
    reason = _text(values, errors, "reason", "没有解决的原因", NOTE_MAX)
    if errors:
        return _render_track(token, kind, item, errors, values, status=400)
    try:
        issue_flow.reopen(Principal.anonymous(), item.id, reason, tracking_token=token)
    except ApiError as err:
        item = Issue.get_by_id(item.id)
        return _render_track(token, kind, item, status=err.status, notice=err.message)
    return redirect(url_for("scan.track", token=token, _anchor="status"), 303)


# --- finding one's items again by phone -----------------------------------------------------
#
# Privacy choice: the phone number alone finds items, because a resident who lost the link
# remembers their phone, not a code (asking for part of the tracking token would help only
# those who still have the link). Since anyone can type anyone's number, the answer is kept
# to what reveals least: number, kind/category, status and date of items submitted from THIS
# web page for THIS alley — never content, photos, names or other people's data — and look-ups
# are rate-limited per client (SCAN_LOOKUP_LIMIT per SCAN_LOOKUP_WINDOW_SECONDS) so numbers
# cannot be swept. The page says all of this. Items filed in the mini program are found there.


@bp.route("/b/<code>/mine", methods=["GET", "POST"])
def mine(code: str):
    board, page = _board_gate(code)
    if page:
        return page
    limit, window = _limit("lookup")
    context = {"board": board, "alley": board.alley, "limit": limit, "window": window}
    if request.method == "GET":
        return render_template("scan/mine.html", **context, phone_value="", results=None)
    raw = (request.form.get("phone") or "").strip()
    phone, error = _clean_phone(raw)
    if phone is None and error is None:
        error = "请填写提交时留下的电话"
    if error:
        html = render_template(
            "scan/mine.html", **context, phone_value=raw, results=None, error=error
        )
        return html, 400
    if not ratelimit.hit(ratelimit.client_key("scan_lookup"), limit, window):
        wait = ratelimit.retry_after(window)
        html = render_template(
            "scan/mine.html",
            **context,
            phone_value=raw,
            results=None,
            error=f"查询太频繁了，请 {_wait_text(wait)}后再试。",
        )
        return html, 429, {"Retry-After": str(wait)}
    issues = (
        Issue.select(Issue.number, Issue.category, Issue.status, Issue.created_at)
        .where(
            (Issue.alley == board.alley_id)
            & (Issue.contact_phone == phone)
            & Issue.tracking_token_hash.is_null(False)
        )
        .order_by(Issue.created_at.desc())
        .limit(MINE_MAX_ROWS)
    )
    wishes = (
        Wish.select(Wish.number, Wish.status, Wish.created_at)
        .where(
            (Wish.alley == board.alley_id)
            & (Wish.contact_phone == phone)
            & Wish.tracking_token_hash.is_null(False)
        )
        .order_by(Wish.created_at.desc())
        .limit(MINE_MAX_ROWS)
    )
    results = [
        {
            "number": i.number,
            "kind": i.category,
            "status": issue_flow.STATUS_LABELS[i.status],
            "at": i.created_at,
        }
        for i in issues
    ] + [
        {
            "number": w.number,
            "kind": "微心愿",
            "status": wish_flow.STATUS_LABELS[w.status],
            "at": w.created_at,
        }
        for w in wishes
    ]
    results.sort(key=lambda r: r["at"], reverse=True)
    html = render_template(
        "scan/mine.html",
        **context,
        phone_value="",
        masked=_mask_phone(phone),
        results=results,
    )
    return _private_headers(Response(html, mimetype="text/html"))


# --- WeChat's ownership file for the "scan ordinary link opens mini program" rule --------------


@bp.get("/<fname>.txt")
@bp.get("/b/<fname>.txt")
def wechat_verify_file(fname: str):
    """WeChat checks the rule's owner by fetching this file next to the rule's prefix (the
    last directory of the prefix, e.g. /b/, in practice sometimes the host root): both work."""
    name = current_app.config.get("WECHAT_VERIFY_FILE_NAME") or ""
    content = current_app.config.get("WECHAT_VERIFY_FILE_CONTENT")
    if not name or content is None or name.removesuffix(".txt") != fname:
        abort(404)
    return Response(str(content), mimetype="text/plain")
