"""The area tree: finding or creating nodes by name, and the tree as data (API and CLI)."""

from __future__ import annotations

import functools

from infra.timeutil import utcnow
from models import AREA_KIND_LABELS, AREA_KINDS, Area, Board, Steward, StewardAlley

CHILD_KIND = dict(zip(AREA_KINDS, AREA_KINDS[1:], strict=False))


def child(parent: Area | None, kind: str, name: str) -> tuple[Area, bool]:
    """The named child of `parent` (a root street when `parent` is None); created if missing."""
    query = Area.select().where(Area.name == name)
    query = query.where(Area.parent.is_null() if parent is None else Area.parent == parent)
    found = query.first()
    if found is not None:
        if found.kind != kind:
            raise ValueError(f"“{name}”已作为{found.kind}存在，不能再作为{kind}")
        return found, False
    area = Area.create(parent=parent, kind=kind, name=name, updated_at=utcnow())
    area.set_path()
    return area, True


def community_of(area: Area) -> Area | None:
    """The community (社区/村) an area belongs to, itself included."""
    return next((a for a in area.ancestors() if a.kind == "community"), None)


def tree(roots: list[Area] | None = None, *, include_phones: bool = True) -> list[dict]:
    """Nested dicts of the given subtrees (every root street when None).

    Four queries whatever the size: areas, boards, steward links, stewards.
    """
    query = Area.select().order_by(Area.path)
    if roots is not None:
        if not roots:
            return []
        cond = None
        for root in roots:
            part = Area.path.startswith(root.path)
            cond = part if cond is None else (cond | part)
        query = query.where(cond)
    areas = list(query)
    alley_ids = [a.id for a in areas if a.kind == "alley"]

    boards: dict[int, list[dict]] = {}
    stewards: dict[int, list[dict]] = {}
    if alley_ids:
        for b in Board.select().where(Board.alley.in_(alley_ids)).order_by(Board.id):
            boards.setdefault(b.alley_id, []).append(
                {"id": b.id, "code": b.code, "active": b.active, "version": b.version}
            )
        links = (
            StewardAlley.select(StewardAlley, Steward)
            .join(Steward)
            .where(StewardAlley.alley.in_(alley_ids))
            .order_by(StewardAlley.id)
        )
        for link in links:
            s = link.steward
            item = {"id": s.id, "name": s.name, "active": s.active, "is_leader": link.is_leader}
            if include_phones:
                item["phone"] = s.phone
            stewards.setdefault(link.alley_id, []).append(item)

    nodes: dict[int, dict] = {}
    top: list[dict] = []
    for a in areas:
        node = {"id": a.id, "kind": a.kind, "name": a.name, "active": a.active, "children": []}
        if a.kind == "alley":
            node["boards"] = boards.get(a.id, [])
            node["stewards"] = stewards.get(a.id, [])
        nodes[a.id] = node
        parent = nodes.get(a.parent_id)
        (parent["children"] if parent else top).append(node)
    return top


def format_tree(nodes: list[dict], indent: int = 0) -> list[str]:
    """Plain-text lines for `flask areas`."""

    lines = []
    for node in nodes:
        pad = "  " * indent
        line = f"{pad}[{node['id']}] {AREA_KIND_LABELS[node['kind']]} {node['name']}"
        if node["kind"] == "alley":
            codes = ", ".join(b["code"] + ("" if b["active"] else "(停用)") for b in node["boards"])
            people = ", ".join(f"{s['name']}#{s['id']}" for s in node["stewards"])
            line += f"  公示牌: {codes or '-'}  管家: {people or '-'}"
        lines.append(line)
        lines.extend(format_tree(node["children"], indent + 1))
    return lines


# --- natural order: 第一网格, 第二网格 … 第九网格, 第十网格, as people count them ---------------

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERALS = set(_DIGITS) | set(_UNITS)


def _chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 一百零五 → 105 (the numbers in area names)."""
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
    return total + digit


@functools.lru_cache(maxsize=16384)  # names repeat across a district's pickers
def natural_key(name: str) -> tuple:
    """A sort key that reads the numbers inside a name, Arabic or Chinese, as numbers."""
    parts: list[tuple[int, int, str]] = []
    i = 0
    while i < len(name):
        j = i
        if name[i].isascii() and name[i].isdigit():
            while j < len(name) and name[j].isascii() and name[j].isdigit():
                j += 1
            parts.append((0, int(name[i:j]), ""))
        elif name[i] in _NUMERALS:
            while j < len(name) and name[j] in _NUMERALS:
                j += 1
            parts.append((0, _chinese_number(name[i:j]), ""))
        else:
            while j < len(name) and not (
                (name[j].isascii() and name[j].isdigit()) or name[j] in _NUMERALS
            ):
                j += 1
            parts.append((1, 0, name[i:j]))
        i = j
    return (*parts, (2, 0, name))  # equal readings fall back to the name itself


def in_natural_order(areas: list[Area]) -> list[Area]:
    """Areas in tree order (each under its parent), siblings in natural order."""
    names = {a.id: a.name for a in areas}
    above = {i for a in areas for i in a.ancestor_ids() if i not in names}
    if above:
        names.update(
            (a.id, a.name) for a in Area.select(Area.id, Area.name).where(Area.id.in_(above))
        )
    return sorted(areas, key=lambda a: [natural_key(names.get(i, "")) for i in a.ancestor_ids()])
