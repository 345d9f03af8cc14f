"""The API's manners: one error envelope for every failure, request ids, the OpenAPI file."""

from __future__ import annotations

import logging
import re

from openapi_spec_validator import validate

from miniprogram_api.openapi import openapi_path
from tests.factories import login


def _assert_envelope(res, status, code):
    assert res.status_code == status
    assert res.is_json
    err = res.get_json()["error"]
    assert err["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", err["message"]), "message must be Chinese"
    assert isinstance(err["fields"], dict)
    assert err["request_id"] == res.headers["X-Request-Id"]
    return err


def test_unknown_route_404(client):
    _assert_envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_405(client):
    res = client.delete("/api/v1/me")
    _assert_envelope(res, 405, "method_not_allowed")
    assert "GET" in res.headers["Allow"]


def test_body_over_the_limit_413(client, app):
    blob = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    res = client.post("/api/v1/auth/login", data=blob, content_type="application/json")
    _assert_envelope(res, 413, "payload_too_large")


def test_not_json_415_and_broken_json_400(client):
    _assert_envelope(
        client.post("/api/v1/auth/login", data="code=1", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    _assert_envelope(
        client.post("/api/v1/auth/login", data="{nope", content_type="application/json"),
        400,
        "invalid_json",
    )


def test_validation_names_the_fields_in_chinese(client):
    res = client.post("/api/v1/auth/login", json={"code": ""})
    err = _assert_envelope(res, 400, "validation_error")
    assert err["fields"] == {"code": "至少 1 个字"}
    res = client.post("/api/v1/auth/login", json={"code": 12})
    assert _assert_envelope(res, 400, "validation_error")["fields"] == {"code": "须为文字"}


def test_unexpected_error_500_is_logged_with_its_request_id(app, caplog):
    def boom():
        raise RuntimeError("kaboom")

    app.add_url_rule("/api/v1/_test_boom", "test_boom", boom)
    app.config["TRUST_PROXY_HEADERS"] = True  # the id comes from the proxy in front (nginx)
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        res = client.get("/api/v1/_test_boom", headers={"X-Request-Id": "req-abc-123"})
    err = _assert_envelope(res, 500, "internal_error")
    assert err["request_id"] == "req-abc-123" and "req-abc-123" in err["message"]
    assert "kaboom" not in res.get_data(as_text=True)
    logged = [r for r in caplog.records if "req-abc-123" in r.getMessage()]
    assert logged and logged[0].exc_info[0] is RuntimeError


def test_request_id_is_generated_when_absent_or_unsafe(client):
    a = client.get("/api/v1/openapi.json").headers["X-Request-Id"]
    b = client.get("/api/v1/openapi.json", headers={"X-Request-Id": "bad id <script>"}).headers[
        "X-Request-Id"
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", a) and re.fullmatch(r"[0-9a-f]{32}", b) and a != b


def test_openapi_document_is_valid_and_complete(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        # /api/v1/docs shows the document to people: a page, not an operation of it.
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api_docs."):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((method, openapi_path(rule.rule.removeprefix("/api/v1"))))
    assert served <= documented, served - documented
    login_op = doc["paths"]["/api/v1/auth/login"]["post"]
    body_ref = login_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.rsplit("/", 1)[-1] in doc["components"]["schemas"]
    assert {"200", "400", "429", "503"} <= set(login_op["responses"])
    assert doc["paths"]["/api/v1/areas"]["get"]["x-roles"] == ["staff", "admin"]


def test_responses_match_their_documented_schemas(client):
    # The router validates every JSON answer against its response model in testing; a
    # mismatch would surface here as a 500.
    headers = login(client, "张三")
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def _issue_for_steward(client):
    from core.items import issues
    from core.people.permissions import Principal
    from models import User
    from tests.factories import login_steward, make_district

    d = make_district()
    resident = Principal.for_user(User.create(openid="dev:居民甲"))
    issue, _ = issues.create(
        resident, alley=d.alleys[0], board=None, category="环境卫生", content="垃圾"
    )
    return issue, login_steward(client, d.stewards[0])


def test_validation_messages_name_the_field_in_chinese(client):
    issue, steward = _issue_for_steward(client)
    res = client.post(
        f"/api/v1/issues/{issue.id}/resolve",
        json={"note": "处理好了", "level": "随便"},
        headers=steward,
    )
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error["message"] == "办理方式：须为 现场解决、上报社区、联合处置 之一"
    assert error["fields"] == {"level": "须为 现场解决、上报社区、联合处置 之一"}

    res = client.post(f"/api/v1/issues/{issue.id}/escalate", json={}, headers=steward)
    assert res.get_json()["error"]["message"] == "说明：必填"
    wish = client.post("/api/v1/wishes", json={}, headers=login(client, "许愿人"))
    message = wish.get_json()["error"]["message"]
    assert re.fullmatch(r"[\u4e00-\u9fff（）/ ]+：必填", message), message


def test_an_action_without_a_body_or_content_type_is_an_empty_object(client):
    issue, steward = _issue_for_steward(client)
    res = client.post(f"/api/v1/issues/{issue.id}/accept", headers=steward)  # curl -X POST
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["status"] == "accepted"
    # A body that is not JSON is still refused, as before.
    res = client.post(
        f"/api/v1/issues/{issue.id}/comment",
        data="hello",
        headers=steward,
        content_type="text/plain",
    )
    assert res.status_code == 415
