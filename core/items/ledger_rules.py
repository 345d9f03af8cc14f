"""What a steward's words to the bot are a record of: the transparent rule table (issue 32).

A steward @-mentions the bot with a photo and a few words and no command ("帮张奶奶把漏水的
水龙头换了"); `guess` reads them with three tables a steward or a reviewer can check by eye,
no model and no scoring:

1. `VISIT_WORDS` (看望, 走访, 上门 …) make it a visit (走访), `PATROL_WORDS` (巡查, 走了一圈 …)
   a patrol (巡查); a visit word wins over a patrol word ("巡查时上门看望了李大爷" is a visit).
2. Anything else is a 随手做, its category the first one in `CATEGORY_WORDS` (in that order)
   with a keyword in the words. The order puts what was fixed before whom it was for: "帮张
   奶奶把漏水的水龙头换了" is 设施损坏 (水龙头), not 助老帮残 (奶奶). Nothing matched: 其他.
3. `recognised` says whether any word of the tables was found: words without one, and without
   a photo, are not taken for a record (the bot answers them as before).

Categories are configuration (`ISSUE_CATEGORIES`): a guessed one that is not configured falls
back to 其他, or to the first configured category.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FIX, PATROL, VISIT = "fix", "patrol", "visit"
KIND_NAMES = {FIX: "随手做", PATROL: "巡查", VISIT: "走访"}
KIND_BY_NAME = {name: kind for kind, name in KIND_NAMES.items()}

VISIT_WORDS = ("看望", "走访", "上门", "探望", "慰问", "家访", "入户", "拜访", "看了看")
PATROL_WORDS = ("巡查", "走了一圈", "转了一圈", "巡了一圈", "巡逻", "巡视", "巡了", "转了转")

# In this order: the first category with a keyword in the words is the guess.
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "私拉电线/安全隐患",
        ("电线", "飞线", "拉线", "充电", "隐患", "消防", "灭火器", "煤气", "燃气", "漏电"),
    ),
    ("邻里纠纷", ("纠纷", "吵架", "矛盾", "调解", "劝和", "噪音")),
    ("治安巡防", ("可疑", "治安", "防盗", "小偷", "被盗", "陌生人")),
    (
        "设施损坏",
        (
            "水龙头",
            "路灯",
            "楼道灯",
            "灯泡",
            "井盖",
            "坏了",
            "损坏",
            "破损",
            "修好",
            "修了",
            "维修",
            "修理",
            "修补",
            "更换",
            "换了",
            "漏水",
            "水管",
            "栏杆",
            "座椅",
            "门锁",
            "单元门",
            "台阶",
            "下水道",
            "堵了",
            "疏通",
        ),
    ),
    (
        "环境卫生",
        (
            "垃圾",
            "清理",
            "清扫",
            "打扫",
            "杂物",
            "卫生死角",
            "落叶",
            "积水",
            "污水",
            "小广告",
            "堆放",
            "粪便",
            "异味",
            "扫了",
            "捡了",
            "清运",
            "除草",
            "杂草",
        ),
    ),
    ("车辆乱停", ("乱停", "停车", "挪车", "挪走", "电动车", "自行车", "占道", "僵尸车", "车辆")),
    ("政策咨询", ("政策", "咨询", "医保", "社保", "低保", "补贴", "办证", "解答", "宣传")),
    (
        "助老帮残",
        (
            "老人",
            "奶奶",
            "爷爷",
            "大爷",
            "大妈",
            "大娘",
            "残疾",
            "轮椅",
            "独居",
            "助老",
            "买菜",
            "送药",
            "送饭",
            "陪同",
            "帮老人",
            "搀扶",
        ),
    ),
)
OTHER = "其他"


@dataclass(frozen=True)
class Guess:
    kind: str  # FIX | PATROL | VISIT
    category: str | None  # a 随手做's category (configured), None for patrols and visits
    recognised: bool  # some word of the tables was found
    word: str | None  # the word that decided it (for the audit trail)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def first_word(text: str, words) -> str | None:
    norm = _norm(text)
    return next((w for w in words if w in norm), None)


def category_for(text: str, configured: list[str]) -> tuple[str, str | None]:
    """The category the words name (its keyword), or 其他 (None) when none does."""
    for name, words in CATEGORY_WORDS:
        word = first_word(text, words)
        if word is not None and name in configured:
            return name, word
    return fallback(configured), None


def fallback(configured: list[str]) -> str:
    return OTHER if OTHER in configured or not configured else configured[0]


def guess(text: str, configured: list[str]) -> Guess:
    """The record the words are most likely of (see the module's rules)."""
    word = first_word(text, VISIT_WORDS)
    if word is not None:
        return Guess(VISIT, None, True, word)
    word = first_word(text, PATROL_WORDS)
    if word is not None:
        return Guess(PATROL, None, True, word)
    category, word = category_for(text, configured)
    return Guess(FIX, category, word is not None, word)


# --- a visit's household, among the steward's own ------------------------------------------

# How people name an elder or a neighbour by surname: 张奶奶, 李大爷, 王阿姨.
KIN_WORDS = (
    "奶奶",
    "爷爷",
    "大爷",
    "大妈",
    "大娘",
    "阿姨",
    "叔叔",
    "婆婆",
    "伯伯",
    "老人",
    "老太",
    "老爷子",
    "师傅",
    "大姐",
    "大哥",
)
_KIN = re.compile("(.)(?:" + "|".join(KIN_WORDS) + ")")


def names_household(text: str, head_name: str, address: str, members: list) -> bool:
    """Whether the words name this household: a full name of its head or a member, its
    address (or the address without its street part: "3号楼201"), or a surname with a
    kinship word ("张奶奶") that one of its people's names starts with."""
    norm = _norm(text)
    names = [head_name, *(m.get("name", "") for m in members if isinstance(m, dict))]
    names = [n for n in names if n]
    if any(len(n) >= 2 and n in norm for n in names):
        return True
    address = _norm(address)
    if address and (address in norm or _address_tail(address) in norm):
        return True
    surnames = {m.group(1) for m in _KIN.finditer(norm)}
    return any(n[0] in surnames for n in names)


def _address_tail(address: str) -> str:
    """ "南门巷3号楼201" → "3号楼201": the part after the last street word, at least 3 long."""
    match = re.search(r"(?:巷|街|路|里|胡同|小区|院)(?=[^巷街路里院]*$)", address)
    tail = address[match.end() :] if match else address
    return tail if len(tail) >= 3 else "\0"  # too short to name one household
