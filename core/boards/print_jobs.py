"""Board PDFs rendered in the background for the console (公示牌 → 生成打印文件).

Rendering 1,000 boards takes tens of seconds, longer than a page request may take, and the
console runs in several gunicorn workers. So the job is a `PrintJob` row: the worker that
receives the request claims the row and renders in a thread, writing `done` and a heartbeat
after every board; any worker can show its progress; and a job whose heartbeat stopped (its
worker was restarted) is taken over by whichever worker next shows its progress page.
The PDF is written under `instance/print-jobs/` and served only to staff who may manage the
job's area.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app

from core import audit, faults
from core.boards import boards, fonts, health, layout, print_data, render, vector
from infra.db import db
from infra.errors import ApiError, bad_request
from infra.timeutil import to_local, utcnow
from models import Area, Board, PrintJob, User

log = logging.getLogger(__name__)

# A running job whose worker has said nothing for this long is taken over. One board takes
# well under a second, so a minute of silence means the worker is gone.
STALE_AFTER = timedelta(seconds=60)
SIZES = ("A4", "A3")
# A thousand boards make a PDF of several hundred MB: keep each a week (long enough to print
# and reprint), then free the disk.
KEEP_FILES = timedelta(days=7)


def download_name(job: PrintJob) -> str:
    """The name a staff member's browser saves the PDF as: `槐树社区-公示牌-A4-2026-12-07.pdf`
    (`…-样张.pdf` for a sample printed with a local base URL)."""
    sample = "-样张" if (job.file_name or "").endswith("-sample.pdf") else ""
    day = to_local(job.created_at).date().isoformat()
    return f"{job.area.name}-公示牌-{job.size}-{day}{sample}.pdf"


def jobs_dir() -> Path:
    path = Path(current_app.instance_path) / "print-jobs"
    with faults.storage("print-jobs"):
        path.mkdir(parents=True, exist_ok=True)
    return path


def pdf_path(job: PrintJob) -> Path | None:
    return jobs_dir() / job.file_name if job.file_name else None


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def job_boards(area: Area, changed_since=None, board_ids=None):
    """The boards a job prints: the area's active boards, those changed since a naive-UTC
    time, and of them only the ticked ones when `board_ids` is given."""
    query = boards.boards_in(area, changed_since)
    if board_ids is not None:
        query = query.where(Board.id.in_(sorted(board_ids)))
    return query


def last_print(area: Area, actor: User | None) -> PrintJob | None:
    """This person's last print job of the area (for "all new since my last print")."""
    if actor is None:
        return None
    return (
        PrintJob.select()
        .where((PrintJob.area == area) & (PrintJob.requested_by == actor))
        .order_by(PrintJob.created_at.desc(), PrintJob.id.desc())
        .first()
    )


def start(
    area: Area,
    *,
    actor: User | None,
    size: str = "A4",
    changed_since=None,
    board_ids=None,
) -> PrintJob:
    """Queue a print job for `area` (all active boards, those changed since a naive-UTC time,
    or only the ticked `board_ids`) and start rendering it in this process. With a local or
    bare-IP base URL the boards are printed as samples, watermarked (`print_data.collect`).
    The boards it takes leave the 待重印 list (`core.boards.health`)."""
    if size not in SIZES:
        raise bad_request("纸张只能是 A4 或 A3", {"size": "请选择 A4 或 A3"})
    try:
        fonts.font_source("regular"), fonts.font_source("bold")
    except fonts.FontMissing as exc:
        raise ApiError(503, "fonts_missing", str(exc)) from exc
    prune()
    ids = None if board_ids is None else sorted({int(i) for i in board_ids})
    if ids is not None and not ids:
        raise bad_request("请勾选要打印的公示牌", {"boards": "请至少勾选一块公示牌"})
    chosen = [b.id for b in job_boards(area, changed_since, ids).select(Board.id)]
    if ids is not None and len(chosen) != len(ids):
        raise bad_request(
            "勾选的公示牌不在所选区域内或已停用，请刷新页面后重新勾选",
            {"boards": "有公示牌不在所选区域内或已停用"},
        )
    if not chosen:
        raise ApiError(409, "nothing_to_print", "所选范围内没有需要打印的公示牌")
    total = len(chosen)
    with db.atomic():
        job = PrintJob.create(
            area=area,
            requested_by=actor,
            size=size,
            changed_since=changed_since,
            board_ids=ids,
            total=total,
        )
        reprinted = health.mark_reprinted(chosen)
        audit.record(
            "board.print",
            "area",
            area.id,
            actor=actor,
            area=area,
            data={"job": job.id, "boards": total, "size": size, "reprints": reprinted},
        )
    launch(job.id)
    return job


def prune(now=None) -> int:
    """Delete the PDFs of jobs finished more than KEEP_FILES ago; their rows stay (the
    progress page then says the file has expired). Returns how many files were removed."""
    cutoff = (now or utcnow()) - KEEP_FILES
    old = PrintJob.select().where(
        (PrintJob.status == "done")
        & PrintJob.file_name.is_null(False)
        & (PrintJob.finished_at < cutoff)
    )
    removed = 0
    for job in old:
        (jobs_dir() / job.file_name).unlink(missing_ok=True)
        PrintJob.update(file_name=None).where(PrintJob.id == job.id).execute()
        removed += 1
    return removed


def launch(job_id: int) -> bool:
    """Claim the job for this process and render it in a thread. False if another worker
    holds it (queued jobs are free; running ones only once their heartbeat is stale)."""
    now = utcnow()
    me = _worker_name()
    free = (PrintJob.status == "queued") | (
        (PrintJob.status == "running") & (PrintJob.heartbeat_at < now - STALE_AFTER)
    )
    claimed = (
        PrintJob.update(status="running", worker=me, heartbeat_at=now, done=0)
        .where((PrintJob.id == job_id) & free)
        .execute()
    )
    if not claimed:
        return False
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_run_in_app, args=(app, job_id, me), name=f"print-job-{job_id}", daemon=True
    )
    thread.start()
    return True


def revive(job: PrintJob) -> PrintJob:
    """Called when a job's progress is shown: take over a job whose worker went away."""
    if job.status in ("queued", "running") and launch(job.id):
        return PrintJob.get_by_id(job.id)
    return job


def _run_in_app(app: Flask, job_id: int, me: str) -> None:
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            run(job_id, me)
        finally:
            if not db.is_closed():
                db.close()


def _still_mine(job_id: int, me: str, **fields) -> bool:
    """Record progress; False if another worker has taken the job over meanwhile."""
    return bool(
        PrintJob.update(heartbeat_at=utcnow(), **fields)
        .where((PrintJob.id == job_id) & (PrintJob.worker == me) & (PrintJob.status == "running"))
        .execute()
    )


def run(job_id: int, me: str) -> None:
    """Draw the job's boards one by one into a vector PDF (`core.boards.vector`; a thread of
    a web worker must not fork, so this uses one core — enough without pixels to draw)."""
    job = PrintJob.get_by_id(job_id)
    out = jobs_dir()
    try:
        rows = list(job_boards(job.area, job.changed_since, job.board_ids))
        data = print_data.collect(rows)
        sample = "-sample" if data and data[0].watermark else ""
        day = to_local(utcnow()).date()
        name = f"{render.pdf_name(job.area_id, day)[:-4]}-job{job.id}{sample}.pdf"
        pdf = vector.VectorPdf(out / name, job.size)
        try:
            for n, record in enumerate(data, 1):
                # the drawing only: a vector page needs no pixels (several times faster)
                pdf.add(layout.compose(record, job.size, pixels=False)[1].ops)
                if not _still_mine(job_id, me, done=n, total=len(data)):
                    pdf.abort()
                    return
            pdf.close()
        except BaseException:
            pdf.abort()
            raise
        _still_mine(job_id, me, status="done", file_name=name, finished_at=utcnow())
    except Exception as exc:  # the staff member must see that it failed, not wait forever
        log.exception("print job %s failed", job_id)
        _still_mine(job_id, me, status="failed", error=f"生成失败：{exc}", finished_at=utcnow())
