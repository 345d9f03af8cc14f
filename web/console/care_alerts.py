"""关怀提醒 in the console: send a care alert (kind, area, household tags, what to do), the
alerts with answered / total, and one alert's progress — per steward, each household with its
answer, note and 需帮助 item, the outstanding ones first. PRIVATE like 包联户: the page lists
households, and each view is recorded (`core.households.care_alerts.progress`); every change is
the `core` call the API makes."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.households import access, care_alerts
from infra.errors import ApiError
from models.care import CARE_KINDS
from web.console.common import bp, login_required, managed_areas, number_arg, principal


@bp.route("/care-alerts")
@login_required
def care_alerts_page():
    p = principal()
    return render_template(
        "console/care_alerts.html",
        alerts=care_alerts.listing(p),
        areas=managed_areas(),
        kinds=CARE_KINDS,
        tags=access.tags(),
        form=request.args,
    )


@bp.route("/care-alerts", methods=["POST"])
@login_required
def care_alert_send():
    form = request.form
    try:
        alert = care_alerts.create(
            principal(),
            number_arg("area", form),
            form.get("kind", ""),
            form.getlist("tags"),
            form.get("message", ""),
            form.get("title", ""),
        )
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for("console.care_alerts_page"))
    flash(f"已发出关怀提醒，名单已私信给 {len(care_alerts.steward_ids(alert))} 位管家", "ok")
    return redirect(url_for("console.care_alert_page", alert_id=alert.id))


@bp.route("/care-alerts/<int:alert_id>")
@login_required
def care_alert_page(alert_id: int):
    try:
        progress = care_alerts.progress(principal(), alert_id, via="console")
    except ApiError:
        abort(404)
    return render_template("console/care_alert.html", a=progress)
