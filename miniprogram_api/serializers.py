"""The API's response shapes for issues, wishes and patrols (pydantic models for the OpenAPI
document). The dicts they describe are built in `core.items.presenters`, shared with the web pages.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class PhotoOut(BaseModel):
    id: int
    url: str
    thumb_url: str


class Ref(BaseModel):
    id: int
    name: str


class TimelineEntry(BaseModel):
    at: str
    action: str
    label: str
    actor: str
    note: str | None = None
    photos: list[PhotoOut] = []
    data: dict = {}


# --- issues ------------------------------------------------------------------------------------


class StewardContact(Ref):
    phone: str = Field(description="管家的公开电话（公示牌上印着的）")


class IssuePublicOut(BaseModel):
    id: int
    number: str
    category: str
    private: bool = Field(description="内容不公开的类别（如邻里纠纷）：公开页面不显示内容和照片")
    content: str | None
    status: str
    status_label: str
    alley: Ref
    created_at: str
    resolved_at: str | None
    resolution_note: str | None
    photos: list[PhotoOut]


class IssueOut(IssuePublicOut):
    priority: str
    priority_label: str
    deadline: str
    overdue: bool
    visibility: str
    hold_reason: str | None
    stewards: list[StewardContact]
    department: Ref | None
    accepted_at: str | None
    resolution_level: str | None
    resolution_photos: list[PhotoOut]
    rating: int | None
    rating_text: str | None
    reopen_count: int
    closed_at: str | None
    close_reason: str | None
    anonymous: bool
    source: str
    location: dict | None
    contact_phone: str | None
    reporter: str | None
    is_mine: bool
    actions: list[str]
    followers: int | None = Field(default=None, description="跟进这一件的居民人数（仅详情）")
    is_following: bool | None = Field(default=None, description="我是否跟进了这一件（仅详情）")
    timeline: list[TimelineEntry] | None = None


class SimilarOut(BaseModel):
    id: int
    number: str
    content: str | None
    status_label: str
    created_at: str


class IssueCreatedOut(IssueOut):
    similar: list[SimilarOut]


class SimilarList(BaseModel):
    items: list[SimilarOut]


# --- wishes -----------------------------------------------------------------------------------


class WishPublicOut(BaseModel):
    id: int
    number: str
    title: str
    content: str
    display_name: str
    beneficiary_type: str
    beneficiary_label: str
    status: str
    status_label: str
    alley: Ref
    photos: list[PhotoOut]
    published_at: str | None
    claimed: bool
    fulfilled_at: str | None


class WishOut(WishPublicOut):
    contact_phone: str | None
    on_behalf_of: str | None
    check_verdict: str | None
    reject_reason: str | None
    claimer: str | None
    claimer_role: str | None
    claimed_at: str | None
    fulfil_note: str | None
    fulfil_photos: list[PhotoOut]
    rating: int | None
    rating_text: str | None
    closed_at: str | None
    created_at: str
    is_mine: bool
    is_claimer: bool
    actions: list[str]
    timeline: list[TimelineEntry] | None = None


# --- patrols ----------------------------------------------------------------------------------


class PatrolOut(BaseModel):
    id: int
    steward: Ref
    alley: Ref
    note: str
    photos: list[PhotoOut]
    location: dict | None
    issue_id: int | None
    created_at: str
