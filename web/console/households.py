"""包联户 (民情联系卡) and 一人一策 in the console: the list by steward / alley / tag, the
overdue visits, a household's card (members, tags, plans, visits), editing, plans, visits, and
the spreadsheet import (dry run, then confirm). PRIVATE: every read is audited and scoped by
`core.households` exactly as the API is; every change is the `core` call the API makes."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from core import media
from core.figures import kept
from core.households import access, cards, plans, sheet, visits
from core.households.sheet import parse_members
from core.items.lifecycle import MAX_PHOTOS
from core.people import areas
from infra.errors import ApiError, bad_request
from infra.timeutil import utcnow
from models import VISIT_KINDS, Area, CarePlan, Household, Steward, StewardAlley
from web.console import uploads
from web.console.common import (
    bp,
    login_required,
    number_arg,
    page_arg,
    principal,
    scope_key,
    today,
)
from web.console.desk import XLSX, _attachment

PER_PAGE = 30


def _alleys() -> list[Area]:
    """The 街巷 menus: the alleys the viewer may read households of, in natural order. Kept per
    scope between changes as the 诉求 list's are (`core.figures.kept`: an alley added by an
    import, closed or moved writes an event; a household card opened writes only a read, which
    moves nothing). Shared by every request with that scope: read it, never change it."""
    p = principal()

    def read() -> list[Area]:
        query = Area.select().where(p.area_condition(Area) & (Area.kind == "alley"))
        return areas.in_natural_order(list(query))

    return kept.kept("console.household_alleys", scope_key(p), read).value


def _stewards(alley_ids: list[int]) -> list[Steward]:
    """The 管家 filter: id and name only (a menu; whole rows, JSON columns and all, cost a
    community's 125 stewards a third of the page), kept per set of alleys between changes as
    the alleys are (a dismissal, an import or a binding writes an event)."""

    def read() -> list[Steward]:
        return list(
            Steward.select(Steward.id, Steward.name)
            .join(StewardAlley)
            .where(StewardAlley.alley.in_(alley_ids or [0]) & Steward.active)
            .distinct()
            .order_by(Steward.name)
        )

    return kept.kept("console.household_stewards", tuple(alley_ids), read).value


@bp.route("/households")
@login_required
def households():
    p = principal()
    args = request.args
    tag = args.get("tag") if args.get("tag") in access.tags() else None
    filters = {
        "tag": tag,
        "alley_id": number_arg("alley"),
        "steward_id": number_arg("steward"),
        "overdue": True if args.get("overdue") == "1" else None,
        "q": args.get("q", "").strip()[:50] or None,
        "include_inactive": args.get("inactive") == "1",
    }
    query = cards.listing(p, **filters)
    page = page_arg()
    total = query.count()
    rows = list(query.paginate(page, PER_PAGE))
    cards.audit_listing(p, rows, filters, via="console")
    alleys = _alleys()
    now = utcnow()
    return render_template(
        "console/households.html",
        rows=[cards.summary_out(h, now) for h in rows],
        total=total,
        page=page,
        per_page=PER_PAGE,
        args=args,
        tags=access.tags(),
        alleys=alleys,
        stewards=_stewards([a.id for a in alleys]),
        overdue_count=plans.overdue_households(p, now).count(),
    )


def _load(household_id: int) -> Household:
    try:
        return access.load(principal(), household_id)
    except ApiError:
        abort(404)


@bp.route("/households/<int:household_id>")
@login_required
def household_page(household_id: int):
    return _household_html(_load(household_id))


def _household_html(household: Household, visit_form=None, status: int = 200):
    """The card page; `visit_form` is a refused visit's form, shown filled in again."""
    p = principal()
    h = cards.card(p, household.id, via="console")
    alleys = [a for a in _alleys() if a.path.startswith(household.community.path)]
    members_text = "\n".join(
        "/".join(
            str(m.get(k) or "") for k in ("name", "relation", "birth_year", "phone", "notes")
        ).rstrip("/")
        for m in h["members"]
    )
    return render_template(
        "console/household.html",
        h=h,
        tags=access.tags(),
        groups=access.plan_groups(),
        alleys=alleys,
        stewards=_stewards([a.id for a in alleys]),
        members_text=members_text,
        visit_kinds=VISIT_KINDS,
        visit_form=visit_form or {},
        today=today().isoformat(),
        max_photos=MAX_PHOTOS,
        max_photo_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]),
        # what all the photos of one form may add up to: the request's own limit less room for
        # the other fields (over it, the server refuses the whole request unread)
        max_photos_total=int(current_app.config["MAX_CONTENT_LENGTH"] or 0) - 16 * 1024,
    ), status


def _card_form() -> dict:
    form = request.form
    data = {
        "address": form.get("address", ""),
        "head_name": form.get("head_name", ""),
        "head_phone": form.get("head_phone", ""),
        "notes": form.get("notes", ""),
        "tags": form.getlist("tags"),
        "members": parse_members(form.get("members", "")),
    }
    for key in ("alley_id", "steward_id"):
        if (value := number_arg(key, form)) is not None:
            data[key] = value
    return data


@bp.route("/households/<int:household_id>/edit", methods=["POST"])
@login_required
def household_edit(household_id: int):
    household = _load(household_id)
    data = _card_form()
    if request.form.get("active") in ("0", "1"):
        data["active"] = request.form["active"] == "1"
    try:
        cards.update(principal(), household, data)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash("已保存", "ok")
    return redirect(url_for("console.household_page", household_id=household.id))


@bp.route("/households/new", methods=["GET", "POST"])
@login_required
def household_new():
    alleys = _alleys()
    if request.method == "POST":
        try:
            household = cards.create(principal(), _card_form())
        except ApiError as exc:
            flash(exc.message, "error")
        else:
            flash("已登记", "ok")
            return redirect(url_for("console.household_page", household_id=household.id))
    return render_template(
        "console/household_new.html",
        tags=access.tags(),
        alleys=alleys,
        stewards=_stewards([a.id for a in alleys]),
        form=request.form,
    )


@bp.route("/households/<int:household_id>/plans", methods=["POST"])
@login_required
def household_plan_new(household_id: int):
    household = _load(household_id)
    form = request.form
    try:
        plans.create(
            principal(),
            household.id,
            {
                "group": form.get("group", ""),
                "plan": form.get("plan", ""),
                "member_name": form.get("member_name", ""),
                "volunteer_name": form.get("volunteer_name", ""),
                "volunteer_phone": form.get("volunteer_phone", ""),
                "interval_days": form.get("interval_days", ""),
            },
        )
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash("帮扶计划已添加", "ok")
    return redirect(url_for("console.household_page", household_id=household.id))


@bp.route("/household-plans/<int:plan_id>/edit", methods=["POST"])
@login_required
def household_plan_edit(plan_id: int):
    plan = CarePlan.get_or_none(CarePlan.id == plan_id)
    if plan is None:
        abort(404)
    household = _load(plan.household_id)
    form = request.form
    data = {}
    if form.get("interval_days"):
        data["interval_days"] = form["interval_days"]
    if form.get("active") in ("0", "1"):
        data["active"] = form["active"] == "1"
    try:
        plans.update(principal(), plan.id, data)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash("帮扶计划已更新", "ok")
    return redirect(url_for("console.household_page", household_id=household.id))


def _visit_photos() -> list[int]:
    """The visit form's photos stored as the staff member's own uploads through
    `core.media.save_image` (type checked by decoding, EXIF and GPS stripped, re-encoded), so
    `visits.record` lets them attach. A refusal names the field: "照片：…"."""
    files = [f for f in request.files.getlist("photos") if f.filename]  # a field left empty: none
    if len(files) > MAX_PHOTOS:
        raise bad_request(f"照片：最多 {MAX_PHOTOS} 张")
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    ids = []
    for upload in files:
        data = upload.stream.read(limit + 1)  # one byte past the limit says it is too big
        try:
            ids.append(media.save_image(data, principal().user).id)
        except ApiError as exc:
            # media's own refusal (its status kept), named by the file as the person picked it,
            # to find it again; the console reads only a refusal's status and message
            exc.message = f"照片：{upload.filename[:40]} {exc.message}"
            raise
    return ids


@bp.route("/households/<int:household_id>/visits", methods=["POST"])
@login_required
def household_visit(household_id: int):
    household = _load(household_id)
    form = {k: request.form.get(k, "") for k in ("visited_on", "kind", "note")}
    try:
        day = form["visited_on"].strip()
        try:
            visited_on = date.fromisoformat(day) if day else None
        except ValueError:
            raise bad_request("走访日期：格式应为 年-月-日") from None
        visited_at = visits.time_of_day_visited(visited_on)
        visits.record(
            principal(),
            household.id,
            form["note"],
            photo_ids=_visit_photos(),
            visited_at=visited_at,
            kind=form["kind"] or "home",
        )
    except ApiError as exc:
        if exc.status >= 500:
            raise  # our fault (disk, database): the console's 503 page says to try later
        # the page again, not a redirect: what was typed comes back filled in
        flash(exc.message, "error")
        return _household_html(Household.get_by_id(household.id), form, exc.status)
    flash("走访已登记", "ok")
    return redirect(url_for("console.household_page", household_id=household.id))


# --- import -----------------------------------------------------------------------------------


@bp.route("/households/import", methods=["GET", "POST"])
@login_required
def households_import():
    """GET: the form. POST with a file: a dry run and a confirm button carrying the stored
    upload's digest; POST with `confirm`: the real import of that file."""
    p = principal()
    return uploads.dry_run_then_confirm(
        page="console/households_import.html",
        folder="household-uploads",
        noun="包联户表格",
        endpoint="console.households_import",
        run=lambda path, dry_run: sheet.import_file(
            path, label=uploads.label(), dry_run=dry_run, within=p.area_roots, actor=p.user
        ),
        error=sheet.SheetError,
        tags=access.tags(),
    )


@bp.route("/households/template.xlsx")
@login_required
def households_template():
    return _attachment(sheet.template_xlsx(), XLSX, "households-template.xlsx", "包联户模板.xlsx")
