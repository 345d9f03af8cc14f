"""诉求 routes: report, list, read with timeline, and one route per lifecycle action.

Every action calls `core.items.issues`, the one place that changes an issue.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.items import issues as flow
from core.items import lists
from core.items.list_cache import mine_fingerprint, viewer_key
from core.items.lists import IssueFilters
from core.items.presenters import issue_out, prefetch_issues, public_shown
from core.people import phones
from core.units import actions as unit_actions
from core.units import handling as unit_handling
from infra.errors import ApiError, bad_request
from infra.timeutil import iso
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, cached_page, paginate
from miniprogram_api.router import Router
from miniprogram_api.serializers import IssueCreatedOut, IssueOut, SimilarList
from miniprogram_api.validation import optional_text, required_text
from models import ISSUE_STATUSES, Issue

router = Router("issues")


def _phone(value: str | None) -> str | None:
    return phones.contact(value)


Text1000 = required_text(1000)
Note500 = required_text(500)
OptionalNote200 = optional_text(200)
OptionalNote500 = optional_text(500)
PhotoIds = Annotated[list[int], Field(default_factory=list, max_length=9)]
phone_field = Annotated[str | None, AfterValidator(_phone)]


class Location(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    address: OptionalNote200 = None


class OnTheSpot(BaseModel):
    note: OptionalNote500 = None
    photo_ids: PhotoIds


class IssueIn(BaseModel):
    board_code: str | None = Field(default=None, max_length=16, description="公示牌编码")
    alley_id: int | None = None
    category: str = Field(max_length=32)
    content: Text1000
    photo_ids: PhotoIds
    location: Location | None = None
    contact_phone: phone_field = None
    anonymous: bool = False
    fixed_on_spot: OnTheSpot | None = Field(
        default=None, description="管家随手做：现场发现并已解决，一次提交即办结"
    )


class IssueQuery(PageQuery):
    scope: Literal["mine", "assigned", "unit", "area"] | None = Field(
        default=None,
        description="mine 我反映的；assigned 派给我的；unit 交给本单位办理的；area 我管辖范围内的",
    )
    status: Literal[ISSUE_STATUSES + ("open",)] | None = None  # type: ignore[valid-type]
    overdue: bool | None = Field(
        default=None, description="true 超期：未办结且已过期限；false 其余"
    )
    alley_id: int | None = None
    visibility: Literal["public", "held"] | None = Field(
        default=None,
        description="held 待审核公开：内容检查未通过或未能检查、尚未审核的诉求（已撤销的不计）",
    )


class IssueList(BaseModel):
    items: list[IssueOut]
    total: int
    page: int
    per_page: int


class NoteIn(BaseModel):
    note: Note500


class ResolveIn(BaseModel):
    note: Note500
    photo_ids: PhotoIds
    level: Literal["现场解决", "上报社区", "联合处置"] | None = None


class WhistleIn(BaseModel):
    unit_id: int | None = Field(default=None, description="承办单位（部门或物业）的 ID")
    department_id: int | None = Field(default=None, description="unit_id 的旧名，仍可用")
    tier: Literal["ordinary", "important", "major"] | None = Field(
        default=None,
        description="一般 / 重要 / 重大：期限自吹哨起 2 / 3 / 10 天（DEADLINE_DAYS）。用 unit_id 时必填；"
        "只给 department_id 的旧客户端可不填，此时保持原紧急程度与期限，并在办理过程中写明",
    )
    note: Note500


class AssignIn(BaseModel):
    steward_ids: list[int] | None = Field(default=None, min_length=1, max_length=10)
    priority: Literal["ordinary", "important", "major"] | None = None
    note: OptionalNote500 = None


class CommentIn(BaseModel):
    text: Note500
    photo_ids: PhotoIds


class RateIn(BaseModel):
    score: int = Field(ge=1, le=5)
    text: OptionalNote500 = None


class CancelIn(BaseModel):
    reason: OptionalNote500 = None


class ModerateIn(BaseModel):
    publish: bool
    note: OptionalNote200 = None


def _out(issue_id: int) -> dict:
    p = current_principal()
    return issue_out(p, Issue.get_by_id(issue_id), timeline=True)


@router.post(
    "/issues",
    summary="反映问题（诉求）",
    body=IssueIn,
    response=IssueCreatedOut,
    status=201,
    errors=(403, 404, 410),
)
def create_issue(body: IssueIn):
    """按公示牌编码或街巷提交；同一街巷同类别 3 天内未办结的诉求会在 `similar` 中返回，
    客户端可提示“关注已有诉求”。管家可带 `fixed_on_spot` 记录随手做。"""
    p = current_principal()
    alley, board = flow.resolve_alley(body.alley_id, body.board_code)
    cache: dict = {}
    issue, similar = flow.create(
        p,
        alley=alley,
        board=board,
        category=body.category,
        content=body.content,
        photo_ids=body.photo_ids,
        location=body.location.model_dump() if body.location else None,
        contact_phone=body.contact_phone,
        anonymous=body.anonymous,
        fixed_on_spot=body.fixed_on_spot.model_dump() if body.fixed_on_spot else None,
        view_cache=cache,
    )
    out = issue_out(p, issue, timeline=True, cache=cache)
    out["similar"] = [_similar_out(s) for s in similar]
    return out, 201


def _similar_out(issue: Issue) -> dict:
    """What a resident is shown of another's open report: the public view's words only (read
    from the row: no alley, no photos to load for a list shown before submitting)."""
    return {
        "id": issue.id,
        "number": issue.number,
        "content": issue.content if public_shown(issue) else None,
        "status_label": flow.STATUS_LABELS[issue.status],
        "created_at": iso(issue.created_at),
    }


class SimilarQuery(BaseModel):
    board_code: str | None = Field(default=None, max_length=16, description="公示牌编码")
    alley_id: int | None = None
    category: str = Field(max_length=32)


@router.get(
    "/issues/similar",
    summary="提交前查同类：本街巷同类别未办结的诉求",
    query=SimilarQuery,
    response=SimilarList,
    errors=(404, 410),
)
def similar_issues(query: SimilarQuery):
    """在提交前调用：同一街巷同类别、近几天内未办结的诉求（最多 5 件，只含公开内容）。
    居民可选“跟进这一件”（`POST /issues/{id}/follow`）而不重复反映。"""
    alley, _board = flow.resolve_alley(query.alley_id, query.board_code)
    flow.check_category(query.category)
    return {"items": [_similar_out(i) for i in flow.similar_to(alley.id, query.category)]}


@router.get("/issues", summary="诉求列表", query=IssueQuery, response=IssueList)
def list_issues(query: IssueQuery):
    """默认范围：工作人员为 area，管家为 assigned，单位成员为 unit，居民为 mine。
    `status=open` 为所有未办结。"""
    p = current_principal()
    scope = query.scope or (
        "area" if p.is_staff else "assigned" if p.stewards else "unit" if p.unit_ids else "mine"
    )
    cache: dict = {}

    def page(rows):
        prefetch_issues(rows, cache)
        return [issue_out(p, i, cache=cache) for i in rows]

    filtered = (query.status, query.overdue, query.alley_id, query.visibility) != (None,) * 4
    if scope != "mine" or filtered:
        return paginate(_issue_query(p, scope, query), query, page)
    # 我的 on the mini program's first screen: from this worker's copy while nothing it
    # shows has changed (core.items.list_cache); the query is built only when it is not.
    return cached_page(
        ("issues:mine", viewer_key(p), query.page, query.per_page),
        lambda: mine_fingerprint(p.user.id),
        lambda: paginate(_issue_query(p, scope, query), query, page),
        IssueList,
    )


def _issue_query(p, scope: str, query: IssueQuery):
    """The issues of `scope` as the caller may see them, with the list's filters, newest
    first: the one list of `core.items.lists`, as the console's."""
    filters = IssueFilters(
        scope=scope,
        status=query.status,
        overdue=query.overdue,
        alley_id=query.alley_id,
        visibility=query.visibility,
    )
    return lists.issue_list(p, filters)


@router.get(
    "/issues/<int:issue_id>", summary="诉求详情与办理过程", response=IssueOut, errors=(404,)
)
def get_issue(issue_id: int):
    p = current_principal()
    return issue_out(p, flow.get_visible(p, issue_id), timeline=True)


ACTION_ERRORS = (403, 404, 409)


@router.post(
    "/issues/<int:issue_id>/accept", summary="接单", response=IssueOut, errors=ACTION_ERRORS
)
def accept_issue(issue_id: int):
    flow.accept(current_principal(), issue_id)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/resolve",
    summary="办结（说明与照片）",
    body=ResolveIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def resolve_issue(issue_id: int, body: ResolveIn):
    """办结方式：现场解决 / 上报社区 / 联合处置；不填则按办理过程推断。"""
    p = current_principal()
    if p.unit_ids and not p.is_staff and not p.stewards:
        unit_actions.resolve(p, issue_id, body.note, body.photo_ids)  # names person and unit
    else:
        flow.resolve(p, issue_id, body.note, body.photo_ids, body.level)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/escalate",
    summary="上报社区",
    body=NoteIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def escalate_issue(issue_id: int, body: NoteIn):
    flow.escalate(current_principal(), issue_id, body.note)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/whistle",
    summary="吹哨报到：交承办单位（部门或物业）办理，须选紧急程度",
    body=WhistleIn,
    response=IssueOut,
    errors=ACTION_ERRORS + (400,),
)
def whistle_issue(issue_id: int, body: WhistleIn):
    """已办结、已撤销或内容待审核的诉求不能吹哨（409，不做任何修改）。"""
    if body.unit_id is None and body.department_id is None:
        raise bad_request("请选择承办单位", {"unit_id": "必填"})
    if body.unit_id is not None and body.tier is None:
        raise bad_request("请选择紧急程度：一般、重要或重大", {"tier": "必填"})
    unit_id = body.unit_id if body.unit_id is not None else body.department_id
    try:
        unit_handling.whistle(current_principal(), issue_id, unit_id, body.note, body.tier)
    except ApiError as err:
        if body.unit_id is None or "department_id" not in err.fields:
            raise
        # a new client named the field unit_id: the answer names it so
        raise bad_request("请选择本街道的承办单位", {"unit_id": "单位不存在或已停用"}) from err
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/assign",
    summary="派单 / 改派 / 调整紧急程度",
    body=AssignIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def assign_issue(issue_id: int, body: AssignIn):
    flow.assign(current_principal(), issue_id, body.steward_ids, body.priority, body.note)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/comment",
    summary="留言",
    body=CommentIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def comment_issue(issue_id: int, body: CommentIn):
    flow.comment(current_principal(), issue_id, body.text, body.photo_ids)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/rate",
    summary="评价（反映人，1–5 分，一次）",
    body=RateIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def rate_issue(issue_id: int, body: RateIn):
    flow.rate(current_principal(), issue_id, body.score, body.text)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/reopen",
    summary="不满意，重新打开（反映人，办结后 7 天内）",
    body=NoteIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def reopen_issue(issue_id: int, body: NoteIn):
    flow.reopen(current_principal(), issue_id, body.note)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/cancel",
    summary="撤销（反映人在接单前；工作人员须说明原因）",
    body=CancelIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def cancel_issue(issue_id: int, body: CancelIn):
    flow.cancel(current_principal(), issue_id, body.reason)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/follow",
    summary="跟进这一件：我也遇到了同一问题",
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def follow_issue(issue_id: int):
    """居民发现已有人反映同一问题时跟进它，而不重复反映：之后它出现在“我反映的”
    (`scope=mine`) 中，办理过程可见，办理人看到有几位居民跟进。自己反映的不能跟进（409
    `own_issue`），已办结的不能跟进（409 `invalid_transition`），重复跟进无变化。"""
    p = current_principal()
    flow.follow(p, issue_id)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/moderate",
    summary="审核是否公开（内容检查未通过的诉求）",
    body=ModerateIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def moderate_issue(issue_id: int, body: ModerateIn):
    flow.moderate(current_principal(), issue_id, body.publish, body.note)
    return _out(issue_id)
