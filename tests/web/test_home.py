"""The landing page and offline mode's `/dev/outbox`, read as their visitors would."""

from __future__ import annotations

import base64
import io

from PIL import Image

from core import demo
from core.delivery import groups, robot
from infra import config
from tests.conftest import make_app
from tests.factories import make_district


def test_landing_page_offline_points_at_demo_boards_outbox_and_api(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    html = client.get("/").get_data(as_text=True)
    assert "小巷管家" in html and "居民" in html and "社区工作人员" in html
    boards = client.get("/").get_data(as_text=True).count('href="/b/')
    assert boards == 2
    assert 'href="/dev/outbox"' in html and 'href="/api/v1/openapi.json"' in html
    assert 'href="/console/login"' in html and 'href="/api/v1/docs"' in html
    for link in ("/b/", "/dev/outbox", "/api/v1/docs"):
        start = html.index(f'href="{link}')
        target = html[start + 6 : html.index('"', start + 6)]
        assert client.get(target).status_code == 200, target


def test_landing_page_online_lists_no_demo_or_dev_links(online_app):
    html = online_app.test_client().get("/").get_data(as_text=True)
    assert "/dev/outbox" not in html and 'href="/b/' not in html
    assert 'href="/api/v1/openapi.json"' in html and 'href="/api/v1/docs"' in html
    assert "/bot/bridge" not in html and "企业微信账号" not in html


def test_landing_page_lists_the_demo_stewards_logins_with_their_wecom_ids(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    html = client.get("/").get_data(as_text=True)
    for name, wecom_id in demo.WECOM_IDS.items():
        assert f"<td>{name}</td><td>dev:{name}</td><td>{wecom_id}</td>" in html


def test_landing_page_of_a_server_on_port_5130_links_there(tmp_path):
    app = make_app(tmp_path, PUBLIC_BASE_URL=None)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        config.listening_at(app, "127.0.0.1", 5130)  # what `serve --port 5130` does
        html = app.test_client().get("/").get_data(as_text=True)
    assert "-d &#34;$body&#34; http://127.0.0.1:5130/bot/bridge" in html  # the relay line
    assert ":5000" not in html


def test_the_relay_line_is_shown_only_with_the_published_demo_secret(tmp_path):
    app = make_app(tmp_path, BRIDGE_SECRET="a-real-secret")
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        html = app.test_client().get("/").get_data(as_text=True)
    assert "a-real-secret" not in html and "/bot/bridge" not in html


def test_dev_outbox_shows_messages_as_their_readers_see_them(app, client):
    d = make_district()
    group = groups.create(d.communities[0], "robot-key-home", name="示范社区管家群")
    robot.push_text(group, "新诉求 <script>alert(1)</script>", key="t", mentions=["17000000101"])
    robot.push_markdown(
        group, '## 每日通报\n> 新增 **3** 件\n<font color="warning">超期 1</font>', key="m"
    )
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(buf, "JPEG")
    robot.push_image(group, buf.getvalue(), key="i")

    html = client.get("/dev/outbox").get_data(as_text=True)
    assert "示范社区管家群" in html  # the group's name, not its webhook key
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "@ 17000000101" in html
    assert "<strong>3</strong>" in html and "<blockquote>" in html and "每日通报</h4>" in html
    assert '<span class="font-warning">超期 1</span>' in html
    src = html[html.index('src="data:image/jpeg;base64,') + 28 :]
    data = base64.b64decode(src[: src.index('"')])
    assert Image.open(io.BytesIO(data)).size == (40, 30)
    assert "待发送" in html
