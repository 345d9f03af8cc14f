"""What the command modules share."""

from __future__ import annotations

import sys

import click

from core import schema

CLI_LABEL = "命令行"  # the actor named in the audit trail for operator commands


def fail(message: str) -> None:
    raise click.ClickException(message)


def run_import(import_file, error_type: type[Exception], file: str, dry_run: bool) -> None:
    """A spreadsheet import from the command line (the roster, households): all or nothing,
    every problem listed with its row, a non-zero exit when anything is wrong."""
    try:
        result = import_file(file, label=CLI_LABEL, dry_run=dry_run)
    except error_type as exc:
        problems = exc.problems  # type: ignore[attr-defined]
        click.echo(f"导入失败，数据库未做任何修改。共 {len(problems)} 处问题：", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("（试运行，未写入数据库）")
    click.echo(result.summary())


def upgrade_schema() -> tuple[int, int]:
    """`schema.upgrade()`; a database it cannot upgrade ends the command with its reason."""
    try:
        return schema.upgrade()
    except schema.SchemaError as exc:
        fail(str(exc))
