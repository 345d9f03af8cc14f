"""Declaring API routes: auth, roles, pydantic validation and OpenAPI facts in one decorator.

    router = Router("auth")

    @router.post("/auth/login", summary="…", body=LoginIn, response=LoginOut, auth=False)
    def login(body: LoginIn): ...

The decorator registers the view on the resource's blueprint and records what the OpenAPI
document needs; the view receives validated `body` / `query` models and returns a dict (or a
`(dict, status)` tuple). In testing, returned dicts are checked against `response`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError

from infra import jsonbody, text
from infra.errors import ApiError, bad_request, forbidden, unauthorized
from miniprogram_api.context import current_principal
from miniprogram_api.validation import field_errors, summary

ALL_ROUTES: list[RouteSpec] = []


@dataclass
class RouteSpec:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    auth: bool
    roles: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    content_type: str = "application/json"
    response_content_type: str = "application/json"
    doc: str = ""
    extra: dict = field(default_factory=dict)


class Router:
    def __init__(self, name: str, tag: str | None = None):
        self.blueprint = Blueprint(name, __name__)
        self.tag = tag or name

    def get(self, rule, **kw):
        return self.route(rule, "GET", **kw)

    def post(self, rule, **kw):
        return self.route(rule, "POST", **kw)

    def route(
        self,
        rule: str,
        method: str,
        *,
        summary: str,
        auth: bool = True,
        roles: tuple[str, ...] = (),
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        content_type: str = "application/json",
        response_content_type: str = "application/json",
    ):
        def decorator(fn):
            spec = RouteSpec(
                rule=rule,
                method=method,
                endpoint=f"{self.blueprint.name}.{fn.__name__}",
                summary=summary,
                tag=self.tag,
                auth=auth,
                roles=tuple(roles),
                body=body,
                query=query,
                response=response,
                status=status,
                errors=tuple(errors),
                content_type=content_type,
                response_content_type=response_content_type,
                doc=(fn.__doc__ or "").strip(),
            )
            ALL_ROUTES.append(spec)

            @functools.wraps(fn)
            def view(**kwargs):
                # A public route resolves no token unless its view asks who is calling.
                if spec.auth or spec.roles:
                    principal = current_principal()
                    if spec.auth and not principal.authenticated:
                        if g.token_rejected:
                            raise unauthorized("登录已失效，请重新登录", code="token_invalid")
                        raise unauthorized()
                    if spec.roles and not principal.has_any(spec.roles):
                        raise forbidden()
                if spec.body is not None:
                    kwargs["body"] = _parse_body(spec.body, _json_body())
                if spec.query is not None:
                    kwargs["query"] = _parse(spec.query, _query_args(spec.query))
                result = fn(**kwargs)
                return _respond(spec, result)

            self.blueprint.add_url_rule(
                rule, endpoint=fn.__name__, view_func=view, methods=[method]
            )
            return fn

        return decorator


def _json_body() -> dict:
    """The body parsed by `infra.jsonbody` (never Flask's `get_json`, which lets nesting
    exhaust the recursion limit): strings cleaned of control characters, depth limited,
    integers no database can hold refused with the field named."""
    if not request.is_json:
        if not request.get_data(cache=True):
            # An action with nothing to say (`POST /issues/7/accept` from curl or a form-less
            # client) sends no body and no Content-Type: that is an empty object, not a 415.
            return {}
        raise ApiError(
            415, "unsupported_media_type", "请求内容须为 JSON（Content-Type: application/json）"
        )
    try:
        data, too_big = jsonbody.tidy(jsonbody.loads(request.get_data(cache=True)))
    except jsonbody.InvalidJson as exc:
        raise bad_request(str(exc), code="invalid_json") from exc
    if not isinstance(data, dict):
        raise bad_request("请求内容须为 JSON 对象", code="invalid_json")
    _refuse_huge(too_big)
    return data


def _refuse_huge(paths: list[str]) -> None:
    if paths:
        fields = dict.fromkeys(paths, "数值超出范围")
        raise bad_request(summary(fields), fields)


def _query_args(model: type[BaseModel]) -> dict:
    """The query string as `model` reads it: only the names it declares, everything else
    (an empty name, control characters, a name nobody uses) ignored, whatever it holds.
    Values are cleaned like JSON strings; list-typed fields keep every value, the others
    the last one. Integers past 64 bits are refused here, naming the parameter."""
    out, too_big = {}, []
    for name, info in model.model_fields.items():
        values = [text.clean(v) for v in request.args.getlist(name)]
        if not values:
            continue
        if not all(jsonbody.fits_int64(v) for v in values):
            too_big.append(name)
        is_list = getattr(info.annotation, "__origin__", None) is list
        out[name] = values if is_list else values[-1]
    _refuse_huge(too_big)
    return out


def _parse(model: type[BaseModel], data: dict) -> BaseModel:
    """A query string: every value is text, so numbers and booleans are read from it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = field_errors(exc)
        raise bad_request(summary(fields), fields) from exc


def _parse_body(model: type[BaseModel], data: dict) -> BaseModel:
    """A JSON body, validated as JSON in pydantic's strict mode: `true` is not the integer 1
    (nor 1 a boolean), `"3"` is not 3 and `1.5` is no whole number, so no amount, count or id
    is ever taken from something else (issue 33); dates and times are still read from their
    ISO text. `data` is the body as `infra.jsonbody` cleaned it."""
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        fields = field_errors(exc)
        raise bad_request(summary(fields), fields) from exc


def _respond(spec: RouteSpec, result):
    if not isinstance(result, (dict, list, tuple)):
        return result  # already a Response (files, spreadsheets)
    status = spec.status
    if isinstance(result, tuple):
        result, status = result
    if spec.response is not None and current_app.testing:
        spec.response.model_validate(result)  # keeps the OpenAPI document honest
    return jsonify(result), status
