"""`import-households FILE [--dry-run]`: load households (包联户 / 民情联系卡) from a
spreadsheet; the columns and rules are in `core.households.sheet` and docs/households.md."""

from __future__ import annotations

import click

from cli.common import run_import, upgrade_schema
from core.households import sheet


@click.command("import-households")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change.")
def import_households_command(file: str, dry_run: bool):
    """Load households (包联户) from a .csv or .xlsx sheet; re-importing updates them."""
    upgrade_schema()
    run_import(sheet.import_file, sheet.SheetError, file, dry_run)
