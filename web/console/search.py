"""找人找事 /console/search: the results of the search box at the top of every console page,
grouped by kind, each a link; and /console/search/people.json, the name/phone autocomplete
that console.js shows under every person field (`input[data-suggest]`).

Both read `core.search`, which scopes every kind to what the viewer manages.
"""

from __future__ import annotations

from flask import jsonify, render_template, request, url_for

from core import search
from web.console.common import bp, login_required, principal


def _link(hit: search.Hit) -> str | None:
    if hit.kind in ("issue", "ticket"):
        return url_for("console.issue_page", issue_id=hit.id)
    if hit.kind == "wish":
        return url_for("console.wish_page", wish_id=hit.id)
    if hit.kind == "steward":
        return url_for("console.steward_page", steward_id=hit.id)
    if hit.kind == "volunteer":
        return url_for("console.volunteers_page", community=hit.area_id, q=hit.title)
    if hit.kind == "unit_member":
        return url_for("console.unit_page", unit_id=hit.id)
    if hit.kind == "alley":
        return url_for("console.issues", alley=hit.id)
    if hit.kind == "household":
        return url_for("console.household_page", household_id=hit.id)
    return None


def _item_link(kind: str, item_id: int) -> str:
    if kind == "wish":
        return url_for("console.wish_page", wish_id=item_id)
    return url_for("console.issue_page", issue_id=item_id)


@bp.route("/search")
@login_required
def search_page():
    results = search.find(principal(), request.args.get("q"))
    return render_template(
        "console/search.html",
        results=results,
        labels=search.KIND_LABELS,
        link=_link,
        item_link=_item_link,
    )


@bp.route("/search/people.json")
@login_required
def search_people():
    """[{"id", "kind", "name", "detail", "value"}]: `value` is what a picked suggestion puts in
    the field — the person's name; for a passbook look-up (`?for=passbook`) the
    `steward:ID` / `volunteer:ID` form `core.timebank.passbook.find_person` reads; for a
    filter by steward (`?for=id`) their number."""
    kinds = ("steward",) if request.args.get("kind") == "steward" else ("steward", "volunteer")
    hits = search.people(principal(), request.args.get("q"), kinds=kinds)
    purpose = request.args.get("for")
    return jsonify(
        [
            {
                "id": h.id,
                "kind": h.kind,
                "name": h.title,
                "detail": h.detail,
                "value": f"{h.kind}:{h.id}"
                if purpose == "passbook"
                else str(h.id)
                if purpose == "id"
                else h.title,
            }
            for h in hits
        ]
    )
