"""The command registry: `@command` registers a handler (its docstring is the help text), the
`Context` a handler receives, and the help built from what the sender may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from core.delivery import robot
from core.people.permissions import Principal
from infra.errors import ApiError
from infra.timeutil import utcnow
from models import ChatGroup, User

ANYONE, STEWARD, STAFF = "anyone", "steward", "staff"
UNIT = "unit"  # a member of a handling unit (core.units), in the unit's own group


@dataclass
class Command:
    name: str
    usage: str
    handler: Callable[[Context, str], str]
    help: str
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = (STEWARD, STAFF)
    # An answer to a question the bot asked (`是`, `改 巡查`): not offered in the short help,
    # and a command only when what follows the word is what `takes` accepts ("是啊今天好冷"
    # is chatter, not 是).
    listed: bool = True
    takes: Callable[[str], bool] | None = None

    @property
    def anyone(self) -> bool:  # may be used by a sender who is not bound yet
        return ANYONE in self.roles


COMMANDS: dict[str, Command] = {}
NAMES: dict[str, str] = {}  # every name and alias (lower case) → command name


def command(
    name: str,
    usage: str | None = None,
    aliases: tuple[str, ...] = (),
    roles=(STEWARD, STAFF),
    listed: bool = True,
    takes: Callable[[str], bool] | None = None,
):
    """Register a handler under `name`; its docstring is the help text. Nothing else."""

    def register(fn: Callable[[Context, str], str]):
        COMMANDS[name] = Command(
            name=name,
            usage=usage or name,
            handler=fn,
            help=" ".join((fn.__doc__ or "").split()),
            aliases=aliases,
            roles=tuple(roles),
            listed=listed,
            takes=takes,
        )
        for word in (name, *aliases):
            NAMES[word.lower()] = name
        return fn

    return register


@dataclass
class Context:
    """Who is asking, and through which channel."""

    sender: str  # the WeCom user id (or the bridge's sender id)
    channel: str  # aibot | app | bridge
    principal: Principal | None = None  # None: not bound yet
    user: User | None = None
    group: ChatGroup | None = None  # the group the message came from, when known
    now: datetime = field(default_factory=utcnow)
    in_group: bool = False  # said in a group chat (where the smart bot needs an @)
    addressed: bool = True  # said to the bot (an @, or a channel that hears only that)

    @property
    def p(self) -> Principal:
        if self.principal is None:  # the engine never calls such handlers without one
            raise ApiError(403, "not_bound", "请先绑定")
        return self.principal

    @property
    def roles(self) -> set[str]:
        p = self.principal
        if p is None:
            return {ANYONE}
        return (
            {ANYONE}
            | ({STEWARD} if p.stewards else set())
            | ({STAFF} if p.is_staff else set())
            | ({UNIT} if p.unit_ids else set())
        )

    def call(self, text: str) -> str:
        """How to send `text` here: `@小巷管家 接单 12` in a group, as is in a single chat."""
        return robot.bot_call(text) if self.in_group else text


# --- help -------------------------------------------------------------------------------------


def allowed(ctx: Context) -> list[Command]:
    roles = ctx.roles
    return [c for c in COMMANDS.values() if roles & set(c.roles)]


def short_help(ctx: Context) -> str:
    usable = [
        c.usage for c in allowed(ctx) if c.listed and not (c.anyone and ctx.principal is not None)
    ]
    if ctx.principal is None:
        usable = [c.usage for c in allowed(ctx)]
    how = (
        f"在群里请先 @{current_app.config['BOT_NAME']}，例如“{robot.bot_call('接单 12')}”。"
        if ctx.in_group
        else ""
    )
    return f"可用指令：{'、'.join(usable)}。{how}发送“{ctx.call('帮助 接单')}”查看说明"
