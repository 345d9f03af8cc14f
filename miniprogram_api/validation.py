"""Turning pydantic's validation errors into Chinese messages per field, and the field
types for what people type (normalised by `core.text`, the one place that decides what
counts as text) and for dates (a range every date calculation can handle)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationError

from core import text
from core.timeutil import MAX_DATE, MIN_DATE


def _required(value: str) -> str:
    value = text.normalise(value)
    if not value:
        raise ValueError("不能为空")
    return value


def _optional(value: str | None) -> str | None:
    return None if value is None else text.normalise(value)


def _in_range(value: date | None) -> date | None:
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"日期须在 {MIN_DATE.year} 年至 {MAX_DATE.year} 年之间")
    return value


def required_text(max_length: int):
    """Text a person must write: trimmed, and "不能为空" when nothing readable is left."""
    return Annotated[str, Field(min_length=1, max_length=max_length), AfterValidator(_required)]


def optional_text(max_length: int):
    """Text a person may leave out: trimmed the same way."""
    return Annotated[
        str | None, Field(default=None, max_length=max_length), AfterValidator(_optional)
    ]


# A date as people pick it (YYYY-MM-DD): years outside the range are refused with the field
# named, so no date arithmetic or time-zone conversion can overflow.
Day = Annotated[date | None, AfterValidator(_in_range)]

# pydantic error type → message template (ctx values fill the braces).
MESSAGES = {
    "missing": "必填",
    "string_too_short": "至少 {min_length} 个字",
    "string_too_long": "最多 {max_length} 个字",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_type": "须为文字",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "bool_type": "须为是或否",
    "bool_parsing": "须为是或否",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "须大于 {gt}",
    "less_than": "须小于 {lt}",
    "literal_error": "取值须为：{expected}",
    "enum": "取值须为：{expected}",
    "string_pattern_mismatch": "格式不正确",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "extra_forbidden": "不支持该字段",
    "date_from_datetime_parsing": "日期格式须为 YYYY-MM-DD",
    "date_parsing": "日期格式须为 YYYY-MM-DD",
    "datetime_parsing": "时间格式须为 ISO 8601",
}


def _message(err: dict) -> str:
    if err["type"] == "value_error":
        # Our own validators raise ValueError with a Chinese sentence; drop pydantic's prefix.
        return str(err.get("ctx", {}).get("error", err["msg"])).removeprefix("Value error, ")
    template = MESSAGES.get(err["type"])
    if template is None:
        return "格式不正确"
    try:
        return template.format(**err.get("ctx", {}))
    except (KeyError, IndexError):
        return template


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{"field.path": "中文说明"}, first error per field."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "_"
        out.setdefault(loc, _message(err))
    return out
