"""Signboards (公示牌): creating them with unguessable codes, finding them by code, and the
alley a report is for from a scanned board or a chosen alley."""

from __future__ import annotations

from peewee import IntegrityError

from core import audit
from core.boards import changes
from infra import codes
from infra.db import Param, Prepared, db
from infra.errors import ApiError, bad_request, not_found
from infra.timeutil import utcnow
from models import Area, Board, StewardAlley

BOARD_CODE_LENGTH = 8  # 31^8 ≈ 8.5e11 codes: not guessable from a neighbour's board


def create_board(alley: Area) -> Board:
    if alley.kind != "alley":
        raise ValueError("boards hang in alleys")
    for _ in range(10):
        try:
            with db.atomic():
                return Board.create(alley=alley, code=codes.random_code(BOARD_CODE_LENGTH))
        except IntegrityError:
            continue  # a code collision: astronomically rare, draw again
    raise RuntimeError("could not draw a free board code")


# Every scan and every report from a board asks this: compiled once, with the board's alley
# (which every caller reads next) in the same query.
_BY_CODE = Prepared(
    lambda: (
        Board.select(Board, Area)
        .join(Area, on=(Board.alley == Area.id))
        .where(Board.code == Param("code"))
    )
)


def by_code(code: str) -> Board | None:
    """The board of a code as printed or typed (any case, look-alike letters mapped), with
    its alley loaded."""
    return _BY_CODE.first(code=codes.normalize(code))


def resolve_alley(alley_id: int | None, board_code: str | None) -> tuple[Area, Board | None]:
    """The alley a report or wish is for: the scanned board's (its code wins), else the alley
    chosen by id; a retired board is 410, an unknown code or alley 404, neither 400."""
    if board_code:
        board = by_code(board_code)
        if board is None:
            raise not_found("找不到该公示牌，请核对二维码", code="board_not_found")
        if not board.active:
            raise ApiError(410, "board_retired", "该公示牌已停用，请联系社区")
        return board.alley, board
    if alley_id is not None:
        alley = Area.get_or_none((Area.id == alley_id) & (Area.kind == "alley"))
        if alley is None:
            raise not_found("找不到该街巷", code="alley_not_found")
        return alley, None
    raise bad_request("请扫描公示牌或选择街巷", {"board_code": "请扫描公示牌或选择街巷"})


def bump_versions(alley_ids) -> None:
    """What is printed on these alleys' boards changed: reprints pick them up by version."""
    ids = list(alley_ids)
    if ids:
        Board.update(version=Board.version + 1, updated_at=utcnow()).where(
            Board.alley.in_(ids) & Board.active
        ).execute()
        changes.alley_changed(ids)  # and the scan page shows the same details


def bump_for_steward(steward) -> None:
    """A steward's printed details changed (name, phone, photo, duties, dismissal): every
    board of their alleys needs a reprint."""
    bump_versions(
        link.alley_id
        for link in StewardAlley.select(StewardAlley.alley).where(StewardAlley.steward == steward)
    )


def retire_board(board: Board, *, actor=None, label: str | None = None) -> bool:
    """Take a board out of use (lost, damaged, the alley renamed or merged).

    Its code keeps answering: the API says 410 "该公示牌已停用" with the community's phone,
    never 404, so a scan of an old board still tells the resident whom to call. Returns False
    when it was already retired (nothing is written then).
    """
    with db.atomic():
        updated = (
            Board.update(active=False, retired_at=utcnow(), updated_at=utcnow())
            .where((Board.id == board.id) & Board.active)
            .execute()
        )
        if not updated:
            return False
        changes.alley_changed([board.alley_id])
        audit.record(
            "board.retire",
            "board",
            board.id,
            actor=actor,
            label=label,
            area=board.alley_id,
            data={"code": board.code, "version": board.version},
        )
    board.active = False
    board.retired_at = Board.get_by_id(board.id).retired_at
    return True


def boards_in(area: Area, changed_since=None):
    """Active boards in `area`'s subtree in print order (by area path, then id); with
    `changed_since` (naive UTC) only those whose content changed since then."""
    query = (
        Board.select()
        .join(Area, on=(Board.alley == Area.id))
        .where(Area.path.startswith(area.path) & Board.active)
        .order_by(Area.path, Board.id)
    )
    if changed_since is not None:
        query = query.where(Board.updated_at >= changed_since)
    return query
