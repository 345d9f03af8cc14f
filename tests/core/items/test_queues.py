"""What is waiting (`core.items.queues`): one world of items in every state a to-do cares about,
across two communities and their stewards, and every front end that says what waits — the
bot's `待办`, the console's dashboard, review page and the lists it links to, the API lists the
mini program's review, overdue and to-do pages read, and the reminder digest — giving the same
counts and the same items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.delivery import groups
from core.items import issues as issue_flow
from core.items import queues
from core.people import auth
from core.people.permissions import Principal
from jobs import reminders
from models import (
    ISSUE_OPEN,
    Department,
    Issue,
    OutboxMessage,
    RoleGrant,
    StaffAccount,
    Steward,
    Wish,
)
from tests.bot.clients import BridgeClient, bot_config
from tests.conftest import make_app
from tests.console_world import console_login
from tests.factories import (
    api_post,
    login,
    login_staff,
    login_steward,
    make_district,
    make_staff,
    report_issue,
)

API = "/api/v1"
SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
HELD_TEXT = "有人在巷口聚众赌博，很吵"  # the offline content check holds it
STAFF_LABELS = {
    "review": "待审核的微心愿",
    "held": "待决定是否公开的诉求",
    "overdue": "超期未办结的诉求",
    "escalated": "管家上报社区的诉求",
    "whistled": "已吹哨、待部门办结的诉求",
}


@pytest.fixture
def qapp(tmp_path, fake_wechat):
    app = make_app(tmp_path, PUBLIC_BASE_URL="http://xx.example.cn", **bot_config(fake_wechat))
    with app.app_context():
        yield app


@dataclass
class Community:
    """What one community's staff should find waiting (ids), and who works there."""

    staff: StaffAccount
    wecom: str  # the staff member's WeCom id in the bot
    expected: dict[str, set[int]] = field(default_factory=dict)


def _post(client, path, headers, body=None, status=(200, 201)):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code in status, res.get_json()
    return res.get_json()


def build_world(app):
    """Two communities, each with two alleys and a steward per alley, and in each: wishes
    waiting for review (and one approved), held reports (one of them cancelled, one already
    resolved), overdue reports (submitted and accepted), escalated and whistled ones (one
    escalated report also overdue), resolved and fresh ones that wait for nobody."""
    client = app.test_client()
    d = make_district()
    for n, s in enumerate(d.stewards):
        Steward.update(wecom_userid=f"wx_s{n}").where(Steward.id == s.id).execute()
    dept = Department.create(area=d.street, name="城管")
    communities = []
    for ci, community in enumerate(d.communities):
        staff = make_staff(community, username=f"secretary{ci + 1}")
        communities.append(Community(staff=staff, wecom=f"wx_staff{ci + 1}"))
    resident = login(client, "居民甲")
    admin = {ci: login_staff(client, c.staff) for ci, c in enumerate(communities)}
    stewards = {n: login_steward(client, s) for n, s in enumerate(d.stewards)}

    def report(alley_n, content="垃圾堆放", category="环境卫生"):
        body = {"board_code": d.boards[alley_n].code, "category": category, "content": content}
        return _post(client, "/issues", resident, body)["id"]

    def wish(alley_n, title):
        body = {
            "board_code": d.boards[alley_n].code,
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": title,
            "content": "想请人帮忙",
        }
        return _post(client, "/wishes", resident, body)["id"]

    with time_machine.travel(T0 - timedelta(days=4), tick=False):
        for ci, c in enumerate(communities):
            a, b = 2 * ci, 2 * ci + 1  # the community's two alleys (and stewards)
            e = c.expected
            e["overdue"] = {report(a, "垃圾桶满了"), report(b, "路灯不亮", "设施损坏")}
            late_accepted = report(b, "井盖松动", "设施损坏")
            _post(client, f"/issues/{late_accepted}/accept", stewards[b])
            e["overdue"].add(late_accepted)
            e["escalated"] = set()
            if ci == 0:  # escalated long ago: in both queues
                late_escalated = report(a, "违章搭建")
                _post(client, f"/issues/{late_escalated}/escalate", stewards[a], {"note": "需社区"})
                e["escalated"].add(late_escalated)
                e["overdue"].add(late_escalated)
            held_done = report(a, HELD_TEXT)
            _post(client, f"/issues/{held_done}/resolve", stewards[a], {"note": "已劝离"})
            e["held"] = {held_done}
            done = report(a, "落叶")
            _post(client, f"/issues/{done}/resolve", stewards[a], {"note": "已清扫"})
            e["review"] = {wish(a, "想要收音机"), wish(b, "想学用手机")}
            approved = wish(a, "想要台灯")
            _post(client, f"/wishes/{approved}/approve", admin[ci])
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        for ci, c in enumerate(communities):
            a, b = 2 * ci, 2 * ci + 1
            e = c.expected
            e["held"].add(report(b, HELD_TEXT))
            cancelled = report(a, HELD_TEXT)
            _post(client, f"/issues/{cancelled}/cancel", resident)
            assert Issue.get_by_id(cancelled).visibility == "held"  # held, cancelled: no queue
            escalated = report(b, "占道经营")
            _post(client, f"/issues/{escalated}/escalate", stewards[b], {"note": "需社区"})
            e["escalated"].add(escalated)
            whistled = report(a, "私拉电线")
            body = {"department_id": dept.id, "note": "请城管处理"}
            _post(client, f"/issues/{whistled}/whistle", admin[ci], body)
            e["whistled"] = {whistled}
            report(a, "新反映的垃圾")  # fresh: waits for its steward only
    return d, communities, stewards


def _bot_staff(chat, c: Community) -> dict[str, set[int]]:
    """The staff 待办 reply, read back: each queue's count and the items it names."""
    code, _ = auth.issue_bind_code(staff=c.staff, issued_by="test")
    assert chat.say(c.wecom, f"绑定 {code}").startswith("绑定成功")
    reply = chat.say(c.wecom, "待办")
    assert reply.startswith("社区待办：\n"), reply
    found = {name: set() for name in queues.STAFF_QUEUES}
    labels = {queues.LABELS[name]: name for name in queues.STAFF_QUEUES}
    for line in reply.splitlines()[1:]:
        label, count, entries = re.fullmatch(r"(\S+) (\d+)：(.*)", line).groups()
        pattern = r"心愿(\d+) " if labels[label] == "review" else r"#(\d+) "
        found[labels[label]] = {int(n) for n in re.findall(pattern, entries)}
        assert int(count) == len(found[labels[label]]), line  # every item named (≤ 5)
    return found


def _console(app, c: Community, community_id: int) -> tuple[dict[str, int], dict[str, set[int]]]:
    """The dashboard's counts, and the items of the review page and of the lists the
    dashboard links to."""
    client = console_login(app.test_client(), c.staff.username)
    html = client.get(f"/console/?area={community_id}").get_data(as_text=True)
    counts = {
        name: int(re.search(rf"{label} <b>(\d+)</b>", html).group(1))
        for name, label in STAFF_LABELS.items()
    }
    review = client.get("/console/review").get_data(as_text=True)
    items = {
        "review": {int(n) for n in re.findall(r'id="wish-(\d+)"', review)},
        "held": {int(n) for n in re.findall(r'id="issue-(\d+)"', review)},
    }
    for name, query in (
        ("overdue", "overdue=1"),
        ("escalated", "status=escalated"),
        ("whistled", "status=whistled"),
    ):
        page = client.get(f"/console/issues?{query}&area={community_id}").get_data(as_text=True)
        assert f'href="/console/issues?{query}&amp;area={community_id}"' in html  # linked
        items[name] = {int(n) for n in re.findall(r'href="/console/issues/(\d+)"', page)}
    return counts, items


def _api(client, headers) -> dict[str, set[int]]:
    """The lists the mini program's review and overdue pages read."""

    def ids(path):
        body = client.get(f"{API}{path}&per_page=100", headers=headers).get_json()
        assert body["total"] == len(body["items"]), body
        return {i["id"] for i in body["items"]}

    return {
        "review": ids("/wishes?scope=area&status=pending_review"),
        "held": ids("/issues?scope=area&visibility=held"),
        "overdue": ids("/issues?scope=area&overdue=true"),
        "escalated": ids("/issues?scope=area&status=escalated"),
        "whistled": ids("/issues?scope=area&status=whistled"),
    }


def _digest(group) -> dict[str, set[int]]:
    """What one group's reminder digest names: the overdue items escalated, the wishes
    waiting for review."""
    found = {"overdue": set(), "review": set()}
    messages = OutboxMessage.select().where(
        OutboxMessage.idempotency_key.startswith(f"remind:digest:group:{group.id}:")
    )
    section = None
    for message in messages:
        for line in message.payload["text"]["content"].splitlines():
            if line.startswith("【"):
                section = line
            elif section.startswith("【已超期】"):
                found["overdue"].add(int(re.match(r"#(\d+) ", line).group(1)))
            elif section.startswith("【心愿待审核】"):
                found["review"].add(int(re.match(r"心愿(\d+)", line).group(1)))
    return found


def test_every_front_end_says_the_same_thing_is_waiting(qapp):
    d, communities, steward_headers = build_world(qapp)
    client = qapp.test_client()
    chat = BridgeClient(client, None)
    chat_groups = [
        groups.create(community, f"robot-key-000{n}", chat_id=f"CHAT{n}")
        for n, community in enumerate(d.communities)
    ]
    with time_machine.travel(T0, tick=False):
        reminders.scan()
        for community, c, group in zip(d.communities, communities, chat_groups, strict=True):
            expected = c.expected
            core = queues.staff_todo(Principal.for_user(c.staff.user), limit=None)
            assert {name: set(s.ids) for name, s in core.items()} == expected
            assert {name: s.count for name, s in core.items()} == {
                name: len(ids) for name, ids in expected.items()
            }
            assert _bot_staff(chat, c) == expected
            counts, items = _console(qapp, c, community.id)
            assert counts == {name: len(ids) for name, ids in expected.items()}
            assert items == expected
            assert _api(client, login_staff(client, c.staff)) == expected
            digest = _digest(group)
            assert digest == {"overdue": expected["overdue"], "review": expected["review"]}

        # The steward's own to-do: the bot, the API list of the mini program's to-do page and
        # the queue give the same items, here for the stewards of the first community.
        for n, steward in enumerate(d.stewards[:2]):
            p = Principal.for_user(Steward.get_by_id(steward.id).user)
            section = queues.steward_todo(p, limit=None)
            open_ids = {
                i.id
                for i in Issue.select().where(Issue.status.in_(ISSUE_OPEN))
                if steward.id in [s.id for s in i.assigned_stewards()]
            }
            assert set(section.ids) == open_ids and section.count == len(open_ids) >= 3
            reply = chat.say(f"wx_s{n}", "待办")
            assert reply.startswith(f"待办 {section.count} 件：")
            assert {int(i) for i in re.findall(r"#(\d+) ", reply)} == set(section.ids[:5])
            body = client.get(
                f"{API}/issues?scope=assigned&status=open&per_page=100", headers=steward_headers[n]
            ).get_json()
            assert {i["id"] for i in body["items"]} == open_ids


def test_cancelled_held_reports_wait_for_nobody(qapp):
    """The rule the front ends used to disagree on (the console counted them, the bot did
    not): a held report that was cancelled is in no queue, however it is asked for."""
    d, communities, _ = build_world(qapp)
    client = qapp.test_client()
    staff = communities[0].staff
    cancelled = {
        i.id
        for i in Issue.select().where(
            (Issue.visibility == "held")
            & (Issue.status == "cancelled")
            & (Issue.community == d.communities[0])
        )
    }
    assert len(cancelled) == 1
    with time_machine.travel(T0, tick=False):
        held = queues.staff_todo(Principal.for_user(staff.user), limit=None)["held"]
        assert not cancelled & set(held.ids) and held.count == 2
        counts, items = _console(qapp, communities[0], d.communities[0].id)
        assert counts["held"] == 2 and not cancelled & items["held"]
        assert not cancelled & _api(client, login_staff(client, staff))["held"]
        # the cancelled one is still listed where the status is asked for
        headers = login_staff(client, staff)
        listed = client.get(f"{API}/issues?scope=area&status=cancelled", headers=headers)
        assert cancelled <= {i["id"] for i in listed.get_json()["items"]}


def test_a_queue_is_scoped_to_the_area_asked_for(qapp):
    """The street's admin sees both communities' queues; the dashboard of one community
    counts that community's only, as its staff's to-do does."""
    d, communities, _ = build_world(qapp)
    admin = make_staff(d.street, role="admin", username="streetadmin")
    p = Principal.for_user(admin.user)
    with time_machine.travel(T0, tick=False):
        everything = queues.staff_todo(p, limit=0)
        first = queues.staff_todo(p, within=d.communities[0], limit=0)
    for name in queues.STAFF_QUEUES:
        both = sum(len(c.expected[name]) for c in communities)
        assert everything[name].count == both
        assert first[name].count == len(communities[0].expected[name])
        assert everything[name].rows == []  # limit 0: counts only
    assert Wish.select().where(Wish.status == "pending_review").count() == 4


def test_the_dashboard_figures_and_its_to_do_agree_on_overdue(qapp):
    """The 首页 shows 超期 twice — in the period's figures and in 等您处理 — and /stats once:
    an item due at five this afternoon is overdue in none of them at nine this morning."""
    d, communities, _ = build_world(qapp)
    client = qapp.test_client()
    with time_machine.travel(T0 - timedelta(hours=40), tick=False):  # due T0 + 8 h
        body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "下午到期"}
        _post(client, "/issues", login(client, "居民乙"), body)
    c, community = communities[0], d.communities[0]
    with time_machine.travel(T0, tick=False):
        counts, _ = _console(qapp, c, community.id)
        page = console_login(qapp.test_client(), c.staff.username)
        html = page.get(f"/console/?area={community.id}").get_data(as_text=True)
        tile = int(re.search(r"<span>超期</span><b>(\d+)</b>", html).group(1))
        day = T0.astimezone(SH).date().isoformat()
        stats = client.get(
            f"{API}/stats?area_id={community.id}&date_from={day}&date_to={day}",
            headers=login_staff(client, c.staff),
        ).get_json()
    assert tile == counts["overdue"] == stats["counts"]["overdue"] == len(c.expected["overdue"])


def test_reassigned_issue_leaves_the_first_stewards_default_list(client, neighbours):
    """A steward's default list is what is assigned to them, not everything in their alley."""
    w = neighbours
    issue_id = report_issue(client, w)
    api_post(
        client, f"/issues/{issue_id}/assign", w["staff_x"], {"steward_ids": [w["d"].stewards[1].id]}
    )
    mine = client.get(f"{API}/issues", headers=w["steward_a"]).get_json()
    assert [i["id"] for i in mine["items"]] == []
    theirs = client.get(f"{API}/issues", headers=w["steward_b"]).get_json()
    assert [i["id"] for i in theirs["items"]] == [issue_id]
    # The alley's own steward still sees it in the alley's list, and in detail.
    area = client.get(f"{API}/issues?scope=area", headers=w["steward_a"]).get_json()
    assert [i["id"] for i in area["items"]] == [issue_id]


def test_deadline_text_reads_in_shanghai_time(client, neighbours):
    # 09:00 in Shanghai on Monday 2 March
    with time_machine.travel(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), tick=False):
        issue_id = report_issue(client, neighbours)
    assert issue_flow.local_deadline_text(Issue.get_by_id(issue_id)) == "3月4日 09:00"


def test_the_held_count_starts_from_the_held_reports_not_the_viewers_items(app):
    """The 首页s and 待办审核 count 待审核公开 on every request. Read through the partial index
    of held reports (schema 31), the count touches the handful held; driven from the viewer's
    alleys it walked every item they ever had (30 s for a street of a million)."""
    from infra.db import db, is_sqlite

    d = make_district()
    admin = make_staff(d.street, role="admin", username="streetadmin")
    sql, params = queues.staff_query("held", Principal.for_user(admin.user), T0).sql()
    if is_sqlite():
        db.execute_sql("ANALYZE")
        plan = [row[3] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
        assert any("issue_held_created_at" in step for step in plan), plan
        return
    db.execute_sql("SET enable_seqscan = off")  # the plan it would take on a big table
    plan = "\n".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", params))
    assert "issue_held_created_at" in plan, plan


def test_the_compiled_held_count_starts_from_the_held_reports_too(app, monkeypatch):
    """What the 首页 runs is the compiled statement, its areas and time parameters (on
    PostgreSQL a prepared statement, planned once for any values): it too is driven from the
    partial index of held reports, not from the viewer's areas."""
    from infra.db import db, is_sqlite

    d = make_district()
    p = Principal.for_user(make_staff(d.street, role="admin", username="streetadmin").user)
    sent = []
    execute_sql = db.obj.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        sent.append((sql, params))
        return execute_sql(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", spy)
    queues.staff_section("held", p, T0, d.communities[0], limit=0)
    monkeypatch.undo()
    ((sql, params),) = [(q, a) for q, a in sent if not q.startswith("PREPARE")]
    if is_sqlite():
        db.execute_sql("ANALYZE")
        plan = [row[3] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
        assert any("issue_held_created_at" in step for step in plan), plan
        return
    assert sql.startswith("EXECUTE "), sql  # the prepared statement itself
    db.execute_sql("SET plan_cache_mode = force_generic_plan")  # planned for any values
    db.execute_sql("SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", params))
    assert "issue_held_created_at" in plan, plan


# --- the queues compiled once (`queues.staff_section`): one SQL text per shape of scope -----

QUEUES_AND_UNACCEPTED = (*queues.STAFF_QUEUES, "unaccepted")


def _compiled(p: Principal, now: datetime, within=None, limit=None) -> dict[str, tuple]:
    """Each queue's count and ids (in order) through the compiled statements."""
    out = {}
    for name in QUEUES_AND_UNACCEPTED:
        section = queues.staff_section(name, p, now, within, limit)
        out[name] = (section.count, section.ids)
    return out


def _plain(p: Principal, now: datetime, within=None, limit=None) -> dict[str, tuple]:
    """The same from the queue's own peewee query (`staff_query`), built afresh."""
    out = {}
    for name in QUEUES_AND_UNACCEPTED:
        query = queues.staff_query(name, p, now, within)
        rows = [] if limit == 0 else list(query if limit is None else query.limit(limit))
        out[name] = (query.count(), [r.id for r in rows])
    return out


def _ids(todo: dict[str, tuple]) -> dict[str, set[int]]:
    return {name: set(todo[name][1]) for name in queues.STAFF_QUEUES}


def test_a_compiled_queue_keeps_no_viewers_scope(qapp):
    """The statements are compiled once and kept: two secretaries with the same shape of
    scope (one community each), asked in turn, each get their own community's queues; a
    viewer of both communities (two roots: a statement of its own) gets both."""
    d, communities, _ = build_world(qapp)
    both = make_staff(d.communities[0], username="both-communities")
    RoleGrant.create(user=both.user, role="staff", area=d.communities[1])
    first, second = (Principal.for_user(c.staff.user) for c in communities)
    union = Principal.for_user(both.user)
    assert first.scope_key() == second.scope_key() == (1, False)
    assert union.scope_key() == (2, False)
    for p, c in ((first, communities[0]), (second, communities[1]), (first, communities[0])):
        todo = _compiled(p, T0)
        assert _ids(todo) == c.expected
        assert todo == _plain(p, T0)
    todo = _compiled(union, T0)
    assert _ids(todo) == {
        name: communities[0].expected[name] | communities[1].expected[name]
        for name in queues.STAFF_QUEUES
    }
    assert todo == _plain(union, T0)


def test_a_compiled_queue_answers_for_the_area_and_the_moment_asked(qapp):
    """The street's admin, within one community and then the other (the 首页's area), gets
    each one's queues, the first five in order; the overdue queue at two moments gives each
    moment's answer."""
    d, communities, _ = build_world(qapp)
    admin = Principal.for_user(make_staff(d.street, role="admin", username="streetadmin").user)
    for community, c in ((d.communities[1], communities[1]), (d.communities[0], communities[0])):
        todo = _compiled(admin, T0, community, limit=5)
        assert _ids(todo) == c.expected
        assert todo == _plain(admin, T0, community, limit=5)
    reported = T0 - timedelta(days=4) + timedelta(minutes=1)  # nothing due yet
    late = sum(len(c.expected["overdue"]) for c in communities)
    for now, expected in ((T0, late), (reported, 0), (T0, late)):
        section = queues.staff_section("overdue", admin, now, limit=None)
        assert section.count == len(section.ids) == expected
        assert section.ids == [i.id for i in queues.staff_query("overdue", admin, now)]


def test_a_compiled_queue_with_no_scope_finds_nothing(qapp):
    """Nobody's scope (no roots, no alleys) matches nothing, and does not stand in for the
    next viewer's (nor theirs for it)."""
    d, communities, _ = build_world(qapp)
    staff = Principal.for_user(communities[0].staff.user)
    for p in (Principal.anonymous(), staff, Principal.anonymous()):
        todo = _compiled(p, T0, limit=5)
        assert todo == _plain(p, T0, limit=5)
        if p is staff:
            assert _ids(todo) == communities[0].expected
        else:
            assert all(todo[name] == (0, []) for name in QUEUES_AND_UNACCEPTED)


def test_a_compiled_queue_of_a_staff_member_who_is_also_a_steward(qapp):
    """A secretary who also serves as a steward in the other community sees their community
    and that alley (the alleys are a list parameter: one statement per length); two such
    people with different alleys each get their own."""
    d, communities, _ = build_world(qapp)
    # d.alleys[2] is the other community's first alley: its wishes, held and whistled reports
    RoleGrant.create(user=communities[0].staff.user, role="steward", steward=d.stewards[2])
    RoleGrant.create(user=communities[1].staff.user, role="steward", steward=d.stewards[0])
    first, second = (Principal.for_user(c.staff.user) for c in communities)
    assert first.scope_key() == second.scope_key() == (1, True)
    for p, own, other, alley in (
        (first, communities[0], communities[1], d.alleys[2]),
        (second, communities[1], communities[0], d.alleys[0]),
    ):
        todo = _compiled(p, T0)
        assert todo == _plain(p, T0)
        in_alley = {
            name: ids - own.expected[name]
            for name, ids in _ids(todo).items()
            if ids - own.expected[name]
        }
        assert in_alley and all(ids <= other.expected[name] for name, ids in in_alley.items())
        issues = {i for name, ids in in_alley.items() if name != "review" for i in ids}
        assert {Issue.get_by_id(i).alley_id for i in issues} == {alley.id}


def test_the_overdue_queues_first_rows_are_the_same_read_from_either_side(qapp, monkeypatch):
    """Over a broad scope the 超期 queue's first rows are read from the items' side, status by
    status, and merged (`queues.BROAD_OVERDUE`): the same rows in the same order as the queue
    itself — across statuses, with equal deadlines ordered by number, within an area, for a
    viewer who is also a steward elsewhere, and cut at the number asked for."""
    d, communities, _ = build_world(qapp)
    admin = Principal.for_user(make_staff(d.street, role="admin", username="streetadmin").user)
    RoleGrant.create(user=communities[0].staff.user, role="steward", steward=d.stewards[2])
    mixed = Principal.for_user(communities[0].staff.user)
    late = [i for c in communities for i in c.expected["overdue"]]
    # equal deadlines across statuses: only the id can order them
    tie = (T0 - timedelta(days=1)).replace(tzinfo=None)  # stored as naive UTC, as utcnow()
    Issue.update(deadline=tie).where(Issue.id.in_(late[::2])).execute()
    for broad in (10_000, 1):
        monkeypatch.setattr(queues, "BROAD_OVERDUE", broad)
        for p, within, limit in (
            (admin, None, 5),
            (admin, None, 2),
            (admin, d.communities[1], 2),
            (mixed, None, 4),
            (mixed, None, 3),
        ):
            section = queues.staff_section("overdue", p, T0, within, limit)
            expected = queues.staff_query("overdue", p, T0, within)
            assert section.count == expected.count() and section.count > limit
            assert section.ids == [i.id for i in expected.limit(limit)]
            assert all(row.alley.id == row.alley_id for row in section.rows)


def test_a_broad_overdue_queue_starts_from_the_items_by_status_and_deadline(app, monkeypatch):
    """The statements that read a broad scope's first overdue items are driven by issue
    (status, deadline), not by the viewer's areas (on PostgreSQL under the generic plan of a
    prepared statement, planned once for any values)."""
    from infra.db import db, is_sqlite

    d = make_district()
    p = Principal.for_user(make_staff(d.street, role="admin", username="streetadmin").user)
    for n in range(3):
        Issue.create(
            number=f"S9{n:05d}",
            alley=d.alleys[n % 2],
            community=d.communities[0],
            category="其他",
            content="超期",
            deadline=(T0 - timedelta(days=n + 1)).replace(tzinfo=None),
        )
    monkeypatch.setattr(queues, "BROAD_OVERDUE", 1)
    sent = []
    execute_sql = db.obj.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        sent.append((sql, params))
        return execute_sql(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", spy)
    section = queues.staff_section("overdue", p, T0, None, 5)
    monkeypatch.undo()
    assert section.count == 3 and len(section.rows) == 3
    run = [(q, a) for q, a in sent if not q.startswith("PREPARE")]
    by_status = run[1:]  # after the count: one statement per open status
    assert len(by_status) == len(queues.ISSUE_OPEN)
    for sql, params in by_status:
        if is_sqlite():
            db.execute_sql("ANALYZE")
            plan = [row[3] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
            assert "issue_status_deadline" in plan[0], plan
            assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort
            continue
        db.execute_sql("SET plan_cache_mode = force_generic_plan")
        plan = "\n".join(row[0] for row in db.execute_sql(f"EXPLAIN {sql}", params))
        assert "issue_status_deadline" in plan, plan
