"""Backups (`backup --out DIR`) and restoring one (`restore DIR`): the work is `core.backup`."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import fail
from core import backup


@click.command("backup")
@click.option(
    "--out",
    "root",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that holds the backups; each run adds a folder named for its time.",
)
@click.option("--keep", type=click.IntRange(min=1), help="Then keep only the newest N backups.")
def backup_command(root: Path, keep: int | None):
    """Back up the database and the photos (safe while the app is serving)."""
    try:
        made = backup.create(root, keep=keep)
    except backup.BackupError as exc:
        fail(str(exc))
    click.echo(
        f"已备份到 {made.path}：数据库版本 {made.schema_version}，图片文件 {made.media_files} 个"
        f"（其中 {made.media_linked} 个与上一份备份共用）"
    )
    for path in made.pruned:
        click.echo(f"已删除旧备份 {path}")


@click.command("restore")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database or photo folder that has data.")
@click.option("--verify-only", is_flag=True, help="Only check the backup's checksums.")
def restore_command(path: Path, force: bool, verify_only: bool):
    """Restore a backup into this instance's (empty) database and photo folder. Stop the
    web workers and the scheduler first."""
    try:
        if verify_only:
            manifest = backup.verify(path)
            click.echo(
                f"备份完好：{len(manifest['files'])} 个文件的校验和一致"
                f"（数据库版本 {manifest['schema_version']}，备份于 {manifest['created_at']}）"
            )
            return
        done = backup.restore(path, force=force)
    except backup.BackupError as exc:
        fail(str(exc))
    click.echo(f"已恢复：数据库版本 {done.schema_version}，图片文件 {done.media_files} 个")
    if done.needs_upgrade:
        click.echo("备份的数据库版本较旧：请运行 flask --app app init-db 升级后再启动服务")
