"""The OpenAPI 3.1 document, generated from the routes' declarations and pydantic schemas."""

from __future__ import annotations

import re

from flask import current_app
from pydantic.json_schema import models_json_schema

from miniprogram_api.router import ALL_ROUTES, Router, RouteSpec

API_PREFIX = "/api/v1"
STATUS_TEXT = {
    200: "成功",
    201: "已创建",
    400: "参数有误",
    401: "未登录",
    403: "无权限",
    404: "不存在",
    405: "方法不允许",
    409: "状态冲突",
    410: "已失效",
    413: "内容过大",
    415: "类型不支持",
    422: "无法处理",
    429: "请求过于频繁",
    500: "服务器错误",
    503: "微信服务不可用",
}

router = Router("openapi", tag="meta")


def openapi_path(rule: str) -> str:
    return API_PREFIX + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _path_params(rule: str) -> list[dict]:
    params = []
    for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule):
        schema = {"type": "integer"} if conv == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "request_id": {"type": "string"},
            },
        }
    },
}


def build_document() -> dict:
    models = set()
    for spec in ALL_ROUTES:
        for m in (spec.body, spec.query, spec.response):
            if m is not None:
                models.add(m)
    ordered = sorted(models, key=lambda m: m.__name__)
    keys, schemas = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    components = dict(schemas.get("$defs", {}))
    components["Error"] = ERROR_SCHEMA

    paths: dict[str, dict] = {}
    for spec in ALL_ROUTES:
        paths.setdefault(openapi_path(spec.rule), {})[spec.method.lower()] = _operation(spec, keys)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "小巷管家 API",
            "version": "1.0.0",
            "description": "小巷管家小程序与管理后台的接口。所有时间为带时区偏移的 ISO 8601。",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _ref(keys, model) -> dict:
    return keys[(model, "validation")]


def _operation(spec: RouteSpec, keys) -> dict:
    op: dict = {
        "operationId": spec.endpoint.replace(".", "_"),
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": _path_params(spec.rule),
    }
    if spec.doc:
        op["description"] = spec.doc
    if spec.roles:
        op["x-roles"] = list(spec.roles)
    if spec.auth:
        op["security"] = [{"bearer": []}]
    if spec.query is not None:
        for name, info in spec.query.model_fields.items():
            param_schema = spec.query.model_json_schema()["properties"][name]
            op["parameters"].append(
                {
                    "name": name,
                    "in": "query",
                    "required": info.is_required(),
                    "schema": param_schema,
                    "description": info.description or "",
                }
            )
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {spec.content_type: {"schema": _ref(keys, spec.body)}},
        }
    elif spec.content_type == "multipart/form-data":
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    ok: dict = {"description": STATUS_TEXT.get(spec.status, "成功")}
    if spec.response is not None:
        ok["content"] = {spec.response_content_type: {"schema": _ref(keys, spec.response)}}
    elif spec.response_content_type == "application/json":
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    else:
        binary = {"type": "string", "format": "binary"}
        ok["content"] = {spec.response_content_type: {"schema": binary}}
    responses = {str(spec.status): ok}
    statuses = set(spec.errors) | {500}
    if spec.body or spec.query:
        statuses.add(400)
    if spec.auth:
        statuses.add(401)
    if spec.roles:
        statuses.add(403)
    for code in sorted(statuses):
        responses[str(code)] = {
            "description": STATUS_TEXT.get(code, "错误"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    op["responses"] = responses
    return op


_built: dict[str, str] = {}


@router.get("/openapi.json", summary="本接口的 OpenAPI 3 文档", auth=False)
def openapi_json():
    # The routes are all declared at import: the document is built once per process (it took
    # ~40 ms, far more than any other request).
    text = _built.get("json")
    if text is None:
        text = _built["json"] = current_app.json.dumps(build_document())
    return current_app.response_class(text + "\n", mimetype="application/json")
