"""Running it: the demo server with its scheduler (`serve`) and the production scheduler (`jobs`)."""

from __future__ import annotations

import logging

import click
from flask import current_app

from core import demo
from infra import config
from jobs import lease
from jobs.scheduler import configure


@click.command("serve")
@click.option("--host", default=config.DEFAULT_HOST, show_default=True)
@click.option("--port", default=config.DEFAULT_PORT, show_default=True, type=int)
def serve_command(host: str, port: int):
    """Serve the app with its scheduler in one process, for a single-machine demo (`make run`).
    Without PUBLIC_BASE_URL, every link it prints or serves points at this host and port."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    config.listening_at(app, host, port)
    scheduler = configure(app, BackgroundScheduler())
    # werkzeug's banner and per-request lines would scroll the 试一试 list away.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    click.echo(f"小巷管家已启动：{config.local_base_url(host, port)}/（按 Ctrl+C 停止）", err=True)
    for line in demo.try_it():
        click.echo(line, err=True)
    # Started after the list: a job due at once (the demo's items to close as 未评价, at some
    # hours of the day) logs a line that would otherwise land inside it.
    scheduler.start()
    try:
        # Flask refuses app.run() inside its own CLI; werkzeug's server is what it would use.
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        scheduler.shutdown(wait=False)


@click.command("jobs")
def jobs_command():
    """Run the scheduler in the foreground: the one production scheduler process."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = configure(current_app._get_current_object(), BlockingScheduler())
    for job in scheduler.get_jobs():
        click.echo(f"任务 {job.id}（{job.name}）：{job.trigger}", err=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("调度已停止。", err=True)
    finally:
        # a clean stop hands over at once instead of after the lease runs out
        lease.release(scheduler.worker.holder)
