"""Nobody certifies their own service (issue 33): a staff member who claims and fulfils a wish
cannot certify the record (nor change or correct it) from any of their logins; in a community
whose only staff member is that person, the record waits for the street's admin — in the
admin's queue (`GET /service-records?awaiting=true`, the console's dashboard and 服务记录 page)
— and once the community has a second staff member, it is theirs to certify instead."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import time_machine

from core.people import auth
from core.people.permissions import Principal
from core.timebank import postings
from core.volunteering import records
from infra.timeutil import utcnow
from models import Area, PointAccount, PointEntry, ServiceRecord, Steward, User
from tests.console_world import console_login, csrf
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"


def _world(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    admin = make_staff(d.street, role="admin")
    # The staff member's own WeChat, bound to their staff account: the same person.
    wechat = login(client, "社区书记微信")
    code, _ = auth.issue_bind_code(staff=staff, issued_by="test")
    assert client.post(f"{API}/auth/bind", json={"code": code}, headers=wechat).status_code == 200
    return {
        "d": d,
        "c1": d.communities[0],
        "staff_account": staff,
        "staff": login_staff(client, staff),
        "staff_wechat": wechat,
        "admin_account": admin,
        "admin": login_staff(client, admin),
        "resident": login(client, "王奶奶的女儿"),
    }


@pytest.fixture
def w(client):
    return _world(client)


def post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, (path, res.get_json())
    return res.get_json()


def awaiting(client, headers) -> list[int]:
    query = {"status": "pending", "awaiting": "true"}
    res = client.get(f"{API}/service-records", query_string=query, headers=headers)
    assert res.status_code == 200, res.get_json()
    return [r["id"] for r in res.get_json()["items"]]


def own_wish_record(client, w) -> ServiceRecord:
    """The staff member claims a published wish from their WeChat and fulfils it."""
    body = {
        "board_code": w["d"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "想要一台收音机",
        "content": "家里的收音机坏了",
    }
    wish = post(client, "/wishes", w["resident"], body, 201)
    post(client, f"/wishes/{wish['id']}/approve", w["staff"])
    post(client, f"/wishes/{wish['id']}/claim", w["staff_wechat"])
    post(client, f"/wishes/{wish['id']}/fulfil", w["staff_wechat"], {"note": "送到了"})
    return ServiceRecord.get(ServiceRecord.source_key == f"wish:{wish['id']}")


def test_a_staff_member_who_fulfilled_a_wish_cannot_certify_it_the_street_admin_does(client, w):
    record = own_wish_record(client, w)
    wechat_user = User.get(User.openid == "dev:社区书记微信")
    assert record.user_id == wechat_user.id and record.status == "pending"
    for headers in (w["staff"], w["staff_wechat"]):
        refused = post(client, f"/service-records/{record.id}/certify", headers, status=403)
        assert refused["error"]["code"] == "own_record"
        assert "街道管理员" in refused["error"]["message"]
        bulk = post(client, "/service-records/certify", headers, {"ids": [record.id]}, 403)
        assert bulk["error"]["code"] == "own_record"
        patch = client.patch(
            f"{API}/service-records/{record.id}", json={"hours": 8}, headers=headers
        )
        assert patch.status_code == 403
    assert ServiceRecord.get_by_id(record.id).status == "pending"
    assert PointEntry.select().count() == 0
    # Listed as the staff member's own, not certifiable by them, and not in their queue.
    mine = client.get(f"{API}/service-records/{record.id}", headers=w["staff"]).get_json()
    assert mine["certifiable"] is False
    assert awaiting(client, w["staff"]) == []
    # The community has no other staff member: the street's admin has it in their queue.
    assert awaiting(client, w["admin"]) == [record.id]
    seen = client.get(f"{API}/service-records/{record.id}", headers=w["admin"]).get_json()
    assert seen["certifiable"] is True
    done = post(client, f"/service-records/{record.id}/certify", w["admin"])
    assert done["status"] == "certified" and done["certified_by"]
    account = PointAccount.get(PointAccount.user == wechat_user.id)
    assert account.balance == 1 and postings.audit_balances() == []
    assert awaiting(client, w["admin"]) == []
    # Certified by the admin, it still cannot be corrected by its own person.
    again = post(
        client, f"/service-records/{record.id}/corrections", w["staff"], {"reason": "少记"}, 403
    )
    assert again["error"]["code"] == "own_record"


def test_with_a_second_staff_member_the_community_certifies_it(client, w):
    record = own_wish_record(client, w)
    colleague = login_staff(client, make_staff(w["c1"]))
    # Someone of the community itself can certify it now: it leaves the street's queue.
    assert awaiting(client, w["admin"]) == []
    assert awaiting(client, colleague) == [record.id]
    post(client, f"/service-records/{record.id}/certify", colleague)
    assert ServiceRecord.get_by_id(record.id).status == "certified"


def test_the_street_queue_holds_what_no_community_staff_can_certify(client, w):
    """A steward's patrol day in 第1社区 (one staff member, not the steward) stays with that
    staff member; 第2社区 has no staff at all, so its records go to the street."""
    d = w["d"]
    records = {}
    for i, alley in enumerate((d.alleys[0], d.alleys[2])):
        records[i] = ServiceRecord.create(
            community=d.communities[i],
            steward=d.stewards[2 * i],
            person_name="管家",
            source_type="patrol",
            source_key=f"queue:{i}",
            title=f"街巷巡查（{alley.name}）",
            served_on=d.communities[0].created_at.date(),
            hours=1,
            organiser=d.communities[i].name,
        )
    assert awaiting(client, w["staff"]) == [records[0].id]
    assert awaiting(client, w["admin"]) == [records[1].id]
    everything = client.get(
        f"{API}/service-records", query_string={"status": "pending"}, headers=w["admin"]
    ).get_json()
    assert {r["id"]: r["certifiable"] for r in everything["items"]} == {
        records[0].id: True,  # the admin may certify anything of the street…
        records[1].id: True,
    }
    # …but their queue is what only they can do; a resident's queue is empty.
    assert awaiting(client, w["resident"]) == []


# --- the console ---------------------------------------------------------------------------


def test_the_console_sends_a_sole_staff_members_record_to_the_admin(capp):
    api = capp.test_client()
    w = _world(api)
    record = own_wish_record(api, w)
    staff = console_login(capp.test_client(), w["staff_account"].username)
    assert "待您认证的服务记录 <b>0</b>" in staff.get("/console/").get_data(as_text=True)
    page = staff.get(f"/console/service/records/{record.id}").get_data(as_text=True)
    assert "这是您本人的服务记录" in page and 'value="certify"' not in page
    listing = staff.get(f"/console/service/records?community={w['c1'].id}").get_data(as_text=True)
    assert f'name="ids" value="{record.id}"' not in listing and "本人" in listing
    token = csrf(staff, "/console/service/records")
    forged = staff.post(
        f"/console/service/records/{record.id}",
        data={"csrf_token": token, "action": "certify"},
        follow_redirects=True,
    )
    assert "不能认证、修改或更正自己的服务记录" in forged.get_data(as_text=True)
    bulk = staff.post(
        "/console/service/records/certify",
        data={"csrf_token": token, "community": w["c1"].id, "ids": [record.id]},
        follow_redirects=True,
    )
    assert "不能认证、修改或更正自己的服务记录" in bulk.get_data(as_text=True)
    assert ServiceRecord.get_by_id(record.id).status == "pending"

    admin = console_login(capp.test_client(), w["admin_account"].username)
    dashboard = admin.get("/console/").get_data(as_text=True)
    assert "待您认证的服务记录 <b>1</b>" in dashboard
    link = f"/console/service/records?community={w['c1'].id}&amp;status=pending&amp;awaiting=1"
    assert link in dashboard
    queue = admin.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'name="ids" value="{record.id}"' in queue
    token = csrf(admin, "/console/service/records")
    done = admin.post(
        "/console/service/records/certify",
        data={"csrf_token": token, "community": w["c1"].id, "ids": [record.id]},
        follow_redirects=True,
    )
    assert "已认证 1 条服务记录" in done.get_data(as_text=True)
    assert ServiceRecord.get_by_id(record.id).certified_by_id == w["admin_account"].user_id


def test_the_dashboards_compiled_count_is_each_viewers_within_each_area(client, w):
    """The 首页's 待您认证的服务记录 (`records.awaiting_within`) runs statements compiled once per
    shape (roots; whether the person has users, steward records): each viewer and area in turn
    gets the awaiting list's count and newest record there — never their own (a staff member
    who also serves as a steward included), nothing out of scope, nothing for nobody."""
    d = w["d"]
    wechat_user = User.get(User.openid == "dev:社区书记微信")  # the secretary's own WeChat
    there = make_staff(d.communities[1])
    Steward.update(user=there.user_id).where(Steward.id == d.stewards[2].id).execute()

    def record(n, community, **holder):
        return ServiceRecord.create(
            community=community,
            person_name="管家",
            source_type="patrol",
            source_key=f"dashboard:{n}",
            title="街巷巡查",
            served_on=d.communities[0].created_at.date(),
            hours=1,
            organiser=community.name,
            **holder,
        ).id

    patrol = record(0, d.communities[0], steward=d.stewards[0])
    own = record(1, d.communities[0], user=wechat_user.id)
    theirs = record(2, d.communities[1], steward=d.stewards[2])
    colleague = make_staff(d.communities[0])

    def principal(account):
        return Principal.for_user(User.get_by_id(account.user_id))

    def check(cases):
        for p, area, count, newest in cases:
            found, first = records.awaiting_within(p, area)
            plain = records.visible(p, awaiting=True).where(Area.path.startswith(area.path))
            assert found == plain.count() == count
            assert (first and first.id) == (plain.first() and plain.first().id) == newest

    staff, admin = principal(w["staff_account"]), principal(w["admin_account"])
    check(
        (
            (staff, d.communities[0], 1, patrol),
            (principal(colleague), d.communities[0], 2, own),
            (principal(there), d.communities[1], 0, None),  # their own patrol
            (staff, d.communities[1], 0, None),  # not theirs to see
            (staff, d.communities[0], 1, patrol),
            (admin, d.communities[1], 1, theirs),  # nobody else there can: the street's
            (Principal.anonymous(), d.street, 0, None),
        )
    )
    # A second staff member in 第2社区 can certify the steward's patrol: no longer the street's.
    other_there = principal(make_staff(d.communities[1]))
    check(
        (
            (other_there, d.communities[1], 1, theirs),
            (staff, d.communities[0], 1, patrol),
            (admin, d.communities[1], 0, None),
        )
    )


def _patrol_record(community: Area, steward: Steward, key: str) -> ServiceRecord:
    """A pending patrol record of `steward` in `community`, as the patrol job writes one."""
    return ServiceRecord.create(
        community=community,
        steward=steward,
        person_name="管家",
        source_type="patrol",
        source_key=key,
        title="街巷巡查",
        served_on=community.created_at.date(),
        hours=1,
        organiser=community.name,
    )


def test_the_dashboard_counts_every_record_waiting_not_only_the_first(capp):
    """The 首页 reads the newest record waiting for the viewer (for its link) and their
    number: two waiting are two (a count taken from the query the newest was read with
    said 1)."""
    api = capp.test_client()
    w = _world(api)
    d = w["d"]
    for n in range(2):
        _patrol_record(d.communities[0], d.stewards[n], f"two-waiting:{n}")
    staff = console_login(capp.test_client(), w["staff_account"].username)
    assert "待您认证的服务记录 <b>2</b>" in staff.get("/console/").get_data(as_text=True)


def test_the_street_admins_dashboard_count_moves_at_once_after_a_certification(capp):
    """A community with no staff of its own refers its records to the street's admin; their
    首页's count (kept between changes) drops as soon as one is certified, and a record
    created without any event still shows within the minute."""
    api = capp.test_client()
    w = _world(api)
    d = w["d"]

    def record(n: int) -> ServiceRecord:
        # communities[1] has no staff of its own: the street's admin certifies
        return _patrol_record(d.communities[1], d.stewards[-1], f"street-admin:{n}")

    first, _ = record(1), record(2)
    admin = console_login(capp.test_client(), w["admin_account"].username)
    assert "待您认证的服务记录 <b>2</b>" in admin.get("/console/").get_data(as_text=True)
    post(api, f"/service-records/{first.id}/certify", w["admin"])
    assert "待您认证的服务记录 <b>1</b>" in admin.get("/console/").get_data(as_text=True)
    record(3)  # written straight to the table: no event
    later = utcnow().replace(tzinfo=UTC) + timedelta(seconds=61)
    with time_machine.travel(later):
        assert "待您认证的服务记录 <b>2</b>" in admin.get("/console/").get_data(as_text=True)
