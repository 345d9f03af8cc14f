"""The monthly bulletin's figures as a street leader reads them (`core.figures.bulletin`): the
month and its edges, who may read it, the score and the 红榜 / 待改进, the street's total, how
items were solved, the notable items, and the words the PDF, the card and the terminal share.
The by-hand month of three communities is `test_bulletin.py`'s; these walk the edges."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.figures import bulletin
from core.figures.bulletin import Bulletin, Line, Month, Notable
from core.figures.league import Row
from core.items import handling
from core.people.permissions import Principal
from core.units import units
from infra.errors import ApiError
from models import Area, Issue, User
from tests.core.figures import test_bulletin
from tests.factories import login, login_staff, login_steward, make_district, make_staff

SH = ZoneInfo("Asia/Shanghai")
# The month of three communities counted by hand (tests/core/figures/test_bulletin.py).
world, at = test_bulletin.world, test_bulletin.at

WEIGHTS = {"response": 0.1, "on_time": 0.2, "resolution": 0.35, "satisfaction": 0.35}
FORMAT = "月份格式须为 YYYY-MM，如 2026-11"
YEARS = "月份的年份须在 2000 至 2099 之间"


# --- the month --------------------------------------------------------------------------------


def test_a_month_knows_its_first_last_and_following_day_across_the_year_end():
    dec = Month(2026, 12)
    assert (dec.first, dec.last, dec.end) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
        date(2027, 1, 1),
    )
    nov = Month(2026, 11)
    assert (nov.first, nov.last, nov.end) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        date(2026, 12, 1),
    )
    assert Month(2028, 2).last == date(2028, 2, 29)
    assert Month(2027, 1).previous() == dec and nov.previous() == Month(2026, 10)
    assert Month.of(date(2026, 11, 30)) == nov
    assert (dec.label, str(Month(2026, 3))) == ("2026年12月", "2026-03")


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-11", Month(2026, 11)),
        ("2026-1", Month(2026, 1)),
        ("2026-12", Month(2026, 12)),
        (" 2026-03 \n", Month(2026, 3)),
        ("2000-01", Month(2000, 1)),
        ("2099-12", Month(2099, 12)),
    ],
)
def test_a_month_typed_as_year_dash_month_is_read_up_to_the_years_the_calendar_holds(text, month):
    assert Month.parse(text) == month


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-0", FORMAT),
        ("2026-13", FORMAT),
        ("2026-011", FORMAT),
        ("12026-11", FORMAT),
        ("2026-11x", FORMAT),
        ("2026/11", FORMAT),
        ("", FORMAT),
        (None, FORMAT),
        ("1999-12", YEARS),
        ("2100-01", YEARS),
    ],
)
def test_a_month_that_is_not_one_is_refused_saying_what_a_month_looks_like(text, message):
    with pytest.raises(ValueError) as refused:
        Month.parse(text)
    assert str(refused.value) == message
    with pytest.raises(ApiError) as api_refused:
        bulletin.parse_month(text)
    err = api_refused.value
    assert (err.status, err.code, err.message, err.fields) == (
        400,
        "validation_error",
        f"月份：{message}",
        {"month": message},
    )


# --- the score and the boards -----------------------------------------------------------------


def _line(name: str, volume: int, **counts) -> Line:
    row = Row(id=ord(name[0]), name=name, kind="community", volume=volume)
    row.counts = {k: counts.get(k, (0, 0)) for k in WEIGHTS}
    return Line(row)


def _bulletin(honour_size: int) -> Bulletin:
    """Only what `honour` and `to_improve` read."""
    return Bulletin(
        street=None,
        month=Month(2026, 11),
        made_at=datetime(2026, 12, 1),
        as_of=datetime(2026, 11, 30, 16),
        weights=WEIGHTS,
        min_volume=5,
        total=_line("街", 0),
        communities=[],
        units=[],
        levels={},
        longest_overdue=[],
        most_followed=[],
        honour_size=honour_size,
    )


def test_a_score_leaves_out_a_rate_with_nothing_to_count_or_no_weight():
    line = _line("甲", 9, response=(1, 4), on_time=(3, 4))
    # resolution and satisfaction: nothing rated; 100 × (0.1·0.25 + 0.2·0.75) / 0.3 = 58.333…
    assert bulletin.score(line.row, WEIGHTS) == 58.3
    # a rate weighted 0 does not count even when measured: only on_time is left
    assert bulletin.score(line.row, {**WEIGHTS, "response": 0}) == 75.0
    # nothing measured that carries a weight: no score (not a division by zero)
    assert bulletin.score(line.row, {"response": 0, "on_time": 0, "resolution": 1}) is None
    assert bulletin.score(_line("乙", 9).row, WEIGHTS) is None


def _ranked(*scores: float | None, small: int = 0) -> list[Line]:
    """Lines scoring the given (response rate) percentages, ranked; `small` more lines under
    the minimum volume with a perfect score."""
    lines = [
        _line(chr(0x4E00 + n), 9, response=(s, 100)) if s is not None else _line(chr(0x4E00 + n), 9)
        for n, s in enumerate(scores)
    ]
    lines += [_line(chr(0x5000 + n), 1, response=(1, 1)) for n in range(small)]
    return bulletin.ranked_lines(lines, {"response": 1}, min_volume=5)


def test_the_honour_board_and_the_one_to_improve_take_at_most_the_configured_size_each():
    lines = _ranked(90, 80, 70, 60, 50, 40, 30, small=2)
    b = _bulletin(honour_size=3)
    assert [x.score for x in b.honour(lines)] == [90, 80, 70]
    assert [x.score for x in b.to_improve(lines)] == [30, 40, 50]  # the last first
    b = _bulletin(honour_size=2)
    assert [x.score for x in b.honour(lines)] == [90, 80]
    assert [x.score for x in b.to_improve(lines)] == [30, 40]


def test_the_boards_take_at_most_half_the_ranked_lines_so_nobody_is_on_both():
    b = _bulletin(honour_size=3)
    five = _ranked(90, 80, 70, 60, 50, None, small=3)  # five ranked: two on each board
    assert [x.score for x in b.honour(five)] == [90, 80]
    assert [x.score for x in b.to_improve(five)] == [50, 60]
    one = _ranked(90, small=3)  # a board needs two ranked lines
    assert b.honour(one) == [] and b.to_improve(one) == []
    assert b.honour([]) == [] and b.to_improve([]) == []


def test_a_rate_reads_as_a_percentage_with_its_counts_or_a_dash():
    line = _line("甲", 9, response=(19, 20), on_time=(2, 3))
    assert bulletin.rate_text(line, "response") == "95.0%（19/20）"
    assert bulletin.rate_text(line, "on_time") == "66.7%（2/3）"
    assert bulletin.rate_text(line, "resolution") == "—（0/0）"
    line.row.counts.pop("satisfaction")
    assert bulletin.rate_text(line, "satisfaction") == "—（0/0）"
    assert (bulletin.pct(None), bulletin.pct(1), bulletin.pct(0)) == ("—", "100.0%", "0.0%")


# --- which months, and who may read them ------------------------------------------------------


def _at(year, month, day, hour=9, minute=0, second=0):
    moment = datetime(year, month, day, hour, minute, second, tzinfo=SH)
    return time_machine.travel(moment, tick=False)


def _principal(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


def _refusal(call, *args) -> ApiError:
    with pytest.raises(ApiError) as refused:
        call(*args)
    return refused.value


def test_the_month_a_street_was_set_up_on_its_last_day_has_a_bulletin_the_month_before_none(app):
    with _at(2026, 9, 30, 23, 59):
        d = make_district(communities=1, alleys_per_community=1)
    with _at(2026, 11, 2):
        bulletin.check_month(d.street, Month(2026, 9))
        err = _refusal(bulletin.check_month, d.street, Month(2026, 8))
    assert (err.status, err.message, err.fields) == (
        400,
        "月份：示范街道自 2026年9月 起才有数据，没有2026年8月的通报",
        {"month": "不能早于 2026-09"},
    )


def test_a_streets_history_imported_after_it_was_set_up_starts_at_its_first_item(app, client):
    with _at(2026, 8, 20):
        d = make_district(communities=1, alleys_per_community=1)
        resident = login(client, "甲")
        body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "巷口有垃圾"}
        res = client.post("/api/v1/issues", json=body, headers=resident)
        assert res.status_code == 201, res.get_json()
    # the street's own row says it was set up in October (the history imported afterwards)
    Area.update(created_at=datetime(2026, 10, 9, 2)).where(Area.id == d.street.id).execute()
    street = Area.get_by_id(d.street.id)
    with _at(2026, 11, 2):
        assert bulletin.street_started(street) == date(2026, 8, 20)
        bulletin.check_month(street, Month(2026, 8))
        err = _refusal(bulletin.check_month, street, Month(2026, 7))
    assert err.fields == {"month": "不能早于 2026-08"}
    # another street's items do not count for this one
    with _at(2026, 11, 2):
        other = make_district(street_name="别的街道", communities=1, alleys_per_community=1)
        assert bulletin.street_started(other.street) == date(2026, 11, 2)


def test_the_running_month_has_a_bulletin_from_its_first_local_day_and_the_next_none(app):
    with _at(2026, 9, 1):
        d = make_district(communities=1, alleys_per_community=1)
    # 00:00 on 1 December in Shanghai is still 30 November in UTC
    with _at(2026, 12, 1, 0, 0):
        assert bulletin.today() == date(2026, 12, 1)
        bulletin.check_month(d.street, Month(2026, 12))
        err = _refusal(bulletin.check_month, d.street, Month(2027, 1))
    assert (err.status, err.message, err.fields) == (
        400,
        "月份：2027年1月还没有到，不能生成通报",
        {"month": "不能晚于本月"},
    )


def test_only_the_streets_own_staff_read_its_bulletin_and_each_refusal_says_why(app):
    with _at(2026, 9, 1):
        d = make_district(communities=1, alleys_per_community=1)
        other = make_district(street_name="别的街道", communities=1, alleys_per_community=1)
        admin = _principal(make_staff(d.street, role="admin", username="street-admin"))
        elsewhere = _principal(make_staff(other.street, role="admin", username="other-admin"))
        community = _principal(make_staff(d.communities[0], role="staff", username="c-staff"))
    assert bulletin.may_read(admin, d.street)
    assert not bulletin.may_read(community, d.street)
    assert not bulletin.may_read(Principal.anonymous(), d.street)
    with _at(2026, 11, 2):
        b = bulletin.for_reader(admin, d.street.id, "2026-10")
        assert (b.street.id, b.month) == (d.street.id, Month(2026, 10))
        # the street first (404), then the reader (403), then the month (400)
        err = _refusal(bulletin.for_reader, elsewhere, d.communities[0].id, "2026-13")
        assert (err.status, err.code, err.message, err.fields) == (
            404,
            "street_not_found",
            f"找不到街道 {d.communities[0].id}",
            {"street_id": "不存在"},
        )
        err = _refusal(bulletin.for_reader, elsewhere, d.street.id, "2026-13")
        assert (err.status, err.code, err.message, err.fields) == (
            403,
            "out_of_scope",
            "街道：您无权查看示范街道的月度通报（须为该街道的管理员）",
            {"street_id": "不在您的管辖范围内"},
        )
        assert _refusal(bulletin.for_reader, community, d.street.id, "2026-13").status == 403
        assert _refusal(bulletin.for_reader, admin, d.street.id, "2026-13").status == 400
        assert _refusal(bulletin.for_reader, admin, d.street.id, "2027-01").status == 400
        assert _refusal(bulletin.for_reader, admin, d.street.id, "2026-08").status == 400


# --- the by-hand month as a leader reads it ---------------------------------------------------

PLAIN = """示范街道小巷管家工作2026年11月通报
统计期间：2026年11月01日 至 2026年11月30日
诉求 12 件，办结 11 件，超期 1 件
响应率 83.3%（10/12），按期办结率 83.3%（10/12），解决率 87.5%（7/8），满意率 87.5%（7/8）
办结方式：现场解决 10 件，上报社区 0 件，吹哨联合 1 件

社区排名
  1 第1社区  件数 5  响应率100.0%（5/5） 按期办结率100.0%（5/5） 解决率100.0%（5/5） \
满意率100.0%（5/5）  超期 0  得分 100.0
  2 第2社区  件数 5  响应率60.0%（3/5） 按期办结率60.0%（3/5） 解决率66.7%（2/3） \
满意率66.7%（2/3）  超期 1  得分 64.7
  — 第3社区  件数 2  响应率100.0%（2/2） 按期办结率100.0%（2/2） 解决率—（0/0） \
满意率—（0/0）  超期 0  得分 100.0
  红榜：第1社区
  待改进：第2社区

部门与物业排名
  — 住建办  件数 1  响应率0.0%（0/1） 按期办结率100.0%（1/1） 解决率—（0/0） \
满意率—（0/0）  超期 0  得分 66.7

超期最久：
  {number} 第2社区2区1巷 超期 8 天
关注最多：
  {number} 第2社区2区1巷 2 人关注

排名按综合得分（不按单项）：综合得分 = 响应率 10%、按期办结率 20%、解决率 35%、满意率 35% \
的加权平均 × 100；某项没有可计的件时不计该项，其余按权重折算；得分相同的名次并列，按名称排列。\
当月件数少于 5 件的只列出、不参与排名（与街道总览同一标准）。"""


def test_the_month_in_a_terminal_reads_every_line_ranked_with_its_counts(world):
    with at(12, 2, 10):
        b = bulletin.build(world["d"].street, Month(2026, 11))
    number = Issue.get_by_id(world["waiting"]).number
    assert bulletin.plain_text(b) == PLAIN.format(number=number)


def test_the_groups_message_gives_the_headline_the_boards_and_both_links(world):
    with at(12, 2, 10):
        b = bulletin.build(world["d"].street, Month(2026, 11))
    assert bulletin.card_markdown(b, "https://x.cn/b/1/2026-11") == "\n".join(
        [
            "## 示范街道小巷管家工作2026年11月通报",
            "> 诉求 12 件 · 办结 11 件 · 超期 1 件",
            "> 响应率 83.3%（10/12） · 解决率 87.5%（7/8） · 满意率 87.5%（7/8）",
            "红榜：第1社区",
            "待改进：第2社区",
            "[下载通报 PDF](https://x.cn/b/1/2026-11.pdf) · [下载 Excel](https://x.cn/b/1/2026-11.xlsx)",
        ]
    )


def test_the_definitions_give_the_configured_hours_and_the_configured_weights(world, app):
    app.config["RESPONSE_HOURS"] = 12
    app.config["UNIT_CHECKIN_HOURS"] = 6
    app.config["BULLETIN_WEIGHTS"] = {"response": 0.5, "satisfaction": 0.5, "unknown": 3}
    with at(12, 2, 10):
        b = bulletin.build(world["d"].street, Month(2026, 11))
    assert b.weights == {"response": 0.5, "on_time": 0.0, "resolution": 0.0, "satisfaction": 0.5}
    assert bulletin.definitions(b) == [
        "各项指标与街道总览同一口径。",
        "社区件数：当月反映的诉求（撤销的、作为重复件合并的不计）。响应率：其中 12 小时内"
        "接单的比例（管家随手办结的不计）。",
        "部门/物业件数：当月吹哨交办的诉求（同上不计）。响应率：其中 6 小时内报到的比例。",
        "按期办结率：当月的件中期限已定的（已办结，或月末已过办理期限）在期限内办结的比例，"
        "未到期限的未结件不计。",
        "解决率、满意率以居民的话为准：当月居民的评价和回访结论（每件按当月最后一次）。"
        "解决率 = 居民确认解决的件数（3 星及以上，或回访满意、基本满意；以已答复、不属于职责、"
        "无法解决办结的不算解决）÷ 有评价或回访结论的件数；满意率 = 满意的件数（4–5 星或回访满意）"
        "÷ 同一件数。未评价、回访未接通或拒绝回访的不计。",
        "超期：生成通报时仍未办结且已过期限的件数（不论何时反映）；“超期最久”列出月末超期的件。"
        "办结方式：当月办结的件（不论何时反映）按现场解决、上报社区、吹哨联合计数。",
        "排名按综合得分（不按单项）：综合得分 = 响应率 50%、满意率 50% 的加权平均 × 100；"
        "某项没有可计的件时不计该项，其余按权重折算；得分相同的名次并列，按名称排列。"
        "当月件数少于 5 件的只列出、不参与排名（与街道总览同一标准）。",
    ]
    # 第2社区: 100 × (0.5·0.6 + 0.5·⅔) = 63.3; 第1社区 100
    c2 = next(x for x in b.communities if x.name == "第2社区")
    assert c2.score == 63.3


# --- the period: a finished month, the running one --------------------------------------------


def test_a_finished_month_is_counted_to_its_end_and_the_running_one_to_the_moment(app):
    with _at(2026, 9, 1):
        d = make_district(communities=1, alleys_per_community=1)
    # exactly at the month's end in Shanghai: November is finished
    with _at(2026, 12, 1, 0, 0):
        nov = bulletin.build(d.street, Month(2026, 11))
        running = bulletin.build(d.street, Month(2026, 12))
    assert (nov.as_of, nov.made_at) == (datetime(2026, 11, 30, 16), datetime(2026, 11, 30, 16))
    assert not nov.partial
    assert nov.period_text == "2026年11月01日 至 2026年11月30日"
    assert running.partial and running.as_of == datetime(2026, 11, 30, 16)
    with _at(2026, 12, 3, 0, 0):  # made at midnight: the 3rd has not begun to count
        b = bulletin.build(d.street, Month(2026, 12))
    suffix = "（本月尚未结束，为截至目前的数据）"
    assert b.period_text == f"2026年12月01日 至 2026年12月02日{suffix}"
    with _at(2026, 12, 3, 0, 0, 1):  # a second later it has
        b = bulletin.build(d.street, Month(2026, 12))
    assert b.period_text == f"2026年12月01日 至 2026年12月03日{suffix}"
    assert (b.title, b.file_stem) == (
        "示范街道小巷管家工作2026年12月通报",
        f"bulletin-{d.street.id}-2026-12",
    )


# --- how the month's resolved items were solved -----------------------------------------------


@pytest.fixture
def small_street(app, client):
    """A street of one community (one alley, its steward), its admin, a department of the
    street and a property company of the community, on 1 October 2026."""
    with _at(2026, 10, 1):
        d = make_district(communities=1, alleys_per_community=1)
        admin = make_staff(d.street, role="admin", username="street-admin")
        dept = units.create(d.street, "住建办", label="测试")
        prop = units.create(d.communities[0], "安居物业", kind="property", label="测试")
    return {
        "d": d,
        "admin": login_staff(client, admin),
        "steward": login_steward(client, d.stewards[0]),
        "dept": dept,
        "prop": prop,
        "people": {n: login(client, n) for n in "甲乙丙丁戊己庚辛"},
    }


def _act(client, path, headers, body=None):
    res = client.post(f"/api/v1{path}", json=body or {}, headers=headers)
    assert res.status_code in (200, 201), res.get_json()
    return res.get_json()


def _report(client, w, who="甲", content="巷口有垃圾") -> int:
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": content}
    return _act(client, "/issues", w["people"][who], body)["id"]


def _resolve(client, w, issue_id, who="steward"):
    _act(client, f"/issues/{issue_id}/resolve", w[who], {"note": "已处理"})


def test_items_resolved_in_the_month_are_counted_by_how_they_were_solved_to_the_second(
    small_street, client
):
    w = small_street
    with _at(2026, 10, 31, 10):
        first = _report(client, w)
    with _at(2026, 11, 1, 0, 0):  # resolved as November begins: November's
        _resolve(client, w, first)
    with _at(2026, 11, 5):
        escalated = _report(client, w)
        _act(client, f"/issues/{escalated}/escalate", w["steward"], {"note": "需社区处理"})
    with _at(2026, 11, 6):
        _resolve(client, w, escalated, "admin")
    with _at(2026, 11, 7):
        whistled = _report(client, w)
        _act(client, f"/issues/{whistled}/escalate", w["steward"], {"note": "需物业处理"})
        body = {"unit_id": w["prop"].id, "tier": "ordinary", "note": "请物业处理"}
        _act(client, f"/issues/{whistled}/whistle", w["admin"], body)
    with _at(2026, 11, 8):
        _resolve(client, w, whistled, "admin")
    with _at(2026, 11, 30, 10):
        last = _report(client, w)
    with _at(2026, 12, 1, 0, 0):  # resolved as December begins: not November's
        _resolve(client, w, last)

    def levels():
        with _at(2026, 12, 2):
            b = bulletin.build(w["d"].street, Month(2026, 11))
        lines = {x.name: x for x in b.communities + b.units}
        return b, lines

    b, lines = levels()
    assert b.levels == {"现场解决": 1, "上报社区": 1, "吹哨联合": 1} and b.resolved == 3
    assert lines["第1社区"].levels == {"现场解决": 1, "上报社区": 1, "吹哨联合": 1}
    assert lines["安居物业"].levels == {"吹哨联合": 1}
    assert (lines["安居物业"].community, lines["住建办"].community) == ("第1社区", "")
    assert lines["住建办"].levels == {}

    # items closed before levels were stored: the trail decides, and a stored level wins
    Issue.update(resolution_level=None).execute()
    b, lines = levels()
    assert b.levels == {"现场解决": 1, "上报社区": 1, "吹哨联合": 1}
    Issue.update(resolution_level=handling.JOINT).where(Issue.id == first).execute()
    b, lines = levels()
    assert b.levels == {"现场解决": 0, "上报社区": 1, "吹哨联合": 2}
    assert lines["第1社区"].levels == {"上报社区": 1, "吹哨联合": 2}


# --- the notable items ------------------------------------------------------------------------

LONG = "南门巷口的垃圾桶已经满了三天没有人清运，气味很大，夏天蚊蝇很多，老人孩子经过都捂着鼻子走，希望尽快处理"


def test_the_months_notable_items_the_longest_overdue_at_its_end_and_the_most_followed(
    small_street, client
):
    """Nine items left open: X reported on 31 October (followed by three), Y as November
    began (whistled to 住建办 at once), n0–n6 on 2–8 November at 09:00 (each due 48 hours
    later); X is withdrawn after the month's end, and the bulletin is made on 5 December."""
    w = small_street
    people = list(w["people"].values())

    def follow(issue_id, n):
        for h in people[1 : n + 1]:
            _act(client, f"/issues/{issue_id}/follow", h)

    with _at(2026, 10, 31, 23, 59):
        x = _report(client, w, content="十月底的一件")
        follow(x, 3)
    with _at(2026, 11, 1, 0, 0):
        y = _report(client, w, content=LONG)
        follow(y, 1)
        _act(client, f"/issues/{y}/escalate", w["steward"], {"note": "需部门处理"})
        body = {"unit_id": w["dept"].id, "tier": "ordinary", "note": "请住建办处理"}
        _act(client, f"/issues/{y}/whistle", w["admin"], body)
    n = []
    for day, followers in zip(range(2, 9), (1, 3, 2, 2, 1, 1, 0), strict=True):
        with _at(2026, 11, day):
            n.append(_report(client, w, content=f"第{day}天的事"))
            follow(n[-1], followers)
    with _at(2026, 11, 3, 10):
        private = _report(client, w, content="楼上邻居吵架")
    Issue.update(category="邻里纠纷").where(Issue.id == private).execute()
    with _at(2026, 12, 1, 10):
        _act(client, f"/issues/{x}/cancel", w["people"]["甲"], {"reason": "已自行解决"})
    with _at(2026, 12, 5):
        b = bulletin.build(w["d"].street, Month(2026, 11))

    # the open at the month's end and past their deadline, the longest first, five of them:
    # X (withdrawn only afterwards), Y, n0, n1, then the private one (due an hour after n1)
    assert [i.id for i in b.longest_overdue] == [x, y, n[0], n[1], private]
    x_line, y_line, n0_line = b.longest_overdue[:3]
    assert (x_line.status, x_line.overdue_days, x_line.followers) == ("cancelled", 28, 0)
    assert y_line == Notable(
        id=y,
        number=Issue.get_by_id(y).number,
        community="第1社区",
        alley="1区1巷",
        category="环境卫生",
        content=LONG[:39] + "…",
        status="whistled",
        deadline=datetime(2026, 11, 2, 16),
        overdue_days=28,  # to the month's end (1 December), not to 5 December
        followers=0,
        unit="住建办",
    )
    assert (n0_line.overdue_days, n0_line.unit, n0_line.content) == (26, "", "第2天的事")
    assert b.longest_overdue[4].content == "（内容不公开，请在小程序查看）"
    # reported in the month, the most followed first, ties by number; X (October's) is not
    assert [(i.id, i.followers) for i in b.most_followed] == [
        (n[1], 3),
        (n[2], 2),
        (n[3], 2),
        (y, 1),
        (n[0], 1),
    ]
    assert b.most_followed[3].unit == "住建办"


def test_a_board_of_several_reads_their_names_in_order_with_the_enumeration_comma():
    b = _bulletin(honour_size=2)
    b.street = Area(id=1, name="示范街道", kind="street")
    b.communities = _ranked(90, 80, 70, 60, 50)
    b.units = _ranked(95, 85, 75, 65)
    names = [x.name for x in b.communities]
    card = bulletin.card_markdown(b, "L").splitlines()
    assert card[3:5] == [f"红榜：{names[0]}、{names[1]}", f"待改进：{names[4]}、{names[3]}"]
    text = bulletin.plain_text(b).splitlines()
    assert f"  红榜：{names[0]}、{names[1]}" in text and f"  待改进：{names[4]}、{names[3]}" in text
    units = [x.name for x in b.units]
    assert f"  红榜：{units[0]}、{units[1]}" in text and f"  待改进：{units[3]}、{units[2]}" in text


def test_a_ranking_with_nobody_in_it_says_so_and_a_line_without_a_score_shows_a_dash():
    b = _bulletin(honour_size=3)
    b.street = Area(id=1, name="示范街道", kind="street")
    b.communities = _ranked(90, None)
    text = bulletin.plain_text(b).splitlines()
    first, second = (x.name for x in b.communities)
    ranked = next(t for t in text if f" {first} " in t)
    unscored = next(t for t in text if f" {second} " in t)
    assert ranked.startswith(f"  1 {first}  件数 9  ") and ranked.endswith("  超期 0  得分 90.0")
    assert unscored.startswith(f"  — {second}  件数 9  ") and unscored.endswith("  超期 0  得分 —")
    at = text.index("部门与物业排名")
    assert text[at + 1] == "  （无）" and text[at + 2] == ""
    assert "  （无）" not in text[: text.index("社区排名") + 2]
