"""`make run PORT=…` on a fresh instance, as a newcomer sees it: init-db, seed-demo --if-empty
and serve run as real processes with no PUBLIC_BASE_URL; the first screen of output ends with
the 试一试 list, every link printed or served points at the port the server listens on, and
the board it names shows real figures."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # init-db, seed-demo and serve as real processes

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "app"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_output_ends_with_try_it_and_the_demo_board_has_figures(tmp_path):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("WECHAT_APPID", "TEST_DATABASE_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'xiaoxiang.db'}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "first-run",
    }
    env.pop("PUBLIC_BASE_URL", None)
    for step in (["init-db"], ["seed-demo", "--if-empty", "--port", str(port)]):
        done = subprocess.run(FLASK + step, cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    tail = done.stdout.rstrip().split("\n")[-8:]
    assert "试一试：" in tail and "/bot/bridge" in tail[-1]  # seed-demo's last lines
    assert set(re.findall(r"https?://[^\s/）（]+", done.stdout)) == {f"http://127.0.0.1:{port}"}

    server = subprocess.Popen(
        FLASK + ["serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if "/bot/bridge" in line:  # the list's last line
                break
        first_screen = "\n".join(lines)
        assert lines[0].startswith("小巷管家已启动") and lines[1] == "试一试："
        assert set(re.findall(r"https?://[^\s/）（]+", first_screen)) == {
            f"http://127.0.0.1:{port}"
        }
        assert "apscheduler" not in first_screen.lower() and "Running on" not in first_screen
        code = re.search(rf"127\.0\.0\.1:{port}/b/([A-Z0-9]{{8}})", first_screen).group(1)
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/boards/{code}") as r:
                    board = json.load(r)
                break
            except OSError:
                time.sleep(0.2)
        assert board["figures"]["resolved_30d"] > 0 and board["recent_issues"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
            home = r.read().decode()
        assert f"http://127.0.0.1:{port}/bot/bridge" in home and ":5000" not in home
    finally:
        server.terminate()
        server.wait(timeout=20)
