"""The 诉求 and 微心愿 lists' alley filter (`web/console/items._alleys_in_scope`): every alley
the viewer may read items of, in natural order, kept between changes."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from core.figures import kept
from core.people import areas
from infra.timeutil import utcnow
from models import Area, RoleGrant
from tests.console_world import build, console_login

NOON = utcnow().replace(hour=4, minute=0, second=0, microsecond=0)


def _alleys(client, page: str) -> list[str]:
    html = client.get(page).get_data(as_text=True)
    picker = html.split('<select name="alley">')[1].split("</select>")[0]
    return re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', picker)


def test_the_alley_filter_keeps_closed_alleys_and_a_stewards_own_and_follows_new_ones(capp):
    """A closed alley stays (its old items stay findable); a secretary who is also a steward of
    another community's alley finds that alley too; the 微心愿 list offers the same; an alley
    added with no event shows within the minute, never later."""
    with time_machine.travel(NOON, tick=False) as clock:
        w = build(capp)
        first, second = w.d.alleys[0], w.d.alleys[2]
        Area.update(active=False).where(Area.id == first.id).execute()
        RoleGrant.create(user=w.staff.user_id, role="steward", steward=w.d.stewards[2])
        client = console_login(capp.test_client(), "secretary1")
        expected = [first.name, w.d.alleys[1].name, second.name]
        assert _alleys(client, "/console/issues") == expected
        assert _alleys(client, "/console/wishes") == expected
        other = console_login(capp.test_client(), "secretary2")
        assert _alleys(other, "/console/issues") == [second.name, w.d.alleys[3].name]
        assert _alleys(client, "/console/issues") == expected  # counted after the login's event
        areas.child(w.d.grids[0], "alley", "1区10巷")  # writes no event
        areas.child(w.d.grids[0], "alley", "1区9巷")
        assert _alleys(client, "/console/issues") == expected  # kept: nothing changed
        clock.move_to(NOON + timedelta(seconds=kept.SECONDS))
        assert _alleys(client, "/console/issues") == [
            first.name,
            w.d.alleys[1].name,
            "1区9巷",
            "1区10巷",
            second.name,
        ]
