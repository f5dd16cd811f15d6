"""Server-side SVG charts (matplotlib, no JavaScript, no CDN)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt
from scipy import stats

COLOURS = ("#1f5f8b", "#c0632b", "#3d8b4f", "#7a4f9e", "#8a7a2b", "#5a6375")


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of its 95 % t interval (0 when n < 2)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)


def group_means_svg(
    title: str,
    dimensions: Sequence[str],
    groups: Sequence[str],
    values: Mapping[str, Mapping[str, Sequence[float]]],
) -> str:
    """Bars of each dimension's mean per group, with 95 % confidence intervals."""
    figure, axes = plt.subplots(figsize=(8, 4.2), dpi=100)
    width = 0.8 / max(len(groups), 1)
    for index, group in enumerate(groups):
        xs, means, errors = _series(dimensions, values, group)
        offsets = [x + (index - (len(groups) - 1) / 2) * width for x in xs]
        axes.bar(
            offsets,
            means,
            width,
            yerr=errors,
            capsize=3,
            label=group,
            color=COLOURS[index % len(COLOURS)],
        )
    axes.set_xticks(range(len(dimensions)), [d.replace("-", " ").capitalize() for d in dimensions])
    axes.set_ylim(0, 5.5)
    axes.set_ylabel("Mean final score (1–5), 95 % CI")
    axes.set_xlabel("Dimension")
    axes.set_title(title)
    axes.legend(frameon=False, fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return _to_svg(figure)


def _series(
    dimensions: Sequence[str], values: Mapping[str, Mapping[str, Sequence[float]]], group: str
) -> tuple[list[int], list[float], list[float]]:
    xs: list[int] = []
    means: list[float] = []
    errors: list[float] = []
    for x, dimension in enumerate(dimensions):
        scores = values.get(dimension, {}).get(group, [])
        if scores:
            mean, half = mean_ci(scores)
            xs.append(x)
            means.append(mean)
            errors.append(half)
    return xs, means, errors


def _to_svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()
