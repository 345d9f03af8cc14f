"""Issue 25's "done means": one whistled item followed end to end by the four people who touch
it — the resident who reports it, the steward who takes it and escalates it, the community's
staff who whistle, urge and approve, and the unit member who checks in and closes it — with
every message the loop writes read back from the outbox, its recipient and its text, step by
step; a step that writes nothing is checked to write nothing. Runs on SQLite and PostgreSQL
(`scripts/with-postgres.sh`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from core.delivery import groups
from core.units import members, units
from models import ChatGroup, OutboxMessage, Steward
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
PHONE = "13912345678"


class Outbox:
    """The rows written since the last look, as (kind, recipient, text)."""

    def __init__(self):
        self.seen = 0

    def new(self) -> list[tuple[str, str, str]]:
        rows = list(
            OutboxMessage.select().where(OutboxMessage.id > self.seen).order_by(OutboxMessage.id)
        )
        if rows:
            self.seen = rows[-1].id
        return [(r.kind, r.target, _text(r)) for r in rows]


def _text(row: OutboxMessage) -> str:
    if row.kind == "robot":
        return row.payload["text"]["content"]
    data = row.payload["data"]  # a subscribe message: its status and its note
    return f"{data['phrase3']['value']}|{data['thing5']['value']}"


def _post(client, headers, path, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, (path, res.get_json())
    return res.get_json()


def _timeline(client, headers, issue_id) -> list[tuple[str, str | None]]:
    res = client.get(f"{API}/issues/{issue_id}", headers=headers)
    assert res.status_code == 200
    return [(t["label"], t["data"].get("summary") or t["note"]) for t in res.get_json()["timeline"]]


def test_a_whistled_item_from_report_to_resolution_with_every_message_read_back(client):
    d = make_district()
    steward_row = d.stewards[0]
    Steward.update(name="王秀英", wecom_userid="wx_wang").where(
        Steward.id == steward_row.id
    ).execute()
    unit = units.create(d.street, "住建办", phone="0531-8888")
    li = members.create_member(unit, "zjb-li", "password123", "李工", "wecom-li")
    ChatGroup.create(area=d.street, name="住建办群", webhook_key="key-unit", unit=unit)
    groups.create(d.communities[0], "key-staff", audience="staff", name="社区工作群")
    groups.create(d.communities[0], "key-stewards", name="管家群")
    resident = login(client, "居民甲")
    steward = login_steward(client, Steward.get_by_id(steward_row.id))
    staff = login_staff(client, make_staff(d.communities[0], username="zhangsan"))
    member = login_staff(client, li.account)
    for _ in range(4):  # the resident allows four status messages
        _post(client, resident, "/subscriptions", {"template_id": "tpl_dev_status"}, 201)
    outbox = Outbox()
    outbox.new()
    head = "#{id} 1区1巷·设施损坏：3号楼外墙脱落"
    unit_head = "#{id} 1区1巷 设施损坏：3号楼外墙脱落"

    with time_machine.travel(T0, tick=False) as clock:
        # the resident reports: the stewards' group hears it, @ the alley's steward
        report = {
            "board_code": d.boards[0].code,
            "category": "设施损坏",
            "content": "3号楼外墙脱落",
            "contact_phone": PHONE,
        }
        i = _post(client, resident, "/issues", report, 201)["id"]
        (created,) = outbox.new()
        assert created[:2] == ("robot", "key-stewards")
        assert created[2].startswith(f"【新诉求】{head.format(id=i)}")
        assert f"接单 {i}" in created[2] and PHONE not in created[2]

        # the steward takes it, then escalates it: the resident hears both
        _post(client, steward, f"/issues/{i}/accept")
        assert outbox.new() == [("subscribe", "dev:居民甲", "处理中|处理中")]
        _post(client, steward, f"/issues/{i}/escalate", {"note": "需要专业维修"})
        group, told = outbox.new()
        assert group[:2] == ("robot", "key-stewards")
        assert (
            group[2].startswith(f"【上报社区】{head.format(id=i)}") and "需要专业维修" in group[2]
        )
        assert told == ("subscribe", "dev:居民甲", "已上报社区|需要专业维修")

        # staff whistle to 住建办 as 重大: the unit's group (never the resident's phone) and
        # the resident hear it
        whistle = {"unit_id": unit.id, "tier": "major", "note": "请住建办鉴定维修"}
        _post(client, staff, f"/issues/{i}/whistle", whistle)
        told, group = outbox.new()
        assert told == ("subscribe", "dev:居民甲", "已吹哨|已吹哨住建办")
        assert group == (
            "robot",
            "key-unit",
            f"【吹哨报到】{unit_head.format(id=i)}\n紧急程度：重大，请于 12月3日 09:00 前办结。\n"
            f"请先回复 @小巷管家 报到 {i}",
        )
        assert OutboxMessage.get(OutboxMessage.target == "key-unit").payload["text"][
            "mentioned_list"
        ] == ["wecom-li"]

        # the unit member sees it in 本单位待办 with the resident's phone, checks in, reports
        # progress (the trail only) and asks for five more days: the community's staff group
        queue = client.get(f"{API}/issues?scope=unit", headers=member).get_json()
        assert [x["id"] for x in queue["items"]] == [i]
        assert client.get(f"{API}/issues/{i}", headers=member).get_json()["contact_phone"] == PHONE
        clock.shift(timedelta(hours=2))
        _post(client, member, f"/issues/{i}/check-in")
        _post(client, member, f"/issues/{i}/progress", {"note": "已到现场勘察"})
        _post(client, member, f"/issues/{i}/extension", {"days": 5, "reason": "需招标"})
        assert outbox.new() == [
            (
                "robot",
                "key-staff",
                f"【延期申请】住建办 申请 {unit_head.format(id=i)} 延期 5 天\n原因：需招标\n"
                "现办理期限 12月3日 09:00，请社区在工作台审批。",
            )
        ]

        # staff urge and approve the extension: the unit's group hears both
        _post(client, staff, f"/issues/{i}/urge", {"note": "居民反映多次，请尽快"})
        assert outbox.new() == [
            (
                "robot",
                "key-unit",
                f"【催办】{unit_head.format(id=i)}\n居民反映多次，请尽快\n办理期限：12月3日 09:00",
            )
        ]
        _post(client, staff, f"/issues/{i}/extension/decide", {"approve": True})
        assert outbox.new() == [
            (
                "robot",
                "key-unit",
                f"【延期审批】{unit_head.format(id=i)}\n"
                "zhangsan 同意延期 5 天，办理期限改为 12月8日 09:00。",
            )
        ]

        # the member closes it: the resident hears it was solved
        clock.shift(timedelta(days=1))
        _post(client, member, f"/issues/{i}/resolve", {"note": "外墙已修复"})
        assert outbox.new() == [("subscribe", "dev:居民甲", "已解决|外墙已修复")]

    # all four read the trail: who held it, who did what, every deadline change (the resident
    # in plain words; those who handle it also read the extension's days)
    expected = [
        ("提交", None),
        ("接单", None),
        ("上报社区", "需要专业维修"),
        ("吹哨", "已转交 住建办 处理"),
        ("紧急程度与期限", "紧急程度 一般→重大；办理期限 11月25日 09:00→12月3日 09:00"),
        ("报到", None),
        ("进展", "已到现场勘察"),
        ("申请延期", "需招标"),
        ("催办", "居民反映多次，请尽快"),
        ("延期审批", None),
        ("紧急程度与期限", "办理期限 12月3日 09:00→12月8日 09:00（同意延期 5 天）"),
        ("办结", "外墙已修复"),
    ]
    assert _timeline(client, resident, i) == expected
    handling = [
        *expected[:7],
        ("申请延期", "5 天，原因：需招标"),
        ("催办", "催 住建办：居民反映多次，请尽快"),
        ("延期审批", "同意延期 5 天"),
        *expected[10:],
    ]
    for who in (steward, staff, member):
        assert _timeline(client, who, i) == handling
    # the resident now may rate it; the unit's list keeps it, closed
    assert "rate" in client.get(f"{API}/issues/{i}", headers=resident).get_json()["actions"]
    (done,) = client.get(f"{API}/issues?scope=unit", headers=member).get_json()["items"]
    assert (done["id"], done["status"]) == (i, "resolved")
