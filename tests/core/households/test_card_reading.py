"""Reading contact cards (core.households.cards): the list's filters and order, each exactly at
its edge (a visit due this very moment is not yet overdue), and every field a card and its
summary show — members, plans, visits with their photos, the steward's phone — with the read
audited."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.households import cards, plans, visits
from core.people.permissions import Principal
from infra.db import write_transaction
from infra.errors import ApiError
from models import CarePlan, Event, Household, Media, User
from tests.core.households.world import households
from tests.core.households.world import staff as _staff
from tests.factories import make_district

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
START_UTC = datetime(2026, 12, 1, 1, 0)
WEEKLY = {"group": "鳏寡孤独", "plan": "每周上门", "interval_days": 7}


@pytest.fixture
def w(app):
    d = make_district()
    admin = _staff(d.street, role="admin")
    places = (
        ("a", d.alleys[0], d.stewards[0]),
        ("a2", d.alleys[0], d.stewards[0]),
        ("b", d.alleys[1], d.stewards[1]),
        ("c", d.alleys[2], d.stewards[2]),
    )
    with time_machine.travel(START, tick=False):
        made = households(admin, d, places, members=True)
    return {"d": d, "h": made, "staff": _staff(d.communities[0]), "admin": admin}


def _ids(query) -> list[int]:
    return [h.id for h in query]


def _names(w, query) -> list[str]:
    by_id = {v: k for k, v in w["h"].items()}
    return [by_id[h.id] for h in query]


def test_only_stewards_and_staff_list_households(w):
    resident = Principal(user=User.create(openid="dev:resident"), roles={"resident"})
    with pytest.raises(ApiError) as err:
        cards.listing(resident)
    assert (err.value.status, err.value.code) == (403, "households_forbidden")


def test_the_list_filters_by_alley_steward_words_and_the_register(w):
    d, h = w["d"], w["h"]
    admin = w["admin"]
    assert _names(w, cards.listing(admin, alley_id=d.alleys[1].id)) == ["b"]
    assert _names(w, cards.listing(admin, steward_id=d.stewards[2].id)) == ["c"]
    # the words match the address or the head's name
    assert _names(w, cards.listing(admin, q="1区2巷")) == ["b"]
    assert _names(w, cards.listing(admin, q="户主a2")) == ["a2"]
    cards.update(admin, Household.get_by_id(h["a2"]), {"active": False})
    assert "a2" not in _names(w, cards.listing(admin))
    assert "a2" in _names(w, cards.listing(admin, include_inactive=True))


def test_a_tag_filter_matches_the_whole_tag_not_a_part_of_another(w, app):
    app.config["HOUSEHOLD_TAGS"] = ["老人", "独居老人", "低保"]
    h = w["h"]
    admin = w["admin"]
    cards.update(admin, Household.get_by_id(h["a"]), {"tags": ["独居老人"]})
    cards.update(admin, Household.get_by_id(h["b"]), {"tags": ["低保", "老人"]})
    assert _names(w, cards.listing(admin, tag="老人")) == ["b"]
    assert _names(w, cards.listing(admin, tag="独居老人")) == ["a"]
    with pytest.raises(ApiError) as err:
        cards.listing(admin, tag="富豪")
    assert (err.value.status, err.value.message) == (400, "标签：“富豪”不是可选的标签")
    assert err.value.fields == {"tag": "“富豪”不是可选的标签"}


def test_a_visit_due_this_very_moment_is_not_yet_overdue(w):
    admin, h = w["admin"], w["h"]
    with time_machine.travel(START, tick=False):
        plans.create(admin, h["a"], WEEKLY)
        plans.create(admin, h["b"], {**WEEKLY, "interval_days": 3})
    due_b = START_UTC + timedelta(days=3)
    assert Household.get_by_id(h["b"]).visit_due_at == due_b
    assert _names(w, cards.listing(admin, overdue=True, now=due_b)) == []
    assert sorted(_names(w, cards.listing(admin, overdue=False, now=due_b))) == [
        "a",
        "a2",
        "b",
        "c",
    ]
    later = due_b + timedelta(seconds=1)
    assert _names(w, cards.listing(admin, overdue=True, now=later)) == ["b"]
    assert _names(w, cards.listing(admin, overdue=False, now=later)) == ["a", "a2", "c"]


def test_the_list_is_soonest_due_first_then_by_address(w):
    admin, h = w["admin"], w["h"]
    # addresses: 1区1巷1号 (a), 1区1巷2号 (a2), 1区2巷3号 (b), 2区1巷4号 (c)
    Household.update(address="9号").where(Household.id == h["a"]).execute()
    with time_machine.travel(START, tick=False):
        plans.create(admin, h["b"], WEEKLY)
        plans.create(admin, h["c"], {**WEEKLY, "interval_days": 3})
    # the sooner due first whatever the address; then those with none due, by address
    # ("9号" after "1区1巷2号"), not as registered
    assert _names(w, cards.listing(admin)) == ["c", "b", "a2", "a"]


def test_a_summary_shows_the_households_head_alley_steward_and_next_visit(w):
    d, h = w["d"], w["h"]
    with time_machine.travel(START, tick=False):
        plans.create(w["admin"], h["a"], {**WEEKLY, "interval_days": 3})
    cards.update(w["admin"], Household.get_by_id(h["a"]), {"tags": ["低保"]})
    row = Household.get_by_id(h["a"])
    due = START_UTC + timedelta(days=3)
    assert cards.summary_out(row, now=due) == {
        "id": h["a"],
        "address": "1区1巷1号",
        "head_name": "户主a",
        "head_phone": "13811110000",
        "tags": ["低保"],
        "alley": {"id": d.alleys[0].id, "name": d.alleys[0].name},
        "steward": {"id": d.stewards[0].id, "name": d.stewards[0].name},
        "member_count": 1,
        "active": True,
        "last_visit_at": None,
        "visit_due_at": "2026-12-04T09:00:00+08:00",
        "overdue": False,
    }
    assert cards.summary_out(row, now=due + timedelta(seconds=1))["overdue"] is True
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert cards.summary_out(row)["overdue"] is True


def test_a_plan_shows_its_volunteer_and_is_overdue_only_while_active_and_past_due(w):
    h = w["h"]
    vol = User.create(nickname="刘志愿")
    with time_machine.travel(START, tick=False):
        plan = plans.create(
            w["admin"],
            h["a"],
            {
                **WEEKLY,
                "member_name": "a的孙子",
                "volunteer_user_id": vol.id,
                "volunteer_phone": "13700001111",
            },
        )
    plan = CarePlan.get_by_id(plan.id)
    due = START_UTC + timedelta(days=7)
    assert cards.plan_out(plan, now=due) == {
        "id": plan.id,
        "household_id": h["a"],
        "member_name": "a的孙子",
        "group": "鳏寡孤独",
        "plan": "每周上门",
        "volunteer": {"user_id": vol.id, "name": "刘志愿", "phone": "13700001111"},
        "interval_days": 7,
        "active": True,
        "due_at": "2026-12-08T09:00:00+08:00",
        "overdue": False,
        "created_at": "2026-12-01T09:00:00+08:00",
    }
    assert cards.plan_out(plan, now=due + timedelta(seconds=1))["overdue"] is True
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert cards.plan_out(plan)["overdue"] is True
    plan.active = False
    assert cards.plan_out(plan, now=due + timedelta(days=1))["overdue"] is False


def _media(n: int) -> Media:
    return Media.create(
        sha256=f"{n:064d}",
        mime="image/jpeg",
        ext="jpg",
        width=64,
        height=48,
        size=100,
        thumb_width=64,
        thumb_height=48,
    )


def test_a_visit_shows_its_visitor_kind_note_and_the_photos_still_there(w):
    d, h = w["d"], w["h"]
    one, two = _media(1), _media(2)
    _media(9)  # never asked for: not loaded
    hh = Household.get_by_id(h["a"])
    with time_machine.travel(START, tick=False), write_transaction():
        visit = visits.write(w["staff"], hh, "送了米面", [two.id, 999, one.id], START_UTC)
    assert visit.steward_id is None
    cache: dict = {}
    got = cards.visit_out(visit, cache)
    assert got == {
        "id": visit.id,
        "household_id": h["a"],
        "visitor": visit.visitor_label,
        "steward_id": None,
        "visited_at": "2026-12-01T09:00:00+08:00",
        "kind": "home",
        "kind_label": "入户",
        "note": "送了米面",
        "photos": [
            {
                "id": two.id,
                "url": f"/media/{two.sha256}.jpg",
                "thumb_url": f"/media/{two.sha256}_t.jpg",
            },
            {
                "id": one.id,
                "url": f"/media/{one.sha256}.jpg",
                "thumb_url": f"/media/{one.sha256}_t.jpg",
            },
        ],
        "patrol_id": None,
    }
    assert sorted(cache) == [one.id, two.id]
    # without a cache of the caller's
    assert [p["id"] for p in cards.visit_out(visit)["photos"]] == [two.id, one.id]
    visit.kind = "phone"
    visit.photo_ids = None
    assert (cards.visit_out(visit)["kind_label"], cards.visit_out(visit)["photos"]) == ("电话", [])
    assert d.stewards[0].id != visit.steward_id


def test_a_card_shows_everything_with_the_newest_twenty_visits_and_counts_them_all(w):
    d, h = w["d"], w["h"]
    hh = Household.get_by_id(h["a"])
    photo = _media(3)
    with time_machine.travel(START, tick=False):
        first = plans.create(w["admin"], h["a"], WEEKLY)
        second = plans.create(w["admin"], h["a"], {**WEEKLY, "interval_days": 3})
        plans.create(w["admin"], h["b"], WEEKLY)  # another household's: not on this card
        with write_transaction():
            # written newest first: the card orders them by date, not as written
            for day in reversed(range(22)):
                at = START_UTC - timedelta(days=30 - day)
                visits.write(w["staff"], hh, f"第{day}次", [photo.id], at)
    hh = Household.get_by_id(h["a"])
    with time_machine.travel(START, tick=False):
        got = cards.card_out(hh)
    assert got["community"] == {"id": d.communities[0].id, "name": d.communities[0].name}
    steward = d.stewards[0]
    assert got["steward"] == {"id": steward.id, "name": steward.name, "phone": steward.phone}
    assert got["members"] == [
        {"name": "a的孙子", "relation": "孙", "notes": "", "birth_year": None, "phone": ""}
    ]
    assert (got["notes"], got["member_count"], got["address"]) == ("", 1, "1区1巷1号")
    assert [p["id"] for p in got["plans"]] == [first.id, second.id]
    assert [v["note"] for v in got["visits"]] == [f"第{day}次" for day in range(21, 1, -1)]
    assert got["visits"][0]["photos"][0]["id"] == photo.id
    assert got["visit_count"] == 22
    assert (got["created_at"], got["updated_at"]) == (
        "2026-12-01T09:00:00+08:00",
        "2026-12-01T09:00:00+08:00",
    )
    assert got["last_visit_at"] == "2026-11-22T09:00:00+08:00"


def _media_reads(run) -> int:
    """How many statements `run()` sends that read the media table (peewee logs each)."""
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger = logging.getLogger("peewee")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        run()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    table = Media._meta.table_name
    return sum(1 for sql in seen if f'FROM "{table}"' in sql and "PREPARE " not in sql)


def test_a_card_loads_a_photo_shown_on_many_visits_once(w):
    hh = Household.get_by_id(w["h"]["a"])
    photo = _media(4)
    with time_machine.travel(START, tick=False), write_transaction():
        for day in range(3):
            visits.write(w["staff"], hh, f"第{day}次", [photo.id], START_UTC - timedelta(days=day))
    hh = Household.get_by_id(hh.id)
    got: dict = {}
    assert _media_reads(lambda: got.update(cards.card_out(hh))) == 1
    assert [[p["id"] for p in v["photos"]] for v in got["visits"]] == [[photo.id]] * 3


def test_two_visits_at_the_same_moment_show_the_later_written_first(w):
    hh = Household.get_by_id(w["h"]["a"])
    with time_machine.travel(START, tick=False), write_transaction():
        older = visits.write(w["staff"], hh, "先记", [], START_UTC)
        newer = visits.write(w["staff"], hh, "后记", [], START_UTC)
    got = cards.card_out(Household.get_by_id(hh.id))
    assert [v["id"] for v in got["visits"]] == [newer.id, older.id]


def test_a_card_shows_only_its_own_households_visits(w):
    h = w["h"]
    mine = Household.get_by_id(h["a"])
    with time_machine.travel(START, tick=False), write_transaction():
        visits.write(w["staff"], mine, "本户", [], START_UTC - timedelta(days=2))
        # a neighbour's, newer: neither shown nor counted on this card
        visits.write(w["staff"], Household.get_by_id(h["a2"]), "邻户", [], START_UTC)
    got = cards.card_out(Household.get_by_id(mine.id))
    assert ([v["note"] for v in got["visits"]], got["visit_count"]) == (["本户"], 1)
    assert {v["household_id"] for v in got["visits"]} == {mine.id}


def test_reading_a_card_is_audited_with_the_way_it_was_read(w):
    h = w["h"]
    got = cards.card(w["staff"], h["a"], via="console")
    assert got["id"] == h["a"] and got["head_name"] == "户主a"
    event = Event.get(Event.action == "household.read")
    assert (event.subject_id, event.actor_id, event.data) == (
        h["a"],
        w["staff"].user.id,
        {"via": "console"},
    )
    with pytest.raises(ApiError) as err:
        cards.card(w["staff"], h["c"], via="console")
    assert err.value.status == 404
    assert Event.select().where(Event.action == "household.read").count() == 1


def test_a_shown_list_is_audited_with_the_ids_shown_and_the_filters_used(w):
    rows = list(cards.listing(w["staff"]))
    cards.audit_listing(w["staff"], rows, {"tag": "低保", "q": ""}, "api")
    event = Event.get(Event.action == "household.list")
    assert event.data == {"via": "api", "ids": [r.id for r in rows], "filters": {"tag": "低保"}}
    assert sorted(event.data["ids"]) == sorted([w["h"]["a"], w["h"]["a2"], w["h"]["b"]])


def test_a_card_read_as_of_a_moment_shows_its_plans_and_next_visit_as_of_then(w):
    hh_id = w["h"]["a"]
    with time_machine.travel(START, tick=False):
        plans.create(w["admin"], hh_id, WEEKLY)
    hh = Household.get_by_id(hh_id)
    with time_machine.travel(START + timedelta(days=30), tick=False):
        then = cards.card_out(hh, now=START_UTC)
        now = cards.card_out(hh)
    assert (then["overdue"], [p["overdue"] for p in then["plans"]]) == (False, [False])
    assert (now["overdue"], [p["overdue"] for p in now["plans"]]) == (True, [True])


def test_one_address_in_two_communities_is_listed_as_registered(w):
    d = w["d"]
    Household.update(address="同名1号").where(
        Household.id.in_([w["h"]["a"], w["h"]["c"]])
    ).execute()
    listed = [h.id for h in cards.listing(w["admin"]) if h.address == "同名1号"]
    assert listed == [w["h"]["a"], w["h"]["c"]]
    # registered the other way round: the second community's first
    Household.delete().where(Household.id.in_([w["h"]["a"], w["h"]["c"]])).execute()
    body = {"head_name": "户主", "address": "同名1号"}
    later = cards.create(
        w["admin"], {**body, "alley_id": d.alleys[2].id, "steward_id": d.stewards[2].id}
    )
    last = cards.create(
        w["admin"], {**body, "alley_id": d.alleys[0].id, "steward_id": d.stewards[0].id}
    )
    listed = [h.id for h in cards.listing(w["admin"]) if h.address == "同名1号"]
    assert listed == [later.id, last.id]
