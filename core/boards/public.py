"""The public view of a signboard: what scanning its QR code shows to anyone, as a plain dict
that the API (`GET /api/v1/boards/{code}`) returns and the scan page (`/b/{code}`) renders.

Only public fields: the stewards' names and phones are printed on the board anyway; nothing
about residents (who reported, their phone, their openid) ever appears here.
"""

from __future__ import annotations

from core.boards import boards
from core.errors import ApiError, not_found
from core.figures.alley import alley_figures
from core.items.views import issue_public, wish_public
from core.media import media_url
from core.people.areas import community_of
from models import Issue, Media, Steward, StewardAlley, Wish

RECENT_ITEMS = 10


def board_view(code: str) -> dict:
    """The board's alley, stewards, live figures, recent public items and wish wall.

    404 `board_not_found` for an unknown code; 410 `board_retired` (with the community's phone)
    for a board taken out of use.
    """
    board = boards.by_code(code)
    if board is None:
        raise not_found("找不到该公示牌，请核对二维码", code="board_not_found")
    alley = board.alley
    community = community_of(alley)
    if not board.active:
        phone = community.phone if community and community.phone else None
        message = "该公示牌已停用" + (f"，请联系社区：{phone}" if phone else "，请联系所在社区")
        raise ApiError(410, "board_retired", message)
    stewards = alley_stewards(alley)
    recent = (
        Issue.select()
        .where((Issue.alley == alley) & (Issue.visibility == "public"))
        .order_by(Issue.created_at.desc(), Issue.id.desc())
        .limit(RECENT_ITEMS)
    )
    wishes = (
        Wish.select()
        .where((Wish.alley == alley) & (Wish.status == "published"))
        .order_by(Wish.published_at.desc())
        .limit(RECENT_ITEMS)
    )
    cache: dict = {}
    return {
        "code": board.code,
        "alley": {"id": alley.id, "name": alley.name},
        "path_label": alley.label_path,
        "community": {"id": community.id, "name": community.name, "phone": community.phone}
        if community
        else None,
        "stewards": stewards,
        "figures": alley_figures(alley.id),
        "recent_issues": [issue_public(i, alley, cache) for i in recent],
        "wishes": [wish_public(w, cache) for w in wishes],
    }


def alley_stewards(alley) -> list[dict]:
    """The alley's serving stewards as the board shows them (leader first): names, phones,
    duties and photos are printed on the board anyway, so they are public."""
    links = (
        StewardAlley.select(StewardAlley, Steward)
        .join(Steward)
        .where((StewardAlley.alley == alley) & Steward.active)
        .order_by(StewardAlley.is_leader.desc(), StewardAlley.id)
    )
    photo_ids = [link.steward.photo_id for link in links if link.steward.photo_id]
    photos = {m.id: m for m in Media.select().where(Media.id.in_(photo_ids))} if photo_ids else {}
    return [
        {
            "id": link.steward.id,
            "name": link.steward.name,
            "phone": link.steward.phone,
            "duties": link.steward.duties,
            "posts": link.steward.posts or [],
            "households": link.steward.households,
            "photo_url": media_url(photos[link.steward.photo_id])
            if link.steward.photo_id in photos
            else None,
            "is_leader": link.is_leader,
        }
        for link in links
    ]
