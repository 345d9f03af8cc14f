"""What the mini program needed from the API: the 三率's counts in GET /stats, held items
listed with `visibility=held`, the street's departments for a whistle, and the assigned
stewards' public phones on an issue."""

from __future__ import annotations

from infra.timeutil import to_local, utcnow
from models import Department
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"


def _report(client, headers, board, content="南门巷口垃圾堆放三天了"):
    body = {"board_code": board, "category": "环境卫生", "content": content}
    res = client.post(f"{API}/issues", json=body, headers=headers)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def test_held_items_are_listed_for_moderation_and_stewards_phones_shown(client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    resident = login(client, "张大妈")
    login_steward(client, d.stewards[0])
    plain = _report(client, resident, d.boards[0].code)
    held = _report(client, resident, d.boards[0].code, "有人在巷子里组织赌博")
    assert held["visibility"] == "held" and plain["visibility"] == "public"

    res = client.get(f"{API}/issues?scope=area&visibility=held", headers=staff)
    assert res.status_code == 200, res.get_json()
    assert [i["id"] for i in res.get_json()["items"]] == [held["id"]]
    res = client.get(f"{API}/issues?scope=area&visibility=public", headers=staff)
    assert [i["id"] for i in res.get_json()["items"]] == [plain["id"]]
    assert client.get(f"{API}/issues?visibility=secret", headers=staff).status_code == 400

    stewards = plain["stewards"]
    assert stewards and all(s["phone"] for s in stewards)
    assert d.stewards[0].phone in {s["phone"] for s in stewards}


def test_stats_carry_the_counts_behind_each_rate(client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    steward = login_steward(client, d.stewards[0])
    resident = login(client, "张大妈")
    issue = _report(client, resident, d.boards[0].code)
    for action, body in (("accept", {}), ("resolve", {"note": "已清理"})):
        res = client.post(f"{API}/issues/{issue['id']}/{action}", json=body, headers=steward)
        assert res.status_code == 200, res.get_json()
    res = client.post(f"{API}/issues/{issue['id']}/rate", json={"score": 2}, headers=resident)
    assert res.status_code == 200, res.get_json()

    today = to_local(utcnow()).date().isoformat()  # today's items, whatever the default period
    c = client.get(f"{API}/stats?date_from={today}", headers=staff).get_json()["counts"]
    assert (c["answerable"], c["responded"], c["counted"], c["solved"]) == (1, 1, 1, 1)
    assert (c["rated"], c["satisfied"], c["satisfaction_rate"]) == (1, 0, 0.0)
    assert c["response_rate"] == 1.0 and c["resolution_rate"] == 1.0


def test_departments_of_the_street_for_staff_only(client):
    d = make_district()
    other = make_district(street_name="别的街道")
    Department.create(area=d.street, name="城管执法中队", phone="12319")
    Department.create(area=d.street, name="停用的部门", active=False)
    Department.create(area=other.street, name="别处的住建所")
    staff = login_staff(client, make_staff(d.communities[0]))
    res = client.get(f"{API}/departments", headers=staff)
    assert res.status_code == 200, res.get_json()
    assert [x["name"] for x in res.get_json()["items"]] == ["城管执法中队"]
    assert client.get(f"{API}/departments", headers=login(client, "张大妈")).status_code == 403
    assert client.get(f"{API}/departments").status_code == 401


def test_openapi_documents_the_additions(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    assert "/api/v1/departments" in doc["paths"]
    names = {p["name"] for p in doc["paths"]["/api/v1/issues"]["get"]["parameters"]}
    assert "visibility" in names
    counts = doc["components"]["schemas"]["TotalCounts"]["properties"]
    assert {"responded", "answerable", "solved", "counted", "satisfied"} <= set(counts)


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
