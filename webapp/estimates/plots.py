"""The learning curve as a server-side SVG (matplotlib, no JavaScript)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt

from webapp.reports.plots import COLOURS

METRIC_LABELS = {
    "qwk": "Quadratic weighted kappa",
    "spearman": "Spearman correlation",
    "pearson": "Pearson correlation",
    "mae": "Mean absolute error",
    "exact": "Exact agreement",
    "within_one": "Agreement within one point",
}


def learning_curve_svg(
    title: str,
    metric: str,
    train_sizes: Sequence[int],
    dimensions: Mapping[str, Sequence[float | None]],
    *,
    threshold: float | None = None,
) -> str:
    """One line per dimension: the cross-validated metric against training transcripts."""
    figure, axes = plt.subplots(figsize=(8, 4.2), dpi=100)
    for index, (name, values) in enumerate(dimensions.items()):
        points = [(x, y) for x, y in zip(train_sizes, values, strict=False) if y is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            colour = COLOURS[index % len(COLOURS)]
            axes.plot(xs, ys, marker="o", label=name.capitalize(), color=colour)
    if threshold is not None and metric == "qwk":
        axes.axhline(threshold, linestyle="--", color="#5a6375", label="Threshold for showing")
    axes.set_xlabel("Training transcripts (mean per fold)")
    axes.set_ylabel(f"{METRIC_LABELS.get(metric, metric)} (cross-validated)")
    axes.set_title(title)
    axes.legend(frameon=False, fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return _to_svg(figure)


def _to_svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()
