"""What the scan pages share: the blueprint, message pages, the board gate and scan count,
photo signing, rate-limit settings, template helpers and the error pages."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from core.boards import boards, public, scans
from core.items.lifecycle import MAX_PHOTOS
from core.people import phones
from core.people.areas import community_of
from infra import text
from infra.errors import ApiError
from infra.timeutil import to_local
from models import Board

log = logging.getLogger(__name__)

bp = Blueprint(
    "scan",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/scan",
)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_CODE_CHARS = 32  # board codes are 8; anything far longer is not worth a query
MAX_TOKEN_CHARS = 64
CONTENT_MAX = 1000
NOTE_MAX = 500
KEPT_PHOTO_MAX_AGE = 24 * 3600  # a form left open over lunch still keeps its photos
MINE_MAX_ROWS = 30
SUBMIT_ENDPOINTS = {"scan.submit_issue", "scan.submit_wish"}


# --- small helpers --------------------------------------------------------------------------


def message_page(status: int, title: str, text: str, phone: str | None = None, **extra):
    html = render_template("scan/message.html", title=title, text=text, phone=phone, **extra)
    return html, status


def _not_found_page(typed: str = ""):
    return message_page(
        404,
        "找不到该公示牌",
        "二维码可能印错或已损坏。可以输入公示牌下方印的编号（8 位字母和数字）再试，"
        "或直接拨打公示牌上管家的电话。",
        code_box=True,
        typed=typed[:MAX_CODE_CHARS],
    )


def _retired_page(board: Board):
    community = community_of(board.alley)
    phone = community.phone if community and community.phone else None
    name = community.name if community else "所在社区"
    return message_page(
        410,
        "该公示牌已停用",
        f"这块公示牌已经停用，新的公示牌会张贴在附近。如需反映问题，请联系{name}。",
        phone=phone,
    )


def board_gate(code: str):
    """(board, None) for an active board; (None, page) for an unknown or retired one. A fresh
    row: the forms write with it."""
    board = boards.by_code(code) if len(code) <= MAX_CODE_CHARS else None
    if board is None:
        return None, _not_found_page(code)
    if not board.active:
        return None, _retired_page(board)
    return board, None


def scanned_board(code: str):
    """(entry, None) for an active board; (None, page) for an unknown or retired one; the scan
    is counted (a retired board's too: it shows the old board is still being read).

    The entry is the board's cached public view (`core.boards.public.current`): its `board`
    row, its `view` and a `memo` for the rendered page."""
    entry = public.current(code) if len(code) <= MAX_CODE_CHARS else None
    if entry is None:
        return None, _not_found_page(code)
    scans.record(entry.board.id)
    if not entry.active:
        return None, _retired_page(entry.board)
    return entry, None


def clean_phone(value: str) -> tuple[str | None, str | None]:
    """(phone, error): the same rule as the API's contact_phone."""
    try:
        return phones.contact(value), None
    except ValueError as exc:
        return None, str(exc)


def mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) > 7 else phone


def _photo_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="scan-kept-photo")


def sign_photo(media_id: int) -> str:
    return _photo_signer().dumps(media_id)


def unsign_photo(value: str) -> int | None:
    try:
        media_id = _photo_signer().loads(value, max_age=KEPT_PHOTO_MAX_AGE)
    except BadSignature:
        return None
    return media_id if isinstance(media_id, int) else None


def limit_for(kind: str) -> tuple[int, int]:
    cfg = current_app.config
    if kind == "submit":
        return int(cfg["SCAN_SUBMIT_LIMIT"]), int(cfg["SCAN_SUBMIT_WINDOW_SECONDS"])
    return int(cfg["SCAN_LOOKUP_LIMIT"]), int(cfg["SCAN_LOOKUP_WINDOW_SECONDS"])


def wait_text(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} 分钟"


def private_headers(response: Response) -> Response:
    # The token is in the URL: keep it out of Referer headers, shared caches and indexes.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def form_value(name: str) -> str:
    """A form field as typed, normalised by `infra.text` like every API and chat text:
    NUL and other controls dropped, invisible characters trimmed from the edges."""
    return text.normalise(request.form.get(name) or "")


def form_text(values: dict, errors: dict, name: str, label: str, max_len: int, required=True):
    value = form_value(name)
    values[name] = value
    if not value and required:
        errors[name] = f"请填写{label}"
    elif len(value) > max_len:
        errors[name] = f"{label}最多 {max_len} 字（现在 {len(value)} 字）"
    return value


# --- template helpers -----------------------------------------------------------------------


@lru_cache(maxsize=16)
def _file_version(name: str, mtime: float) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def _static_url(name: str) -> str:
    """The static file's URL with a content version, so a deploy never serves stale CSS."""
    path = STATIC_DIR / name
    version = _file_version(name, path.stat().st_mtime) if path.exists() else "0"
    return url_for("scan.static", filename=name, v=version)


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


@bp.app_template_filter("phone")
def _phone_filter(value) -> str:
    return phones.display(value)


@bp.app_template_filter("scan_date")
def _scan_date_filter(value) -> str:
    return _local_date(value)


@bp.context_processor
def _helpers():
    return {
        "static_url": _static_url,
        "max_photos": MAX_PHOTOS,
        "max_upload_mb": int(current_app.config["MAX_UPLOAD_BYTES"]) // (1024 * 1024),
        "max_upload_bytes": int(current_app.config["MAX_UPLOAD_BYTES"]),
    }


@bp.before_request
def _raise_body_limit():
    # The app-wide body limit fits one photo (the API uploads one per request); a plain
    # form carries up to nine, each still held to MAX_UPLOAD_BYTES by core.media.
    if request.endpoint in SUBMIT_ENDPOINTS:
        per_photo = int(current_app.config["MAX_UPLOAD_BYTES"])
        request.max_content_length = MAX_PHOTOS * per_photo + 1024 * 1024


# --- errors: pages, never JSON and never a stack trace -----------------------------------


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    return message_page(err.status, "操作未完成", err.message)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, RequestEntityTooLarge):
        limit = MAX_PHOTOS * int(current_app.config["MAX_UPLOAD_BYTES"]) // (1024 * 1024)
        return message_page(
            413, "照片太大", f"一次提交的照片合计不能超过 {limit} MB，请少选几张或缩小后再试。"
        )
    if isinstance(exc, HTTPException):
        if exc.code == 404:
            return message_page(404, "页面不存在", "链接可能不完整，请重新扫描公示牌上的二维码。")
        return message_page(exc.code or 400, "请求有误", "请返回上一页重试。")
    log.exception("scan page failed")
    if current_app.config.get("PROPAGATE_UNEXPECTED"):
        raise exc
    return message_page(500, "服务器开小差了", "请稍后再试，或直接拨打公示牌上管家的电话。")
