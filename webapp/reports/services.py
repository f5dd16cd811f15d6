"""Turning ratings into report tables: plain dictionaries for pages, CSV, JSON and CLI."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask import current_app

from rating.compare import many_groups, significance_mark, two_groups
from rating.scale_checks import check_dimensions, reliability_report
from webapp.errors import InvalidInput
from webapp.reports.data import ScoreCount, count_final_scores, get_rating_rows, rating_fingerprint
from webapp.reports.memo import memoized

SCALE = (1, 5)
REST = "All other trainees"

GUIDANCE = {
    "pearson_r": "Do the two coders rank recordings the same way? "
    "The method's own test: r above 0.7.",
    "icc": "How much of the score variation is real difference between recordings rather "
    "than coder noise (ICC1: coders rotate between recordings).",
    "alpha_ordinal": "Chance-corrected agreement treating the scale as ordered categories; "
    "copes with missing ratings.",
    "alpha_interval": "The same, treating the scale as equal steps.",
    "weighted_kappa": "Agreement beyond chance, with near-misses penalised less than far ones "
    "(quadratic weights).",
    "gwet_ac2": "Like kappa, but stable when most ratings pile up on one score.",
    "exact_agreement": "Share of double-coded recordings with the same score.",
    "within_one_agreement": "Share where the two scores differ by at most one point.",
}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 3)


def reliability_key(slug: str) -> tuple[Any, ...]:
    """What a kept reliability report depends on: instrument, resamples and the ratings."""
    resamples = int(current_app.config["RELIABILITY_BOOTSTRAP_RESAMPLES"])
    return (slug, resamples, rating_fingerprint())


def build_reliability(slug: str, key: tuple[Any, ...] | None = None) -> dict[str, Any]:
    """The reliability report of one instrument as plain data (treat it as read-only).

    Reading every raw rating and bootstrapping the alphas takes seconds with tens of
    thousands of ratings, so the report is kept until the ratings change
    (:func:`webapp.reports.memo.memoized` under :func:`reliability_key`).
    """
    key = key or reliability_key(slug)
    return memoized("reliability", key, lambda: compute_reliability(slug, key[1]))


def compute_reliability(slug: str, resamples: int) -> dict[str, Any]:
    """The reliability report of one instrument, computed from the raw ratings."""
    rows = get_rating_rows(slug)
    if not rows:
        return {
            "instrument": slug,
            "n_ratings": 0,
            "dimensions": [],
            "pairs": [],
            "guidance": GUIDANCE,
        }
    report = reliability_report(
        [r._asdict() for r in rows],
        scale=SCALE,
        bootstrap=resamples > 0,
        n_resamples=max(resamples, 1),
        seed=0,
    )
    dimensions = [_dimension_row(d) for d in report.dimensions.values()]
    pairs = [_pair_matrix(m) for m in report.rater_pairs.values()]
    return {
        "instrument": slug,
        "n_ratings": len(rows),
        "icc_form": report.icc_form,
        "threshold": report.threshold,
        "min_n": report.min_n,
        "dimensions": dimensions,
        "pairs": pairs,
        "guidance": GUIDANCE,
    }


def _dimension_row(result: Any) -> dict[str, Any]:
    pearson, icc = result.pearson, result.icc
    return {
        "dimension": result.dimension,
        "n_recordings": result.n_recordings,
        "n_double_coded": result.n_double_coded,
        "pearson_r": _number(pearson.r) if pearson else None,
        "pearson_ci": [_number(pearson.ci_low), _number(pearson.ci_high)] if pearson else None,
        "icc": _number(icc.value) if icc else None,
        "icc_ci": [_number(icc.ci_low), _number(icc.ci_high)] if icc else None,
        "alpha_ordinal": _number(result.alpha_ordinal),
        "alpha_ordinal_ci": _bootstrap_ci(result, "alpha_ordinal"),
        "alpha_interval": _number(result.alpha_interval),
        "alpha_interval_ci": _bootstrap_ci(result, "alpha_interval"),
        "weighted_kappa": _number(result.weighted_kappa),
        "gwet_ac2": _number(result.gwet_ac2),
        "exact_agreement": _number(result.exact_agreement),
        "within_one_agreement": _number(result.within_one_agreement),
        "passes": bool(result.passes),
        "below_threshold": list(result.below_threshold),
        "warnings": list(result.warnings),
    }


def _bootstrap_ci(result: Any, name: str) -> list[float | None] | None:
    """Percentile bootstrap interval over recordings, when the report computed one."""
    interval = result.bootstrap.get(name)
    return [_number(interval.ci_low), _number(interval.ci_high)] if interval else None


def _pair_matrix(matrix: Any) -> dict[str, Any]:
    raters = list(matrix.raters)
    cells = [
        [
            {
                "n": int(matrix.n[i][j]),
                "r": _number(matrix.r[i][j]),
                "exact": _number(matrix.exact[i][j]),
            }
            for j in range(len(raters))
        ]
        for i in range(len(raters))
    ]
    return {"dimension": matrix.dimension, "raters": raters, "cells": cells}


def reliability_csv_rows(report: Mapping[str, Any]) -> list[list[Any]]:
    header = [
        "dimension",
        "n_double_coded",
        "pearson_r",
        "icc",
        "alpha_ordinal",
        "alpha_interval",
        "weighted_kappa",
        "gwet_ac2",
        "exact_agreement",
        "within_one_agreement",
        "passes",
    ]
    return [header] + [[row[key] for key in header] for row in report["dimensions"]]


def group_rows(
    counts: Sequence[ScoreCount], cohorts: Sequence[str], *, against_rest: bool
) -> dict[str, dict[str, list[float]]]:
    """dimension -> group -> final scores (one per recording)."""
    grouped: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in counts:
        group = row.cohort if row.cohort in cohorts else (REST if against_rest else None)
        if group is not None:
            grouped[row.dimension][group].extend([row.score] * row.recordings)
    return grouped


def comparison_groups(
    slug: str,
    cohorts: Sequence[str],
    *,
    against_rest: bool = False,
    start: date | None = None,
    end: date | None = None,
) -> tuple[list[str], dict[str, dict[str, list[float]]]]:
    """The groups in display order, and dimension -> group -> final scores, for a
    comparison of ``cohorts`` (or one cohort against the rest)."""
    if against_rest and len(cohorts) != 1:
        raise InvalidInput("Choose exactly one cohort to compare with everyone else.")
    if not against_rest and len(cohorts) < 2:
        raise InvalidInput("Choose at least two cohorts, or one cohort against the rest.")
    # Against the rest every trainee counts; otherwise only the chosen cohorts' are read.
    counts = count_final_scores(
        slug, start=start, end=end, cohorts=None if against_rest else cohorts
    )
    order = [*cohorts, REST] if against_rest else list(cohorts)
    return order, group_rows(counts, cohorts, against_rest=against_rest)


def build_comparison(
    slug: str,
    cohorts: Sequence[str],
    *,
    against_rest: bool = False,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Group comparison of final scores, per dimension, in 'Mean (SD), n, t, p' form."""
    order, grouped = comparison_groups(
        slug, cohorts, against_rest=against_rest, start=start, end=end
    )
    return {
        "instrument": slug,
        "groups": order,
        "dimensions": [_compare_dimension(dim, grouped[dim], order) for dim in sorted(grouped)],
    }


def _compare_dimension(
    dimension: str, groups: Mapping[str, list[float]], order: list[str]
) -> dict[str, Any]:
    present = [name for name in order if len(groups.get(name, [])) >= 2]
    summary = [_summary(name, groups.get(name, [])) for name in order]
    result: dict[str, Any] = {
        "dimension": dimension,
        "summary": summary,
        "tests": None,
        "note": None,
    }
    if len(present) < 2:
        result["note"] = "Too few recordings with final scores to compare (need two per group)."
        return result
    try:
        if len(present) == 2:
            result["tests"] = _two_group_tests(groups[present[0]], groups[present[1]])
        else:
            result["tests"] = _many_group_tests({name: groups[name] for name in present})
    except ValueError as error:
        result["note"] = str(error)
    return result


def _summary(name: str, values: list[float]) -> dict[str, Any]:
    n = len(values)
    mean = sum(values) / n if n else None
    sd = (
        math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        if n > 1 and mean is not None
        else None
    )
    return {"group": name, "n": n, "mean": _number(mean), "sd": _number(sd)}


def _two_group_tests(a: list[float], b: list[float]) -> dict[str, Any]:
    r = two_groups(a, b, scale=SCALE)
    return {
        "kind": "two",
        "t_pooled": _number(r.t_pooled),
        "df_pooled": _number(r.df_pooled),
        "p_pooled": _number(r.p_pooled),
        "t_welch": _number(r.t_welch),
        "df_welch": _number(r.df_welch),
        "p_welch": _number(r.p_welch),
        "mark_pooled": significance_mark(r.p_pooled),
        "mark_welch": significance_mark(r.p_welch),
        "levene_p": _number(r.levene_p),
        "cohen_d": _number(r.cohen_d),
        "hedges_g": _number(r.hedges_g),
        "hedges_g_ci": [_number(r.hedges_g_ci_low), _number(r.hedges_g_ci_high)],
        "mann_whitney_p": _number(r.mann_whitney_p),
        "recommended": r.recommended,
    }


def _many_group_tests(groups: Mapping[str, list[float]]) -> dict[str, Any]:
    r = many_groups(groups, scale=SCALE)
    return {
        "kind": "many",
        "f": _number(r.f),
        "df_between": _number(r.df_between),
        "df_within": _number(r.df_within),
        "p": _number(r.p),
        "mark": significance_mark(r.p),
        "welch_f": _number(r.welch_f),
        "welch_p": _number(r.welch_p),
        "mark_welch": significance_mark(r.welch_p) if not math.isnan(r.welch_p) else "",
        "levene_p": _number(r.levene_p),
        "tukey": [
            {
                "a": t.group_a,
                "b": t.group_b,
                "difference": _number(t.difference),
                "ci": [_number(t.ci_low), _number(t.ci_high)],
                "p_adj": _number(t.p_adj),
                "mark": significance_mark(t.p_adj),
            }
            for t in r.tukey
        ],
        "warnings": list(r.warnings),
    }


def build_scale_checks(slug: str) -> dict[str, Any]:
    """The method's three checks for keeping a dimension: reliable, varied, distinct."""
    rows = get_rating_rows(slug)
    if not rows:
        return {"instrument": slug, "dimensions": [], "flagged_pairs": []}
    try:
        checks = check_dimensions([r._asdict() for r in rows], scale=SCALE)
    except ValueError as error:
        return {"instrument": slug, "dimensions": [], "flagged_pairs": [], "error": str(error)}
    dimensions = [
        {
            "dimension": c.dimension,
            "reliability_r": _number(c.reliability_r),
            "is_reliable": c.is_reliable,
            "sd": _number(c.variation.sd),
            "modal_share": _number(c.variation.modal_share),
            "floor": c.variation.has_floor_effect,
            "ceiling": c.variation.has_ceiling_effect,
            "most_similar": c.most_similar,
            "max_correlation": _number(c.max_correlation),
            "is_distinct": c.is_distinct,
            "keep": c.keep,
        }
        for c in checks.dimensions.values()
    ]
    flagged = [
        {"a": p.dimension_a, "b": p.dimension_b, "r": _number(p.r), "n": p.n}
        for p in checks.distinctness.flagged
    ]
    return {
        "instrument": slug,
        "dimensions": dimensions,
        "flagged_pairs": flagged,
        "threshold": checks.distinctness.threshold,
    }
