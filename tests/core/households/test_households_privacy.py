"""Households are private: no public response (every GET route the app has, asked by
anonymous callers and residents, the scan pages included) carries a household's names,
address or phones; the patrol log and the ledger export carry none of it (and a steward, not
being staff, gets no ledger at all); and every read of a household leaves an audit event."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from infra.timeutil import to_local, utcnow
from models import Event, Issue, Visit
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
SECRETS = ("欧阳秀英", "欧阳小宝", "槐花巷88号", "13566667777", "13588889999", "陪护康复")


@pytest.fixture
def scene(app, client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    steward = login_steward(client, d.stewards[0])
    body = {
        "alley_id": d.alleys[0].id,
        "steward_id": d.stewards[0].id,
        "address": "槐花巷88号",
        "head_name": "欧阳秀英",
        "head_phone": "13566667777",
        "members": [{"name": "欧阳小宝", "relation": "孙子", "phone": "13588889999"}],
        "tags": ["独居老人", "残疾"],
    }
    res = client.post(f"{API}/households", json=body, headers=staff)
    assert res.status_code == 201, res.get_json()
    hid = res.get_json()["id"]
    plan = {"group": "重症残疾人", "plan": "每周陪护康复", "interval_days": 7}
    assert client.post(f"{API}/households/{hid}/plans", json=plan, headers=staff).status_code == 201
    patrol = {"note": "巡查一圈", "household_ids": [hid]}
    assert client.post(f"{API}/patrols", json=patrol, headers=steward).status_code == 201
    visit = {"note": "欧阳秀英身体还好，陪护康复照常"}
    res = client.post(f"{API}/households/{hid}/visits", json=visit, headers=steward)
    assert res.status_code == 201 and Visit.select().count() == 2
    # an issue and a resident's traffic, so the public pages have something to show
    resident = login(client, "居民乙")
    issue = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "垃圾桶满了"}
    assert client.post(f"{API}/issues", json=issue, headers=resident).status_code == 201
    return d, hid, staff, steward, resident


def _fill(rule: str, d, hid) -> str:
    issue_id = Issue.select().first().id
    return (
        rule.replace("<code>", d.boards[0].code)
        .replace("<int:household_id>", str(hid))
        .replace("<int:issue_id>", str(issue_id))
        .replace("<int:wish_id>", "1")
        .replace("<int:group_id>", "1")
        .replace("<int:board_id>", str(d.boards[0].id))
        .replace("<int:job_id>", "1")
        .replace("<token>", "nosuchtoken")
    )


def test_no_public_response_carries_household_details(app, client, scene):
    d, hid, _, _, resident = scene
    skip = ("<path:", "<name>", "<fname>", "<weight>")
    rules = [
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and not any(s in r.rule for s in skip)
    ]
    assert "/api/v1/households/<int:household_id>" in rules and "/b/<code>" in rules
    checked = 0
    for rule in rules:
        url = _fill(rule, d, hid)
        for headers in ({}, resident):
            res = client.get(url, headers=headers)
            body = res.get_data()
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                continue  # images, PDFs: nothing typed by a person is in them
            for secret in SECRETS:
                assert secret not in text, (url, headers, res.status_code)
            checked += 1
    assert checked > 60
    # the two household routes refuse them outright
    assert client.get(f"{API}/households/{hid}").status_code == 401
    assert client.get(f"{API}/households/{hid}", headers=resident).status_code == 403
    assert client.get(f"{API}/households", headers=resident).status_code == 403


def test_patrol_log_and_ledger_carry_no_household(app, client, scene):
    d, hid, staff, steward, _ = scene
    for headers in (staff, steward):
        text = client.get(f"{API}/patrols", headers=headers).get_data(as_text=True)
        assert "巡查一圈" in text
        assert not any(s in text for s in SECRETS), text
    # the ledger: stewards (not staff) get none at all …
    res = client.get(f"{API}/ledger.xlsx?area_id={d.communities[0].id}", headers=steward)
    assert res.status_code == 403
    assert not any(s in res.get_data(as_text=True) for s in SECRETS)
    # … and the staff's copy, read back cell by cell, names no household either
    today = to_local(utcnow()).date().isoformat()
    period = f"area_id={d.communities[0].id}&date_from={today}&date_to={today}"
    res = client.get(f"{API}/ledger.xlsx?{period}", headers=staff)
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    wb = load_workbook(io.BytesIO(res.data))
    cells = [
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    ]
    assert "巡查一圈" in cells  # the patrol is there
    joined = "\n".join(cells)
    assert not any(s in joined for s in SECRETS)


def test_every_read_is_audited(app, client, scene):
    d, hid, staff, steward, _ = scene

    def reads():
        return list(
            Event.select()
            .where(Event.action.in_(("household.read", "household.list")))
            .order_by(Event.id)
        )

    before = len(reads())
    client.get(f"{API}/households", headers=steward)
    client.get(f"{API}/households/{hid}", headers=staff)
    client.get(f"{API}/households/{hid}/visits", headers=steward)
    new = reads()[before:]
    assert [e.action for e in new] == ["household.list", "household.read", "household.read"]
    assert new[0].data["ids"] == [hid] and new[1].subject_id == hid
    assert all(e.actor_id is not None for e in new)
    assert json.dumps([e.data for e in new], ensure_ascii=False).count("欧阳") == 0
