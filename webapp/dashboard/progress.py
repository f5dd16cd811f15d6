"""A cohort's dimension means at each time point, and first-versus-last comparison.

A recording's time point is the ``time_point`` label of the newest assignment of its
vignette to its trainee or to the trainee's cohort; without one, the calendar month of
the recording ("2026-03").  Time points are ordered by their earliest recording.  Each
trainee contributes one value per time point (the mean of their recordings in it), so
nobody counts twice within a time point.  The same trainees usually appear at both
time points compared, so the two samples are *not* independent: the independent-groups
tests of :func:`rating.compare.two_groups` are shown as a rough guide and the page says so.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from math import fsum
from typing import Any

from rating.compare import significance_mark, two_groups
from webapp.dashboard.data import (
    Filters,
    ScoreRow,
    get_score_rows,
    list_time_point_assignments,
    list_trainees,
)
from webapp.models import Assignment
from webapp.reports.plots import mean_ci

SCALE = (1, 5)
Grouped = dict[str, dict[str, list[float]]]  # dimension -> time point -> values


def label_lookup(assignments: list[Assignment], cohort_id: int | None) -> Any:
    """A function (trainee id, vignette id) -> time-point label or None."""
    labels: dict[tuple[str, int, int], str] = {}
    for a in assignments:  # oldest first, so the newest wins
        if a.trainee_id is not None:
            labels[("trainee", a.trainee_id, a.vignette_id)] = a.time_point
        elif a.cohort_id == cohort_id:
            labels[("cohort", 0, a.vignette_id)] = a.time_point

    def find(trainee_id: int, vignette_id: int) -> str | None:
        own = labels.get(("trainee", trainee_id, vignette_id))
        return own or labels.get(("cohort", 0, vignette_id))

    return find


def time_point_of(row: ScoreRow, find: Any) -> str:
    return find(row.trainee_id, row.vignette_id) or f"{row.recorded_at:%Y-%m}"


def group_by_time_point(rows: list[ScoreRow], find: Any) -> tuple[list[str], Grouped]:
    """Time points in order and, per dimension and time point, one mean per trainee."""
    first_seen: dict[str, datetime] = {}
    per_trainee: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    points: dict[int, str] = {}  # a recording's time point, found once for all its scores
    for row in rows:
        point = points.get(row.recording_id)
        if point is None:
            point = points[row.recording_id] = time_point_of(row, find)
            first_seen.setdefault(point, row.recorded_at)
        per_trainee[(row.dimension, point, row.trainee_id)].append(row.score)
    grouped: Grouped = defaultdict(lambda: defaultdict(list))
    for (dimension, point, _), scores in per_trainee.items():
        grouped[dimension][point].append(fsum(scores) / len(scores))
    order = sorted(first_seen, key=lambda p: first_seen[p])
    return order, grouped


def build_progress(slug: str, cohort_id: int) -> dict[str, Any]:
    """Means with 95 % CIs per dimension and time point, and first-vs-last statistics."""
    rows = get_score_rows(slug, Filters(cohort_id=cohort_id))
    trainee_ids = [tid for tid, _, _ in list_trainees(cohort_id)]
    find = label_lookup(list_time_point_assignments(trainee_ids, cohort_id), cohort_id)
    points, grouped = group_by_time_point(rows, find)
    dimensions = sorted(grouped)
    return {
        "time_points": points,
        "dimensions": [_dimension(d, points, grouped[d]) for d in dimensions],
        "grouped": grouped,
    }


def _dimension(dimension: str, points: list[str], values: dict[str, list[float]]) -> dict[str, Any]:
    cells = []
    for point in points:
        scores = values.get(point, [])
        centre, half = mean_ci(scores) if scores else (None, None)
        cells.append({"time_point": point, "n": len(scores), "mean": centre, "half": half})
    return {
        "dimension": dimension,
        "cells": cells,
        "comparison": compare_first_last(points, values),
    }


def compare_first_last(points: list[str], values: dict[str, list[float]]) -> dict[str, Any]:
    """``two_groups`` between the first and last time points, or a note why not."""
    if len(points) < 2:
        return {"note": "Only one time point so far: nothing to compare."}
    first, last = values.get(points[0], []), values.get(points[-1], [])
    if len(first) < 2 or len(last) < 2:
        return {"note": "Too few trainees to compare (need two at each time point)."}
    try:
        r = two_groups(last, first, scale=SCALE)
    except ValueError as error:
        return {"note": str(error)}
    return {
        "note": None,
        "first": points[0],
        "last": points[-1],
        "difference": r.mean_a - r.mean_b,
        "t_welch": r.t_welch,
        "df_welch": r.df_welch,
        "p_welch": r.p_welch,
        "mark": significance_mark(r.p_welch),
        "hedges_g": r.hedges_g,
        "hedges_g_ci": [r.hedges_g_ci_low, r.hedges_g_ci_high],
        "mann_whitney_p": r.mann_whitney_p,
    }
