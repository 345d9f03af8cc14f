"""Turning pydantic's validation errors into Chinese messages per field, and the field
types for what people type (normalised by `infra.text`, the one place that decides what
counts as text) and for dates (a range every date calculation can handle)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationError

from infra import text
from infra.timeutil import MAX_DATE, MIN_DATE


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
    "literal_error": "须为 {choices} 之一",
    "enum": "须为 {choices} 之一",
    "string_pattern_mismatch": "格式不正确",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "extra_forbidden": "不支持该字段",
    "date_from_datetime_parsing": "日期格式须为 YYYY-MM-DD",
    "date_parsing": "日期格式须为 YYYY-MM-DD",
    "datetime_parsing": "时间格式须为 ISO 8601",
}


# What people call each field, for the envelope's message ("标题：必填"); `fields` keeps the
# names a client binds to.
FIELD_LABELS = {
    "title": "标题",
    "content": "内容",
    "category": "问题类别",
    "level": "办理方式",
    "note": "说明",
    "reason": "原因",
    "text": "文字",
    "score": "评分",
    "photo_ids": "照片",
    "contact_phone": "联系电话",
    "phone": "电话",
    "alley_id": "街巷",
    "board_code": "公示牌编号",
    "department_id": "部门",
    "steward_id": "管家",
    "steward_ids": "管家",
    "staff_username": "工作人员账号",
    "priority": "紧急程度",
    "beneficiary_type": "心愿对象",
    "display_name": "心愿墙上显示的称呼",
    "on_behalf_of": "代谁提交",
    "anonymous": "匿名",
    "location": "位置",
    "lat": "纬度",
    "lng": "经度",
    "address": "地址",
    "code": "登录码",
    "username": "用户名",
    "password": "密码",
    "name": "名称",
    "contact_name": "联系人",
    "area_id": "区域",
    "community_id": "社区",
    "leader_ids": "群负责人",
    "webhook_key": "机器人 webhook",
    "chat_id": "群聊 ID",
    "audience": "群的类型",
    "active": "是否启用",
    "robot_status": "机器人状态",
    "template_id": "订阅消息模板",
    "role": "身份",
    "scope": "范围",
    "status": "状态",
    "visibility": "公开状态",
    "overdue": "是否超期",
    "publish": "是否公开",
    "period": "季度",
    "date_from": "起始日期",
    "date_to": "结束日期",
    "page": "页码",
    "per_page": "每页条数",
    "fixed_on_spot": "随手做",
    "include_inactive": "包括已停用",
    "person": "会员码或人员",
    "member_code": "会员码",
    "rule": "积分规则",
    "units": "数量",
    "points": "分值",
    "price": "兑换积分",
    "stock": "库存",
    "add_stock": "补货数量",
    "photo_id": "照片",
    "description": "说明",
    "account_id": "存折",
    "community": "社区",
    "entry_id": "积分记录",
    # volunteers, activities, service records (miniprogram_api/volunteers.py, activities.py,
    # service_records.py)
    "skills": "特长",
    "team_id": "志愿服务队",
    "unit_id": "双报到单位",
    "party_member": "在职党员",
    "party_status": "党员报到状态",
    "approve": "是否通过",
    "leader_name": "队长",
    "place": "地点",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "capacity": "名额",
    "upcoming": "仅看未结束",
    "volunteer_id": "志愿者",
    "at": "时间",
    "hours": "时长",
    "served_on": "服务日期",
    "ids": "服务记录",
    "source_type": "来源",
    "mine": "只看本人",
    "keyword": "关键词",
    "year": "年度",
    "grade": "评定等次",
    # 包联户 (core.households)
    "head_name": "户主",
    "head_phone": "户主电话",
    "members": "成员",
    "relation": "与户主关系",
    "birth_year": "出生年份",
    "tags": "标签",
    "notes": "备注",
    "tag": "标签",
    "group": "帮扶类别",
    "plan": "帮扶措施",
    "member_name": "帮扶对象",
    "volunteer_user_id": "结对志愿者",
    "volunteer_name": "结对志愿者姓名",
    "volunteer_phone": "结对志愿者电话",
    "interval_days": "走访周期（天）",
    "household_ids": "走访户",
    "q": "查找",
    "kind": "类型",
    "message": "内容",
    "seq": "序号",
    "result": "结果",
}


def field_label(path: str) -> str:
    """ "photo_ids.3" → "照片"; an unknown name is shown as it is."""
    parts = [part for part in path.split(".") if not part.isdigit()]
    for part in reversed(parts):
        if part in FIELD_LABELS:
            return FIELD_LABELS[part]
    return parts[-1] if parts else "请求内容"


def _choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" → "a、b、c"."""
    return "、".join(
        part.strip().strip("'\"")
        for part in expected.replace(" or ", ", ").split(",")
        if part.strip()
    )


def _message(err: dict) -> str:
    if err["type"] == "value_error":
        # Our own validators raise ValueError with a Chinese sentence; drop pydantic's prefix.
        return str(err.get("ctx", {}).get("error", err["msg"])).removeprefix("Value error, ")
    template = MESSAGES.get(err["type"])
    if template is None:
        return "格式不正确"
    ctx = dict(err.get("ctx", {}))
    if "expected" in ctx:
        ctx["choices"] = _choices(str(ctx["expected"]))
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def summary(fields: dict[str, str]) -> str:
    """The envelope's one-line message: the first problem, naming its field ("标题：必填")."""
    if not fields:
        return "请求参数有误"
    path, message = next(iter(fields.items()))
    return f"{field_label(path)}：{message}"


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{"field.path": "中文说明"}, first error per field."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "_"
        out.setdefault(loc, _message(err))
    return out
