"""The provisioned Grafana dashboard, drawn from a real Prometheus without Grafana.

Grafana is packaged neither in Debian nor on PyPI, so it cannot run on this project's
machines; `make metrics-demo` draws what it would show instead: every panel of
deploy/grafana/dashboards/hdnd.json in the dashboard's grid (24 columns), each target's PromQL
run as written through Prometheus's HTTP API (`$__rate_interval` expanded as Grafana expands
it: the larger of step + scrape interval and four scrape intervals), series named by the
target's legendFormat, values in the panel's unit; a stat panel shows each target's last value.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

DASHBOARD = Path(__file__).parent / "grafana" / "dashboards" / "hdnd.json"
BACKGROUND, PANEL, TEXT, GRID = "#111217", "#181b1f", "#ccccdc", "#2c3235"
COLOURS = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#37872d"]
LEGEND_MAX = 8  # series named under a panel, the highest first; the rest are counted
LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")

Series = tuple[str, list[float], list[float]]  # name, UNIX times, values


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    step: float
    scrape: float  # the scrape interval, seconds

    @property
    def rate_interval(self) -> str:
        return f"{round(max(self.step + self.scrape, 4 * self.scrape))}s"


def expand(expr: str, window: Window) -> str:
    return expr.replace("$__rate_interval", window.rate_interval)


def legend(fmt: str, labels: dict[str, str]) -> str:
    name = LABEL.sub(lambda m: labels.get(m[1], ""), fmt).strip()
    return " ".join(name.split()) or labels.get("__name__", "value")


class Prometheus:
    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)

    def _result(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.client.get(path, params=params)
        r.raise_for_status()
        result: list[dict[str, Any]] = r.json()["data"]["result"]
        return result

    def series(self, expr: str, fmt: str, window: Window) -> list[Series]:
        params = {"query": expand(expr, window), "start": window.start, "end": window.end}
        found = self._result("/api/v1/query_range", params | {"step": window.step})
        return [
            (
                legend(fmt, item["metric"]),
                [float(t) for t, _ in item["values"]],
                [float(v) for _, v in item["values"]],
            )
            for item in found
        ]

    def last(self, expr: str, window: Window) -> float | None:
        found = self._result("/api/v1/query", {"query": expand(expr, window), "time": window.end})
        return sum(float(item["value"][1]) for item in found) if found else None


def clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")


def unit_text(value: float, unit: str) -> str:
    if unit == "s":
        if value == 0:
            return "0"
        if value < 1:
            return f"{value * 1000:.3g} ms"
        return f"{value:.3g} s" if value < 120 else f"{value / 60:.3g} min"
    suffix = {"ops": "/s", "reqps": " req/s"}.get(unit, "")
    if abs(value) >= 1000:
        return f"{value / 1000:.3g}k{suffix}"
    return f"{value:.3g}{suffix}"


Cell = tuple[float, float, float, float]  # left, bottom, width, height: figure fractions


def render(prometheus_url: str, window: Window, out: Path, caption: str) -> None:
    """Draw every panel of the dashboard over `window` into the PNG `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    board = json.loads(DASHBOARD.read_text())
    prometheus = Prometheus(prometheus_url)
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in board["panels"])
    figure = plt.figure(figsize=(22, rows * 0.45 + 1.0), facecolor=BACKGROUND)
    top, foot = 0.955, 0.03
    row = (top - foot) / rows
    figure.text(0.006, 0.97, board["title"], color=TEXT, fontsize=16, weight="bold")
    figure.text(0.006, 0.008, caption, color="#8e8e8e", fontsize=9.5)
    for panel in board["panels"]:
        g = panel["gridPos"]
        cell = (
            g["x"] / 24 + 0.003,
            top - (g["y"] + g["h"]) * row + 0.004,
            g["w"] / 24 - 0.006,
            g["h"] * row - 0.008,
        )
        background = figure.add_axes(cell, facecolor=PANEL)
        background.set_xticks([])
        background.set_yticks([])
        for spine in background.spines.values():
            spine.set_visible(False)
        figure.text(
            cell[0] + 0.005, cell[1] + cell[3] - 0.018, panel["title"], color=TEXT, fontsize=11
        )
        if panel["type"] == "stat":
            _stat(figure, cell, panel, prometheus, window)
        else:
            _timeseries(figure, cell, panel, prometheus, window)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100, facecolor=BACKGROUND)
    plt.close(figure)


def with_gaps(
    times: list[float], values: list[float], step: float
) -> tuple[list[float], list[float]]:
    """A NaN wherever samples are missing, so the line breaks there as Grafana's does."""
    xs: list[float] = []
    ys: list[float] = []
    for t, v in zip(times, values, strict=True):
        if xs and t - xs[-1] > 1.5 * step:
            xs.append(xs[-1] + step)
            ys.append(math.nan)
        xs.append(t)
        ys.append(v)
    return xs, ys


def _timeseries(
    figure: Any, cell: Cell, panel: dict[str, Any], prometheus: Prometheus, window: Window
) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    unit = panel["fieldConfig"]["defaults"].get("unit", "short")
    found = [
        series
        for target in panel["targets"]
        for series in prometheus.series(target["expr"], target["legendFormat"], window)
    ]
    peaks = [max((v for v in values if not math.isnan(v)), default=None) for _, _, values in found]
    order = sorted(range(len(found)), key=lambda i: -(peaks[i] or 0))
    shown = order[:LEGEND_MAX]
    columns = 2 if len(shown) > 3 else 1
    legend_height = math.ceil(len(shown) / columns) * 0.0135 + 0.006
    left, bottom, width, height = cell
    axes = figure.add_axes(
        (
            left + 0.038,
            bottom + legend_height + 0.022,
            width - 0.046,
            height - legend_height - 0.05,
        ),
        facecolor=PANEL,
    )
    for i, (_, times, values) in enumerate(found):
        xs, ys = with_gaps(times, values, window.step)
        axes.plot(xs, ys, color=COLOURS[i % len(COLOURS)], linewidth=1.3)
    axes.set_xlim(window.start, window.end)
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda t, _: clock(t)))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: unit_text(v, unit)))
    axes.tick_params(colors="#8e8e8e", labelsize=8, length=0)
    axes.grid(color=GRID, linewidth=0.6)
    for spine in axes.spines.values():
        spine.set_visible(False)
    if not found:
        axes.text(0.5, 0.5, "No data", color="#8e8e8e", ha="center", transform=axes.transAxes)
        return
    labels = []
    for i in shown:
        peak = peaks[i]
        labels.append(f"{found[i][0]}  (max {'–' if peak is None else unit_text(peak, unit)})")
    if len(found) > len(shown):
        labels[-1] += f"   … and {len(found) - len(shown)} more"
    handles = [Line2D([], [], color=COLOURS[i % len(COLOURS)]) for i in shown]
    figure.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(left + 0.004, bottom + legend_height + 0.002),
        fontsize=7.5,
        frameon=False,
        labelcolor=TEXT,
        ncol=columns,
        borderaxespad=0,
        handlelength=1.5,
    )


def _stat(
    figure: Any, cell: Cell, panel: dict[str, Any], prometheus: Prometheus, window: Window
) -> None:
    left, bottom, width, height = cell
    targets = panel["targets"]
    for i, target in enumerate(targets):
        value = prometheus.last(target["expr"], window)
        y = bottom + (height - 0.03) * (1 - (i + 0.5) / len(targets))
        text = "No data" if value is None else f"{value:.0f}"
        figure.text(left + 0.012, y, target["legendFormat"], color=TEXT, fontsize=12, va="center")
        figure.text(
            left + width - 0.012,
            y,
            text,
            color=COLOURS[0],
            fontsize=26,
            weight="bold",
            ha="right",
            va="center",
        )
