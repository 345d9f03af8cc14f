"""What the API takes as input, and the 4xx for what it does not.

Booleans are not numbers anywhere in the API (issue 33: `"points": true` was taken as 1): every route's request schema is read from the OpenAPI document the router generates; for each
integer or number field — top level, in lists, in nested objects — a body (or query string)
with `true` in that one place must answer the normal 400 envelope naming that field. The caller
holds every role at once, so no route refuses them before their input is read.

Beside that: JSON nested too deep, ids past 64 bits, dates and quarters at the ends of the
calendar, NUL bytes and text of invisible characters only are each a 4xx naming the field (or
are cleaned), never a 500."""

from __future__ import annotations

import json
import re

import pytest

from core.people import auth
from core.units import members
from models import Department, Issue, RoleGrant, User, Wish
from tests import chat_probes as probe
from tests.factories import (
    error_envelope,
    login,
    make_district,
    make_staff,
    post_issue,
)

API = "/api/v1"
NUMERIC = {"integer": "须为整数", "number": "须为数字"}


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _numeric_kind(schema: dict, components: dict) -> str | None:
    """'integer' or 'number' when the schema is (or may be, in an anyOf) a bare number."""
    schema = _resolve(schema, components)
    if schema.get("type") in NUMERIC:
        return schema["type"]
    for option in schema.get("anyOf", []):
        kind = _numeric_kind(option, components)
        if kind:
            return kind
    return None


def _objects(schema: dict, components: dict):
    """The object schemas a value may be (itself, or an anyOf's options)."""
    schema = _resolve(schema, components)
    if schema.get("type") == "object" or "properties" in schema:
        yield schema
    for option in schema.get("anyOf", []):
        yield from _objects(option, components)


def _arrays(schema: dict, components: dict):
    schema = _resolve(schema, components)
    if schema.get("type") == "array":
        yield schema
    for option in schema.get("anyOf", []):
        yield from _arrays(option, components)


def numeric_places(schema: dict, components: dict, depth: int = 0):
    """(dotted path, kind, a value putting `true` at that path) for every numeric place."""
    if depth > 4:
        return
    for obj in _objects(schema, components):
        for name, prop in obj.get("properties", {}).items():
            kind = _numeric_kind(prop, components)
            if kind:
                yield name, kind, {name: True}
            for array in _arrays(prop, components):
                items = array.get("items", {})
                kind = _numeric_kind(items, components)
                if kind:
                    yield f"{name}.0", kind, {name: [True]}
                for path, inner_kind, value in numeric_places(items, components, depth + 1):
                    yield f"{name}.0.{path}", inner_kind, {name: [value]}
            if not _numeric_kind(prop, components) and not list(_arrays(prop, components)):
                for path, inner_kind, value in numeric_places(prop, components, depth + 1):
                    yield f"{name}.{path}", inner_kind, {name: value}


def _cases(doc: dict):
    components = doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        concrete = re.sub(r"\{[a-z_]+\}", "1", path)
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for field, kind, value in numeric_places(body["schema"], components):
                    yield method.upper(), concrete, "body", field, kind, value
            for param in op.get("parameters", []):
                kind = param["in"] == "query" and _numeric_kind(param["schema"], components)
                if kind:
                    name = param["name"]
                    yield method.upper(), concrete, "query", name, kind, {name: "true"}


@pytest.fixture
def everyone(client):
    """One login holding every role: resident, steward, staff, a handling unit's member and the
    street's admin."""
    d = make_district()
    headers = login(client, "全能测试员")
    user = User.get(User.openid == "dev:全能测试员")
    unit = Department.create(area=d.street, name="住建办", kind="department")
    member = members.create_member(unit, "zhujian-test", "password123")
    for code in (
        auth.issue_bind_code(steward=d.stewards[0], issued_by="test")[0],
        auth.issue_bind_code(staff=make_staff(d.communities[0]), issued_by="test")[0],
        auth.issue_bind_code(staff=member.account, issued_by="test")[0],
    ):
        assert (
            client.post(f"{API}/auth/bind", json={"code": code}, headers=headers).status_code == 200
        )
    RoleGrant.create(user=user, role="admin", area=d.street)
    return headers


def test_true_is_refused_wherever_a_number_is_expected(client, everyone):
    doc = client.get(f"{API}/openapi.json").get_json()
    cases = list(_cases(doc))
    fields = {(path, field) for _, path, _, field, _, _ in cases}
    # The walk reaches the amounts, counts, quantities and ids the issue names (and so is not
    # vacuous): points, units, prices, stock, scores, hours, years, ids and lists of ids.
    for expected in (
        (f"{API}/points/adjustments", "points"),
        (f"{API}/points/adjustments", "units"),
        (f"{API}/points/adjustments", "steward_id"),
        (f"{API}/shop/items", "price"),
        (f"{API}/shop/items/1", "add_stock"),
        (f"{API}/issues/1/rate", "score"),
        (f"{API}/service-records/1", "hours"),
        (f"{API}/service-records/certify", "ids.0"),
        (f"{API}/issues", "photo_ids.0"),
        (f"{API}/party-gradings/propose", "year"),
        (f"{API}/households", "members.0.birth_year"),
        (f"{API}/points/me", "per_page"),
    ):
        assert expected in fields, expected
    assert len(cases) > 100
    accepted = []
    for method, path, where, field, kind, value in cases:
        kwargs = {"json": value} if where == "body" else {"query_string": value}
        if where == "query" and method != "GET":
            kwargs["json"] = {}
        res = client.open(path, method=method, headers=everyone, **kwargs)
        error = (res.get_json() or {}).get("error", {}) if res.is_json else {}
        if res.status_code != 400 or error.get("fields", {}).get(field) is None:
            accepted.append((method, path, field, res.status_code, error))
            continue
        assert error["code"] == "validation_error"
        if where == "body":
            assert error["fields"][field] == NUMERIC[kind], (path, field, error)
        assert re.search(r"[\u4e00-\u9fff]", error["message"])
    assert accepted == []


def test_the_message_names_the_field_in_chinese(client, everyone):
    body = {"member_code": "X", "rule": "adjustment", "points": True, "reason": "补录"}
    res = client.post(f"{API}/points/adjustments", json=body, headers=everyone)
    assert res.status_code == 400
    assert res.get_json()["error"] == {
        "code": "validation_error",
        "message": "分值：须为整数",
        "fields": {"points": "须为整数"},
        "request_id": res.headers["X-Request-Id"],
    }
    # Nor is a number in quotes, or a fraction, a whole number; a real one still is.
    for wrong in ("5", 5.5):
        res = client.post(
            f"{API}/points/adjustments", json={**body, "points": wrong}, headers=everyone
        )
        assert res.get_json()["error"]["fields"] == {"points": "须为整数"}
    # And an integer is no boolean.
    res = client.post(
        f"{API}/issues/1/moderate", json={"publish": 1, "note": "x"}, headers=everyone
    )
    assert res.status_code == 400 and res.get_json()["error"]["fields"] == {"publish": "须为是或否"}


BIG = 9223372036854775808  # 2**63: one past the largest 64-bit integer


@pytest.mark.parametrize(
    "path", [f"{API}/auth/login", f"{API}/auth/password", f"{API}/issues", f"{API}/subscriptions"]
)
def test_deeply_nested_json_is_invalid_json(client, district_world, path):
    res = client.post(
        path,
        data=probe.nested(50_000),
        content_type="application/json",
        headers=district_world["resident"],
    )
    error_envelope(res, 400, "invalid_json")
    shallow_but_deep = {
        "board_code": district_world["board"],
        "category": "其他",
        "content": "x",
        "location": json.loads(probe.nested(200)),
    }
    error_envelope(
        client.post(f"{API}/issues", json=shallow_but_deep, headers=district_world["resident"]), 400
    )


@pytest.mark.parametrize(
    "path", [f"/wishes/{BIG}", f"/issues/{BIG}", f"/groups/{BIG}", f"/wishes/{BIG * 10}"]
)
def test_huge_path_ids_are_404(client, district_world, path):
    error_envelope(client.get(API + path, headers=district_world["staff"]), 404)


@pytest.mark.parametrize(
    "query,field",
    [
        (f"page={BIG}", "page"),
        (f"alley_id={BIG}", "alley_id"),
        (f"community_id={BIG}", "community_id"),
        (f"page=-{BIG}", "page"),
    ],
)
def test_huge_query_ids_are_400_with_the_field(client, district_world, query, field):
    path = (
        f"{API}/wishes?status=published&{query}"
        if field != "alley_id"
        else f"{API}/patrols?{query}"
    )
    err = error_envelope(client.get(path, headers=district_world["staff"]), 400)
    assert field in err["fields"]


def test_huge_body_ids_are_400_with_the_field(client, district_world):
    body = {"alley_id": BIG, "category": "其他", "content": "x"}
    assert "alley_id" in error_envelope(post_issue(client, district_world, **body), 400)["fields"]
    err = error_envelope(post_issue(client, district_world, photo_ids=[1, BIG]), 400)
    assert any(k.startswith("photo_ids") for k in err["fields"])
    issue_id = post_issue(client, district_world).get_json()
    issue_id = (issue_id.get("issue") or issue_id)["id"]
    for action, payload, field in [
        ("assign", {"steward_ids": [BIG]}, "steward_ids"),
        ("whistle", {"department_id": BIG, "note": "请协助"}, "department_id"),
    ]:
        res = client.post(
            f"{API}/issues/{issue_id}/{action}", json=payload, headers=district_world["staff"]
        )
        assert any(k.startswith(field) for k in error_envelope(res, 400)["fields"]), action
    res = client.post(
        f"{API}/auth/bind-codes", json={"steward_id": BIG}, headers=district_world["staff"]
    )
    assert res.status_code in (400, 404)
    assert res.status_code != 500


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-30", "9999-12-31"])
@pytest.mark.parametrize("path", ["/stats", "/ledger.xlsx", "/patrols"])
def test_extreme_dates_are_field_errors(client, district_world, path, day):
    err = error_envelope(
        client.get(f"{API}{path}?date_from={day}", headers=district_world["staff"]), 400
    )
    assert "date_from" in err["fields"]
    err = error_envelope(
        client.get(f"{API}{path}?date_to={day}", headers=district_world["staff"]), 400
    )
    assert "date_to" in err["fields"]


@pytest.mark.parametrize("period", ["0000Q1", "0001Q1", "9999Q4"])
def test_extreme_quarters_are_field_errors(client, district_world, period):
    res = client.post(
        f"{API}/assessments/run", json={"period": period}, headers=district_world["staff"]
    )
    assert "period" in error_envelope(res, 400)["fields"]


def test_nul_bytes_are_stripped_on_both_databases(client, district_world):
    res = post_issue(client, district_world, content="a\u0000b")
    assert res.status_code == 201
    assert Issue.get().content == "ab"
    wish = client.post(
        f"{API}/wishes",
        json={
            "board_code": district_world["board"],
            "beneficiary_type": "elderly",
            "display_name": "王\x00奶奶",
            "title": "老花镜\u0000",
            "content": "看不清",
        },
        headers=district_world["resident"],
    )
    assert wish.status_code == 201, wish.get_json()
    assert (Wish.get().title, Wish.get().display_name) == ("老花镜", "王奶奶")
    error_envelope(post_issue(client, district_world, content="\u0000"), 400)
    # a NUL in a query string is dropped like one in a body: "submitted\0" is "submitted"
    res = client.get(
        f"{API}/issues?scope=area&status=submitted%00", headers=district_world["staff"]
    )
    assert res.status_code == 200 and res.get_json()["total"] == 1


@pytest.mark.parametrize(
    "path", ["/b/AB%00CD", "/b/AB%00CD/issues", "/t/abc%00def", "/media/x%00.jpg"]
)
def test_nul_in_a_path_names_nothing(client, district_world, path):
    assert client.get(path).status_code == 404
    error_envelope(client.get(f"{API}/boards/AB%00CD"), 404)
    # the same code without the NUL is still found
    assert client.get(f"{API}/boards/{district_world['board']}").status_code == 200


@pytest.mark.parametrize(
    "text", ["\u200b", "\u202e", "\u2060\u180e", "\ufeff \u200d", "\u3000\u3164", "\u2800"]
)
def test_invisible_only_text_is_empty(client, district_world, text):
    err = error_envelope(post_issue(client, district_world, content=text), 400)
    assert err["fields"]["content"] == "不能为空"
    wish = client.post(
        f"{API}/wishes",
        json={
            "board_code": district_world["board"],
            "beneficiary_type": "elderly",
            "display_name": text,
            "title": text,
            "content": "x",
        },
        headers=district_world["resident"],
    )
    fields = error_envelope(wish, 400)["fields"]
    assert fields.get("title") == "不能为空"
    res = client.post(
        f"/b/{district_world['board']}/issues",
        data={"category": "其他", "content": text},
        content_type="multipart/form-data",
    )
    assert res.status_code == 400 and "请填写问题描述" in res.get_data(as_text=True)
    assert Issue.select().count() == 0


def test_text_with_invisible_marks_inside_is_kept(client, district_world):
    """A joiner inside an emoji or a name is part of the text, only the edges are trimmed."""
    res = post_issue(client, district_world, content="\u200b👨\u200d👩\u200d👧 一家人的问题\u200b")
    assert res.status_code == 201
    assert Issue.get().content == "👨\u200d👩\u200d👧 一家人的问题"
