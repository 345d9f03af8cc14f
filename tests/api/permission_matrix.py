"""The permission matrix's rows: every API route with the roles allowed to call it and how to
build its request in the world of tests/api/test_permissions.py (which walks them all)."""

from __future__ import annotations

import io

from PIL import Image

from core.people import auth
from tests.factories import login, make_staff
from tests.service_matrix import SERVICE_MATRIX

ROLES = ("anonymous", "resident", "neighbour", "steward", "staff", "admin", "unit")
PUBLIC = set(ROLES)
LOGGED_IN = set(ROLES) - {"anonymous"}
WECHAT_USERS = {"resident", "neighbour", "steward"}  # staff/admin use console passwords
STAFF = {"staff", "admin"}
HANDLERS = {"steward", "staff", "admin"}
API = "/api/v1"

# "resident" is the one who reported the issue or posted the wish the request is about;
# "neighbour" is another resident; "steward" answers for the item's alley; "unit" is a member
# of the handling unit (core.units) the world's whistles go to, logged in with its password.


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "JPEG")
    return buf.getvalue()


def _issue(w, *steps) -> int:
    """A fresh issue in the first alley, moved through `steps` [(role, action, body)]."""
    c, h = w["client"], w["headers"]
    body = {"board_code": w["district"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    res = c.post(f"{API}/issues", json=body, headers=h["resident"])
    issue_id = res.get_json()["id"]
    for role, action, data in steps:
        r = c.post(f"{API}/issues/{issue_id}/{action}", json=data, headers=h[role])
        assert r.status_code == 200, r.get_json()
    return issue_id


def _someone_elses_issue(w) -> dict:
    """An open public issue reported by a third resident: anyone logged in may follow it."""
    c = w["client"]
    body = {"board_code": w["district"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    res = c.post(f"{API}/issues", json=body, headers=login(c, "居民丙"))
    return {"path": f"{API}/issues/{res.get_json()['id']}/follow", "json": {}}


def _reply_template(w) -> int:
    from models import ReplyTemplate

    community = w["district"].communities[0]
    return ReplyTemplate.create(community=community, title="已清理", text="已清理完毕").id


def _wish(w, *steps) -> int:
    c, h = w["client"], w["headers"]
    body = {
        "board_code": w["district"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
    }
    wish_id = c.post(f"{API}/wishes", json=body, headers=h["resident"]).get_json()["id"]
    for role, action, data in steps:
        r = c.post(f"{API}/wishes/{wish_id}/{action}", json=data, headers=h[role])
        assert r.status_code == 200, r.get_json()
    return wish_id


def _whistled_action(action, body=None, *unit_steps):
    """An issue whistled to the world's unit (its member is the "unit" role), then moved
    through `unit_steps`."""

    def build(w):
        whistle = (
            "staff",
            "whistle",
            {"unit_id": w["department"].id, "tier": "major", "note": "请"},
        )
        issue_id = _issue(w, whistle, *unit_steps)
        return {"path": f"{API}/issues/{issue_id}/{action}", "json": body or {}}

    return build


def _issue_action(action, body=None, *steps):
    return lambda w: {"path": f"{API}/issues/{_issue(w, *steps)}/{action}", "json": body or {}}


def _wish_action(action, body=None, *steps):
    return lambda w: {"path": f"{API}/wishes/{_wish(w, *steps)}/{action}", "json": body or {}}


def _dead_message(w) -> dict:
    from models import OutboxMessage

    msg = OutboxMessage.create(
        kind="subscribe",
        target="o_someone",
        payload={},
        idempotency_key=f"test:{OutboxMessage.select().count()}",
        status="dead",
        area=w["district"].alleys[0],
    )
    return {"path": f"{API}/outbox/{msg.id}/retry"}


_group_keys = iter(range(1, 1_000_000))


def _group(w) -> int:
    from core.delivery import groups

    return groups.create(w["district"].communities[0], f"robot-{next(_group_keys):06d}").id


def _fresh_steward_to_dismiss(w) -> dict:
    from models import Steward, StewardAlley
    from tests.factories import next_phone

    steward = Steward.create(name="将离任的管家", phone=next_phone())
    StewardAlley.create(steward=steward, alley=w["district"].alleys[0])
    return {"path": f"{API}/stewards/{steward.id}/dismiss", "json": {"reason": "搬家"}}


def _passbook(w, user_name: str | None = None, points: int = 0):
    """A passbook in the first community (a user's, or a fresh one), with some points."""
    from core.timebank import postings
    from core.timebank.postings import Holder
    from infra.db import write_transaction
    from models import User

    name = user_name or f"持卡人{next(_group_keys)}"
    user = User.get_or_none(User.openid == f"dev:{name}") or User.create(openid=f"dev:{name}")
    account = postings.account_for(w["district"].communities[0], Holder(user_id=user.id))
    if points:
        with write_transaction():
            postings.post(account, points, rule="adjustment", source_type="adjustment", reason="t")
    return account


def _entry_to_reverse(w) -> dict:
    from models import PointEntry

    account = _passbook(w, points=3)
    entry = PointEntry.select().where(PointEntry.account == account.id).get()
    return {"path": f"{API}/points/entries/{entry.id}/reverse", "json": {"reason": "记错了"}}


def _pending_adjustment(w, action: str, body: dict | None = None) -> dict:
    """A fresh adjustment above the approval threshold, made by a third staff member of the
    first community (so staff and admin are each a possible second pair of eyes)."""
    from core.people.permissions import Principal
    from core.timebank import adjustments

    if "maker" not in w:
        w["maker"] = make_staff(w["district"].communities[0])
    done = adjustments.adjust(
        Principal.for_user(w["maker"].user),
        _passbook(w),
        rule="adjustment",
        points=80,
        reason="见义勇为",
    )
    return {"path": f"{API}/points/adjustments/{done.pending.id}/{action}", "json": body or {}}


def _shop_item(w, stock=5) -> int:
    from models import ShopItem

    item = ShopItem.create(
        community=w["district"].communities[0],
        name="毛巾",
        category="日用百货",
        price=1,
        stock=stock,
    )
    return item.id


def _redeem_self(w) -> dict:
    """Everyone logged in has a point in the shop's community; a fresh item each time."""
    from core.timebank import postings
    from core.timebank.postings import Holder
    from infra.db import write_transaction
    from models import User

    community = w["district"].communities[0]
    with write_transaction():
        for user in User.select():
            account = postings.account_for(community, Holder(user_id=user.id))
            postings.post(account, 1, rule="adjustment", source_type="adjustment", reason="t")
    return {"path": f"{API}/shop/items/{_shop_item(w)}/redeem", "json": {}}


_addresses = iter(range(1, 1_000_000))


def _household(w) -> int:
    """A household of the first alley, kept by its steward (core.households)."""
    from core.households import cards
    from core.people.permissions import Principal
    from models import User

    staff = Principal.for_user(User.get_by_id(w["staff"].user_id))
    body = {
        "alley_id": w["district"].alleys[0].id,
        "steward_id": w["district"].stewards[0].id,
        "address": f"1区1巷{next(_addresses)}号",
        "head_name": "王大爷",
    }
    return cards.create(staff, body).id


def _plan(w) -> int:
    from core.households import plans
    from core.people.permissions import Principal
    from models import User

    staff = Principal.for_user(User.get_by_id(w["staff"].user_id))
    body = {"group": "鳏寡孤独", "plan": "每周上门", "interval_days": 7}
    return plans.create(staff, _household(w), body).id


def _care_alert(w) -> int:
    """A care alert (关怀提醒) of the first community, listing a new household of the first
    alley's steward as their number 1."""
    from core.households import cards, care_alerts
    from core.people.permissions import Principal
    from models import User

    staff = Principal.for_user(User.get_by_id(w["staff"].user_id))
    body = {
        "alley_id": w["district"].alleys[0].id,
        "steward_id": w["district"].stewards[0].id,
        "address": f"1区1巷{next(_addresses)}号",
        "head_name": "王大爷",
        "tags": ["独居老人"],
    }
    cards.create(staff, body)
    community = w["district"].communities[0].id
    return care_alerts.create(staff, community, "寒潮", ["独居老人"], "请看望").id


def _care_alert_body(w) -> dict:
    _care_alert(w)  # a household with the tag, so the alert has someone to reach
    return {
        "json": {
            "area_id": w["district"].communities[0].id,
            "kind": "寒潮",
            "tags": ["独居老人"],
            "message": "请看望",
        }
    }


RESOLVED = ("steward", "resolve", {"note": "好了"})
APPROVED = ("staff", "approve", {})
CLAIMED = ("steward", "claim", {})
FULFILLED = ("steward", "fulfil", {"note": "送到了"})
TEMPLATE = "tpl_dev_status"


# (method, path) → (roles allowed, builder). A builder returns `client.open` keyword
# arguments (with "path") for a request that is valid and in scope for the allowed roles.
def _bulletin(w, fmt: str) -> dict:
    """This month's (the district was made today: earlier months are refused)."""
    from core.figures.bulletin import Month, today

    return {"path": f"{API}/bulletins/{w['district'].street.id}/{Month.of(today())}.{fmt}"}


MATRIX = {
    ("POST", "/api/v1/auth/login"): (PUBLIC, lambda w: {"json": {"code": "dev:新居民"}}),
    ("POST", "/api/v1/auth/password"): (
        PUBLIC,
        lambda w: {"json": {"username": w["staff"].username, "password": "password123"}},
    ),
    ("POST", "/api/v1/auth/logout"): (LOGGED_IN, lambda w: {}),
    ("POST", "/api/v1/auth/bind"): (
        WECHAT_USERS,
        lambda w: {
            "json": {"code": auth.issue_bind_code(steward=w["free_steward"], issued_by="t")[0]}
        },
    ),
    ("GET", "/api/v1/me"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/me/workbench"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/areas"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/bind-codes"): (
        STAFF,
        lambda w: {"json": {"steward_id": w["district"].stewards[1].id}},
    ),
    ("GET", "/api/v1/openapi.json"): (PUBLIC, lambda w: {}),
    ("POST", "/api/v1/media"): (
        LOGGED_IN,
        lambda w: {
            "data": {"file": (io.BytesIO(_jpeg()), "a.jpg")},
            "content_type": "multipart/form-data",
        },
    ),
    ("GET", "/api/v1/categories"): (PUBLIC, lambda w: {}),
    ("GET", "/api/v1/boards/{code}"): (
        PUBLIC,
        lambda w: {"path": f"{API}/boards/{w['district'].boards[0].code}"},
    ),
    ("POST", "/api/v1/issues"): (
        LOGGED_IN,
        lambda w: {
            "json": {
                "board_code": w["district"].boards[0].code,
                "category": "其他",
                "content": "路灯不亮",
            }
        },
    ),
    ("GET", "/api/v1/issues"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/issues/{issue_id}"): (
        LOGGED_IN - {"neighbour", "unit"},  # a unit sees only what is whistled to it
        lambda w: {"path": f"{API}/issues/{_issue(w)}"},
    ),
    ("POST", "/api/v1/issues/{issue_id}/accept"): (HANDLERS, _issue_action("accept")),
    ("POST", "/api/v1/issues/{issue_id}/resolve"): (
        HANDLERS,
        _issue_action("resolve", {"note": "已处理"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/escalate"): (
        HANDLERS,
        _issue_action("escalate", {"note": "请社区协调"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/whistle"): (
        STAFF,
        lambda w: {
            "path": f"{API}/issues/{_issue(w)}/whistle",
            "json": {"department_id": w["department"].id, "note": "请城管处理"},
        },
    ),
    # a handling unit's member on an item whistled to their unit (core.units.actions)
    ("POST", "/api/v1/issues/{issue_id}/check-in"): ({"unit"}, _whistled_action("check-in")),
    ("POST", "/api/v1/issues/{issue_id}/progress"): (
        {"unit"},
        _whistled_action("progress", {"note": "已到现场"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/extension"): (
        {"unit"},
        _whistled_action("extension", {"days": 3, "reason": "需采购材料"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/return"): (
        {"unit"},
        _whistled_action("return", {"reason": "不属本单位职责"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/extension/decide"): (
        STAFF,
        _whistled_action(
            "extension/decide",
            {"approve": True},
            ("unit", "extension", {"days": 2, "reason": "等"}),
        ),
    ),
    ("POST", "/api/v1/issues/{issue_id}/urge"): (
        STAFF,
        _whistled_action("urge", {"note": "请尽快办理"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/supervise"): (
        STAFF,
        _whistled_action("supervise", {"note": "请街道协调"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/merge"): (
        STAFF,
        lambda w: {"path": f"{API}/issues/{_issue(w)}/merge", "json": {"into": _issue(w)}},
    ),
    # 常用回复: read by whoever closes the item, kept by the community's staff
    ("GET", "/api/v1/reply-templates"): (
        HANDLERS,
        lambda w: {"path": f"{API}/reply-templates", "query_string": {"issue_id": _issue(w)}},
    ),
    ("POST", "/api/v1/reply-templates"): (
        STAFF,
        lambda w: {
            "json": {
                "community_id": w["district"].communities[0].id,
                "title": "已清理",
                "text": "已清理完毕",
            }
        },
    ),
    ("PATCH", "/api/v1/reply-templates/{template_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/reply-templates/{_reply_template(w)}", "json": {"text": "改"}},
    ),
    ("DELETE", "/api/v1/reply-templates/{template_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/reply-templates/{_reply_template(w)}"},
    ),
    ("POST", "/api/v1/issues/{issue_id}/assign"): (
        STAFF,
        _issue_action("assign", {"priority": "important"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/comment"): (
        LOGGED_IN - {"neighbour", "unit"},
        _issue_action("comment", {"text": "补充一下"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/rate"): (
        {"resident"},
        _issue_action("rate", {"score": 5}, RESOLVED),
    ),
    ("POST", "/api/v1/issues/{issue_id}/reopen"): (
        {"resident"},
        _issue_action("reopen", {"note": "又坏了"}, RESOLVED),
    ),
    ("POST", "/api/v1/issues/{issue_id}/cancel"): (
        {"resident", "staff", "admin"},
        _issue_action("cancel", {"reason": "重复"}),
    ),
    ("GET", "/api/v1/issues/similar"): (
        LOGGED_IN,
        lambda w: {
            "query_string": {"board_code": w["district"].boards[0].code, "category": "环境卫生"}
        },
    ),
    ("POST", "/api/v1/issues/{issue_id}/follow"): (LOGGED_IN, _someone_elses_issue),
    ("POST", "/api/v1/issues/{issue_id}/moderate"): (
        STAFF,
        _issue_action("moderate", {"publish": False, "note": "涉及隐私"}),
    ),
    ("POST", "/api/v1/wishes"): (
        LOGGED_IN,
        lambda w: {
            "json": {
                "board_code": w["district"].boards[0].code,
                "beneficiary_type": "children",
                "display_name": "小明",
                "title": "想要一套课外书",
                "content": "喜欢看科普书",
            }
        },
    ),
    ("GET", "/api/v1/wishes"): (PUBLIC, lambda w: {}),
    ("GET", "/api/v1/wishes/{wish_id}"): (
        PUBLIC,
        lambda w: {"path": f"{API}/wishes/{_wish(w, APPROVED)}"},
    ),
    ("POST", "/api/v1/wishes/{wish_id}/approve"): (STAFF, _wish_action("approve")),
    ("POST", "/api/v1/wishes/{wish_id}/reject"): (
        STAFF,
        _wish_action("reject", {"reason": "不符合条件"}),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/claim"): (
        {"neighbour", "steward"},
        _wish_action("claim", {}, APPROVED),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/release"): (
        {"steward", "staff", "admin"},
        _wish_action("release", {}, APPROVED, CLAIMED),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/fulfil"): (
        {"steward", "staff", "admin"},
        _wish_action("fulfil", {"note": "已送达"}, APPROVED, CLAIMED),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/confirm"): (
        {"resident"},
        _wish_action("confirm", {"score": 5}, APPROVED, CLAIMED, FULFILLED),
    ),
    ("POST", "/api/v1/patrols"): ({"steward"}, lambda w: {"json": {"note": "巡查正常"}}),
    ("GET", "/api/v1/patrols"): (HANDLERS, lambda w: {}),
    ("POST", "/api/v1/subscriptions"): (
        WECHAT_USERS,
        lambda w: {"json": {"template_id": TEMPLATE}},
    ),
    ("GET", "/api/v1/subscriptions"): (WECHAT_USERS, lambda w: {}),
    ("GET", "/api/v1/outbox"): (STAFF, lambda w: {}),
    ("GET", "/api/v1/stats"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/stewards/{steward_id}/dismiss"): (STAFF, _fresh_steward_to_dismiss),
    ("GET", "/api/v1/ledger.xlsx"): (STAFF, lambda w: {}),
    # the street's bulletin: its admin only, never a community's staff (core.figures.bulletin)
    ("GET", "/api/v1/bulletins/{street_id}/{month}.pdf"): (
        {"admin"},
        lambda w: _bulletin(w, "pdf"),
    ),
    ("GET", "/api/v1/bulletins/{street_id}/{month}.xlsx"): (
        {"admin"},
        lambda w: _bulletin(w, "xlsx"),
    ),
    ("GET", "/api/v1/assessments"): (STAFF, lambda w: {"query_string": {"period": "2026Q3"}}),
    ("POST", "/api/v1/assessments/run"): (
        STAFF,
        lambda w: {"json": {"period": "2026Q3", "send": False}},
    ),
    ("POST", "/api/v1/outbox/{message_id}/retry"): (STAFF, _dead_message),
    ("GET", "/api/v1/groups"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/groups"): (
        STAFF,
        lambda w: {
            "json": {
                "area_id": w["district"].communities[0].id,
                "webhook_key": f"robot-{next(_group_keys):06d}",
            }
        },
    ),
    ("GET", "/api/v1/groups/{group_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/groups/{_group(w)}"},
    ),
    ("PATCH", "/api/v1/groups/{group_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/groups/{_group(w)}", "json": {"name": "管家群"}},
    ),
    ("GET", "/api/v1/points/me"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/points/me/member-code"): (
        {"resident"},  # only the holder's own passbook
        lambda w: {"query_string": {"account_id": _passbook(w, "居民甲").id}},
    ),
    ("GET", "/api/v1/points"): (
        STAFF,
        lambda w: {"query_string": {"person": _passbook(w).member_code}},
    ),
    ("GET", "/api/v1/points/rules"): (LOGGED_IN, lambda w: {}),
    ("POST", "/api/v1/points/me/passbooks"): (
        LOGGED_IN,
        lambda w: {"json": {"community_id": w["district"].communities[0].id}},
    ),
    ("POST", "/api/v1/points/adjustments"): (
        STAFF,
        lambda w: {
            "json": {"member_code": _passbook(w).member_code, "rule": "meeting", "reason": "例会"}
        },
    ),
    ("GET", "/api/v1/points/adjustments"): (
        STAFF,
        lambda w: {"query_string": {"status": "pending", "actionable": "true"}},
    ),
    ("POST", "/api/v1/points/adjustments/{adjustment_id}/approve"): (
        STAFF,
        lambda w: _pending_adjustment(w, "approve"),
    ),
    ("POST", "/api/v1/points/adjustments/{adjustment_id}/reject"): (
        STAFF,
        lambda w: _pending_adjustment(w, "reject", {"reason": "证明材料不全"}),
    ),
    ("POST", "/api/v1/points/entries/{entry_id}/reverse"): (STAFF, _entry_to_reverse),
    ("GET", "/api/v1/shop/items"): (
        LOGGED_IN,
        lambda w: {"query_string": {"community": w["district"].communities[0].id}},
    ),
    ("POST", "/api/v1/shop/items"): (
        STAFF,
        lambda w: {
            "json": {
                "community_id": w["district"].communities[0].id,
                "name": "大米",
                "category": "粮油副食",
                "price": 20,
                "stock": 3,
            }
        },
    ),
    ("PATCH", "/api/v1/shop/items/{item_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/shop/items/{_shop_item(w)}", "json": {"add_stock": 2}},
    ),
    ("POST", "/api/v1/shop/items/{item_id}/redeem"): (LOGGED_IN, _redeem_self),
    ("GET", "/api/v1/shop/redemptions"): (
        STAFF,
        lambda w: {"query_string": {"community": w["district"].communities[0].id}},
    ),
    # 回访: staff of the item's area (a resident who never rated; no status change)
    ("GET", "/api/v1/callbacks"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/issues/{issue_id}/callback"): (
        STAFF,
        _issue_action("callback", {"result": "satisfied"}, RESOLVED),
    ),
    ("GET", "/api/v1/units"): (STAFF | {"unit"}, lambda w: {}),
    ("GET", "/api/v1/units/{unit_id}"): (
        STAFF | {"unit"},
        lambda w: {"path": f"{API}/units/{w['department'].id}"},
    ),
    ("POST", "/api/v1/units"): (
        STAFF,
        lambda w: {"json": {"kind": "property", "name": f"物业{next(_group_keys)}"}},
    ),
    ("GET", "/api/v1/departments"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/departments"): (
        STAFF,  # each in their own scope by default: staff their community, admins their street
        lambda w: {"json": {"name": f"部门{next(_group_keys)}"}},
    ),
    # 包联户: the household's steward and staff above its alley (others: 403/404; see
    # tests/core/households/test_households.py for the full matrix with stewards of the same alley and of
    # other communities)
    ("GET", "/api/v1/household-options"): (HANDLERS, lambda w: {}),
    ("GET", "/api/v1/households"): (HANDLERS, lambda w: {}),
    ("POST", "/api/v1/households"): (
        HANDLERS,
        lambda w: {
            "json": {
                "alley_id": w["district"].alleys[0].id,
                "steward_id": w["district"].stewards[0].id,
                "address": f"1区1巷{next(_addresses)}号",
                "head_name": "李奶奶",
            }
        },
    ),
    ("GET", "/api/v1/households/{household_id}"): (
        HANDLERS,
        lambda w: {"path": f"{API}/households/{_household(w)}"},
    ),
    ("POST", "/api/v1/households/{household_id}/update"): (
        HANDLERS,
        lambda w: {"path": f"{API}/households/{_household(w)}/update", "json": {"notes": "好"}},
    ),
    ("POST", "/api/v1/households/{household_id}/plans"): (
        HANDLERS,
        lambda w: {
            "path": f"{API}/households/{_household(w)}/plans",
            "json": {"group": "留守儿童", "plan": "辅导作业", "interval_days": 14},
        },
    ),
    ("POST", "/api/v1/household-plans/{plan_id}/update"): (
        HANDLERS,
        lambda w: {
            "path": f"{API}/household-plans/{_plan(w)}/update",
            "json": {"interval_days": 3},
        },
    ),
    ("POST", "/api/v1/households/{household_id}/visits"): (
        HANDLERS,
        lambda w: {"path": f"{API}/households/{_household(w)}/visits", "json": {"note": "看过"}},
    ),
    ("GET", "/api/v1/households/{household_id}/visits"): (
        HANDLERS,
        lambda w: {"path": f"{API}/households/{_household(w)}/visits"},
    ),
    # 关怀提醒: staff send and follow; the listed steward reads and answers their own list
    ("POST", "/api/v1/care-alerts"): (STAFF, _care_alert_body),
    ("GET", "/api/v1/care-alerts"): (STAFF, lambda w: {}),
    ("GET", "/api/v1/care-alerts/{alert_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/care-alerts/{_care_alert(w)}"},
    ),
    ("GET", "/api/v1/care-alerts/mine"): ({"steward"}, lambda w: {}),
    ("POST", "/api/v1/care-alerts/{alert_id}/answers"): (
        {"steward"},
        lambda w: {
            "path": f"{API}/care-alerts/{_care_alert(w)}/answers",
            "json": {"seq": 1, "result": "contacted"},
        },
    ),
}

# Volunteers, activities, service records, gradings (their builders live with them).
MATRIX.update(SERVICE_MATRIX)
