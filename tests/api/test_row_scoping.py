"""Row scoping: every list route, every `scope`, every role sees exactly its rows.

The permission matrix (test_permissions.py) asks whether a role may call a route; this one asks
which rows come back. One world is built for the module: a street with community X (alleys A,
B) and community Y (alleys C, D), one steward per alley, and a second street whose rows nobody
here may see. Each case asserts the ids (and the total) a role gets, or the refusal.

Roles: anonymous; `resident` (reported an issue and posted a wish in every alley); `neighbour`
(another resident: one issue in alley A, since reassigned to the steward of B; claimed a wish);
the stewards of alleys A and B (the same community); staff of X and of Y; the street's admin.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from core.delivery import groups, outbox
from core.figures import assessment
from models import Area, OutboxMessage
from tests.conftest import make_app
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, mid-month, mid-quarter
ROLES = (
    "anonymous",
    "resident",
    "neighbour",
    "steward_a",
    "steward_b",
    "staff_x",
    "staff_y",
    "admin",
)
STAFF = ("staff_x", "staff_y", "admin")


def _ok(res, status=200):
    assert res.status_code == status, res.get_json()
    return res.get_json()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Built once: the rows are only read by the tests below."""
    app = make_app(tmp_path_factory.mktemp("scoping"))
    with time_machine.travel(T0, tick=True), app.app_context():
        c = app.test_client()
        d = make_district()
        other = make_district("别的街道", communities=1, alleys_per_community=1)
        x, y = d.communities
        h = {
            "anonymous": {},
            "resident": login(c, "张大妈"),
            "neighbour": login(c, "李大爷"),
            "steward_a": login_steward(c, d.stewards[0]),
            "steward_b": login_steward(c, d.stewards[1]),
            "steward_c": login_steward(c, d.stewards[2]),
            "steward_o": login_steward(c, other.stewards[0]),
            "staff_x": login_staff(c, make_staff(x)),
            "staff_y": login_staff(c, make_staff(y)),
            "admin": login_staff(c, make_staff(d.street, role="admin")),
            "admin_o": login_staff(c, make_staff(other.street, role="admin")),
        }
        boards = [b.code for b in d.boards] + [other.boards[0].code]  # A, B, C, D, O

        def report(who, board):
            body = {"board_code": board, "category": "环境卫生", "content": "巷口垃圾堆放"}
            return _ok(c.post(f"{API}/issues", json=body, headers=h[who]), 201)["id"]

        issues = dict(zip("abcdo", [report("resident", b) for b in boards], strict=True))
        issues["a2"] = report("neighbour", boards[0])
        body = {"steward_ids": [d.stewards[1].id]}
        _ok(c.post(f"{API}/issues/{issues['a2']}/assign", json=body, headers=h["staff_x"]))

        def wish(board):
            body = {
                "board_code": board,
                "beneficiary_type": "elderly",
                "display_name": "王奶奶",
                "title": "一台收音机",
                "content": "想听戏",
            }
            return _ok(c.post(f"{API}/wishes", json=body, headers=h["resident"]), 201)["id"]

        wishes = dict(zip("abcdo", [wish(b) for b in boards], strict=True))
        for key, who in (("a", "staff_x"), ("c", "staff_y"), ("o", "admin_o")):
            _ok(c.post(f"{API}/wishes/{wishes[key]}/approve", json={}, headers=h[who]))
        _ok(c.post(f"{API}/wishes/{wishes['a']}/claim", json={}, headers=h["neighbour"]))
        _ok(c.post(f"{API}/wishes/{wishes['c']}/claim", json={}, headers=h["steward_b"]))

        patrols = {}
        for key, who in (("a", "steward_a"), ("b", "steward_b"), ("c", "steward_c")):
            patrols[key] = _ok(
                c.post(f"{API}/patrols", json={"note": "巡查"}, headers=h[who]), 201
            )["id"]
        patrols["o"] = _ok(
            c.post(f"{API}/patrols", json={"note": "巡查"}, headers=h["steward_o"]), 201
        )["id"]

        chat_groups = {
            "x": groups.create(x, "robot-key-x0001").id,
            "y": groups.create(y, "robot-key-y0001").id,
            "grid_x": groups.create(d.grids[0], "robot-key-g0001").id,
            "o": groups.create(other.communities[0], "robot-key-o0001").id,
        }

        for i, area in enumerate([d.alleys[0], y, d.street, None, other.alleys[0]]):
            outbox.enqueue("robot", f"robot-key-{i}", {"n": i}, key=f"scoping:{i}", area=area)

        quarter = assessment.Quarter.last_finished()
        assessment.run(quarter, area=d.street, send=False)
        assessment.run(quarter, area=other.street, send=False)

        yield {
            "app": app,
            "client": c,
            "h": h,
            "d": d,
            "other": other,
            "issues": issues,
            "wishes": wishes,
            "patrols": patrols,
            "groups": chat_groups,
        }


@pytest.fixture
def ctx(world):
    with time_machine.travel(T0, tick=True), world["app"].app_context():
        yield world


def _ids(w, path, role, status=200):
    res = w["client"].get(f"{API}{path}", headers=w["h"][role])
    if status != 200:
        assert res.status_code == status, (path, role, res.status_code, res.get_json())
        return None
    body = _ok(res)
    ids = {row["id"] for row in body["items"]}
    assert body["total"] == len(ids), (path, role, body["total"], ids)
    return ids


def _pick(table, keys):
    return {table[k] for k in keys}


# --- issues ------------------------------------------------------------------------------------

ISSUES = {
    # scope → role → the issue keys it lists (None: 401 / 403 given instead)
    None: {
        "anonymous": 401,
        "resident": "abcdo",
        "neighbour": ["a2"],
        "steward_a": ["a"],
        "steward_b": ["b", "a2"],
        "staff_x": ["a", "a2", "b"],
        "staff_y": ["c", "d"],
        "admin": ["a", "a2", "b", "c", "d"],
    },
    "mine": {
        "anonymous": 401,
        "resident": "abcdo",
        "neighbour": ["a2"],
        "steward_a": [],
        "steward_b": [],
        "staff_x": [],
        "staff_y": [],
        "admin": [],
    },
    "assigned": {
        "anonymous": 401,
        "resident": [],
        "neighbour": [],
        "steward_a": ["a"],
        "steward_b": ["b", "a2"],
        "staff_x": [],
        "staff_y": [],
        "admin": [],
    },
    "area": {
        "anonymous": 401,
        "resident": [],
        "neighbour": [],
        "steward_a": ["a", "a2"],
        "steward_b": ["b"],
        "staff_x": ["a", "a2", "b"],
        "staff_y": ["c", "d"],
        "admin": ["a", "a2", "b", "c", "d"],
    },
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", list(ISSUES))
def test_issue_list_rows(ctx, scope, role):
    expected = ISSUES[scope][role]
    path = "/issues?per_page=100" + (f"&scope={scope}" if scope else "")
    if isinstance(expected, int):
        _ids(ctx, path, role, status=expected)
        return
    assert _ids(ctx, path, role) == _pick(ctx["issues"], expected)


def test_issue_filters_stay_inside_the_scope(ctx):
    """Filtering by another community's alley finds nothing rather than its rows."""
    alley_c = ctx["d"].alleys[2].id
    assert _ids(ctx, f"/issues?scope=area&alley_id={alley_c}", "staff_x") == set()
    assert _ids(ctx, f"/issues?scope=area&alley_id={alley_c}", "staff_y") == {ctx["issues"]["c"]}
    assert _ids(ctx, "/issues?scope=area&status=open", "steward_b") == {ctx["issues"]["b"]}


# --- wishes ------------------------------------------------------------------------------------

WISHES = {
    None: {role: ["a", "c", "o"] for role in ROLES},  # the wall: published, everywhere
    "wall": {role: ["a", "c", "o"] for role in ROLES},
    "mine": {
        "anonymous": 401,
        "resident": "abcdo",
        "neighbour": [],
        "steward_a": [],
        "steward_b": [],
        "staff_x": [],
        "staff_y": [],
        "admin": [],
    },
    "claimed": {
        "anonymous": 401,
        "resident": [],
        "neighbour": ["a"],
        "steward_a": [],
        "steward_b": ["c"],
        "staff_x": [],
        "staff_y": [],
        "admin": [],
    },
    "area": {
        "anonymous": 401,
        "resident": [],
        "neighbour": [],
        "steward_a": ["a"],
        "steward_b": ["b"],
        "staff_x": ["a", "b"],
        "staff_y": ["c", "d"],
        "admin": ["a", "b", "c", "d"],
    },
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", list(WISHES))
def test_wish_list_rows(ctx, scope, role):
    expected = WISHES[scope][role]
    path = "/wishes?per_page=100" + (f"&scope={scope}" if scope else "")
    if isinstance(expected, int):
        _ids(ctx, path, role, status=expected)
        return
    assert _ids(ctx, path, role) == _pick(ctx["wishes"], expected)


def test_wall_filtered_by_community(ctx):
    x, y = ctx["d"].communities
    assert _ids(ctx, f"/wishes?community_id={x.id}", "anonymous") == {ctx["wishes"]["a"]}
    assert _ids(ctx, f"/wishes?community_id={y.id}", "anonymous") == {ctx["wishes"]["c"]}
    assert _ids(ctx, "/wishes?community_id=999999", "anonymous") == set()


# --- patrols, groups, assessments, areas, outbox -------------------------------------------

PATROLS = {
    "anonymous": 401,
    "resident": 403,
    "neighbour": 403,
    "steward_a": ["a"],
    "steward_b": ["b"],
    "staff_x": ["a", "b"],
    "staff_y": ["c"],
    "admin": ["a", "b", "c"],
}


@pytest.mark.parametrize("role", ROLES)
def test_patrol_list_rows(ctx, role):
    expected = PATROLS[role]
    if isinstance(expected, int):
        _ids(ctx, "/patrols?per_page=100", role, status=expected)
        return
    assert _ids(ctx, "/patrols?per_page=100", role) == _pick(ctx["patrols"], expected)


STAFF_ONLY = {
    "anonymous": 401,
    "resident": 403,
    "neighbour": 403,
    "steward_a": 403,
    "steward_b": 403,
}

GROUPS = {"staff_x": ["x", "grid_x"], "staff_y": ["y"], "admin": ["x", "grid_x", "y"]}


@pytest.mark.parametrize("role", ROLES)
def test_group_list_rows(ctx, role):
    if role in STAFF_ONLY:
        _ids(ctx, "/groups?per_page=100", role, status=STAFF_ONLY[role])
        return
    assert _ids(ctx, "/groups?per_page=100", role) == _pick(ctx["groups"], GROUPS[role])


ASSESSED = {"staff_x": [0, 1], "staff_y": [2, 3], "admin": [0, 1, 2, 3]}


@pytest.mark.parametrize("role", ROLES)
def test_assessment_list_rows(ctx, role):
    path = f"{API}/assessments?per_page=100"
    res = ctx["client"].get(path, headers=ctx["h"][role])
    if role in STAFF_ONLY:
        assert res.status_code == STAFF_ONLY[role]
        return
    body = _ok(res)
    stewards = [row["steward_id"] for row in body["items"]]
    assert sorted(stewards) == sorted(ctx["d"].stewards[i].id for i in ASSESSED[role])
    assert body["total"] == len(stewards)


def _tree_ids(nodes) -> set[int]:
    out: set[int] = set()
    for node in nodes:
        out.add(node["id"])
        out |= _tree_ids(node["children"])
    return out


def _subtree(root: Area) -> set[int]:
    return {a.id for a in Area.select() if a.path.startswith(root.path)}


@pytest.mark.parametrize("role", ROLES)
def test_area_tree_rows(ctx, role):
    res = ctx["client"].get(f"{API}/areas", headers=ctx["h"][role])
    if role in STAFF_ONLY:
        assert res.status_code == STAFF_ONLY[role]
        return
    d = ctx["d"]
    root = {"staff_x": d.communities[0], "staff_y": d.communities[1], "admin": d.street}[role]
    expected = _subtree(root)
    assert len(expected) == {"staff_x": 4, "staff_y": 4, "admin": 9}[role]
    assert _tree_ids(_ok(res)["items"]) == expected


def _within(area_id: int | None, root: Area) -> bool:
    """Walk up the parents (not the path column the query uses)."""
    while area_id is not None:
        if area_id == root.id:
            return True
        area_id = Area.get_by_id(area_id).parent_id
    return False


@pytest.mark.parametrize("role", ROLES)
def test_outbox_list_rows(ctx, role):
    if role in STAFF_ONLY:
        _ids(ctx, "/outbox?per_page=100", role, status=STAFF_ONLY[role])
        return
    d = ctx["d"]
    root = {"staff_x": d.communities[0], "staff_y": d.communities[1], "admin": d.street}[role]
    rows = list(OutboxMessage.select())
    expected = {m.id for m in rows if _within(m.area_id, root)}
    if role == "admin":
        expected |= {m.id for m in rows if m.area_id is None}
    assert len(expected) < 100
    # The hand-queued rows pin the boundaries: alley A, community Y, the street, none, other.
    mine = {m.idempotency_key: m.id for m in rows if m.idempotency_key.startswith("scoping:")}
    pinned = {
        "staff_x": {"scoping:0"},
        "staff_y": {"scoping:1"},
        "admin": {"scoping:0", "scoping:1", "scoping:2", "scoping:3"},
    }[role]
    assert {k for k, v in mine.items() if v in expected} == pinned
    assert _ids(ctx, "/outbox?per_page=100", role) == expected


STATS_NEW = {"staff_x": 3, "staff_y": 2, "admin": 5}


@pytest.mark.parametrize("role", ROLES)
def test_stats_count_only_the_roles_area(ctx, role):
    res = ctx["client"].get(f"{API}/stats", headers=ctx["h"][role])
    if role in STAFF_ONLY:
        assert res.status_code == STAFF_ONLY[role]
        return
    body = _ok(res)
    assert body["counts"]["new"] == STATS_NEW[role]
    named = {line["steward_id"] for line in body["by_steward"]}
    assert named <= {s.id for s in ctx["d"].stewards}


@pytest.mark.parametrize("role", STAFF)
def test_stats_of_an_area_outside_the_scope_is_refused(ctx, role):
    d = ctx["d"]
    outside = {
        "staff_x": d.communities[1],
        "staff_y": d.communities[0],
        "admin": ctx["other"].street,
    }
    res = ctx["client"].get(f"{API}/stats?area_id={outside[role].id}", headers=ctx["h"][role])
    assert res.status_code == 403
    assert res.get_json()["error"]["code"] == "out_of_scope"
