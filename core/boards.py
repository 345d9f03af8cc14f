"""Signboards (公示牌): creating them with unguessable codes, finding them by code."""

from __future__ import annotations

from peewee import IntegrityError

from core import codes
from core.db import db
from core.timeutil import utcnow
from models import Area, Board

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


def by_code(code: str) -> Board | None:
    return Board.get_or_none(Board.code == codes.normalize(code))


def bump_versions(alley_ids) -> None:
    """What is printed on these alleys' boards changed: reprints pick them up by version."""
    ids = list(alley_ids)
    if ids:
        Board.update(version=Board.version + 1, updated_at=utcnow()).where(
            Board.alley.in_(ids) & Board.active
        ).execute()
