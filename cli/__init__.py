"""Operator commands (`flask --app app …`), one module per job: setting up a district
(`cli.setup`), printing boards (`cli.boards`), outbound delivery and chat groups
(`cli.delivery`), running the server and the scheduler (`cli.server`), backups and restores
(`cli.backup`). The report and assessment commands live with the scheduler's jobs
(`jobs.commands`)."""

from __future__ import annotations

from flask import Flask

from cli.backup import backup_command, restore_command
from cli.boards import boards_command, retire_board_command
from cli.delivery import groups_command, outbox_command
from cli.households import import_households_command
from cli.server import jobs_command, serve_command
from cli.setup import (
    areas_command,
    bind_code_command,
    create_staff_command,
    departments_command,
    dismiss_steward_command,
    import_roster_command,
    init_db_command,
    seed_demo_command,
)
from cli.units import units_command
from jobs.commands import COMMANDS as JOB_COMMANDS

COMMANDS = (
    init_db_command,
    seed_demo_command,
    import_roster_command,
    import_households_command,
    create_staff_command,
    areas_command,
    bind_code_command,
    outbox_command,
    dismiss_steward_command,
    serve_command,
    jobs_command,
    groups_command,
    departments_command,
    units_command,
    boards_command,
    retire_board_command,
    backup_command,
    restore_command,
    *JOB_COMMANDS,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
