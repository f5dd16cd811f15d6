"""Pearson correlation between coders and the comparison of two correlations.

Private module: import from :mod:`rating.agreement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from rating._validate import check_probability, check_scale, to_pair


@dataclass(frozen=True, slots=True)
class CorrelationResult:
    """Pearson correlation with its two-sided p-value and Fisher-z confidence interval."""

    r: float
    p: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True, slots=True)
class CorrelationComparison:
    """Fisher r-to-z test of the difference between two independent correlations."""

    z: float
    p: float


def pearson_r(
    x: ArrayLike,
    y: ArrayLike,
    *,
    confidence: float = 0.95,
    scale: Sequence[float] | None = None,
) -> CorrelationResult:
    r"""Pearson correlation between two coders, with a Fisher-z confidence interval.

    This is the reliability statistic of the source method: a dimension is kept when
    r > 0.7 between first and second coder.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired scores (e.g. first and second coder on the same recordings), at least three
        pairs, no missing values.
    confidence : float, default 0.95
        Coverage of the interval.
    scale : (low, high), optional
        The rating scale, e.g. ``(1, 5)``; a value outside it raises ``ValueError``.

    Returns
    -------
    CorrelationResult
        ``r``, two-sided ``p`` (t test on n - 2 df), ``ci_low``, ``ci_high`` and ``n``.

    Raises
    ------
    ValueError
        If the vectors differ in length, have fewer than three pairs, contain NaN or values
        outside ``scale``, or either
        is constant (r is then undefined).

    Notes
    -----
    .. math::

        r = \frac{\sum (x_i - \bar x)(y_i - \bar y)}
                 {\sqrt{\sum (x_i - \bar x)^2 \sum (y_i - \bar y)^2}},\qquad
        \tanh\!\left(\operatorname{artanh} r \pm \frac{z_{1-\alpha/2}}{\sqrt{n - 3}}\right)

    With n = 3 the interval is (-1, 1); with \|r\| = 1 it collapses to r.

    References
    ----------
    .. [1] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.
    .. [2] Anscombe, F. J. (1973). Graphs in statistical analysis. *The American
       Statistician*, 27(1), 17-21. https://doi.org/10.1080/00031305.1973.10478966

    Examples
    --------
    Anscombe's (1973) first data set; he reports r = 0.816.

    >>> x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
    >>> y = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]
    >>> result = pearson_r(x, y)
    >>> round(result.r, 3), result.n
    (0.816, 11)
    """
    level = check_probability(confidence, name="confidence")
    a, b = to_pair(x, y, names=("x", "y"), min_length=3)
    check_scale(np.concatenate([a, b]), scale, name="x and y")
    for name, values in (("x", a), ("y", b)):
        if np.ptp(values) == 0:
            raise ValueError(f"{name} is constant; the correlation is undefined")
    result = stats.pearsonr(a, b)
    r = float(np.clip(result.statistic, -1.0, 1.0))
    low, high = _fisher_interval(r, a.size, level)
    return CorrelationResult(r=r, p=float(result.pvalue), ci_low=low, ci_high=high, n=a.size)


def _fisher_interval(r: float, n: int, level: float) -> tuple[float, float]:
    if abs(r) == 1.0:
        return r, r
    if n <= 3:
        return -1.0, 1.0
    half = float(stats.norm.ppf(0.5 + level / 2.0)) / np.sqrt(n - 3.0)
    z = np.arctanh(r)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def compare_correlations(r1: float, n1: int, r2: float, n2: int) -> CorrelationComparison:
    r"""Test whether two correlations from independent samples differ (Fisher r-to-z).

    Parameters
    ----------
    r1, r2 : float
        The correlations, strictly between -1 and 1.
    n1, n2 : int
        Their sample sizes, each at least 4.

    Returns
    -------
    CorrelationComparison
        ``z`` (positive when r1 > r2) and its two-sided ``p``.

    Raises
    ------
    ValueError
        If a correlation is not in (-1, 1) or a sample size is below 4.

    Notes
    -----
    .. math::

        z = \frac{\operatorname{artanh} r_1 - \operatorname{artanh} r_2}
                 {\sqrt{1/(n_1 - 3) + 1/(n_2 - 3)}}

    Use it to compare rater pairs or time windows (rater drift).

    References
    ----------
    .. [1] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.
    .. [2] Forrester, D., et al. (2013). *Reclaiming Social Work? An Evaluation of Systemic
       Units as an Approach to Delivering Children's Services*. Tilda Goldberg Centre,
       University of Bedfordshire. Table 7.12.

    Examples
    --------
    Forrester et al. (2013), Table 7.12, "Parent finding caring for a child difficult":
    r = 0.635 (n = 26) against r = 0.060 (n = 35), reported z = 2.52.

    >>> round(compare_correlations(0.635, 26, 0.060, 35).z, 2)
    2.52
    """
    for name, r in (("r1", r1), ("r2", r2)):
        if not -1.0 < float(r) < 1.0:
            raise ValueError(f"{name} must be strictly between -1 and 1; got {r!r}")
    for name, n in (("n1", n1), ("n2", n2)):
        if int(n) != n or n < 4:
            raise ValueError(f"{name} must be an integer of at least 4; got {n!r}")
    se = np.sqrt(1.0 / (n1 - 3.0) + 1.0 / (n2 - 3.0))
    z = float((np.arctanh(float(r1)) - np.arctanh(float(r2))) / se)
    return CorrelationComparison(z=z, p=float(2.0 * stats.norm.sf(abs(z))))
