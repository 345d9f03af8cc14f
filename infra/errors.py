"""The one error type of the project; every `/api/` failure becomes its JSON envelope."""

from __future__ import annotations


class ApiError(Exception):
    """A failure a client should see: HTTP status, snake_case code, a Chinese message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}

    def envelope(self, request_id: str | None = None) -> dict:
        body = {"code": self.code, "message": self.message, "fields": self.fields}
        if request_id:
            body["request_id"] = request_id
        return {"error": body}


def bad_request(message: str, fields: dict[str, str] | None = None, code="validation_error"):
    return ApiError(400, code, message, fields)


def unauthorized(message="请先登录", code="unauthorized"):
    return ApiError(401, code, message)


def forbidden(message="您没有权限进行此操作", code="forbidden"):
    return ApiError(403, code, message)


def not_found(message="找不到该内容", code="not_found"):
    return ApiError(404, code, message)


def conflict(code: str, message: str):
    return ApiError(409, code, message)
