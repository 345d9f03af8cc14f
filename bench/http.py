"""HTTP benchmark: the project under gunicorn against a bare Flask app under the same settings.

Both run with the production gunicorn settings of docs/operations.md (`GUNICORN_ARGS`) from
the same venv and are loaded in turn with `wrk` (Debian package, installed here with apt-get
when missing) at 50 connections. For each URL it prints req/s, p99 and the ratio to the bare
Flask hello world measured in the same run:

* `GET /b/{code}` (the QR code's page) and `GET /api/v1/boards/{code}`: budget ≥ 60 % of bare
  Flask and p99 < 50 ms. After the burst the board's scan count must equal the page views
  wrk completed (up to one in flight per connection more): counts land a few seconds late,
  none is lost.
* the mini program's other first-screen reads, `/api/v1/me`, `/api/v1/issues?scope=mine`,
  `/api/v1/wishes?scope=wall`: budget ≥ 40 %.
* `POST /api/v1/issues` with two photos, sustained (60 s; `--quick` 10 s) on SQLite: budget
  ≥ 200 reports/s, no errors, p99 < 250 ms; its baseline is a bare Flask view doing one
  INSERT into the same database.

Both databases: SQLite, and PostgreSQL when a URL is given (`python -m bench` starts a
throw-away one with scripts/with-postgres.sh). The machine's other load moves absolute
numbers; the ratios are what the budgets judge.

`python -m bench.http [--pg URL] [--quick] [--seconds N] [--post-only]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CONNECTIONS = 50
WRK_THREADS = 2
# The production line in docs/operations.md ("Production"): chosen by this benchmark's measurements.
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--reuse-port"]
if os.environ.get("BENCH_GUNICORN_ARGS"):  # for comparing settings: "-w 4 -k gthread …"
    GUNICORN_ARGS = os.environ["BENCH_GUNICORN_ARGS"].split()
READ_RATIO = 0.60
OTHER_RATIO = 0.40
READ_P99_MS = 50.0
POST_RATE = 200.0
POST_P99_MS = 250.0
POST_BOARDS = 12


# --- wrk ------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when it is missing (never skipped)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("未找到 wrk，正在用 apt-get 安装 Debian 的 wrk 软件包……", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("无法安装 wrk（apt-get install wrk 失败），HTTP 基准无法运行")
    return found


@dataclass
class Load:
    rps: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx responses plus socket errors

    def line(self) -> str:
        err = f"，错误 {self.errors}" if self.errors else ""
        return f"{self.rps:8.0f} req/s  p99 {self.p99_ms:6.1f} ms{err}"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(
    url: str, seconds: float, headers=(), script: str | None = None, connections: int = 0
) -> Load:
    """`connections`: 0 for CONNECTIONS (the console's benchmark loads with 10 staff)."""
    connections = connections or CONNECTIONS
    cmd = [
        ensure_wrk(),
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    return Load(rps, float(p99.group(1)) * _UNITS[p99.group(2)], requests, errors)


# --- servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict, ready_path: str):
    """A gunicorn with GUNICORN_ARGS serving app_spec; stopped with SIGTERM (a graceful stop,
    as a deploy does: workers finish and write what they hold)."""
    port = _free_port()
    cmd = [str(VENV_BIN / "gunicorn"), *GUNICORN_ARGS, "-b", f"127.0.0.1:{port}", app_spec]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2) as res:
                    if res.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace")[-3000:])
                raise SystemExit(f"gunicorn 未能启动：{app_spec}")
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _server_env(db_url: str, workdir: Path) -> dict:
    from infra import config

    env = {k: v for k, v in os.environ.items() if k not in config.DEFAULTS}
    env.update(
        DATABASE_URL=db_url,
        BENCH_DATABASE_URL=db_url,
        SECRET_KEY="bench-secret",
        MEDIA_DIR=str(workdir / "media"),
        PUBLIC_BASE_URL="https://xxgj.example.gov.cn",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- data -----------------------------------------------------------------------------------


def _jpeg(seed: int) -> bytes:
    """A phone-like photo (1280×960 JPEG with some detail), different per seed."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1280, 960), (90 + seed % 100, 120, 150))
    draw = ImageDraw.Draw(img)
    for i in range(0, 1280, 40):
        draw.line([(i, 0), (1280 - i, 960)], fill=((i * 7 + seed) % 255, 80, 60), width=3)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


@dataclass
class Data:
    code: str
    codes: list[str]
    resident: str  # bearer token: a resident with four reports of their own
    poster: str  # bearer token of the resident who posts in the POST benchmark
    photo_ids: list[int]  # the poster's two photos


def seed() -> Data:
    """The demo district, a busy first board (40 issues with photos, a wish wall), a resident
    with reports of their own and two photos uploaded for the POST benchmark."""
    from flask import current_app

    from core import demo
    from models import Board

    demo.seed()
    client = current_app.test_client()
    codes = [b.code for b in Board.select().where(Board.active).order_by(Board.id)]

    def login(name):
        res = client.post("/api/v1/auth/login", json={"code": f"dev:{name}"})
        return {"Authorization": f"Bearer {res.get_json()['token']}"}

    # The reporters of the board's 40 issues: ten residents with four each, as a busy alley
    # has. The first is the one whose first screen is measured; a separate resident posts.
    residents = [login(f"bench-resident-{n}") for n in range(10)]
    resident = residents[0]
    poster = login("bench-poster")
    photos = {}
    for who, headers in (("resident", resident), ("poster", poster)):
        photos[who] = []
        for i in range(2):
            res = client.post(
                "/api/v1/media",
                data={"file": (io.BytesIO(_jpeg(i)), f"p{i}.jpg")},
                headers=headers,
                content_type="multipart/form-data",
            )
            assert res.status_code == 201, res.get_json()
            photos[who].append(res.get_json()["id"])
    for i in range(40):
        body = {
            "board_code": codes[0],
            "category": ("环境卫生", "设施损坏", "车辆乱停")[i % 3],
            "content": f"第{i + 1}号楼前的问题，请管家看看",
            "photo_ids": photos["resident"] if i % 10 == 0 else [],
        }
        res = client.post("/api/v1/issues", json=body, headers=residents[i % 10])
        assert res.status_code == 201, res.get_json()
    staff = login("huaishu")
    for i in range(8):
        body = {
            "board_code": codes[0],
            "beneficiary_type": "elderly",
            "display_name": f"王奶奶{i}",
            "title": "想要一个助行器",
            "content": "腿脚不便，出门买菜困难",
        }
        res = client.post("/api/v1/wishes", json=body, headers=residents[i])
        assert res.status_code == 201, res.get_json()
        res = client.post(f"/api/v1/wishes/{res.get_json()['id']}/approve", json={}, headers=staff)
        assert res.status_code == 200, res.get_json()
    return Data(
        codes[0],
        codes[:POST_BOARDS],
        resident["Authorization"],
        poster["Authorization"],
        photos["poster"],
    )


def _scans(board_code: str) -> int:
    from peewee import fn

    from infra.db import db
    from models import Board, ScanDaily

    db.close()  # a fresh snapshot, not an old read transaction
    total = (
        ScanDaily.select(fn.COALESCE(fn.SUM(ScanDaily.count), 0))
        .join(Board)
        .where(Board.code == board_code)
        .scalar()
    )
    db.close()
    return int(total)


def _lua_string(text: str) -> str:
    """A Lua long string: UTF-8 as it is (Lua 5.1 has no \\u escapes)."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def _post_script(workdir: Path, data: Data) -> str:
    """A wrk script posting a 2-photo report to a different board each time."""
    bodies = [
        json.dumps(
            {
                "board_code": code,
                "category": "环境卫生",
                "content": "楼道里堆了很多杂物，影响通行，请尽快清理",
                "photo_ids": data.photo_ids,
            },
            ensure_ascii=False,
        )
        for code in data.codes
    ]
    lua = "\n".join(
        [
            "local bodies = {" + ", ".join(_lua_string(b) for b in bodies) + "}",
            "local n = 0",
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f'wrk.headers["Authorization"] = "{data.poster}"',
            "request = function()",
            "  n = n + 1",
            "  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])",
            "end",
        ]
    )
    path = workdir / "post_issue.lua"
    path.write_text(lua, encoding="utf-8")
    return str(path)


def _baseline_post_script(workdir: Path, data: Data) -> str:
    body = json.dumps(
        {"board_code": data.code, "content": "楼道里堆了很多杂物", "photo_ids": data.photo_ids},
        ensure_ascii=False,
    )
    lua = "\n".join(
        [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {_lua_string(body)}",
        ]
    )
    path = workdir / "post_baseline.lua"
    path.write_text(lua, encoding="utf-8")
    return str(path)


# --- one database ---------------------------------------------------------------------------


def bench_database(label: str, workdir: Path, pg_url: str | None, seconds: float, post_seconds):
    from bench import baseline_app
    from bench.roster_import import fresh_database
    from infra.db import db

    ok = True
    rows = []
    with fresh_database(workdir, pg_url):
        data = seed()
        db_url = pg_url or db.obj.database and f"sqlite:///{db.obj.database}"
        db.close()
        env = _server_env(db_url, workdir)
        warm = max(1.0, seconds / 4)
        with gunicorn("bench.baseline_app:create_app()", env, "/") as base:
            wrk(base + "/", warm)
            floor = wrk(base + "/", seconds)
        print(f"\n[{label}] gunicorn {' '.join(GUNICORN_ARGS)}，wrk {CONNECTIONS} 个连接")
        print(f"  裸 Flask hello world          {floor.line()}")
        auth = [f"Authorization: {data.resident}"]
        reads = [
            ("GET /api/v1/boards/{code}", f"/api/v1/boards/{data.code}", (), READ_RATIO, 50.0),
            ("GET /api/v1/me", "/api/v1/me", auth, OTHER_RATIO, None),
            ("GET /api/v1/issues?scope=mine", "/api/v1/issues?scope=mine", auth, OTHER_RATIO, None),
            ("GET /api/v1/wishes?scope=wall", "/api/v1/wishes?scope=wall", (), OTHER_RATIO, None),
            # last: the scan count is checked right after its burst
            ("GET /b/{code}", f"/b/{data.code}", (), READ_RATIO, READ_P99_MS),
        ]
        scans_before = _scans(data.code)
        with gunicorn("app:create_app()", env, "/healthz") as base:
            page_views = 0
            for name, path, headers, ratio_budget, p99_budget in reads:
                warm_load = wrk(base + path, warm, headers)
                load = wrk(base + path, seconds, headers)
                if path.startswith("/b/"):
                    # wrk's completed requests, warm-up included; each run may leave up to one
                    # request per connection in flight that the server still counts.
                    page_views = warm_load.requests + load.requests
                ratio = load.rps / floor.rps
                good = ratio >= ratio_budget and load.errors == 0
                if p99_budget is not None:
                    good &= load.p99_ms < p99_budget
                ok &= good
                budget = f"≥ {ratio_budget:.0%}" + (
                    f"，p99 < {p99_budget:.0f} ms" if p99_budget else ""
                )
                print(
                    f"  {name:<30}{load.line()}  {ratio:5.0%}（预算 {budget}）"
                    f"{'' if good else '  未达标！'}"
                )
                rows.append((label, name, load, floor, ratio))
            # Scan counts: wrk's completed page views must all be in the database within a
            # few seconds, the server still running.
            expected_min = scans_before + page_views
            start = time.monotonic()
            landed = _scans(data.code)
            while landed < expected_min and time.monotonic() - start < 15:
                time.sleep(0.25)
                landed = _scans(data.code)
            late = time.monotonic() - start
        # After the graceful stop nothing pending is lost: every completed view is counted,
        # and at most the requests in flight when wrk stopped (one per connection per run)
        # on top — a lost flush would fall short, a double one overshoot.
        final = _scans(data.code)
        counted = final - scans_before
        in_flight = 2 * CONNECTIONS
        good = landed >= expected_min and page_views <= counted <= page_views + in_flight
        ok &= good
        print(
            f"  扫码计数：wrk 完成 {page_views} 次（含预热），{late:.1f} s 内全部入库，"
            f"停服后共 {counted} 次（多出的 {counted - page_views} 次为压测结束时未完成的请求，"
            f"至多 {in_flight} 次）{'' if good else '  计数有误！'}"
        )
        if post_seconds:
            ok &= bench_post(label, workdir, data, env, post_seconds, db_url, baseline_app)
    return ok, rows


def bench_post(label, workdir, data, env, seconds, db_url, baseline_app) -> bool:
    from models import Issue

    baseline_app.create_table(db_url)
    try:
        with gunicorn("bench.baseline_app:create_app()", env, "/") as base:
            floor = wrk(base + "/insert", seconds, (), _baseline_post_script(workdir, data))
    finally:
        baseline_app.drop_table(db_url)
    before = Issue.select().count()
    with gunicorn("app:create_app()", env, "/healthz") as base:
        load = wrk(base + "/api/v1/issues", seconds, (), _post_script(workdir, data))
    created = Issue.select().count() - before
    good = (
        load.rps >= POST_RATE
        and load.errors == 0
        and load.p99_ms < POST_P99_MS
        and created >= load.requests
    )
    print(f"  POST /api/v1/issues（2 张照片）持续 {seconds:.0f} s：")
    print(f"    裸 Flask 一条 INSERT        {floor.line()}")
    print(
        f"    项目                        {load.line()}  {load.rps / floor.rps:5.0%}"
        f"（预算 ≥ {POST_RATE:.0f} 条/秒，0 错误，p99 < {POST_P99_MS:.0f} ms）"
        f"  入库 {created} 条{'' if good else '  未达标！'}"
    )
    return good


def post_only(seconds: float) -> int:
    """Just the POST benchmark on SQLite (`--post-only`): for working on the write path."""
    from bench import baseline_app
    from bench.roster_import import fresh_database
    from infra.db import db

    ensure_wrk()
    with (
        tempfile.TemporaryDirectory(prefix="xx-bench-post-") as tmp,
        fresh_database(Path(tmp), None),
    ):
        data = seed()
        db_url = f"sqlite:///{db.obj.database}"
        db.close()
        env = _server_env(db_url, Path(tmp))
        print(f"\n[SQLite] gunicorn {' '.join(GUNICORN_ARGS)}，wrk {CONNECTIONS} 个连接")
        good = bench_post("SQLite", Path(tmp), data, env, seconds, db_url, baseline_app)
    return 0 if good else 1


def run(
    pg_url: str | None = None,
    quick: bool = False,
    seconds: float | None = None,
    only_post: bool = False,
) -> int:
    from infra import config

    for key in config.DEFAULTS:
        os.environ.pop(key, None)
    post_seconds = 10.0 if quick else 60.0
    if only_post:
        return post_only(seconds or post_seconds)
    # --quick: 4 s per load. At 2 s the first moments of each load (its connections opened,
    # the workers' copies built) were a large share of it, and budgets flipped between runs.
    seconds = seconds or (4.0 if quick else 10.0)
    ensure_wrk()
    print(
        f"HTTP 基准：项目与裸 Flask，同样的 gunicorn 设置，wrk -c{CONNECTIONS}，每项 {seconds:.0f} s"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="xx-bench-http-") as tmp:
        good, _ = bench_database("SQLite", Path(tmp), None, seconds, post_seconds)
        ok &= good
        if pg_url:
            good, _ = bench_database("PostgreSQL", Path(tmp), pg_url, seconds, None)
            ok &= good
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http")
    parser.add_argument("--pg", metavar="URL", help="同时在这个（空的）PostgreSQL 数据库上测试")
    parser.add_argument("--quick", action="store_true", help="每项 4 s，POST 10 s（日常使用）")
    parser.add_argument("--seconds", type=float, help="每个网址压测多少秒")
    parser.add_argument(
        "--post-only", action="store_true", help="只测 SQLite 上的 POST /api/v1/issues"
    )
    args = parser.parse_args(argv)
    return run(pg_url=args.pg, quick=args.quick, seconds=args.seconds, only_post=args.post_only)


if __name__ == "__main__":
    sys.exit(main())
