"""Partial indexes: the few rows a page looks for among a million (`issue`), and the changes
among the audit trail's reads (`event`).

A full index over a column where almost every row has the same value (no phone; `public`) has
one huge key, which SQLite's statistics average into "every value matches most of the table",
so the planner never uses it and walks the district instead. Without those rows the index's
statistics are the few rows' own, the planner takes it, and it is smaller and cheaper to write.
Both databases use them (the query's condition implies the index's).
"""

from __future__ import annotations

from models import Event, Issue

# The audit trail's events that record who read what (a household's card, a list of them) and
# change nothing. The kept figures (core.figures.kept) follow the trail's tail without them:
# otherwise every card a steward opens would make every page's kept figures count afresh.
# Adding an action here needs a migration that makes `event_changes` again (as schema 32 did).
READ_ACTIONS = ("household.read", "household.list")

# The console's search finds a resident by their phone (core.search): most items have none
# (0.6-0.8 s at district scale without it; schema 30).
Issue.add_index(
    Issue.index(Issue.contact_phone, name="issue_contact_phone_given").where(
        Issue.contact_phone.is_null(False)
    )
)

# 待审核公开 (core.items.queues, the held queue), oldest first: the content check holds back a
# handful of reports; the 首页s and 待办审核 count them on every request (schema 31, in place of
# schema 28's full (visibility, created_at), which SQLite judged useless and so counted the held
# reports by walking every item of the viewer's alleys: 30 s for a street of a million).
Issue.add_index(
    Issue.index(Issue.created_at, Issue.id, name="issue_held_created_at").where(
        Issue.visibility == "held"
    )
)

# The kept figures' probe of the trail's tail (core.figures.kept.tail): the last changes' ids,
# read from the index alone (schema 32).
Event.add_index(
    Event.index(Event.id, name="event_changes").where(Event.action.not_in(READ_ACTIONS))
)

MODELS: list = []
