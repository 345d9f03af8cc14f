"""Backups of an instance — its database and its photos — and restoring one.

`create(root)` writes a new folder `root/<YYYYmmdd-HHMMSS>` (Asia/Shanghai time):

* `database.sqlite3` (SQLite): a copy made through SQLite's online backup API in one step, so
  it is the database as of one moment even while workers write (WAL readers block nobody);
  or `database.pgdump` (PostgreSQL): `pg_dump -Fc`, which reads one snapshot as well.
* `media/`: every file of MEDIA_DIR. Photos never change once written (their names are their
  content hashes), so a file unchanged since the previous backup in `root` (same size and
  modification time) is a hard link to that backup's copy: a daily backup costs the new
  photos only, and each backup folder is still complete on its own. The database is copied
  first, then the photos: a photo is on disk before its row is committed
  (`core.media.save_image`), so every photo the copied database names is in the backup.
* `manifest.json`: the format, the time, the application's and the schema's version, and the
  size and SHA-256 of every file.

The folder is written as `root/.<name>.<random>.partial` and renamed when everything is on disk,
so a folder with a backup's name is always complete; a failed backup (no space, no permission)
removes what it wrote and says why.

`restore(path)` checks every checksum before touching anything, refuses a target that holds
data unless forced, stages the photos inside MEDIA_DIR (where space runs out, if anywhere),
replaces the database in one transaction, then moves the photos into place.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from core import schema
from infra import pgtools, timeutil
from infra.db import db, is_sqlite
from models import SchemaVersion

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
NAME = re.compile(r"^\d{8}-\d{6}(-\d+)?$")
CHUNK = 1 << 20
# A `.partial` folder this old belongs to no running backup (one killed outright left it).
STALE_PARTIAL_SECONDS = 24 * 3600
KIND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """What went wrong, for the operator (in Chinese); nothing was left half-done."""


@dataclass(frozen=True)
class Created:
    path: Path
    schema_version: int
    media_files: int
    media_linked: int  # of which hard links to the previous backup's copies
    pruned: tuple[Path, ...]


@dataclass(frozen=True)
class Restored:
    schema_version: int
    media_files: int
    needs_upgrade: bool  # the backup is of an older schema: `init-db` brings it up to date


# --- creating ---------------------------------------------------------------------------------


def create(root: Path, keep: int | None = None) -> Created:
    """Back the instance up into a new folder under `root`; with `keep`, then delete all but
    the newest `keep` backups there."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        previous = latest(root)
        name = _new_name(root)
        partial = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=root))
    except OSError as exc:
        raise BackupError(f"无法写入备份目录 {root}：{_why(exc)}") from exc
    try:
        version = schema.current_version()
        if is_sqlite():
            kind, db_file = "sqlite", SQLITE_FILE
            _dump_sqlite(partial / db_file)
        else:
            kind, db_file = "postgresql", PG_FILE
            _dump_postgres(partial / db_file)
        files = {db_file: _describe(partial / db_file)}
        media, linked = _copy_media(Path(current_app.config["MEDIA_DIR"]), partial, previous)
        files.update(media)
        manifest = {
            "format": FORMAT,
            "created_at": timeutil.to_local(timeutil.utcnow()).isoformat(timespec="seconds"),
            "app_version": app_version(),
            "schema_version": version,
            "database": {"kind": kind, "file": db_file},
            "media_files": len(media),
            "files": files,
        }
        _write_file(partial / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        final = root / name
        os.rename(partial, final)
        _fsync_dir(root)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"备份失败，已删除未完成的备份（{root}）：{_why(exc)}") from exc
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    pruned = prune(root, keep) if keep else ()
    return Created(final, version, len(media), linked, tuple(pruned))


def backups(root: Path) -> list[Path]:
    """The complete backups in `root`, oldest first."""
    try:
        entries = list(Path(root).iterdir())
    except FileNotFoundError:
        return []
    found = [p for p in entries if NAME.match(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=lambda p: _name_key(p.name))


def latest(root: Path) -> Path | None:
    found = backups(root)
    return found[-1] if found else None


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `root` (and leftovers of killed runs)."""
    found = backups(root)
    doomed = found[: max(0, len(found) - max(1, keep))]
    for path in doomed:
        shutil.rmtree(path)
    now = time.time()
    for leftover in Path(root).glob(".*.partial"):
        try:
            if now - leftover.stat().st_mtime > STALE_PARTIAL_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except FileNotFoundError:
            pass
    return doomed


def app_version() -> str:
    """The code's version: `git describe` of the checkout it runs from, if it is one."""
    here = Path(__file__).resolve().parent.parent
    if not (here / ".git").exists():
        return "unknown"
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def _new_name(root: Path) -> str:
    base = datetime.now(timeutil.LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    name, n = base, 1
    while (root / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _name_key(name: str) -> tuple[str, int]:
    """`20261203-023000-2` sorts after `20261203-023000` (two backups in one second)."""
    return (name[:15], int(name[16:] or 1))


def _dump_sqlite(target: Path) -> None:
    source = sqlite3.connect(db.obj.database, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1): the whole database as of one read transaction.
            source.backup(copy)
            # The copy stands alone: no -wal or -shm file beside it.
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if check != "ok":
        raise BackupError(f"数据库副本自检未通过（{check}），备份已放弃")
    _fsync_file(target)


def _dump_postgres(target: Path) -> None:
    try:
        pg_dump = pgtools.find("pg_dump", pgtools.server_major(db))
    except pgtools.ToolMissing as exc:
        raise BackupError(str(exc)) from exc
    result = subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)],
        env=pgtools.libpq_env(current_app.config["DATABASE_URL"]),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            f"pg_dump 失败，已删除未完成的备份：{_last_lines(result.stderr) or result.returncode}"
        )
    _fsync_file(target)


def _copy_media(media_dir: Path, partial: Path, previous: Path | None) -> tuple[dict, int]:
    """MEDIA_DIR's files into `partial/media`; returns their manifest entries and how many
    are hard links to `previous`'s copies."""
    try:
        before = _read_manifest(previous)["files"] if previous else {}
    except BackupError:
        before = {}  # a damaged earlier backup: copy everything afresh
    entries: dict[str, dict] = {}
    linked = 0
    if not media_dir.is_dir():
        return entries, linked
    for dirpath, dirnames, filenames in os.walk(media_dir):
        # Dot names are uploads being written (`.upload-*.tmp`) and a restore's staging.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            source = Path(dirpath) / filename
            try:
                st = source.lstat()
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            key = f"{MEDIA}/{source.relative_to(media_dir).as_posix()}"
            target = partial / key
            target.parent.mkdir(parents=True, exist_ok=True)
            old = before.get(key)
            if old and old["size"] == st.st_size and old.get("mtime_ns") == st.st_mtime_ns:
                try:
                    if (previous / key).stat().st_size != old["size"]:
                        raise FileNotFoundError(key)  # the old copy was cut short: copy anew
                    os.link(previous / key, target)
                    entries[key] = old
                    linked += 1
                    continue
                except OSError:
                    pass  # no hard links here (or the old copy is gone): copy it
            try:
                digest = _copy(source, target)
            except FileNotFoundError:
                continue  # removed while we walked
            entries[key] = {"size": st.st_size, "sha256": digest, "mtime_ns": st.st_mtime_ns}
    return entries, linked


# --- checking ---------------------------------------------------------------------------------


def verify(path: Path) -> dict:
    """The backup's manifest, once every file it lists is there with its size and checksum;
    else `BackupError` naming each problem."""
    path = Path(path)
    if not path.is_dir():
        raise BackupError(f"找不到备份目录 {path}")
    manifest = _read_manifest(path)
    problems = []
    for rel, entry in sorted(manifest["files"].items()):
        file = path / rel
        if not file.is_file():
            problems.append(f"{rel}：文件缺失")
        elif file.stat().st_size != entry["size"]:
            problems.append(
                f"{rel}：大小不符（应为 {entry['size']} 字节，实为 {file.stat().st_size} 字节，"
                "文件可能被截断）"
            )
        elif _sha256(file) != entry["sha256"]:
            problems.append(f"{rel}：校验和不符（内容被改动或已损坏）")
    if problems:
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ……另有 {len(problems) - 20} 处" if len(problems) > 20 else ""
        raise BackupError(f"备份 {path} 校验失败，共 {len(problems)} 处问题：\n{shown}{more}")
    return manifest


def _read_manifest(path: Path) -> dict:
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{path} 不是完整的备份：缺少 {MANIFEST}（备份没有完成，或不是本程序的备份）"
        ) from None
    except (ValueError, UnicodeDecodeError, OSError):
        raise BackupError(f"备份清单 {file} 已损坏，无法读取") from None
    ok = (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and isinstance(manifest.get("files"), dict)
        and isinstance(manifest.get("schema_version"), int)
        and manifest.get("database", {}).get("kind") in KIND_LABELS
        and manifest["database"].get("file") in manifest["files"]
    )
    if not ok:
        raise BackupError(f"备份清单 {file} 的格式无法识别（不是本程序的备份，或已损坏）")
    for rel in manifest["files"]:
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts or not parts:
            raise BackupError(f"备份清单 {file} 含有不安全的路径：{rel}")
    return manifest


# --- restoring --------------------------------------------------------------------------------


def restore(path: Path, force: bool = False) -> Restored:
    """Replace this instance's database and photos with the backup at `path`."""
    path = Path(path)
    manifest = verify(path)
    kind = manifest["database"]["kind"]
    here = "sqlite" if is_sqlite() else "postgresql"
    if kind != here:
        raise BackupError(
            f"这份备份来自 {KIND_LABELS[kind]} 数据库，当前 DATABASE_URL 是 {KIND_LABELS[here]}："
            "不能跨数据库恢复"
        )
    version, code_version = manifest["schema_version"], schema.latest_version()
    if version > code_version:
        raise BackupError(
            f"备份的数据库版本为 {version}，高于本程序支持的版本 {code_version}："
            "请用不早于备份时的程序版本恢复"
        )
    media_dir = Path(current_app.config["MEDIA_DIR"])
    if not force:
        _refuse_if_not_empty(media_dir)
    media = {k: v for k, v in manifest["files"].items() if k.startswith(f"{MEDIA}/")}
    try:
        media_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=media_dir))
    except OSError as exc:
        raise BackupError(f"无法写入图片目录 {media_dir}：{_why(exc)}") from exc
    try:
        try:
            for key, entry in media.items():
                target = staging / key
                target.parent.mkdir(parents=True, exist_ok=True)
                if _copy(path / key, target) != entry["sha256"]:
                    raise BackupError(f"{key}：读取时校验和不符，恢复已放弃，未做任何修改")
            if kind == "sqlite":
                _restore_sqlite(path / manifest["database"]["file"])
            else:
                _restore_postgres(path / manifest["database"]["file"])
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"恢复失败，数据库与图片均未改动：{_why(exc)}") from exc
        try:
            for key in media:
                final = media_dir / key[len(MEDIA) + 1 :]
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / key, final)
        except OSError as exc:
            raise BackupError(
                f"数据库已恢复，但图片没能全部放回 {media_dir}（{_why(exc)}）："
                "解决后请用 --force 再恢复一次"
            ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Restored(version, len(media), version < code_version)


def _refuse_if_not_empty(media_dir: Path) -> None:
    tables = [t for t in db.get_tables() if t != SchemaVersion._meta.table_name]
    with_rows = [t for t in tables if db.execute_sql(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]
    files = _count_files(media_dir)
    if with_rows or files:
        what = []
        if with_rows:
            what.append(f"数据库已有数据（{len(with_rows)} 张表有记录，如 {with_rows[0]}）")
        if files:
            what.append(f"图片目录 {media_dir} 已有 {files} 个文件")
        raise BackupError(
            "恢复只能写入空的数据库和空的图片目录，而" + "，".join(what) + "。"
            "确认要用备份覆盖现有数据，请加 --force"
        )


def _count_files(media_dir: Path) -> int:
    if not media_dir.is_dir():
        return 0
    count = 0
    for _dirpath, dirnames, filenames in os.walk(media_dir):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        count += sum(1 for f in filenames if not f.startswith("."))
    return count


def _restore_sqlite(source_file: Path) -> None:
    target = db.obj.database
    db.close_all()  # no pooled connection of ours holds a transaction open
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    try:
        # The backup API copies pages as they are: a damaged file must be caught before.
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"备份中的数据库文件已损坏（{check}），恢复已放弃，数据库未改动")
        copy = sqlite3.connect(target, timeout=30)
        try:
            # Page by page into the live file under its write lock, in one transaction.
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()


def _restore_postgres(dump: Path) -> None:
    """The target's tables dropped and the dump loaded in one transaction, committed only
    when pg_restore read the whole dump and psql ran every statement: all or nothing."""
    try:
        major = pgtools.server_major(db)
        pg_restore, psql = pgtools.find("pg_restore", major), pgtools.find("psql", major)
    except pgtools.ToolMissing as exc:
        raise BackupError(str(exc)) from exc
    drops = "".join(f'DROP TABLE IF EXISTS "{t}" CASCADE;\n' for t in db.get_tables())
    db.close_all()
    env = pgtools.libpq_env(current_app.config["DATABASE_URL"])
    with tempfile.TemporaryFile() as psql_err, tempfile.TemporaryFile() as restore_err:
        # psql stops at the first failing statement (ON_ERROR_STOP); a transaction it never
        # sees COMMIT for is rolled back by the server when psql disconnects.
        loader = subprocess.Popen(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        reader = subprocess.Popen(
            [pg_restore, "--no-owner", "--no-privileges", "--file", "-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        try:
            loader.stdin.write(b"BEGIN;\n" + drops.encode())
            shutil.copyfileobj(reader.stdout, loader.stdin, CHUNK)
            if reader.wait() == 0:
                loader.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: its message says which
        finally:
            reader.stdout.close()
            try:
                loader.stdin.close()
            except BrokenPipeError:
                pass
        read_rc, load_rc = reader.wait(), loader.wait()
        if read_rc != 0 or load_rc != 0:
            restore_err.seek(0)
            psql_err.seek(0)
            why = _last_lines((restore_err.read() + psql_err.read()).decode("utf-8", "replace"))
            raise BackupError(f"恢复 PostgreSQL 数据库失败，数据库未改动：{why}")


# --- files ------------------------------------------------------------------------------------


def _copy(source: Path, target: Path) -> str:
    """Copy a file (the target must not exist), flushed to disk; returns its SHA-256."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "xb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(file: Path) -> dict:
    return {"size": file.stat().st_size, "sha256": _sha256(file)}


def _write_file(file: Path, text: str) -> None:
    with open(file, "x", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _fsync_file(file: Path) -> None:
    fd = os.open(file, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _why(exc: BaseException) -> str:
    """An OS or SQLite error in the operator's words."""
    if isinstance(exc, BackupError):
        return str(exc)
    code = getattr(exc, "errno", None)
    where = f"（{exc.filename}）" if getattr(exc, "filename", None) else ""
    if code == errno.ENOSPC or "disk is full" in str(exc):
        return f"磁盘空间不足{where}"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"没有写入权限{where}"
    if code == errno.EFBIG:
        return f"文件超出允许的大小{where}"
    return f"{exc}{where}" if where and where not in str(exc) else str(exc)


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:])
