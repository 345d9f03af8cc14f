"""Logging in and out of the console: the staff password login of `core.people.auth`, with
the same per-client rate limit as `POST /api/v1/auth/password`."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for

from core import ratelimit
from core.people import auth
from infra.errors import ApiError
from infra.timeutil import utcnow
from web.console.common import bp, principal, safe_next

PASSWORD_WINDOW = 15 * 60  # the API's window: one budget of attempts per client


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if principal().is_staff:
            return redirect(next_url)
        return render_template("console/login.html", next=next_url, username="")
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:128]
    error = None
    status = 200
    limit = int(current_app.config["PASSWORD_ATTEMPTS"])
    if not username or not password:
        error, status = "请输入用户名和密码", 400
    elif not ratelimit.hit(ratelimit.client_key("password"), limit, PASSWORD_WINDOW):
        error, status = "尝试次数太多，请 15 分钟后再试", 429
    else:
        try:
            user, token = auth.login_with_password(username, password)
        except ApiError as exc:
            error, status = exc.message, exc.status
        else:
            session.clear()
            session.permanent = True
            session["console_token"] = token
            session["console_since"] = utcnow().timestamp()
            return redirect(next_url)
    html = render_template("console/login.html", next=next_url, username=username, error=error)
    headers = {"Retry-After": str(ratelimit.retry_after(PASSWORD_WINDOW))} if status == 429 else {}
    return html, status, headers


@bp.route("/logout", methods=["POST"])
def logout():
    token = session.pop("console_token", None)
    if token:
        auth.revoke_token(token)
    session.clear()
    return redirect(url_for("console.login"))
