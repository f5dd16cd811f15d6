"""Server-side SVG charts for the dashboards (matplotlib, in the style of reports.plots)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from webapp.reports.plots import COLOURS, _to_svg, mean_ci, plt

DODGE = 0.06
MARKERS = ("o", "s", "^", "D", "v", "P")


def _label(dimension: str) -> str:
    return dimension.replace("-", " ").capitalize()


def trajectory_svg(
    title: str, dimensions: Sequence[str], sessions: Sequence[dict[str, Any]]
) -> str:
    """One line per dimension: the final score at each session, in order."""
    figure, axes = plt.subplots(figsize=(8, 4.2), dpi=100)
    for index, dimension in enumerate(dimensions):
        # Equal scores on two dimensions would hide one point under the other: shift each
        # dimension a little sideways and give it its own marker shape.
        offset = (index - (len(dimensions) - 1) / 2) * DODGE
        points = [
            (s["number"], s["scores"][dimension]) for s in sessions if dimension in s["scores"]
        ]
        axes.plot(
            [x + offset for x, _ in points],
            [y for _, y in points],
            marker=MARKERS[index % len(MARKERS)],
            label=_label(dimension),
            color=COLOURS[index % len(COLOURS)],
        )
    numbers = [s["number"] for s in sessions]
    axes.set_xticks(numbers, [f"{s['number']}\n{s['recorded_at']:%d %b}" for s in sessions])
    axes.set_ylim(0.5, 5.5)
    axes.set_xlabel("Session (number and date)")
    axes.set_ylabel("Final score (1–5)")
    axes.set_title(title)
    if dimensions:
        axes.legend(frameon=False, fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return _to_svg(figure)


def time_point_means_svg(
    title: str, points: Sequence[str], grouped: dict[str, dict[str, list[float]]]
) -> str:
    """Mean per dimension at each time point with 95 % confidence intervals."""
    figure, axes = plt.subplots(figsize=(8, 4.2), dpi=100)
    width = 0.12
    for index, dimension in enumerate(sorted(grouped)):
        xs, means, errors = [], [], []
        for x, point in enumerate(points):
            values = grouped[dimension].get(point, [])
            if values:
                centre, half = mean_ci(values)
                xs.append(x + (index - (len(grouped) - 1) / 2) * width)
                means.append(centre)
                errors.append(half)
        axes.errorbar(
            xs,
            means,
            yerr=errors,
            marker="o",
            capsize=3,
            label=_label(dimension),
            color=COLOURS[index % len(COLOURS)],
        )
    axes.set_xticks(range(len(points)), list(points))
    axes.set_ylim(0.5, 5.5)
    axes.set_xlabel("Time point")
    axes.set_ylabel("Mean final score (1–5), 95 % CI")
    axes.set_title(title)
    if grouped:
        axes.legend(frameon=False, fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return _to_svg(figure)
