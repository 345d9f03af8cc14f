"""月度通报 at /console/bulletins: the street's monthly bulletin on screen (figures, rankings,
红榜 / 待改进) with its PDF and xlsx downloads — the link the street leaders' group is sent
(`core.figures.bulletin_export.link`) opens here. Who may read it and every bad month are
decided in `core.figures.bulletin`, as for the API."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, redirect, render_template, request, url_for

from core.figures import bulletin, bulletin_export
from infra import text
from infra.errors import ApiError
from models import Area
from web.console.common import bp, login_required, principal, today


def readable_streets() -> list[Area]:
    """The streets whose bulletin the viewer may read (`bulletin.may_read`): those inside one
    of their scopes (a community's staff has none)."""
    p = principal()
    found: dict[int, Area] = {}
    for root in p.area_roots:
        for street in Area.subtree(root).where((Area.kind == "street") & Area.active):
            if bulletin.may_read(p, street):
                found.setdefault(street.id, street)
    return sorted(found.values(), key=lambda a: a.path)


@bp.route("/bulletins")
@login_required
def bulletins_page():
    streets = readable_streets()
    default_month = bulletin.Month.of(today()).previous()
    month_text = request.args.get("month", "").strip() or str(default_month)
    street = None
    raw = request.args.get("street", "").strip()
    if raw:
        street_id = text.whole_number(raw)
        street = bulletin.get_street(street_id if street_id is not None else -1)
    elif streets:
        street = streets[0]
    figures, error = None, None
    if street is not None:
        try:
            figures = bulletin.for_reader(principal(), street.id, month_text)
        except ApiError as exc:
            if exc.status != 400:
                raise
            error = exc.message
    return render_template(
        "console/bulletins.html",
        streets=streets,
        street=street,
        month=month_text,
        b=figures,
        error=error,
        rate_names=bulletin.RATE_NAMES,
        rate_labels=bulletin.RATE_LABELS,
        rate_text=bulletin.rate_text,
        definitions=bulletin.definitions(figures) if figures else [],
    )


@bp.route("/bulletins/<int:street_id>/<month>")
@login_required
def bulletin_link(street_id: int, month: str):
    """The group message's link: the page of that street and month."""
    return redirect(url_for("console.bulletins_page", street=street_id, month=month))


def _download(street_id: int, month: str, fmt: str) -> Response:
    data, b = bulletin_export.download(principal(), street_id, month, fmt)
    name = bulletin_export.display_name(b, fmt)
    ascii_name = bulletin_export.file_name(b, fmt)
    return Response(
        data,
        mimetype=bulletin_export.FORMATS[fmt],
        headers={
            "Content-Disposition": (
                f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"
            )
        },
    )


@bp.route("/bulletins/<int:street_id>/<month>.pdf")
@login_required
def bulletin_pdf(street_id: int, month: str):
    return _download(street_id, month, "pdf")


@bp.route("/bulletins/<int:street_id>/<month>.xlsx")
@login_required
def bulletin_xlsx(street_id: int, month: str):
    return _download(street_id, month, "xlsx")
