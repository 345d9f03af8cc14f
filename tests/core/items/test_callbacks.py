"""回访 (callbacks): which closed items wait for one and when, recording a callback (audited,
refused with a 409 naming the field when the item is not closed or the round is settled, one
winner of two staff at once), 未接通 retried, 不满意 reopening the item, the street's sample rule
and each community's progress, and the figures that take 解决率 and 满意率 from the resident's
word — against a data set counted by hand."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
import time_machine
from peewee import fn

from core.figures import reports
from core.items import issues as flow
from models import Callback, CallbackRule, Event, Issue
from tests.core.figures.test_reports import SH, at
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


class Town:
    """Community 1 (two alleys, stewards s1 and s2) with its staff; community 2's staff; the
    street's admin; residents logged in by name."""

    def __init__(self, client):
        self.client = client
        self.d = make_district()
        self.s1 = login_steward(client, self.d.stewards[0])
        self.s2 = login_steward(client, self.d.stewards[1])
        self.staff_account = make_staff(self.d.communities[0], username="liu")
        self.staff = login_staff(client, self.staff_account)
        self.other = login_staff(client, make_staff(self.d.communities[1], username="wang"))
        self.admin = login_staff(client, make_staff(self.d.street, role="admin", username="jd"))
        self.people: dict[str, dict] = {}

    def resident(self, name):
        if name not in self.people:
            self.people[name] = login(self.client, name)
        return self.people[name]

    def report(self, name, board=0, **extra):
        body = {"board_code": self.d.boards[board].code, "category": "环境卫生", "content": name}
        body.update(extra)
        return _post(self.client, "/issues", self.resident(name), body, status=201)["id"]

    def resolve(self, issue_id, steward=None):
        _post(self.client, f"/issues/{issue_id}/resolve", steward or self.s1, {"note": "已处理"})

    def call(self, issue_id, result, note="", status=201, who=None):
        res = self.client.post(
            f"{API}/issues/{issue_id}/callback",
            json={"result": result, "note": note},
            headers=who or self.staff,
        )
        assert res.status_code == status, res.get_json()
        return res.get_json()

    def waiting(self, who=None, **query):
        res = self.client.get(f"{API}/callbacks", query_string=query, headers=who or self.staff)
        assert res.status_code == 200, res.get_json()
        return res.get_json()


@pytest.fixture
def town(client):
    return Town(client)


def test_the_list_holds_closed_unrated_items_with_a_resident_after_n_days(client, town):
    t = town
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        b = t.report("乙")  # no phone, not anonymous: the steward may know them
        c = t.report("丙", anonymous=True)  # anonymous without a phone: nobody to call
        d = t.report("丁", board=1, anonymous=True, contact_phone="13900000004")
        g = t.report("己")
        f = t.report("戊")  # stays open
        fix = {"board_code": t.d.boards[0].code, "category": "设施损坏", "content": "随手做"}
        fix["fixed_on_spot"] = {"note": "已修"}
        _post(client, "/issues", t.s1, fix, status=201)
    with at(12, 1, 10):
        for i in (a, b, c, g):
            t.resolve(i)
        t.resolve(d, t.s2)
        _post(client, f"/issues/{g}/rate", t.resident("己"), {"score": 4})
    with at(12, 4, 9, 59):  # three days after 10:00 is not yet
        assert t.waiting()["items"] == []
    with at(12, 4, 10):
        body = t.waiting()
    assert [i["id"] for i in body["items"]] == [a, b, d] and body["total"] == 3
    assert body["after_days"] == 3
    first = body["items"][0]
    assert first["contact_phone"] == "13900000001" and first["waiting_days"] == 3
    assert first["resolved_by"] == t.d.stewards[0].name and first["attempts"] == 0
    assert body["items"][1]["contact_phone"] is None
    assert f not in [i["id"] for i in body["items"]]
    # the street's admin sees it too; another community's staff and stewards do not
    with at(12, 4, 10):
        assert [i["id"] for i in t.waiting(t.admin)["items"]] == [a, b, d]
        assert t.waiting(t.other)["items"] == []
        other = client.get(
            f"{API}/callbacks?area_id={t.d.communities[0].id}", headers=t.other
        ).status_code
        steward = client.get(f"{API}/callbacks", headers=t.s1).status_code
    assert other == 403 and steward == 403


def test_the_days_are_a_setting(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, CALLBACK_AFTER_DAYS=1)
    with app.app_context():
        client = app.test_client()
        t = Town(client)
        with at(12, 1, 10):
            a = t.report("甲", contact_phone="13900000001")
            t.resolve(a)
        with at(12, 2, 10):
            assert [i["id"] for i in t.waiting()["items"]] == [a]


def test_the_count_is_the_lists_length_at_the_boundary_and_in_each_area(client, town):
    """`due_count` (the dashboard's 待回访) is its own aggregate: it must count what `due`
    lists — the minute of the boundary, anonymous items with an empty phone, settled rounds,
    another community's items — for a community, one of its alleys and the street."""
    from core.items.callbacks import due, due_count

    t = town
    with at(12, 1, 9):
        early = t.report("甲", contact_phone="13900000001")
        late = t.report("乙")
        blank = t.report("丙", anonymous=True)
        heard = t.report("丁")
        away = t.report("戊", board=2)  # community 2
    with at(12, 1, 10):
        for i in (early, blank, heard):
            t.resolve(i)
        t.resolve(away, login_steward(client, t.d.stewards[2]))
    with at(12, 1, 10, 1):
        t.resolve(late)  # a minute later: not yet due at 12-4 10:00
    Issue.update(contact_phone="").where(Issue.id == blank).execute()  # anonymous, empty phone
    with at(12, 4, 10):
        t.call(heard, "satisfied")
    street, (c1, c2) = t.d.street, t.d.communities
    with at(12, 4, 10):
        for area, expected in ((c1, [early]), (t.d.alleys[0], [early]), (c2, [away])):
            assert [i.id for i in due(area)] == expected
            assert due_count(area) == 1
        assert due_count(street) == len(due(street)) == 2
    with at(12, 4, 10, 1):
        assert [i.id for i in due(c1)] == [early, late] and due_count(c1) == 2


def test_an_item_leaves_the_list_within_days_after_its_closure(app, client, town):
    """CALLBACK_WITHIN_DAYS (30): closed exactly that long ago is still offered, a second
    earlier is not — on the API's list and total, the console's page and the 待回访 count —
    while the street's 回访完成率 (`needs_callback`) still counts both."""
    from core.items.callbacks import due, due_count, needs_callback
    from tests.console_world import console_login

    t = town
    with at(11, 30, 9):
        kept = t.report("甲", contact_phone="13900000001")
        gone = t.report("乙", contact_phone="13900000002")
    with time_machine.travel(datetime(2026, 12, 1, 9, 59, 59, tzinfo=SH), tick=False):
        t.resolve(gone)
    with at(12, 1, 10):
        t.resolve(kept)
    c1 = t.d.communities[0]
    with at(12, 31, 10):  # exactly 30 days after `kept` was closed
        body = t.waiting()
        assert [i["id"] for i in body["items"]] == [kept] and body["total"] == 1
        assert body["within_days"] == 30
        assert [i.id for i in due(c1)] == [kept] and due_count(c1) == 1
        assert due_count(t.d.street) == 1
        still_owed = Issue.select().where(needs_callback() & (Issue.community == c1.id))
        assert {i.id for i in still_owed} == {kept, gone}
        staff = console_login(app.test_client(), "liu")
        html = staff.get("/console/callbacks").get_data(as_text=True)
        assert "13900000001" in html and "13900000002" not in html and "30 天以内" in html
        assert "待回访的诉求 <b>1</b>" in staff.get("/console/").get_data(as_text=True)
    with time_machine.travel(datetime(2026, 12, 31, 10, 0, 1, tzinfo=SH), tick=False):
        assert t.waiting()["items"] == [] and due_count(c1) == 0
    # a setting: a longer window offers both again
    app.config["CALLBACK_WITHIN_DAYS"] = 31
    with at(12, 31, 10):
        assert [i["id"] for i in t.waiting()["items"]] == [gone, kept] and due_count(c1) == 2
        # the 首页 keeps its count between changes (the clock stands still here), not past one
        assert "待回访的诉求 <b>1</b>" in staff.get("/console/").get_data(as_text=True)
        t.call(kept, "satisfied")
        assert "待回访的诉求 <b>1</b>" in staff.get("/console/").get_data(as_text=True)
        t.call(gone, "satisfied")
        assert "待回访的诉求 <b>0</b>" in staff.get("/console/").get_data(as_text=True)


def test_the_count_reads_only_the_window_of_the_closure_index(town):
    """The 待回访 count runs on every 首页: bounded by the window on both sides it reads one
    short range of `issue_league_resolved (community, resolved_at, …)`; with only the lower
    bound of `CALLBACK_AFTER_DAYS` it read every unrated closure since the start (a street's
    two years: 300 ms at a million items), and SQLite took `issue_status_deadline` for the
    street's (four in ten items of all history) unless the status is kept off the index."""
    from core.items.callbacks import _offered
    from infra.db import db, is_sqlite

    for area in (town.d.communities[0], town.d.street):
        sql, params = Issue.select(fn.COUNT(Issue.id)).where(_offered(area)).sql()
        if is_sqlite():
            db.execute_sql("ANALYZE")
            plan = "\n".join(row[3] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "issue_league_resolved (community_id=? AND resolved_at>? AND resolved_at<?)" in (
                plan
            ), plan
            continue
        # PostgreSQL: a handful of rows gives no plan worth asserting (any index led by the
        # community ties); the window's both bounds reach the database, no sequential scan.
        db.execute_sql("SET enable_seqscan = off")
        plan = "\n".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", params))
        assert "resolved_at >=" in plan and "resolved_at <=" in plan, plan
        assert "Seq Scan on issue" not in plan, plan


def test_recording_is_audited_and_a_second_one_is_refused(client, town):
    t = town
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    with at(12, 4, 15):
        out = t.call(a, "satisfied", "路面已清扫干净")
        assert t.waiting()["items"] == []
    assert out["settled"] and out["result_label"] == "满意" and out["staff"] == "liu"
    event = Event.get(Event.action == "issue.callback")
    assert event.actor_label == "liu" and event.data["result"] == "satisfied"
    trail = client.get(f"{API}/issues/{a}", headers=t.staff).get_json()["timeline"]
    assert trail[-1]["label"] == "回访" and trail[-1]["actor"] == "liu"
    assert trail[-1]["note"] == "满意：路面已清扫干净"
    # twice: a 409 that names the field, and nothing written
    with at(12, 4, 16):
        again = t.call(a, "unsatisfied", status=409)["error"]
    assert again["code"] == "already_called_back" and "result" in again["fields"]
    assert "满意" in again["message"] and "liu" in again["message"]
    assert Callback.select().count() == 1
    assert Event.select().where(Event.action == "issue.callback").count() == 1


def test_refusals_name_the_field_and_write_nothing(client, town):
    t = town
    with at(12, 1, 9):
        open_one = t.report("甲", contact_phone="13900000001")
        rated = t.report("乙")
        hidden = t.report("丙", anonymous=True)
        t.resolve(rated)
        t.resolve(hidden)
        _post(client, f"/issues/{rated}/rate", t.resident("乙"), {"score": 5})
        fix = {"board_code": t.d.boards[0].code, "category": "设施损坏", "content": "随手做"}
        fix["fixed_on_spot"] = {"note": "已修"}
        spot = _post(client, "/issues", t.s1, fix, status=201)["id"]
    with at(12, 5, 9):
        not_closed = t.call(open_one, "satisfied", status=409)["error"]
        assert not_closed["code"] == "invalid_transition" and "尚未办结" in not_closed["message"]
        assert "status" in not_closed["fields"]
        assert t.call(rated, "satisfied", status=409)["error"]["fields"].keys() == {"rating"}
        assert t.call(hidden, "satisfied", status=409)["error"]["code"] == "no_contact"
        assert t.call(spot, "satisfied", status=409)["error"]["code"] == "no_resident"
        bad = t.call(open_one, "happy", status=400)["error"]
        assert "result" in bad["fields"]
        too_long = t.call(rated, "satisfied", "字" * 501, status=400)["error"]
        assert "note" in too_long["fields"]
        assert t.call(rated, "satisfied", status=404, who=t.other)["error"]["code"]
        assert t.call(rated, "satisfied", status=403, who=t.s1)
        assert t.call(rated, "satisfied", status=403, who=t.resident("乙"))
    assert Callback.select().count() == 0
    assert Event.select().where(Event.action == "issue.callback").count() == 0


def test_unreached_is_tried_again_until_the_last_attempt(client, town):
    t = town
    with at(12, 1, 9):
        b = t.report("乙", contact_phone="13900000002")
        t.resolve(b)
    with at(12, 4, 10):
        assert not t.call(b, "unreached")["settled"]
    with at(12, 4, 16):
        assert not t.call(b, "unreached", "无人接听")["settled"]
        row = t.waiting()["items"][0]
    assert row["id"] == b and row["attempts"] == 2 and row["last_attempt_by"] == "liu"
    with at(12, 5, 10):
        last = t.call(b, "unreached")
        assert last["settled"] and t.waiting()["items"] == []
        assert t.call(b, "unreached", status=409)["error"]["code"] == "already_called_back"


def test_unsatisfied_reopens_the_item_and_its_next_round_is_called_again(client, town):
    t = town
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        good = t.report("乙", contact_phone="13900000002")
        t.resolve(a)
        t.resolve(good)
    with at(12, 9, 10):
        flow.close_unrated(a)  # auto-closed as 未评价: still called back, still reopened
        t.call(a, "unsatisfied", "垃圾又堆起来了")
        t.call(good, "satisfied")
        refused = _post(client, f"/issues/{good}/reopen", t.staff, {"note": "想再看看"}, 409)
        assert refused["error"]["code"] == "not_unsatisfied"
        assert "result" in refused["error"]["fields"]
        # the resident's own reopen keeps its rules: staff of another community cannot
        _post(client, f"/issues/{a}/reopen", t.other, {"note": "x"}, 404)
        out = _post(client, f"/issues/{a}/reopen", t.staff, {"note": "居民说垃圾又堆起来了"})
    assert out["status"] == "submitted"
    issue = Issue.get_by_id(a)
    assert issue.reopen_count == 1 and issue.closed_at is None and issue.resolved_at is None
    last = out["timeline"][-1]
    assert last["label"] == "重新打开" and last["actor"] == "liu"
    assert last["note"] == "回访不满意：居民说垃圾又堆起来了"
    with at(12, 9, 11):
        again = _post(client, f"/issues/{a}/reopen", t.staff, {"note": "再开"}, 409)
        assert again["error"]["code"] == "invalid_transition"
        t.resolve(a)
    with at(12, 12, 10, 59):
        assert [i["id"] for i in t.waiting()["items"]] == []
    with at(12, 12, 11):  # the new round waits for its own callback
        assert [i["id"] for i in t.waiting()["items"]] == [a]
        assert t.call(a, "satisfied")["round"] == 1


def test_two_staff_at_once_one_wins(app, client, town):
    t = town
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    second = login_staff(client, make_staff(t.d.communities[0], username="zhao"))
    barrier = threading.Barrier(2)
    codes = []

    def call(headers, result):
        with app.app_context():
            c = app.test_client()
            barrier.wait()
            res = c.post(f"{API}/issues/{a}/callback", json={"result": result}, headers=headers)
            codes.append(res.status_code)

    with at(12, 4, 10):
        threads = [
            threading.Thread(target=call, args=(t.staff, "satisfied")),
            threading.Thread(target=call, args=(second, "unsatisfied")),
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert sorted(codes) == [201, 409]
    assert Callback.select().count() == 1
    assert Event.select().where(Event.action == "issue.callback").count() == 1


def test_the_residents_word_makes_the_rates(client, town):
    """Hand count, community 1, 1–20 December (every item reported on the 1st):
    P 5★, Q 3★ exactly, R 2★; S anonymous without a phone, never rated; T 未接通 then 满意;
    U auto-closed, then 基本满意; V 不满意, reopened, resolved again, then 满意 on the 18th;
    W 拒绝回访; X still open.
    answered P Q R T U V = 6; confirmed solved P Q T U V = 5; satisfied P T V = 3;
    callbacks done T U V V W = 5 (T's 未接通 settles nothing); rated 3;
    办结 8 of 9 reported (X open)."""
    t = town
    names = "PQRSTUVWX"
    ids = {}
    with at(12, 1, 9):
        for n in names:
            extra = {"anonymous": True} if n == "S" else {"contact_phone": "13900000009"}
            ids[n] = t.report(n, **extra)
    with at(12, 1, 10):
        for n in names[:-1]:
            t.resolve(ids[n])
    with at(12, 1, 12):
        for n, score in (("P", 5), ("Q", 3), ("R", 2)):
            _post(client, f"/issues/{ids[n]}/rate", t.resident(n), {"score": score})
    with at(12, 5, 9):
        flow.close_unrated(ids["U"])
        t.call(ids["T"], "unreached")
        t.call(ids["T"], "satisfied")
        t.call(ids["U"], "basically_satisfied")
        t.call(ids["V"], "unsatisfied", "没修好")
        t.call(ids["W"], "refused")
        _post(client, f"/issues/{ids['V']}/reopen", t.staff, {"note": "没修好"})
    with at(12, 6, 9):
        t.resolve(ids["V"])
    with at(12, 18, 9):
        t.call(ids["V"], "satisfied")
    with at(12, 20, 9):
        body = client.get(
            f"{API}/stats?date_from=2026-12-01&date_to=2026-12-20", headers=t.staff
        ).get_json()
        early = client.get(
            f"{API}/stats?date_from=2026-12-01&date_to=2026-12-15", headers=t.staff
        ).get_json()["counts"]
        report = reports.build(t.d.communities[0], reports.date(2026, 12, 19))
    c = body["counts"]
    assert (c["answered"], c["confirmed_solved"], c["satisfied"]) == (6, 5, 3)
    assert (c["callbacks_done"], c["rated"]) == (5, 3)
    assert (c["solved"], c["counted"]) == (8, 9)
    assert c["resolution_rate"] == round(5 / 6, 4) and c["satisfaction_rate"] == 0.5
    assert c["handled_rate"] == round(8 / 9, 4)
    assert c["rate_counts"]["resolution"] == [5, 6]
    assert c["rate_counts"]["satisfaction"] == [3, 6]
    assert c["rate_counts"]["handled"] == [8, 9]
    s1 = next(s for s in body["by_steward"] if s["steward_id"] == t.d.stewards[0].id)
    assert (s1["answered"], s1["confirmed_solved"], s1["callbacks_done"]) == (6, 5, 5)
    # up to the 15th V's last word was 不满意: the same six answers, one fewer solved
    assert (early["answered"], early["confirmed_solved"], early["satisfied"]) == (6, 4, 2)
    assert early["callbacks_done"] == 4
    # the daily report's month counts the same words
    assert report.month_rate_counts["resolution"] == (5, 6)
    assert report.month_rate_counts["satisfaction"] == (3, 6)


def test_a_callback_after_the_item_left_the_month_still_counts(client, town):
    """Resolved and auto-closed in November, called back in December: December's figures
    hear that word (the item is in no other branch of the report's query)."""
    t = town
    with at(11, 10, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    with at(11, 20, 9):
        flow.close_unrated(a)
    with at(12, 2, 9):
        t.call(a, "satisfied")
    with at(12, 3, 9):
        c = client.get(f"{API}/stats?date_from=2026-12-01", headers=t.staff).get_json()["counts"]
    assert (c["answered"], c["confirmed_solved"], c["callbacks_done"]) == (1, 1, 1)


def test_the_sample_rule_and_each_communitys_progress(client, town):
    t = town
    with at(12, 1, 9):
        ids = [t.report(f"居民{n}", contact_phone="13900000001") for n in range(4)]
        second = t.report("居民4", board=1, contact_phone="13900000002")
    with at(12, 1, 10):
        for i in ids:
            t.resolve(i)
        t.resolve(second, t.s2)
        _post(client, f"/issues/{ids[0]}/rate", t.resident("居民0"), {"score": 5})
    with at(12, 4, 10):
        default = t.waiting()["progress"]
    assert [p["name"] for p in default] == ["第1社区"]
    p = default[0]
    assert p["rule"] == {"min_percent": 100, "min_per_steward": 0, "source": "default"}
    assert (p["closed"], p["heard"], p["rated"], p["target"], p["needed"]) == (5, 1, 1, 5, 4)
    assert p["waiting"] == 4 and not p["met"]
    # only the street's admin sets the rule; staff cannot lower their own bar
    from core.items import callbacks
    from core.people.permissions import Principal
    from models import StaffAccount

    staff = StaffAccount.get(StaffAccount.username == "liu")
    admin = StaffAccount.get(StaffAccount.username == "jd")
    with pytest.raises(Exception) as refused:
        callbacks.set_rule(Principal.for_user(staff.user), t.d.street, 10, 0)
    assert refused.value.status == 403
    with pytest.raises(Exception) as bad:
        callbacks.set_rule(Principal.for_user(admin.user), t.d.street, 140, 0)
    assert bad.value.status == 400 and "min_percent" in bad.value.fields
    assert CallbackRule.select().count() == 0
    with at(12, 4, 11):
        callbacks.set_rule(Principal.for_user(admin.user), t.d.street, 40, 2)
        t.call(ids[1], "satisfied")
        p = t.waiting()["progress"][0]
    assert p["rule"]["source"] == "street" and p["target"] == 2  # ⌈5 × 40 %⌉
    assert (p["heard"], p["needed"]) == (2, 0)
    # s1 closed four, two heard: meets 2; s2 closed one, none heard: needs min(2, 1) = 1
    assert p["stewards_short"] == [
        {
            "steward_id": t.d.stewards[1].id,
            "name": t.d.stewards[1].name,
            "closed": 1,
            "heard": 0,
            "needed": 1,
        }
    ]
    assert not p["met"]
    with at(12, 4, 12):
        t.call(second, "unreached")  # not settled: not heard
        assert not t.waiting()["progress"][0]["met"]
        t.call(second, "refused")  # settled: the resident was asked
        assert t.waiting()["progress"][0]["met"]
    assert Event.select().where(Event.action == "callback_rule.set").count() == 1


def test_the_console_page_lists_records_reopens_and_sets_the_rule(app, client, town):
    from tests.console_world import console_login, csrf

    t = town
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        b = t.report("乙", contact_phone="13900000002")
        t.resolve(a)
        t.resolve(b)
    page = "/console/callbacks"
    with at(12, 4, 10):
        staff = console_login(app.test_client(), "liu")
        html = staff.get(page).get_data(as_text=True)
        assert "13900000001" in html and "等待回访 2 件" in html and "至少 100%" in html
        home = staff.get("/console/").get_data(as_text=True)
        assert "待回访的诉求 <b>2</b>" in home
        assert "回访抽样要求（街道设定）" not in html  # the rule is the street's to set
        token = csrf(staff, page)
        res = staff.post(
            f"/console/callbacks/{a}",
            data={"result": "unsatisfied", "note": "门口还是脏", "csrf_token": token},
        )
        assert res.status_code == 302
        html = staff.get(page).get_data(as_text=True)
        assert "已记录回访：不满意" in html and "13900000001" not in html
        assert "重新打开" in html and 'value="门口还是脏"' in html
        # recorded twice from a stale page: the refusal is a message, nothing written
        staff.post(f"/console/callbacks/{a}", data={"result": "satisfied", "csrf_token": token})
        assert "不能重复记录" in staff.get(page).get_data(as_text=True)
        assert Callback.select().count() == 1
        # without the form's token nothing happens
        assert (
            staff.post(f"/console/callbacks/{b}", data={"result": "satisfied"}).status_code == 400
        )
        staff.post(
            f"/console/callbacks/{a}/reopen", data={"note": "门口还是脏", "csrf_token": token}
        )
        assert Issue.get_by_id(a).status == "submitted"
        assert "已重新打开" in staff.get(page).get_data(as_text=True)
        # another community's staff: the area is not theirs
        other = console_login(app.test_client(), "wang")
        assert other.get(f"{page}?area={t.d.communities[0].id}").status_code == 403
        assert Callback.select().count() == 1
        admin = console_login(app.test_client(), "jd")
        html = admin.get(page).get_data(as_text=True)
        assert "回访抽样要求（街道设定）" in html and "13900000002" in html
        admin.post(
            "/console/callbacks/rule",
            data={
                "rule_area": t.d.communities[0].id,
                "min_percent": "30",
                "min_per_steward": "1",
                "csrf_token": csrf(admin, page),
            },
        )
        html = admin.get(page).get_data(as_text=True)
    assert "至少 30%，每位管家至少 1 件" in html and "本社区设定" in html
    rule = CallbackRule.get()
    assert (rule.min_percent, rule.min_per_steward, rule.updated_by) == (30, 1, "jd")


def test_the_reporter_reads_the_result_of_a_call_not_staffs_note(client, town):
    t = town
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    with at(12, 4, 10):
        t.call(a, "basically_satisfied", "甲说对门王家又堆了")
        # read within the tokens' lifetime (issued on 1 December), whatever the real date
        staff_view = client.get(f"{API}/issues/{a}", headers=t.staff).get_json()["timeline"][-1]
        own = client.get(f"{API}/issues/{a}", headers=t.resident("甲")).get_json()["timeline"][-1]
    assert staff_view["note"] == "基本满意：甲说对门王家又堆了"
    assert own["label"] == "回访" and own["note"] == "基本满意"
    assert "王家" not in str(own["data"])


def _principal(username):
    from core.people.permissions import Principal
    from models import StaffAccount

    return Principal.for_user(StaffAccount.get(StaffAccount.username == username).user)


def test_how_many_unanswered_calls_settle_a_round_is_a_setting(tmp_path):
    from core.items import callbacks
    from tests.conftest import make_app

    for setting, calls in ((0, 1), (2, 2)):
        app = make_app(tmp_path / str(setting), CALLBACK_MAX_ATTEMPTS=setting)
        with app.app_context():
            t = Town(app.test_client())
            with at(12, 1, 9):
                a = t.report("甲", contact_phone="13900000001")
                t.resolve(a)
            with at(12, 4, 10):
                made = [callbacks.record(_principal("liu"), a, "unreached") for _ in range(calls)]
            assert [c.settles for c in made] == [None] * (calls - 1) + [0], setting
            event = Event.select().where(Event.action == "issue.callback").order_by(Event.id)[-1]
            assert (event.data["attempt"], event.data["settled"]) == (calls, True)


def test_a_call_is_named_by_the_staff_members_console_name_and_its_note_is_trimmed(client, town):
    from core.items import callbacks

    t = town
    t.staff_account.display_name = "刘主任"
    t.staff_account.save()
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        b = t.report("乙", contact_phone="13900000002")
        t.resolve(a)
        t.resolve(b)
    p = _principal("liu")
    with at(12, 4, 10):
        with pytest.raises(Exception) as too_long:
            callbacks.record(p, a, "satisfied", "字" * 501)
        assert too_long.value.status == 400 and "note" in too_long.value.fields
        with pytest.raises(Exception) as unknown:
            callbacks.record(p, a, "happy")
        assert unknown.value.fields["result"].startswith("可选：satisfied（满意）、")
        c = callbacks.record(p, a, "satisfied", "  " + "字" * 500 + "  ")
        plain = callbacks.record(p, b, "refused")
    assert (c.actor_label, c.note, c.staff_id) == ("刘主任", "字" * 500, t.staff_account.id)
    events = list(Event.select().where(Event.action == "issue.callback").order_by(Event.id))
    assert [e.actor_label for e in events] == ["刘主任", "刘主任"]
    assert events[0].data["note"] == "满意：" + "字" * 500 and events[0].area_id == t.d.alleys[0].id
    assert events[1].data["note"] == "拒绝回访" and events[1].data["result_label"] == "拒绝回访"
    assert (events[1].data["round"], events[1].data["attempt"], plain.settles) == (0, 1, 0)
    with at(12, 4, 11):
        again = t.call(a, "unsatisfied", status=409)["error"]
    assert again["message"] == "该诉求本轮已回访：满意（刘主任，12月4日 10:00），不能重复记录"
    assert again["fields"] == {"result": "已记录“满意”"}


def test_reopening_gives_the_callbacks_words_as_the_reason_when_staff_add_none(client, town):
    from core.items import callbacks

    t = town
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        b = t.report("乙", contact_phone="13900000002")
        t.resolve(a)
        t.resolve(b)
    p = _principal("liu")
    with at(12, 4, 10):
        t.call(a, "unsatisfied", "门口还是脏")
        t.call(b, "unsatisfied")
        with pytest.raises(Exception) as too_long:
            callbacks.reopen(p, a, "字" * 501)
        assert too_long.value.status == 400 and "note" in too_long.value.fields
        callbacks.reopen(p, a)
        callbacks.reopen(p, b, "  ")
    reasons = {
        e.subject_id: e.data
        for e in Event.select().where(Event.action == "issue.reopen", Event.subject_id.in_([a, b]))
    }
    assert reasons[a]["note"] == "回访不满意：门口还是脏"
    assert reasons[b]["note"] == "回访不满意：居民表示问题未解决"
    assert reasons[a]["callback_id"] == Callback.get(Callback.issue == a).id
    assert Issue.get_by_id(a).status == Issue.get_by_id(b).status == "submitted"
