"""GET /categories: the report form's categories, as this deployment configured them
(ISSUE_CATEGORIES), each with its priority, deadline and whether it is private."""

from __future__ import annotations

from tests.factories import (
    API,
)


def test_categories_are_what_this_deployment_configured(app, client):
    res = client.get(f"{API}/categories")  # no login: the report form needs it first
    assert res.status_code == 200
    items = res.get_json()["items"]
    assert [c["name"] for c in items] == list(app.config["ISSUE_CATEGORIES"])
    by_name = {c["name"]: c for c in items}
    assert by_name["私拉电线/安全隐患"] == {
        "name": "私拉电线/安全隐患",
        "priority": "important",
        "deadline_days": 3,
        "private": False,
    }
    assert by_name["邻里纠纷"]["private"] is True
    # A district that configures its own list gets exactly that list.
    app.config["ISSUE_CATEGORIES"] = {"垃圾分类": "ordinary", "违章搭建": "major"}
    names = [c["name"] for c in client.get(f"{API}/categories").get_json()["items"]]
    assert names == ["垃圾分类", "违章搭建"]
    assert client.get(f"{API}/categories").get_json()["items"][1]["deadline_days"] == 10
