"""A district with items for the console tests: staff of two communities, an admin, a wish
waiting for review (with HTML in it), a held issue, open, resolved and overdue issues —
every item made through the real API, as residents and stewards make them; and the list of
every page of the app (`every_page`) for the tests that go through them all."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.households import cards, care_alerts
from core.people.permissions import Principal
from core.units import members, units
from infra.db import db
from models import Issue, PrintJob, StaffAccount, User, Wish
from tests.factories import District, login, login_steward, make_district, make_staff

API = "/api/v1"
UNIT_MEMBER = "unitpages"  # a handling unit's member, made by `every_page`
EVIL = '<script>alert("x")</script><b>粗体</b>'


@dataclass
class World:
    d: District
    staff: StaffAccount  # 第1社区
    other_staff: StaffAccount  # 第2社区
    admin: StaffAccount  # the street
    wish: Wish  # pending review, in 第1社区, content with HTML
    wish2: Wish  # pending review, in 第1社区
    held: Issue  # held (sensitive word), in 第1社区
    open_issue: Issue  # submitted, in 第1社区
    resolved: Issue  # resolved, in 第1社区


def _post(client, path, body, headers):
    res = client.post(f"{API}{path}", json=body, headers=headers)
    assert res.status_code in (200, 201), res.get_json()
    return res.get_json()


def build(app) -> World:
    """Call inside an app context."""
    db.connect(reuse_if_open=True)
    d = make_district()
    staff = make_staff(d.communities[0], username="secretary1")
    other = make_staff(d.communities[1], username="secretary2")
    admin = make_staff(d.street, role="admin", username="streetadmin")
    client = app.test_client()
    resident = login(client, "居民甲")
    code = d.boards[0].code

    def wish(title, content):
        body = {
            "board_code": code,
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": title,
            "content": content,
            "contact_phone": "13800001111",
        }
        return Wish.get_by_id(_post(client, "/wishes", body, resident)["id"])

    def issue(content, category="环境卫生"):
        body = {"board_code": code, "category": category, "content": content}
        return Issue.get_by_id(_post(client, "/issues", body, resident)["id"])

    w1 = wish("想要一台收音机", f"家里的收音机坏了 {EVIL}")
    w2 = wish("想学用智能手机", "想请志愿者教我用手机视频")
    held = issue("有人在巷口聚众赌博，很吵")
    assert held.visibility == "held"
    open_issue = issue(f"垃圾桶满了没人清 {EVIL}")
    done = issue("路灯坏了", "设施损坏")
    steward = login_steward(client, d.stewards[0])
    _post(client, f"/issues/{done.id}/accept", {}, steward)
    _post(client, f"/issues/{done.id}/resolve", {"note": "已更换灯泡"}, steward)
    return World(
        d=d,
        staff=staff,
        other_staff=other,
        admin=admin,
        wish=w1,
        wish2=w2,
        held=Issue.get_by_id(held.id),
        open_issue=open_issue,
        resolved=Issue.get_by_id(done.id),
    )


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path="/console/login") -> str:
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)


def console_login(client, username, password="password123"):
    token = csrf(client)
    res = client.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def every_page(app, w: World) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET page and file of the app but the API's and the chat
    callbacks', filled with the ids of real rows of `w` (a household card, a finished print
    job and a handling unit with its member `UNIT_MEMBER` are added for it). Static files and
    photos are left out: they read no query string."""
    admin = Principal.for_user(User.get_by_id(w.admin.user_id))
    household = cards.create(
        admin,
        {
            "alley_id": w.d.alleys[0].id,
            "steward_id": w.d.stewards[0].id,
            "address": "1区1巷3号",
            "head_name": "王大爷",
            "head_phone": "13811112222",
            "members": [],
            "tags": ["低保"],
            "notes": "",
        },
    )
    alert = care_alerts.create(admin, w.d.communities[0].id, "寒潮", ["低保"], "请看望")
    job = PrintJob.create(area=w.d.communities[0], total=1, status="done", file_name="x.pdf")
    unit = units.create(w.d.street, "住建办", "0731-1", kind="department", label="测试")
    member = members.create_member(unit, UNIT_MEMBER, "password123", "住建办罗工", label="测试")
    ids = {
        "issue_id": w.open_issue.id,
        "wish_id": w.wish.id,
        "board_id": w.d.boards[0].id,
        "job_id": job.id,
        "household_id": household.id,
        "alert_id": alert.id,
        "code": w.d.boards[0].code,
        "weight": "regular",
        "fname": "MP_verify_x",
        "token": "t" * 43,
        "unit_id": unit.id,
        "member_id": member.id,
    }
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/bot/")):
            continue
        if rule.endpoint.endswith(".static") or rule.endpoint == "media_file":
            continue
        values = {a: ids.get(a, 1) for a in rule.arguments}
        pages.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return sorted(pages, key=lambda page: page[1])
