"""Booleans are not numbers anywhere in the API (issue 33: `"points": true` was taken as 1).

Every route's request schema is read from the OpenAPI document the router generates; for each
integer or number field — top level, in lists, in nested objects — a body (or query string)
with `true` in that one place must answer the normal 400 envelope naming that field. The caller
holds every role at once, so no route refuses them before their input is read."""

from __future__ import annotations

import re

import pytest

from core.people import auth
from core.units import members
from models import Department, RoleGrant, User
from tests.factories import login, make_district, make_staff

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
