"""The group bot's commands: a registry, the parser, and one module of commands per theme.

A command is declared with a decorator that only registers it (errbot/zulip style)::

    @command("接单", usage="接单 N", roles=(STEWARD, STAFF))
    def accept(ctx, args):
        \"\"\"接下一件诉求，开始办理。\"\"\"
        ...
        return "已接单 #12 …"

The docstring is the `帮助` text; `roles` says who the help shows it to (the workflow still
decides who may do it). A handler receives the `Context` (who is asking, through which
channel, with which photos) and the text after the command word, calls the same workflow
function the API calls (`core.items.issues`, `core.items.wishes`, `core.items.patrols`, …)
with the sender's `Principal` — so the permission checks are the workflow's own — and returns
one short Chinese line. A workflow refusal (`ApiError`) becomes one line in `bot.engine`.

Input is forgiven in the command word and the number only: full-width digits, letters and
spaces, `#12`, `12号`, `第12号`, the full number `S2611220001`, an @-mention of the bot before
the command, and a missing space between the command and its number (`接单12`). Everything
after the number — notes, reasons — is kept exactly as typed, punctuation included.

Modules: `registry` (the decorator, `Context`, help lines), `parsing` (reading a message),
`understanding` (everyday phrasings, greetings, the nearest command to a typo), `replies`
(shared reply pieces), then the commands by theme: `help`, `todo`, `issues`,
`wishes`, `staff`, `units` (handling units' 报到, 进展, 退回 and staff's 催办), `care` (answers
to a care alert's private list: 已联系, 已上门, 需帮助), `activities`, `boards` (the answer to a
board check), `binding`, `timebank`, `ledger` (records proposed from a steward's words: `是`,
`改 巡查`). Importing this package registers them
all, in the order `帮助` lists them.
"""

# The theme modules register their commands when imported, in this order: the order `帮助`
# lists them in. Keep it by hand (isort would make it alphabetical).
from bot.commands import help, todo, issues, wishes, staff, units, care  # noqa: F401, I001
from bot.commands import activities, boards, binding, timebank, ledger  # noqa: F401, I001
from bot.commands.parsing import Needs, normalize, parse, split
from bot.commands.registry import COMMANDS, Context, allowed, command, short_help
from bot.commands.replies import issue_title, mark_used, photo_window
from bot.commands.timebank import PASSBOOK_LINES
from bot.commands.help import greet
from bot.commands.understanding import closest, greeted, phrase

__all__ = [
    "COMMANDS",
    "PASSBOOK_LINES",
    "Context",
    "Needs",
    "allowed",
    "closest",
    "command",
    "greet",
    "greeted",
    "issue_title",
    "mark_used",
    "normalize",
    "parse",
    "photo_window",
    "phrase",
    "short_help",
    "split",
]
