"""Test data builders and login helpers (going through the real API, never around it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.boards import boards
from core.people import areas, auth
from models import Area, Board, StaffAccount, Steward, StewardAlley

_phone_seq = iter(range(17000000001, 17099999999))


def next_phone() -> str:
    return str(next(_phone_seq))


@dataclass
class District:
    street: Area
    communities: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)
    alleys: list[Area] = field(default_factory=list)
    stewards: list[Steward] = field(default_factory=list)
    boards: list[Board] = field(default_factory=list)


def make_district(street_name="示范街道", communities=2, alleys_per_community=2) -> District:
    """A street with N communities, one grid each, and alleys with one steward and board each."""
    street, _ = areas.child(None, "street", street_name)
    d = District(street=street)
    for ci in range(communities):
        community, _ = areas.child(street, "community", f"第{ci + 1}社区")
        d.communities.append(community)
        grid, _ = areas.child(community, "grid", f"第{ci + 1}网格")
        d.grids.append(grid)
        for ai in range(alleys_per_community):
            alley, _ = areas.child(grid, "alley", f"{ci + 1}区{ai + 1}巷")
            d.alleys.append(alley)
            steward = Steward.create(name=f"管家{ci + 1}{ai + 1}", phone=next_phone())
            StewardAlley.create(steward=steward, alley=alley)
            d.stewards.append(steward)
            d.boards.append(boards.create_board(alley))
    return d


def make_staff(area: Area, role="staff", username=None, password="password123") -> StaffAccount:
    username = username or f"{role}{area.id}-{StaffAccount.select().count() + 1}"
    return auth.create_staff(username, password, area, role)


def login(client, name: str) -> dict:
    """Offline-mode login as `dev:<name>`; returns the Authorization header."""
    res = client.post("/api/v1/auth/login", json={"code": f"dev:{name}"})
    assert res.status_code == 200, res.get_json()
    return {"Authorization": f"Bearer {res.get_json()['token']}"}


def login_staff(client, account: StaffAccount, password="password123") -> dict:
    res = client.post(
        "/api/v1/auth/password", json={"username": account.username, "password": password}
    )
    assert res.status_code == 200, res.get_json()
    return {"Authorization": f"Bearer {res.get_json()['token']}"}


def login_steward(client, steward: Steward, name: str | None = None) -> dict:
    """Log in a WeChat user and bind them to `steward` with a freshly issued code."""
    headers = login(client, name or f"steward-{steward.id}")
    code, _ = auth.issue_bind_code(steward=steward, issued_by="test")
    res = client.post("/api/v1/auth/bind", json={"code": code}, headers=headers)
    assert res.status_code == 200, res.get_json()
    return headers
