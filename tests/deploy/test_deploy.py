"""The deployment as shipped in deploy/, run for real: Debian's nginx with
deploy/nginx/xiaoxiang.conf (rendered by deploy/render.sh with test paths) and a throw-away
self-signed certificate, in front of gunicorn started with the ExecStart line of
deploy/systemd/xiaoxiang-web.service and the settings of deploy/xiaoxiang.env.example, each on a
free port. Checked through nginx, over verified TLS: HTTPS only, the console's Secure cookie and
its network limit, the real client address in the rate limits, a 9 MB photo upload, photos
served by nginx with cache headers, /metrics refused from outside, the request id from nginx to
the audit trail. `make test-deploy` installs nginx first (scripts/ensure-nginx.sh).

Clients "outside" the admin networks connect from another loopback address (127.0.0.2): the
test's admin-networks file allows 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.db import db
from models import Event
from tests.conftest import PG_URL, make_app
from tests.factories import make_district, make_staff
from tests.instance_data import photo_bytes

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OUTSIDE = "127.0.0.2"
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    assert found, "nginx is not installed: run scripts/ensure-nginx.sh (make test-deploy does)"
    return found


def env_template() -> dict[str, str]:
    """The KEY=value lines of deploy/xiaoxiang.env.example (comments skipped)."""
    out = {}
    for line in (DEPLOY / "xiaoxiang.env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def exec_start(unit: str) -> list[str]:
    text = (DEPLOY / "systemd" / unit).read_text()
    (line,) = [x for x in text.splitlines() if x.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def gunicorn_argv(port: int) -> list[str]:
    """The web unit's ExecStart, run from this checkout's environment on `port`."""
    argv = exec_start("xiaoxiang-web.service")
    assert argv[0].endswith("/gunicorn")
    bind = argv.index("-b") + 1
    argv[bind] = f"127.0.0.1:{port}"
    return [sys.executable, "-m", "gunicorn", *argv[1:]]


def render(template: Path, **values: str) -> str:
    done = subprocess.run(
        [str(DEPLOY / "render.sh"), str(template)],
        env={**os.environ, **values},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


class Site:
    """nginx and gunicorn running, and a client that can connect from any loopback address."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.https_port, self.http_port, self.web_port = _free_port(), _free_port(), _free_port()
        self.media_dir = folder / "media"
        self.logs = folder / "logs"
        self.processes: list[subprocess.Popen] = []

    def request(self, method, path, body=None, headers=None, source="127.0.0.1") -> Response:
        conn = http.client.HTTPSConnection(
            "127.0.0.1",
            self.https_port,
            context=self.tls,
            source_address=(source, 0),
            timeout=60,
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            answer = conn.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            conn.close()

    def logged(self, needle: str) -> str:
        """The one access log line containing `needle`. nginx writes it once the connection
        is done, which may be just after the client has its answer: until it is there, another
        request goes through nginx's one worker, which gets to the log meanwhile."""
        for _ in range(50):
            lines = (self.logs / "xiaoxiang.access.log").read_text().splitlines()
            found = [x for x in lines if needle in x]
            if found:
                (line,) = found
                return line
            self.request("GET", "/healthz")
        raise AssertionError(f"no access log line with {needle!r}")

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )
    return cert, key


def _start_gunicorn(site: Site, env: dict) -> None:
    proc = subprocess.Popen(
        gunicorn_argv(site.web_port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    site.processes.append(proc)
    booted, lines = threading.Event(), []

    def watch():
        workers = 0
        for line in proc.stderr:
            lines.append(line)
            if "Booting worker" in line:
                workers += 1
                if workers == 2:  # the unit's -w 2
                    booted.set()
        booted.set()  # gunicorn ended: the assertion below shows why

    threading.Thread(target=watch, daemon=True).start()
    assert booted.wait(STARTUP_SECONDS) and proc.poll() is None, "".join(lines)


def _start_nginx(site: Site, cert: Path, key: Path) -> None:
    prefix = site.folder / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    site.logs.mkdir()
    admin = prefix / "admin-networks.conf"
    admin.write_text("allow 127.0.0.1;\ndeny all;\n")
    (prefix / "site.conf").write_text(
        render(
            DEPLOY / "nginx" / "xiaoxiang.conf",
            SERVER_NAME="localhost 127.0.0.1",
            HTTPS_PORT=str(site.https_port),
            HTTP_PORT=str(site.http_port),
            TLS_CERT=str(cert),
            TLS_KEY=str(key),
            UPSTREAM=f"127.0.0.1:{site.web_port}",
            MEDIA_DIR=str(site.media_dir),
            ADMIN_NETWORKS=str(admin),
            LOG_DIR=str(site.logs),
        )
    )
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Only root may switch nginx's workers to another user; the temp folders are root's.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\nevents {{ worker_connections 128; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'other.log'};\n{temp}\n    include {prefix / 'site.conf'};\n}}\n"
    )
    command = [_nginx(), "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    site.processes.append(proc)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", site.https_port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "nginx did not start listening"
            try:  # wait on nginx itself: returns at once if it died
                proc.wait(0.05)
                raise AssertionError(f"nginx stopped: {proc.stderr.read()}")
            except subprocess.TimeoutExpired:
                pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deploy")
    s = Site(folder)
    app = make_app(folder, MEDIA_DIR=str(s.media_dir))
    with app.app_context():
        district = make_district(communities=1, alleys_per_community=1)
        s.board_code = district.boards[0].code
        make_staff(district.communities[0], username="deploy-staff")
        db.close()
    cert, key = _certificate(folder)
    s.tls = ssl.create_default_context(cafile=str(cert))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)},
        **{k: v for k, v in env_template().items() if "…" not in v},
        "DATABASE_URL": PG_URL or f"sqlite:///{folder / 'test.db'}",
        "MEDIA_DIR": str(s.media_dir),
        "SECRET_KEY": "deploy-test",
        "PUBLIC_BASE_URL": f"https://127.0.0.1:{s.https_port}",
        "SCAN_LOOKUP_LIMIT": "2",
        # the template's place under /run, moved into the test's folder
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        "METRICS_TOKEN": "deploy-metrics-token",
    }
    s.env = env
    try:
        _start_gunicorn(s, env)
        _start_nginx(s, cert, key)
        s.app = app
        yield s
    finally:
        s.stop()


def test_https_only_with_a_verified_certificate(site):
    answer = site.request("GET", "/healthz")
    assert answer.status == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=30)
    plain.request("GET", "/console/login?x=1", headers={"Host": "xx.example.gov.cn"})
    redirect = plain.getresponse()
    assert redirect.status == 301
    assert redirect.headers["Location"] == "https://xx.example.gov.cn/console/login?x=1"
    plain.close()


def test_the_console_cookie_is_secure_and_the_console_only_open_to_admin_networks(site):
    page = site.request("GET", "/console/login")
    assert page.status == 200
    cookies = page.headers.get_all("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies), cookies
    assert site.request("GET", "/console/login", source=OUTSIDE).status == 403


def test_rate_limits_count_the_real_client_not_nginx(site):
    path = f"/b/{site.board_code}/mine"
    form = urllib.parse.urlencode({"phone": "13900000001"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(2):  # SCAN_LOOKUP_LIMIT=2
        assert site.request("POST", path, form, headers, source=OUTSIDE).status == 200
    assert site.request("POST", path, form, headers, source=OUTSIDE).status == 429
    # naming someone else in X-Forwarded-For does not help: nginx appends the real address
    forged = {**headers, "X-Forwarded-For": "10.1.2.3"}
    assert site.request("POST", path, form, forged, source=OUTSIDE).status == 429
    # another client behind the same nginx has its own count
    assert site.request("POST", path, form, headers, source="127.0.0.3").status == 200


def _multipart(data: bytes, name: str) -> tuple[bytes, dict]:
    boundary = "xiaoxiang-deploy-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_a_9_mb_photo_uploads_and_nginx_serves_it_with_cache_headers(site):
    login = site.request(
        "POST",
        "/api/v1/auth/login",
        json.dumps({"code": "dev:deploy"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert login.status == 200, login.body
    token = login.json()["token"]
    photo = photo_bytes(9, side=1780)
    assert 9 * 1024 * 1024 <= len(photo) < 10 * 1024 * 1024
    body, headers = _multipart(photo, "big.png")
    uploaded = site.request(
        "POST", "/api/v1/media", body, {**headers, "Authorization": f"Bearer {token}"}
    )
    assert uploaded.status == 201, uploaded.body
    url = uploaded.json()["url"]
    served = site.request("GET", url)
    assert served.status == 200
    name = url.rsplit("/", 1)[1]
    assert served.body == (site.media_dir / name[:2] / name).read_bytes()
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Request-Id" not in served.headers  # the app never saw it
    assert site.logged(f"GET {url} ").endswith("up=-")  # served by nginx itself
    assert site.request("GET", "/media/" + "0" * 64 + ".jpg").status == 404
    # past nginx's limit: the API's envelope all the same
    too_big, headers = _multipart(b"\0" * (12 * 1024 * 1024), "huge.png")
    refused = site.request("POST", "/api/v1/media", too_big, headers)
    assert refused.status == 413
    assert refused.json()["error"]["code"] == "file_too_large"


def test_the_body_limit_matches_the_apps(site):
    config = (DEPLOY / "nginx" / "xiaoxiang.conf").read_text()
    (size,) = re.findall(r"client_max_body_size (\d+)m;", config)
    allowed = int(site.app.config["MAX_CONTENT_LENGTH"])
    assert allowed <= int(size) * 1024 * 1024 < allowed + 1024 * 1024


def test_metrics_are_refused_from_outside(site):
    assert site.request("GET", "/metrics", source=OUTSIDE).status == 403
    inside = site.request(
        "GET", "/metrics", headers={"Authorization": "Bearer deploy-metrics-token"}
    )
    if "metrics" in {r.rule.strip("/") for r in site.app.url_map.iter_rules()}:
        from prometheus_client.parser import text_string_to_metric_families

        assert inside.status == 200
        assert list(text_string_to_metric_families(inside.body.decode()))
    else:  # not yet on this branch: nginx let it through to the app, which has no such page
        assert inside.status == 404 and "X-Request-Id" in inside.headers


def test_the_request_id_goes_from_nginx_to_the_app_and_its_audit_trail(site):
    answer = site.request(
        "POST",
        "/api/v1/auth/password",
        json.dumps({"username": "deploy-staff", "password": "password123"}).encode(),
        {"Content-Type": "application/json", "X-Request-ID": "chosen-by-the-client"},
    )
    assert answer.status == 200, answer.body
    rid = answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)  # nginx's $request_id, not the client's
    line = site.logged("POST /api/v1/auth/password ")
    assert f"rid={rid} " in line and "up=127.0.0.1:" in line
    with site.app.app_context():
        event = Event.get(Event.action == "staff.login")
        assert event.request_id == rid
        db.close()


def test_the_env_template_names_only_known_settings():
    from infra import config

    # read from the environment by prometheus_client itself, not an app setting
    env_only = {"PROMETHEUS_MULTIPROC_DIR"}
    assert set(env_template()) - env_only <= set(config.ENV_KEYS)
    assert env_template()["TRUST_PROXY_HEADERS"] == "true"


def test_the_backup_and_scheduler_units_run_real_commands(site, tmp_path):
    argv = exec_start("xiaoxiang-backup.service")
    assert argv[0].endswith("/flask")
    out = argv.index("--out") + 1
    argv[out] = str(tmp_path / "backups")
    done = subprocess.run(
        [sys.executable, "-m", "flask", *argv[1:]],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "已备份到" in done.stdout and argv[argv.index("--keep") + 1] == "30"
    assert exec_start("xiaoxiang-jobs.service")[1:] == ["--app", "app", "jobs"]
