"""常用回复: a community's ready-made resolution texts, kept by its staff and offered wherever
an item is closed (the console's resolve form, `GET /api/v1/reply-templates` for the mini
program). Each change is audited and names the person; the texts are the community's own
words to residents, so anyone who closes its items may read them (staff, its stewards, the
unit an item of it is whistled to) and only its staff may change them.
"""

from __future__ import annotations

from core import audit
from core.items import issues as flow
from core.items import outcomes
from core.people.permissions import Principal
from infra.db import write_transaction
from infra.errors import bad_request, forbidden, not_found
from infra.timeutil import utcnow
from models import Area, ReplyTemplate

TITLE_MAX, TEXT_MAX = 40, 500
# The outcomes a template may be meant for (a duplicate is merged, with no text to reuse).
FOR_OUTCOMES = tuple(o for o in outcomes.OUTCOMES if o != outcomes.DUPLICATE)


def out(t: ReplyTemplate) -> dict:
    return {
        "id": t.id,
        "community_id": t.community_id,
        "title": t.title,
        "text": t.text,
        "outcome": t.outcome,
        "outcome_name": outcomes.NAMES.get(t.outcome) if t.outcome else None,
    }


def communities_of(p: Principal) -> list[Area]:
    """The communities whose templates `p` may read without naming an item: those under a
    staff scope, and those of a steward's alleys."""
    found: dict[int, Area] = {}
    for root in p.area_roots:
        below = Area.select().where((Area.kind == "community") & Area.path.startswith(root.path))
        # a street's staff: its communities; a grid's or an alley's: the one above it
        for a in [*below, *root.ancestors()]:
            if a.kind == "community":
                found[a.id] = a
    for alley in Area.select().where(Area.id.in_(sorted(p.alley_ids) or [0])):
        for a in alley.ancestors():
            if a.kind == "community":
                found[a.id] = a
    return sorted(found.values(), key=lambda a: a.path)


def _community(community_id: int) -> Area:
    area = Area.get_or_none((Area.id == community_id) & (Area.kind == "community"))
    if area is None:
        raise not_found("找不到该社区", code="community_not_found")
    return area


def listing(p: Principal, community_id: int | None = None, issue_id: int | None = None) -> list:
    """The templates `p` may offer: of the community of item `issue_id` (anyone who may close
    it), of `community_id`, or of every community `p` works in."""
    if issue_id is None and not (p.is_staff or p.stewards or p.unit_ids):
        raise forbidden("只有办理诉求的人可以查看常用回复")
    if issue_id is not None:
        issue = flow.get_visible(p, issue_id)
        insider = (
            p.can_see(issue.alley) or flow.is_handler(p, issue) or issue.department_id in p.unit_ids
        )
        if not insider:
            raise forbidden("只有办理该诉求的人可以查看常用回复")
        ids = [issue.community_id]
    elif community_id is not None:
        area = _community(community_id)
        if area.id not in {a.id for a in communities_of(p)}:
            raise forbidden("该社区不在您的管辖范围内", code="out_of_scope")
        ids = [area.id]
    else:
        ids = [a.id for a in communities_of(p)]
    if not ids:
        return []
    query = (
        ReplyTemplate.select()
        .where(ReplyTemplate.community.in_(ids))
        .order_by(ReplyTemplate.community, ReplyTemplate.title, ReplyTemplate.id)
    )
    return list(query)


def _checked(title, text, outcome) -> tuple[str, str, str | None]:
    title, text = (title or "").strip(), (text or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise bad_request(f"请填写标题（最多 {TITLE_MAX} 字）", {"title": f"1 到 {TITLE_MAX} 字"})
    if not text or len(text) > TEXT_MAX:
        raise bad_request(f"请填写回复内容（最多 {TEXT_MAX} 字）", {"text": f"1 到 {TEXT_MAX} 字"})
    outcome = outcome or None
    if outcome is not None and outcome not in FOR_OUTCOMES:
        choices = "、".join(f"{o}（{outcomes.NAMES[o]}）" for o in FOR_OUTCOMES)
        raise bad_request("适用的办结结果有误", {"outcome": "可选：" + choices + "，或不填"})
    return title, text, outcome


def _audit(p: Principal, action: str, t: ReplyTemplate, data: dict) -> None:
    audit.record(
        f"reply_template.{action}",
        "reply_template",
        t.id,
        actor=p.user,
        area=t.community_id,
        data=data,
    )


def create(p: Principal, community_id: int, title, text, outcome=None) -> ReplyTemplate:
    community = _community(community_id)
    if not p.can_manage(community):
        raise forbidden("只有本社区的工作人员可以编辑常用回复", code="out_of_scope")
    title, text, outcome = _checked(title, text, outcome)
    with write_transaction():
        t = ReplyTemplate.create(
            community=community, title=title, text=text, outcome=outcome, created_by=p.user
        )
        _audit(p, "create", t, {"title": title, "text": text, "outcome": outcome})
    return t


def owned(p: Principal, template_id: int) -> ReplyTemplate:
    t = ReplyTemplate.get_or_none(ReplyTemplate.id == template_id)
    if t is None or not p.can_manage(Area.get_by_id(t.community_id)):
        raise not_found("找不到该常用回复", code="reply_template_not_found")
    return t


def update(p: Principal, template_id: int, title, text, outcome=None) -> ReplyTemplate:
    title, text, outcome = _checked(title, text, outcome)
    with write_transaction():
        t = owned(p, template_id)
        before = {"title": t.title, "text": t.text, "outcome": t.outcome}
        t.title, t.text, t.outcome, t.updated_at = title, text, outcome, utcnow()
        t.save()
        after = {"title": title, "text": text, "outcome": outcome}
        _audit(p, "update", t, {"before": before, "after": after})
    return t


def delete(p: Principal, template_id: int) -> None:
    with write_transaction():
        t = owned(p, template_id)
        _audit(p, "delete", t, {"title": t.title, "text": t.text, "outcome": t.outcome})
        t.delete_instance()


# The demo's 常用回复 (core.demo): what a community typically keeps.
DEMO = (
    ("已清理", "已安排保洁人员清理完毕，感谢您的反映。", outcomes.SOLVED),
    (
        "政策解释：养老服务补贴",
        "经核实，养老服务补贴按区民政局规定每季度发放一次，您的申请已受理，下次发放时一并到账。",
        outcomes.ANSWERED,
    ),
    (
        "转交供电公司",
        "该线路属供电公司资产，不属于社区职责，已将情况转交供电公司处理。",
        outcomes.NOT_OURS,
    ),
)


def stock_demo(community: Area) -> None:
    """The demo community's templates, once (re-seeding adds none)."""
    if ReplyTemplate.select().where(ReplyTemplate.community == community).exists():
        return
    for title, text, outcome in DEMO:
        ReplyTemplate.create(community=community, title=title, text=text, outcome=outcome)
