"""The monitoring the repository provisions is valid as the real tools read it: Prometheus's
configuration and alert rules by Debian's promtool (each alert fired on the series that should
raise it: deploy/prometheus/alerts_test.yml), Grafana's data source and dashboard by their
structure, and the compose file mounting what they need where they look for it.

Which metric names the dashboard and the alerts ask for is checked against real scrapes in
tests/integration/test_metrics.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "hdnd.json"
HDND_NAME = re.compile(r"\bhdnd_[a-z0-9_]+")


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_exprs() -> list[str]:
    return [t["expr"] for panel in dashboard()["panels"] for t in panel["targets"]]


def alert_exprs() -> list[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def metric_names(exprs: list[str]) -> set[str]:
    """The hdnd metrics (sample names: `_bucket`, `_total` …) that PromQL expressions read."""
    return {name for expr in exprs for name in HDND_NAME.findall(expr)}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def promtool(*args: str) -> str:
    tool = shutil.which("promtool")
    assert tool is not None, "promtool is missing: `make prometheus` installs Debian's package"
    done = subprocess.run(
        [tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_finds_the_configuration_and_the_alert_rules_valid() -> None:
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")
    assert "SUCCESS: 11 rules found" in promtool("check", "rules", "alerts.yml")


def test_every_alert_fires_on_what_should_raise_it_and_not_before() -> None:
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS / "alerts_test.yml").read_text()))
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"][0]["rules"]
    assert tested == {rule["alert"] for rule in rules}
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml")


def test_prometheus_scrapes_the_three_services_where_compose_runs_them() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    hdnd = next(job for job in config["scrape_configs"] if job["job_name"] == "hdnd")
    targets = {c["labels"]["service"]: c["targets"] for c in hdnd["static_configs"]}
    services = compose()["services"]
    for name, (target,) in targets.items():
        host, port = target.split(":")
        assert host == name and services[name]["command"][-1] == port, (name, target)
    assert set(targets) == {"meetings", "oversight", "reporting"}


def test_grafana_is_provisioned_from_the_repository_with_one_data_source_and_the_dashboard() -> (
    None
):
    source = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (datasource,) = source["datasources"]
    assert datasource["url"] == "http://prometheus:9090" and datasource["type"] == "prometheus"
    loader = yaml.safe_load((GRAFANA / "provisioning/dashboards/hdnd.yml").read_text())
    (provider,) = loader["providers"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in compose()["services"]["grafana"]["volumes"]}
    assert mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    prometheus_mounts = compose()["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus_mounts

    board = dashboard()
    assert board["uid"] and board["schemaVersion"] >= 36
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert all(t["datasource"]["uid"] == datasource["uid"] for t in panel["targets"])


def test_the_dashboard_panels_fill_the_grid_without_overlapping() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard()["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, (panel["title"], cells.get((x, y)))
                cells[(x, y)] = panel["title"]


@pytest.mark.parametrize(
    ("panel", "names"),
    [
        ("Consumer lag per partition", {"hdnd_consumer_lag_records"}),
        ("Outbox backlog", {"hdnd_outbox_pending_rows"}),
        ("Oldest unpublished row", {"hdnd_outbox_oldest_pending_age_seconds"}),
        ("Dead letters by type", {"hdnd_dead_letters_total"}),
        ("Request latency p50 / p99 by route", {"hdnd_http_request_duration_seconds_bucket"}),
        ("Requests by status", {"hdnd_http_request_duration_seconds_count"}),
        ("Projection flush duration p50 / p99", {"hdnd_projection_flush_duration_seconds_bucket"}),
        ("Sign-in failures by reason", {"hdnd_sign_in_failures_total"}),
    ],
)
def test_the_dashboard_shows_what_the_issue_asks_to_watch(panel: str, names: set[str]) -> None:
    (found,) = [p for p in dashboard()["panels"] if p["title"] == panel]
    assert metric_names([t["expr"] for t in found["targets"]]) == names
