"""Which community an action is about, and whether the principal is its staff."""

from __future__ import annotations

from core.people.permissions import Principal
from infra.errors import bad_request, forbidden, not_found
from models import Area


def community(community_id: int | None, field: str = "community_id") -> Area:
    """The community (社区/村) with this id, or a 400/404 naming the field."""
    if community_id is None:
        raise bad_request("请选择社区", {field: "必填"})
    area = Area.get_or_none((Area.id == community_id) & Area.active)
    if area is None:
        raise not_found("找不到该社区", code="community_not_found")
    if area.kind != "community":
        raise bad_request("请选择一个社区", {field: "须为社区"})
    return area


def managed_community(p: Principal, community_id: int | None) -> Area:
    """The community staff act on: the one named, or their own when they have exactly one."""
    if community_id is None:
        own = [a for a in p.area_roots if a.kind == "community"]
        if len(own) == 1:
            return own[0]
    area = community(community_id)
    require_staff_of(p, area)
    return area


def require_staff_of(p: Principal, area: Area) -> None:
    if not p.can_manage(area):
        raise forbidden("该社区不在您的管辖范围内", code="out_of_scope")


def staff_condition(p: Principal, area_model=Area):
    """A condition on a joined `Area` (the community) limiting rows to the staff's scope."""
    parts = [area_model.path.startswith(root.path) for root in p.area_roots]
    if not parts:
        return area_model.id < 0
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition
