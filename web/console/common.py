"""What every console page shares: the blueprint, the session login, CSRF, scoping by area,
periods, and the error pages.

The session cookie holds only a console token issued by `core.people.auth` (the same tokens
the API uses), so logging out or disabling an account ends the session at once; the roles
behind it are read from the database on every request (`Principal.for_user`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from markupsafe import Markup, escape
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from core.figures import kept
from core.people import areas, auth
from core.people.permissions import Principal
from infra import text
from infra.errors import ApiError
from infra.timeutil import to_local, utcnow
from models import Area

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

SESSION_HOURS = 12  # one working day; the token itself lives longer but the cookie does not
MAX_DAYS = 366
MAX_PAGE = 1_000_000  # the API's limit: past it OFFSET overflows, and nobody pages that far
# A console path the login may return to: printable ASCII without spaces or backslashes
# (browsers read "\\" as "/").
_CONSOLE_PATH = re.compile(r"/console(?:[/?#][!-\[\]-~]*)?")


def scope_key(p: Principal) -> tuple:
    """What a viewer's scope is, as the key of a copy kept per scope (`core.figures.kept`):
    their area roots (id and path) and, for a steward, their own alleys. Two viewers with the
    same key see the same rows of any staff list."""
    return tuple((root.id, root.path) for root in p.area_roots), tuple(sorted(p.alley_ids))


def principal() -> Principal:
    """The logged-in staff member (resolved once per request), or an anonymous principal."""
    if "console_principal" not in g:
        token = session.get("console_token")
        started = session.get("console_since")
        found = None
        if token and started and utcnow().timestamp() - started < SESSION_HOURS * 3600:
            found = auth.principal_for_token(token)
        g.console_principal = found or Principal.anonymous()
    return g.console_principal


def is_unit_member(p: Principal) -> bool:
    """A handling unit's member (core.units) without a staff role: the console is their
    unit's work queue (`unit_desk`) and nothing else."""
    return p.authenticated and bool(p.unit_ids) and not p.is_staff


def login_required(view):
    """Staff pages. A unit member is refused every one of them (403), except that the home
    page sends them to 本单位待办, where their login lands."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        p = principal()
        if is_unit_member(p):
            if request.endpoint == "console.dashboard":
                return redirect(url_for("console.unit_queue"))
            abort(403)
        if not p.authenticated or not p.is_staff:
            session.pop("console_token", None)
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def unit_required(view):
    """A unit member's pages (本单位待办): staff are refused (403) — they see the same items
    through 诉求 — and anyone else is sent to log in."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        p = principal()
        if p.authenticated and p.is_staff:
            abort(403)
        if not is_unit_member(p):
            session.pop("console_token", None)
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if "admin" not in principal().roles:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.before_request
def drop_control_characters():
    """A query parameter with a control character in its name or value (NUL, CR, ESC …; tab
    and newline are text) is not read at all, by any page: no list filters by one (PostgreSQL
    refuses NUL) and no login returns to one. One rule here instead of one per parameter;
    numbers are read with `number_arg`."""
    pairs = list(request.args.items(multi=True))
    kept = [(k, v) for k, v in pairs if text.clean(k) == k and text.clean(v) == v]
    if len(kept) != len(pairs):
        request.args = ImmutableMultiDict(kept)


def number_arg(name: str, source=None) -> int | None:
    """The whole number in `?name=` (or in `source`, a form): None when it is missing or not
    a number a 64-bit column holds ("³", "1e3", 30 digits), never an exception."""
    return text.whole_number((request.args if source is None else source).get(name))


def page_arg() -> int:
    """`?page=`, from 1 to MAX_PAGE; anything else is page 1."""
    return min(number_arg("page") or 1, MAX_PAGE)


@bp.before_request
def check_csrf():
    """Every POST carries the form's `csrf_token` (Flask-WTF), the login form included."""
    # An app context may outlive one request (tests, CLI): never reuse a previous caller.
    g.pop("console_principal", None)
    g.pop("csrf_token", None)  # Flask-WTF caches the token in g for the request
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc


@bp.app_template_global()
def area_options(areas, selected) -> Markup:
    """The `<option>`s of an area picker, `selected` (an id, or the query's text of one)
    marked: built in one join, not by the template's loop — a street's picker has a few
    hundred alleys, on every list page it filters."""
    chosen = str(selected) if selected not in (None, "") else None
    return Markup(
        "".join(
            f'<option value="{a.id}"{" selected" if str(a.id) == chosen else ""}>'
            f"{escape(a.name)}</option>"
            for a in areas
        )
    )


_ID_MARK = 987654321  # stands for the id while an id route's address is built once


@bp.app_template_global()
def id_url(endpoint: str, name: str, value: int) -> str:
    """`url_for(endpoint, **{name: value})` for a route whose only argument is an integer id,
    built once per request and route and filled in per row: a list of fifty rows with three
    links each otherwise spends a tenth of its time in the router."""
    patterns = g.setdefault("_id_urls", {})
    key = (endpoint, name)
    if key not in patterns:
        patterns[key] = url_for(endpoint, **{name: _ID_MARK}).split(str(_ID_MARK))
    head, tail = patterns[key]
    return f"{head}{int(value)}{tail}"


@bp.app_template_global()
def csrf_field():
    return Markup(f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">')


@bp.app_template_filter("local")
def local_filter(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return to_local(dt).strftime(fmt) if dt else ""


@bp.app_template_filter("pct")
def pct_filter(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path inside the console, else the dashboard. Never an
    open redirect (`//evil`, `\\evil`, `javascript:`, `/console@evil`) and never a header
    the response cannot carry (CR, LF or any other control character, non-ASCII)."""
    if target and _CONSOLE_PATH.fullmatch(target):
        parts = urlsplit(target)
        segments = [unquote(segment) for segment in parts.path.split("/")]
        if not parts.netloc and ".." not in segments:  # no way out of /console
            return target
    return url_for("console.dashboard")


# --- areas the viewer manages ---------------------------------------------------------------


def managed_areas() -> list[Area]:
    """The viewer's roots and the areas under them down to grids (the area picker)."""
    return areas_in_scope(("street", "community", "grid"))


def areas_in_scope(kinds: tuple[str, ...]) -> list[Area]:
    """The live areas of `kinds` in the viewer's scope, in natural order (第二网格 before 第十
    网格). Kept per worker between changes (`core.figures.kept`: read again after any event, a
    roster import's included, and at the latest after a minute): a street's pickers are some
    two hundred areas on every page. Shared by every request: read it, never change it."""
    roots = principal().area_roots
    key = (kinds, *((root.id, root.path) for root in roots))
    return kept.kept("console.areas_in_scope", key, lambda: _areas_under(roots, kinds)).value


def _areas_under(roots: list[Area], kinds: tuple[str, ...]) -> list[Area]:
    out: dict[int, Area] = {}
    for root in roots:
        for a in Area.subtree(root).where(Area.kind.in_(kinds) & Area.active).order_by(Area.path):
            out.setdefault(a.id, a)
    return areas.in_natural_order(list(out.values()))


def chosen_area(arg: str = "area") -> Area:
    """The `?area=` the viewer asked for (403 outside their scope, 404 unknown), else their
    first root."""
    p = principal()
    raw = request.values.get(arg, "").strip()
    if not raw:
        return p.area_roots[0]
    area_id = text.whole_number(raw)
    if area_id is None:
        abort(404)
    area = Area.get_or_none(Area.id == area_id)
    if area is None:
        abort(404)
    p.require_manage(area)
    return area


def in_scope_or_404(area: Area) -> None:
    """An item outside the viewer's area answers 404: its existence is not theirs to know."""
    if not principal().can_manage(area):
        abort(404)


def parse_period(default: tuple[date, date]) -> tuple[date, date, str | None]:
    """(first, last, error) from `?from=&to=` (YYYY-MM-DD), falling back to `default`."""
    first, last = default
    error = None
    try:
        if request.values.get("from"):
            first = date.fromisoformat(request.values["from"])
        if request.values.get("to"):
            last = date.fromisoformat(request.values["to"])
    except ValueError:
        return default[0], default[1], "日期格式应为 年-月-日，例如 2026-11-01"
    if first > last:
        return default[0], default[1], "起始日期不能晚于结束日期"
    if last - first > timedelta(days=MAX_DAYS):
        return default[0], default[1], f"一次最多 {MAX_DAYS} 天"
    return first, last, error


def today() -> date:
    return to_local(utcnow()).date()


# --- errors: HTML pages, in Chinese ---------------------------------------------------------


def error_page(status: int, title: str, text: str):
    return render_template("console/error.html", title=title, text=text), status


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    if exc.status == 403:
        return error_page(403, "无权访问", exc.message)
    if exc.status == 404:
        return error_page(404, "找不到", exc.message)
    return error_page(exc.status, "操作未完成", exc.message)


@bp.errorhandler(CSRFError)
def csrf_error(exc):
    return error_page(400, "页面已过期", "表单已过期或来源不明，请返回上一页刷新后再提交。")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """A form over the request limit (MAX_CONTENT_LENGTH, photos and all) is refused before it
    is read: back to the page it came from, saying why (console.js says so before sending)."""
    limit = int(current_app.config["MAX_CONTENT_LENGTH"] or 0) // (1024 * 1024)
    message = f"照片/文件：一次提交合计不能超过 {limit} MB，请少选几张或缩小后再上传"
    back = request.referrer or ""
    if back.startswith(request.host_url):
        flash(message, "error")
        return redirect(back)
    return error_page(413, "提交的内容太大", message)


@bp.errorhandler(403)
def forbidden_page(exc):
    return error_page(403, "无权访问", "该内容不在您的管辖范围内。")


@bp.errorhandler(404)
def not_found_page(exc):
    return error_page(404, "找不到", "您要找的内容不存在，或不在您的管辖范围内。")


@bp.context_processor
def globals_():
    p = principal()
    return {
        "me": p,
        "is_admin": "admin" in p.roles,
        "is_unit": is_unit_member(p),
        # the 月度通报 menu item: a scope that covers a whole street (core.figures.bulletin)
        "reads_bulletins": p.is_staff and any(r.kind == "street" for r in p.area_roots),
        "offline": current_app.config.get("OFFLINE"),
    }
