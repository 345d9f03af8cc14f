"""The monthly bulletin handed out: downloaded (PDF, xlsx), written to a folder by the CLI, and
pushed on the 1st to the street's groups as an image card and a link.

Every download is audited (`bulletin.export`, who took which street's month); every push
(`bulletin.send`). The push goes to the street's own groups — a chat group registered on the
street area itself (not a unit's group) — through `core.delivery.robot`, each group claimed by
a run key in the transaction that queues its messages, so a rerun, a restart or a second
scheduler never sends it twice. A street without a group of its own is skipped and not
claimed: once its leaders' group is registered, the next run sends it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app

from core import audit, runs
from core.delivery import robot
from core.figures import bulletin, bulletin_card, bulletin_pdf, bulletin_xlsx
from core.figures.bulletin import Bulletin, Month
from core.people.permissions import Principal
from infra.db import write_transaction
from infra.errors import bad_request
from models import Area, ChatGroup

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CATCH_UP_DAYS = 3
RENDER = {"pdf": bulletin_pdf.render, "xlsx": bulletin_xlsx.render}


def file_name(b: Bulletin, fmt: str) -> str:
    """`bulletin-{street}-{YYYY-MM}.pdf`: the contract's name (ASCII, for every browser)."""
    return f"{b.file_stem}.{fmt}"


def display_name(b: Bulletin, fmt: str) -> str:
    return f"{b.street.name}{b.month.label}通报.{fmt}"


def download(p: Principal, street_id: int, month_text: str, fmt: str) -> tuple[bytes, Bulletin]:
    """The file a reader asked for: 404 street, 403 scope, 400 month or format; audited."""
    if fmt not in FORMATS:
        raise bad_request("格式：只能是 pdf 或 xlsx", {"format": "可选：pdf、xlsx"})
    b = bulletin.for_reader(p, street_id, month_text)
    data = RENDER[fmt](b)
    audit.record(
        "bulletin.export",
        "area",
        b.street.id,
        actor=p.user,
        area=b.street,
        data={"month": str(b.month), "format": fmt},
    )
    return data, b


def write_files(street: Area, month: Month, out: Path, label: str) -> tuple[Bulletin, list[Path]]:
    """Write both files of the month into `out` (created if missing); audited as `label`."""
    b = bulletin.build(street, month)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, render in RENDER.items():
        path = out / file_name(b, fmt)
        path.write_bytes(render(b))
        paths.append(path)
    audit.record(
        "bulletin.export",
        "area",
        street.id,
        label=label,
        area=street,
        data={"month": str(month), "format": "pdf+xlsx", "out": str(out)},
    )
    return b, paths


def street_groups(street: Area) -> list[ChatGroup]:
    """The street's own active groups (its leaders'): registered on the street area itself,
    not a handling unit's group."""
    return list(
        ChatGroup.select()
        .where(
            (ChatGroup.area == street.id)
            & ChatGroup.active
            & ChatGroup.unit.is_null()
            & (ChatGroup.audience != "unit")
        )
        .order_by(ChatGroup.id)
    )


def link(street: Area, month: Month) -> str:
    """Where a reader downloads it (the console: a leader in the group has a console login);
    `.pdf` or `.xlsx` is appended."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/console/bulletins/{street.id}/{month}"


def run_key(month: Month, street: Area, group: ChatGroup) -> str:
    return f"bulletin:{month}:street:{street.id}:group:{group.id}"


def send(street: Area, month: Month) -> int:
    """Queue the card and the link to each of the street's groups that has not had this
    month's; returns how many groups were queued."""
    due = [g for g in street_groups(street) if not runs.done(run_key(month, street, g))]
    if not due:
        return 0
    b = bulletin.build(street, month)  # read everything before the first write
    card = bulletin_card.image(b)
    text = bulletin.card_markdown(b, link(street, month))
    sent = 0
    for group in due:
        key = run_key(month, street, group)
        with write_transaction():
            if not runs.claim(key):
                continue
            robot.push_image(group, card, key=f"{key}:image")
            robot.push_markdown(group, text, key=f"{key}:markdown")
            audit.record(
                "bulletin.send",
                "area",
                street.id,
                label="月度通报",
                area=street,
                data={"month": str(month), "group": group.id},
            )
            runs.finish(key, {"communities": len(b.communities), "units": len(b.units)})
        sent += 1
    return sent


def run_if_month_started(today: date) -> int:
    """The scheduled job: on the 1st, last month's bulletin to every street's groups. On the
    2nd and 3rd too, for a scheduler that was down on the 1st: the run keys send each group's
    once."""
    if today.day > CATCH_UP_DAYS:
        return 0
    month = Month.of(today).previous()
    streets = Area.select().where((Area.kind == "street") & Area.active).order_by(Area.id)
    started = [s for s in list(streets) if bulletin.street_started(s) <= month.last]
    return sum(send(street, month) for street in started)
