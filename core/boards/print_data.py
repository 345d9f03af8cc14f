"""What is printed on a board, read from the database in a few batched queries for any number
of boards into plain, picklable records (`collect`), so process-pool workers can draw them
without touching the database or Flask."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from core.media import media_path
from infra.timeutil import to_local, utcnow
from models import Area, Media, Steward, StewardAlley


@dataclass(frozen=True)
class StewardData:
    name: str
    phone: str
    posts: tuple[str, ...] = ()
    duties: str = ""
    households: int = 0
    is_leader: bool = False
    photo_path: str | None = None


@dataclass(frozen=True)
class BoardData:
    """Everything printed on one board; plain values so it crosses process boundaries."""

    code: str
    version: int
    url: str
    alley_name: str
    area_path: str  # street · community · grid
    community_name: str
    supervision_phone: str
    stewards: tuple[StewardData, ...] = ()
    printed_on: str = ""  # YYYY-MM-DD, shown in small print for whoever replaces boards
    # Across the page when its QR cannot work (a local PUBLIC_BASE_URL): a sample, not a board.
    watermark: str = ""

    @property
    def file_stem(self) -> str:
        return f"{self.code}-v{self.version}"


def board_url(base: str, code: str) -> str:
    """What the QR carries (the contract): `{PUBLIC_BASE_URL}/b/{code}`."""
    return f"{base.rstrip('/')}/b/{code}"


def base_url_problem(base: str) -> str | None:
    """Why boards printed with this `PUBLIC_BASE_URL` would not work for residents, or None.

    A QR code carrying `localhost`, `127.*` or a bare IP address opens nothing on a resident's
    phone (or stops working when the server moves); boards are printed once and hang for years.
    """
    host = (urlsplit(base).hostname or "").lower()
    if not host:
        return f"PUBLIC_BASE_URL（{base}）不是完整的网址，二维码无法打开"
    if host == "localhost" or host.endswith(".localhost"):
        return f"PUBLIC_BASE_URL 是本机地址（{host}），居民扫码打不开，请改为正式域名后再打印"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return f"PUBLIC_BASE_URL 是 IP 地址（{host}），居民扫码可能打不开且更换服务器后失效，请改为正式域名后再打印"


SAMPLE_WATERMARK = "样张 · 二维码不可用"


def collect(boards: Iterable, *, base_url: str | None = None) -> list[BoardData]:
    """Read boards (model rows) into `BoardData`, with a fixed number of queries in all.
    With a base URL residents cannot open (`base_url_problem`) each board is a sample: it
    carries `SAMPLE_WATERMARK`, so a demo can print without anyone hanging a dead QR code."""

    boards = list(boards)
    if not boards:
        return []
    base = base_url or current_app.config["PUBLIC_BASE_URL"]
    watermark = SAMPLE_WATERMARK if base_url_problem(base) else ""
    alleys = {a.id: a for a in Area.select().where(Area.id.in_({b.alley_id for b in boards}))}
    wanted = {i for a in alleys.values() for i in a.ancestor_ids()}
    areas = {a.id: a for a in Area.select().where(Area.id.in_(wanted))}
    links = (
        StewardAlley.select(StewardAlley, Steward)
        .join(Steward)
        .where(StewardAlley.alley.in_(list(alleys)) & Steward.active)
        .order_by(StewardAlley.is_leader.desc(), StewardAlley.id)
    )
    by_alley: dict[int, list] = {}
    for link in links:
        by_alley.setdefault(link.alley_id, []).append(link)
    photo_ids = {link.steward.photo_id for ls in by_alley.values() for link in ls}
    photo_ids.discard(None)
    photos = {m.id: m for m in Media.select().where(Media.id.in_(photo_ids))} if photo_ids else {}
    today = to_local(utcnow()).date().isoformat()

    out = []
    for board in boards:
        alley = alleys[board.alley_id]
        chain = [areas[i] for i in alley.ancestor_ids() if i in areas]
        community = next((a for a in chain if a.kind == "community"), None)
        # The community's supervision phone; a street's office number is the fallback.
        phone = next(
            (a.phone for a in (community, *reversed(chain)) if a is not None and a.phone), ""
        )
        stewards = []
        for link in by_alley.get(alley.id, []):
            s = link.steward
            media = photos.get(s.photo_id)
            path = media_path(media) if media else None
            stewards.append(
                StewardData(
                    name=s.name,
                    phone=s.phone,
                    posts=tuple(s.posts or ()),
                    duties=s.duties or "",
                    households=s.households or 0,
                    is_leader=link.is_leader,
                    photo_path=str(path) if path and path.exists() else None,
                )
            )
        out.append(
            BoardData(
                code=board.code,
                version=board.version,
                url=board_url(base, board.code),
                alley_name=alley.name,
                area_path=" · ".join(a.name for a in chain[:-1]),
                community_name=community.name if community else "",
                supervision_phone=phone,
                stewards=tuple(stewards),
                printed_on=today,
                watermark=watermark,
            )
        )
    return out
