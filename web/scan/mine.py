"""`/b/<code>/mine`: finding one's items again by the phone left on the form."""

from __future__ import annotations

from flask import (
    Response,
    render_template,
    request,
)

from core import ratelimit
from core.items import issues as issue_flow
from core.items import wishes as wish_flow
from models import Issue, Wish
from web.scan.common import (
    MINE_MAX_ROWS,
    board_gate,
    bp,
    clean_phone,
    form_value,
    limit_for,
    mask_phone,
    private_headers,
    wait_text,
)

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
    board, page = board_gate(code)
    if page:
        return page
    limit, window = limit_for("lookup")
    context = {"board": board, "alley": board.alley, "limit": limit, "window": window}
    if request.method == "GET":
        return render_template("scan/mine.html", **context, phone_value="", results=None)
    raw = form_value("phone")
    phone, error = clean_phone(raw)
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
            error=f"查询太频繁了，请 {wait_text(wait)}后再试。",
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
        masked=mask_phone(phone),
        results=results,
    )
    return private_headers(Response(html, mimetype="text/html"))
