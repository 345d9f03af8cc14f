"""The 微心愿 lifecycle through the HTTP API, concurrent claims, and what the wall shows."""

from __future__ import annotations

import threading

import pytest

from core.audit import actor_label
from core.items import lifecycle
from core.items import wishes as wish_flow
from core.people.permissions import Principal
from infra.errors import ApiError
from models import (
    Event,
    User,
    Wish,
)
from tests.factories import (
    api_post,
    login,
    login_steward,
    make_world,
    open_wish,
    upload_photo,
)

API = "/api/v1"


@pytest.fixture
def world(client):
    return make_world(
        client,
        residents={"author": "独居的王奶奶", "volunteer": "志愿者小陈", "other": "志愿者小李"},
        stewards={"steward": 0},
        staff={"staff": 0, "other_staff": 1},
    )


def post_wish(client, w, headers=None, **extra):
    body = {
        "board_code": w["d"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "想要一台收音机",
        "content": "家里的收音机坏了，想听戏曲节目",
        "contact_phone": "13800001111",
    }
    body.update(extra)
    res = client.post(f"{API}/wishes", json=body, headers=headers or w["author"])
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def act(client, headers, wish_id, action, body=None, status=200):
    res = client.post(f"{API}/wishes/{wish_id}/{action}", json=body or {}, headers=headers)
    assert res.status_code == status, (action, res.get_json())
    return res.get_json()


def test_wish_lifecycle(client, world):
    wish = post_wish(client, world)
    assert wish["status"] == "pending_review" and wish["number"].startswith("W")
    wid = wish["id"]
    # not on the wall before review
    wall = client.get(f"{API}/wishes").get_json()
    assert wall["total"] == 0
    # invisible before review to anyone but the author and the community
    act(client, world["other_staff"], wid, "approve", status=404)
    act(client, world["volunteer"], wid, "claim", status=404)
    approved = act(client, world["staff"], wid, "approve")
    assert approved["status"] == "published"
    wall = client.get(f"{API}/wishes").get_json()
    assert [w["id"] for w in wall["items"]] == [wid]
    public = wall["items"][0]
    assert public["display_name"] == "王奶奶" and public["contact_phone"] is None

    claimed = act(client, world["volunteer"], wid, "claim", {"role": "party_member"})
    assert claimed["status"] == "claimed" and claimed["claimer"] == "在职党员"
    assert claimed["contact_phone"] == "13800001111"  # the claimer needs to reach her
    act(client, world["other"], wid, "fulfil", {"note": "x"}, status=403)
    act(client, world["volunteer"], wid, "release")
    act(client, world["other"], wid, "claim")
    done = act(client, world["other"], wid, "fulfil", {"note": "已送去一台新收音机"})
    assert done["status"] == "fulfilled"
    act(client, world["other"], wid, "confirm", {"score": 5}, status=403)
    closed = act(client, world["author"], wid, "confirm", {"score": 5, "text": "谢谢孩子们"})
    assert closed["status"] == "closed" and closed["rating"] == 5
    actions = [t["action"] for t in closed["timeline"]]
    assert actions == ["create", "approve", "claim", "release", "claim", "fulfil", "confirm"]


def test_reject_with_reason(client, world):
    wid = post_wish(client, world)["id"]
    act(client, world["staff"], wid, "reject", {}, status=400)
    rejected = act(client, world["staff"], wid, "reject", {"reason": "已由民政部门解决"})
    assert rejected["status"] == "rejected" and rejected["reject_reason"] == "已由民政部门解决"
    mine = client.get(f"{API}/wishes/{wid}", headers=world["author"]).get_json()
    assert mine["reject_reason"] == "已由民政部门解决"
    assert client.get(f"{API}/wishes/{wid}").status_code == 404  # never public
    act(client, world["staff"], wid, "approve", status=409)


def test_steward_files_on_behalf_and_confirms(client, world):
    wish = post_wish(client, world, headers=world["steward"], on_behalf_of="刘爷爷")
    assert wish["on_behalf_of"] == "刘爷爷"
    wid = wish["id"]
    act(client, world["staff"], wid, "approve")
    act(client, world["volunteer"], wid, "claim")
    act(client, world["volunteer"], wid, "fulfil", {"note": "已帮忙修好"})
    assert act(client, world["steward"], wid, "confirm", {"score": 4})["status"] == "closed"
    # a resident cannot file "on behalf" of someone
    res = client.post(
        f"{API}/wishes",
        json={
            "board_code": world["d"].boards[0].code,
            "beneficiary_type": "other",
            "display_name": "某人",
            "title": "t",
            "content": "c",
            "on_behalf_of": "某人",
        },
        headers=world["volunteer"],
    )
    assert res.status_code == 403


def test_author_cannot_claim_own_wish(client, world):
    wid = post_wish(client, world)["id"]
    act(client, world["staff"], wid, "approve")
    act(client, world["author"], wid, "claim", status=403)


def test_twenty_simultaneous_claims_have_one_winner(app, client, world):
    wid = post_wish(client, world)["id"]
    act(client, world["staff"], wid, "approve")
    claimers = [login(client, f"志愿者{i}") for i in range(20)]
    barrier = threading.Barrier(len(claimers))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def claim(headers):
        own_client = app.test_client()
        barrier.wait()
        res = own_client.post(f"{API}/wishes/{wid}/claim", json={}, headers=headers)
        with lock:
            results.append((res.status_code, res.get_json()))

    threads = [threading.Thread(target=claim, args=(h,)) for h in claimers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(code for code, _ in results)
    assert statuses == [200] + [409] * 19, results
    losers = [body["error"]["code"] for code, body in results if code == 409]
    assert set(losers) == {"already_claimed"}
    wish = Wish.get_by_id(wid)
    winner = next(body for code, body in results if code == 200)
    assert wish.status == "claimed" and winner["is_claimer"] is True


def test_validation(client, world):
    res = client.post(
        f"{API}/wishes",
        json={"board_code": world["d"].boards[0].code, "beneficiary_type": "alien"},
        headers=world["author"],
    )
    assert res.status_code == 400
    fields = res.get_json()["error"]["fields"]
    assert {"beneficiary_type", "display_name", "title", "content"} <= set(fields)


# Every action from every state: allowed (by the right actor) or 409.
WISH_SETUPS = {
    "pending_review": [],
    "published": [("staff", "approve", {})],
    "claimed": [("staff", "approve", {}), ("volunteer", "claim", {})],
    "fulfilled": [
        ("staff", "approve", {}),
        ("volunteer", "claim", {}),
        ("volunteer", "fulfil", {"note": "已送达"}),
    ],
    "closed": [
        ("staff", "approve", {}),
        ("volunteer", "claim", {}),
        ("volunteer", "fulfil", {"note": "已送达"}),
        ("author", "confirm", {"score": 5}),
    ],
    "rejected": [("staff", "reject", {"reason": "不符合"})],
}
WISH_ACTIONS = {
    "approve": ("staff", {}),
    "reject": ("staff", {"reason": "重复"}),
    "claim": ("other", {}),
    "release": ("staff", {}),
    "fulfil": ("staff", {"note": "办好了"}),
    "confirm": ("author", {"score": 4}),
}
WISH_ALLOWED = {
    "pending_review": {"approve", "reject"},
    "published": {"claim"},
    "claimed": {"release", "fulfil"},
    "fulfilled": {"confirm"},
    "closed": set(),
    "rejected": set(),
}


@pytest.mark.parametrize("state", sorted(WISH_SETUPS))
def test_wish_transition_table(client, world, state):
    for action, (who, body) in WISH_ACTIONS.items():
        wid = post_wish(client, world)["id"]
        for setup_who, setup_action, setup_body in WISH_SETUPS[state]:
            act(client, world[setup_who], wid, setup_action, setup_body)
        expected = 200 if action in WISH_ALLOWED[state] else 409
        if state in ("pending_review", "rejected") and who == "other":
            expected = 404  # an unpublished wish is not visible to strangers at all
        res = act(client, world[who], wid, action, body, status=expected)
        if expected == 409:
            code = "already_claimed" if (state, action) == ("claimed", "claim") else None
            assert res["error"]["code"] == (code or "invalid_transition"), res


def _claimed(client, w, claimer="volunteer", role=None) -> int:
    wid = post_wish(client, w)["id"]
    act(client, w["staff"], wid, "approve")
    act(client, w[claimer], wid, "claim", {"role": role} if role else {})
    return wid


NOT_YOURS = "照片不存在或不是您上传的，请重新上传"


def test_fulfil_refuses_a_photo_someone_else_uploaded_naming_the_field(client, world):
    wid = _claimed(client, world)
    someone_elses = upload_photo(client, world["author"], "orange")
    res = act(
        client,
        world["volunteer"],
        wid,
        "fulfil",
        {"note": "送到了", "photo_ids": [someone_elses]},
        status=400,
    )
    assert res["error"]["fields"] == {"photo_ids": NOT_YOURS}
    assert Wish.get_by_id(wid).status == "claimed"
    own = upload_photo(client, world["volunteer"], "orange")
    done = act(client, world["volunteer"], wid, "fulfil", {"note": "送到了", "photo_ids": [own]})
    assert done["status"] == "fulfilled" and Wish.get_by_id(wid).fulfil_photo_ids == [own]


def test_create_refuses_a_photo_someone_else_uploaded_naming_the_field(client, world):
    someone_elses = upload_photo(client, world["volunteer"], "orange")
    body = {
        "board_code": world["d"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
        "photo_ids": [someone_elses],
    }
    res = client.post(f"{API}/wishes", json=body, headers=world["author"])
    assert res.status_code == 400
    assert res.get_json()["error"]["fields"] == {"photo_ids": NOT_YOURS}
    assert Wish.select().count() == 0


def test_a_steward_who_claims_and_fulfils_is_credited_with_it(client, world):
    wid = _claimed(client, world, claimer="steward")
    assert Wish.get_by_id(wid).claimer_role == "steward"
    act(client, world["steward"], wid, "fulfil", {"note": "送去了收音机"})
    assert Wish.get_by_id(wid).fulfilled_by_id == world["d"].stewards[0].id
    # A volunteer fulfilling their own claim credits no steward.
    other = _claimed(client, world)
    act(client, world["volunteer"], other, "fulfil", {"note": "送到了"})
    assert Wish.get_by_id(other).fulfilled_by_id is None


def test_a_steward_on_a_new_wechat_account_still_confirms_what_they_filed(client, world):
    """The steward record filed it, not the WeChat account: after the steward binds a new
    account (a new phone), they still confirm for the resident they filed for."""
    w = world
    filed = [
        post_wish(client, w, headers=w["steward"], on_behalf_of=name)["id"]
        for name in ("刘爷爷", "赵奶奶")
    ]
    for wid in filed:
        act(client, w["staff"], wid, "approve")
        act(client, w["volunteer"], wid, "claim")
        act(client, w["volunteer"], wid, "fulfil", {"note": "已帮忙修好"})
    new_phone = login_steward(client, w["d"].stewards[0], name="管家的新微信")
    assert Wish.get_by_id(filed[0]).author_id != User.get(User.nickname == "管家的新微信").id
    assert act(client, new_phone, filed[0], "confirm", {"score": 5})["status"] == "closed"
    # Another alley's steward, who filed nothing, may not.
    stranger = login_steward(client, w["d"].stewards[1])
    act(client, stranger, filed[1], "confirm", {"score": 5}, status=403)


def test_a_logged_in_holder_of_the_link_is_named_in_the_trail(client, world):
    """The trail says 提交人 only for the anonymous web submitter; anyone logged in who acts
    with the link is named as themselves."""
    w = world
    token = "t" * 32
    wish = wish_flow.create(
        Principal.anonymous(),
        alley=w["d"].alleys[0],
        beneficiary_type="elderly",
        display_name="王奶奶",
        title="收音机",
        content="想听戏",
        tracking_token=token,
    )
    assert wish.tracking_token_hash == lifecycle.tracking_hash(token)
    act(client, w["staff"], wish.id, "approve")
    act(client, w["volunteer"], wish.id, "claim")
    act(client, w["volunteer"], wish.id, "fulfil", {"note": "送到了"})
    neighbour = User.get(User.nickname == "志愿者小李")
    wish_flow.confirm(Principal.for_user(neighbour), wish.id, 5, tracking_token=token)
    event = Event.get((Event.action == "wish.confirm") & (Event.subject_id == wish.id))
    assert event.actor_id == neighbour.id and event.actor_label == actor_label(neighbour)
    first = Event.get((Event.action == "wish.create") & (Event.subject_id == wish.id))
    assert first.actor_id is None and first.actor_label == "提交人"


def test_a_wish_filed_while_logged_in_names_its_author_even_with_a_link(client, world):
    """提交人 stands only for an anonymous web submitter: a logged-in author who also holds a
    tracking link is named as themselves, and so is one who files from the mini program."""
    author = User.get(User.nickname == "独居的王奶奶")
    base = {
        "alley": world["d"].alleys[0],
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
    }
    with_link = wish_flow.create(Principal.for_user(author), **base, tracking_token="t" * 32)
    without = wish_flow.create(Principal.for_user(author), **base)
    for wish in (with_link, without):
        event = Event.get((Event.action == "wish.create") & (Event.subject_id == wish.id))
        assert (event.actor_id, event.actor_label) == (author.id, "独居的王奶奶")


def test_create_refusals_say_why(client, world):

    d = world["d"]
    steward_a = Principal.for_user(User.get(User.nickname == f"steward-{d.stewards[0].id}"))
    base = {"display_name": "王奶奶", "title": "收音机", "content": "想听戏"}
    with pytest.raises(ApiError) as caught:
        wish_flow.create(steward_a, alley=d.alleys[0], beneficiary_type="alien", **base)
    err = caught.value
    assert (err.status, err.message, err.fields) == (
        400,
        "请选择心愿对象类别",
        {"beneficiary_type": "类别有误"},
    )
    with pytest.raises(ApiError) as caught:
        wish_flow.create(
            steward_a,
            alley=d.alleys[1],
            beneficiary_type="elderly",
            on_behalf_of="隔壁巷的刘爷爷",
            **base,
        )
    err = caught.value
    assert (err.status, err.code, err.message) == (
        403,
        "not_your_alley",
        "只能为自己负责街巷的居民代为提交心愿",
    )
    assert Wish.select().count() == 0
    mine = wish_flow.create(
        steward_a, alley=d.alleys[0], beneficiary_type="elderly", on_behalf_of="刘爷爷", **base
    )
    assert mine.created_by_steward_id == d.stewards[0].id and mine.on_behalf_of == "刘爷爷"
    event = Event.get((Event.action == "wish.create") & (Event.subject_id == mine.id))
    assert event.data == {"content_check": mine.check_verdict, "on_behalf_of": "刘爷爷"}


def test_a_second_claim_is_told_someone_else_has_it(client, world):
    wid = _claimed(client, world)
    res = act(client, world["other"], wid, "claim", status=409)
    assert (res["error"]["code"], res["error"]["message"]) == (
        "already_claimed",
        "该心愿已被他人认领",
    )


def test_alleys_own_steward_cannot_fulfil_or_release_a_wish_someone_else_claimed(
    client, neighbours
):
    w = neighbours
    wish_id = open_wish(client, w)
    api_post(client, f"/wishes/{wish_id}/claim", w["volunteer"])
    # The steward sees the wish (it is in their alley) but it is not theirs to close off.
    assert client.get(f"{API}/wishes/{wish_id}", headers=w["steward_a"]).status_code == 200
    res = client.post(
        f"{API}/wishes/{wish_id}/fulfil", json={"note": "送到了"}, headers=w["steward_a"]
    )
    assert res.status_code == 403, res.get_json()
    res = client.post(f"{API}/wishes/{wish_id}/release", json={}, headers=w["steward_a"])
    assert res.status_code == 403, res.get_json()
    # Staff of the next community are no closer.
    res = client.post(f"{API}/wishes/{wish_id}/fulfil", json={"note": "x"}, headers=w["staff_y"])
    assert res.status_code == 403, res.get_json()
    detail = client.get(f"{API}/wishes/{wish_id}", headers=w["volunteer"]).get_json()
    assert detail["status"] == "claimed"
    # The claimer can; and staff of the wish's community can.
    api_post(client, f"/wishes/{wish_id}/fulfil", w["volunteer"], {"note": "送到了"})


def test_a_resident_cannot_claim_as_a_steward(client, neighbours):
    w = neighbours
    wish_id = open_wish(client, w)
    res = client.post(
        f"{API}/wishes/{wish_id}/claim", json={"role": "steward"}, headers=w["volunteer"]
    )
    assert res.status_code == 400, res.get_json()
    assert "role" in res.get_json()["error"]["fields"]
    detail = client.get(f"{API}/wishes/{wish_id}", headers=w["volunteer"]).get_json()
    assert detail["status"] == "published"
    # The same resident may claim as a volunteer; a steward may claim as a steward.
    other = open_wish(client, w, alley=1)
    api_post(client, f"/wishes/{wish_id}/claim", w["volunteer"], {"role": "volunteer"})
    claimed = api_post(client, f"/wishes/{other}/claim", w["steward_a"], {"role": "steward"})
    assert claimed["claimer_role"] == "steward"


def test_steward_of_the_next_alley_cannot_approve_or_see_a_pending_wish(client, neighbours):
    w = neighbours
    wish_id = open_wish(client, w, publish=False)
    for who in ("steward_b", "steward_c", "volunteer"):
        assert client.get(f"{API}/wishes/{wish_id}", headers=w[who]).status_code == 404, who
    res = client.post(f"{API}/wishes/{wish_id}/approve", json={}, headers=w["steward_a"])
    assert res.status_code == 403  # sees it (own alley) but does not review
    res = client.post(f"{API}/wishes/{wish_id}/approve", json={}, headers=w["staff_y"])
    assert res.status_code == 404  # the next community does not even see it
    res = client.post(
        f"{API}/wishes/{wish_id}/reject", json={"reason": "重复"}, headers=w["steward_a"]
    )
    assert res.status_code == 403


def test_claim_refusals_say_why(client, neighbours):
    w = neighbours
    open_wish(client, w)  # another wish first, unclaimed: the refusal reads the one asked about
    wish_id = open_wish(client, w)
    api_post(client, f"/wishes/{wish_id}/claim", w["volunteer"])
    res = client.post(f"{API}/wishes/{wish_id}/claim", json={}, headers=w["steward_a"])
    assert res.status_code == 409
    assert (res.get_json()["error"]["code"], res.get_json()["error"]["message"]) == (
        "already_claimed",
        "该心愿已被他人认领",
    )
    api_post(client, f"/wishes/{wish_id}/fulfil", w["volunteer"], {"note": "送到了"})
    res = client.post(f"{API}/wishes/{wish_id}/claim", json={}, headers=w["steward_a"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "invalid_transition"
    # Staff on the console have no WeChat identity to claim with.
    other = open_wish(client, w)
    res = client.post(f"{API}/wishes/{other}/claim", json={}, headers=w["staff_x"])
    assert res.status_code == 403
    assert (res.get_json()["error"]["code"], res.get_json()["error"]["message"]) == (
        "wechat_required",
        "请在微信中登录后认领",
    )
    res = client.post(f"{API}/wishes/{other}/claim", json={}, headers=w["resident"])
    assert res.get_json()["error"]["message"] == "不能认领自己的心愿"
    res = client.post(
        f"{API}/wishes/{other}/claim", json={"role": "steward"}, headers=w["volunteer"]
    )
    assert res.get_json()["error"]["message"] == "认领身份有误"
    assert res.get_json()["error"]["fields"] == {"role": "可选：志愿者、在职党员、小巷管家"}
    # Whoever claims without naming a role: a steward as 小巷管家, anyone else as 志愿者.
    assert api_post(client, f"/wishes/{other}/claim", w["steward_a"])["claimer_role"] == "steward"
    third = open_wish(client, w)
    assert api_post(client, f"/wishes/{third}/claim", w["volunteer"])["claimer_role"] == "volunteer"
    assert Wish.get_by_id(third).claimer_role == "volunteer"


def test_wish_refusals_say_why(client, neighbours):
    w = neighbours
    wish_id = open_wish(client, w, publish=False)
    res = client.post(
        f"{API}/wishes/{wish_id}/reject", json={"reason": "x"}, headers=w["steward_a"]
    )
    assert res.get_json()["error"]["message"] == "只有社区工作人员可以审核心愿"
