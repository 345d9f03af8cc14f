"""时间银行 /console/timebank: look a passbook up by member code, name or phone (or steward), adjust with a
reason, approve or refuse the adjustments above the approval threshold that wait for a second
staff member, reverse an entry, stock the community's exchange shop, redeem at the counter.

Every change is a call of the same `core.timebank` function the API calls
(`adjustments.adjust`, `adjustments.approve`, `adjustments.refuse`, `passbook.reverse`,
`shop.create_item`, `shop.update_item`, `shop.redeem` after `shop.counter_preview`, `shop.void`), which checks the viewer's scope and
that the passbook is not their own, and audits it; the forms carry the CSRF token like every
console form.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core import media
from core.people import identity
from core.timebank import adjustments, passbook, rules, shop
from infra import text
from infra.errors import ApiError, bad_request
from models import Redemption, ShopItem
from web.console.common import bp, login_required, managed_areas, principal

PENDING_SHOWN = 100  # pending adjustments listed on the page (the API pages through all)
MAX_NUMBER = 1_000_000_000  # past any price, stock or points; refused before core's own bounds
# The forms' number fields by the words the page puts beside them (the hidden ones by what they
# stand for), so a refusal says which field it means.
NUMBER_LABELS = {
    "units": "数量",
    "points": "分值",
    "price": "积分",
    "stock": "库存",
    "add_stock": "补货",
    "account_id": "存折",
    "item_id": "商品",
    "community": "社区",
}


def _communities():
    return [a for a in managed_areas() if a.kind == "community"]


def _community():
    """The community the page is about: `?community=` (in scope) or the viewer's first."""
    options = _communities()
    raw = request.values.get("community", "").strip()
    community_id = text.whole_number(raw)
    chosen = next((c for c in options if c.id == community_id), None)
    if raw and chosen is None:
        if community_id is None:
            abort(404)
        principal().require_manage(shop.community_or_404(community_id))  # 404 or 403
    return chosen or (options[0] if options else None), options


def _message(exc: ApiError) -> str:
    return exc.message + "".join(f"（{v}）" for v in exc.fields.values() if v not in exc.message)


def _back(community_id, person: str | None = None):
    args = {"community": community_id}
    if person:
        args["person"] = person
    return redirect(url_for("console.timebank", **args))


def _int(name: str, default: int | None = None) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return default
    label = NUMBER_LABELS[name]  # every number these forms carry has its words
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{label}：请填写整数", {name: "须为整数"}) from None
    if abs(value) > MAX_NUMBER:
        raise bad_request(f"{label}：数值超出范围", {name: f"绝对值不超过 {MAX_NUMBER}"})
    return value


@bp.route("/timebank")
@login_required
def timebank():
    community, options = _community()
    person = request.args.get("person", "").strip()
    viewer = identity.person_of(principal())
    books, error = [], None
    if person:
        try:
            for account in passbook.find_person(principal(), person):
                book = passbook.account_dict(account)
                book["entries"] = passbook.entry_dicts(
                    list(passbook.entries_query(account).limit(50))
                )
                book["own"] = viewer.holds(user_id=account.user_id, steward_id=account.steward_id)
                books.append(book)
        except ApiError as exc:
            error = _message(exc)
    items, redemptions, pending = [], [], []
    voided: set[int] = set()
    holders: dict[int, str] = {}
    if community is not None:
        pending = [
            adjustments.as_dict(a, viewer)
            for a in adjustments.list_query(
                principal(), status="pending", community_id=community.id
            ).limit(PENDING_SHOWN)
        ]
        items = [shop.item_dict(i) for i in shop.items_query(community, include_inactive=True)]
        redemptions = list(
            Redemption.select()
            .join(ShopItem)
            .where(ShopItem.community == community.id)
            .order_by(Redemption.created_at.desc(), Redemption.id.desc())
            .limit(20)
        )
        voided = shop.voided_ids(redemptions)
        holders = {r.account_id: passbook.holder_name(r.account) for r in redemptions}
    return render_template(
        "console/timebank.html",
        community=community,
        communities=options,
        person=person,
        books=books,
        error=error,
        manual_rules=rules.manual(),
        items=items,
        categories=shop.CATEGORIES,
        redemptions=redemptions,
        voided=voided,
        holders=holders,
        pending=pending,
        threshold=adjustments.threshold(),
    )


@bp.route("/timebank/adjust", methods=["POST"])
@login_required
def timebank_adjust():
    p = principal()
    person = request.form.get("person", "")
    community = request.form.get("community")
    try:
        account = passbook.account_in_scope(p, _int("account_id", 0))
        done = adjustments.adjust(
            p,
            account,
            rule=request.form.get("rule", ""),
            reason=request.form.get("reason", ""),
            units=_int("units", 1),
            points=_int("points"),
        )
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        if done.pending is not None:
            flash(
                f"{done.pending.points:+d} 分超过审核门槛（{adjustments.threshold()} 分），"
                "已提交审核：须由另一位工作人员审核通过后才记入存折",
                "ok",
            )
        else:
            flash(f"已记入存折：{done.entry.points:+d} 分", "ok")
    return _back(community, person)


@bp.route("/timebank/adjustments/<int:adjustment_id>/approve", methods=["POST"])
@login_required
def timebank_adjustment_approve(adjustment_id: int):
    try:
        adjustment = adjustments.approve(principal(), adjustment_id)
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        flash(f"已审核通过，{adjustment.points:+d} 分已记入存折", "ok")
    return _back(request.form.get("community"), request.form.get("person"))


@bp.route("/timebank/adjustments/<int:adjustment_id>/reject", methods=["POST"])
@login_required
def timebank_adjustment_reject(adjustment_id: int):
    try:
        adjustment = adjustments.refuse(principal(), adjustment_id, request.form.get("reason", ""))
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        flash(f"已驳回：{adjustment.points:+d} 分不记入存折", "ok")
    return _back(request.form.get("community"), request.form.get("person"))


@bp.route("/timebank/entries/<int:entry_id>/reverse", methods=["POST"])
@login_required
def timebank_reverse(entry_id: int):
    try:
        entry = passbook.reverse(principal(), entry_id, request.form.get("reason", ""))
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        flash(f"已冲正：{entry.points:+d} 分", "ok")
    return _back(request.form.get("community"), request.form.get("person"))


@bp.route("/timebank/items", methods=["POST"])
@login_required
def timebank_item_create():
    community_id = request.form.get("community")
    try:
        community = shop.community_or_404(_int("community", 0))
        principal().require_manage(community)
        photo = request.files.get("photo")
        data = photo.read() if photo else b""
        # Stored (EXIF stripped, re-encoded) as the staff member's own upload, then attached.
        photo_id = media.save_image(data, principal().user).id if data else None
        item = shop.create_item(
            principal(),
            community,
            name=request.form.get("name", ""),
            category=request.form.get("category", ""),
            price=_int("price", 0),
            stock=_int("stock", 0),
            description=request.form.get("description", ""),
            photo_id=photo_id,
        )
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        flash(f"已上架“{item.name}”", "ok")
    return _back(community_id)


@bp.route("/timebank/items/<int:item_id>", methods=["POST"])
@login_required
def timebank_item_update(item_id: int):
    changes = {"price": _int("price"), "add_stock": _int("add_stock")}
    if request.form.get("active") in ("0", "1"):
        changes["active"] = request.form["active"] == "1"
    if not _int("add_stock"):
        changes.pop("add_stock")
    try:
        item = shop.update_item(principal(), item_id, **changes)
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        flash(f"“{item.name}”已更新：{item.price} 分，库存 {item.stock}", "ok")
    return _back(request.form.get("community"))


@bp.route("/timebank/redeem", methods=["POST"])
@login_required
def timebank_redeem():
    """The counter, in two steps: first the question — whose code it is, their balance, the
    item and its price (`shop.counter_preview`, nothing written) — then, with `confirm=1`
    from that page, the redemption."""
    code = request.form.get("member_code", "").strip()
    community = request.form.get("community")
    try:
        if not code:
            raise ApiError(400, "bad_request", "请填写会员码", {"member_code": "必填"})
        if request.form.get("confirm") != "1":
            preview = shop.counter_preview(principal(), _int("item_id", 0), code)
            return render_template(
                "console/timebank_confirm.html", v=preview, community=community, code=code
            )
        r = shop.redeem(principal(), _int("item_id", 0), member_code=code)
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        balance = shop.redemption_dict(r)["balance"]
        flash(f"兑换成功：“{r.item_name}” {r.price} 分，存折余额 {balance} 分", "ok")
    return _back(community, code or None)


@bp.route("/timebank/redemptions/<int:redemption_id>/void", methods=["POST"])
@login_required
def timebank_void(redemption_id: int):
    try:
        entry = shop.void(principal(), redemption_id, request.form.get("reason", ""))
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        flash(_message(exc), "error")
    else:
        flash(f"已作废：商品已退回库存，{entry.points:+d} 分已退回存折", "ok")
    return _back(request.form.get("community"), request.form.get("person") or None)
