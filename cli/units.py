"""Handling units from the command line: `units add`, `units list` (departments and property
companies that a whistle hands an item to). A unit member's login is `create-staff --role
unit --unit ID`; their WeChat bind code `bind-code --unit-member USERNAME`."""

from __future__ import annotations

import json

import click

from cli.common import CLI_LABEL, fail
from core.units import units
from infra.errors import ApiError
from models import Area, Department


@click.group("units")
def units_command():
    """Handling units (departments, property companies): add one, list them."""


@units_command.command("add")
@click.option("--area", "area_id", required=True, type=int, help="Street or community id.")
@click.option("--kind", type=click.Choice(units.KINDS), required=True)
@click.option("--name", required=True, help="The unit's name, e.g. 住建办 or 某某物业.")
@click.option("--phone", default="", help="The phone shown to residents.")
@click.option("--contact", "contact_name", default="", help="Its contact person.")
def units_add_command(area_id: int, kind: str, name: str, phone: str, contact_name: str):
    """Register a handling unit of a street or community."""
    area = Area.get_or_none(Area.id == area_id) if -(2**63) <= area_id < 2**63 else None
    if area is None:
        fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
    try:
        unit = units.create(area, name, phone, contact_name, kind=kind, label=CLI_LABEL)
    except ApiError as exc:
        fail(exc.message)
    click.echo(f"已登记{units.KIND_LABELS[kind]} {unit.id}：{unit.name}（{area.label_path}）")


@units_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def units_list_command(as_json: bool):
    """Show every unit with its kind, area and members."""
    rows = [
        units.as_dict(u, with_members=True)
        for u in Department.select(Department, Area)
        .join(Area)
        .order_by(Area.path, Department.kind, Department.name, Department.id)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(
            "还没有登记任何单位。可用 units add --area ID --kind department --name 名称 登记。"
        )
    for row in rows:
        members = "、".join(f"{m['name']}({m['username']})" for m in row["members"]) or "无成员"
        click.echo(
            f"{row['id']}\t{row['kind_label']}\t{row['name']}\t{row['area_name']}"
            f"\t{row['phone'] or '-'}\t{members}" + ("" if row["active"] else "\t已停用")
        )
