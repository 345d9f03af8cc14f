"""The JSON API under `/api/v1`: one blueprint per resource, one error envelope everywhere."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from infra.errors import ApiError
from miniprogram_api import (
    activities,
    areas,
    assessments,
    auth_routes,
    boards,
    bulletins,
    callbacks,
    care_alerts,
    categories,
    departments,
    docs_viewer,
    groups,
    households,
    issues,
    media_routes,
    openapi,
    outbox_routes,
    party_gradings,
    patrols,
    points,
    reply_templates,
    service_records,
    shop,
    stats,
    stewards,
    subscriptions,
    unit_actions,
    units,
    volunteers,
    wishes,
)
from miniprogram_api.context import after_write, forget_previous_caller

API_PREFIX = "/api/v1"
RESOURCES = (
    auth_routes,
    areas,
    boards,
    categories,
    issues,
    wishes,
    patrols,
    media_routes,
    outbox_routes,
    groups,
    departments,
    units,
    unit_actions,
    subscriptions,
    assessments,
    stats,
    bulletins,
    callbacks,
    stewards,
    points,
    shop,
    volunteers,
    activities,
    service_records,
    party_gradings,
    households,
    care_alerts,
    reply_templates,
    openapi,
)

log = logging.getLogger(__name__)

HTTP_ERRORS = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "找不到该接口或内容"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "上传内容过大，单个文件最大 10 MB"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("rate_limited", "操作太频繁，请稍后再试"),
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _envelope(err: ApiError):
    response = jsonify(err.envelope(g.get("request_id")))
    response.status_code = err.status
    for key, value in err.headers.items():
        response.headers[key] = value
    return response


def init_app(app: Flask) -> None:
    for module in RESOURCES:
        app.register_blueprint(module.router.blueprint, url_prefix=API_PREFIX)
    app.register_blueprint(docs_viewer.bp)  # /api/v1/docs: the document in Swagger UI

    app.before_request(forget_previous_caller)
    app.after_request(after_write)

    @app.after_request
    def _tag_response(response):
        if app.config["OFFLINE"]:
            response.headers["X-Offline-Mode"] = "1"
        return response

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return _envelope(err)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _is_api():
            return exc
        code, message = HTTP_ERRORS.get(exc.code, ("http_error", exc.description or "请求失败"))
        err = ApiError(exc.code or 500, code, message)
        if exc.code == 405 and exc.valid_methods:
            err.headers["Allow"] = ", ".join(exc.valid_methods)
        return _envelope(err)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error, request_id=%s", g.get("request_id"))
        if app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        message = f"服务器开小差了，请稍后再试（编号 {g.get('request_id', '-')}）"
        err = ApiError(500, "internal_error", message)
        if _is_api():
            return _envelope(err)
        return message, 500
