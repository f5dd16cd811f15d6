"""The checks a rating dimension must pass to be kept, and the reliability report.

The source method kept a dimension only if it had "(a) a high degree of inter-rater
reliability (r > 0.7); (b) a useful degree of variation between workers ... and (c) [it] could
be distinguished from other variables" (Forrester et al. 2013).  The report gives no
thresholds for (b) and (c), so they are keyword options here with documented defaults:

- (a) :func:`reliability_report`: Pearson r between first and second coder against 0.7, with
  ICC, Krippendorff's alpha, weighted kappa, Gwet's AC2 and percentage agreement beside it.
- (b) :func:`check_variation`: SD, share at the most common score, floor and ceiling shares.
- (c) :func:`check_distinctness`: inter-dimension correlations, pairs above 0.85 flagged.
- :func:`check_dimensions` runs all three on long-format ratings.

``reliability_report`` is implemented in ``rating._report``, ``check_variation`` in
``rating._variation`` and long-format parsing in ``rating._long``; all are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from rating._correlation import pearson_r
from rating._long import RatingRow, parse_long_rows
from rating._report import (
    MIN_DOUBLE_CODED,
    RELIABILITY_THRESHOLD,
    DimensionReliability,
    RaterPairMatrix,
    ReliabilityReport,
    reliability_report,
)
from rating._validate import FloatArray, to_vector
from rating._variation import (
    FLOOR_CEILING_SHARE,
    MAX_MODAL_SHARE,
    MIN_SD,
    VariationCheck,
    check_variation,
)

__all__ = [
    "DISTINCTNESS_THRESHOLD",
    "FLOOR_CEILING_SHARE",
    "MAX_MODAL_SHARE",
    "MIN_DOUBLE_CODED",
    "MIN_SD",
    "RELIABILITY_THRESHOLD",
    "DimensionCheck",
    "DimensionPair",
    "DimensionReliability",
    "DistinctnessCheck",
    "RaterPairMatrix",
    "RatingRow",
    "ReliabilityReport",
    "ScaleCheckReport",
    "VariationCheck",
    "check_dimensions",
    "check_distinctness",
    "check_variation",
    "reliability_report",
]

DISTINCTNESS_THRESHOLD = 0.85
"""Two dimensions correlating above this are flagged as possibly measuring the same thing."""


@dataclass(frozen=True, slots=True)
class DimensionPair:
    """Correlation of two dimensions over the ``n`` recordings scored on both."""

    dimension_a: str
    dimension_b: str
    r: float
    n: int


@dataclass(frozen=True, slots=True)
class DistinctnessCheck:
    """Inter-dimension correlation matrix (NaN where undefined) and the flagged pairs."""

    dimensions: tuple[str, ...]
    correlations: FloatArray
    pairs: tuple[DimensionPair, ...]
    flagged: tuple[DimensionPair, ...]
    threshold: float


@dataclass(frozen=True, slots=True)
class DimensionCheck:
    """The three retention checks for one dimension; ``keep`` needs all three."""

    dimension: str
    reliability_r: float
    is_reliable: bool
    variation: VariationCheck
    most_similar: str | None
    max_correlation: float
    is_distinct: bool
    keep: bool


@dataclass(frozen=True, slots=True)
class ScaleCheckReport:
    """Result of :func:`check_dimensions`."""

    dimensions: Mapping[str, DimensionCheck]
    distinctness: DistinctnessCheck
    reliability: ReliabilityReport


def check_distinctness(
    scores: Mapping[str, ArrayLike], *, threshold: float = DISTINCTNESS_THRESHOLD
) -> DistinctnessCheck:
    r"""Check criterion (c): is each dimension distinguishable from the others?

    Parameters
    ----------
    scores : mapping of str to array_like
        Dimension name to scores, all the same length and aligned (position i is the same
        recording or trainee in every dimension).  NaN marks a missing score; each pair uses
        the recordings scored on both.
    threshold : float, default 0.85
        Pairs with \|r\| above it are flagged.

    Returns
    -------
    DistinctnessCheck
        The Pearson correlation matrix (NaN on the diagonal and where a pair has fewer than
        three common scores or no variance), every pair and the flagged ones.

    Raises
    ------
    ValueError
        If fewer than two dimensions are given, lengths differ, or ``threshold`` is not in
        (0, 1).

    Notes
    -----
    :math:`r_{ab}` as in :func:`rating.agreement.pearson_r`.  The source report did not say
    how distinctness was judged; the 0.85 default is a common cut for redundant scales.

    References
    ----------
    .. [1] Anscombe, F. J. (1973). Graphs in statistical analysis. *The American
       Statistician*, 27(1), 17-21. https://doi.org/10.1080/00031305.1973.10478966

    Examples
    --------
    Anscombe's (1973) x and y1 correlate at r = .816: flagged with a 0.8 threshold.

    >>> x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
    >>> y1 = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]
    >>> check = check_distinctness({"x": x, "y1": y1}, threshold=0.8)
    >>> [(p.dimension_a, p.dimension_b, round(p.r, 3)) for p in check.flagged]
    [('x', 'y1', 0.816)]
    """
    if not 0 < float(threshold) < 1:
        raise ValueError(f"threshold must be strictly between 0 and 1; got {threshold!r}")
    if len(scores) < 2:
        raise ValueError(f"scores needs at least two dimensions; got {len(scores)}")
    names = tuple(str(name) for name in scores)
    columns = [to_vector(v, name=f"scores[{n!r}]", allow_nan=True) for n, v in scores.items()]
    if len({column.size for column in columns}) > 1:
        raise ValueError("every dimension in scores must have the same number of values")
    size = len(names)
    matrix = np.full((size, size), np.nan)
    pairs: list[DimensionPair] = []
    for i in range(size):
        for j in range(i + 1, size):
            pair = _pair_correlation(names[i], names[j], columns[i], columns[j])
            matrix[i, j] = matrix[j, i] = pair.r
            pairs.append(pair)
    return DistinctnessCheck(
        dimensions=names,
        correlations=matrix,
        pairs=tuple(pairs),
        flagged=tuple(pair for pair in pairs if abs(pair.r) > threshold),
        threshold=float(threshold),
    )


def _pair_correlation(a: str, b: str, x: FloatArray, y: FloatArray) -> DimensionPair:
    both = ~np.isnan(x) & ~np.isnan(y)
    try:
        r = pearson_r(x[both], y[both]).r
    except ValueError:
        r = float("nan")
    return DimensionPair(dimension_a=a, dimension_b=b, r=r, n=int(both.sum()))


def check_dimensions(
    long_rows: Iterable[Mapping[str, object] | Sequence[object]],
    *,
    scale: Sequence[float] | None = None,
    reliability_threshold: float = RELIABILITY_THRESHOLD,
    distinctness_threshold: float = DISTINCTNESS_THRESHOLD,
    min_sd: float = MIN_SD,
    max_modal_share: float = MAX_MODAL_SHARE,
    floor_ceiling_share: float = FLOOR_CEILING_SHARE,
    min_n: int = MIN_DOUBLE_CODED,
) -> ScaleCheckReport:
    """Run the three retention checks on every dimension of long-format ratings.

    Parameters
    ----------
    long_rows : iterable of mapping or 4-tuple
        As for :func:`reliability_report`.
    scale, min_n : optional
        As for :func:`reliability_report`.
    reliability_threshold : float, default 0.7
        Criterion (a): Pearson r between first and second coder must exceed it.
    distinctness_threshold : float, default 0.85
        Criterion (c): \\|r\\| with every other dimension must not exceed it.
    min_sd, max_modal_share, floor_ceiling_share : float
        Criterion (b), as for :func:`check_variation`.

    Returns
    -------
    ScaleCheckReport
        Per dimension a :class:`DimensionCheck` (``keep`` when all three pass), the
        :class:`DistinctnessCheck` and the full :class:`ReliabilityReport`.

    Raises
    ------
    ValueError
        As :func:`reliability_report`, :func:`check_variation` and :func:`check_distinctness`.

    Notes
    -----
    Variation and distinctness use each recording's *first* rating (the primary coder), as
    in the source study, where one researcher coded every interview and half were double
    coded.  A dimension whose statistics are undefined fails the check concerned.

    References
    ----------
    .. [1] Forrester, D., et al. (2013). *Reclaiming Social Work? An Evaluation of Systemic
       Units as an Approach to Delivering Children's Services*. Tilda Goldberg Centre,
       University of Bedfordshire, p. 339 of the text (retention criteria).

    Examples
    --------
    >>> rows = [(f"r{i}", coder, "empathy", s) for i, pair in enumerate(
    ...     [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (2, 3), (4, 3)])
    ...     for coder, s in zip(("a", "b"), pair)]
    >>> rows += [(f"r{i}", "a", "warmth", s) for i, s in enumerate([3, 3, 3, 3, 3, 3, 4])]
    >>> report = check_dimensions(rows, scale=(1, 5), min_n=5)
    >>> report.dimensions["empathy"].keep, report.dimensions["warmth"].keep
    (True, False)
    """
    rows = list(long_rows)
    reliability = reliability_report(
        rows, scale=scale, threshold=reliability_threshold, min_n=min_n
    )
    primary = _primary_scores(rows, scale)
    distinctness = check_distinctness(primary, threshold=distinctness_threshold)
    checks = {
        name: _dimension_check(
            name,
            reliability.dimensions[name],
            check_variation(
                scores[~np.isnan(scores)],
                scale=scale,
                min_sd=min_sd,
                max_modal_share=max_modal_share,
                floor_ceiling_share=floor_ceiling_share,
            ),
            distinctness,
        )
        for name, scores in primary.items()
    }
    return ScaleCheckReport(dimensions=checks, distinctness=distinctness, reliability=reliability)


def _primary_scores(
    rows: list[Mapping[str, object] | Sequence[object]], scale: Sequence[float] | None
) -> dict[str, FloatArray]:
    """First rating of every recording per dimension, aligned on all recordings."""
    ratings = parse_long_rows(rows, scale=scale)
    recordings = dict.fromkeys(code for d in ratings.dimensions.values() for code in d.recordings)
    index = {code: i for i, code in enumerate(recordings)}
    primary: dict[str, FloatArray] = {}
    for name, data in ratings.dimensions.items():
        column = np.full(len(index), np.nan)
        column[[index[code] for code in data.recordings]] = data.scores[0]
        primary[name] = column
    return primary


def _dimension_check(
    name: str,
    reliability: DimensionReliability,
    variation: VariationCheck,
    distinctness: DistinctnessCheck,
) -> DimensionCheck:
    others = [p for p in distinctness.pairs if name in (p.dimension_a, p.dimension_b)]
    defined = [p for p in others if not np.isnan(p.r)]
    closest = max(defined, key=lambda p: abs(p.r), default=None)
    most_similar = None
    if closest is not None:
        most_similar = closest.dimension_b if closest.dimension_a == name else closest.dimension_a
    max_r = float("nan") if closest is None else closest.r
    is_distinct = closest is not None and abs(max_r) <= distinctness.threshold
    keep = reliability.passes and variation.has_useful_variation and is_distinct
    return DimensionCheck(
        dimension=name,
        reliability_r=reliability.pearson_r,
        is_reliable=reliability.passes,
        variation=variation,
        most_similar=most_similar,
        max_correlation=max_r,
        is_distinct=is_distinct,
        keep=keep,
    )
