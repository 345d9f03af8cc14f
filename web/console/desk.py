"""台账 (the ledger download), 花名册 (roster upload: dry run, then confirm) and 公示牌 (preview,
background print PDF with progress, retire / replace) — the desk work the command line did."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from core.boards import boards as board_service
from core.boards import fonts, health, layout, print_data, print_jobs, render
from core.figures import ledger, ledger_print
from core.media import media_url
from core.people import roster as roster_service
from core.people import roster_file, roster_preview
from infra import text
from infra.errors import ApiError
from infra.timeutil import local_midnight_utc
from models import Area, Board, PrintJob
from web.console import uploads
from web.console.common import (
    bp,
    chosen_area,
    in_scope_or_404,
    login_required,
    managed_areas,
    parse_period,
    principal,
    today,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPARK_WEEKS = 12  # the 公示牌 page's scans-per-week line


def _attachment(data: bytes, mimetype: str, ascii_name: str, name: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"
        },
    )


# --- 台账 -------------------------------------------------------------------------------------


@bp.route("/ledger", endpoint="ledger")
@login_required
def ledger_page():
    area = chosen_area()
    first, last, error = parse_period(ledger.default_period(today()))
    return render_template(
        "console/ledger.html", area=area, areas=managed_areas(), first=first, last=last, error=error
    )


@bp.route("/ledger.xlsx")
@login_required
def ledger_download():
    area = chosen_area()
    first, last, error = parse_period(ledger.default_period(today()))
    if error:
        flash(error, "error")
        return redirect(url_for("console.ledger", area=area.id))
    user = principal().user
    if request.args.get("version") == "print":
        preparer = principal_name()
        data, name = ledger_print.export(area, first, last, user, preparer)
        return _attachment(data, XLSX, "ledger-print.xlsx", name)
    data, name = ledger.export(area, first, last, user)
    return _attachment(data, XLSX, "ledger.xlsx", name)


def principal_name() -> str:
    """The name a printed sheet's 制表人 line gives: the staff member's own display name."""
    p = principal()
    named = [a.display_name for a in p.staff_accounts if a.display_name]
    return (named[0] if named else p.user.nickname or "").strip()


# --- 花名册 -----------------------------------------------------------------------------------


@bp.route("/roster", methods=["GET", "POST"])
@login_required
def roster():
    """GET: the upload form. POST with a file: a dry run, its result, and a confirm button
    carrying the stored upload's digest; POST with `confirm`: the real import of that file."""
    within = principal().area_roots
    return uploads.dry_run_then_confirm(
        page="console/roster.html",
        folder="roster-uploads",
        noun="花名册",
        endpoint="console.roster",
        run=lambda path, dry_run: (
            roster_preview.preview_file(path, within=within)
            if dry_run
            else roster_service.import_file(path, label=uploads.label(), within=within)
        ),
        error=roster_file.RosterError,
    )


@bp.route("/roster/marked/<digest>.xlsx")
@login_required
def roster_marked(digest: str):
    """The viewer's bad sheet back, every row where it was and the errors in an extra column."""
    path = uploads.stored_upload("roster-uploads", digest)
    table = roster_file.read_table(path)
    try:
        preview = roster_preview.preview_table(table, within=principal().area_roots)
    except roster_file.RosterError:
        abort(404)  # the sheet is wrong as a whole: the page lists why; nothing to mark
    name = f"花名册-错误标注-{today().isoformat()}.xlsx"
    data = roster_preview.marked_xlsx(table, preview)
    return _attachment(data, XLSX, "roster-marked.xlsx", name)


@bp.route("/roster/template.xlsx")
@login_required
def roster_template():
    return _attachment(roster_file.template_xlsx(), XLSX, "roster-template.xlsx", "花名册模板.xlsx")


# --- 公示牌 -----------------------------------------------------------------------------------


def _board_in_scope(board_id: int) -> Board:
    board = Board.get_or_none(Board.id == board_id)
    if board is None:
        abort(404)
    in_scope_or_404(board.alley)
    return board


@bp.route("/boards")
@login_required
def boards():
    area = chosen_area()
    rows = list(board_service.boards_in(area))
    alleys = {a.id: a for a in Area.select().where(Area.id.in_([b.alley_id for b in rows] or [0]))}
    ids = [b.id for b in rows]
    weekly = health.weekly_scans(ids, SPARK_WEEKS, today())
    me = principal().user
    last = print_jobs.last_print(area, me)
    reprints = health.reprint_queue(area)
    jobs = list(
        PrintJob.select()
        .join(Area, on=(PrintJob.area == Area.id))
        .where(principal().area_condition(Area))
        .order_by(PrintJob.created_at.desc())
        .limit(5)
    )
    return render_template(
        "console/boards.html",
        area=area,
        areas=managed_areas(),
        rows=rows,
        alleys=alleys,
        jobs=jobs,
        weekly=weekly,
        sparks={i: health.sparkline(w) for i, w in weekly.items()},
        spark_weeks=SPARK_WEEKS,
        checks=health.latest_checks(ids),
        reasons=health.REASONS,
        answers=health.ANSWERS,
        reprints=reprints,
        reprint_photos={
            c.id: (media_url(c.photo), media_url(c.photo, thumb=True)) for c in reprints if c.photo
        },
        last_print=last,
        new_since_last=(
            print_jobs.job_boards(area, last.created_at).count() if last else len(rows)
        ),
        base_problem=print_data.base_url_problem(current_app.config["PUBLIC_BASE_URL"]),
        base_url=current_app.config["PUBLIC_BASE_URL"],
    )


@bp.route("/boards/<int:board_id>/preview.png")
@login_required
def board_preview(board_id: int):
    board = _board_in_scope(board_id)
    image = layout.render_board(board).convert("RGB")
    image.thumbnail((900, 1300))
    png = render.encode_png(image, dpi=72)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


@bp.route("/boards/<int:board_id>/retire", methods=["POST"])
@login_required
def board_retire(board_id: int):
    board = _board_in_scope(board_id)
    alley = board.alley
    if board_service.retire_board(board, actor=principal().user):
        msg = f"公示牌 {board.code}（{alley.name}）已停用，扫码会提示已停用并显示社区电话。"
        if request.form.get("replace") == "1":
            new = board_service.create_board(alley)
            msg += f" 已新建公示牌 {new.code}，请打印张贴。"
        flash(msg, "ok")
    else:
        flash(f"公示牌 {board.code} 早已停用", "error")
    return redirect(url_for("console.boards", area=request.form.get("area") or alley.id))


@bp.route("/boards/print", methods=["POST"])
@login_required
def board_print():
    """Print the area's boards: all of them, those changed since a date, all new since the
    person's last print (`scope=new`), or only the ticked ones (`scope=ticked`, `board`)."""
    area = chosen_area()
    since, board_ids = None, None
    scope = request.form.get("scope", "all")
    if scope == "ticked":
        board_ids = [text.whole_number(v) for v in request.form.getlist("board")]
        if None in board_ids:
            flash("勾选的公示牌编号有误，请刷新页面后重新勾选", "error")
            return redirect(url_for("console.boards", area=area.id))
    elif scope == "new":
        last = print_jobs.last_print(area, principal().user)
        since = last.created_at if last else None
    elif scope == "since":
        try:
            since = local_midnight_utc(date.fromisoformat(request.form["since"]))
        except ValueError:
            flash("请填写日期（年-月-日），只打印此日期以来有变化的公示牌", "error")
            return redirect(url_for("console.boards", area=area.id))
    try:
        job = print_jobs.start(
            area,
            actor=principal().user,
            size=request.form.get("size", "A4"),
            changed_since=since,
            board_ids=board_ids,
        )
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("console.boards", area=area.id))
    return redirect(url_for("console.print_job", job_id=job.id))


def _job_in_scope(job_id: int) -> PrintJob:
    job = PrintJob.get_or_none(PrintJob.id == job_id)
    if job is None:
        abort(404)
    in_scope_or_404(job.area)
    return job


@bp.route("/boards/jobs/<int:job_id>")
@login_required
def print_job(job_id: int):
    job = print_jobs.revive(_job_in_scope(job_id))
    return render_template("console/print_job.html", job=job)


@bp.route("/boards/jobs/<int:job_id>.json")
@login_required
def print_job_json(job_id: int):
    job = print_jobs.revive(_job_in_scope(job_id))
    return {"status": job.status, "done": job.done, "total": job.total, "error": job.error}


@bp.route("/boards/jobs/<int:job_id>.pdf")
@login_required
def print_job_pdf(job_id: int):
    job = _job_in_scope(job_id)
    path = print_jobs.pdf_path(job)
    if job.status != "done" or path is None or not path.exists():
        abort(404)
    # The readable name (`槐树社区-公示牌-A4-2026-12-07.pdf`) as RFC 5987's filename*, with an
    # ASCII name for the rare client that reads only `filename`.
    res = send_file(path, mimetype="application/pdf", as_attachment=True)
    res.headers["Content-Disposition"] = (
        f"attachment; filename={job.file_name}; "
        f"filename*=UTF-8''{quote(print_jobs.download_name(job))}"
    )
    return res


# --- the Chinese webfont ----------------------------------------------------------------------


@bp.route("/font/<weight>.otf")
def cjk_font(weight: str):
    """The Noto Sans CJK SC subset the boards are drawn with, as the console's last-resort
    font: an office PC without a Chinese font (some Linux desks) still reads every page.
    Browsers fetch it only when no installed font (微软雅黑, 苹方, 思源黑体) has the glyphs."""
    path = fonts.FONT_FILES.get(weight)
    if path is None or not path.exists():
        abort(404)
    return send_file(path, mimetype="font/otf", max_age=30 * 24 * 3600)
