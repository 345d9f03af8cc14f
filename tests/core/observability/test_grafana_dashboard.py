"""docs/grafana-dashboard.json: an importable dashboard whose every query names only metrics
the app exports (read from a real scrape, parsed by prometheus_client's parser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "grafana-dashboard.json"
TOKEN = "scrape-secret-2"

# PromQL words that are not metric names (functions are told apart by their "(").
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan",
}  # fmt: skip
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*")  # not a number's unit


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (a small tokenizer, enough for ours)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = _GROUPING.sub("", text)
    names = set()
    for match in _NAME.finditer(text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group().lower() in KEYWORDS:
            continue  # a function call or a keyword
        names.add(match.group())
    return names


def exported(client) -> set[str]:
    """Every series name a scrape can hold: each family's samples, by its type."""
    res = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 200
    names = set()
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_count", "_sum"),
        "gauge": ("",),
    }
    for family in text_string_to_metric_families(res.get_data(as_text=True)):
        names.update(sample.name for sample in family.samples)
        # a labelled family with no series yet (no fault so far) still names its series
        names.update(family.name + s for s in suffixes.get(family.type, ("",)))
    return names


def queries(dashboard: dict) -> list[tuple[str, str]]:
    found = []
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                found.append((inner["title"], target["expr"]))
    return found


def test_the_tokenizer_finds_the_names():
    assert metric_names(
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{status=~"5.."}[5m])))'
    ) == {"a_bucket"}
    assert metric_names("time() - max by (job) (b) / c offset 5m or vector(0)") == {"b", "c"}


def test_every_query_names_only_exported_metrics(app):
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()
    client.get("/healthz")  # a request, so the request metrics have series
    names = exported(client)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = queries(dashboard)
    assert len(found) >= 20
    for title, expr in found:
        used = metric_names(expr)
        assert used, f"{title}: {expr} reads no metric"
        assert used <= names, f"{title}: {expr} reads {sorted(used - names)}, not exported"


def test_the_dashboard_imports(app):
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    # Grafana's import asks for the data source named in __inputs; every panel uses it
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
            assert all(t["datasource"]["uid"] == "${DS_PROMETHEUS}" for t in panel["targets"])
