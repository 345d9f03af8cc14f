"""The street's monthly bulletin (月度通报): figures counted by hand, the ranking with its
minimum volume, the PDF read back, the spreadsheet's cells, the CLI, the job on the 1st, the
console page, and bad input."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from core.boards import boards
from core.delivery import groups
from core.figures import bulletin, bulletin_export
from core.figures.bulletin import Line, Month
from core.figures.league import Row
from core.people import areas
from core.units import units
from models import ChatGroup, Event, OutboxMessage, Steward, StewardAlley
from tests.console_world import console_login
from tests.core.figures.street_story import queries_of
from tests.factories import (
    login,
    login_staff,
    login_steward,
    make_district,
    make_staff,
    next_phone,
)

SH = ZoneInfo("Asia/Shanghai")
API = "/api/v1"
WEIGHTS = {"response": 0.1, "on_time": 0.2, "resolution": 0.35, "satisfaction": 0.35}


def at(month, day, hour, minute=0, year=2026):
    return time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=SH), tick=False)


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


@pytest.fixture
def world(app, client):
    """November 2026 in a street of three communities (one alley and steward each), counted by
    hand with the league's definitions (`core.figures.league`) and a minimum of 5 items for a
    rank (`RANKING_MIN_VOLUME`, set here: its default 10 would rank nobody in so small a world):

    - 第1社区: 5 items, each accepted within the hour, resolved the same day, rated 5 →
      响应率 5/5, 按期办结率 5/5, 解决率 5/5, 满意率 5/5: score 100.0.
    - 第2社区: 5 items. Three accepted at once and resolved the same day, rated 2, 4 and 5;
      one accepted after 30 hours and resolved after 60 (past its 2-day deadline); one never
      accepted, overdue at the month's end (and still when the bulletin is made), followed by
      two neighbours → 响应率 3/5, 按期办结率 3/5 (the open one is past its deadline: its term
      is decided, and missed), 解决率 2/3 and 满意率 2/3 (the resident's word: of the three
      ratings, 4 and 5 confirm it solved and satisfied, 2 neither):
      100 × (0.1·0.6 + 0.2·0.6 + 0.35·⅔ + 0.35·⅔) = 64.7.
    - 第3社区: 2 items (under the minimum of 5: listed, not ranked): one resolved on the spot,
      one escalated, whistled to 住建办 and resolved by staff (吹哨联合); 住建办 never checked
      in → its 响应率 0/1.
    """
    app.config["RANKING_MIN_VOLUME"] = 5
    with at(10, 1, 9):
        d = make_district(communities=3, alleys_per_community=1)
        admin = make_staff(d.street, role="admin", username="street-admin")
        unit = units.create(d.street, "住建办", label="测试")
    s = [login_steward(client, st) for st in d.stewards]
    people = {n: login(client, n) for n in "甲乙丙丁戊己庚辛"}
    admin_h = login_staff(client, admin)

    def report(ci, who, content="巷口有垃圾"):
        body = {"board_code": d.boards[ci].code, "category": "环境卫生", "content": content}
        return _post(client, "/issues", people[who], body, status=201)["id"]

    def done(ci, issue_id, score=None, who=None):
        _post(client, f"/issues/{issue_id}/accept", s[ci])
        _post(client, f"/issues/{issue_id}/resolve", s[ci], {"note": "已处理"})
        if score:
            _post(client, f"/issues/{issue_id}/rate", people[who], {"score": score})

    for n, who in enumerate("甲乙丙丁戊"):
        with at(11, 3 + n, 9):
            i = report(0, who)
        with at(11, 3 + n, 10):
            done(0, i, 5, who)
    for n, (who, score) in enumerate((("甲", 2), ("乙", 4), ("丙", 5))):
        with at(11, 10 + n, 9):
            i = report(1, who)
        with at(11, 10 + n, 10):
            done(1, i, score, who)
    with at(11, 14, 9):
        late = report(1, "丁")
    with at(11, 15, 15):
        _post(client, f"/issues/{late}/accept", s[1])
    with at(11, 16, 21):
        _post(client, f"/issues/{late}/resolve", s[1], {"note": "已处理"})
    with at(11, 20, 9):
        waiting = report(1, "戊", "路灯坏了没人修")
        _post(client, f"/issues/{waiting}/follow", people["己"])
        _post(client, f"/issues/{waiting}/follow", people["庚"])
    with at(11, 21, 9):
        quick = report(2, "甲")
        done(2, quick)
        joint = report(2, "乙", "墙皮剥落")
        _post(client, f"/issues/{joint}/escalate", s[2], {"note": "需部门处理"})
        body = {"unit_id": unit.id, "tier": "ordinary", "note": "请住建办处理"}
        _post(client, f"/issues/{joint}/whistle", admin_h, body)
    with at(11, 22, 9):
        _post(client, f"/issues/{joint}/resolve", admin_h, {"note": "住建办已修缮"})
    return {
        "d": d,
        "admin": admin,
        "admin_h": admin_h,
        "unit": unit,
        "waiting": waiting,
        "people": people,
    }


def test_the_month_counted_by_hand(world):
    d = world["d"]
    with at(12, 2, 10):
        b = bulletin.build(d.street, Month(2026, 11))
    c1, c2, c3 = (next(x for x in b.communities if x.id == c.id) for c in d.communities)
    assert [x.id for x in b.communities] == [c1.id, c2.id, c3.id]
    rates = ("response", "on_time", "resolution", "satisfaction")
    assert (c1.volume, {k: c1.row.counts[k] for k in rates}) == (
        5,
        {"response": (5, 5), "on_time": (5, 5), "resolution": (5, 5), "satisfaction": (5, 5)},
    )
    assert (c1.score, c1.rank) == (100.0, 1)
    assert (c2.volume, c2.overdue) == (5, 1)
    assert {k: c2.row.counts[k] for k in rates} == {
        "response": (3, 5),
        "on_time": (3, 5),
        "resolution": (2, 3),
        "satisfaction": (2, 3),
    }
    assert (c2.score, c2.rank) == (64.7, 2)
    assert (c3.volume, c3.rank) == (2, None)  # under RANKING_MIN_VOLUME: listed, not ranked
    assert [x.name for x in b.honour(b.communities)] == [c1.name]
    assert [x.name for x in b.to_improve(b.communities)] == [c2.name]
    assert b.levels == {"现场解决": 10, "上报社区": 0, "吹哨联合": 1}
    assert (b.total.volume, b.resolved, b.total.overdue) == (12, 11, 1)
    # the communities' counts added up: the resident's word, 5/5 + 2/3 + none in 第3社区
    assert b.total.row.counts["resolution"] == (7, 8)

    unit = next(x for x in b.units if x.id == world["unit"].id)
    # 住建办 never checked in; its item was resolved by staff but not rated: no resident's word
    assert (unit.volume, unit.row.counts["response"], unit.row.counts["resolution"]) == (
        1,
        (0, 1),
        (0, 0),
    )
    assert unit.levels == {"吹哨联合": 1} and unit.rank is None

    assert [(n.id, n.overdue_days) for n in b.longest_overdue] == [(world["waiting"], 8)]
    assert [(n.id, n.followers) for n in b.most_followed] == [(world["waiting"], 2)]
    assert b.most_followed[0].content == "路灯坏了没人修"


def _line(name, volume, response, on_time, resolution, satisfaction) -> Line:
    """A line whose league row's rates are the given (part, whole) pairs."""
    row = Row(id=len(name) + ord(name[0]), name=name, kind="community", volume=volume)
    row.counts = {
        "response": response,
        "on_time": on_time,
        "resolution": resolution,
        "satisfaction": satisfaction,
    }
    return Line(row)


def test_the_ranking_by_hand_ties_share_a_place_and_small_ones_are_not_ranked():
    lines = [
        # 100 × (0.1·1 + 0.2·0.5 + 0.35·1 + 0.35·1) = 90.0
        _line("甲", 10, (10, 10), (5, 10), (10, 10), (4, 4)),
        # 100 × (0.1·0.5 + 0.2·1 + 0.35·1 + 0.35·1) = 95.0
        _line("乙", 6, (3, 6), (6, 6), (6, 6), (2, 2)),
        # no ratings: the others carry the weight → 100 × (0.1 + 0.2·0.5 + 0.35) / 0.65 = 84.6
        _line("丙", 8, (8, 8), (4, 8), (8, 8), (0, 0)),
        # the same 90.0 as 甲: a shared 2nd place, listed by name as the league lists ties
        # (丁 U+4E01 before 甲 U+7532)
        _line("丁", 5, (5, 5), (5, 10), (5, 5), (3, 3)),
        # perfect, but 4 items: listed after the ranked ones, never first
        _line("戊", 4, (4, 4), (4, 4), (4, 4), (4, 4)),
    ]
    ranked = bulletin.ranked_lines(lines, WEIGHTS, min_volume=5)
    assert [(x.name, x.score, x.rank) for x in ranked] == [
        ("乙", 95.0, 1),
        ("丁", 90.0, 2),
        ("甲", 90.0, 2),
        ("丙", 84.6, 4),
        ("戊", 100.0, None),
    ]


def test_the_pdf_reads_back_with_every_part(world, client):
    d = world["d"]
    with at(12, 2, 10):
        res = client.get(f"{API}/bulletins/{d.street.id}/2026-11.pdf", headers=world["admin_h"])
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert f"bulletin-{d.street.id}-2026-11.pdf" in res.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(res.data))
    pages = [p.extract_text().replace("\x00", "") for p in reader.pages]
    text = "".join(pages).replace(" ", "")
    assert "示范街道小巷管家工作2026年11月通报" in text
    assert "2026年11月01日至2026年11月30日" in text
    assert "生成日期：2026年12月02日" in text
    for n, page in enumerate(pages, start=1):
        assert f"第 {n} 页 / 共 {len(pages)} 页" in page
    assert "制表" in text and "审核" in text
    assert "排名按综合得分（不按单项）" in text and "与街道总览同一口径" in text
    # 解决率 and 满意率 are explained as the league counts them: the resident's word
    assert "解决率、满意率以居民的话为准" in text and "回访满意、基本满意" in text
    assert "至今已办结的比例" not in text
    for part in (
        "红榜",
        "待改进",
        "社区排名",
        "部门与物业排名",
        "超期最久",
        "关注最多",
        "统计口径",
    ):
        assert part in text, part
    assert "100.0%5/5" in text and "64.7" in text and "60.0%3/5" in text
    assert "第3社区" in text and "只列出不参与排名的：第3社区" in text
    assert "现场解决10件；上报社区0件；吹哨联合1件" in text
    assert "路灯坏了没人修" in text and "住建办" in text
    event = Event.get(Event.action == "bulletin.export")
    assert (event.actor_id, event.data) == (
        world["admin"].user_id,
        {"month": "2026-11", "format": "pdf"},
    )


def test_the_spreadsheet_cells(world, client):
    d = world["d"]
    with at(12, 2, 10):
        res = client.get(f"{API}/bulletins/{d.street.id}/2026-11.xlsx", headers=world["admin_h"])
    assert res.status_code == 200
    wb = load_workbook(io.BytesIO(res.data))
    assert wb.sheetnames == ["汇总", "社区排名", "部门与物业排名", "重点事项"]
    ws = wb["社区排名"]
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in ws.iter_rows(3)]
    assert [(r["排名"], r["社区"], r["件数"], r["得分"], r["榜单"]) for r in rows] == [
        (1, "第1社区", 5, 100, "红榜"),
        (2, "第2社区", 5, 64.7, "待改进"),
        ("—", "第3社区", 2, 100, "不参与排名（少于 5 件）"),
    ]
    second = rows[1]
    assert (second["响应率"], second["按时响应"], second["应响应"]) == (0.6, 3, 5)
    assert (second["按期办结率"], second["按期办结"], second["期限已定"]) == (0.6, 3, 5)
    assert (second["满意率"], second["满意"], second["评价"], second["超期"]) == (
        0.6667,
        2,
        3,
        1,
    )
    assert ws.cell(row=4, column=header.index("响应率") + 1).number_format == "0.0%"
    units_ws = wb["部门与物业排名"]
    unit_row = [c.value for c in units_ws[3]]
    assert unit_row[:5] == ["—", "住建办", "部门", None, 1] and "吹哨联合" in [
        c.value for c in units_ws[2]
    ]
    summary = {r[0].value: r[1].value for r in wb["汇总"].iter_rows(3) if r[0].value}
    assert (summary["诉求件数"], summary["吹哨联合"], summary["参与排名的最少件数"]) == (12, 1, 5)
    notable = [c.value for c in wb["重点事项"][3]]
    assert notable[0] == "超期最久" and notable[5] == "路灯坏了没人修" and notable[7] == 8


def _error(res, status, field):
    assert res.status_code == status, res.get_json()
    body = res.get_json()["error"]
    assert field in body["fields"], body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    return body


def test_bad_months_streets_and_readers_are_refused_naming_the_field(world, client):
    d = world["d"]
    h = world["admin_h"]
    url = f"{API}/bulletins/{d.street.id}"
    with at(12, 2, 10):
        for month in ("2026-13", "2026-00", "11-2026", "2026年11月", "0000-01"):
            body = _error(client.get(f"{url}/{month}.pdf", headers=h), 400, "month")
            assert body["message"].startswith("月份")
        body = _error(client.get(f"{url}/2027-01.pdf", headers=h), 400, "month")
        assert "还没有到" in body["message"]
        body = _error(client.get(f"{url}/2026-09.xlsx", headers=h), 400, "month")
        assert "2026年10月" in body["message"]  # the street was set up on 1 October
        assert client.get(f"{url}/2026-10.pdf", headers=h).status_code == 200
        assert client.get(f"{url}/2026-12.pdf", headers=h).status_code == 200  # so far

        other = make_district(street_name="别的街道", communities=1)
        _error(
            client.get(f"{API}/bulletins/{other.street.id}/2026-11.pdf", headers=h),
            403,
            "street_id",
        )
        community = d.communities[0].id
        _error(client.get(f"{API}/bulletins/{community}/2026-11.pdf", headers=h), 404, "street_id")
        _error(client.get(f"{API}/bulletins/999999/2026-11.pdf", headers=h), 404, "street_id")
        staff = login_staff(client, make_staff(d.communities[0], role="staff"))
        _error(client.get(f"{url}/2026-11.pdf", headers=staff), 403, "street_id")
        steward = login_steward(client, d.stewards[0], name="another-login")
        assert client.get(f"{url}/2026-11.pdf", headers=steward).status_code == 403
        assert client.get(f"{url}/2026-11.pdf").status_code == 401
    exports = Event.select().where(Event.action == "bulletin.export")
    assert sorted(e.data["month"] for e in exports) == ["2026-10", "2026-12"]  # the refused: none


def test_the_cli_writes_both_files_and_a_dry_run_writes_nothing(world, runner, tmp_path):
    street = world["d"].street.id
    out = tmp_path / "out"
    with at(12, 2, 10):
        args = ["bulletin", "--street", str(street), "--month", "2026-11", "--out", str(out)]
        dry = runner.invoke(args=[*args, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "1 第1社区" in dry.output and "红榜：第1社区" in dry.output
        assert not out.exists()
        result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"bulletin-{street}-2026-11.pdf", f"bulletin-{street}-2026-11.xlsx"]
    assert (out / names[0]).read_bytes().startswith(b"%PDF")
    assert "还没有街道一级的工作群" in result.output
    with at(12, 2, 10):
        bad = runner.invoke(args=["bulletin", "--street", str(street), "--month", "2026-1x"])
    assert bad.exit_code != 0 and "月份格式须为 YYYY-MM" in bad.output


def test_the_job_on_the_first_sends_the_card_and_link_once_to_the_streets_group(world):
    d = world["d"]
    with at(10, 1, 9):
        # groups.create takes a street's group once street-level groups arrive (#26's street
        # role); until then the row is written as the units' demo writes its own group
        group = ChatGroup.create(
            area=d.street, webhook_key="street-leaders-key", name="街道领导群", audience="staff"
        )
        groups.create(d.communities[0], "community-key", name="社区群", label="测试")
    with at(12, 1, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 1)) == 1
        assert bulletin_export.run_if_month_started(date(2026, 12, 1)) == 0  # once
    with at(12, 4, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 4)) == 0
    sent = list(OutboxMessage.select().where(OutboxMessage.idempotency_key.startswith("bulletin:")))
    assert {m.target for m in sent} == {group.webhook_key}
    kinds = sorted(m.payload["msgtype"] for m in sent)
    assert kinds == ["image", "markdown"]
    text = next(
        m.payload["markdown"]["content"] for m in sent if m.payload["msgtype"] == "markdown"
    )
    link = f"https://xx.example.cn/console/bulletins/{d.street.id}/2026-11"
    assert f"{link}.pdf" in text and f"{link}.xlsx" in text and "红榜：第1社区" in text
    assert not re.search(r"1[3-9]\d{9}", text)  # no phone number in a group


def test_a_street_without_its_own_group_is_not_claimed_until_it_has_one(world):
    d = world["d"]
    with at(12, 1, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 1)) == 0
        ChatGroup.create(area=d.street, webhook_key="late-key", name="街道群", audience="staff")
    with at(12, 2, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 2)) == 1
    assert ChatGroup.select().count() == 1


def test_the_console_shows_the_month_and_downloads_it(world, client, app):
    d = world["d"]
    with at(12, 2, 10):
        console_login(client, "street-admin")
        page = client.get("/console/bulletins").get_data(as_text=True)
        assert "月度通报" in page and "2026年11月通报" in page
        assert "红榜" in page and "待改进" in page and "不参与排名" in page
        res = client.get(f"/console/bulletins/{d.street.id}/2026-11.pdf")
        assert res.status_code == 200 and res.data.startswith(b"%PDF")
        link = client.get(f"/console/bulletins/{d.street.id}/2026-11")
        assert link.status_code == 302 and "month=2026-11" in link.headers["Location"]
        bad = client.get(f"/console/bulletins?street={d.street.id}&month=2027-05")
        assert bad.status_code == 200 and "还没有到" in bad.get_data(as_text=True)


def test_community_staff_get_no_bulletin_in_the_console(world, app):
    d = world["d"]
    make_staff(d.communities[0], role="staff", username="community-staff")
    client = app.test_client()
    with at(12, 2, 10):
        console_login(client, "community-staff")
        page = client.get("/console/bulletins").get_data(as_text=True)
        assert "仅限街道管理员" in page and "月度通报</a>" not in page
        res = client.get(f"/console/bulletins/{d.street.id}/2026-11.pdf")
    assert res.status_code == 403


def test_the_figures_read_the_same_number_of_queries_for_more_communities(world, client):
    """The bench's rule (bench/bulletin.py) at test size: more communities, each with an item
    resolved in the month and a unit of its own, and not one more query."""
    d = world["d"]

    def count_queries():
        with at(12, 2, 10):
            return queries_of(lambda: bulletin.build(d.street, Month(2026, 11)))

    before = count_queries()
    for n in range(4, 8):
        with at(10, 1, 9):
            community, _ = areas.child(d.street, "community", f"第{n}社区")
            alley, _ = areas.child(community, "alley", f"{n}区1巷")
            steward = Steward.create(name=f"管家{n}", phone=next_phone())
            StewardAlley.create(steward=steward, alley=alley)
            board = boards.create_board(alley)
            units.create(community, f"第{n}物业", kind="property", label="测试")
        h = login_steward(client, steward)
        with at(11, 5, 9):
            body = {"board_code": board.code, "category": "环境卫生", "content": "巷口有垃圾"}
            issue = _post(client, "/issues", world["people"]["甲"], body, status=201)["id"]
            _post(client, f"/issues/{issue}/accept", h)
            _post(client, f"/issues/{issue}/resolve", h, {"note": "已处理"})
    with at(12, 2, 10):
        b = bulletin.build(d.street, Month(2026, 11))
    assert len(b.communities) == 7 and b.levels["现场解决"] == 14  # the new items are counted
    assert count_queries() == before
