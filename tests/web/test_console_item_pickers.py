"""The console's item pages offer only whom and where the viewer may act on: an issue is
dispatched to the serving stewards of the viewer's own part of its community, by name; the
item lists' alley and steward filters hold the viewer's own alleys and stewards; a page of a
list is that page."""

from __future__ import annotations

import re

from models import Steward, StewardAlley
from tests.console_world import build, console_login
from tests.factories import next_phone


def _options(page: str, select: str) -> list[tuple[str, str]]:
    """The (value, label) pairs of the page's `<select name=select>`, its blank one left out."""
    found = re.search(rf'<select name="{select}">(.*?)</select>', page, re.S)
    assert found, f"no <select name={select}> on the page"
    return [
        (value, label.strip())
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found[1])
        if value
    ]


def _world(capp):
    """The console's world, with a serving steward of the first alley added last but first by
    name (so neither insertion nor id order is name order), and a dismissed one."""
    w = build(capp)
    first = Steward.create(name="丁管家", phone=next_phone())
    StewardAlley.create(steward=first, alley=w.d.alleys[0])
    gone = Steward.create(name="已离任", phone=next_phone(), active=False)
    StewardAlley.create(steward=gone, alley=w.d.alleys[0])
    return w, first


def test_an_issue_is_dispatched_to_its_communitys_serving_stewards_by_name(capp):
    w, first = _world(capp)
    d = w.d
    expected = [
        (str(first.id), "丁管家"),
        (str(d.stewards[0].id), "管家11"),
        (str(d.stewards[1].id), "管家12"),
    ]
    for viewer in ("secretary1", "streetadmin"):
        client = console_login(capp.test_client(), viewer)
        page = client.get(f"/console/issues/{w.open_issue.id}").get_data(as_text=True)
        assert _options(page, "steward_ids") == expected, viewer


def test_the_issue_lists_filters_hold_the_viewers_own_alleys_and_stewards_by_name(capp):
    w, first = _world(capp)
    d = w.d
    client = console_login(capp.test_client(), "secretary1")
    page = client.get("/console/issues").get_data(as_text=True)
    assert _options(page, "alley") == [
        (str(d.alleys[0].id), "1区1巷"),
        (str(d.alleys[1].id), "1区2巷"),
    ]
    assert _options(page, "steward") == [
        (str(first.id), "丁管家"),
        (str(d.stewards[0].id), "管家11"),
        (str(d.stewards[1].id), "管家12"),
    ]
