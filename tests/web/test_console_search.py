"""The console's search box (找人找事): on every staff page, its results page grouped by kind
with links, scoped; and the person autocomplete's JSON."""

from __future__ import annotations

from tests.console_world import build, console_login


def test_search_box_on_every_staff_page_and_results_link(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    for path in ("/console/", "/console/issues", "/console/stewards", "/console/timebank"):
        html = client.get(path).get_data(as_text=True)
        assert 'action="/console/search"' in html, path
        assert "退出登录" in html and 'class="user-menu"' in html
    html = client.get(f"/console/search?q={w.open_issue.number}").get_data(as_text=True)
    assert 'id="found-issue"' in html and f'href="/console/issues/{w.open_issue.id}"' in html
    steward = w.d.stewards[0]
    html = client.get(f"/console/search?q={steward.phone}").get_data(as_text=True)
    assert f'href="/console/stewards/{steward.id}"' in html
    # another community's steward: no result, said in Chinese
    other = w.d.stewards[2]
    html = client.get(f"/console/search?q={other.phone}").get_data(as_text=True)
    assert f"/console/stewards/{other.id}" not in html and 'id="no-results"' in html


def test_odd_input_never_fails(capp):
    build(capp)
    client = console_login(capp.test_client(), "secretary1")
    for q in ("", "%", "_", "'", "a" * 5000, "１２３４５６７", "\u200b管家", "<script>"):
        res = client.get("/console/search", query_string={"q": q})
        assert res.status_code == 200, q
    html = client.get("/console/search", query_string={"q": "<script>"}).get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    res = client.get("/console/search/people.json", query_string={"q": "a" * 5000})
    assert res.status_code == 200 and res.get_json() == []


def test_people_json_for_autocomplete(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    rows = client.get("/console/search/people.json?q=管家").get_json()
    names = {r["name"] for r in rows}
    assert names == {s.name for s in w.d.stewards[:2]}
    assert all(r["value"] == r["name"] for r in rows)
    rows = client.get("/console/search/people.json?q=管家11&for=passbook").get_json()
    assert rows == [
        {
            "id": w.d.stewards[0].id,
            "kind": "steward",
            "name": "管家11",
            "detail": rows[0]["detail"],
            "value": f"steward:{w.d.stewards[0].id}",
        }
    ]
    # not logged in: sent to the login page, nothing leaks
    res = capp.test_client().get("/console/search/people.json?q=管家")
    assert res.status_code == 302
