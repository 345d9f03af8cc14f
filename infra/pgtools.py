"""PostgreSQL's client programs (pg_dump, pg_restore, psql) for the server in `DATABASE_URL`.

A dump must be taken by a pg_dump at least as new as the server, and Debian keeps each major
version's programs in `/usr/lib/postgresql/<major>/bin` (the `pg_dump` on PATH is a wrapper
that may pick another). So the server's major version is asked first and that directory is
used, as `scripts/with-postgres.sh` finds the server's own; else the program on PATH if it is
new enough. The connection goes to the programs through libpq's environment (PGHOST, …): the
password never appears in a process list, and any spelling of the URL peewee accepts works.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from playhouse.db_url import parse

DEBIAN_BIN = "/usr/lib/postgresql/{major}/bin"


class ToolMissing(Exception):
    """No client program that can talk to this server; the message says what to install."""


def libpq_env(url: str) -> dict[str, str]:
    """The environment that points libpq's programs at `url`'s database."""
    params = parse(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "database": "PGDATABASE",
        "sslmode": "PGSSLMODE",
    }
    for key, var in names.items():
        if params.get(key) not in (None, ""):
            env[var] = str(params[key])
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def server_major(database) -> int:
    """The server's major version (15 for 15.4; 9 for 9.6) from a peewee database."""
    number = int(database.execute_sql("SHOW server_version_num").fetchone()[0])
    return number // 10000


def _version_of(program: str) -> int | None:
    try:
        out = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def find(name: str, major: int) -> str:
    """The path of client program `name` able to work with a server of version `major`."""
    own = Path(DEBIAN_BIN.format(major=major)) / name
    if own.is_file() and os.access(own, os.X_OK):
        return str(own)
    on_path = shutil.which(name)
    if on_path:
        version = _version_of(on_path)
        if version is not None and version >= major:
            return on_path
    raise ToolMissing(
        f"找不到与数据库服务器（PostgreSQL {major}）版本相符的 {name}："
        f"请安装 postgresql-client-{major}（Debian：apt-get install postgresql-client-{major}）"
    )
