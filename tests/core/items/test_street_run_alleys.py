"""An alley the street runs itself (no community above it): its items carry no community, and
the street's lists and figures that read a subtree by its communities must still hold them —
the 回访 list and its count, the 12345 tickets. A community's own lists must not."""

from __future__ import annotations

from datetime import timedelta

from core.boards import boards
from core.figures import hotline
from core.items.callbacks import due, due_count
from core.people import areas
from models import Issue, Steward, StewardAlley
from tests.core.figures.test_reports import at
from tests.core.items.test_callbacks import Town, _post
from tests.factories import login_steward, next_phone


def _street_run_alley(t: Town):
    alley, _ = areas.child(t.d.street, "alley", "街道直管巷")
    steward = Steward.create(name="直管管家", phone=next_phone())
    StewardAlley.create(steward=steward, alley=alley)
    t.d.boards.append(boards.create_board(alley))
    return alley, login_steward(t.client, steward)


def test_the_streets_callback_list_holds_the_items_of_the_alleys_it_runs_itself(client):
    t = Town(client)
    alley, own_steward = _street_run_alley(t)
    with at(12, 1, 9):
        theirs = t.report("甲", contact_phone="13900000001")
        ours = t.report("乙", board=len(t.d.boards) - 1, contact_phone="13900000002")
    assert Issue.get_by_id(ours).community_id is None
    with at(12, 1, 10):
        t.resolve(theirs)
        t.resolve(ours, own_steward)
    with at(12, 4, 10):
        assert [i["id"] for i in t.waiting(t.admin)["items"]] == [theirs, ours]
        assert [i.id for i in due(t.d.street)] == [theirs, ours]
        assert due_count(t.d.street) == 2
        # the alley picked alone, and no community's list
        assert [i.id for i in due(alley)] == [ours]
        assert [i["id"] for i in t.waiting()["items"]] == [theirs]
        assert all(due_count(c) == (c == t.d.communities[0]) for c in t.d.communities)
        # a callback is recorded by the street's admin and the item leaves the list
        t.call(ours, "satisfied", who=t.admin)
        assert [i.id for i in due(t.d.street)] == [theirs]


def test_the_streets_hotline_tickets_count_those_of_the_alleys_it_runs_itself(client):
    t = Town(client)
    alley, _ = _street_run_alley(t)
    body = {
        "source": "hotline",
        "contact_name": "赵秀兰",
        "contact_phone": "13912345678",
        "category": "环境卫生",
        "content": "巷口垃圾三天没人清运",
    }
    with at(12, 1, 9):
        _post(
            client, "/issues", t.admin, {**body, "alley_id": alley.id, "ticket_no": "26120101"}, 201
        )
        _post(
            client,
            "/issues",
            t.staff,
            {**body, "alley_id": t.d.alleys[0].id, "ticket_no": "26120102"},
            201,
        )
    issues = Issue.select().order_by(Issue.id)
    first = issues[0].created_at - timedelta(hours=1)
    last = issues[-1].created_at + timedelta(hours=1)
    street = sorted(i.id for i, _ in hotline.tickets(t.d.street, first, last))
    assert street == [i.id for i in issues]
    assert [i.id for i, _ in hotline.tickets(t.d.communities[0], first, last)] == [issues[1].id]
