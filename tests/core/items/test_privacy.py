"""No public response contains a reporter's phone number or openid (the JSON is scanned)."""

from __future__ import annotations

import json

from models import User
from tests.factories import login_staff, make_district, make_staff

API = "/api/v1"
SECRET_PHONE = "13987654321"
WISH_PHONE = "13711112222"


def _login_online(client, fake, name):
    code = f"ok:{name}"
    res = client.post(f"{API}/auth/login", json={"code": code})
    assert res.status_code == 200, res.get_json()
    return {"Authorization": f"Bearer {res.get_json()['token']}"}


def test_public_responses_never_carry_private_data(online_app, fake_wechat):
    client = online_app.test_client()
    d = make_district()
    staff_headers = login_staff(client, make_staff(d.communities[0]))
    fake_wechat.enforce_recent_visit = False
    resident = _login_online(client, fake_wechat, "张大妈")
    neighbour = _login_online(client, fake_wechat, "李大爷")
    steward = login_steward_online(client, fake_wechat, d)
    openids = [u.openid for u in User.select().where(User.openid.is_null(False))]
    assert openids and all(o.startswith("o") for o in openids)

    board = d.boards[0].code
    issue = client.post(
        f"{API}/issues",
        json={
            "board_code": board,
            "category": "环境卫生",
            "content": "垃圾没人收",
            "contact_phone": SECRET_PHONE,
            "location": {"lat": 35.1, "lng": 119.3, "address": "南门巷12号"},
        },
        headers=resident,
    ).get_json()
    client.post(f"{API}/issues/{issue['id']}/accept", headers=steward)
    client.post(f"{API}/issues/{issue['id']}/resolve", json={"note": "已清运"}, headers=steward)
    wish = client.post(
        f"{API}/wishes",
        json={
            "board_code": board,
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "想要一副老花镜",
            "content": "看报纸看不清",
            "contact_phone": WISH_PHONE,
        },
        headers=resident,
    ).get_json()
    assert (
        client.post(f"{API}/wishes/{wish['id']}/approve", headers=staff_headers).status_code == 200
    )

    public = [
        client.get(f"{API}/boards/{board}"),
        client.get(f"{API}/wishes"),
        client.get(f"{API}/wishes/{wish['id']}"),
        client.get(f"{API}/wishes/{wish['id']}", headers=neighbour),
        client.get(f"{API}/issues/{issue['id']}", headers=neighbour),
        client.get(f"{API}/wishes?scope=wall", headers=neighbour),
    ]
    for res in public:
        text = json.dumps(res.get_json(), ensure_ascii=False)
        assert SECRET_PHONE not in text and WISH_PHONE not in text, text
        assert "南门巷12号" not in text
        for openid in openids:
            assert openid not in text, text
    board_view = public[0].get_json()
    assert board_view["recent_issues"][0]["content"] == "垃圾没人收"
    assert board_view["wishes"][0]["display_name"] == "王奶奶"
    # …while the people handling the item do see how to reach the resident
    handled = client.get(f"{API}/issues/{issue['id']}", headers=steward).get_json()
    assert handled["contact_phone"] == SECRET_PHONE
    # and no response anywhere, private ones included, carries an openid
    for res in [
        client.get(f"{API}/me", headers=resident),
        client.get(f"{API}/issues", headers=staff_headers),
    ]:
        text = json.dumps(res.get_json(), ensure_ascii=False)
        assert not any(openid in text for openid in openids)


def login_steward_online(client, fake, d):
    from core.people import auth

    headers = _login_online(client, fake, "管家王秀英")
    code, _ = auth.issue_bind_code(steward=d.stewards[0], issued_by="test")
    assert client.post(f"{API}/auth/bind", json={"code": code}, headers=headers).status_code == 200
    return headers
