"""The first screen's lists (我的 reports, the wish wall) are served from a worker's copy, yet
every change this worker makes shows at once, one another worker made without a word to this
one within a second, and one person's copy is never another's. A resident's principal is
reused by reads for a second, never by writes, and never a steward's or staff member's."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import time_machine

from core.items import list_cache
from core.items.list_cache import ListCache, lists
from core.people import auth
from infra import db as core_db
from infra.db import db, is_sqlite
from models import AlleyChange, AuthToken, Issue, RoleGrant, Steward, Wish
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _get(client, path, headers=None) -> dict:
    res = client.get(f"{API}{path}", headers=headers or {})
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


def _mine(client, headers) -> list[dict]:
    return _get(client, "/issues?scope=mine", headers)["items"]


class _Queries(logging.Handler):
    """Counts the SQL statements peewee runs."""

    def __init__(self):
        super().__init__()
        self.sql = []

    def emit(self, record):
        # peewee logs each statement as the tuple (sql, params) itself.
        if isinstance(record.msg, tuple) and record.msg and isinstance(record.msg[0], str):
            sql = record.msg[0]
            if sql.startswith("EXECUTE "):  # PostgreSQL: a server-side prepared statement
                name = sql.split()[1].split("(")[0]
                named = {n: text for text, n in core_db._statement_names.items()}
                sql = named.get(name, sql)
            self.sql.append(sql)

    def __enter__(self):
        log = logging.getLogger("peewee")
        self._level = log.level
        log.addHandler(self)
        log.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        log = logging.getLogger("peewee")
        log.removeHandler(self)
        log.setLevel(self._level)


def _report(client, headers, code, content="楼道堆物"):
    body = {"board_code": code, "category": "环境卫生", "content": content}
    return _post(client, "/issues", headers, body, status=201)


def test_my_reports_are_answered_from_the_copy_until_something_changes(client):
    d = make_district()
    resident = login(client, "居民甲")
    with time_machine.travel(T0, tick=False):
        first = _report(client, resident, d.boards[0].code, "路灯不亮")
        assert [i["id"] for i in _mine(client, resident)] == [first["id"]]
        with _Queries() as queries:
            again = _mine(client, resident)
        assert [i["content"] for i in again] == ["路灯不亮"]
        # Within the second: the resident's token and the list's fingerprint as just read.
        assert queries.sql == []
        with time_machine.travel(T0 + timedelta(seconds=list_cache.CHECK_SECONDS)):
            with _Queries() as queries:
                assert [i["content"] for i in _mine(client, resident)] == ["路灯不亮"]
        # Then the token and the fingerprint are read again: no list query, no per-row query.
        selects = [q for q in queries.sql if q.lstrip().upper().startswith("SELECT")]
        assert not any('FROM "issue" AS "t1" INNER JOIN' in q for q in selects), selects
        assert len(selects) == 2, selects

        # A new report of mine: in the list at once.
        second = _report(client, resident, d.boards[1].code, "井盖松动")
        assert [i["id"] for i in _mine(client, resident)] == [second["id"], first["id"]]


def test_every_step_on_my_report_shows_in_my_list_at_once(client):
    d = make_district()
    resident = login(client, "居民乙")
    steward = login_steward(client, d.stewards[0])
    with time_machine.travel(T0, tick=False):  # the clock stands still: no expiry helps
        issue = _report(client, resident, d.boards[0].code)["id"]
        assert _mine(client, resident)[0]["status"] == "submitted"
        _post(client, f"/issues/{issue}/accept", steward)
        assert _mine(client, resident)[0]["status"] == "accepted"
        _post(client, f"/issues/{issue}/resolve", steward, {"note": "已清理干净"})
        row = _mine(client, resident)[0]
        assert row["status"] == "resolved" and row["resolution_note"] == "已清理干净"
        assert "rate" in row["actions"]
        _post(client, f"/issues/{issue}/rate", resident, {"score": 5})
        assert _mine(client, resident)[0]["rating"] == 5


def test_a_change_another_worker_made_shows_within_a_second_without_any_signal(client):
    """No listener tells the list cache anything: a row changed in the database (as another
    worker's committed change looks from here) is seen by the fingerprint once the copy's
    second is up."""
    d = make_district()
    resident = login(client, "居民丙")
    with time_machine.travel(T0, tick=False) as clock:
        issue = _report(client, resident, d.boards[0].code)["id"]
        assert _mine(client, resident)[0]["status"] == "submitted"
        Issue.update(status="accepted", updated_at=datetime(2026, 11, 2, 1, 0, 1)).where(
            Issue.id == issue
        ).execute()
        clock.shift(timedelta(seconds=list_cache.CHECK_SECONDS * 0.9))
        assert _mine(client, resident)[0]["status"] == "submitted"  # the copy's second
        clock.shift(timedelta(seconds=list_cache.CHECK_SECONDS * 0.1))
        assert _mine(client, resident)[0]["status"] == "accepted"
        # A steward's new phone raises only the alley's counter (no issue row changes).
        Steward.update(phone="13900000001").where(Steward.id == d.stewards[0].id).execute()
        AlleyChange.update(version=AlleyChange.version + 1).where(
            AlleyChange.alley == d.alleys[0].id
        ).execute()
        clock.shift(timedelta(seconds=list_cache.CHECK_SECONDS))
        assert _mine(client, resident)[0]["stewards"][0]["phone"] == "13900000001"


def test_a_change_this_worker_makes_outside_a_request_shows_at_once(client):
    """A core workflow step run in this process (the bot, a job) tells the copies through the
    alleys' change listeners: no second to wait."""
    d = make_district()
    resident = login(client, "居民丙二")
    with time_machine.travel(T0, tick=False):
        _report(client, resident, d.boards[0].code)
        assert _mine(client, resident)[0]["stewards"][0]["phone"] != "13900000002"
        Steward.update(phone="13900000002").where(Steward.id == d.stewards[0].id).execute()
        from core.boards import boards

        boards.bump_for_steward(Steward.get_by_id(d.stewards[0].id))
        assert _mine(client, resident)[0]["stewards"][0]["phone"] == "13900000002"


def test_following_a_report_puts_it_in_my_list_at_once(client):
    d = make_district()
    reporter = login(client, "居民丁")
    neighbour = login(client, "邻居")
    with time_machine.travel(T0, tick=False):
        issue = _report(client, reporter, d.boards[0].code)["id"]
        assert _mine(client, neighbour) == []
        _post(client, f"/issues/{issue}/follow", neighbour)
        assert [i["id"] for i in _mine(client, neighbour)] == [issue]


def test_one_persons_copy_is_never_anothers(client):
    d = make_district()
    a, b = login(client, "居民戊"), login(client, "居民己")
    with time_machine.travel(T0, tick=False):
        mine_a = _report(client, a, d.boards[0].code, "甲的问题")["id"]
        assert [i["id"] for i in _mine(client, a)] == [mine_a]
        assert _mine(client, b) == []
        mine_b = _report(client, b, d.boards[0].code, "乙的问题")["id"]
        assert [i["id"] for i in _mine(client, b)] == [mine_b]
        assert [i["id"] for i in _mine(client, a)] == [mine_a]
        # Pages are copies of their own.
        second = _report(client, a, d.boards[0].code, "甲的第二个问题")["id"]
        assert [i["id"] for i in _get(client, "/issues?scope=mine&per_page=1", a)["items"]] == [
            second
        ]
        page2 = _get(client, "/issues?scope=mine&per_page=1&page=2", a)
        assert [i["id"] for i in page2["items"]] == [mine_a] and page2["total"] == 2


def test_a_new_role_is_a_new_view_of_the_same_list(client):
    """The same user, bound as the alley's steward: the buttons of their own report change."""
    d = make_district()
    resident = login(client, "管家本人")
    with time_machine.travel(T0, tick=False):
        issue = _report(client, resident, d.boards[0].code)["id"]
        assert "accept" not in _mine(client, resident)[0]["actions"]
        staff = login_staff(client, make_staff(d.communities[0]))
        code = _post(client, "/bind-codes", staff, {"steward_id": d.stewards[0].id}, status=201)
        _post(client, "/auth/bind", resident, {"code": code["code"]})
        row = _mine(client, resident)[0]
        assert row["id"] == issue and "accept" in row["actions"]


def test_the_overdue_flag_turns_once_the_copy_is_old(client):
    d = make_district()
    resident = login(client, "居民庚")
    with time_machine.travel(T0, tick=False) as clock:
        _report(client, resident, d.boards[0].code)
        assert _mine(client, resident)[0]["overdue"] is False
        clock.shift(timedelta(days=3))
        assert _mine(client, resident)[0]["overdue"] is True


def _wish(client, headers, code, title="想要一个助行器"):
    body = {
        "board_code": code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": title,
        "content": "腿脚不便",
    }
    return _post(client, "/wishes", headers, body, status=201)["id"]


def _wall(client, alley_id=None, headers=None) -> list[dict]:
    path = "/wishes?scope=wall" + (f"&alley_id={alley_id}" if alley_id else "")
    return _get(client, path, headers)["items"]


def test_the_wish_wall_shows_every_step_at_once(client):
    d = make_district()
    resident = login(client, "居民辛")
    volunteer = login(client, "志愿者")
    staff = login_staff(client, make_staff(d.communities[0]))
    alley = d.alleys[0].id
    with time_machine.travel(T0, tick=False) as clock:
        assert _wall(client) == [] and _wall(client, alley) == []
        wish = _wish(client, resident, d.boards[0].code)
        assert _wall(client) == []  # waiting for review: not on the wall
        _post(client, f"/wishes/{wish}/approve", staff)
        assert [w["id"] for w in _wall(client)] == [wish]
        assert [w["id"] for w in _wall(client, alley)] == [wish]
        assert _wall(client, d.alleys[1].id) == []
        # Anonymous and a logged-in volunteer see different buttons: copies of their own.
        assert "claim" in _wall(client, headers=volunteer)[0]["actions"]
        assert _wall(client)[0]["actions"] == []
        _post(client, f"/wishes/{wish}/claim", volunteer)
        assert [w["status"] for w in _wall(client)] == ["claimed"]
        assert [w["status"] for w in _wall(client, alley)] == ["claimed"]
        assert "claim" not in _wall(client, headers=volunteer)[0]["actions"]
        # Changed behind this worker's back (another host): seen within the second.
        Wish.update(title="想要一副老花镜", updated_at=datetime(2026, 11, 2, 1, 0, 5)).where(
            Wish.id == wish
        ).execute()
        clock.shift(timedelta(seconds=list_cache.CHECK_SECONDS))
        assert _wall(client, alley)[0]["title"] == "想要一副老花镜"


def test_a_dismissed_steward_is_not_served_an_old_copy(client):
    d = make_district()
    steward = login_steward(client, d.stewards[0])
    with time_machine.travel(T0, tick=False):
        assert _get(client, "/issues?scope=mine", steward)["items"] == []
        auth.dismiss_steward(d.stewards[0], label="test")
        res = client.get(f"{API}/issues?scope=mine", headers=steward)
        assert res.status_code == 401


def test_the_cache_keeps_to_its_byte_budget():
    cache = ListCache(max_bytes=100)
    cache.put(("a",), (1,), "x" * 60)
    cache.put(("b",), (1,), "y" * 30)
    assert cache.get(("a",), lambda: (1,), ttl=5) == ("x" * 60, None)  # now the most recent
    cache.put(("c",), (1,), "z" * 30)  # over budget: b, the least recently used, goes
    assert cache.get(("b",), lambda: (1,), ttl=5) == (None, None)
    assert cache.get(("a",), lambda: (1,), ttl=5)[0] and cache.get(("c",), lambda: (1,), ttl=5)[0]
    cache.recheck()
    # Another fingerprint: not this copy, and the caller builds with the one read.
    assert cache.get(("a",), lambda: (2,), ttl=5) == (None, (2,))
    cache.put(("big",), (1,), "w" * (600 * 1024))  # bigger than any copy may be
    assert cache.get(("big",), lambda: (1,), ttl=5) == (None, None) and len(cache) == 2


def test_the_copies_can_be_turned_off(app, client):
    app.config["LIST_CACHE_SECONDS"] = 0
    lists.clear()
    d = make_district()
    resident = login(client, "居民壬")
    _report(client, resident, d.boards[0].code)
    assert len(_mine(client, resident)) == 1
    assert len(lists) == 0


def test_the_mine_fingerprint_reads_issues_by_index_not_all_of_them(app):
    """我的 is read on every request: its issues must be found through the reporter and the
    follower indexes. (Written as `reporter = ? OR id IN (followed)`, PostgreSQL had no index
    for the OR and read every issue, each time.)"""
    query = list_cache._MINE._build()
    sql, params = db.obj.get_sql_context(prepared_sizes={}).sql(query).query()
    values = [7 if type(p).__name__ == "_Slot" else p for p in params]
    if is_sqlite():
        plan = [row[3] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", values)]
        assert not [step for step in plan if step.startswith("SCAN t1")], plan
        assert any("issue_reporter_id" in step for step in plan), plan
        return
    db.execute_sql("SET enable_seqscan = off")  # the plan it would take on a big table
    plan = "\n".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", values))
    assert "Index Cond: (reporter_id = 7)" in plan, plan
    assert "Filter:" not in plan, plan


def test_a_copy_in_use_reads_its_fingerprint_once_a_second_and_after_a_recheck():
    cache = ListCache()
    reads = []

    def fingerprint():
        reads.append(1)
        return (1,)

    with time_machine.travel(T0, tick=False) as clock:
        cache.put(("a",), (1,), "x")
        for _ in range(3):
            assert cache.get(("a",), fingerprint, ttl=5) == ("x", None)
        assert reads == []
        clock.shift(timedelta(seconds=list_cache.CHECK_SECONDS))
        for _ in range(3):
            assert cache.get(("a",), fingerprint, ttl=5) == ("x", None)
        assert len(reads) == 1
        cache.recheck()
        assert cache.get(("a",), fingerprint, ttl=5) == ("x", None)
        assert len(reads) == 2
        clock.shift(timedelta(seconds=5))  # the copy's time limit, fingerprint or not
        assert cache.get(("a",), fingerprint, ttl=5) == (None, None)


# --- the resident's principal ------------------------------------------------------------------


def _token_lookups(client, path, headers) -> tuple[int, int]:
    with _Queries() as queries:
        status = client.get(f"{API}{path}", headers=headers).status_code
    return status, sum(q.startswith("SELECT") and '"auth_token"' in q for q in queries.sql)


def test_a_residents_reads_reuse_their_token_for_a_second_and_writes_never(client):
    d = make_district()
    resident = login(client, "居民癸")
    with time_machine.travel(T0, tick=False) as clock:
        assert _token_lookups(client, "/me", resident) == (200, 1)
        assert _token_lookups(client, "/me", resident) == (200, 0)
        assert _token_lookups(client, "/issues?scope=mine", resident) == (200, 0)
        clock.shift(timedelta(seconds=1))
        assert _token_lookups(client, "/me", resident) == (200, 1)
        # A write reads the token afresh; a token revoked behind its back is refused at once.
        AuthToken.update(revoked_at=datetime(2026, 11, 2)).execute()
        body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "楼道堆物"}
        assert client.post(f"{API}/issues", json=body, headers=resident).status_code == 401
        # That write dropped the worker's copies: the read is refused too.
        assert _token_lookups(client, "/me", resident) == (401, 1)


def test_signing_out_ends_the_token_at_once_on_this_worker(client):
    resident = login(client, "居民子")
    with time_machine.travel(T0, tick=False):
        assert client.get(f"{API}/me", headers=resident).status_code == 200
        assert client.post(f"{API}/auth/logout", headers=resident).status_code == 200
        assert client.get(f"{API}/me", headers=resident).status_code == 401


def test_a_revoked_token_elsewhere_is_refused_within_the_second(client):
    resident = login(client, "居民丑")
    with time_machine.travel(T0, tick=False) as clock:
        assert client.get(f"{API}/me", headers=resident).status_code == 200
        AuthToken.update(revoked_at=datetime(2026, 11, 2)).execute()  # another worker's logout
        clock.shift(timedelta(seconds=0.9))
        assert client.get(f"{API}/me", headers=resident).status_code == 200
        clock.shift(timedelta(seconds=0.1))
        assert client.get(f"{API}/me", headers=resident).status_code == 401


def test_a_staff_members_grant_is_read_on_every_request(client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    with time_machine.travel(T0, tick=False):
        assert "staff" in _get(client, "/me", staff)["roles"]
        assert _token_lookups(client, "/me", staff)[1] == 1
        RoleGrant.update(revoked_at=datetime(2026, 11, 2)).execute()  # revoked elsewhere
        assert "staff" not in _get(client, "/me", staff)["roles"]


def test_copies_of_principals_can_be_turned_off(app, client):
    app.config["PRINCIPAL_CACHE_SECONDS"] = 0
    resident = login(client, "居民寅")
    with time_machine.travel(T0, tick=False):
        assert _token_lookups(client, "/me", resident) == (200, 1)
        assert _token_lookups(client, "/me", resident) == (200, 1)


def test_a_token_that_expires_within_the_second_is_refused_at_its_expiry(client):
    resident = login(client, "居民卯")
    with time_machine.travel(T0, tick=False) as clock:
        AuthToken.update(expires_at=datetime(2026, 11, 2, 1, 0, 0, 500000)).execute()
        assert client.get(f"{API}/me", headers=resident).status_code == 200
        clock.shift(timedelta(seconds=0.5))
        assert client.get(f"{API}/me", headers=resident).status_code == 401
