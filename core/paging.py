"""One page of a list, and how many there are, at district scale (issue 28).

`page_of` reads one page with LIMIT and OFFSET written into the SQL as numbers, not bound
parameters: SQLite plans a query whose LIMIT is a parameter as if it had none and, for a
short queue (the 超期 list: open and past the deadline, a few dozen items in a community),
walks the whole district down `issue (created_at)` looking for them (145 ms at 200,000
issues) instead of reading the queue from `issue (alley, status, deadline)` and sorting it
(0.3 ms). Both are validated integers, so nothing a client sends reaches the SQL as text.

`bounded_count` counts at most `cap` rows (and never fewer than the rows up to the end of
the page shown, so the pager can always say whether a next page exists): a street's 诉求 list
has a million items and nobody needs their exact number to page through the newest; past the
cap a page says "1,000+ 条" plainly (`Count.more`).
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import SQL, Select, fn

COUNT_CAP = 1000  # rows counted exactly; past this a list says "1,000+ 条"


@dataclass(frozen=True)
class Count:
    """How many rows a list has: exactly `total`, or (`more`) more than `total`."""

    total: int
    more: bool = False


def _number(value: int, least: int) -> SQL:
    number = int(value)  # an int from page_arg / PageQuery: never text from the request
    if number < least:
        raise ValueError(f"{number} < {least}")
    return SQL(str(number))


def page_of(query, page: int, per_page: int) -> list:
    """Rows of page `page` (from 1) of `query`, `per_page` a page, in the query's order."""
    offset = (max(int(page), 1) - 1) * int(per_page)
    return list(query.limit(_number(per_page, 1)).offset(_number(offset, 0)))


def bounded_count(query, page: int, per_page: int, cap: int | None = None) -> Count:
    """The rows of `query`, counted up to `cap` (COUNT_CAP) or to the end of page `page`,
    whichever is further; one more row than that makes the count `more` (the list goes on)."""
    cap = COUNT_CAP if cap is None else cap
    bound = max(int(cap), max(int(page), 1) * int(per_page))
    # Without its ORDER BY: counting wants no sort, and the planner is free to read the
    # narrowest index of the WHERE clause.
    inner = query.order_by().select(SQL("1")).limit(_number(bound + 1, 1)).offset(None)
    counted = Select([inner.alias("bounded")], [fn.COUNT(SQL("1"))])
    found = int(counted.scalar(query.model._meta.database) or 0)
    return Count(bound, True) if found > bound else Count(found)
