"""The demo's day of records made from the group (issue 32): yesterday 王秀英 told the bot in
槐树社区's group what she had done, with photos, and answered each proposal with 是.

Written through `core.items.proposals` — the same propose-then-confirm the bot runs for a
message in the group — with the clock moved back to each moment (`infra.timeutil.clock_at`),
so the records are the very 随手做, patrol and visit the bot would have written, and this
morning's 通报 carries her day (`王秀英：随手做 2，巡查 2，走访 1`: her daily patrol of the
demo's history is the other 巡查). One more proposal, 李建国's, was never answered: it expired
and recorded nothing.
"""

from __future__ import annotations

import io

from PIL import Image

from core import media
from core.demo_history import GROUPS, _Demo
from core.items import proposals
from core.people.permissions import Principal
from infra.timeutil import clock_at
from models import Area, Steward, User

STEWARD = ("王秀英", "wangxiuying")
# (local hour yesterday, what she said, photos with it)
SAID = (
    (10.1, "帮王大爷把漏水的水龙头换了", ("#3a7bd5",)),
    (10.7, "清理了南门巷口堆放的杂物", ("#6a994e", "#a7c957")),
    (15.3, "看望了孙奶奶，身体挺好，叮嘱她天冷注意保暖", ()),
    (17.5, "傍晚又在巷子里走了一圈，路灯都亮", ("#f2c14e",)),
)
UNANSWERED = ("李建国", "lijianguo", 16.0, "把倒在路边的共享单车扶起来摆好了")


def _photo(colour: str, user: User) -> int:
    buf = io.BytesIO()
    Image.new("RGB", (480, 360), colour).save(buf, "JPEG")
    return media.save_image(buf.getvalue(), user).id


def _principal(name: str) -> Principal:
    steward = Steward.get(Steward.name == name)
    return Principal.for_user(User.get_by_id(steward.user_id))


def write(street: Area) -> list[str]:
    demo = _Demo(street)
    chat_id = next(g[2] for g in GROUPS if g[0] == "槐树社区" and g[4] == "stewards")
    name, sender = STEWARD
    p = _principal(name)
    recorded = 0
    for hour, words, colours in SAID:
        with clock_at(demo.at(1, hour)):
            photos = [_photo(c, p.user) for c in colours]
            said = proposals.Said(sender, "aibot", chat_id)
            proposal = proposals.propose(p, said, words, photos)
        with clock_at(demo.at(1, hour + 0.05)):  # 是, three minutes later
            proposals.confirm(p, proposal)
            recorded += 1
    other, other_sender, hour, words = UNANSWERED
    with clock_at(demo.at(1, hour)):
        q = _principal(other)
        proposals.propose(q, proposals.Said(other_sender, "aibot", chat_id), words, [])
    with clock_at(demo.at(0, 7)):
        proposals.pending(other_sender)  # looked at this morning: expired, nothing recorded
    return [f"群里记账：{name}昨天在槐树社区小巷管家群里发文字和照片，回复“是”记下 {recorded} 条"]
