"""What the command modules share."""

from __future__ import annotations

import click

CLI_LABEL = "命令行"  # the actor named in the audit trail for operator commands


def fail(message: str) -> None:
    raise click.ClickException(message)
