"""诉求 routes: report, list, read with timeline, and one route per lifecycle action.

Every action calls `core.items.issues`, the one place that changes an issue.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.items import callbacks, lists, merge, on_behalf
from core.items import issues as flow
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
    # 代居民登记 (staff, with alley_id): core.items.on_behalf checks each of these.
    source: str | None = Field(
        default=None,
        max_length=16,
        description="工作人员代居民登记：hotline（12345 热线）、phone（电话）、visit（来访）、"
        "grid（网格员发现）、other（其他）；居民自己反映时不填",
    )
    ticket_no: str | None = Field(
        default=None, max_length=40, description="12345 工单号（仅 hotline），同一街道内不可重复"
    )
    ticket_deadline: str | None = Field(
        default=None,
        max_length=40,
        description="12345 转办期限（仅 hotline）：2026-12-10 或 2026-12-10T18:00:00+08:00；"
        "不填按类别的紧急程度计算",
    )
    contact_name: str | None = Field(
        default=None, max_length=40, description="居民姓名（代登记时，不公开）"
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
    outcome: Literal["solved", "answered", "not_ours", "duplicate", "unsolvable"] | None = Field(
        default=None,
        description="办结结果：solved 已解决（默认）/ answered 已答复（政策解释，须写答复内容）/ "
        "not_ours 不属于职责（转出）/ duplicate 重复（工作人员，须给 into）/ "
        "unsolvable 无法解决（须写原因）",
    )
    into: int | None = Field(default=None, description="outcome=duplicate 时：原诉求 ID")


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
    errors=(403, 404, 409, 410),
)
def create_issue(body: IssueIn):
    """按公示牌编码或街巷提交；同一街巷同类别 3 天内未办结的诉求会在 `similar` 中返回，
    客户端可提示“关注已有诉求”。管家可带 `fixed_on_spot` 记录随手做。

    工作人员代居民登记：带 `alley_id` 与 `source`（及 12345 的 `ticket_no`、`ticket_deadline`，
    居民的 `contact_name`、`contact_phone`，均不公开）。同一街道内工单号重复登记为 409
    `duplicate_ticket`，`error.existing_issue` 为先登记的诉求。"""
    p = current_principal()
    if _on_behalf(body):
        on_behalf.require_staff(p)
    alley, board = flow.resolve_alley(body.alley_id, body.board_code)
    if _on_behalf(body):
        if body.fixed_on_spot is not None:
            raise bad_request(
                "代居民登记不能同时记录随手做", {"fixed_on_spot": "代居民登记时请不填"}
            )
        created = on_behalf.register(
            p,
            alley=alley,
            source=body.source or "",
            category=body.category,
            content=body.content,
            photo_ids=body.photo_ids,
            ticket_no=body.ticket_no,
            ticket_deadline=body.ticket_deadline,
            contact_name=body.contact_name,
            contact_phone=body.contact_phone,
            location=body.location.model_dump() if body.location else None,
        )
    else:
        created = flow.create(
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
        )
    # what creating it read (its stewards, its photos' rows) is not read again to show it
    cache = {("assigned", created.issue.id): created.stewards, **created.photos}
    out = issue_out(p, created.issue, timeline=True, cache=cache)
    out["similar"] = [_similar_out(s) for s in created.similar]
    return out, 201


def _on_behalf(body: IssueIn) -> bool:
    """Any of the 代居民登记 fields makes it one (and refused to anyone but staff)."""
    fields = (body.source, body.ticket_no, body.ticket_deadline, body.contact_name)
    return any(v is not None for v in fields)


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
    """办结方式：现场解决 / 上报社区 / 联合处置；不填则按办理过程推断。办结结果 `outcome`
    不填为 solved（已解决）；answered 与 unsolvable 须在 note 写明答复或原因；duplicate 须给
    `into`（原诉求 ID），与 `POST /issues/{id}/merge` 相同。未知的结果为 400（fields.outcome），
    已办结的再办结为 409 `invalid_transition`（两人同时办结：一人成功，一人 409）。"""
    p = current_principal()
    if body.outcome == "duplicate" and body.into is not None:
        merge.merge(p, issue_id, body.into, body.note)  # as POST /issues/{id}/merge
    elif body.into is not None:
        raise bad_request("只有重复的诉求才填写原诉求", {"into": "outcome 为 duplicate 时才填写"})
    elif p.unit_ids and not p.is_staff and not p.stewards:
        # names person and unit
        unit_actions.resolve(p, issue_id, body.note, body.photo_ids, body.outcome)
    else:
        flow.resolve(p, issue_id, body.note, body.photo_ids, body.level, outcome=body.outcome)
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
    summary="不满意，重新打开（反映人，办结后 7 天内；工作人员：回访不满意后）",
    body=NoteIn,
    response=IssueOut,
    errors=ACTION_ERRORS,
)
def reopen_issue(issue_id: int, body: NoteIn):
    """反映人：办结后 REOPEN_WINDOW_DAYS 天内。工作人员（非反映人）：本轮回访结果为“不满意”
    的已办结或已完结诉求，note 作为原因；本轮回访为其他结果时 409 `not_unsatisfied`，
    尚未回访时 403（只有反映人可以重新打开）。"""
    p = current_principal()
    issue = Issue.get_or_none(Issue.id == issue_id)
    called = issue is not None and p.is_staff and not flow.is_reporter(p, issue)
    if called and callbacks.settled(issue) is not None:
        callbacks.reopen(p, issue_id, body.note)
    else:
        flow.reopen(p, issue_id, body.note)
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


class MergeIn(BaseModel):
    into: int = Field(description="原诉求（重复的这件合并到它）的 ID")
    note: OptionalNote500 = None


@router.post(
    "/issues/<int:issue_id>/merge",
    summary="合并重复诉求（工作人员）",
    body=MergeIn,
    response=IssueOut,
    errors=ACTION_ERRORS + (400,),
)
def merge_issue(issue_id: int, body: MergeIn):
    """把这件（重复的）合并到同一社区另一件未办结、已公开的诉求：这件以“与 #N 重复，已合并”
    办结（outcome=duplicate，`duplicate_of`=N），它的反映人和跟进人改为跟进原诉求并收到通知，
    两件的办理过程都记一笔。合并到自己、已办结或待审核的诉求、别的社区的诉求：400
    （fields.into）；这件已不在办理中：409。"""
    merge.merge(current_principal(), issue_id, body.into, body.note)
    return _out(issue_id)
