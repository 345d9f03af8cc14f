"""Reading JSON that strangers send: the API's bodies and the chat callbacks' payloads.

`json.loads` alone lets three things through that later break something else: nesting deep
enough to exhaust Python's recursion (a RecursionError, not a ValueError, so it escaped
every handler as a 500), `NaN`/`Infinity` (not JSON at all), and integers of any size
(SQLite raises OverflowError past 64 bits). `loads` refuses the first two; `tidy` limits the
depth, cleans every string with `infra.text.clean` (NUL and other controls, lone
surrogates) and names the places holding integers no database column can hold, so each
front end answers in its own way (the API with a 400 naming the field).
"""

from __future__ import annotations

import json

from infra.text import clean

MAX_DEPTH = 32  # no body we accept nests more than three or four levels
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class InvalidJson(ValueError):
    """The body is not JSON we will read (the message is Chinese, for the error envelope)."""


def _no_constants(name: str):
    raise InvalidJson(f"请求内容不是有效的 JSON（不支持 {name}）")


def loads(raw: bytes | str):
    """Parse `raw`; InvalidJson for anything that is not plain JSON or nests too deeply."""
    try:
        data = json.loads(raw, parse_constant=_no_constants)
    except InvalidJson:
        raise
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidJson("请求内容不是有效的 JSON") from exc
    return data


def tidy(data) -> tuple[object, list[str]]:
    """(`data` with every string cleaned, dotted paths of integers beyond 64 bits).

    InvalidJson when it nests deeper than `MAX_DEPTH`."""
    too_big: list[str] = []

    def walk(value, path: str, depth: int):
        if depth > MAX_DEPTH:
            raise InvalidJson(f"请求内容嵌套过深（最多 {MAX_DEPTH} 层）")
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                too_big.append(path or "_")
            return value
        if isinstance(value, list):
            return [
                walk(v, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(value)
            ]
        if isinstance(value, dict):
            return {
                clean(k): walk(v, f"{path}.{clean(k)}" if path else clean(k), depth + 1)
                for k, v in value.items()
            }
        return value

    return walk(data, "", 0), too_big


def fits_int64(text: str) -> bool:
    """False for a decimal integer string no 64-bit column can hold (anything else: True,
    and left to the field's own validation). ASCII digits only, as pydantic reads them:
    `str.isdigit` also says yes to "³" and "①", which `int()` refuses."""
    digits = text.strip().replace("_", "")
    sign = digits[:1] in ("+", "-")
    number = digits[sign:]
    if not (number.isascii() and number.isdigit()):
        return True
    if len(digits[sign:].lstrip("0")) > 19:
        return False
    return INT64_MIN <= int(digits) <= INT64_MAX
