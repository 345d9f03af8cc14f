"""What a steward means when the message does not start with a command word.

Three readings, tried in this order after the command words (`bot.commands.parsing.split`):

1. **Everyday phrasings** run as the command they mean: `完成 12 已清理` and `12 办好了` are
   `办结 12`, `收到 12` / `我来 12` are `接单 12`, `看看 12` is `详情 12`; with a wish's number
   (`完成 心愿3 …`, `我来 心愿3`) they are the wish's command (`实现`, `认领`). A phrase that
   acts on an item needs the number right after it — `收到` alone is chatter, and so is
   `收到12点开会` (the number must stand alone: followed by a space, punctuation, 号 or the
   end). Phrases without a number (`有什么事` → 待办) and the number-first forms (`12 搞定了`)
   count only when the message is addressed to the bot; so does anything after the number in
   a message that is not (the relay hears the whole group).
2. **Greetings and thanks** addressed to the bot (`你好`, `谢谢`, `辛苦了`, `在吗`) get one
   friendly line (see `bot.commands.help.greet`).
3. **Typos** get the nearest command back as a question, never run: a workflow action must not
   run on a guess (`办洁 16 已处理` → 您是要“办结 16 已处理”吗？). Nearest is by sound first
   (pypinyin: the same syllables as the command, then near syllables — zh/z, an/ang …), then
   by shape (characters that share a component with the command's: 洁/结, 丹/单), as a
   weighted edit distance over the characters; so `办节` is 办结 (the same syllables), not
   待办 (which only shares the character 办, in the wrong place).

A message none of these reads is not for the bot unless it was addressed to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from bot.commands.parsing import ALONE, SEPARATORS, issue_match, nfkc, wish_match
from bot.commands.registry import COMMANDS, NAMES, Command

# --- everyday phrasings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    command: str  # what it means on an issue's number (or with no number)
    wish_command: str | None = None  # what it means on a wish's number (心愿3)
    number: bool = True  # must be followed by an item's number
    note: bool = False  # (no number) the words after it are the command's note (签到 一切正常)


_RESOLVE = Phrase("办结", "实现")
_ACCEPT = Phrase("接单", "认领")
_DETAILS = Phrase("详情")
_ESCALATE = Phrase("上报")

PHRASES: dict[str, Phrase] = {}


def _say(phrase: Phrase, *words: str) -> None:
    for word in words:
        PHRASES[word] = phrase


_say(
    _RESOLVE,
    *("完成", "完成了", "已完成", "做完了", "办好了", "办好", "已办好", "办完了", "已办完"),
    *("已办", "已办结", "办结了", "搞定", "搞定了", "已搞定", "处理好了", "已处理好"),
    *("处理完了", "已处理", "解决了", "已解决", "弄好了", "修好了", "已修好", "结单", "销号"),
)
_say(
    _ACCEPT,
    *("收到", "我来", "我来处理", "我来办", "我去", "我去处理", "我去看看", "我接"),
    *("我接了", "接了", "已接单", "接单了", "马上去", "马上处理", "这就去", "领单"),
)
_say(
    _DETAILS,
    *("看看", "看一下", "看下", "瞧瞧", "查一下", "查下", "查查", "查询", "什么情况"),
    *("啥情况", "怎么回事", "详细", "详细情况", "具体情况"),
)
_say(_ESCALATE, "报社区", "请社区协调", "需要社区协调", "解决不了", "处理不了", "搞不定", "办不了")
_say(
    Phrase("待办", number=False),
    *("有什么事", "有啥事", "有事吗", "有什么任务", "我的任务", "任务", "待处理", "有活吗"),
    *("还有什么没办", "还有啥没办", "查待办", "待办事项", "要办的事", "今天干啥"),
)
_say(Phrase("巡查", number=False, note=True), "签到", "巡逻", "巡街")
_say(Phrase("积分", number=False), "我的积分", "查积分", "积分多少", "多少分", "我的分数")
_say(Phrase("存折", number=False), "我的存折", "查存折", "余额")
_say(Phrase("心愿", number=False), "微心愿")
_say(
    Phrase("帮助", number=False),
    *("怎么用", "指令", "命令", "有哪些指令", "用法", "能干什么", "你能做什么", "功能", "?"),
)

# Words that may end a numberless phrase (`有什么事吗？`, `我的积分呢`).
_PARTICLES = re.compile(r"^[吗呢啊呀吧嘛么哈哦啦了？?！!。.～~…\s]*$")


@dataclass
class Meaning:
    command: Command
    args: str  # as the command's handler takes it: the number and the rest, as typed


def _longest_phrase(norm: str) -> str | None:
    lowered = norm.lower()
    found = [w for w in PHRASES if lowered.startswith(w)]
    return max(found, key=len) if found else None


def _numbered(phrase: Phrase, rest: str, addressed: bool) -> Meaning | None:
    """`rest` (as typed) starts with the item's number standing alone: the command to run."""
    for matcher, name in ((wish_match, phrase.wish_command), (issue_match, phrase.command)):
        if name is None:
            continue
        match, norm = matcher(rest)
        if match is None or not ALONE.match(norm[match.end() :]):
            continue
        after = norm[match.end() :].strip(SEPARATORS + "。.！!？?；;")
        if after and not addressed:
            return None  # a number inside someone's sentence in the group: not for the bot
        return Meaning(COMMANDS[name], rest)
    return None


def phrase(text: str, addressed: bool, command_word: str | None = None) -> Meaning | None:
    """The command an everyday phrasing means, or None. `command_word`: the command word
    `split` found at the start, which a longer phrase beginning with it (`接单了`) overrides."""
    norm, index = nfkc(text)
    word = _longest_phrase(norm)
    if word is not None and (command_word is None or len(word) > len(command_word)):
        meant = PHRASES[word]
        rest = text[index[len(word)] :].lstrip(SEPARATORS).rstrip()
        if meant.number:
            return _numbered(meant, rest, addressed)
        if not addressed:
            return None
        if meant.note:
            return Meaning(COMMANDS[meant.command], rest)
        if _PARTICLES.match(nfkc(rest)[0]):  # `有什么事吗？`, not `有什么事要说一下`
            return Meaning(COMMANDS[meant.command], "")
        return None
    if command_word is None and addressed:
        return _number_first(text)
    return None


def _number_first(text: str) -> Meaning | None:
    """`12 办好了，垃圾已清运`, `心愿3 完成了`: the number, then a phrase that needs one. The
    handler gets the whole message, so the note is everything after the number, as typed."""
    for matcher, wish in ((wish_match, True), (issue_match, False)):
        match, norm = matcher(text)
        if match is None:
            continue
        word = _longest_phrase(norm[match.end() :].lstrip(SEPARATORS))
        meant = PHRASES.get(word) if word else None
        if meant is None or not meant.number:
            return None
        name = meant.wish_command if wish else meant.command
        return Meaning(COMMANDS[name], text) if name else None
    return None


# --- greetings ------------------------------------------------------------------------------------

# word → the opening of the answer
GREETINGS = {
    **dict.fromkeys(
        ("你好", "您好", "你们好", "大家好", "hi", "hello", "嗨", "哈喽", "哈啰"), "您好！"
    ),
    **dict.fromkeys(("早", "早上好", "早安", "上午好"), "早上好！"),
    **dict.fromkeys(("中午好",), "中午好！"),
    **dict.fromkeys(("下午好",), "下午好！"),
    **dict.fromkeys(("晚上好", "晚安"), "晚上好！"),
    **dict.fromkeys(("在吗", "在不在", "在么", "在嘛", "在"), "在的！"),
    **dict.fromkeys(
        ("谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "谢了", "thanks", "thx"), "不客气！"
    ),
    **dict.fromkeys(("辛苦了", "辛苦", "辛苦啦", "麻烦了", "麻烦你了"), "您辛苦了！"),
    **dict.fromkeys(
        (
            "好的",
            "好",
            "收到",
            "嗯",
            "嗯嗯",
            "ok",
            "okay",
            "明白",
            "知道了",
            "了解",
            "👍",
            "👌",
            "🙏",
        ),
        "好的！",
    ),
}
# What may stand around a greeting without changing it: the bot's name typed without @,
# particles, and punctuation (removed before matching).
_FILLER = (
    "小巷管家",
    "管家",
    "机器人",
    "大家",
    "您",
    "你",
    "呀",
    "啊",
    "哈",
    "哦",
    "啦",
    "呢",
    "吧",
    "了",
)
_GREETING_WORDS = sorted((*GREETINGS, *_FILLER), key=len, reverse=True)  # longest first
_NOT_WORD = re.compile(r"[\s\u3000\u2005.,!?;:~，。！？；：～、…'\"“”‘’()（）\-—]+")


def greeted(text: str) -> str | None:
    """The answer's opening when the whole message is a greeting or thanks, else None."""
    rest = _NOT_WORD.sub("", nfkc(text)[0].lower())
    first = None
    while rest:
        word = next((w for w in _GREETING_WORDS if rest.startswith(w)), None)
        if word is None:
            return None
        if first is None and word in GREETINGS:
            first = word
        rest = rest[len(word) :]
    return GREETINGS[first] if first else None


# --- typos: the nearest command by sound and shape --------------------------------------------------

# Characters often typed for a command's characters that look alike (they share a component:
# 洁 and 结 share 吉). Only the commands' own characters are listed: they are all a typo is
# ever compared with. Sound-alikes need no entry: pinyin finds them.
_SHAPES = {
    "办": "为力苏", "结": "洁桔吉诘拮绪", "待": "侍持特诗等", "详": "洋祥样翔羊",
    "情": "清请晴精静睛青", "接": "按挨妾椄", "单": "丹但担弹箪", "上": "土止卡",
    "报": "抱服极", "巡": "迅讯训川逊", "查": "杳香渣楂", "心": "必沁", "愿": "原源恩",
    "认": "队议以人", "领": "岭令零铃邻", "实": "买头宝", "现": "观规见视砚",
    "放": "仿访方旅故", "弃": "卉开奔", "通": "诵桶痛涌甬道", "过": "边达进讨寸",
    "驳": "较骏驶", "回": "四同", "公": "么松翁会", "开": "井并升弃", "派": "脉泒旅",
    "吹": "次欢炊吵", "哨": "稍捎梢悄消削宵", "积": "织识职枳帜", "分": "份纷芬粉扮汾",
    "存": "在孖字荐", "折": "拆析所斩哲浙", "帮": "邦绑梆", "助": "组阻租肋祖姐",
    "绑": "帮邦梆", "定": "淀锭绽", "名": "各多铭", "活": "话括刮恬舌", "动": "劝运幼云",
    "打": "扛订灯", "卡": "上下占卞", "不": "下丕杯还", "看": "着省盾眉", "菜": "采彩莱",
    "墙": "啬樯蔷",
}  # fmt: skip
# Syllables people type for each other (southern accents, or a near key in a pinyin IME).
_NEAR_INITIALS = ({"z", "zh"}, {"c", "ch"}, {"s", "sh"}, {"n", "l"}, {"f", "h"}, {"r", "l"})
_NEAR_FINALS = ({"an", "ang"}, {"en", "eng"}, {"in", "ing"}, {"ian", "iang"}, {"uan", "uang"})

SAME_SOUND, SAME_SOUND_OTHER_TONE, NEAR_SOUND, SAME_SHAPE = 0.95, 0.85, 0.6, 0.6
GUESS_AT = 0.6  # the least similarity (0..1) that is worth suggesting


@dataclass(frozen=True)
class _Sound:
    toned: str  # ban4
    plain: str  # ban
    initial: str  # b
    final: str  # an


@lru_cache(maxsize=2048)  # the commands' names, and what people type (bounded: it is anything)
def _sounds(word: str) -> tuple[_Sound, ...]:
    """Each character's reading in context (pypinyin picks the reading a word uses)."""
    toned = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
    initials = lazy_pinyin(word, style=Style.INITIALS, strict=False)
    finals = lazy_pinyin(word, style=Style.FINALS, strict=False)
    if not (len(toned) == len(initials) == len(finals) == len(word)):  # non-Chinese text
        return tuple(_Sound(c, c, c, c) for c in word)
    return tuple(
        _Sound(t, t.rstrip("012345"), i, f) for t, i, f in zip(toned, initials, finals, strict=True)
    )


def _near(a: str, b: str, groups) -> bool:
    return a == b or any(a in g and b in g for g in groups)


def char_similarity(a: str, sa: _Sound, b: str, sb: _Sound) -> float:
    """How alike two characters are for a typo: 1 the same, by sound, then by shape."""
    if a == b:
        return 1.0
    sound = 0.0
    if sa.toned == sb.toned:
        sound = SAME_SOUND
    elif sa.plain == sb.plain:
        sound = SAME_SOUND_OTHER_TONE
    elif _near(sa.initial, sb.initial, _NEAR_INITIALS) and _near(sa.final, sb.final, _NEAR_FINALS):
        sound = NEAR_SOUND
    shape = SAME_SHAPE if a in _SHAPES.get(b, "") or b in _SHAPES.get(a, "") else 0.0
    both = 0.04 if sound and shape else 0.0  # 洁 for 结: heard and seen alike
    return min(1.0, max(sound, shape) + both)


def similarity(typed: str, name: str) -> float:
    """1 − the weighted edit distance over the longer length: a substitution costs what the
    two characters differ (`char_similarity`), an insertion or deletion costs 1."""
    ts, ns = _sounds(typed), _sounds(name)
    prev = [float(j) for j in range(len(name) + 1)]
    for i in range(1, len(typed) + 1):
        row = [float(i)]
        for j in range(1, len(name) + 1):
            sub = 1.0 - char_similarity(typed[i - 1], ts[i - 1], name[j - 1], ns[j - 1])
            row.append(min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + sub))
        prev = row
    return 1.0 - prev[-1] / max(len(typed), len(name))


_WORD = re.compile(r"^[^\d\s#＃]{1,6}")


@dataclass
class Guess:
    command: Command
    word: str  # the name (or alias) it sounds or looks like
    score: float
    rest: str  # what followed the typed word, as typed


def closest(text: str, allowed: list[Command] | None = None) -> Guess | None:
    """The command a mistyped first word (`办洁 16 已处理`) most likely meant, or None.

    Among `allowed` (every command when None), names and aliases alike; ties go to the name
    sounding the same in more places, then to the order `帮助` lists commands in."""
    norm, index = nfkc(text)
    match = _WORD.match(norm)
    if match is None:
        return None
    word = match.group(0).strip()
    if not word or word.isascii():
        return None
    usable = {c.name for c in (allowed if allowed is not None else COMMANDS.values())}
    order = list(COMMANDS)
    best: tuple | None = None
    for name, command_name in NAMES.items():
        if name.isascii() or command_name not in usable or len(word) > len(name) + 1:
            continue
        score = similarity(word, name)
        same_sounds = sum(
            a.plain == b.plain for a, b in zip(_sounds(word), _sounds(name), strict=False)
        )
        key = (score, same_sounds, -order.index(command_name))
        if score >= GUESS_AT and (best is None or key > best[0]):
            best = (key, name, command_name)
    if best is None:
        return None
    rest = text[index[match.end()] :].lstrip(SEPARATORS).rstrip()
    return Guess(COMMANDS[best[2]], best[1], best[0][0], rest)
