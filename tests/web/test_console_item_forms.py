"""The console's forms on 待办审核, 诉求 and 微心愿 (web/console/items.py): a reason or note is
required where the action needs one and bounded at 500 characters (exactly 500 is kept, 501
refused and never cut), said back on the page the form came from; `back=` returns only to a
console page; a refusal of core becomes a message on that page, not an error page."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from infra.timeutil import to_local, utcnow
from models import Event, Issue, Wish
from tests.console_world import build, console_login, csrf

NOON = utcnow().replace(hour=4, minute=0, second=0, microsecond=0)  # 12:00 in Shanghai
FLASH_RE = re.compile(r'<div class="flash (\w+)" role="status">(.*?)</div>', re.S)


def _flashes(client, path) -> list[tuple[str, str]]:
    return FLASH_RE.findall(client.get(path).get_data(as_text=True))


def test_a_rejection_without_a_reason_is_said_on_the_review_page_and_changes_nothing(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/review")
    res = client.post(
        f"/console/wishes/{w.wish2.id}/reject", data={"csrf_token": token, "reason": "  \n "}
    )
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/review")
    assert _flashes(client, "/console/review") == [
        ("error", f"驳回心愿 {w.wish2.number}：请填写原因或说明")
    ]
    assert Wish.get_by_id(w.wish2.id).status == "pending_review"


def test_a_reason_of_exactly_500_characters_is_kept_whole_and_501_are_refused(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/review")
    url = f"/console/wishes/{w.wish2.id}/reject"
    res = client.post(url, data={"csrf_token": token, "reason": "长" * 501})
    assert res.status_code == 302
    assert _flashes(client, "/console/review") == [
        ("error", f"驳回心愿 {w.wish2.number}：说明不能超过 500 字")
    ]
    assert Wish.get_by_id(w.wish2.id).status == "pending_review"
    res = client.post(url, data={"csrf_token": token, "reason": " " + "长" * 500 + " "})
    assert res.status_code == 302
    wish = Wish.get_by_id(w.wish2.id)
    assert wish.status == "rejected" and wish.reject_reason == "长" * 500
    assert _flashes(client, "/console/review") == [
        ("ok", f"心愿 {w.wish2.number} 已驳回，原因会告知提交人")
    ]


def test_an_over_long_note_on_hiding_an_issue_is_refused_with_a_400_page(capp):
    """不公开's note is optional, but still bounded: past 500 the page says so (400, not a 500)
    and the issue stays held."""
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/review")
    url = f"/console/issues/{w.held.id}/moderate"
    res = client.post(url, data={"csrf_token": token, "publish": "0", "note": "长" * 501})
    assert res.status_code == 400 and "说明不能超过 500 字" in res.get_data(as_text=True)
    assert Issue.get_by_id(w.held.id).visibility == "held"
    # no note at all is fine, and nothing is recorded for it
    res = client.post(url, data={"csrf_token": token, "publish": "0", "note": "   "})
    assert res.status_code == 302
    assert Issue.get_by_id(w.held.id).visibility == "hidden"
    hide = Event.get((Event.action == "issue.hide") & (Event.subject_id == w.held.id))
    assert not (hide.data or {}).get("note")
    # nor when the form has no note field at all
    client.post(url, data={"csrf_token": token, "publish": "1", "confirmed": "1"})
    publish = Event.get((Event.action == "issue.publish") & (Event.subject_id == w.held.id))
    assert not (publish.data or {}).get("note")


def test_an_issue_action_without_its_required_text_is_said_on_the_issue_page(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    page = f"/console/issues/{w.open_issue.id}"
    token = csrf(client, page)
    for action, field in (("escalate", "note"), ("cancel", "reason"), ("comment", "text")):
        res = client.post(f"{page}/{action}", data={"csrf_token": token, field: " "})
        assert res.status_code == 302 and res.headers["Location"].endswith(page), action
        assert _flashes(client, page) == [("error", "请填写原因或说明")], action
        # a form without the field at all is refused the same way
        client.post(f"{page}/{action}", data={"csrf_token": token})
        assert _flashes(client, page) == [("error", "请填写原因或说明")], action
    assert Issue.get_by_id(w.open_issue.id).status == "submitted"


def test_an_approval_returns_to_the_console_page_it_came_from_and_says_so(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/review")
    wish_page = f"/console/wishes/{w.wish.id}"
    res = client.post(f"{wish_page}/approve", data={"csrf_token": token, "back": wish_page})
    assert res.status_code == 302 and res.headers["Location"].endswith(wish_page)
    assert _flashes(client, wish_page) == [("ok", f"心愿 {w.wish.number} 已通过审核，已上心愿墙")]
    # approved twice: core's refusal is a message on the page, not an error page
    res = client.post(f"{wish_page}/approve", data={"csrf_token": token, "back": wish_page})
    assert res.status_code == 302 and res.headers["Location"].endswith(wish_page)
    [(kind, message)] = _flashes(client, wish_page)
    assert (kind, message) == ("error", "该心愿当前为“待认领”，不能审核通过")


def test_a_back_address_outside_the_console_is_not_followed(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/review")
    for back in ("https://evil.example/console/", "//evil.example/", "/api/v1/wishes", ""):
        wish = w.wish if back == "" else w.wish2
        res = client.post(
            f"/console/wishes/{wish.id}/approve", data={"csrf_token": token, "back": back}
        )
        assert res.status_code == 302, back
        assert res.headers["Location"].endswith("/console/review"), back


def test_an_item_that_does_not_exist_answers_404_on_its_page_and_its_forms(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/review")
    missing = max(Issue.select().count(), Wish.select().count()) + 1000
    for url in (f"/console/issues/{missing}", f"/console/issues/{missing}/publish"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/console/wishes/{missing}").status_code == 404
    for url, form in (
        (f"/console/issues/{missing}/comment", {"text": "你好"}),
        (f"/console/issues/{missing}/moderate", {"publish": "0"}),
        (f"/console/wishes/{missing}/approve", {}),
        (f"/console/wishes/{missing}/reject", {"reason": "不符合"}),
    ):
        res = client.post(url, data={"csrf_token": token, **form})
        assert res.status_code == 404, url
    assert Issue.get_by_id(w.open_issue.id).status == "submitted"


def test_the_publish_confirmation_returns_only_to_a_console_page(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    page = f"/console/issues/{w.held.id}/publish"

    def back_of(back: str) -> str:
        html = client.get(page, query_string={"back": back}).get_data(as_text=True)
        return re.search(r'name="back" value="([^"]*)"', html).group(1)

    assert back_of("/console/review") == "/console/review"
    assert back_of("/console/issues?status=held") == "/console/issues?status=held"
    own = f"/console/issues/{w.held.id}"
    for back in ("//evil.example/", "/console//evil.example/", "https://evil.example/console/"):
        assert back_of(back) == own, back
    assert back_of("") == own


def test_a_date_that_cannot_be_read_on_an_item_list_is_said_and_left_out(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    for url in ("/console/issues?from=2026-13-01", "/console/wishes?to=昨天"):
        res = client.get(url)
        assert res.status_code == 200, url
        html = res.get_data(as_text=True)
        assert FLASH_RE.findall(html) == [("error", "日期格式应为 年-月-日")], url
    html = client.get("/console/issues?from=2026-13-01").get_data(as_text=True)
    assert w.open_issue.number in html  # the bad date filters nothing out


def test_an_item_list_shows_the_items_made_within_the_days_asked_for(capp):
    """Pinned at noon, Shanghai: the day of the items and of the filter are the same day."""
    with time_machine.travel(NOON, tick=False):
        w = build(capp)
        client = console_login(capp.test_client(), "secretary1")
        today = to_local(utcnow()).date()
        day = timedelta(days=1)
        for path, number in (
            ("/console/issues", w.open_issue.number),
            ("/console/wishes", w.wish.number),
        ):
            for query, shown in (
                ({"from": today.isoformat()}, True),
                ({"from": (today + day).isoformat()}, False),
                ({"to": today.isoformat()}, True),
                ({"to": (today - day).isoformat()}, False),
                ({"from": today.isoformat(), "to": today.isoformat()}, True),
            ):
                res = client.get(path, query_string=query)
                assert res.status_code == 200, (path, query)
                html = res.get_data(as_text=True)
                assert (number in html) is shown, (path, query)
                assert not FLASH_RE.findall(html), (path, query)
