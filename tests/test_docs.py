"""The README and docs/ against the code: the README stays an index, its demo figures are the
demo's, the commands, `make` targets and settings the documents name exist (and every command
and setting is documented), the bot's commands are all described, and every link to a file
resolves."""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands import COMMANDS
from infra import config
from models import Area, ChatGroup, Department, StaffAccount, Steward

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _all_docs() -> str:
    return "\n".join(_text(p) for p in [README, *DOCS])


def test_the_readme_is_an_index_with_the_two_commands():
    text = _text(README)
    assert len(text.splitlines()) <= 200
    assert "make run" in text and "make test" in text
    assert "make test-quick" in text and "make test-one T=tests/" in text


def test_the_readmes_demo_figures_are_the_demos(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    text = _text(README)
    figures = {
        "communities": Area.select().where(Area.kind == "community").count(),
        "alleys": Area.select().where(Area.kind == "alley").count(),
        "stewards": Steward.select().count(),
        "departments": Department.select().where(Department.kind == "department").count(),
        "property": Department.select().where(Department.kind == "property").count(),
        "unit members": StaffAccount.select().where(StaffAccount.role == "unit").count(),
    }
    for noun, count in figures.items():
        said = re.search(rf"(\d+) (?:\S+ )?{noun}\b", text)
        assert said, f"the README no longer gives the demo's {noun}"
        assert int(said.group(1)) == count, f"README: {said.group(0)}; the demo: {count} {noun}"
    staff = StaffAccount.select().where(StaffAccount.role.in_(("staff", "admin")))
    assert "three console accounts" in text and staff.count() == 3
    assert "a stewards' and a staff group per community" in text
    communities = ChatGroup.select().where(ChatGroup.unit.is_null())
    assert communities.count() == 2 * figures["communities"]
    assert "a group of 住建办's own" in text
    assert ChatGroup.select().where(ChatGroup.unit.is_null(False)).count() == 1
    for login in ("chengguan", "huaishu", "qinghe"):
        assert f"`{login}` / `{login}-demo`" in text


def test_every_command_the_documents_name_exists_and_every_command_is_documented(app):
    commands = app.cli.commands
    named = set(re.findall(r"flask --app app ([a-z][a-z-]+)", _all_docs()))
    assert named and named <= set(commands), named - set(commands)
    operations = _text(ROOT / "docs" / "operations.md")
    table = set(re.findall(r"^\| `([a-z][a-z-]+)[ `]", operations, re.M))
    ours = {
        n for n, c in commands.items() if c.callback.__module__.split(".")[0] in ("cli", "jobs")
    }
    assert ours <= table, f"document these in docs/operations.md: {sorted(ours - table)}"
    for name, command in commands.items():  # a group's subcommands are in its row
        if name in ours and hasattr(command, "commands"):
            row = next(line for line in operations.splitlines() if line.startswith(f"| `{name} "))
            for sub in command.commands:
                assert f"`{name} {sub}" in row or f"{name} {sub} " in row, (name, sub)


def test_every_make_target_the_documents_name_exists():
    makefile = _text(ROOT / "Makefile")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = set(re.findall(r"(?:`|^)make ([a-z][a-z-]+)", _all_docs(), re.M))
    assert {"run", "test", "test-quick", "test-one"} <= named
    assert named <= targets, named - targets


def test_every_setting_is_documented():
    text = _all_docs()
    missing = [key for key in config.DEFAULTS if f"`{key}`" not in text]
    assert not missing, f"document these settings in docs/operations.md: {missing}"


def test_every_bot_command_is_described():
    bot = _text(ROOT / "docs" / "bot.md")
    missing = [c.usage for c in COMMANDS.values() if f"`{c.usage}`" not in bot]
    assert not missing, f"describe these commands in docs/bot.md: {missing}"


def test_every_link_to_a_file_resolves():
    for path in [README, *DOCS]:
        for target in re.findall(r"\]\(([^)\s]+)\)", _text(path)):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file) if file else path
            assert resolved.exists(), f"{path.name}: {target}"
            if anchor and resolved.suffix == ".md":
                assert anchor in _anchors(resolved), f"{path.name}: {target}"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", _text(path), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors
