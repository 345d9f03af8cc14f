"""公开 / 不公开 in the console: 公开 only after a confirmation page that shows exactly what the
board will show (the text and photos, never the reporter); the choice can be changed later
from the item's page both ways, each change audited and on the trail with the person's name."""

from __future__ import annotations

from models import Event, Issue
from tests.console_world import build, console_login, csrf


def test_publish_goes_through_a_confirmation_showing_what_becomes_public(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    held = Issue.get_by_id(w.held.id)
    review = client.get("/console/review").get_data(as_text=True)
    assert f"/console/issues/{held.id}/publish" in review

    page = client.get(f"/console/issues/{held.id}/publish?back=/console/review")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "确认公开" in html
    shown = html.split('class="card public-preview"')[1].split("</section>")[0]
    assert held.content in shown or held.content.replace('"', "&#34;") in shown
    assert "反映人的姓名、电话、住址从不公开" in shown
    assert Issue.get_by_id(held.id).visibility == "held"  # looking changes nothing

    token = csrf(client, "/console/review")
    url = f"/console/issues/{held.id}/moderate"
    # a bare 公开 (an old page, a script) is sent to the confirmation, nothing changes
    res = client.post(url, data={"csrf_token": token, "publish": "1"})
    assert res.headers["Location"].endswith(f"/console/issues/{held.id}/publish")
    assert Issue.get_by_id(held.id).visibility == "held"
    res = client.post(
        url, data={"csrf_token": token, "publish": "1", "confirmed": "1", "back": "/console/review"}
    )
    assert res.headers["Location"].endswith("/console/review")
    assert Issue.get_by_id(held.id).visibility == "public"

    # changed afterwards: 改为不公开 from the item's page, and back again
    page = client.get(f"/console/issues/{held.id}").get_data(as_text=True)
    assert "改为不公开" in page and "已公开" in page
    client.post(url, data={"csrf_token": token, "publish": "0", "note": "涉及邻居隐私"})
    assert Issue.get_by_id(held.id).visibility == "hidden"
    page = client.get(f"/console/issues/{held.id}").get_data(as_text=True)
    trail = page.split('class="timeline"')[1]
    assert "<b>公开</b> secretary1" in trail and "<b>不公开</b> secretary1" in trail
    actions = [
        e.action
        for e in Event.select()
        .where((Event.subject_type == "issue") & (Event.subject_id == held.id))
        .where(Event.actor == w.staff.user_id)
        .order_by(Event.id)
    ]
    assert actions[-2:] == ["issue.publish", "issue.hide"]
    hide = Event.select().where(Event.action == "issue.hide").order_by(Event.id.desc()).get()
    assert hide.data["note"] == "涉及邻居隐私"


def test_the_confirmation_is_for_this_communitys_staff_only(capp):
    w = build(capp)
    other = console_login(capp.test_client(), "secretary2")
    assert other.get(f"/console/issues/{w.held.id}/publish").status_code == 404
    client = console_login(capp.test_client(), "secretary1")
    html = client.get(f"/console/issues/{w.held.id}/publish?back=https://evil.example/").get_data(
        as_text=True
    )
    assert "evil.example" not in html
