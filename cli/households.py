"""`import-households FILE [--dry-run]`: load households (包联户 / 民情联系卡) from a
spreadsheet; the columns and rules are in `core.households.sheet` and the README."""

from __future__ import annotations

import sys

import click

from cli.common import CLI_LABEL
from core import schema
from core.households import sheet


@click.command("import-households")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change.")
def import_households_command(file: str, dry_run: bool):
    """Load households (包联户) from a .csv or .xlsx sheet; re-importing updates them."""
    schema.upgrade()
    try:
        result = sheet.import_file(file, label=CLI_LABEL, dry_run=dry_run)
    except sheet.SheetError as exc:
        click.echo(f"导入失败，数据库未做任何修改。共 {len(exc.problems)} 处问题：", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("（试运行，未写入数据库）")
    click.echo(result.summary())
