"""What may be said where people not involved in an item read it: a public page, a group.

One rule for both. An issue's words and photos only when the public may see them: not held
for review, not kept back by staff, not of a private category (邻里纠纷 by default). A wish's
title only once staff published it. A resident's phone and a household's details never.
Everything else is for the people involved: the mini program, or a private message from the
WeCom app (`core.delivery.private`).

The group is not a public page, but it is shared by every steward of the community (and
whoever else was added to it): what one steward may see is not therefore for all of them.
"""

from __future__ import annotations

from flask import current_app

from infra.text import shorten
from models import Issue, Wish

# The wish states a wish is in once staff published it (`core.items.wishes` uses this too).
WISH_PUBLIC_STATUSES = ("published", "claimed", "fulfilled", "closed")

# What a group reads instead of words it may not see; in a list line (a digest, the report)
# the short form.
HELD_WORDS = "（内容待审核，请在小程序查看）"
PRIVATE_WORDS = "（内容不公开，请在小程序查看）"
HELD_SHORT, PRIVATE_SHORT = "（内容待审核）", "（内容不公开）"
SHORT_BELOW = 30  # widths under this get the short form


def is_private_category(category: str) -> bool:
    """Reports of this category never show their content on a public page."""
    return category in current_app.config["PRIVATE_CATEGORIES"]


def words_shown(visibility: str, category: str) -> bool:
    """Whether anyone may read the words (and see the photos) of an issue so marked."""
    return visibility == "public" and not is_private_category(category)


def words(content: str, visibility: str, category: str, width: int) -> str:
    """An issue's words as a group may read them: shortened, or where to look instead."""
    if words_shown(visibility, category):
        return shorten(content, width)
    if width < SHORT_BELOW:
        return HELD_SHORT if visibility == "held" else PRIVATE_SHORT
    return HELD_WORDS if visibility == "held" else PRIVATE_WORDS


def issue_words_shown(issue: Issue) -> bool:
    return words_shown(issue.visibility, issue.category)


def issue_words(issue: Issue, width: int) -> str:
    return words(issue.content, issue.visibility, issue.category, width)


def wish_shown(wish: Wish) -> bool:
    """Whether a wish's title and display name may be read by anyone (staff published it)."""
    return wish.status in WISH_PUBLIC_STATUSES
