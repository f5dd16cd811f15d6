"""Turning final scores into dashboard tables: plain dictionaries for the templates.

Change over time (trainee trajectory)
-------------------------------------
Each session is one recording with one final score per dimension, so a single trainee
has no replicate measurements to build an interval from, and the four dimensions are
different scales, not repeated measures of one change: a t-interval across dimensions
would be wrong.  For each dimension we fit a least-squares line of score on session
number (1, 2, …) and report its slope, "change per session", with the 95 % interval
``slope ± t(0.975, n − 2) · SE(slope)`` (``scipy.stats.linregress``), and the fitted
change from the first to the latest session, ``slope · (n − 1)``, with the interval
scaled the same way.  The residual spread around the line carries both rater noise and
session-to-session variation.  The interval assumes a straight-line trend and
independent errors, and needs at least three sessions; with fewer the page says "too
few sessions for an interval" and shows only the raw difference latest − first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from scipy import stats

from webapp.dashboard.data import (
    Filters,
    ScoreRow,
    count_awaiting_rating,
    get_score_rows,
    list_dimensions,
    list_rater_backlogs,
    list_trainees,
    select_adjudication_candidates,
)
from webapp.paging import page_of
from webapp.reports.memo import memoized
from webapp.review.coding import coding_fingerprint, load_coding_states

MIN_SESSIONS_FOR_INTERVAL = 3
OVERVIEW_PAGE_SIZE = 100  # trainees per overview page
TOO_FEW = "too few sessions for an interval"


def dimensions_of(rows: Iterable[ScoreRow]) -> list[str]:
    return sorted({row.dimension for row in rows})


def trend(latest: float, previous: float | None) -> dict[str, Any] | None:
    """Arrow and accessible label for the latest score against the previous one."""
    if previous is None:
        return None
    if latest > previous:
        arrow, word = "↑", "up"
    elif latest < previous:
        arrow, word = "↓", "down"
    else:
        arrow, word = "→", "unchanged"
    return {"arrow": arrow, "label": f"{word} from {previous:g}", "previous": previous}


def latest_by_dimension(rows: Sequence[ScoreRow]) -> dict[str, dict[str, Any]]:
    """Per dimension: the latest score and its trend against the previous recording.

    ``rows`` are one trainee's, oldest first (as :func:`get_score_rows` returns them).
    """
    history: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        history[row.dimension].append(row.score)
    return {
        dim: {"score": scores[-1], "trend": trend(scores[-1], _previous(scores))}
        for dim, scores in history.items()
    }


def _previous(scores: list[float]) -> float | None:
    return scores[-2] if len(scores) > 1 else None


def build_overview(slug: str, filters: Filters, page: int = 1) -> dict[str, Any]:
    """One page of trainees × dimensions with latest scores and trends, plus pending work.

    Only the scores of the trainees on the page are read, so the page costs the same with
    a cohort of twenty or an organisation of thousands.
    """
    shown = page_of(list_trainees(filters.cohort_id), page, OVERVIEW_PAGE_SIZE)
    rows = get_score_rows(slug, filters, trainee_ids=[tid for tid, _, _ in shown.items])
    by_trainee: dict[int, list[ScoreRow]] = defaultdict(list)
    for row in rows:
        by_trainee[row.trainee_id].append(row)
    trainees = [
        {"id": tid, "name": name, "cells": latest_by_dimension(by_trainee.get(tid, []))}
        for tid, name, _ in shown.items
    ]
    return {
        "dimensions": list_dimensions(slug, filters),
        "trainees": trainees,
        "pending": build_pending(),
        "paging": shown,
    }


def build_pending() -> dict[str, Any]:
    """Recordings awaiting rating or adjudication, and each rater's open backlog."""
    return {
        "awaiting_rating": count_awaiting_rating(),
        "awaiting_adjudication": count_awaiting_adjudication(),
        "backlogs": [{"rater": name, "open": n} for name, n in list_rater_backlogs()],
    }


def count_awaiting_adjudication() -> int:
    """Recordings with a dimension waiting for adjudication.

    Examining every candidate recording is most of the overview's cost with thousands of
    ratings, and the answer changes only when ratings or final scores do, so it is kept
    under :func:`webapp.review.coding.coding_fingerprint`.
    """
    return memoized("awaiting_adjudication", coding_fingerprint(), _count_awaiting_adjudication)


def _count_awaiting_adjudication() -> int:
    # A fixed number of queries, however many recordings are examined.
    states = load_coding_states(select_adjudication_candidates())
    return sum(1 for state in states.values() if state.pending())


def build_trajectory(slug: str, trainee_id: int) -> dict[str, Any]:
    """One trainee's sessions over time, and the change per dimension."""
    rows = get_score_rows(slug, trainee_id=trainee_id)
    dimensions = dimensions_of(rows)
    sessions: dict[int, dict[str, Any]] = {}
    for row in rows:
        session = sessions.setdefault(
            row.recording_id,
            {
                "recording_id": row.recording_id,
                "title": row.title,
                "recorded_at": row.recorded_at,
                "scores": {},
            },
        )
        session["scores"][row.dimension] = row.score
    ordered = list(sessions.values())
    for number, session in enumerate(ordered, start=1):
        session["number"] = number
    changes = [change_over_sessions(d, _series(ordered, d)) for d in dimensions]
    return {"dimensions": dimensions, "sessions": ordered, "changes": changes}


def _series(sessions: list[dict[str, Any]], dimension: str) -> list[tuple[int, float]]:
    return [(s["number"], s["scores"][dimension]) for s in sessions if dimension in s["scores"]]


def change_over_sessions(dimension: str, series: Sequence[tuple[int, float]]) -> dict[str, Any]:
    """Raw change (latest − first) and, from 3 sessions, the least-squares slope with CI."""
    result: dict[str, Any] = {
        "dimension": dimension,
        "n": len(series),
        "first": series[0][1] if series else None,
        "latest": series[-1][1] if series else None,
        "raw_change": series[-1][1] - series[0][1] if len(series) > 1 else None,
        "slope": None,
        "slope_ci": None,
        "fitted_change": None,
        "fitted_change_ci": None,
        "note": None,
    }
    if len(series) < MIN_SESSIONS_FOR_INTERVAL:
        result["note"] = TOO_FEW
        return result
    xs = [float(x) for x, _ in series]
    ys = [y for _, y in series]
    if len(set(ys)) == 1:  # a flat line: slope 0 and no spread to estimate from
        result.update(
            slope=0.0, slope_ci=[0.0, 0.0], fitted_change=0.0, fitted_change_ci=[0.0, 0.0]
        )
        return result
    fit = stats.linregress(xs, ys)
    half = float(stats.t.ppf(0.975, len(series) - 2)) * float(fit.stderr)
    span = xs[-1] - xs[0]
    slope = float(fit.slope)
    result.update(
        slope=slope,
        slope_ci=[slope - half, slope + half],
        fitted_change=slope * span,
        fitted_change_ci=[(slope - half) * span, (slope + half) * span],
    )
    return result
