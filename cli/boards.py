"""Printing signboards (`boards`) and taking one out of use (`retire-board`)."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app

from cli.common import CLI_LABEL, fail
from core import pools
from core.boards import boards as board_service
from core.boards import fonts, print_data, render, vector
from infra.timeutil import local_midnight_utc, to_local, utcnow
from models import Area


@click.command("boards")
@click.option("--area", "area_id", required=True, type=int, help="Any area id (see `areas`).")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "--pdf", "with_pdf", is_flag=True, help="Also write one multi-page vector PDF for printing."
)
@click.option(
    "--bleed", is_flag=True, help="With --pdf: 3 mm bleed and crop marks, for a print shop."
)
@click.option("--size", type=click.Choice(["A4", "A3"]), default="A4", show_default=True)
@click.option(
    "--changed-since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only boards whose content changed on or after this local date (reprints).",
)
@click.option("--jobs", type=int, default=0, help="Worker processes (default: one per core).")
def boards_command(area_id, out_dir, with_pdf, bleed, size, changed_since, jobs):
    """Render the signboards of an area: one PNG per board (300 dpi, for previews) and, with
    --pdf, one vector PDF (text in the embedded font, the QR as squares; --bleed for a print
    shop's 3 mm bleed and crop marks)."""
    from pathlib import Path

    area = Area.get_or_none(Area.id == area_id)
    if area is None:
        fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
    problem = print_data.base_url_problem(current_app.config["PUBLIC_BASE_URL"])
    if problem:
        # Warned, not refused: a test print on a laptop is legitimate; the console refuses.
        click.echo(f"警告：{problem}", err=True)
    since = local_midnight_utc(changed_since.date()) if changed_since else None
    rows = list(board_service.boards_in(area, since))
    scope = f"{area.label_path}" + (f"（{changed_since:%Y-%m-%d} 以来有变化的）" if since else "")
    if not rows:
        click.echo(f"{scope}：没有需要打印的公示牌。")
        return
    try:
        data = print_data.collect(rows)
        fonts.font_source("regular"), fonts.font_source("bold")
    except fonts.FontMissing as exc:
        fail(str(exc))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pdf_path = out / render.pdf_name(area.id, to_local(utcnow()).date())
    started = time.perf_counter()
    warnings = []
    if bleed and not with_pdf:
        fail("--bleed 只用于 PDF，请同时加上 --pdf")
    pdf = vector.VectorPdf(pdf_path, size, bleed) if with_pdf else None
    try:
        with click.progressbar(
            length=len(data),
            label=f"正在生成 {len(data)} 块公示牌（{size}）",
            file=sys.stderr,
        ) as bar:
            timeout = current_app.config["POOL_TIMEOUT_SECONDS"]
            results = render.render_many(
                data, out, size, jobs, timeout=timeout, record=pdf is not None
            )
            for result in results:
                if pdf is not None:
                    pdf.add(result.ops)
                warnings += [f"  {result.code}：{p}" for p in result.problems]
                bar.update(1)
    except BaseException as exc:
        if pdf is not None:
            pdf.abort()  # never leave half a PDF to be printed
        if isinstance(exc, pools.PoolFailed):
            fail(str(exc))
        raise
    if pdf is not None:
        pdf.close()
    seconds = time.perf_counter() - started
    click.echo(
        f"已生成 {len(data)} 块公示牌（{size}，300 dpi，用时 {seconds:.1f} 秒）：{out}/"
        "{编号}-v{版本}.png"
    )
    if pdf is not None:
        extra = "，含 3 毫米出血和裁切线" if bleed else ""
        click.echo(f"打印文件（矢量 PDF，{pdf.page_count} 页，每块一页{extra}）：{pdf_path}")
    if warnings:
        click.echo(f"请检查以下 {len(warnings)} 处：", err=True)
        for line in warnings:
            click.echo(line, err=True)


@click.command("retire-board")
@click.argument("code")
@click.option("--replace", is_flag=True, help="Also create a new board for the same alley.")
def retire_board_command(code: str, replace: bool):
    """Take a board out of use: its QR then says it is no longer in use, with the community phone."""

    board = board_service.by_code(code)
    if board is None:
        fail(f"找不到编号为 {code} 的公示牌")
    alley = board.alley
    if board_service.retire_board(board, label=CLI_LABEL):
        click.echo(
            f"已停用公示牌 {board.code}（{alley.label_path}）；扫码将提示该牌已停用及社区电话。"
        )
    else:
        click.echo(f"公示牌 {board.code} 早已停用（{to_local(board.retired_at):%Y-%m-%d}）。")
    if replace:
        new = board_service.create_board(alley)
        base = current_app.config["PUBLIC_BASE_URL"]
        click.echo(f"已为 {alley.name} 新建公示牌 {new.code}：{base}/b/{new.code}")
        click.echo(f"打印：flask --app app boards --area {alley.id} --out DIR --pdf")
